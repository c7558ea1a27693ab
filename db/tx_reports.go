package db

import (
	"context"
	"fmt"
)

// reportSettings are a report's own: memory enough to sum and count a month of movements without
// spilling to disk; no JIT compilation, which costs more than such a query saves; and a plan made
// for each run's own range (a cached generic plan cannot tell a day from a year).
const reportSettings = "SET LOCAL work_mem = '64MB'; SET LOCAL jit = off; SET LOCAL plan_cache_mode = force_custom_plan"

// TransactionsReportTx runs ReportTransactions in a read-only snapshot with reportSettings.
func (s *Store) TransactionsReportTx(ctx context.Context, arg ReportTransactionsParams) ([]ReportTransactionsRow, error) {
	tx, err := s.pool.BeginTx(ctx, txRepeatableReadOnly)
	if err != nil {
		return nil, fmt.Errorf("begin: %w", err)
	}
	defer func() { _ = tx.Rollback(context.WithoutCancel(ctx)) }()
	if _, err := tx.Exec(ctx, reportSettings); err != nil {
		return nil, fmt.Errorf("report settings: %w", err)
	}
	rows, err := s.WithTx(tx).ReportTransactions(ctx, arg)
	if err != nil {
		return nil, err
	}
	return rows, tx.Commit(ctx)
}
