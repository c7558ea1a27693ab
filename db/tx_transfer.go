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

// The ledger's transactions. They are the only callers of the ledger's writes (ledgersql): each
// locks the accounts it touches in ascending id order, and each is keyed so that running it twice
// has the effect of once. A hold is placed (PlaceHoldTx), then captured as the transfer posts
// (PostTransferTx) or voided (VoidHoldTx, ExpireHoldTx).

// ErrTransferEnded guards against moving money for a transfer that already ended. It is no
// refusal: reaching it means a step ran out of order.
var ErrTransferEnded = errors.New("transfer has already ended")

// HoldLimits bounds what one account may send: DailyMax is the most its transfers may add up to
// since DayStart (zero means no limit).
type HoldLimits struct {
	DailyMax int64
	DayStart time.Time
}

// PlaceHoldTx places the transfer's hold on its source account, which must be active (a frozen one
// refuses with domain.ErrAccountFrozen), have that much available and stay within limits. Running it
// again for the same transfer changes nothing and succeeds while the hold stands (or was captured);
// it refuses with domain.ErrHoldExpired once the hold was voided. No hold is placed for a transfer
// that has ended meanwhile (a freeze of either account stopped it, or its workflow failed it): it
// refuses with the transfer's refusal, or ErrTransferEnded when it ended otherwise.
func (s *Store) PlaceHoldTx(ctx context.Context, t Transfer, expiresAt time.Time, limits HoldLimits) error {
	return s.inLedgerTx(ctx, func(q *Queries, w *ledgersql.Queries) error {
		// The account lock serialises this account's holds, so the daily sum below is exact.
		accounts, err := q.LockAccounts(ctx, []uuid.UUID{t.FromAccountID})
		if err != nil {
			return fmt.Errorf("lock account: %w", err)
		}
		if len(accounts) != 1 {
			return fmt.Errorf("lock account: %w", ErrNotFound)
		}
		// The transfer's lock: whoever ends it (StopTransferTx, FailTransferTx) waits for this hold,
		// or has ended it before.
		current, err := q.GetTransferForUpdate(ctx, t.ID)
		if err != nil {
			return fmt.Errorf("lock transfer: %w", NotFound(err))
		}
		h, err := q.GetHoldByTransfer(ctx, t.ID)
		switch err = NotFound(err); {
		case err == nil: // placed by an earlier run
			if h.Status == domain.HoldVoided {
				return domain.ErrHoldExpired
			}
			return nil
		case !errors.Is(err, ErrNotFound):
			return fmt.Errorf("get hold: %w", err)
		}
		if current.Status.Ended() {
			if current.FailureCode != nil && current.FailureCode.IsRefusal() {
				return &domain.Refusal{Code: *current.FailureCode}
			}
			return ErrTransferEnded
		}
		if err := checkMovable(ctx, q, accounts[0], true); err != nil {
			return err
		}
		if limits.DailyMax > 0 {
			sent, err := q.SumOutgoingSince(ctx, SumOutgoingSinceParams{
				AccountID: t.FromAccountID, Since: limits.DayStart, ExcludeID: t.ID,
				Pending: domain.TransferPending, Completed: domain.TransferCompleted,
			})
			if err != nil {
				return fmt.Errorf("sum outgoing: %w", err)
			}
			if sent > limits.DailyMax-t.Amount {
				return domain.ErrLimitExceeded
			}
		}
		n, err := w.PlaceAccountHold(ctx, ledgersql.PlaceAccountHoldParams{ID: t.FromAccountID, Amount: t.Amount, Active: domain.AccountActive, Cash: domain.AccountCash})
		if err != nil {
			return fmt.Errorf("place hold on account: %w", err)
		}
		if n == 0 {
			return domain.ErrInsufficientFunds
		}
		if _, err := w.InsertHold(ctx, ledgersql.InsertHoldParams{
			ID:         uuid.New(),
			TransferID: t.ID,
			AccountID:  t.FromAccountID,
			Amount:     t.Amount,
			ExpiresAt:  expiresAt,
		}); err != nil {
			return fmt.Errorf("insert hold: %w", err)
		}
		return q.AddTransferStep(ctx, AddTransferStepParams{TransferID: t.ID, Name: domain.StepPlaceHold, Status: domain.StepOK})
	})
}

// PostTransferTx moves the money of a transfer whose hold stands: in one transaction it debits the
// source, credits the destination, captures the hold and completes the transfer. operationID keys
// the ledger transaction, so running it again posts nothing more.
func (s *Store) PostTransferTx(ctx context.Context, t Transfer, operationID string) error {
	var ended *endedTransfer
	err := s.inLedgerTx(ctx, func(q *Queries, w *ledgersql.Queries) error {
		txID, err := w.InsertLedgerTransaction(ctx, ledgersql.InsertLedgerTransactionParams{
			ID:          uuid.New(),
			OperationID: operationID,
			TransferID:  &t.ID,
			Description: t.Description,
		})
		if err = NotFound(err); errors.Is(err, ErrNotFound) {
			return nil // posted by an earlier run
		} else if err != nil {
			return fmt.Errorf("insert ledger transaction: %w", err)
		}
		accounts, err := q.LockAccounts(ctx, []uuid.UUID{t.FromAccountID, t.ToAccountID})
		if err != nil {
			return fmt.Errorf("lock accounts: %w", err)
		}
		if len(accounts) != 2 {
			return fmt.Errorf("lock accounts: found %d of 2", len(accounts))
		}
		for _, a := range accounts {
			// From a freeze's commit on, no money leaves its account, nor enters one frozen in full:
			// the freeze takes this lock too.
			if err := checkMovable(ctx, q, a, a.ID == t.FromAccountID); err != nil {
				return err
			}
			if a.ID == t.ToAccountID && a.Kind == domain.AccountCustomer && a.Balance > domain.MaxBalance-t.Amount {
				return domain.ErrBalanceLimit
			}
		}
		n, err := w.EndHold(ctx, ledgersql.EndHoldParams{TransferID: t.ID, Status: domain.HoldCaptured, Active: domain.HoldActive})
		if err != nil {
			return fmt.Errorf("capture hold: %w", err)
		}
		if n == 0 {
			return domain.ErrHoldExpired
		}
		if err := w.EndAccountHold(ctx, ledgersql.EndAccountHoldParams{ID: t.FromAccountID, Amount: t.Amount}); err != nil {
			return fmt.Errorf("end hold on account: %w", err)
		}
		for _, leg := range []struct {
			account uuid.UUID
			amount  int64
		}{{t.FromAccountID, -t.Amount}, {t.ToAccountID, t.Amount}} {
			balance, err := w.AddToBalance(ctx, ledgersql.AddToBalanceParams{ID: leg.account, Delta: leg.amount})
			if err != nil {
				return fmt.Errorf("update balance: %w", err)
			}
			if err := w.InsertPosting(ctx, ledgersql.InsertPostingParams{
				TransactionID: txID,
				AccountID:     leg.account,
				Amount:        leg.amount,
				Currency:      t.Currency,
				BalanceAfter:  balance,
			}); err != nil {
				return fmt.Errorf("insert posting: %w", err)
			}
		}
		if err := q.AddTransferStep(ctx, AddTransferStepParams{TransferID: t.ID, Name: domain.StepPost, Status: domain.StepOK}); err != nil {
			return fmt.Errorf("add step: %w", err)
		}
		n, err = w.EndTransfer(ctx, ledgersql.EndTransferParams{ID: t.ID, Status: domain.TransferCompleted, Pending: domain.TransferPending})
		if err != nil {
			return fmt.Errorf("complete transfer: %w", err)
		}
		if n == 0 {
			return ErrTransferEnded
		}
		ended = &endedTransfer{t: t, status: domain.TransferCompleted}
		return q.NotifyTransferFinished(ctx, t.ID.String())
	})
	if err == nil {
		s.tellEnded(ended)
	}
	if IsCheckViolation(err, "accounts_customer_balance_non_negative", "accounts_customer_available_non_negative") {
		// The hold guarantees the money; reaching this means the ledger was changed behind its back.
		return domain.ErrInsufficientFunds
	}
	if IsCheckViolation(err, "postings_account_frozen") {
		return domain.ErrAccountFrozen // the database's own check of a freeze (000011)
	}
	return err
}

// VoidHoldTx ends the transfer's active hold without moving money and gives the amount back to the
// available balance: the saga's compensation. It reports whether there was a hold to void.
func (s *Store) VoidHoldTx(ctx context.Context, transferID uuid.UUID) (bool, error) {
	voided := false
	err := s.inLedgerTx(ctx, func(q *Queries, w *ledgersql.Queries) error {
		var err error
		voided, err = voidHold(ctx, q, w, transferID)
		if err != nil || !voided {
			return err
		}
		return q.AddTransferStep(ctx, AddTransferStepParams{TransferID: transferID, Name: domain.StepVoidHold, Status: domain.StepOK})
	})
	return voided, err
}

// voidHold voids the transfer's hold if it is active, inside the caller's transaction.
func voidHold(ctx context.Context, q *Queries, w *ledgersql.Queries, transferID uuid.UUID) (bool, error) {
	h, err := q.GetHoldByTransfer(ctx, transferID)
	if err = NotFound(err); errors.Is(err, ErrNotFound) {
		return false, nil
	} else if err != nil {
		return false, fmt.Errorf("get hold: %w", err)
	}
	if h.Status != domain.HoldActive {
		return false, nil
	}
	// Same lock order as PostTransferTx: the account first, then the hold.
	if _, err := q.LockAccounts(ctx, []uuid.UUID{h.AccountID}); err != nil {
		return false, fmt.Errorf("lock account: %w", err)
	}
	n, err := w.EndHold(ctx, ledgersql.EndHoldParams{TransferID: transferID, Status: domain.HoldVoided, Active: domain.HoldActive})
	if err != nil {
		return false, fmt.Errorf("void hold: %w", err)
	}
	if n == 0 {
		return false, nil // captured or voided meanwhile
	}
	if err := w.EndAccountHold(ctx, ledgersql.EndAccountHoldParams{ID: h.AccountID, Amount: h.Amount}); err != nil {
		return false, fmt.Errorf("end hold on account: %w", err)
	}
	return true, nil
}

// FailTransferTx records the end of a transfer that did not move money, refused with code at step:
// compensated when a hold had been placed and voided, failed when none was placed. It returns the
// transfer's final status, which is completed when the money had in fact moved (a posting that
// committed but whose report was lost), and leaves a transfer that already ended as it is.
func (s *Store) FailTransferTx(ctx context.Context, transferID uuid.UUID, step domain.TransferStep, code domain.Code) (domain.TransferStatus, error) {
	var status domain.TransferStatus
	var ended *endedTransfer
	err := s.inLedgerTx(ctx, func(q *Queries, w *ledgersql.Queries) error {
		// Under the transfer's lock, a hold being placed (PlaceHoldTx) is either seen below or refused.
		t, err := q.GetTransferForUpdate(ctx, transferID)
		if err != nil {
			return fmt.Errorf("get transfer: %w", NotFound(err))
		}
		if t.Status.Ended() {
			status = t.Status
			return nil
		}
		status = domain.TransferFailed
		h, err := q.GetHoldByTransfer(ctx, transferID)
		switch err = NotFound(err); {
		case err == nil && h.Status == domain.HoldCaptured:
			return fmt.Errorf("transfer %s was posted and cannot fail", transferID)
		case err == nil && h.Status == domain.HoldActive:
			return fmt.Errorf("transfer %s still holds funds", transferID)
		case err == nil:
			status = domain.TransferCompensated
		case !errors.Is(err, ErrNotFound):
			return fmt.Errorf("get hold: %w", err)
		}
		ended, err = endUnposted(ctx, q, w, t, status, step, code)
		return err
	})
	if err == nil {
		s.tellEnded(ended)
	}
	return status, err
}

// endUnposted ends a pending transfer that moved no money, with the step that failed (if one did),
// inside the caller's transaction. It returns the end for the observer, or nil when the transfer
// had ended already.
func endUnposted(ctx context.Context, q *Queries, w *ledgersql.Queries, t Transfer, status domain.TransferStatus, failed domain.TransferStep, code domain.Code) (*endedTransfer, error) {
	reason := code.Message()
	if failed != "" {
		if err := q.AddTransferStep(ctx, AddTransferStepParams{
			TransferID: t.ID, Name: failed, Status: domain.StepFailed, Detail: reason,
		}); err != nil {
			return nil, fmt.Errorf("add step: %w", err)
		}
	}
	n, err := w.EndTransfer(ctx, ledgersql.EndTransferParams{
		ID: t.ID, Status: status, FailureCode: &code, FailureReason: &reason, Pending: domain.TransferPending,
	})
	if err != nil {
		return nil, fmt.Errorf("end transfer: %w", err)
	}
	if n == 0 {
		return nil, nil
	}
	return &endedTransfer{t: t, status: status}, q.NotifyTransferFinished(ctx, t.ID.String())
}

// ExpireHoldTx voids the transfer's hold if it is active and past its expiry and, in the same
// transaction, ends the transfer as compensated with domain.CodeHoldExpired unless it already
// ended. A transfer workflow still running finds the hold gone and ends the same way. It reports
// whether it voided a hold.
func (s *Store) ExpireHoldTx(ctx context.Context, transferID uuid.UUID, now time.Time) (bool, error) {
	expired := false
	var ended *endedTransfer
	err := s.inLedgerTx(ctx, func(q *Queries, w *ledgersql.Queries) error {
		h, err := q.GetHoldByTransfer(ctx, transferID)
		if err != nil {
			return fmt.Errorf("get hold: %w", NotFound(err))
		}
		if h.Status != domain.HoldActive || h.ExpiresAt.After(now) {
			return nil
		}
		if expired, err = voidHold(ctx, q, w, transferID); err != nil || !expired {
			return err
		}
		t, err := q.GetTransfer(ctx, transferID)
		if err != nil {
			return fmt.Errorf("get transfer: %w", err)
		}
		if err := q.AddTransferStep(ctx, AddTransferStepParams{TransferID: transferID, Name: domain.StepExpireHold, Status: domain.StepOK}); err != nil {
			return fmt.Errorf("add step: %w", err)
		}
		if t.Status.Ended() {
			return nil
		}
		ended, err = endUnposted(ctx, q, w, t, domain.TransferCompensated, "", domain.CodeHoldExpired)
		return err
	})
	if err == nil {
		s.tellEnded(ended)
	}
	return expired, err
}
