package db

import (
	"context"

	"github.com/jackc/pgx/v5/pgxpool"
)

// SetAccountNumbers makes s draw the numbers of the accounts it opens from draw.
func (s *Store) SetAccountNumbers(draw func() (string, error)) { s.accountNumber = draw }

// MigrateTo applies the migrations the database lacks up to version, and no further.
func MigrateTo(ctx context.Context, pool *pgxpool.Pool, version int) error {
	_, err := migrate(ctx, pool, version)
	return err
}
