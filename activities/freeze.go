package activities

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"go.temporal.io/sdk/activity"

	"github.com/bankforge/bank/audit"
	"github.com/bankforge/bank/db"
	"github.com/bankforge/bank/domain"
	"github.com/bankforge/bank/inbox"
	"github.com/bankforge/bank/mailtext"
)

// The steps of a freeze. The freeze row, recorded by the API with the staff's note (which never
// enters a workflow's history), is their source of truth.

// FreezeRef names a freeze.
type FreezeRef struct {
	FreezeID string
}

// FreezeState is where a freeze stands.
type FreezeState struct {
	Status      domain.FreezeStatus
	FrozenAt    *time.Time
	Until       *time.Time
	EndedAt     *time.Time
	EndedBy     string // the admin who unfroze the account; empty when its end came by itself
	FailureCode domain.Code
}

func freezeState(f db.Freeze) FreezeState {
	s := FreezeState{Status: f.Status, FrozenAt: f.FrozenAt, Until: f.Until, EndedAt: f.EndedAt}
	if f.EndedBy != nil {
		s.EndedBy = f.EndedBy.String()
	}
	if f.FailureCode != nil {
		s.FailureCode = *f.FailureCode
	}
	return s
}

func freezeID(id string) (uuid.UUID, error) {
	u, err := uuid.Parse(id)
	if err != nil {
		return uuid.UUID{}, internal("bad freeze id %q", id)
	}
	return u, nil
}

// freezeResult turns what a freeze's transaction returned into the activity's answer: a freeze that
// does not exist cannot become one by retrying, and a refusal is final.
func freezeResult(f db.Freeze, err error) (FreezeState, error) {
	if errors.Is(err, db.ErrNotFound) {
		return FreezeState{}, internal("freeze not found: %v", err)
	}
	if err != nil {
		return FreezeState{}, temporalError(err)
	}
	return freezeState(f), nil
}

// ApplyFreeze puts a pending freeze in force: the account frozen and the freeze active, in one
// transaction. A freeze no longer pending is returned as it stands. It refuses with already_frozen or
// account_not_active when the account is frozen already, or closed.
func (a *Activities) ApplyFreeze(ctx context.Context, ref FreezeRef) (FreezeState, error) {
	id, err := freezeID(ref.FreezeID)
	if err != nil {
		return FreezeState{}, err
	}
	return freezeResult(a.Store.ApplyFreezeTx(ctx, id))
}

// StoppedTransfers are the transfers a freeze ended in flight, for their outcomes to be recorded.
type StoppedTransfers struct {
	TransferIDs []string
}

// StopTransfersInFlight ends, with account_frozen, the pending transfers a freeze in force catches:
// those out of its account, and under a full freeze those into it, each in its own transaction with
// its hold voided. It returns every transfer of the account that ended with account_frozen since the
// freeze came into force (those its transfers' own workflows refused included), so that a run after
// a lost report still names the ones an earlier run stopped.
func (a *Activities) StopTransfersInFlight(ctx context.Context, ref FreezeRef) (StoppedTransfers, error) {
	id, err := freezeID(ref.FreezeID)
	if err != nil {
		return StoppedTransfers{}, err
	}
	f, err := a.Store.GetFreeze(ctx, id)
	if errors.Is(db.NotFound(err), db.ErrNotFound) {
		return StoppedTransfers{}, internal("freeze %s not found", id)
	} else if err != nil {
		return StoppedTransfers{}, fmt.Errorf("get freeze: %w", err)
	}
	if f.FrozenAt == nil {
		return StoppedTransfers{}, internal("freeze %s was never in force (%s)", id, f.Status)
	}
	const batch = 200
	for f.Status == domain.FreezeActive {
		pending, err := a.Store.ListPendingTransfersOfAccount(ctx, db.ListPendingTransfersOfAccountParams{
			AccountID: f.AccountID, Pending: domain.TransferPending, Incoming: f.Scope.StopsCredits(), MaxRows: batch,
		})
		if err != nil {
			return StoppedTransfers{}, fmt.Errorf("list pending transfers: %w", err)
		}
		stopped := 0
		for _, t := range pending {
			ok, err := a.Store.StopTransferTx(ctx, t, f.AccountID)
			if err != nil {
				return StoppedTransfers{}, fmt.Errorf("stop transfer %s: %w", t, err)
			}
			if ok {
				stopped++
			}
		}
		if len(pending) < batch || stopped == 0 {
			break
		}
	}
	code := domain.CodeAccountFrozen
	ended, err := a.Store.ListTransfersEndedWith(ctx, db.ListTransfersEndedWithParams{
		AccountID: f.AccountID, Code: &code, Since: f.FrozenAt, MaxRows: 1000,
	})
	if err != nil {
		return StoppedTransfers{}, fmt.Errorf("list stopped transfers: %w", err)
	}
	out := StoppedTransfers{TransferIDs: make([]string, 0, len(ended))}
	for _, t := range ended {
		out.TransferIDs = append(out.TransferIDs, t.String())
	}
	if len(out.TransferIDs) > 0 {
		activity.GetLogger(ctx).Info("transfers stopped by a freeze", "freeze_id", id.String(), "count", len(out.TransferIDs))
	}
	return out, nil
}

// EndDueFreeze ends a freeze in force whose end has come, by the database's clock, and makes the
// account active again; it returns the freeze as it then stands: still active when its end has not
// come (the worker's clock ran ahead), ended when it ended now or an admin unfroze the account.
func (a *Activities) EndDueFreeze(ctx context.Context, ref FreezeRef) (FreezeState, error) {
	id, err := freezeID(ref.FreezeID)
	if err != nil {
		return FreezeState{}, err
	}
	return freezeResult(a.Store.EndDueFreezeTx(ctx, id))
}

// LiftFreezeInput names a freeze that could not be carried through, and why.
type LiftFreezeInput struct {
	FreezeID string
	Code     domain.Code
}

// LiftFreeze is the freeze's compensation: a freeze still pending fails, and one in force fails with
// its account active again, with the code that says why. One that has ended stays as it is.
func (a *Activities) LiftFreeze(ctx context.Context, in LiftFreezeInput) (FreezeState, error) {
	id, err := freezeID(in.FreezeID)
	if err != nil {
		return FreezeState{}, err
	}
	code := in.Code
	if code == "" {
		code = domain.CodeInternal
	}
	return freezeResult(a.Store.FailFreezeTx(ctx, id, code))
}

// FreezeEventInput names a freeze and what happened to it: active (it came into force), ended, or
// failed.
type FreezeEventInput struct {
	FreezeID string
	Status   domain.FreezeStatus
	// RequestID is the API request that froze or unfroze the account, when one did.
	RequestID string
}

var freezeEvents = map[domain.FreezeStatus]string{
	domain.FreezeActive: audit.EventAccountFrozen,
	domain.FreezeEnded:  audit.EventAccountUnfrozen,
	domain.FreezeFailed: audit.EventFreezeFailed,
}

// RecordFreezeEvent writes a freeze's audit event, with the staff's note, and tells the account's
// owner in the app and by email (through the outbox) with the reason's code only, never the note;
// each write once, keyed by the freeze and the event. A freeze that failed before it came into force
// changed nothing the owner saw, and is not told.
func (a *Activities) RecordFreezeEvent(ctx context.Context, in FreezeEventInput) error {
	id, err := freezeID(in.FreezeID)
	if err != nil {
		return err
	}
	typ, ok := freezeEvents[in.Status]
	if !ok {
		return internal("freeze status %q has no event", in.Status)
	}
	f, err := a.Store.GetFreezeView(ctx, id)
	if errors.Is(db.NotFound(err), db.ErrNotFound) {
		return internal("freeze %s not found", id)
	} else if err != nil {
		return fmt.Errorf("get freeze: %w", err)
	}
	if (in.Status == domain.FreezeActive && f.FrozenAt == nil) || (in.Status != domain.FreezeActive && f.Status != in.Status) {
		return internal("freeze %s is %s: no %s event", id, f.Status, in.Status)
	}
	details := map[string]any{
		"account_id": f.AccountID.String(), "account_number": f.AccountNumber, "reason": string(f.Reason),
		"scope": string(f.Scope), "note": f.Note, "frozen_by": f.FrozenBy.String(), "workflow_id": f.WorkflowID,
	}
	if f.Until != nil {
		details["until"] = f.Until.UTC().Format(time.RFC3339)
	}
	event := audit.Event{ID: "freeze/" + id.String() + "/" + string(in.Status), Type: typ, Subject: id.String(),
		AccountIDs: []string{f.AccountID.String()}, RequestID: in.RequestID, Details: details}
	if f.AccountUserID != nil {
		event.UserID = f.AccountUserID.String()
	}
	switch in.Status {
	case domain.FreezeActive:
		event.ActorID, event.At = f.FrozenBy.String(), f.FrozenAt.UTC()
		details["balance_at_freeze"] = *f.BalanceAtFreeze
	case domain.FreezeEnded:
		event.At = f.EndedAt.UTC()
		if f.EndedBy != nil {
			event.ActorID = f.EndedBy.String()
			details["ended_by"], details["end_note"] = f.EndedBy.String(), f.EndNote
		} else {
			details["ended_by"] = "until"
		}
	case domain.FreezeFailed:
		event.At = f.EndedAt.UTC()
		details["failure_code"] = string(*f.FailureCode)
	}
	if err := a.Audit.Record(ctx, event); err != nil {
		return err
	}
	var events []db.Event
	if in.Status != domain.FreezeActive {
		// The freeze's operation, which its admin polls, ends with this step.
		op := OperationEventData{OperationID: id.String(), Kind: domain.OperationFreeze, Status: domain.OperationCompleted}
		if in.Status == domain.FreezeFailed {
			op.Status, op.FailureCode = domain.OperationFailed, *f.FailureCode
		}
		events = append(events, operationEvent(f.FrozenBy, op))
	}
	if f.AccountUserID != nil && f.FrozenAt != nil {
		events = append(events, freezeEvent(f, in.Status, *f.AccountUserID))
		if err := a.notifyWith(ctx, events, freezeNotification(f, in.Status, *f.AccountUserID)); err != nil {
			return err
		}
	} else if err := a.Store.AppendUserEventsTx(ctx, events...); err != nil {
		return fmt.Errorf("append events: %w", err)
	}
	activity.GetLogger(ctx).Debug("freeze event recorded", "freeze_id", id.String(), "status", string(in.Status))
	return nil
}

// freezeNotification is what the owner reads of a freeze: the reason's code, the scope and the end,
// never the staff's note.
func freezeNotification(f db.GetFreezeViewRow, status domain.FreezeStatus, owner uuid.UUID) inbox.Notification {
	n := inbox.Notification{
		ID: "freeze/" + f.ID.String() + "/" + string(status) + "/" + owner.String(), UserID: owner.String(),
		Kind:  domain.NotificationAccountUnfrozen,
		Title: "Account unfrozen", Body: fmt.Sprintf("Your account %s is active again: money can move in and out of it.", f.AccountNumber),
		Facts: mailtext.Facts{Account: f.AccountNumber},
	}
	if status != domain.FreezeActive {
		return n
	}
	stops := "No money can leave it"
	if f.Scope.StopsCredits() {
		stops = "No money can leave or reach it"
	}
	until := "until further notice"
	if f.Until != nil {
		until = "until " + f.Until.UTC().Format("2006-01-02 15:04 MST")
	}
	n.Kind = domain.NotificationAccountFrozen
	n.Title = "Account frozen"
	n.Body = fmt.Sprintf("Your account %s is frozen %s (reason: %s). %s meanwhile, and transfers in progress were stopped. Contact the bank to learn more.",
		f.AccountNumber, until, f.Reason, stops)
	n.Facts = mailtext.Facts{Account: f.AccountNumber, FreezeReason: f.Reason, StopsCredits: f.Scope.StopsCredits()}
	if f.Until != nil {
		n.Facts.Until = ptrTo(f.Until.UTC())
	}
	return n
}

func ptrTo[T any](v T) *T { return &v }
