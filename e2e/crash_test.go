package e2e

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/bankforge/bank/domain"
)

// The worker is killed with SIGKILL while at least one transfer holds its funds but has not yet
// posted, and more transfers arrive while it is down. Once it is back, every transfer ends; each
// completed one moved its money exactly once and the others none, and the ledger holds
// (acknowledged means durable, every outcome resolves, at most once).
func TestCrash_WorkerKilledMidTransfers(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	alice, bob := register(t, "USD"), register(t, "USD")
	depositTo(t, alice.account, 1000_00)

	var mu sync.Mutex
	var ids []string
	send := func(n int) {
		for range n {
			tr, _, err := alice.c.Transfer(ctx, alice.account.ID, bob.account.ID, 1_00, "USD", "crash-"+uuid.NewString())
			if err != nil {
				t.Errorf("transfer: %v", err)
				return
			}
			mu.Lock()
			ids = append(ids, tr.ID)
			mu.Unlock()
		}
	}
	activeHolds := func() int {
		var n int
		if err := sys.Store.Pool().QueryRow(ctx, "SELECT count(*) FROM holds WHERE account_id = $1 AND status = 'active'", alice.account.ID).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}

	// Send transfers in the background and kill the worker as soon as one holds funds. A hold still
	// active once the worker is dead belonged to a transfer between reserve and post at the kill;
	// if all had posted in between, let the worker finish and try again.
	var restart func() error
	between := 0
	for attempt := 0; attempt < 10 && between == 0; attempt++ {
		var wg sync.WaitGroup
		sent := make(chan struct{})
		wg.Add(4)
		for range 4 {
			go func() { defer wg.Done(); send(5) }()
		}
		go func() { wg.Wait(); close(sent) }()
		for done := false; !done && activeHolds() == 0; {
			select {
			case <-sent:
				done = true
			default:
			}
		}
		var err error
		if restart, err = sys.Stack.Kill("worker"); err != nil {
			t.Fatal(err)
		}
		between = activeHolds()
		<-sent
		if between == 0 {
			if err := restart(); err != nil {
				t.Fatalf("restart worker: %v", err)
			}
		}
	}
	if between == 0 {
		t.Fatal("the worker was never killed while a transfer held funds unposted")
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
	t.Logf("%d transfers held funds unposted when the worker was killed; %d transfers in all", between, len(ids))
	if n := activeHolds(); n != 0 {
		t.Fatalf("%d holds still active after every transfer ended", n)
	}
	if a := balanceOf(t, alice.c, alice.account.ID); a.Balance != 1000_00-completed*1_00 || a.AvailableBalance != a.Balance {
		t.Fatalf("alice %+v after %d completed transfers", a, completed)
	}
	if b := balanceOf(t, bob.c, bob.account.ID); b.Balance != completed*1_00 {
		t.Fatalf("bob %d after %d completed transfers", b.Balance, completed)
	}
	requireLedgerOK(t)
}
