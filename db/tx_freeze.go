package db

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/bankforge/bank/db/internal/ledgersql"
	"github.com/bankforge/bank/domain"
)

// Freezing accounts. The API records a freeze pending (RecordFreezeTx); its workflow puts it in
// force (ApplyFreezeTx), stops the transfers in flight that it catches (StopTransferTx), and ends it
// when its end comes (EndDueFreezeTx), unless an admin unfroze the account first (EndFreezeTx); a
// freeze that cannot be carried through is lifted (FailFreezeTx). Each locks the account first, as
// the ledger's transactions do, so a freeze and a posting on one account are serialised: from the
// freeze's commit on, no money leaves the account (and, in full, none enters it).

// ErrNotFrozen means an unfreeze found no freeze in force on the account.
var ErrNotFrozen = errors.New("the account has no freeze in force")

// FreezeRequest is an admin's request to freeze a customer account.
type FreezeRequest struct {
	// ID names the freeze and its operation; the API derives it from the admin and the
	// Idempotency-Key.
	ID          uuid.UUID
	AccountID   uuid.UUID
	Reason      domain.FreezeReason
	Note        string
	Scope       domain.FreezeScope
	Until       *time.Time
	RequestedBy uuid.UUID
	// WorkflowID names the workflow of the account's seq-th freeze.
	WorkflowID func(seq int32) string
}

// FreezeRecord is what a freeze request recorded: the pending freeze and the operation its admin
// polls.
type FreezeRecord struct {
	Freeze    Freeze
	Operation Operation
}

// RecordFreezeTx records a freeze request once per id: the pending freeze, numbered after the
// account's earlier freezes, and its operation. A request recorded before under the same id is
// returned as it was recorded, or refused with ErrIDReused when it differs. Under the account's
// lock, it refuses with domain.ErrAlreadyFrozen, recording nothing, when the account is frozen or
// has a freeze being applied (returned in the record), and with domain.ErrAccountNotActive when the
// account is closed.
func (s *Store) RecordFreezeTx(ctx context.Context, req FreezeRequest) (FreezeRecord, error) {
	var rec FreezeRecord
	err := s.InTx(ctx, func(q *Queries) error {
		accounts, err := q.LockAccounts(ctx, []uuid.UUID{req.AccountID})
		if err != nil {
			return fmt.Errorf("lock account: %w", err)
		}
		if len(accounts) != 1 || accounts[0].Kind != domain.AccountCustomer {
			return fmt.Errorf("lock account: %w", ErrNotFound)
		}
		account := accounts[0]
		f, err := q.GetFreeze(ctx, req.ID)
		switch err = NotFound(err); {
		case err == nil:
			if !freezeRecordedAs(f, req) {
				return ErrIDReused
			}
			op, err := q.GetOperation(ctx, f.ID.String())
			if err != nil {
				return fmt.Errorf("get operation: %w", NotFound(err))
			}
			rec = FreezeRecord{Freeze: f, Operation: op}
			return nil
		case !errors.Is(err, ErrNotFound):
			return fmt.Errorf("get freeze: %w", err)
		}

		open, err := q.GetOpenFreeze(ctx, GetOpenFreezeParams{AccountID: account.ID, Pending: domain.FreezePending, Active: domain.FreezeActive})
		switch err = NotFound(err); {
		case err == nil:
			rec.Freeze = open
			return domain.ErrAlreadyFrozen
		case !errors.Is(err, ErrNotFound):
			return fmt.Errorf("get open freeze: %w", err)
		}
		switch account.Status {
		case domain.AccountFrozen:
			return domain.ErrAlreadyFrozen
		case domain.AccountClosed:
			return domain.ErrAccountNotActive
		}
		seq, err := q.NextFreezeSeq(ctx, account.ID)
		if err != nil {
			return fmt.Errorf("next freeze number: %w", err)
		}
		if f, err = q.CreateFreeze(ctx, CreateFreezeParams{
			ID: req.ID, AccountID: account.ID, Seq: seq, Reason: req.Reason, Note: req.Note, Scope: req.Scope,
			FrozenBy: req.RequestedBy, Until: req.Until, WorkflowID: req.WorkflowID(seq),
		}); err != nil {
			return fmt.Errorf("create freeze: %w", err)
		}
		op, err := q.CreateOperation(ctx, CreateOperationParams{
			ID: f.ID.String(), Kind: domain.OperationFreeze, WorkflowID: f.WorkflowID, UserID: &req.RequestedBy,
		})
		if err != nil {
			return fmt.Errorf("create operation: %w", err)
		}
		rec = FreezeRecord{Freeze: f, Operation: op}
		return nil
	})
	return rec, err
}

// freezeRecordedAs reports whether f is the freeze req asks to record.
func freezeRecordedAs(f Freeze, req FreezeRequest) bool {
	sameUntil := (f.Until == nil) == (req.Until == nil) &&
		(f.Until == nil || f.Until.Truncate(time.Microsecond).Equal(req.Until.Truncate(time.Microsecond)))
	return f.AccountID == req.AccountID && f.Reason == req.Reason && f.Note == req.Note && f.Scope == req.Scope &&
		f.FrozenBy == req.RequestedBy && sameUntil
}

// lockFreeze locks the account of freeze id, then the freeze, in the order every writer of accounts
// uses, and returns both.
func lockFreeze(ctx context.Context, q *Queries, id uuid.UUID) (Freeze, Account, error) {
	f, err := q.GetFreeze(ctx, id)
	if err != nil {
		return Freeze{}, Account{}, fmt.Errorf("get freeze: %w", NotFound(err))
	}
	accounts, err := q.LockAccounts(ctx, []uuid.UUID{f.AccountID})
	if err != nil {
		return Freeze{}, Account{}, fmt.Errorf("lock account: %w", err)
	}
	if len(accounts) != 1 {
		return Freeze{}, Account{}, fmt.Errorf("lock account: %w", ErrNotFound)
	}
	if f, err = q.GetFreezeForUpdate(ctx, id); err != nil {
		return Freeze{}, Account{}, fmt.Errorf("get freeze: %w", NotFound(err))
	}
	return f, accounts[0], nil
}

// ApplyFreezeTx puts a pending freeze in force: in one transaction, under the account's lock, the
// account becomes frozen and the freeze active, with the time and the account's balance. A freeze
// no longer pending is returned as it is, so running it again changes nothing. It refuses with
// domain.ErrAccountNotActive when the account was closed, and domain.ErrAlreadyFrozen when it is
// frozen already; the freeze is then left pending, for its workflow to fail it.
func (s *Store) ApplyFreezeTx(ctx context.Context, id uuid.UUID) (Freeze, error) {
	var out Freeze
	var changed domain.FreezeStatus
	err := s.InTx(ctx, func(q *Queries) error {
		f, account, err := lockFreeze(ctx, q, id)
		if err != nil {
			return err
		}
		out = f
		if f.Status != domain.FreezePending {
			return nil
		}
		switch account.Status {
		case domain.AccountFrozen:
			return domain.ErrAlreadyFrozen
		case domain.AccountClosed:
			return domain.ErrAccountNotActive
		}
		if _, err := q.SetAccountStatus(ctx, SetAccountStatusParams{ID: account.ID, Status: domain.AccountFrozen}); err != nil {
			return fmt.Errorf("freeze account: %w", err)
		}
		if out, err = q.ActivateFreeze(ctx, ActivateFreezeParams{
			ID: f.ID, Balance: &account.Balance, Active: domain.FreezeActive, Pending: domain.FreezePending,
		}); err != nil {
			return fmt.Errorf("activate freeze: %w", NotFound(err))
		}
		changed = out.Status
		return nil
	})
	if err == nil {
		s.tellFreeze(changed)
	}
	return out, err
}

// EndFreezeTx is an admin's unfreeze: it ends the account's freeze in force, with who and why, and
// makes the account active again, in one transaction. It refuses with ErrNotFrozen when the account
// has no freeze in force (a freeze still being applied is not yet in force).
func (s *Store) EndFreezeTx(ctx context.Context, accountID, by uuid.UUID, note string) (Freeze, error) {
	var out Freeze
	err := s.InTx(ctx, func(q *Queries) error {
		accounts, err := q.LockAccounts(ctx, []uuid.UUID{accountID})
		if err != nil {
			return fmt.Errorf("lock account: %w", err)
		}
		if len(accounts) != 1 {
			return fmt.Errorf("lock account: %w", ErrNotFound)
		}
		f, err := q.GetOpenFreeze(ctx, GetOpenFreezeParams{AccountID: accountID, Pending: domain.FreezePending, Active: domain.FreezeActive})
		if err = NotFound(err); errors.Is(err, ErrNotFound) || (err == nil && f.Status != domain.FreezeActive) {
			return ErrNotFrozen
		} else if err != nil {
			return fmt.Errorf("get open freeze: %w", err)
		}
		if out, err = q.EndFreeze(ctx, EndFreezeParams{
			ID: f.ID, EndedBy: &by, EndNote: note, Ended: domain.FreezeEnded, Active: domain.FreezeActive,
		}); err != nil {
			return fmt.Errorf("end freeze: %w", NotFound(err))
		}
		return unfreezeAccount(ctx, q, accountID)
	})
	if err == nil {
		s.tellFreeze(out.Status)
	}
	return out, err
}

func unfreezeAccount(ctx context.Context, q *Queries, accountID uuid.UUID) error {
	if _, err := q.SetAccountStatus(ctx, SetAccountStatusParams{ID: accountID, Status: domain.AccountActive}); err != nil {
		return fmt.Errorf("unfreeze account: %w", err)
	}
	return nil
}

// EndDueFreezeTx ends a freeze in force whose end has come, by the database's clock, and makes its
// account active again, in one transaction; it returns the freeze as it then stands (still active
// when its end has not come, or ended by an admin before).
func (s *Store) EndDueFreezeTx(ctx context.Context, id uuid.UUID) (Freeze, error) {
	var out Freeze
	var changed domain.FreezeStatus
	err := s.InTx(ctx, func(q *Queries) error {
		f, _, err := lockFreeze(ctx, q, id)
		if err != nil {
			return err
		}
		out = f
		if f.Status != domain.FreezeActive {
			return nil
		}
		ended, err := q.EndFreeze(ctx, EndFreezeParams{ID: id, Ended: domain.FreezeEnded, Active: domain.FreezeActive})
		if err = NotFound(err); errors.Is(err, ErrNotFound) {
			return nil // not due yet
		} else if err != nil {
			return fmt.Errorf("end freeze: %w", err)
		}
		out, changed = ended, ended.Status
		return unfreezeAccount(ctx, q, f.AccountID)
	})
	if err == nil {
		s.tellFreeze(changed)
	}
	return out, err
}

// FailFreezeTx lifts a freeze that could not be carried through, with the code that says why: a
// pending one fails; an active one fails and its account becomes active again, in one transaction.
// A freeze that has ended is returned as it is.
func (s *Store) FailFreezeTx(ctx context.Context, id uuid.UUID, code domain.Code) (Freeze, error) {
	var out Freeze
	var changed domain.FreezeStatus
	err := s.InTx(ctx, func(q *Queries) error {
		f, _, err := lockFreeze(ctx, q, id)
		if err != nil {
			return err
		}
		out = f
		if !f.Status.Open() {
			return nil
		}
		if out, err = q.FailFreeze(ctx, FailFreezeParams{
			ID: id, FailureCode: &code, Failed: domain.FreezeFailed, Pending: domain.FreezePending, Active: domain.FreezeActive,
		}); err != nil {
			return fmt.Errorf("fail freeze: %w", NotFound(err))
		}
		changed = out.Status
		if f.Status == domain.FreezeActive {
			return unfreezeAccount(ctx, q, f.AccountID)
		}
		return nil
	})
	if err == nil {
		s.tellFreeze(changed)
	}
	return out, err
}

// StopTransferTx ends a pending transfer that a freeze of accountID catches: one taking money out
// of the account, or, in a full freeze, bringing money into it. Under the locks of both accounts,
// taken in id order as PostTransferTx takes them, it voids the transfer's hold and ends it, with
// code account_frozen: compensated when a hold had been placed, failed otherwise. It reports whether
// it ended the transfer; one that has ended, or that the account's freeze no longer catches (it was
// unfrozen meanwhile), is left as it is.
func (s *Store) StopTransferTx(ctx context.Context, transferID, accountID uuid.UUID) (bool, error) {
	var ended *endedTransfer
	err := s.inLedgerTx(ctx, func(q *Queries, w *ledgersql.Queries) error {
		t, err := q.GetTransfer(ctx, transferID)
		if err != nil {
			return fmt.Errorf("get transfer: %w", NotFound(err))
		}
		if t.FromAccountID != accountID && t.ToAccountID != accountID {
			return fmt.Errorf("transfer %s does not involve account %s", transferID, accountID)
		}
		accounts, err := q.LockAccounts(ctx, []uuid.UUID{t.FromAccountID, t.ToAccountID})
		if err != nil {
			return fmt.Errorf("lock accounts: %w", err)
		}
		// Read again under the locks: a posting that committed meanwhile ended it.
		if t, err = q.GetTransfer(ctx, transferID); err != nil {
			return fmt.Errorf("get transfer: %w", NotFound(err))
		}
		if t.Status.Ended() {
			return nil
		}
		for _, a := range accounts {
			if a.ID != accountID {
				continue
			}
			if err := checkMovable(ctx, q, a, a.ID == t.FromAccountID); !errors.Is(err, domain.ErrAccountFrozen) {
				return err // nil: the freeze no longer catches it
			}
		}
		status := domain.TransferFailed
		h, err := q.GetHoldByTransfer(ctx, transferID)
		switch err = NotFound(err); {
		case err == nil && h.Status == domain.HoldCaptured:
			return fmt.Errorf("transfer %s is pending with a captured hold", transferID)
		case err == nil:
			status = domain.TransferCompensated
			voided, err := voidHold(ctx, q, w, transferID)
			if err != nil {
				return err
			}
			if voided {
				if err := q.AddTransferStep(ctx, AddTransferStepParams{TransferID: transferID, Name: domain.StepVoidHold, Status: domain.StepOK}); err != nil {
					return fmt.Errorf("add step: %w", err)
				}
			}
		case !errors.Is(err, ErrNotFound):
			return fmt.Errorf("get hold: %w", err)
		}
		ended, err = endUnposted(ctx, q, w, t, status, "", domain.CodeAccountFrozen)
		return err
	})
	if err != nil {
		return false, err
	}
	s.tellEnded(ended)
	return ended != nil, nil
}

// checkMovable refuses to move money out of account a (out) or into it unless the account allows it:
// an active account does; a frozen one lets money in only under a debit freeze (a frozen account
// without a freeze on record lets nothing move); a closed one nothing. The caller holds the account's
// lock, which a freeze takes too, so the answer holds until the caller commits.
func checkMovable(ctx context.Context, q *Queries, a Account, out bool) error {
	switch a.Status {
	case domain.AccountActive:
		return nil
	case domain.AccountFrozen:
		if out {
			return domain.ErrAccountFrozen
		}
		scope, err := q.GetActiveFreezeScope(ctx, GetActiveFreezeScopeParams{AccountID: a.ID, Active: domain.FreezeActive})
		if err = NotFound(err); errors.Is(err, ErrNotFound) {
			return domain.ErrAccountFrozen
		} else if err != nil {
			return fmt.Errorf("get freeze scope: %w", err)
		}
		if scope.StopsCredits() {
			return domain.ErrAccountFrozen
		}
		return nil
	default:
		return domain.ErrAccountNotActive
	}
}

// CheckMovement refuses a movement of money from one account to another that either account's
// status forbids now (domain.ErrAccountFrozen, domain.ErrAccountNotActive). It takes no lock: the
// ledger's transactions check again under the accounts' locks.
func (s *Store) CheckMovement(ctx context.Context, from, to Account) error {
	if err := checkMovable(ctx, s.Queries, from, true); err != nil {
		return err
	}
	return checkMovable(ctx, s.Queries, to, false)
}
