package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/google/uuid"
	"go.temporal.io/api/serviceerror"

	"github.com/bankforge/bank/audit"
	"github.com/bankforge/bank/db"
	"github.com/bankforge/bank/domain"
	"github.com/bankforge/bank/workflows"
)

type transferRequest struct {
	FromAccountID   string          `json:"from_account_id"`
	ToAccountID     string          `json:"to_account_id,omitempty"`
	ToAccountNumber string          `json:"to_account_number,omitempty"`
	Amount          json.RawMessage `json:"amount"`
	Currency        string          `json:"currency"`
	Description     string          `json:"description,omitempty"`
}

type stepResponse struct {
	Name   domain.TransferStep `json:"name"`
	Status domain.StepStatus   `json:"status"`
	Detail string              `json:"detail,omitempty"`
	At     time.Time           `json:"at"`
}

// transferResponse is a transfer as a party sees it. Both accounts are shown by number; an
// account's id only to its owner, so that nobody learns the id of an account that is not theirs.
type transferResponse struct {
	ID                string                `json:"id"`
	Kind              domain.TransferKind   `json:"kind"`
	Status            domain.TransferStatus `json:"status"`
	FromAccountID     *string               `json:"from_account_id"`
	FromAccountNumber string                `json:"from_account_number"`
	ToAccountID       *string               `json:"to_account_id"`
	ToAccountNumber   string                `json:"to_account_number"`
	Amount            int64                 `json:"amount"`
	Currency          string                `json:"currency"`
	Description       string                `json:"description"`
	FailureCode       *domain.Code          `json:"failure_code"`
	FailureReason     *string               `json:"failure_reason"`
	Steps             []stepResponse        `json:"steps"`
	CreatedAt         time.Time             `json:"created_at"`
	CompletedAt       *time.Time            `json:"completed_at"`
}

// transferView is a transfer with the numbers and owners of its accounts, as read for the caller.
type transferView = db.GetVisibleTransferRow

// toTransferResponse shows t to viewer: the ids of viewer's own accounts, every account's number.
func toTransferResponse(viewer uuid.UUID, v transferView, steps []db.TransferStep) transferResponse {
	t := v.Transfer
	idFor := func(id uuid.UUID, owner *uuid.UUID) *string {
		if owner == nil || *owner != viewer {
			return nil
		}
		return ptr(id.String())
	}
	out := transferResponse{
		ID: t.ID.String(), Kind: t.Kind, Status: t.Status,
		FromAccountID: idFor(t.FromAccountID, v.FromUserID), FromAccountNumber: v.FromNumber,
		ToAccountID: idFor(t.ToAccountID, v.ToUserID), ToAccountNumber: v.ToNumber,
		Amount: t.Amount, Currency: t.Currency, Description: t.Description,
		FailureCode: t.FailureCode, FailureReason: t.FailureReason, Steps: toSteps(t, steps),
		CreatedAt: t.CreatedAt.UTC(),
	}
	if t.CompletedAt != nil {
		out.CompletedAt = ptr(t.CompletedAt.UTC())
	}
	return out
}

// toSteps is t's timeline, oldest first, starting with its acceptance.
func toSteps(t db.Transfer, steps []db.TransferStep) []stepResponse {
	out := []stepResponse{{Name: domain.StepAccept, Status: domain.StepOK, At: t.CreatedAt.UTC()}}
	for _, st := range steps {
		out = append(out, stepResponse{Name: st.Name, Status: st.Status, Detail: st.Detail, At: st.At.UTC()})
	}
	return out
}

// transferIntent is a validated request to move money, ready to be recorded and started.
type transferIntent struct {
	kind     domain.TransferKind
	from, to db.Account
	amount   int64
	currency string
	desc     string
}

// createTransfer validates a customer's transfer at once (shape, amount, currency, the caller's own
// source account, not frozen, an existing destination) and starts the transfer workflow, which checks
// the rest.
func (s *server) createTransfer(w http.ResponseWriter, r *http.Request) error {
	key, err := idempotencyKey(r)
	if err != nil {
		return err
	}
	var req transferRequest
	if err := readJSON(w, r, &req); err != nil {
		return err
	}
	ctx := r.Context()
	p := caller(ctx)
	var v validator
	amount := s.checkMoney(&v, req.Amount, req.Currency)
	if msg := checkText(req.Description, 140); msg != "" {
		v.add("description", msg)
	}
	fromID, okFrom := parseID(req.FromAccountID)
	if !okFrom {
		v.add("from_account_id", "must be an account id")
	}
	var toID uuid.UUID
	switch {
	case req.ToAccountID != "" && req.ToAccountNumber != "":
		v.add("to_account_id", "give to_account_id or to_account_number, not both")
	case req.ToAccountID != "":
		var ok bool
		if toID, ok = parseID(req.ToAccountID); !ok {
			v.add("to_account_id", "must be an account id")
		}
	case req.ToAccountNumber != "":
		if !domain.ValidAccountNumber(req.ToAccountNumber) {
			v.add("to_account_number", "is not a valid account number")
		}
	default:
		v.add("to_account_id", "is required (or give to_account_number)")
	}
	if err := v.err(); err != nil {
		return err
	}

	from, err := s.store.GetUserAccount(ctx, db.GetUserAccountParams{ID: fromID, UserID: &p.UserID})
	if errors.Is(db.NotFound(err), db.ErrNotFound) {
		return &apiError{code: domain.CodeAccountNotFound, detail: "You have no such account.", fields: []FieldError{{Field: "from_account_id", Message: "is not one of your accounts"}}}
	} else if err != nil {
		return internalError(fmt.Errorf("get source account: %w", err))
	}
	if from.Status == domain.AccountFrozen {
		// Refused at once rather than failed by the workflow: no money leaves a frozen account. A
		// retry of a transfer recorded before the freeze gets that transfer instead.
		if recorded, err := s.recordedUnder(ctx, p.UserID, key); err != nil {
			return internalError(fmt.Errorf("look up idempotency key: %w", err))
		} else if !recorded {
			return &apiError{code: domain.CodeAccountFrozen, detail: "This account is frozen: no money can leave it. Contact the bank to learn more.", fields: []FieldError{{Field: "from_account_id", Message: "is frozen"}}}
		}
	}
	var to db.Account
	field := "to_account_id"
	if req.ToAccountNumber != "" {
		field = "to_account_number"
		to, err = s.store.GetAccountByNumber(ctx, req.ToAccountNumber)
	} else {
		to, err = s.store.GetAccount(ctx, toID)
	}
	if errors.Is(db.NotFound(err), db.ErrNotFound) || (err == nil && to.Kind != domain.AccountCustomer) {
		return &apiError{code: domain.CodeAccountNotFound, detail: "The destination account does not exist.", fields: []FieldError{{Field: field, Message: "does not name an account"}}}
	} else if err != nil {
		return internalError(fmt.Errorf("get destination account: %w", err))
	}
	if to.ID == from.ID {
		return fieldErrors(FieldError{Field: field, Message: "must differ from the source account"})
	}
	req.ToAccountID, req.ToAccountNumber = to.ID.String(), "" // one canonical form for the key's hash
	return s.startTransfer(w, r, key, req, transferIntent{
		kind: domain.KindTransfer, from: from, to: to, amount: amount, currency: req.Currency, desc: strings.TrimSpace(req.Description),
	})
}

// checkMoney validates a currency and an amount in it.
func (s *server) checkMoney(v *validator, rawAmount json.RawMessage, currency string) int64 {
	exp, msg := s.currency(currency)
	if msg != "" {
		v.add("currency", msg)
		if len(rawAmount) == 0 || string(rawAmount) == "null" {
			v.add("amount", "is required")
		}
		return 0
	}
	amount, msg := parseAmount(rawAmount, exp)
	if msg == "" && amount > domain.MaxAmount {
		msg = fmt.Sprintf("is above the largest amount one movement may carry (%d minor units)", domain.MaxAmount)
	}
	if msg != "" {
		v.add("amount", msg)
		return 0
	}
	return amount
}

// startTransfer records the transfer and starts its workflow, once per Idempotency-Key.
func (s *server) startTransfer(w http.ResponseWriter, r *http.Request, key string, req any, in transferIntent) error {
	ctx := r.Context()
	p := caller(ctx)
	return s.idempotent(w, r, key, req, func() (idempotentResponse, error) {
		id := idempotentID(p.UserID, key)
		wfID := workflows.TransferWorkflowID(id.String())
		// Recorded once per key: a retry whose first answer was lost finds the same transfer.
		t, err := s.store.RecordTransfer(ctx, db.CreateTransferParams{
			ID: id, Kind: in.kind, InitiatedBy: p.UserID, FromAccountID: in.from.ID, ToAccountID: in.to.ID,
			Amount: in.amount, Currency: in.currency, Description: in.desc, WorkflowID: wfID,
		})
		if errors.Is(err, db.ErrIDReused) {
			return idempotentResponse{}, newError(domain.CodeIdempotencyReused, "This Idempotency-Key was already used for a different request; use a new key.")
		}
		if err != nil {
			return idempotentResponse{}, internalError(fmt.Errorf("create transfer: %w", err))
		}
		s.recordTransferRequested(ctx, t)
		if err := s.startTransferWorkflow(ctx, t, in.from, in.to); err != nil {
			return idempotentResponse{}, err
		}
		view := transferView{Transfer: t, FromNumber: in.from.Number, FromUserID: in.from.UserID, ToNumber: in.to.Number, ToUserID: in.to.UserID}
		return idempotentResponse{
			status:   http.StatusAccepted,
			body:     toTransferResponse(p.UserID, view, nil),
			location: "/v1/transfers/" + t.ID.String(),
		}, nil
	})
}

// recordTransferRequested audits a transfer, deposit or withdrawal as it is recorded, once per
// transfer, with the request that asked for it; its workflow audits how it ends.
func (s *server) recordTransferRequested(ctx context.Context, t db.Transfer) {
	s.recordAudit(ctx, audit.Event{
		ID: "transfer/" + t.ID.String() + "/requested", Type: audit.EventTransferRequested, UserID: t.InitiatedBy.String(),
		TransferID: t.ID.String(), AccountIDs: []string{t.FromAccountID.String(), t.ToAccountID.String()},
		Details: map[string]any{"kind": string(t.Kind), "amount": t.Amount, "currency": t.Currency},
	})
}

func (s *server) startTransferWorkflow(ctx context.Context, t db.Transfer, from, to db.Account) error {
	in := transferInput(t, from, to, s.currencies[t.Currency])
	opts := workflows.TransferStartOptions(in, s.cfg.TaskQueue)
	opts.EnableEagerStart = s.cfg.EagerStart
	_, err := s.workflows.ExecuteWorkflow(ctx, opts, workflows.Transfer, in)
	var started *serviceerror.WorkflowExecutionAlreadyStarted
	if err != nil && !errors.As(err, &started) {
		return &apiError{code: domain.CodeUnavailable, detail: "The transfer is recorded but could not start; retry with the same Idempotency-Key.", cause: fmt.Errorf("start transfer workflow: %w", err)}
	}
	return nil
}

// getTransfer shows a transfer to its parties. ?wait=5s (bounded) holds the answer while the
// transfer is pending, until it ends or the wait runs out.
func (s *server) getTransfer(w http.ResponseWriter, r *http.Request) error {
	id, ok := parseID(r.PathValue("id"))
	if !ok {
		return newError(domain.CodeNotFound, "No such transfer.")
	}
	wait, release, err := s.waitParam(r)
	if err != nil {
		return err
	}
	defer release()
	ctx := r.Context()
	viewer := caller(ctx).UserID
	read := func() (transferView, error) {
		t, err := s.store.GetVisibleTransfer(ctx, db.GetVisibleTransferParams{ID: id, UserID: viewer, Completed: domain.TransferCompleted})
		if errors.Is(db.NotFound(err), db.ErrNotFound) {
			return t, newError(domain.CodeNotFound, "No such transfer.")
		} else if err != nil {
			return t, internalError(fmt.Errorf("get transfer: %w", err))
		}
		return t, nil
	}
	var t transferView
	if wait > 0 {
		t, err = s.awaitTransfer(ctx, id, wait, read)
	} else {
		t, err = read()
	}
	if err != nil {
		return err
	}
	if t.Transfer.InitiatedBy != viewer {
		// The other party sees what arrived or left, not the initiator's timeline.
		writeJSON(w, http.StatusOK, toTransferResponse(viewer, t, nil))
		return nil
	}
	steps, err := s.store.ListTransferSteps(ctx, t.Transfer.ID)
	if err != nil {
		return internalError(fmt.Errorf("list steps: %w", err))
	}
	writeJSON(w, http.StatusOK, toTransferResponse(viewer, t, steps))
	return nil
}

// awaitTransfer reads a transfer, waiting up to wait while it is pending. It wakes on the
// transfer's notification and also re-reads every Config.WaitRecheck, so a lost notification only
// costs time.
func (s *server) awaitTransfer(ctx context.Context, id uuid.UUID, wait time.Duration, read func() (transferView, error)) (transferView, error) {
	var woken <-chan struct{}
	if s.finished != nil {
		ch, cancel := s.finished.Subscribe(id.String())
		defer cancel()
		woken = ch
	}
	deadline := time.NewTimer(wait)
	defer deadline.Stop()
	every := time.NewTicker(s.cfg.WaitRecheck)
	if s.finished == nil {
		every.Reset(50 * time.Millisecond)
	}
	defer every.Stop()
	for {
		// Read after subscribing, so an end committed in between is not missed.
		t, err := read()
		if err != nil || t.Transfer.Status != domain.TransferPending {
			return t, err
		}
		select {
		case <-woken:
			woken = nil
		case <-every.C:
		case <-deadline.C:
			return t, nil
		case <-ctx.Done():
			return t, nil
		}
	}
}

// waitParam reads ?wait=, a duration bounded by the configured maximum. A request that waits
// holds one of its user's MaxWaitsPerUser places (a signed-out client's, by its address) until
// release is called; one more is refused with 429.
func (s *server) waitParam(r *http.Request) (wait time.Duration, release func(), err error) {
	q := r.URL.Query().Get("wait")
	if q == "" {
		return 0, func() {}, nil
	}
	d, err := time.ParseDuration(q)
	if err != nil || d < 0 {
		return 0, nil, fieldErrors(FieldError{Field: "wait", Message: "must be a duration such as 5s"})
	}
	if d == 0 {
		return 0, func() {}, nil
	}
	key := "client:" + rateKey(clientIP(r))
	if p, ok := r.Context().Value(principalKey{}).(principal); ok {
		key = "user:" + p.UserID.String()
	} else if p, err := s.principalOf(r); err == nil {
		key = "user:" + p.UserID.String()
	}
	release, ok := s.waits.enter(key)
	if !ok {
		return 0, nil, &apiError{code: domain.CodeRateLimited, retryAfter: time.Second,
			detail: fmt.Sprintf("At most %d requests may wait at once; retry without ?wait= or once one ends.", s.cfg.MaxWaitsPerUser)}
	}
	return min(d, s.cfg.MaxWait), release, nil
}

func (s *server) listTransfers(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	q := r.URL.Query()
	var v validator
	params := db.ListVisibleTransfersParams{UserID: caller(ctx).UserID, Completed: domain.TransferCompleted, PageSize: pageSize(&v, q.Get("limit"))}
	params.BeforeCreatedAt, params.BeforeID = cursorParam(&v, q.Get("cursor"))
	if err := v.err(); err != nil {
		return err
	}
	params.PageSize++
	rows, err := s.store.ListVisibleTransfers(ctx, params)
	if err != nil {
		return internalError(fmt.Errorf("list transfers: %w", err))
	}
	items := make([]transferResponse, 0, len(rows))
	var next *string
	for i, t := range rows {
		if i == int(params.PageSize)-1 {
			prev := rows[i-1].Transfer
			next = ptr(encodeCursor(prev.CreatedAt, prev.ID.String()))
			break
		}
		items = append(items, toTransferResponse(params.UserID, transferView(t), nil))
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": items, "next_cursor": next})
	return nil
}

func transferInput(t db.Transfer, from, to db.Account, exponent int) workflows.TransferInput {
	owner := func(a db.Account) string {
		if a.UserID == nil {
			return ""
		}
		return a.UserID.String()
	}
	return workflows.TransferInput{
		TransferID: t.ID.String(), Kind: t.Kind, FromAccountID: t.FromAccountID.String(),
		ToAccountID: t.ToAccountID.String(), FromAccountNumber: from.Number, ToAccountNumber: to.Number,
		UserIDs: workflows.TransferUserIDs(t.InitiatedBy.String(), owner(from), owner(to)),
		Amount:  t.Amount, Currency: t.Currency, Exponent: exponent,
	}
}
