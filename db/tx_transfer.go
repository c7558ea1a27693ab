package db

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
)

// Business refusals of the ledger. They are final: retrying cannot change them.
var (
	ErrInsufficientFunds = errors.New("insufficient available balance")
	ErrAccountNotActive  = errors.New("account is not active")
	ErrHoldNotActive     = errors.New("hold is no longer active")
	ErrLimitExceeded     = errors.New("daily transfer limit exceeded")
	// ErrTransferEnded guards against moving money for a transfer that already ended.
	ErrTransferEnded = errors.New("transfer has already ended")
)

// Transfer statuses and hold statuses as stored.
const (
	TransferPending     = "pending"
	TransferCompleted   = "completed"
	TransferFailed      = "failed"
	TransferCompensated = "compensated"

	HoldCaptured = "captured"
	HoldVoided   = "voided"
	HoldExpired  = "expired"
)

// HoldLimits bounds what one account may send: dailyMax is the most its transfers may add up to
// since dayStart (zero means no limit).
type HoldLimits struct {
	DailyMax int64
	DayStart time.Time
}

// PlaceHold reserves the transfer's amount on its source account, which must be active, have that
// much available and stay within limits. Running it again for the same transfer changes nothing
// and succeeds while the hold stands.
func (s *Store) PlaceHold(ctx context.Context, t Transfer, expiresAt time.Time, limits HoldLimits) (Hold, error) {
	var hold Hold
	err := s.InTx(ctx, func(q *Queries) error {
		// The account lock serialises this account's reservations, so the daily sum below is exact.
		accounts, err := q.LockAccounts(ctx, []uuid.UUID{t.FromAccountID})
		if err != nil {
			return fmt.Errorf("lock account: %w", err)
		}
		if len(accounts) != 1 {
			return fmt.Errorf("lock account: %w", ErrNotFound)
		}
		h, err := q.GetHoldByTransfer(ctx, t.ID)
		switch err = NotFound(err); {
		case err == nil: // placed by an earlier run
			if h.Status != "active" && h.Status != HoldCaptured {
				return ErrHoldNotActive
			}
			hold = h
			return nil
		case !errors.Is(err, ErrNotFound):
			return fmt.Errorf("get hold: %w", err)
		}
		if accounts[0].Status != "active" {
			return ErrAccountNotActive
		}
		if limits.DailyMax > 0 {
			sent, err := q.SumOutgoingSince(ctx, SumOutgoingSinceParams{
				AccountID: t.FromAccountID, Since: limits.DayStart, ExcludeID: t.ID,
			})
			if err != nil {
				return fmt.Errorf("sum outgoing: %w", err)
			}
			if sent > limits.DailyMax-t.Amount {
				return ErrLimitExceeded
			}
		}
		n, err := q.ReserveFunds(ctx, ReserveFundsParams{ID: t.FromAccountID, Amount: t.Amount})
		if err != nil {
			return fmt.Errorf("reserve funds: %w", err)
		}
		if n == 0 {
			return ErrInsufficientFunds
		}
		h, err = q.CreateHold(ctx, CreateHoldParams{
			ID:         uuid.New(),
			TransferID: t.ID,
			AccountID:  t.FromAccountID,
			Amount:     t.Amount,
			ExpiresAt:  expiresAt,
		})
		if err != nil {
			return fmt.Errorf("create hold: %w", err)
		}
		if err := q.AddTransferStep(ctx, AddTransferStepParams{TransferID: t.ID, Name: "reserved", Status: "ok"}); err != nil {
			return fmt.Errorf("add step: %w", err)
		}
		hold = h
		return nil
	})
	return hold, err
}

// PostTransfer moves the money of a transfer whose hold stands: in one transaction it debits the
// source, credits the destination, captures the hold and completes the transfer. operationID keys
// the ledger transaction, so running it again posts nothing more.
func (s *Store) PostTransfer(ctx context.Context, t Transfer, operationID string) (LedgerTransaction, error) {
	var out LedgerTransaction
	err := s.InTx(ctx, func(q *Queries) error {
		lt, err := q.CreateLedgerTransaction(ctx, CreateLedgerTransactionParams{
			ID:          uuid.New(),
			OperationID: operationID,
			TransferID:  &t.ID,
			Description: t.Description,
		})
		if err = NotFound(err); errors.Is(err, ErrNotFound) {
			out, err = q.GetLedgerTransactionByOperation(ctx, operationID)
			return err
		} else if err != nil {
			return fmt.Errorf("create ledger transaction: %w", err)
		}
		accounts, err := q.LockAccounts(ctx, []uuid.UUID{t.FromAccountID, t.ToAccountID})
		if err != nil {
			return fmt.Errorf("lock accounts: %w", err)
		}
		if len(accounts) != 2 {
			return fmt.Errorf("lock accounts: found %d of 2", len(accounts))
		}
		for _, a := range accounts {
			if a.Status != "active" {
				return ErrAccountNotActive
			}
		}
		if _, err := q.ReleaseHold(ctx, ReleaseHoldParams{TransferID: t.ID, Status: HoldCaptured}); err != nil {
			if err = NotFound(err); errors.Is(err, ErrNotFound) {
				return ErrHoldNotActive
			}
			return fmt.Errorf("capture hold: %w", err)
		}
		if err := q.AddHeld(ctx, AddHeldParams{ID: t.FromAccountID, Delta: -t.Amount}); err != nil {
			return fmt.Errorf("release held amount: %w", err)
		}
		for _, leg := range []struct {
			account uuid.UUID
			amount  int64
		}{{t.FromAccountID, -t.Amount}, {t.ToAccountID, t.Amount}} {
			balance, err := q.AddToBalance(ctx, AddToBalanceParams{ID: leg.account, Delta: leg.amount})
			if err != nil {
				return fmt.Errorf("update balance: %w", err)
			}
			if err := q.InsertPosting(ctx, InsertPostingParams{
				TransactionID: lt.ID,
				AccountID:     leg.account,
				Amount:        leg.amount,
				Currency:      t.Currency,
				BalanceAfter:  balance,
			}); err != nil {
				return fmt.Errorf("insert posting: %w", err)
			}
		}
		if err := q.AddTransferStep(ctx, AddTransferStepParams{TransferID: t.ID, Name: "posted", Status: "ok"}); err != nil {
			return fmt.Errorf("add step: %w", err)
		}
		n, err := q.FinishTransfer(ctx, FinishTransferParams{ID: t.ID, Status: TransferCompleted})
		if err != nil {
			return fmt.Errorf("complete transfer: %w", err)
		}
		if n == 0 {
			return ErrTransferEnded
		}
		if err := q.NotifyTransferFinished(ctx, t.ID.String()); err != nil {
			return fmt.Errorf("notify: %w", err)
		}
		out = lt
		return nil
	})
	if IsCheckViolation(err, "accounts_customer_balance_non_negative", "accounts_customer_available_non_negative") {
		// The hold guarantees the money; reaching this means the ledger was changed behind its back.
		return LedgerTransaction{}, ErrInsufficientFunds
	}
	return out, err
}

// ReleaseReservation ends the transfer's active hold without moving money (status voided or expired) and
// gives the amount back to the available balance. It reports whether there was a hold to release.
func (s *Store) ReleaseReservation(ctx context.Context, transferID uuid.UUID, status string) (bool, error) {
	released := false
	err := s.InTx(ctx, func(q *Queries) error {
		h, err := q.GetHoldByTransfer(ctx, transferID)
		if err = NotFound(err); errors.Is(err, ErrNotFound) {
			return nil
		} else if err != nil {
			return fmt.Errorf("get hold: %w", err)
		}
		if h.Status != "active" {
			return nil
		}
		// Same lock order as PostTransfer: the account first, then the hold.
		if _, err := q.LockAccounts(ctx, []uuid.UUID{h.AccountID}); err != nil {
			return fmt.Errorf("lock account: %w", err)
		}
		if _, err := q.ReleaseHold(ctx, ReleaseHoldParams{TransferID: transferID, Status: status}); err != nil {
			if err = NotFound(err); errors.Is(err, ErrNotFound) {
				return nil // captured or released meanwhile
			}
			return fmt.Errorf("release hold: %w", err)
		}
		if err := q.AddHeld(ctx, AddHeldParams{ID: h.AccountID, Delta: -h.Amount}); err != nil {
			return fmt.Errorf("release held amount: %w", err)
		}
		if err := q.AddTransferStep(ctx, AddTransferStepParams{TransferID: transferID, Name: status, Status: "ok"}); err != nil {
			return fmt.Errorf("add step: %w", err)
		}
		released = true
		return nil
	})
	return released, err
}

// FailTransfer records the end of a transfer that did not move money: compensated when a hold had
// been placed and released, failed otherwise.
func (s *Store) FailTransfer(ctx context.Context, transferID uuid.UUID, step, code, reason string) error {
	return s.InTx(ctx, func(q *Queries) error {
		status := TransferFailed
		h, err := q.GetHoldByTransfer(ctx, transferID)
		switch err = NotFound(err); {
		case err == nil && h.Status == HoldCaptured:
			return fmt.Errorf("transfer %s was posted and cannot fail", transferID)
		case err == nil && h.Status == "active":
			return fmt.Errorf("transfer %s still holds funds", transferID)
		case err == nil:
			status = TransferCompensated
		case !errors.Is(err, ErrNotFound):
			return fmt.Errorf("get hold: %w", err)
		}
		if step != "" {
			if err := q.AddTransferStep(ctx, AddTransferStepParams{
				TransferID: transferID, Name: step, Status: "failed", Detail: reason,
			}); err != nil {
				return fmt.Errorf("add step: %w", err)
			}
		}
		if _, err := q.FinishTransfer(ctx, FinishTransferParams{
			ID: transferID, Status: status, FailureCode: &code, FailureReason: &reason,
		}); err != nil {
			return fmt.Errorf("finish transfer: %w", err)
		}
		return q.NotifyTransferFinished(ctx, transferID.String())
	})
}

// ExpireHolds releases up to limit holds past their expiry and ends their transfers as compensated
// with the given reason, unless the transfer already ended. A transfer workflow still running finds
// the hold gone and ends the same way. It returns how many holds it released.
func (s *Store) ExpireHolds(ctx context.Context, limit int32, code, reason string) (int, error) {
	holds, err := s.ListExpiredHolds(ctx, limit)
	if err != nil {
		return 0, fmt.Errorf("list expired holds: %w", err)
	}
	n := 0
	for _, h := range holds {
		released, err := s.ReleaseReservation(ctx, h.TransferID, HoldExpired)
		if err != nil {
			return n, err
		}
		if !released {
			continue
		}
		n++
		t, err := s.GetTransfer(ctx, h.TransferID)
		if err != nil {
			return n, fmt.Errorf("get transfer: %w", err)
		}
		if t.Status == TransferPending {
			if err := s.FailTransfer(ctx, t.ID, "expired", code, reason); err != nil {
				return n, err
			}
		}
	}
	return n, nil
}
