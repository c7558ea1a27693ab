package db_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/bankforge/bank/db"
	"github.com/bankforge/bank/dev/testenv"
	"github.com/bankforge/bank/domain"
)

func freezeRequest(by db.User, a db.Account, scope domain.FreezeScope, until *time.Time) db.FreezeRequest {
	return db.FreezeRequest{
		ID: uuid.New(), AccountID: a.ID, Reason: domain.FreezeSuspectedFraud, Note: "case 42", Scope: scope, Until: until,
		RequestedBy: by.ID, WorkflowID: func(n int32) string { return fmt.Sprintf("freeze-%s-%d", a.ID, n) },
	}
}

// freeze records a freeze of a by an admin and puts it in force, as the API and the freeze's
// workflow do.
func freeze(t *testing.T, s *db.Store, a db.Account, scope domain.FreezeScope) db.Freeze {
	t.Helper()
	ctx := context.Background()
	rec, err := s.RecordFreezeTx(ctx, freezeRequest(newUser(t, s), a, scope, nil))
	if err != nil {
		t.Fatalf("record freeze: %v", err)
	}
	f, err := s.ApplyFreezeTx(ctx, rec.Freeze.ID)
	if err != nil || f.Status != domain.FreezeActive {
		t.Fatalf("apply freeze: %+v, %v", f, err)
	}
	return f
}

// INV-7: 50 transfers out of an account race its freeze. Every posting on the account commits before
// the freeze's (its balance never drops below the balance the freeze saw under the account's lock),
// or not at all: each transfer refused moved nothing and holds nothing.
func TestFreeze_RacingDebitsPostBeforeTheFreezeOrNotAtAll(t *testing.T) {
	t.Parallel()
	s := testenv.NewStore(t)
	ctx := context.Background()
	u, src, dst := fundedPair(t, s, 1000)
	rec, err := s.RecordFreezeTx(ctx, freezeRequest(newUser(t, s), src, domain.FreezeFull, nil))
	if err != nil {
		t.Fatal(err)
	}
	transfers := make([]db.Transfer, 50)
	for i := range transfers {
		transfers[i] = newTransfer(t, s, domain.KindTransfer, u.ID, src, dst, 10)
	}

	var posted, refused atomic.Int32
	outcome := make([]error, len(transfers))
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i, tr := range transfers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			time.Sleep(time.Duration(i) * 2 * time.Millisecond) // in flight all along the freeze
			err := move(ctx, s, tr)
			outcome[i] = err
			switch {
			case err == nil:
				posted.Add(1)
			case errors.Is(err, domain.ErrAccountFrozen):
				refused.Add(1)
				if _, err := s.VoidHoldTx(ctx, tr.ID); err != nil { // the saga's compensation
					t.Errorf("void hold: %v", err)
				}
			default:
				t.Errorf("transfer %d: %v; want posted or account_frozen", i, err)
			}
		}()
	}
	var frozen db.Freeze
	wg.Add(1)
	go func() {
		defer wg.Done()
		<-start
		for posted.Load() < 5 && posted.Load()+refused.Load() < int32(len(transfers)) {
			time.Sleep(time.Millisecond)
		}
		var err error
		if frozen, err = s.ApplyFreezeTx(ctx, rec.Freeze.ID); err != nil {
			t.Errorf("apply freeze: %v", err)
			return
		}
		// The freeze's workflow then stops the transfers it caught in flight.
		pending, err := s.ListPendingTransfersOfAccount(ctx, db.ListPendingTransfersOfAccountParams{
			AccountID: src.ID, Pending: domain.TransferPending, Incoming: true, MaxRows: 100,
		})
		if err != nil {
			t.Errorf("list pending: %v", err)
			return
		}
		for _, id := range pending {
			if _, err := s.StopTransferTx(ctx, id, src.ID); err != nil {
				t.Errorf("stop transfer: %v", err)
			}
		}
	}()
	close(start)
	wg.Wait()
	if t.Failed() {
		return
	}
	if posted.Load() < 5 || refused.Load() == 0 {
		t.Fatalf("posted %d, refused %d: the freeze did not land among the transfers in flight", posted.Load(), refused.Load())
	}
	t.Logf("%d transfers posted before the freeze, %d refused after it", posted.Load(), refused.Load())

	at := *frozen.BalanceAtFreeze
	got := balance(t, s, src)
	if got.Balance != at || got.Balance != 1000-10*int64(posted.Load()) || got.OnHold != 0 {
		t.Fatalf("balance %d (on hold %d); the freeze saw %d and %d transfers posted: a debit committed after the freeze",
			got.Balance, got.OnHold, at, posted.Load())
	}
	var after int
	if err := s.Pool().QueryRow(ctx, "SELECT count(*) FROM postings WHERE account_id = $1 AND balance_after < $2", src.ID, at).Scan(&after); err != nil || after != 0 {
		t.Fatalf("%d postings after the freeze (%v)", after, err)
	}
	for i, tr := range transfers {
		var legs int
		if err := s.Pool().QueryRow(ctx, "SELECT count(*) FROM ledger_transactions WHERE transfer_id = $1", tr.ID).Scan(&legs); err != nil {
			t.Fatal(err)
		}
		if (outcome[i] == nil) != (legs == 1) {
			t.Fatalf("transfer %d ended %v with %d ledger transactions", i, outcome[i], legs)
		}
		if got, _ := s.GetTransfer(ctx, tr.ID); outcome[i] == nil && got.Status != domain.TransferCompleted {
			t.Fatalf("posted transfer %d is %s", i, got.Status)
		}
	}
	requireLedgerOK(t, s)
}

// A debit freeze lets money in and none out; a full freeze lets nothing through. Every refusal is
// account_frozen, before anything is reserved or at the posting.
func TestFreeze_ScopeDecidesWhatMoves(t *testing.T) {
	t.Parallel()
	s := testenv.NewStore(t)
	ctx := context.Background()
	for _, scope := range domain.FreezeScopes {
		t.Run(string(scope), func(t *testing.T) {
			u, src, other := fundedPair(t, s, 500)
			deposit(t, s, u, other, 500)
			out := newTransfer(t, s, domain.KindTransfer, u.ID, src, other, 100)
			in := newTransfer(t, s, domain.KindTransfer, u.ID, other, src, 100)
			// Held before the freeze, posted after it.
			for _, tr := range []db.Transfer{out, in} {
				if err := s.PlaceHoldTx(ctx, tr, time.Now().Add(time.Minute), db.HoldLimits{}); err != nil {
					t.Fatal(err)
				}
			}
			freeze(t, s, src, scope)
			if err := s.PostTransferTx(ctx, out, "transfer/"+out.ID.String()+"/post"); !errors.Is(err, domain.ErrAccountFrozen) {
				t.Fatalf("post out of a %s freeze: %v; want account_frozen", scope, err)
			}
			err := s.PostTransferTx(ctx, in, "transfer/"+in.ID.String()+"/post")
			if scope == domain.FreezeDebit && err != nil {
				t.Fatalf("post into a debit freeze: %v; want it posted", err)
			}
			if scope == domain.FreezeFull && !errors.Is(err, domain.ErrAccountFrozen) {
				t.Fatalf("post into a full freeze: %v; want account_frozen", err)
			}
			later := newTransfer(t, s, domain.KindTransfer, u.ID, src, other, 1)
			if err := s.PlaceHoldTx(ctx, later, time.Now().Add(time.Minute), db.HoldLimits{}); !errors.Is(err, domain.ErrAccountFrozen) {
				t.Fatalf("hold on a frozen account: %v; want account_frozen", err)
			}
			if err := s.CheckMovement(ctx, balance(t, s, other), balance(t, s, src)); (scope == domain.FreezeFull) != errors.Is(err, domain.ErrAccountFrozen) {
				t.Fatalf("check incoming under %s: %v", scope, err)
			}
			want := int64(500)
			if scope == domain.FreezeDebit {
				want = 600
			}
			if got := balance(t, s, src); got.Balance != want {
				t.Fatalf("balance %d; want %d", got.Balance, want)
			}
		})
	}
}

// The transfers a freeze catches in flight end with account_frozen, their holds voided, once: those
// out of the account always, those into it only under a full freeze.
func TestFreeze_StopTransferEndsWhatTheFreezeCatches(t *testing.T) {
	t.Parallel()
	s := testenv.NewStore(t)
	ctx := context.Background()
	u, src, other := fundedPair(t, s, 500)
	deposit(t, s, u, other, 500)
	held := newTransfer(t, s, domain.KindTransfer, u.ID, src, other, 100)
	if err := s.PlaceHoldTx(ctx, held, time.Now().Add(time.Minute), db.HoldLimits{}); err != nil {
		t.Fatal(err)
	}
	unheld := newTransfer(t, s, domain.KindTransfer, u.ID, src, other, 100)
	incoming := newTransfer(t, s, domain.KindTransfer, u.ID, other, src, 100)
	if err := s.PlaceHoldTx(ctx, incoming, time.Now().Add(time.Minute), db.HoldLimits{}); err != nil {
		t.Fatal(err)
	}
	f := freeze(t, s, src, domain.FreezeDebit)

	for _, c := range []struct {
		tr   db.Transfer
		want domain.TransferStatus // pending: left as it is
	}{{held, domain.TransferCompensated}, {unheld, domain.TransferFailed}, {incoming, domain.TransferPending}} {
		for run, wantStopped := range []bool{c.want != domain.TransferPending, false} {
			stopped, err := s.StopTransferTx(ctx, c.tr.ID, src.ID)
			if err != nil || stopped != wantStopped {
				t.Fatalf("stop #%d of a transfer to end %s: %v, %v", run+1, c.want, stopped, err)
			}
		}
		got, _ := s.GetTransfer(ctx, c.tr.ID)
		if got.Status != c.want || (c.want != domain.TransferPending && (got.FailureCode == nil || *got.FailureCode != domain.CodeAccountFrozen)) {
			t.Fatalf("transfer ended %s (%v); want %s with account_frozen", got.Status, got.FailureCode, c.want)
		}
	}
	if got := balance(t, s, src); got.Balance != 500 || got.OnHold != 0 {
		t.Fatalf("after the stop: balance %d, on hold %d; want 500 and 0", got.Balance, got.OnHold)
	}
	// The incoming one still posts under a debit freeze; once unfrozen, nothing is stopped.
	if err := s.PostTransferTx(ctx, incoming, "transfer/"+incoming.ID.String()+"/post"); err != nil {
		t.Fatalf("incoming under a debit freeze: %v", err)
	}
	if _, err := s.EndFreezeTx(ctx, src.ID, f.FrozenBy, "cleared"); err != nil {
		t.Fatal(err)
	}
	late := newTransfer(t, s, domain.KindTransfer, u.ID, src, other, 100)
	if stopped, err := s.StopTransferTx(ctx, late.ID, src.ID); err != nil || stopped {
		t.Fatalf("stop after the unfreeze: %v, %v; want nothing stopped", stopped, err)
	}
	requireLedgerOK(t, s)
}

// A transfer a full freeze of its destination stopped before its hold was placed gets no hold when
// its workflow reaches that step, even once the account is unfrozen: it is refused as it ended, and
// nothing stays reserved on the source for a transfer that can no longer move money. One that its
// workflow failed for another reason gets none either.
func TestFreeze_StoppedTransferGetsNoHold(t *testing.T) {
	t.Parallel()
	s := testenv.NewStore(t)
	ctx := context.Background()
	u, src, dst := fundedPair(t, s, 500)
	tr := newTransfer(t, s, domain.KindTransfer, u.ID, src, dst, 100)
	f := freeze(t, s, dst, domain.FreezeFull)
	if stopped, err := s.StopTransferTx(ctx, tr.ID, dst.ID); err != nil || !stopped {
		t.Fatalf("stop: %v, %v; want the transfer stopped", stopped, err)
	}
	if _, err := s.EndFreezeTx(ctx, dst.ID, f.FrozenBy, "cleared"); err != nil {
		t.Fatal(err)
	}
	for run := range 2 {
		if err := s.PlaceHoldTx(ctx, tr, time.Now().Add(time.Minute), db.HoldLimits{}); !errors.Is(err, domain.ErrAccountFrozen) {
			t.Fatalf("hold #%d of a stopped transfer: %v; want account_frozen, the refusal it ended with", run+1, err)
		}
	}

	failed := newTransfer(t, s, domain.KindTransfer, u.ID, src, dst, 100)
	if status, err := s.FailTransferTx(ctx, failed.ID, domain.StepValidate, domain.CodeInternal); err != nil || status != domain.TransferFailed {
		t.Fatalf("fail: %s, %v", status, err)
	}
	if err := s.PlaceHoldTx(ctx, failed, time.Now().Add(time.Minute), db.HoldLimits{}); !errors.Is(err, db.ErrTransferEnded) {
		t.Fatalf("hold of a failed transfer: %v; want ErrTransferEnded", err)
	}

	for _, id := range []uuid.UUID{tr.ID, failed.ID} {
		if h, err := s.GetHoldByTransfer(ctx, id); !errors.Is(db.NotFound(err), db.ErrNotFound) {
			t.Fatalf("transfer %s has hold %+v (%v); want none", id, h, err)
		}
	}
	if got := balance(t, s, src); got.Balance != 500 || got.OnHold != 0 {
		t.Fatalf("source: balance %d, on hold %d; want 500 and nothing on hold", got.Balance, got.OnHold)
	}
	requireLedgerOK(t, s)
}

// A freeze is recorded once per id, numbered after the account's earlier ones; an account has at most
// one freeze pending or in force; it ends by an admin or, due, by itself, and the history keeps them
// all.
func TestFreeze_LifecycleAndHistory(t *testing.T) {
	t.Parallel()
	s := testenv.NewStore(t)
	ctx := context.Background()
	admin := newUser(t, s)
	_, acc, _ := fundedPair(t, s, 100)

	req := freezeRequest(admin, acc, domain.FreezeFull, nil)
	first, err := s.RecordFreezeTx(ctx, req)
	if err != nil || first.Freeze.Seq != 1 || first.Freeze.WorkflowID != fmt.Sprintf("freeze-%s-1", acc.ID) ||
		first.Operation.Kind != domain.OperationFreeze || first.Operation.UserID == nil || *first.Operation.UserID != admin.ID {
		t.Fatalf("record: %+v, %v", first, err)
	}
	if again, err := s.RecordFreezeTx(ctx, req); err != nil || again.Freeze.ID != first.Freeze.ID || again.Operation.ID != first.Operation.ID {
		t.Fatalf("record again: %+v, %v; want the first record", again, err)
	}
	changed := req
	changed.Scope = domain.FreezeDebit
	if _, err := s.RecordFreezeTx(ctx, changed); !errors.Is(err, db.ErrIDReused) {
		t.Fatalf("same id, another request: %v; want ErrIDReused", err)
	}
	other, err := s.RecordFreezeTx(ctx, freezeRequest(admin, acc, domain.FreezeFull, nil))
	if !errors.Is(err, domain.ErrAlreadyFrozen) || other.Freeze.ID != first.Freeze.ID {
		t.Fatalf("second freeze while one is pending: %+v, %v; want already_frozen naming the pending one", other.Freeze, err)
	}
	if _, err := s.EndFreezeTx(ctx, acc.ID, admin.ID, "too soon"); !errors.Is(err, db.ErrNotFrozen) {
		t.Fatalf("unfreeze of a pending freeze: %v; want ErrNotFrozen", err)
	}

	for range 2 {
		f, err := s.ApplyFreezeTx(ctx, first.Freeze.ID)
		if err != nil || f.Status != domain.FreezeActive || f.FrozenAt == nil || *f.BalanceAtFreeze != 100 {
			t.Fatalf("apply: %+v, %v", f, err)
		}
	}
	if got := balance(t, s, acc); got.Status != domain.AccountFrozen {
		t.Fatalf("account %s; want frozen", got.Status)
	}
	if f, err := s.EndDueFreezeTx(ctx, first.Freeze.ID); err != nil || f.Status != domain.FreezeActive {
		t.Fatalf("a freeze without an end is never due: %+v, %v", f, err)
	}
	ended, err := s.EndFreezeTx(ctx, acc.ID, admin.ID, "cleared")
	if err != nil || ended.Status != domain.FreezeEnded || ended.EndedBy == nil || *ended.EndedBy != admin.ID || ended.EndNote != "cleared" {
		t.Fatalf("unfreeze: %+v, %v", ended, err)
	}
	if _, err := s.EndFreezeTx(ctx, acc.ID, admin.ID, "again"); !errors.Is(err, db.ErrNotFrozen) {
		t.Fatalf("second unfreeze: %v; want ErrNotFrozen", err)
	}

	past := time.Now().Add(-time.Second)
	second, err := s.RecordFreezeTx(ctx, freezeRequest(admin, acc, domain.FreezeDebit, &past))
	if err != nil || second.Freeze.Seq != 2 {
		t.Fatalf("second freeze: %+v, %v", second.Freeze, err)
	}
	if _, err := s.ApplyFreezeTx(ctx, second.Freeze.ID); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		f, err := s.EndDueFreezeTx(ctx, second.Freeze.ID)
		if err != nil || f.Status != domain.FreezeEnded || f.EndedBy != nil {
			t.Fatalf("due end: %+v, %v", f, err)
		}
	}
	if got := balance(t, s, acc); got.Status != domain.AccountActive {
		t.Fatalf("account %s after the end; want active", got.Status)
	}
	history, err := s.ListAccountFreezes(ctx, db.ListAccountFreezesParams{AccountID: acc.ID, PageSize: 10})
	if err != nil || len(history) != 2 || history[0].ID != second.Freeze.ID || history[1].ID != first.Freeze.ID {
		t.Fatalf("history: %d freezes, %v", len(history), err)
	}
}

// A freeze that cannot be carried through is lifted: pending, it fails; in force, it fails and its
// account is active again; once ended, it stays as it is.
func TestFreeze_FailLiftsIt(t *testing.T) {
	t.Parallel()
	s := testenv.NewStore(t)
	ctx := context.Background()
	admin := newUser(t, s)
	_, acc, _ := fundedPair(t, s, 100)
	pending, err := s.RecordFreezeTx(ctx, freezeRequest(admin, acc, domain.FreezeFull, nil))
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if f, err := s.FailFreezeTx(ctx, pending.Freeze.ID, domain.CodeInternal); err != nil || f.Status != domain.FreezeFailed || *f.FailureCode != domain.CodeInternal {
			t.Fatalf("fail a pending freeze: %+v, %v", f, err)
		}
	}
	active := freeze(t, s, acc, domain.FreezeFull)
	if f, err := s.FailFreezeTx(ctx, active.ID, domain.CodeInternal); err != nil || f.Status != domain.FreezeFailed {
		t.Fatalf("fail an active freeze: %+v, %v", f, err)
	}
	if got := balance(t, s, acc); got.Status != domain.AccountActive {
		t.Fatalf("account %s after the lift; want active", got.Status)
	}
	if f, err := s.ApplyFreezeTx(ctx, active.ID); err != nil || f.Status != domain.FreezeFailed {
		t.Fatalf("apply after the lift: %+v, %v; want it left failed", f, err)
	}
}

// The database keeps freezes as they were asked for and in step with their accounts, whatever a
// statement of the application's role tries.
func TestSeal_Freezes(t *testing.T) {
	t.Parallel()
	s := newSealed(t)
	f := freeze(t, s.app, s.account, domain.FreezeDebit)
	for _, c := range []struct {
		name, sql       string
		args            []any
		code, constrain string
	}{
		{"delete", "DELETE FROM freezes WHERE id = $1", []any{f.ID}, restrictViolation, "freezes_no_delete"},
		{"rewrite the reason", "UPDATE freezes SET reason = 'other', note = 'x' WHERE id = $1", []any{f.ID}, checkViolation, "freezes_final"},
		{"back to pending", "UPDATE freezes SET status = 'pending', frozen_at = NULL, balance_at_freeze = NULL WHERE id = $1", []any{f.ID}, checkViolation, "freezes_final"},
		{"unfreeze the account alone", "UPDATE accounts SET status = 'active' WHERE id = $1", []any{s.account.ID}, checkViolation, "freezes_account_status"},
		{"end the freeze alone", "UPDATE freezes SET status = 'ended', ended_at = now() WHERE id = $1", []any{f.ID}, checkViolation, "freezes_account_status"},
		{"a second open freeze", `INSERT INTO freezes (id, account_id, seq, reason, scope, frozen_by, workflow_id)
			VALUES (gen_random_uuid(), $1, 9, 'legal_order', 'full', $2, 'freeze-x-9')`, []any{s.account.ID, f.FrozenBy}, uniqueViolation, "freezes_one_open_per_account"},
		{"other without a note", `INSERT INTO freezes (id, account_id, seq, reason, scope, frozen_by, workflow_id)
			VALUES (gen_random_uuid(), $1, 9, 'other', 'full', $2, 'freeze-x-9')`, []any{s.cash.ID, f.FrozenBy}, checkViolation, "freezes_note_for_other"},
	} {
		t.Run(c.name, func(t *testing.T) {
			requireCode(t, s.inTx(t, func(ctx context.Context, tx pgx.Tx) error {
				_, err := tx.Exec(ctx, c.sql, c.args...)
				return err
			}), c.code, c.constrain)
		})
	}
	// A frozen account without a freeze on record is refused too.
	_, other, _ := fundedPair(t, s.app, 10)
	requireCode(t, s.inTx(t, func(ctx context.Context, tx pgx.Tx) error {
		_, err := tx.Exec(ctx, "UPDATE accounts SET status = 'frozen' WHERE id = $1", other.ID)
		return err
	}), checkViolation, "freezes_account_status")

	// A raw posting that takes money out of the frozen account is refused; one that brings money
	// into it passes a debit freeze.
	requireCode(t, s.inTx(t, func(ctx context.Context, tx pgx.Tx) error {
		txID, err := s.ledgerTransaction(ctx, tx)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, "UPDATE accounts SET balance = balance - 10 WHERE id = $1", s.account.ID); err != nil {
			return err
		}
		return insertPosting(ctx, tx, txID, s.account, -10, "USD", s.account.Balance-10)
	}), checkViolation, "postings_account_frozen")
	if err := s.inTx(t, func(ctx context.Context, tx pgx.Tx) error {
		txID, err := s.ledgerTransaction(ctx, tx)
		if err != nil {
			return err
		}
		for _, leg := range []struct {
			a      db.Account
			amount int64
		}{{s.cash, -10}, {s.account, 10}} {
			var after int64
			if err := tx.QueryRow(ctx, "UPDATE accounts SET balance = balance + $2 WHERE id = $1 RETURNING balance", leg.a.ID, leg.amount).Scan(&after); err != nil {
				return err
			}
			if err := insertPosting(ctx, tx, txID, leg.a, leg.amount, "USD", after); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatalf("a credit to an account under a debit freeze: %v", err)
	}
}
