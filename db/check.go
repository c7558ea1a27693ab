package db

import (
	"context"
	"fmt"

	"github.com/bankforge/bank/domain"
)

// LedgerReport lists every violation of the ledger's invariants found in one consistent snapshot.
type LedgerReport struct {
	OK         bool     `json:"ok"`
	Violations []string `json:"violations"`
}

// CheckLedger verifies, in one repeatable-read snapshot: conservation per currency (INV-1), no
// negative customer balance (INV-2), balances equal to their postings (INV-3), on-hold amounts equal to
// the active holds, balanced transactions, and at most one posting per transfer (INV-4).
func (s *Store) CheckLedger(ctx context.Context) (LedgerReport, error) {
	report := LedgerReport{Violations: []string{}}
	tx, err := s.pool.BeginTx(ctx, txRepeatableReadOnly)
	if err != nil {
		return report, fmt.Errorf("begin: %w", err)
	}
	defer func() { _ = tx.Rollback(context.WithoutCancel(ctx)) }()
	q := s.WithTx(tx)
	add := func(format string, args ...any) {
		report.Violations = append(report.Violations, fmt.Sprintf(format, args...))
	}

	totals, err := q.CheckConservation(ctx)
	if err != nil {
		return report, fmt.Errorf("check conservation: %w", err)
	}
	for _, r := range totals {
		add("INV-1 conservation: %s accounts sum to %d, not 0", r.Currency, r.Total)
	}
	negative, err := q.CheckNegativeCustomerBalances(ctx, domain.AccountCustomer)
	if err != nil {
		return report, fmt.Errorf("check negative balances: %w", err)
	}
	for _, r := range negative {
		add("INV-2 negative balance: account %s has balance %d and holds %d", r.Number, r.Balance, r.OnHold)
	}
	mismatched, err := q.CheckBalancesMatchPostings(ctx)
	if err != nil {
		return report, fmt.Errorf("check balances: %w", err)
	}
	for _, r := range mismatched {
		add("INV-3 ledger = balance: account %s has balance %d but postings sum to %d", r.Number, r.Balance, r.PostingsTotal)
	}
	held, err := q.CheckOnHoldMatchesHolds(ctx, domain.HoldActive)
	if err != nil {
		return report, fmt.Errorf("check holds: %w", err)
	}
	for _, r := range held {
		add("holds: account %s has %d on hold but its active holds sum to %d", r.Number, r.OnHold, r.HoldsTotal)
	}
	unbalanced, err := q.CheckUnbalancedTransactions(ctx)
	if err != nil {
		return report, fmt.Errorf("check transactions: %w", err)
	}
	for _, r := range unbalanced {
		add("double entry: transaction %s sums to %d %s", r.TransactionID, r.Total, r.Currency)
	}
	posted, err := q.CheckTransfersPostedOnce(ctx, domain.TransferCompleted)
	if err != nil {
		return report, fmt.Errorf("check postings per transfer: %w", err)
	}
	for _, r := range posted {
		add("INV-4 at most once: transfer %s (%s) has %d ledger transactions", r.ID, r.Status, r.Transactions)
	}
	report.OK = len(report.Violations) == 0
	return report, nil
}
