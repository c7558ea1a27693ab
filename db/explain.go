package db

import (
	"context"
	"fmt"
	"strings"
)

// explainable are the read queries whose plans the scale benchmark prints, by their sqlc names.
var explainable = map[string]string{
	"ListAccountHistory":     listAccountHistory,
	"StatementBounds":        statementBounds,
	"ListStatementEntries":   listStatementEntries,
	"ReportTransactions":     reportTransactions,
	"ReportAccountsByStatus": reportAccountsByStatus,
	"ReportLedgerTotals":     reportLedgerTotals,
	"ReportFrozenAccounts":   reportFrozenAccounts,
}

// ExplainAnalyze runs the named query (one of the explainable) under EXPLAIN (ANALYZE, BUFFERS)
// with args, in the order its generated method passes them, and returns the plan. The query runs,
// in a read-only transaction that is rolled back.
func (s *Store) ExplainAnalyze(ctx context.Context, name string, args ...any) (string, error) {
	query, ok := explainable[name]
	if !ok {
		return "", fmt.Errorf("no query %s to explain", name)
	}
	tx, err := s.pool.BeginTx(ctx, txRepeatableReadOnly)
	if err != nil {
		return "", fmt.Errorf("begin: %w", err)
	}
	defer func() { _ = tx.Rollback(context.WithoutCancel(ctx)) }()
	if name == "ReportTransactions" { // as TransactionsReportTx runs it
		if _, err := tx.Exec(ctx, reportSettings); err != nil {
			return "", fmt.Errorf("report settings: %w", err)
		}
	}
	rows, err := tx.Query(ctx, "EXPLAIN (ANALYZE, BUFFERS) "+query, args...)
	if err != nil {
		return "", fmt.Errorf("explain %s: %w", name, err)
	}
	defer rows.Close()
	var plan strings.Builder
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			return "", fmt.Errorf("explain %s: %w", name, err)
		}
		plan.WriteString(line + "\n")
	}
	if err := rows.Err(); err != nil {
		return "", fmt.Errorf("explain %s: %w", name, err)
	}
	return plan.String(), nil
}
