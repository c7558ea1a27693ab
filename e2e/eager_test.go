package e2e

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/bankforge/bank/dev/testenv"
	"github.com/bankforge/bank/domain"
)

// With TRANSFER_EAGER_START, the API starts transfers eagerly and runs their first workflow task
// in its own worker; the bank behaves the same.
func TestEagerStart_TransfersBehaveTheSame(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	eager, stop, err := testenv.StartSystem(ctx, "TRANSFER_EAGER_START=true")
	if err != nil {
		t.Fatalf("start the system with eager start: %v", err)
	}
	defer stop()
	shared := sys
	sys = eager // the helpers below talk to sys
	defer func() { sys = shared }()

	alice, bob := register(t, "USD"), register(t, "USD")
	depositTo(t, alice.account, 20_00)
	for _, c := range []struct {
		amount int64
		want   domain.TransferStatus
	}{{5_00, domain.TransferCompleted}, {50_00, domain.TransferFailed}} {
		tr, _, err := alice.c.Transfer(ctx, alice.account.ID, bob.account.ID, c.amount, "USD", "eager-"+uuid.NewString())
		if err != nil {
			t.Fatal(err)
		}
		if got := waitTransfer(t, alice.c, tr.ID); got.Status != c.want {
			t.Fatalf("transfer of %d ended %s; want %s", c.amount, got.Status, c.want)
		}
	}
	if b := balanceOf(t, bob.c, bob.account.ID); b.Balance != 5_00 {
		t.Fatalf("bob %d; want 500", b.Balance)
	}
	requireLedgerOK(t)
}
