package e2e

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/bankforge/bank/domain"
)

// The worker is killed with SIGKILL while transfers run, and more arrive while it is down. Once it
// is back, every transfer ends; each completed one moved its money exactly once and the others
// none, and the ledger holds (acknowledged means durable, every outcome resolves, at most once).
func TestCrash_WorkerKilledMidTransfers(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	alice, bob := register(t, "USD"), register(t, "USD")
	depositTo(t, alice.account, 1000_00)

	var ids []string
	send := func(n int) {
		for range n {
			tr, _, err := alice.c.Transfer(ctx, alice.account.ID, bob.account.ID, 1_00, "USD", "crash-"+uuid.NewString())
			if err != nil {
				t.Fatalf("transfer: %v", err)
			}
			ids = append(ids, tr.ID)
		}
	}
	send(20)
	var inFlight int
	if err := sys.Store.Pool().QueryRow(ctx, "SELECT count(*) FROM transfers WHERE id = ANY($1::uuid[]) AND status = 'pending'", ids).Scan(&inFlight); err != nil {
		t.Fatal(err)
	}
	restart, err := sys.Stack.Kill("worker")
	if err != nil {
		t.Fatal(err)
	}
	send(10) // accepted while no worker runs
	time.Sleep(500 * time.Millisecond)
	if err := restart(); err != nil {
		t.Fatalf("restart worker: %v", err)
	}

	completed := int64(0)
	for _, id := range ids {
		tr, err := alice.c.WaitTransfer(ctx, id, 10*time.Second)
		if err != nil {
			t.Fatalf("transfer %s: %v", id, err)
		}
		if tr.Status != domain.TransferCompleted {
			t.Fatalf("transfer %s ended %s (%v); with the worker back and money enough, every transfer completes", id, tr.Status, tr.FailureCode)
		}
		completed++
	}
	t.Logf("%d of the first 20 transfers were in flight when the worker was killed; 10 more arrived while it was down", inFlight)
	if a := balanceOf(t, alice.c, alice.account.ID); a.Balance != 1000_00-completed*1_00 || a.AvailableBalance != a.Balance {
		t.Fatalf("alice %+v after %d completed transfers", a, completed)
	}
	if b := balanceOf(t, bob.c, bob.account.ID); b.Balance != completed*1_00 {
		t.Fatalf("bob %d after %d completed transfers", b.Balance, completed)
	}
	requireLedgerOK(t)
}
