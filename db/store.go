// Package db is the PostgreSQL data layer: sqlc-generated queries (never edited by hand), the
// hand-written transactions beside them, and the embedded schema migrations.
package db

import (
	"context"
	"crypto/rand"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"go.opentelemetry.io/otel/trace"

	"github.com/bankforge/bank/db/internal/ledgersql"
	"github.com/bankforge/bank/domain"
)

// Store gives the generated queries of package db and the transactions written beside them
// (tx_*.go, named ...Tx). The ledger's writes are not among the queries: they live in
// db/internal/ledgersql, reachable only through the ledger's transactions.
type Store struct {
	*Queries
	pool *pgxpool.Pool
	// accountNumber draws the number of an account to open.
	accountNumber func() (string, error)
	// observer, when set, is told what the ledger's and freezes' transactions changed (Observed).
	observer Observer
}

// NewStore returns a Store over pool. It draws account numbers from crypto/rand.
func NewStore(pool *pgxpool.Pool) *Store {
	return &Store{Queries: New(readRetry{pool}), pool: pool, accountNumber: func() (string, error) {
		return domain.NewAccountNumber(rand.Reader)
	}}
}

// Pool returns the underlying connection pool.
func (s *Store) Pool() *pgxpool.Pool { return s.pool }

// InTx runs fn in a transaction, committing when it returns nil and rolling back otherwise.
func (s *Store) InTx(ctx context.Context, fn func(q *Queries) error) error {
	tx, err := s.pool.BeginTx(ctx, pgx.TxOptions{})
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer func() { _ = tx.Rollback(context.WithoutCancel(ctx)) }()
	if err := fn(s.WithTx(tx)); err != nil {
		return err
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// Ping checks that the database answers.
func (s *Store) Ping(ctx context.Context) error { return s.pool.Ping(ctx) }

// ConnectOption changes how Connect sets up its pool.
type ConnectOption func(*pgxpool.Config)

// WithTracing makes every query of the pool a span of tp, a child of the span in the query's
// context (see queryTracer).
func WithTracing(tp trace.TracerProvider) ConnectOption {
	return func(cfg *pgxpool.Config) { cfg.ConnConfig.Tracer = newQueryTracer(tp) }
}

// Connect opens a pool for databaseURL and checks that it answers.
func Connect(ctx context.Context, databaseURL string, maxConns int32, opts ...ConnectOption) (*pgxpool.Pool, error) {
	cfg, err := pgxpool.ParseConfig(databaseURL)
	if err != nil {
		return nil, fmt.Errorf("parse database url: %w", err)
	}
	if maxConns > 0 {
		cfg.MaxConns = maxConns
	}
	for _, o := range opts {
		o(cfg)
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("open pool: %w", err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("ping database: %w", err)
	}
	return pool, nil
}

// inLedgerTx runs fn in a transaction with both the application's queries and the ledger's writes.
func (s *Store) inLedgerTx(ctx context.Context, fn func(q *Queries, w *ledgersql.Queries) error) error {
	tx, err := s.pool.BeginTx(ctx, pgx.TxOptions{})
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer func() { _ = tx.Rollback(context.WithoutCancel(ctx)) }()
	if err := fn(s.WithTx(tx), ledgersql.New(tx)); err != nil {
		return err
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

var txRepeatableReadOnly = pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}
