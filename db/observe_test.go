package db_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/bankforge/bank/db"
	"github.com/bankforge/bank/dev/testenv"
	"github.com/bankforge/bank/domain"
)

// observer records what the store tells it, by hand (db.Observer).
type observer struct {
	mu        sync.Mutex
	transfers []string
	freezes   []domain.FreezeStatus
}

var _ db.Observer = (*observer)(nil)

func (o *observer) TransferEnded(kind domain.TransferKind, status domain.TransferStatus, currency string, amount int64) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.transfers = append(o.transfers, fmt.Sprintf("%s %s %d %s", kind, status, amount, currency))
}

func (o *observer) FreezeChanged(status domain.FreezeStatus) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.freezes = append(o.freezes, status)
}

// take returns what was told since the last take.
func (o *observer) take() ([]string, []domain.FreezeStatus) {
	o.mu.Lock()
	defer o.mu.Unlock()
	t, f := o.transfers, o.freezes
	o.transfers, o.freezes = nil, nil
	return t, f
}

// Each transfer's end is told once, when it commits, however many times its step runs (here ten at
// once, then again); a step that changes nothing or is refused tells nothing.
func TestObserver_EachTransferEndToldOnce(t *testing.T) {
	t.Parallel()
	s := testenv.NewStore(t)
	obs := &observer{}
	o := s.Observed(obs)
	ctx := context.Background()
	u, src, dst := fundedPair(t, s, 1000)

	twice := func(name string, step func() error) {
		t.Helper()
		var wg sync.WaitGroup
		for range 10 {
			wg.Go(func() { _ = step() })
		}
		wg.Wait()
		_ = step()
	}
	expect := func(name string, want ...string) {
		t.Helper()
		got, _ := obs.take()
		if !slices.Equal(got, want) {
			t.Errorf("%s told %q; want %q", name, got, want)
		}
	}

	posted := newTransfer(t, s, domain.KindTransfer, u.ID, src, dst, 250)
	if err := s.PlaceHoldTx(ctx, posted, time.Now().Add(time.Minute), db.HoldLimits{}); err != nil {
		t.Fatal(err)
	}
	twice("post", func() error { return o.PostTransferTx(ctx, posted, "transfer/"+posted.ID.String()+"/post") })
	expect("a posting", "transfer completed 250 USD")

	failed := newTransfer(t, s, domain.KindWithdrawal, u.ID, src, dst, 10)
	twice("fail", func() error {
		_, err := o.FailTransferTx(ctx, failed.ID, domain.StepValidate, domain.CodeInsufficientFunds)
		return err
	})
	expect("a failure without a hold", "withdrawal failed 10 USD")

	voided := newTransfer(t, s, domain.KindTransfer, u.ID, src, dst, 20)
	if err := s.PlaceHoldTx(ctx, voided, time.Now().Add(time.Minute), db.HoldLimits{}); err != nil {
		t.Fatal(err)
	}
	if _, err := o.FailTransferTx(ctx, voided.ID, domain.StepPost, domain.CodeInternal); err == nil {
		t.Fatal("failed a transfer that still holds funds")
	}
	expect("a failure refused while the hold stands")
	if _, err := o.VoidHoldTx(ctx, voided.ID); err != nil {
		t.Fatal(err)
	}
	twice("compensate", func() error {
		_, err := o.FailTransferTx(ctx, voided.ID, domain.StepPost, domain.CodeInternal)
		return err
	})
	expect("a compensation", "transfer compensated 20 USD")

	expired := newTransfer(t, s, domain.KindTransfer, u.ID, src, dst, 30)
	if err := s.PlaceHoldTx(ctx, expired, time.Now().Add(-time.Second), db.HoldLimits{}); err != nil {
		t.Fatal(err)
	}
	twice("expire", func() error { _, err := o.ExpireHoldTx(ctx, expired.ID, time.Now()); return err })
	expect("an expired hold", "transfer compensated 30 USD")

	f := freeze(t, s, src, domain.FreezeDebit)
	stopped := newTransfer(t, s, domain.KindTransfer, u.ID, src, dst, 40)
	twice("stop", func() error { _, err := o.StopTransferTx(ctx, stopped.ID, src.ID); return err })
	expect("a transfer a freeze stopped", "transfer failed 40 USD")

	refused := newTransfer(t, s, domain.KindTransfer, u.ID, dst, src, 50)
	if err := o.PostTransferTx(ctx, refused, "transfer/"+refused.ID.String()+"/post"); err == nil {
		t.Fatal("posted a transfer with no hold")
	}
	expect("a posting refused and rolled back")

	if _, err := s.EndFreezeTx(ctx, src.ID, f.FrozenBy, "cleared"); err != nil {
		t.Fatal(err)
	}
	// A store that is not observed tells nothing.
	other := newTransfer(t, s, domain.KindTransfer, u.ID, src, dst, 60)
	if err := move(ctx, s, other); err != nil {
		t.Fatal(err)
	}
	expect("a store without an observer")
}

// Each freeze's change is told once, when it commits: in force, then ended or failed.
func TestObserver_EachFreezeChangeToldOnce(t *testing.T) {
	t.Parallel()
	s := testenv.NewStore(t)
	obs := &observer{}
	o := s.Observed(obs)
	ctx := context.Background()
	_, a, b := fundedPair(t, s, 100)
	admin := newUser(t, s)
	expect := func(name string, want ...domain.FreezeStatus) {
		t.Helper()
		if _, got := obs.take(); !slices.Equal(got, want) {
			t.Errorf("%s told %v; want %v", name, got, want)
		}
	}

	rec, err := o.RecordFreezeTx(ctx, freezeRequest(admin, a, domain.FreezeFull, nil))
	if err != nil {
		t.Fatal(err)
	}
	expect("a freeze recorded")
	for range 2 {
		if _, err := o.ApplyFreezeTx(ctx, rec.Freeze.ID); err != nil {
			t.Fatal(err)
		}
	}
	expect("a freeze applied twice", domain.FreezeActive)
	if _, err := o.EndFreezeTx(ctx, a.ID, admin.ID, "cleared"); err != nil {
		t.Fatal(err)
	}
	if _, err := o.EndFreezeTx(ctx, a.ID, admin.ID, "cleared"); err == nil {
		t.Fatal("unfroze an account with no freeze")
	}
	if _, err := o.FailFreezeTx(ctx, rec.Freeze.ID, domain.CodeInternal); err != nil {
		t.Fatal(err)
	}
	expect("an unfreeze, then one refused and a failure of an ended freeze", domain.FreezeEnded)

	rec, err = o.RecordFreezeTx(ctx, freezeRequest(admin, b, domain.FreezeDebit, nil))
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if _, err := o.FailFreezeTx(ctx, rec.Freeze.ID, domain.CodeInternal); err != nil {
			t.Fatal(err)
		}
	}
	expect("a pending freeze failed twice", domain.FreezeFailed)
}
