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
	"github.com/bankforge/bank/mail"
)

// TransferRef names the transfer a step works on. The transfer row, written by the API before the
// workflow starts, is the step's source of truth.
type TransferRef struct {
	TransferID string
}

func (a *Activities) transfer(ctx context.Context, ref TransferRef) (db.Transfer, error) {
	id, err := uuid.Parse(ref.TransferID)
	if err != nil {
		return db.Transfer{}, internal("bad transfer id %q", ref.TransferID)
	}
	t, err := a.Store.GetTransfer(ctx, id)
	if err != nil {
		if errors.Is(db.NotFound(err), db.ErrNotFound) {
			return db.Transfer{}, internal("transfer %s not found", ref.TransferID)
		}
		return db.Transfer{}, fmt.Errorf("get transfer: %w", err)
	}
	return t, nil
}

// ValidateTransfer checks what can be checked before money is reserved: the accounts exist, are
// active and share the transfer's currency, the initiator owns the source of a customer transfer,
// and the amount is within the per-transfer limit.
func (a *Activities) ValidateTransfer(ctx context.Context, ref TransferRef) error {
	t, err := a.transfer(ctx, ref)
	if err != nil {
		return err
	}
	if t.Status != db.TransferPending {
		return internal("transfer %s has already ended as %s", t.ID, t.Status)
	}
	accounts, err := a.Store.GetAccounts(ctx, []uuid.UUID{t.FromAccountID, t.ToAccountID})
	if err != nil {
		return fmt.Errorf("get accounts: %w", err)
	}
	if len(accounts) != 2 {
		return refuse(domain.ErrTypeAccountNotFound)
	}
	from, to := accounts[0], accounts[1]
	if from.ID != t.FromAccountID {
		from, to = to, from
	}
	switch t.Kind {
	case "transfer":
		if from.UserID == nil || *from.UserID != t.InitiatedBy || from.Kind != "customer" || to.Kind != "customer" {
			return refuse(domain.ErrTypeNotOwner)
		}
		if a.Limits.MaxTransfer > 0 && t.Amount > a.Limits.MaxTransfer {
			return refuse(domain.ErrTypeLimitExceeded)
		}
	case "deposit":
		if from.Kind != "cash" || to.Kind != "customer" {
			return internal("deposit %s must go from cash to a customer account", t.ID)
		}
	case "withdrawal":
		if from.Kind != "customer" || to.Kind != "cash" {
			return internal("withdrawal %s must go from a customer account to cash", t.ID)
		}
	default:
		return internal("transfer %s has unknown kind %q", t.ID, t.Kind)
	}
	if from.Currency != t.Currency || to.Currency != t.Currency {
		return refuse(domain.ErrTypeCurrencyMismatch)
	}
	if from.Status != "active" || to.Status != "active" {
		return refuse(domain.ErrTypeAccountNotActive)
	}
	return a.Store.AddTransferStep(ctx, db.AddTransferStepParams{TransferID: t.ID, Name: "validated", Status: "ok"})
}

// ReserveFunds places the transfer's hold on its source account.
func (a *Activities) ReserveFunds(ctx context.Context, ref TransferRef) error {
	t, err := a.transfer(ctx, ref)
	if err != nil {
		return err
	}
	limits := db.HoldLimits{}
	if t.Kind == "transfer" && a.Limits.DailyMax > 0 {
		now := time.Now().UTC()
		limits = db.HoldLimits{DailyMax: a.Limits.DailyMax, DayStart: now.Truncate(24 * time.Hour)}
	}
	_, err = a.Store.PlaceHold(ctx, t, time.Now().Add(a.holdTTL()), limits)
	return refusal(err)
}

func (a *Activities) holdTTL() time.Duration {
	if a.HoldTTL > 0 {
		return a.HoldTTL
	}
	return 15 * time.Minute
}

// PostTransfer debits, credits and captures the hold in one database transaction, once per transfer.
func (a *Activities) PostTransfer(ctx context.Context, ref TransferRef) error {
	t, err := a.transfer(ctx, ref)
	if err != nil {
		return err
	}
	_, err = a.Store.PostTransfer(ctx, t, PostingOperationID(t.ID))
	return refusal(err)
}

// PostingOperationID keys the ledger transaction of a transfer: one posting per transfer, ever.
func PostingOperationID(transferID uuid.UUID) string {
	return "transfer/" + transferID.String() + "/post"
}

// VoidHold is the compensation of ReserveFunds: it releases the hold so the money is available again.
func (a *Activities) VoidHold(ctx context.Context, ref TransferRef) error {
	id, err := uuid.Parse(ref.TransferID)
	if err != nil {
		return internal("bad transfer id %q", ref.TransferID)
	}
	if _, err := a.Store.ReleaseReservation(ctx, id, db.HoldVoided); err != nil {
		return fmt.Errorf("void hold: %w", err)
	}
	return nil
}

// FailTransferInput records why a transfer ended without moving money.
type FailTransferInput struct {
	TransferID string
	Step       string
	ErrType    string
}

// FailTransferResult is the transfer's final status: failed or compensated, or completed when the
// money had in fact moved (a posting that committed but whose report was lost).
type FailTransferResult struct {
	Status string
}

// FailTransfer records a transfer's failure with the reason a customer reads.
func (a *Activities) FailTransfer(ctx context.Context, in FailTransferInput) (FailTransferResult, error) {
	t, err := a.transfer(ctx, TransferRef{TransferID: in.TransferID})
	if err != nil {
		return FailTransferResult{}, err
	}
	if t.Status != db.TransferPending {
		return FailTransferResult{Status: t.Status}, nil
	}
	err = a.Store.FailTransfer(ctx, t.ID, in.Step, in.ErrType, domain.CustomerMessage(in.ErrType))
	if err != nil {
		return FailTransferResult{}, fmt.Errorf("fail transfer: %w", err)
	}
	t, err = a.transfer(ctx, TransferRef{TransferID: in.TransferID})
	if err != nil {
		return FailTransferResult{}, err
	}
	return FailTransferResult{Status: t.Status}, nil
}

// RecordTransferOutcome writes the transfer's audit event and notifies the customers involved, in
// the app and by email; each write once, keyed by the transfer.
func (a *Activities) RecordTransferOutcome(ctx context.Context, ref TransferRef) error {
	id, err := uuid.Parse(ref.TransferID)
	if err != nil {
		return internal("bad transfer id %q", ref.TransferID)
	}
	t, err := a.Store.GetTransferParties(ctx, id)
	if errors.Is(db.NotFound(err), db.ErrNotFound) {
		return internal("transfer %s not found", ref.TransferID)
	} else if err != nil {
		return fmt.Errorf("get transfer: %w", err)
	}
	if t.Status == db.TransferPending {
		return internal("transfer %s has not ended", t.ID)
	}
	amount := domain.FormatMinor(t.Amount, int(t.Exponent)) + " " + t.Currency

	event := audit.Event{
		ID:      "transfer/" + t.ID.String() + "/" + t.Status,
		Type:    audit.EventTransferCompleted,
		UserID:  t.InitiatedBy.String(),
		Subject: t.ID.String(),
		Details: map[string]string{
			"kind": t.Kind, "status": t.Status, "amount": fmt.Sprint(t.Amount), "currency": t.Currency,
			"from_account": t.FromNumber, "to_account": t.ToNumber,
		},
	}
	if t.Status != db.TransferCompleted {
		event.Type = audit.EventTransferFailed
		if t.FailureCode != nil {
			event.Details["failure_code"] = *t.FailureCode
		}
	}
	if err := a.Audit.Record(ctx, event); err != nil {
		return err
	}

	type party struct {
		userID *uuid.UUID
		email  *string
	}
	from, to := party{t.FromUserID, t.FromEmail}, party{t.ToUserID, t.ToEmail}
	type message struct {
		to          party
		title, body string
	}
	var messages []message
	if t.Status == db.TransferCompleted {
		messages = []message{
			{from, "Money sent", fmt.Sprintf("%s left account %s to %s.", amount, t.FromNumber, t.ToNumber)},
			{to, "Money received", fmt.Sprintf("%s arrived in account %s from %s.", amount, t.ToNumber, t.FromNumber)},
		}
	} else {
		reason := domain.CustomerMessage("")
		if t.FailureReason != nil {
			reason = *t.FailureReason
		}
		messages = []message{{from, "Transfer not completed",
			fmt.Sprintf("Your transfer of %s from %s to %s did not go through: %s", amount, t.FromNumber, t.ToNumber, reason)}}
	}
	var notes []audit.Notification
	var mails []mail.Message
	for _, m := range messages {
		if m.to.userID == nil { // the cash account has no customer to tell
			continue
		}
		id := "transfer/" + t.ID.String() + "/" + t.Status + "/" + m.to.userID.String()
		notes = append(notes, audit.Notification{ID: id, UserID: m.to.userID.String(), Kind: "transfer", Title: m.title, Body: m.body})
		mails = append(mails, mail.Message{ID: id, To: *m.to.email, Subject: m.title, Body: m.body})
	}
	if err := a.Audit.Notify(ctx, notes...); err != nil {
		return err
	}
	for _, m := range mails {
		if err := a.Mailer.Send(ctx, m); err != nil {
			return fmt.Errorf("send email: %w", err)
		}
	}
	activity.GetLogger(ctx).Debug("transfer outcome recorded", "transfer_id", t.ID.String(), "status", t.Status)
	return nil
}
