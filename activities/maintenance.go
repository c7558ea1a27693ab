package activities

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"go.temporal.io/sdk/activity"

	"github.com/bankforge/bank/db"
	"github.com/bankforge/bank/domain"
)

// The bank's chores, run once per cluster by the Maintenance workflow on a Temporal schedule.

// ExpireHoldsResult is what one pass over the expired holds did.
type ExpireHoldsResult struct {
	// TransferIDs are the transfers whose hold was voided; the workflow records each one's outcome.
	TransferIDs []string
	// Failed counts holds that could not be expired this time; the next pass tries again.
	Failed int
}

// ExpireHolds voids up to 100 holds past their expiry, each in its own transaction together with the
// end of its transfer (compensated, hold_expired) if it was still pending. A hold that fails is
// logged and skipped: it does not stop the others.
func (a *Activities) ExpireHolds(ctx context.Context) (ExpireHoldsResult, error) {
	logger := activity.GetLogger(ctx)
	holds, err := a.Store.ListExpiredHolds(ctx, db.ListExpiredHoldsParams{Active: domain.HoldActive, MaxRows: 100})
	if err != nil {
		return ExpireHoldsResult{}, fmt.Errorf("list expired holds: %w", err)
	}
	var res ExpireHoldsResult
	for _, h := range holds {
		expired, err := a.Store.ExpireHoldTx(ctx, h.TransferID, time.Now())
		if err != nil {
			res.Failed++
			logger.Error("expiring hold failed", "transfer_id", h.TransferID.String(), "error", err)
			continue
		}
		if expired {
			res.TransferIDs = append(res.TransferIDs, h.TransferID.String())
		}
	}
	if len(res.TransferIDs) > 0 {
		logger.Warn("expired holds voided", "count", len(res.TransferIDs))
	}
	return res, nil
}

// StalledTransfer is a pending transfer whose workflow may never have started (the API stopped
// between recording and starting it).
type StalledTransfer struct {
	TransferID        string
	Kind              domain.TransferKind
	FromAccountID     string
	ToAccountID       string
	FromAccountNumber string
	ToAccountNumber   string
	// UserIDs are the initiator and the owners of both accounts (the cash account has none).
	UserIDs  []string
	Amount   int64
	Currency string
	// Exponent is the currency's number of decimals.
	Exponent int
}

// ListStalledTransfers lists up to 100 transfers that have been pending for more than a minute,
// recorded within the last day. Most have a running workflow; the Maintenance workflow starts the
// others.
func (a *Activities) ListStalledTransfers(ctx context.Context) ([]StalledTransfer, error) {
	now := time.Now()
	rows, err := a.Store.ListStalledTransfers(ctx, db.ListStalledTransfersParams{
		Pending: domain.TransferPending, OlderThan: now.Add(-time.Minute), NewerThan: now.Add(-24 * time.Hour), MaxRows: 100,
	})
	if err != nil {
		return nil, fmt.Errorf("list stalled transfers: %w", err)
	}
	out := make([]StalledTransfer, 0, len(rows))
	for _, t := range rows {
		users := []string{t.InitiatedBy.String()}
		for _, owner := range []*uuid.UUID{t.FromUserID, t.ToUserID} {
			if owner != nil {
				users = append(users, owner.String())
			}
		}
		out = append(out, StalledTransfer{
			TransferID: t.ID.String(), Kind: t.Kind, FromAccountID: t.FromAccountID.String(),
			ToAccountID: t.ToAccountID.String(), FromAccountNumber: t.FromNumber, ToAccountNumber: t.ToNumber,
			UserIDs: users, Amount: t.Amount, Currency: t.Currency, Exponent: int(t.Exponent),
		})
	}
	return out, nil
}

// IdempotencyKeyTTL is how long the API's Idempotency-Keys are kept: at least a day, so a client's
// retry within that time is answered with the first response.
const IdempotencyKeyTTL = 48 * time.Hour

// PurgeIdempotencyKeys forgets Idempotency-Keys older than IdempotencyKeyTTL and returns how many.
func (a *Activities) PurgeIdempotencyKeys(ctx context.Context) (int64, error) {
	n, err := a.Store.DeleteIdempotencyKeysBefore(ctx, time.Now().Add(-IdempotencyKeyTTL))
	if err != nil {
		return 0, fmt.Errorf("delete idempotency keys: %w", err)
	}
	return n, nil
}

// UserEventTTL is how long live events are kept for clients to resume from: a client away longer
// reads what it missed from the REST routes instead.
const UserEventTTL = 7 * 24 * time.Hour

// PurgeUserEvents forgets up to 10,000 live events older than UserEventTTL and returns how many;
// each user's sequence stays, so no id is given twice.
func (a *Activities) PurgeUserEvents(ctx context.Context) (int64, error) {
	n, err := a.Store.DeleteUserEventsBefore(ctx, db.DeleteUserEventsBeforeParams{Before: time.Now().Add(-UserEventTTL), MaxRows: 10_000})
	if err != nil {
		return 0, fmt.Errorf("delete user events: %w", err)
	}
	return n, nil
}
