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
)

// The steps of a cash approval: a deposit or withdrawal at or above its currency's threshold waits
// for a second admin. The approval row, written by the API and decided there, is their source of
// truth.

// CashApprovalRef names a cash approval.
type CashApprovalRef struct {
	ApprovalID string
}

// CashApprovalState is where a cash approval stands.
type CashApprovalState struct {
	Status    domain.CashApprovalStatus
	ExpiresAt time.Time
}

func approvalID(id string) (uuid.UUID, error) {
	u, err := uuid.Parse(id)
	if err != nil {
		return uuid.UUID{}, internal("bad cash approval id %q", id)
	}
	return u, nil
}

// SettleCashApproval reads where the approval stands, and ends it as expired first when it is still
// pending past its expiry. The database's clock decides, as it does for the approvers, so an
// approval decided just before its expiry stays decided.
func (a *Activities) SettleCashApproval(ctx context.Context, ref CashApprovalRef) (CashApprovalState, error) {
	id, err := approvalID(ref.ApprovalID)
	if err != nil {
		return CashApprovalState{}, err
	}
	ap, err := a.Store.ExpireDueCashApproval(ctx, id)
	if errors.Is(err, db.ErrNotFound) {
		return CashApprovalState{}, internal("cash approval %s not found", id)
	} else if err != nil {
		return CashApprovalState{}, err
	}
	return CashApprovalState{Status: ap.Status, ExpiresAt: ap.ExpiresAt}, nil
}

// RecordApprovedCashTransferInput names an approved cash approval and the transfer it starts, whose
// ids the workflow derives from the approval's.
type RecordApprovedCashTransferInput struct {
	ApprovalID string
	TransferID string
	WorkflowID string
}

// ApprovedCashTransfer is the transfer an approval started, with what starting its workflow needs.
type ApprovedCashTransfer struct {
	TransferID        string
	Kind              domain.TransferKind
	FromAccountID     string
	ToAccountID       string
	FromAccountNumber string
	ToAccountNumber   string
	// UserIDs are the requesting admin and the customer (the cash account has no owner).
	UserIDs  []string
	Amount   int64
	Currency string
	// Exponent is the currency's number of decimals.
	Exponent int
}

// RecordApprovedCashTransfer records the transfer of an approved cash movement, pending, once: a
// second run returns the transfer the first recorded.
func (a *Activities) RecordApprovedCashTransfer(ctx context.Context, in RecordApprovedCashTransferInput) (ApprovedCashTransfer, error) {
	id, err := approvalID(in.ApprovalID)
	if err != nil {
		return ApprovedCashTransfer{}, err
	}
	transferID, err := uuid.Parse(in.TransferID)
	if err != nil {
		return ApprovedCashTransfer{}, internal("bad transfer id %q", in.TransferID)
	}
	t, err := a.Store.RecordApprovedCashTransferTx(ctx, id, transferID, in.WorkflowID)
	switch {
	case errors.Is(err, db.ErrNotApproved), errors.Is(err, db.ErrIDReused), errors.Is(err, db.ErrNotFound):
		return ApprovedCashTransfer{}, internal("record the transfer of cash approval %s: %v", id, err)
	case err != nil:
		return ApprovedCashTransfer{}, fmt.Errorf("record approved cash transfer: %w", err)
	}
	p, err := a.Store.GetTransferParties(ctx, t.ID)
	if err != nil {
		return ApprovedCashTransfer{}, fmt.Errorf("get transfer: %w", db.NotFound(err))
	}
	users := []string{p.InitiatedBy.String()}
	for _, owner := range []*uuid.UUID{p.FromUserID, p.ToUserID} {
		if owner != nil {
			users = append(users, owner.String())
		}
	}
	return ApprovedCashTransfer{
		TransferID: p.ID.String(), Kind: p.Kind, FromAccountID: p.FromAccountID.String(), ToAccountID: p.ToAccountID.String(),
		FromAccountNumber: p.FromNumber, ToAccountNumber: p.ToNumber, UserIDs: users, Amount: p.Amount, Currency: p.Currency,
		Exponent: int(p.Exponent),
	}, nil
}

// CashApprovalEventInput names an approval and the status it reached: pending for its request.
type CashApprovalEventInput struct {
	ApprovalID string
	Status     domain.CashApprovalStatus
	// RequestID is the API request that asked for or decided the approval, when one did.
	RequestID string
}

var cashApprovalEvents = map[domain.CashApprovalStatus]string{
	domain.ApprovalPending:  audit.EventCashApprovalRequested,
	domain.ApprovalApproved: audit.EventCashApprovalApproved,
	domain.ApprovalRejected: audit.EventCashApprovalRejected,
	domain.ApprovalExpired:  audit.EventCashApprovalExpired,
}

// RecordCashApprovalEvent writes the audit event of an approval's request or decision, once: whom
// it concerns (the requesting admin, and the deciding one), the account, the amount and, once
// approved, the transfer it started.
func (a *Activities) RecordCashApprovalEvent(ctx context.Context, in CashApprovalEventInput) error {
	id, err := approvalID(in.ApprovalID)
	if err != nil {
		return err
	}
	typ, ok := cashApprovalEvents[in.Status]
	if !ok {
		return internal("cash approval status %q has no audit event", in.Status)
	}
	ap, err := a.Store.GetCashApprovalView(ctx, id)
	if errors.Is(db.NotFound(err), db.ErrNotFound) {
		return internal("cash approval %s not found", id)
	} else if err != nil {
		return fmt.Errorf("get cash approval: %w", err)
	}
	if in.Status != domain.ApprovalPending && ap.Status != in.Status {
		return internal("cash approval %s is %s, not %s", id, ap.Status, in.Status)
	}
	event := audit.Event{
		ID:         "cash_approval/" + id.String() + "/" + string(in.Status),
		Type:       typ,
		ActorID:    ap.RequestedBy.String(),
		AccountIDs: []string{ap.AccountID.String()},
		RequestID:  in.RequestID,
		Subject:    id.String(),
		Details: map[string]any{
			"kind": string(ap.Kind), "amount": ap.Amount, "currency": ap.Currency, "account_number": ap.AccountNumber,
			"requested_by": ap.RequestedBy.String(),
		},
	}
	if in.Status == domain.ApprovalPending {
		event.At = ap.CreatedAt.UTC()
		event.Details["expires_at"] = ap.ExpiresAt.UTC().Format(time.RFC3339)
	} else if ap.DecidedAt != nil {
		event.At = ap.DecidedAt.UTC()
	}
	if ap.AccountUserID != nil {
		event.UserID = ap.AccountUserID.String()
	}
	if in.Status != domain.ApprovalPending && ap.DecidedBy != nil {
		event.ActorID = ap.DecidedBy.String()
		event.Details["decided_by"] = ap.DecidedBy.String()
	}
	if in.Status == domain.ApprovalApproved && ap.TransferID != nil {
		event.TransferID = ap.TransferID.String()
	}
	if err := a.Audit.Record(ctx, event); err != nil {
		return err
	}
	if in.Status != domain.ApprovalPending {
		// The approval's operation, which the requesting admin polls, ends with this step.
		op := OperationEventData{OperationID: id.String(), Kind: domain.OperationCashApproval, Status: domain.OperationCompleted}
		switch in.Status {
		case domain.ApprovalApproved:
			if ap.TransferID != nil {
				op.TransferID = ap.TransferID.String()
			}
		case domain.ApprovalRejected:
			op.Status, op.FailureCode = domain.OperationFailed, domain.CodeApprovalRejected
		default:
			op.Status, op.FailureCode = domain.OperationFailed, domain.CodeApprovalExpired
		}
		if err := a.Store.AppendUserEventsTx(ctx, operationEvent(ap.RequestedBy, op)); err != nil {
			return fmt.Errorf("append events: %w", err)
		}
	}
	activity.GetLogger(ctx).Debug("cash approval event recorded", "approval_id", id.String(), "status", string(in.Status))
	return nil
}
