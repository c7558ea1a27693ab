package activities

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/google/uuid"
	"go.temporal.io/sdk/activity"

	"github.com/bankforge/bank/audit"
	"github.com/bankforge/bank/db"
	"github.com/bankforge/bank/domain"
	"github.com/bankforge/bank/inbox"
	"github.com/bankforge/bank/mailtext"
)

// TransferRef names the transfer a step works on. The transfer row, written by the API before the
// workflow starts, is the step's source of truth.
type TransferRef struct {
	TransferID string
}

// TransferTerms keeps, for the later steps of the transfers this process validated, what never
// changes in a transfer once recorded (its kind, accounts, amount, currency, description and
// initiator), so that placing the hold and posting do not read the row again. Each step's own
// transaction reads what does change (the status, the hold) under its locks. It holds a bounded
// number of transfers; a step that misses reads the row.
type TransferTerms struct {
	mu sync.Mutex
	m  map[uuid.UUID]db.Transfer
}

// NewTransferTerms returns an empty TransferTerms.
func NewTransferTerms() *TransferTerms { return &TransferTerms{} }

// maxTransferTerms bounds the transfers kept: well above the transfers a worker runs at once.
const maxTransferTerms = 4096

func (k *TransferTerms) keep(t db.Transfer) {
	if k == nil {
		return
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.m == nil || len(k.m) >= maxTransferTerms {
		k.m = make(map[uuid.UUID]db.Transfer, 64)
	}
	k.m[t.ID] = t
}

func (k *TransferTerms) get(id uuid.UUID) (db.Transfer, bool) {
	if k == nil {
		return db.Transfer{}, false
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	t, ok := k.m[id]
	return t, ok
}

func (k *TransferTerms) forget(id uuid.UUID) {
	if k == nil {
		return
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	delete(k.m, id)
}

// transferTermsOf returns the transfer's terms, kept when this process validated it, read otherwise.
// Its status may be stale: only the terms may be used.
func (a *Activities) transferTermsOf(ctx context.Context, ref TransferRef) (db.Transfer, error) {
	if id, err := uuid.Parse(ref.TransferID); err == nil {
		if t, ok := a.Terms.get(id); ok {
			return t, nil
		}
	}
	return a.transfer(ctx, ref)
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

// ValidateTransfer checks what can be checked before money is reserved: the accounts exist, let the
// money move (active, or a destination under a debit freeze) and share the transfer's currency, the
// initiator owns the source of a customer transfer, and the amount is within the per-transfer limit.
func (a *Activities) ValidateTransfer(ctx context.Context, ref TransferRef) error {
	t, err := a.transfer(ctx, ref)
	if err != nil {
		return err
	}
	if t.Status.Ended() {
		if t.FailureCode != nil && t.FailureCode.IsRefusal() {
			// Ended by a rule before its workflow got here (a freeze stopped it): the same refusal.
			return refuse(&domain.Refusal{Code: *t.FailureCode})
		}
		return internal("transfer %s has already ended as %s", t.ID, t.Status)
	}
	accounts, err := a.Store.GetAccounts(ctx, []uuid.UUID{t.FromAccountID, t.ToAccountID})
	if err != nil {
		return fmt.Errorf("get accounts: %w", err)
	}
	if len(accounts) != 2 {
		return refuse(domain.ErrAccountNotFound)
	}
	from, to := accounts[0], accounts[1]
	if from.ID != t.FromAccountID {
		from, to = to, from
	}
	switch t.Kind {
	case domain.KindTransfer:
		if from.UserID == nil || *from.UserID != t.InitiatedBy || from.Kind != domain.AccountCustomer || to.Kind != domain.AccountCustomer {
			return refuse(domain.ErrNotOwner)
		}
		if a.Limits.MaxTransfer > 0 && t.Amount > a.Limits.MaxTransfer {
			return refuse(domain.ErrLimitExceeded)
		}
	case domain.KindDeposit:
		if from.Kind != domain.AccountCash || to.Kind != domain.AccountCustomer {
			return internal("deposit %s must go from cash to a customer account", t.ID)
		}
	case domain.KindWithdrawal:
		if from.Kind != domain.AccountCustomer || to.Kind != domain.AccountCash {
			return internal("withdrawal %s must go from a customer account to cash", t.ID)
		}
	default:
		return internal("transfer %s has unknown kind %q", t.ID, t.Kind)
	}
	if from.Currency != t.Currency || to.Currency != t.Currency {
		return refuse(domain.ErrCurrencyMismatch)
	}
	if err := a.Store.CheckMovement(ctx, from, to); err != nil {
		return temporalError(err)
	}
	if err := a.Store.AddTransferStep(ctx, db.AddTransferStepParams{TransferID: t.ID, Name: domain.StepValidate, Status: domain.StepOK}); err != nil {
		return err
	}
	a.Terms.keep(t)
	return nil
}

// PlaceHold reserves the transfer's amount on its source account. A transfer that ended before its
// hold was placed (a freeze stopped it) is refused as it ended, and holds nothing.
func (a *Activities) PlaceHold(ctx context.Context, ref TransferRef) error {
	t, err := a.transferTermsOf(ctx, ref)
	if err != nil {
		return err
	}
	limits := db.HoldLimits{}
	if t.Kind == domain.KindTransfer && a.Limits.DailyMax > 0 {
		now := time.Now().UTC()
		limits = db.HoldLimits{DailyMax: a.Limits.DailyMax, DayStart: now.Truncate(24 * time.Hour)}
	}
	err = a.Store.PlaceHoldTx(ctx, t, time.Now().Add(a.holdTTL()), limits)
	if errors.Is(err, db.ErrTransferEnded) {
		return internal("transfer %s has already ended", t.ID)
	}
	return temporalError(err)
}

func (a *Activities) holdTTL() time.Duration {
	if a.HoldTTL > 0 {
		return a.HoldTTL
	}
	return 15 * time.Minute
}

// PostTransfer debits, credits and captures the hold in one database transaction, once per transfer.
func (a *Activities) PostTransfer(ctx context.Context, ref TransferRef) error {
	t, err := a.transferTermsOf(ctx, ref)
	if err != nil {
		return err
	}
	if err := a.Store.PostTransferTx(ctx, t, PostingOperationID(t.ID)); err != nil {
		return temporalError(err)
	}
	a.Terms.forget(t.ID)
	if a.AfterPost != nil {
		a.AfterPost(t.ID)
	}
	return nil
}

// PostingOperationID keys the ledger transaction of a transfer: one posting per transfer, ever.
func PostingOperationID(transferID uuid.UUID) string {
	return "transfer/" + transferID.String() + "/post"
}

// VoidHold is the compensation of PlaceHold: it voids the hold so the money is available again.
func (a *Activities) VoidHold(ctx context.Context, ref TransferRef) error {
	id, err := uuid.Parse(ref.TransferID)
	if err != nil {
		return internal("bad transfer id %q", ref.TransferID)
	}
	if _, err := a.Store.VoidHoldTx(ctx, id); err != nil {
		return fmt.Errorf("void hold: %w", err)
	}
	return nil
}

// FailTransferInput records why a transfer ended without moving money.
type FailTransferInput struct {
	TransferID string
	Step       domain.TransferStep
	Code       domain.Code
}

// FailTransferResult is the transfer's final status: failed or compensated, or completed when the
// money had in fact moved (a posting that committed but whose report was lost).
type FailTransferResult struct {
	Status domain.TransferStatus
}

// FailTransfer records a transfer's failure with the reason a customer reads.
func (a *Activities) FailTransfer(ctx context.Context, in FailTransferInput) (FailTransferResult, error) {
	id, err := uuid.Parse(in.TransferID)
	if err != nil {
		return FailTransferResult{}, internal("bad transfer id %q", in.TransferID)
	}
	status, err := a.Store.FailTransferTx(ctx, id, in.Step, in.Code)
	if err != nil {
		return FailTransferResult{}, fmt.Errorf("fail transfer: %w", err)
	}
	a.Terms.forget(id)
	return FailTransferResult{Status: status}, nil
}

// RecordTransferOutcome writes the transfer's audit event, notifies the customers involved in the
// app and writes the emails that tell them to the outbox, each write once, keyed by the transfer.
func (a *Activities) RecordTransferOutcome(ctx context.Context, ref TransferRef) error {
	id, err := uuid.Parse(ref.TransferID)
	if err != nil {
		return internal("bad transfer id %q", ref.TransferID)
	}
	t, err := a.Store.GetTransferParties(ctx, id)
	if errors.Is(db.NotFound(err), db.ErrNotFound) {
		return internal("transfer %s not found", id)
	} else if err != nil {
		return fmt.Errorf("get transfer: %w", err)
	}
	if !t.Status.Ended() {
		return internal("transfer %s has not ended", t.ID)
	}
	event := audit.Event{
		ID:         "transfer/" + t.ID.String() + "/" + string(t.Status),
		Type:       audit.EventTransferCompleted,
		UserID:     t.InitiatedBy.String(),
		TransferID: t.ID.String(),
		AccountIDs: []string{t.FromAccountID.String(), t.ToAccountID.String()},
		Details: map[string]any{
			"kind": string(t.Kind), "status": string(t.Status), "amount": t.Amount, "currency": t.Currency,
			"from_account": t.FromNumber, "to_account": t.ToNumber,
		},
	}
	if t.Status != domain.TransferCompleted {
		event.Type = audit.EventTransferFailed
		if t.FailureCode != nil {
			event.Details["failure_code"] = *t.FailureCode
		}
	}
	// The audit event and the customers' notifications are independent writes, each once: they go
	// at the same time, and a retry redoes whichever did not happen.
	audited := make(chan error, 1)
	go func() { audited <- a.Audit.Record(ctx, event) }()

	type message struct {
		to          *uuid.UUID // nil for the cash account, which has no customer to tell
		kind        domain.NotificationKind
		title, body string
		facts       mailtext.Facts
	}
	amount := domain.FormatMoney(t.Amount, int(t.Exponent), t.Currency, domain.DefaultLocale)
	facts := mailtext.Facts{Amount: t.Amount, Currency: t.Currency, Exponent: int(t.Exponent)}
	sender, receiver := facts, facts
	sender.Account, sender.Counterparty = t.FromNumber, t.ToNumber
	receiver.Account, receiver.Counterparty = t.ToNumber, t.FromNumber
	var messages []message
	if t.Status == domain.TransferCompleted {
		sent, received := domain.NotificationTransferSent, domain.NotificationTransferReceived
		switch t.Kind {
		case domain.KindWithdrawal:
			sent, sender.Counterparty = domain.NotificationWithdrawal, ""
		case domain.KindDeposit:
			received, receiver.Counterparty = domain.NotificationDeposit, ""
		}
		messages = []message{
			{t.FromUserID, sent, "Money sent", fmt.Sprintf("%s left account %s to %s.", amount, t.FromNumber, t.ToNumber), sender},
			{t.ToUserID, received, "Money received", fmt.Sprintf("%s arrived in account %s from %s.", amount, t.ToNumber, t.FromNumber), receiver},
		}
	} else {
		sender.FailureCode = domain.CodeInternal
		if t.FailureCode != nil {
			sender.FailureCode = *t.FailureCode
		}
		failed := domain.NotificationTransferFailed
		if t.Kind == domain.KindWithdrawal {
			failed, sender.Counterparty = domain.NotificationWithdrawalFailed, ""
		}
		messages = []message{{t.FromUserID, failed, "Transfer not completed",
			fmt.Sprintf("Your transfer of %s from %s to %s did not go through: %s", amount, t.FromNumber, t.ToNumber,
				mailtext.Reason(sender.FailureCode, domain.DefaultLocale)), sender}}
	}
	var notes []inbox.Notification
	for _, m := range messages {
		if m.to == nil {
			continue
		}
		id := "transfer/" + t.ID.String() + "/" + string(t.Status) + "/" + m.to.String()
		notes = append(notes, inbox.Notification{ID: id, UserID: m.to.String(), Kind: m.kind, Title: m.title, Body: m.body, Facts: m.facts})
	}
	notified := a.notifyWith(ctx, transferEvents(t), notes...)
	if err := <-audited; err != nil {
		return err // as it is, not joined: the workflow tells a refusal by the error's type
	}
	if notified != nil {
		return notified
	}
	activity.GetLogger(ctx).Debug("transfer outcome recorded", "transfer_id", t.ID.String(), "status", string(t.Status))
	return nil
}
