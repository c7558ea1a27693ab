package activities

import (
	"time"

	"github.com/google/uuid"

	"github.com/bankforge/bank/db"
	"github.com/bankforge/bank/domain"
)

// The live events (GET /v1/ws) the steps append beside their notifications. Each is for one user
// and tells only what that user may see: their own account by id and number, the other party by
// number, never a staff note; each is keyed by what it tells, so a step run twice appends it once.

// TransferEventData is what a transfer.completed, transfer.failed or transfer.received event tells
// one party: their own account, the other party's number (none for the bank's cash account), and
// to the sender of a failed transfer, why.
type TransferEventData struct {
	TransferID                string                `json:"transfer_id"`
	Kind                      domain.TransferKind   `json:"kind"`
	Status                    domain.TransferStatus `json:"status"`
	Amount                    int64                 `json:"amount"`
	Currency                  string                `json:"currency"`
	AccountID                 string                `json:"account_id"`
	AccountNumber             string                `json:"account_number"`
	CounterpartyAccountNumber string                `json:"counterparty_account_number,omitempty"`
	FailureCode               domain.Code           `json:"failure_code,omitempty"`
}

// transferEvents are the events of a transfer's end: to the source account's owner, completed or
// failed; to the destination's owner, received, once it completed. The cash account has no owner.
func transferEvents(t db.GetTransferPartiesRow) []db.Event {
	base := TransferEventData{TransferID: t.ID.String(), Kind: t.Kind, Status: t.Status, Amount: t.Amount, Currency: t.Currency}
	key := func(user uuid.UUID, typ domain.EventType) string {
		return "transfer/" + t.ID.String() + "/" + string(t.Status) + "/" + user.String() + "/" + string(typ)
	}
	var out []db.Event
	if t.FromUserID != nil {
		d := base
		d.AccountID, d.AccountNumber = t.FromAccountID.String(), t.FromNumber
		if t.Kind != domain.KindWithdrawal {
			d.CounterpartyAccountNumber = t.ToNumber
		}
		typ := domain.EventTransferCompleted
		if t.Status != domain.TransferCompleted {
			typ, d.FailureCode = domain.EventTransferFailed, domain.CodeInternal
			if t.FailureCode != nil {
				d.FailureCode = *t.FailureCode
			}
		}
		out = append(out, db.Event{UserID: *t.FromUserID, Key: key(*t.FromUserID, typ), Type: typ, Data: d})
	}
	if t.ToUserID != nil && t.Status == domain.TransferCompleted {
		d := base
		d.AccountID, d.AccountNumber = t.ToAccountID.String(), t.ToNumber
		if t.Kind != domain.KindDeposit {
			d.CounterpartyAccountNumber = t.FromNumber
		}
		out = append(out, db.Event{UserID: *t.ToUserID, Key: key(*t.ToUserID, domain.EventTransferReceived), Type: domain.EventTransferReceived, Data: d})
	}
	return out
}

// AccountEventData is what account.frozen and account.unfrozen tell the account's owner: the
// reason's code, the scope and the end of a freeze, never the staff's note.
type AccountEventData struct {
	AccountID     string               `json:"account_id"`
	AccountNumber string               `json:"account_number"`
	Status        domain.AccountStatus `json:"status"`
	Reason        domain.FreezeReason  `json:"reason,omitempty"`
	Scope         domain.FreezeScope   `json:"scope,omitempty"`
	Until         *time.Time           `json:"until,omitempty"`
}

// freezeEvent is the owner's account.frozen (the freeze came into force) or account.unfrozen (it
// ended, or failed after it came into force).
func freezeEvent(f db.GetFreezeViewRow, status domain.FreezeStatus, owner uuid.UUID) db.Event {
	d := AccountEventData{AccountID: f.AccountID.String(), AccountNumber: f.AccountNumber, Status: domain.AccountActive}
	typ := domain.EventAccountUnfrozen
	if status == domain.FreezeActive {
		typ, d.Status, d.Reason, d.Scope = domain.EventAccountFrozen, domain.AccountFrozen, f.Reason, f.Scope
		if f.Until != nil {
			u := f.Until.UTC()
			d.Until = &u
		}
	}
	return db.Event{UserID: owner, Key: "freeze/" + f.ID.String() + "/" + string(status) + "/" + owner.String(), Type: typ, Data: d}
}

// OperationEventData is what operation.completed tells the user who started the operation: how it
// ended, as GET /v1/operations/{id} then answers.
type OperationEventData struct {
	OperationID string                 `json:"operation_id"`
	Kind        domain.OperationKind   `json:"kind"`
	Status      domain.OperationStatus `json:"status"`
	FailureCode domain.Code            `json:"failure_code,omitempty"`
	TransferID  string                 `json:"transfer_id,omitempty"`
}

func operationEvent(owner uuid.UUID, d OperationEventData) db.Event {
	return db.Event{UserID: owner, Key: "operation/" + d.OperationID + "/" + string(d.Status), Type: domain.EventOperationCompleted, Data: d}
}
