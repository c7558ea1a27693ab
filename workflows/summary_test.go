package workflows_test

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/bankforge/bank/domain"
	"github.com/bankforge/bank/workflows"
)

// Each workflow's one line in the web UI: what it is, the amount, the last four digits of its
// accounts, and never a whole account number.
func TestSummaries(t *testing.T) {
	t.Parallel()
	until := time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC)
	transfer := workflows.TransferInput{
		Kind: domain.KindTransfer, FromAccountNumber: "401234561234", ToAccountNumber: "409876545678",
		Amount: 1250, Currency: "EUR", Exponent: 2,
	}
	deposit, withdrawal, yen := transfer, transfer, transfer
	deposit.Kind, deposit.Amount, deposit.Currency = domain.KindDeposit, 10000, "USD"
	withdrawal.Kind, withdrawal.Amount, withdrawal.Currency = domain.KindWithdrawal, 5000, "USD"
	yen.Amount, yen.Currency, yen.Exponent = 1235, "JPY", 0
	for _, c := range []struct{ got, want string }{
		{workflows.TransferSummary(transfer), "Transfer 12.50 EUR from …1234 to …5678"},
		{workflows.TransferSummary(deposit), "Deposit 100.00 USD into …5678"},
		{workflows.TransferSummary(withdrawal), "Withdrawal 50.00 USD from …1234"},
		{workflows.TransferSummary(yen), "Transfer 1235 JPY from …1234 to …5678"},
		{workflows.FreezeSummary(workflows.FreezeInput{AccountNumber: "401234561234", Reason: domain.FreezeLegalOrder, Scope: domain.FreezeFull, Until: &until}),
			"Full freeze of …1234 (legal_order) until 2026-02-01 00:00 UTC"},
		{workflows.FreezeSummary(workflows.FreezeInput{AccountNumber: "100000017", Reason: domain.FreezeSuspectedFraud, Scope: domain.FreezeDebit}),
			"Debit freeze of …0017 (suspected_fraud) until unfrozen"},
		{workflows.CashApprovalSummary(workflows.CashApprovalInput{Kind: domain.KindDeposit, AccountNumber: "401234561234",
			Amount: 1_500_000, Currency: "USD", Exponent: 2, ExpiresAt: until.Add(10 * time.Hour)}),
			"Approval of a deposit of 15000.00 USD into …1234, expires 2026-02-01 10:00 UTC"},
		{workflows.CashApprovalSummary(workflows.CashApprovalInput{Kind: domain.KindWithdrawal, AccountNumber: "401234561234",
			Amount: 2_000_000, Currency: "COP", Exponent: 2, ExpiresAt: until}),
			"Approval of a withdrawal of 20000.00 COP from …1234, expires 2026-02-01 00:00 UTC"},
		{workflows.RegisterSummary(workflows.RegisterInput{RegistrationID: "r-1", Currency: "EUR"}), "Registration opening a EUR account"},
	} {
		require.Equal(t, c.want, c.got)
		for _, number := range []string{"401234561234", "409876545678", "100000017", "1234561234"} {
			require.False(t, strings.Contains(c.got, number), "%q shows an account number", c.got)
		}
	}
}
