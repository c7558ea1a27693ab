package db

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/bankforge/bank/domain"
)

// Recording transfers and cash requests. A transfer is recorded pending under an id its starter
// derives (from the caller and the Idempotency-Key, or from the approval that started it), once:
// the API records customers' transfers and admins' cash requests, and the cash approval's workflow
// records the transfer an approval starts, all through recordTransfer.

// ErrIDReused means the id of a request (derived from an Idempotency-Key) already names a
// different one.
var ErrIDReused = errors.New("the id already names a different request")

// ErrNotApproved guards against recording the transfer of a cash approval that is not approved. It
// is no refusal: reaching it means a step ran out of order.
var ErrNotApproved = errors.New("cash approval is not approved")

// RecordTransfer records a pending transfer under its id, once: a second call with the same id
// returns the transfer the first recorded, or ErrIDReused when that one differs.
func (s *Store) RecordTransfer(ctx context.Context, p CreateTransferParams) (Transfer, error) {
	return recordTransfer(ctx, s.Queries, p)
}

func recordTransfer(ctx context.Context, q *Queries, p CreateTransferParams) (Transfer, error) {
	t, err := q.CreateTransfer(ctx, p)
	if err = NotFound(err); err == nil {
		return t, nil
	} else if !errors.Is(err, ErrNotFound) {
		return Transfer{}, fmt.Errorf("create transfer: %w", err)
	}
	// Recorded by an earlier attempt with this id, whose answer was lost.
	t, err = q.GetTransfer(ctx, p.ID)
	if err != nil {
		return Transfer{}, fmt.Errorf("get transfer: %w", NotFound(err))
	}
	if !recordedAs(t, p) {
		return Transfer{}, ErrIDReused
	}
	return t, nil
}

// recordedAs reports whether t is the transfer p asks to record.
func recordedAs(t Transfer, p CreateTransferParams) bool {
	return t.Kind == p.Kind && t.InitiatedBy == p.InitiatedBy && t.FromAccountID == p.FromAccountID &&
		t.ToAccountID == p.ToAccountID && t.Amount == p.Amount && t.Currency == p.Currency &&
		t.Description == p.Description && t.WorkflowID == p.WorkflowID
}

// CashRequest is an admin's request to deposit cash into a customer account or withdraw it from one.
type CashRequest struct {
	// ID names what the request records (derived from the admin and the Idempotency-Key): the
	// transfer, or the approval and its operation.
	ID          uuid.UUID
	Kind        domain.TransferKind // deposit or withdrawal
	Account     Account             // the customer's account
	Cash        Account             // the cash account of its currency
	Amount      int64
	Description string
	RequestedBy uuid.UUID
	// NeedsApproval records a pending approval (with ApprovalWorkflowID, expiring ApprovalTTL from
	// now) instead of a transfer (with TransferWorkflowID).
	NeedsApproval      bool
	TransferWorkflowID string
	ApprovalWorkflowID string
	ApprovalTTL        time.Duration
	// DailyLimit bounds the admin's cash in the account's currency since DayStart (the start of the
	// UTC day), this request included.
	DailyLimit int64
	DayStart   time.Time
}

// CashRecord is what a cash request recorded: a transfer, or an approval with its operation.
type CashRecord struct {
	Transfer  *Transfer
	Approval  *CashApproval
	Operation Operation
}

func (r CashRequest) transfer() CreateTransferParams {
	p := CreateTransferParams{
		ID: r.ID, Kind: r.Kind, InitiatedBy: r.RequestedBy, FromAccountID: r.Cash.ID, ToAccountID: r.Account.ID,
		Amount: r.Amount, Currency: r.Account.Currency, Description: r.Description, WorkflowID: r.TransferWorkflowID,
	}
	if r.Kind == domain.KindWithdrawal {
		p.FromAccountID, p.ToAccountID = r.Account.ID, r.Cash.ID
	}
	return p
}

// RecordCashRequestTx records an admin's cash request once per id: a pending transfer, or, when it
// needs approval, a pending approval with the operation its admin polls. Under a lock on the admin's
// cash requests, it refuses with domain.ErrDailyLimitExceeded, recording nothing, a request that
// would take the admin's cash of the day in its currency (deposits and withdrawals that did not fail,
// approvals pending or approved) past DailyLimit. A request recorded before under the same id is
// returned as it was recorded, whatever the threshold and the limit say now, or refused with
// ErrIDReused when it differs.
func (s *Store) RecordCashRequestTx(ctx context.Context, req CashRequest) (CashRecord, error) {
	if req.Kind != domain.KindDeposit && req.Kind != domain.KindWithdrawal {
		return CashRecord{}, fmt.Errorf("a cash request is a deposit or a withdrawal, not %q", req.Kind)
	}
	var rec CashRecord
	err := s.InTx(ctx, func(q *Queries) error {
		if err := q.LockAdminCashDay(ctx, req.RequestedBy); err != nil {
			return fmt.Errorf("lock admin cash: %w", err)
		}
		p := req.transfer()
		t, err := q.GetTransfer(ctx, req.ID)
		switch err = NotFound(err); {
		case err == nil:
			if !recordedAs(t, p) {
				return ErrIDReused
			}
			rec.Transfer = &t
			return nil
		case !errors.Is(err, ErrNotFound):
			return fmt.Errorf("get transfer: %w", err)
		}
		ap, err := q.GetCashApproval(ctx, req.ID)
		switch err = NotFound(err); {
		case err == nil:
			if ap.Kind != req.Kind || ap.AccountID != req.Account.ID || ap.Amount != req.Amount ||
				ap.Currency != req.Account.Currency || ap.Description != req.Description || ap.RequestedBy != req.RequestedBy {
				return ErrIDReused
			}
			op, err := q.GetOperation(ctx, ap.ID.String())
			if err != nil {
				return fmt.Errorf("get operation: %w", NotFound(err))
			}
			rec.Approval, rec.Operation = &ap, op
			return nil
		case !errors.Is(err, ErrNotFound):
			return fmt.Errorf("get cash approval: %w", err)
		}

		used, err := q.SumAdminCashSince(ctx, SumAdminCashSinceParams{
			AdminID: req.RequestedBy, Currency: req.Account.Currency, Since: req.DayStart,
			Deposit: domain.KindDeposit, Withdrawal: domain.KindWithdrawal,
			Pending: domain.TransferPending, Completed: domain.TransferCompleted,
			ApprovalPending: domain.ApprovalPending, Approved: domain.ApprovalApproved,
		})
		if err != nil {
			return fmt.Errorf("sum admin cash: %w", err)
		}
		if used > req.DailyLimit-req.Amount {
			return domain.ErrDailyLimitExceeded
		}

		if !req.NeedsApproval {
			t, err := recordTransfer(ctx, q, p)
			if err != nil {
				return err
			}
			rec.Transfer = &t
			return nil
		}
		ap, err = q.CreateCashApproval(ctx, CreateCashApprovalParams{
			ID: req.ID, Kind: req.Kind, AccountID: req.Account.ID, Amount: req.Amount, Currency: req.Account.Currency,
			Description: req.Description, RequestedBy: req.RequestedBy, WorkflowID: req.ApprovalWorkflowID,
			TtlSeconds: req.ApprovalTTL.Seconds(),
		})
		if err != nil {
			return fmt.Errorf("create cash approval: %w", NotFound(err))
		}
		op, err := q.CreateOperation(ctx, CreateOperationParams{
			ID: ap.ID.String(), Kind: domain.OperationCashApproval, WorkflowID: ap.WorkflowID, UserID: &req.RequestedBy,
		})
		if err != nil {
			return fmt.Errorf("create operation: %w", err)
		}
		rec.Approval, rec.Operation = &ap, op
		return nil
	})
	return rec, err
}

// ExpireDueCashApproval ends the approval as expired if it is still pending past its expiry, and
// returns it as it now stands. The database's clock decides, as it does for the approvers: an
// approval decided just before its expiry stays decided.
func (s *Store) ExpireDueCashApproval(ctx context.Context, id uuid.UUID) (CashApproval, error) {
	ap, err := s.ExpireCashApproval(ctx, ExpireCashApprovalParams{ID: id, Expired: domain.ApprovalExpired, Pending: domain.ApprovalPending})
	if err = NotFound(err); err == nil {
		return ap, nil
	} else if !errors.Is(err, ErrNotFound) {
		return CashApproval{}, fmt.Errorf("expire cash approval: %w", err)
	}
	ap, err = s.GetCashApproval(ctx, id)
	if err != nil {
		return CashApproval{}, fmt.Errorf("get cash approval: %w", NotFound(err))
	}
	return ap, nil
}

// RecordApprovedCashTransferTx records the transfer of an approved cash approval and links the
// approval to it, in one transaction, once: running it again returns the transfer the first run
// recorded. The caller derives the transfer's id and workflow id from the approval's; the transfer
// is initiated by the admin who asked. It refuses an approval that is not approved with
// ErrNotApproved.
func (s *Store) RecordApprovedCashTransferTx(ctx context.Context, approvalID, transferID uuid.UUID, workflowID string) (Transfer, error) {
	var t Transfer
	err := s.InTx(ctx, func(q *Queries) error {
		ap, err := q.GetCashApprovalForUpdate(ctx, approvalID)
		if err != nil {
			return fmt.Errorf("get cash approval: %w", NotFound(err))
		}
		if ap.Status != domain.ApprovalApproved {
			return fmt.Errorf("cash approval %s is %s: %w", ap.ID, ap.Status, ErrNotApproved)
		}
		if ap.TransferID != nil {
			if t, err = q.GetTransfer(ctx, *ap.TransferID); err != nil {
				return fmt.Errorf("get transfer: %w", NotFound(err))
			}
			return nil
		}
		account, err := q.GetAccount(ctx, ap.AccountID)
		if err != nil {
			return fmt.Errorf("get account: %w", NotFound(err))
		}
		cash, err := q.GetCashAccount(ctx, GetCashAccountParams{Kind: domain.AccountCash, Currency: ap.Currency})
		if err != nil {
			return fmt.Errorf("get cash account: %w", NotFound(err))
		}
		req := CashRequest{
			ID: transferID, Kind: ap.Kind, Account: account, Cash: cash, Amount: ap.Amount,
			Description: ap.Description, RequestedBy: ap.RequestedBy, TransferWorkflowID: workflowID,
		}
		if t, err = recordTransfer(ctx, q, req.transfer()); err != nil {
			return err
		}
		n, err := q.LinkCashApprovalTransfer(ctx, LinkCashApprovalTransferParams{ID: ap.ID, TransferID: &t.ID, Approved: domain.ApprovalApproved})
		if err != nil {
			return fmt.Errorf("link transfer: %w", err)
		}
		if n != 1 {
			return fmt.Errorf("link transfer to cash approval %s: %d rows", ap.ID, n)
		}
		return nil
	})
	return t, err
}
