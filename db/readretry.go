package db

import (
	"context"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// readRetry runs the statements of a Store outside its transactions. A read (a statement that is a
// single SELECT) whose connection was dropped, as when PostgreSQL restarts or the network to it is
// cut, is sent once more, on another connection: a read has no effect to repeat, and the pool's other
// connections, or a new one, may well answer. Writes are never sent twice: whether a write whose
// answer was lost committed is for its caller's idempotency to settle. RELIABILITY.md: "a read that
// failed on a dropped connection is retried once first".
type readRetry struct{ pool *pgxpool.Pool }

func (r readRetry) Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error) {
	return r.pool.Exec(ctx, sql, args...)
}

func (r readRetry) Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error) {
	rows, err := r.pool.Query(ctx, sql, args...)
	if err != nil && retryRead(ctx, sql, err) {
		return r.pool.Query(ctx, sql, args...)
	}
	return rows, err
}

func (r readRetry) QueryRow(ctx context.Context, sql string, args ...any) pgx.Row {
	row := r.pool.QueryRow(ctx, sql, args...)
	if !isRead(sql) {
		return row
	}
	return retriedRow{row: row, again: func() pgx.Row { return r.pool.QueryRow(ctx, sql, args...) }, ctx: ctx, sql: sql}
}

// retriedRow scans its row, or, when the read's connection was dropped, the same read sent again.
type retriedRow struct {
	row   pgx.Row
	again func() pgx.Row
	ctx   context.Context
	sql   string
}

func (r retriedRow) Scan(dest ...any) error {
	err := r.row.Scan(dest...)
	if err != nil && retryRead(r.ctx, r.sql, err) {
		return r.again().Scan(dest...)
	}
	return err
}

// retryRead reports whether a statement that failed with err is a read worth sending again: its
// connection was lost, and its caller is still waiting.
func retryRead(ctx context.Context, sql string, err error) bool {
	return ctx.Err() == nil && isRead(sql) && IsUnavailable(err)
}

// isRead reports whether sql, after its leading comments (sqlc's "-- name: ..." line), is a single
// SELECT with no effect of its own. A WITH may write (a data-modifying CTE), and a SELECT may call a
// function that acts (pg_notify, a lock, a sequence): none of them counts.
func isRead(sql string) bool {
	s := sql
	for {
		s = strings.TrimLeft(s, " \t\r\n")
		if !strings.HasPrefix(s, "--") {
			break
		}
		i := strings.IndexByte(s, '\n')
		if i < 0 {
			return false
		}
		s = s[i+1:]
	}
	if len(s) < 6 || !strings.EqualFold(s[:6], "select") {
		return false
	}
	body := strings.TrimRight(strings.TrimSpace(s), ";")
	if strings.Contains(body, ";") {
		return false
	}
	lower := strings.ToLower(body)
	for _, effect := range []string{"pg_notify", "pg_advisory", "nextval", "setval", "set_config", " for update", " for share", " for no key update", " for key share"} {
		if strings.Contains(lower, effect) {
			return false
		}
	}
	return true
}
