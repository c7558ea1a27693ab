package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"go.temporal.io/api/serviceerror"

	"github.com/bankforge/bank/audit"
	"github.com/bankforge/bank/db"
	"github.com/bankforge/bank/domain"
	"github.com/bankforge/bank/workflows"
)

// Freezing accounts. An admin's freeze is recorded pending, with the staff's note, and its workflow
// (workflows.Freeze) puts it in force, stops the transfers in flight it catches, tells the owner and,
// with an end, unfreezes the account by itself. An admin's unfreeze is taken in PostgreSQL, then the
// workflow is told. Customers see their account frozen, with the reason's code and the end; staff
// see the whole history.

// maxFreezeAhead bounds a freeze's end: further out is a freeze without one.
const maxFreezeAhead = 10 * 365 * 24 * time.Hour

type freezeRequest struct {
	Reason string  `json:"reason"`
	Note   string  `json:"note,omitempty"`
	Until  *string `json:"until,omitempty"`
	Scope  string  `json:"scope,omitempty"`
}

type unfreezeRequest struct {
	Note string `json:"note"`
}

// freezeResponse is a freeze as staff see it, the note included.
type freezeResponse struct {
	ID              string              `json:"id"`
	AccountID       string              `json:"account_id"`
	Status          domain.FreezeStatus `json:"status"`
	Reason          domain.FreezeReason `json:"reason"`
	Note            string              `json:"note"`
	Scope           domain.FreezeScope  `json:"scope"`
	FrozenBy        string              `json:"frozen_by"`
	Since           *time.Time          `json:"since"`
	Until           *time.Time          `json:"until"`
	BalanceAtFreeze *int64              `json:"balance_at_freeze"`
	EndedAt         *time.Time          `json:"ended_at"`
	EndedBy         *string             `json:"ended_by"`
	EndNote         string              `json:"end_note"`
	FailureCode     *domain.Code        `json:"failure_code"`
	WorkflowID      string              `json:"workflow_id"`
	CreatedAt       time.Time           `json:"created_at"`
}

func utc(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	return ptr(t.UTC())
}

func toFreezeResponse(f db.Freeze) freezeResponse {
	out := freezeResponse{
		ID: f.ID.String(), AccountID: f.AccountID.String(), Status: f.Status, Reason: f.Reason, Note: f.Note, Scope: f.Scope,
		FrozenBy: f.FrozenBy.String(), Since: utc(f.FrozenAt), Until: utc(f.Until), BalanceAtFreeze: f.BalanceAtFreeze,
		EndedAt: utc(f.EndedAt), EndNote: f.EndNote, FailureCode: f.FailureCode, WorkflowID: f.WorkflowID, CreatedAt: f.CreatedAt.UTC(),
	}
	if f.EndedBy != nil {
		out.EndedBy = ptr(f.EndedBy.String())
	}
	return out
}

// staffFreezeTarget reads the customer account the path names for a freeze or an unfreeze. Staff
// never freeze or unfreeze their own accounts.
func (s *server) staffFreezeTarget(r *http.Request) (db.Account, error) {
	id, ok := parseID(r.PathValue("id"))
	if !ok {
		return db.Account{}, newError(domain.CodeAccountNotFound, "No such customer account.")
	}
	a, err := s.store.GetAccount(r.Context(), id)
	if errors.Is(db.NotFound(err), db.ErrNotFound) || (err == nil && a.Kind != domain.AccountCustomer) {
		return db.Account{}, newError(domain.CodeAccountNotFound, "No such customer account.")
	} else if err != nil {
		return db.Account{}, internalError(fmt.Errorf("get account: %w", err))
	}
	if a.UserID != nil && *a.UserID == caller(r.Context()).UserID {
		return db.Account{}, newError(domain.CodeForbidden, "Staff cannot freeze or unfreeze their own accounts; another admin must do it.")
	}
	return a, nil
}

// checkFreeze validates a freeze request and returns it normalised: the scope full unless given, the
// note trimmed, the end in UTC to the microsecond the database keeps.
func (s *server) checkFreeze(req freezeRequest) (domain.FreezeReason, string, domain.FreezeScope, *time.Time, error) {
	var v validator
	reason := domain.FreezeReason(req.Reason)
	switch {
	case req.Reason == "":
		v.add("reason", "is required")
	case !slices.Contains(domain.FreezeReasons, reason):
		v.add("reason", "must be one of suspected_fraud, customer_request, legal_order, other")
	}
	note := strings.TrimSpace(req.Note)
	if msg := checkText(req.Note, 500); msg != "" {
		v.add("note", msg)
	} else if reason == domain.FreezeOther && note == "" {
		v.add("note", "is required when reason is other")
	}
	scope := domain.FreezeFull
	if req.Scope != "" {
		scope = domain.FreezeScope(req.Scope)
		if !slices.Contains(domain.FreezeScopes, scope) {
			v.add("scope", "must be full or debit")
		}
	}
	var until *time.Time
	if req.Until != nil {
		t, err := time.Parse(time.RFC3339, *req.Until)
		now := s.now()
		switch {
		case err != nil:
			v.add("until", "must be an RFC 3339 time such as 2026-01-31T00:00:00Z")
		case !t.After(now):
			v.add("until", "must be in the future")
		case t.Sub(now) > maxFreezeAhead:
			v.add("until", "must be within 10 years; leave it out for a freeze that lasts until an admin unfreezes the account")
		default:
			until = ptr(t.UTC().Truncate(time.Microsecond))
		}
	}
	return reason, note, scope, until, v.err()
}

// freezeAccount freezes a customer account: nothing leaves it (scope debit) or nothing moves at all
// (scope full, the default), for a reason, until a time or until an admin unfreezes it. The freeze is
// recorded pending under an id derived from the admin and the Idempotency-Key, with the operation
// its admin polls, and its workflow started. An account frozen already, or with a freeze being
// applied, answers 409 already_frozen and nothing is recorded.
func (s *server) freezeAccount(w http.ResponseWriter, r *http.Request) error {
	key, err := idempotencyKey(r)
	if err != nil {
		return err
	}
	if _, ok := parseID(r.PathValue("id")); !ok {
		return newError(domain.CodeAccountNotFound, "No such customer account.")
	}
	var req freezeRequest
	if err := readJSON(w, r, &req); err != nil {
		return err
	}
	reason, note, scope, until, err := s.checkFreeze(req)
	if err != nil {
		return err
	}
	account, err := s.staffFreezeTarget(r)
	if err != nil {
		return err
	}
	ctx := r.Context()
	p := caller(ctx)
	canonical := struct {
		Account string              `json:"account"`
		Reason  domain.FreezeReason `json:"reason"`
		Note    string              `json:"note"`
		Scope   domain.FreezeScope  `json:"scope"`
		Until   *time.Time          `json:"until"`
	}{account.ID.String(), reason, note, scope, until}
	return s.idempotent(w, r, key, canonical, func() (idempotentResponse, error) {
		rec, err := s.store.RecordFreezeTx(ctx, db.FreezeRequest{
			ID: idempotentID(p.UserID, key), AccountID: account.ID, Reason: reason, Note: note, Scope: scope, Until: until,
			RequestedBy: p.UserID,
			WorkflowID:  func(seq int32) string { return workflows.FreezeWorkflowID(account.ID.String(), seq) },
		})
		switch {
		case errors.Is(err, db.ErrIDReused):
			return idempotentResponse{}, newError(domain.CodeIdempotencyReused, "This Idempotency-Key was already used for a different request; use a new key.")
		case errors.Is(err, domain.ErrAlreadyFrozen):
			if rec.Freeze.Status == domain.FreezePending {
				// Being applied: make sure its workflow runs (the API may have stopped before starting it).
				if err := s.startFreeze(ctx, rec.Freeze, account); err != nil {
					s.logger.ErrorContext(ctx, "start pending freeze", "freeze_id", rec.Freeze.ID.String(), "error", err)
				}
			}
			return idempotentResponse{}, newError(domain.CodeAlreadyFrozen, "The account is frozen already, or a freeze of it is being applied; nothing was recorded. Unfreeze it first to freeze it anew.")
		case errors.Is(err, domain.ErrAccountNotActive):
			return idempotentResponse{}, newError(domain.CodeAccountNotActive, "The account is closed; nothing was recorded.")
		case errors.Is(err, db.ErrNotFound):
			return idempotentResponse{}, newError(domain.CodeAccountNotFound, "No such customer account.")
		case err != nil:
			return idempotentResponse{}, internalError(fmt.Errorf("record freeze: %w", err))
		}
		if err := s.startFreeze(ctx, rec.Freeze, account); err != nil {
			return idempotentResponse{}, &apiError{code: domain.CodeUnavailable, detail: "The freeze is recorded but could not be put in force yet; retry with the same Idempotency-Key.", cause: err}
		}
		op := rec.Operation
		return idempotentResponse{
			status:   http.StatusAccepted,
			body:     operationResponse{ID: op.ID, Kind: op.Kind, Status: domain.OperationRunning, CreatedAt: op.CreatedAt.UTC(), UpdatedAt: op.CreatedAt.UTC()},
			location: "/v1/operations/" + op.ID,
		}, nil
	})
}

// freezeInput is what a freeze's workflow starts with: ids, the reason and the end, never the note.
func freezeInput(f db.Freeze, account db.Account) workflows.FreezeInput {
	users := []string{f.FrozenBy.String()}
	if account.UserID != nil {
		users = append(users, account.UserID.String())
	}
	return workflows.FreezeInput{
		FreezeID: f.ID.String(), AccountID: f.AccountID.String(), AccountNumber: account.Number, Seq: f.Seq,
		UserIDs: users, Reason: f.Reason, Scope: f.Scope, Until: utc(f.Until),
	}
}

// startFreeze starts the freeze's workflow; one that exists already is left as it is.
func (s *server) startFreeze(ctx context.Context, f db.Freeze, account db.Account) error {
	in := freezeInput(f, account)
	in.RequestID = requestID(ctx)
	_, err := s.workflows.ExecuteWorkflow(ctx, workflows.FreezeStartOptions(in, s.cfg.TaskQueue), workflows.Freeze, in)
	var started *serviceerror.WorkflowExecutionAlreadyStarted
	if err != nil && !errors.As(err, &started) {
		return fmt.Errorf("start freeze workflow: %w", err)
	}
	return nil
}

// unfreezeAccount ends the account's freeze before its end, with a note saying why: one
// conditional change in PostgreSQL (the freeze ended and the account active, together), then the
// freeze's workflow is told (and started, when none runs), records the end and tells the owner. An
// account with no freeze in force answers 409 not_frozen and nothing changes; the admin who took the
// last unfreeze, sending it again after a 503, tells the workflow again.
func (s *server) unfreezeAccount(w http.ResponseWriter, r *http.Request) error {
	if _, ok := parseID(r.PathValue("id")); !ok {
		return newError(domain.CodeAccountNotFound, "No such customer account.")
	}
	var req unfreezeRequest
	if err := readJSON(w, r, &req); err != nil {
		return err
	}
	note := strings.TrimSpace(req.Note)
	if msg := checkText(req.Note, 500); msg != "" {
		return fieldErrors(FieldError{Field: "note", Message: msg})
	} else if note == "" {
		return fieldErrors(FieldError{Field: "note", Message: "is required: say why the freeze ends early"})
	}
	account, err := s.staffFreezeTarget(r)
	if err != nil {
		return err
	}
	ctx := r.Context()
	me := caller(ctx).UserID
	f, err := s.store.EndFreezeTx(ctx, account.ID, me, note)
	if errors.Is(err, db.ErrNotFrozen) {
		if last, err := s.store.GetLatestFreeze(ctx, account.ID); err == nil && last.Status == domain.FreezeEnded && last.EndedBy != nil && *last.EndedBy == me {
			if err := s.tellFreezeEnded(ctx, last, account); err != nil {
				s.logger.ErrorContext(ctx, "tell freeze ended", "freeze_id", last.ID.String(), "error", err)
			}
		}
		return newError(domain.CodeNotFrozen, "The account has no freeze in force; nothing changed.")
	} else if err != nil {
		return internalError(fmt.Errorf("end freeze: %w", err))
	}
	if err := s.tellFreezeEnded(ctx, f, account); err != nil {
		return &apiError{code: domain.CodeUnavailable, detail: "The account is unfrozen, but the freeze's workflow could not be told yet; send the same request again.", cause: err}
	}
	writeJSON(w, http.StatusOK, toFreezeResponse(f))
	return nil
}

// tellFreezeEnded wakes the ended freeze's workflow, starting it when none runs (it failed, or an
// operator stopped it), so that it records the end and tells the owner. A workflow that completed has
// done so already.
func (s *server) tellFreezeEnded(ctx context.Context, f db.Freeze, account db.Account) error {
	in := freezeInput(f, account)
	by := ""
	if f.EndedBy != nil {
		by = f.EndedBy.String()
	}
	_, err := s.workflows.SignalWithStartWorkflow(ctx, f.WorkflowID, workflows.FreezeEndedSignal, workflows.FreezeEnded{EndedBy: by, RequestID: requestID(ctx)},
		workflows.FreezeStartOptions(in, s.cfg.TaskQueue), workflows.Freeze, in)
	var started *serviceerror.WorkflowExecutionAlreadyStarted
	if err != nil && !errors.As(err, &started) {
		return fmt.Errorf("signal freeze: %w", err)
	}
	return nil
}

// listAccountFreezes is an account's freeze history, newest first, notes included, one page at a
// time.
func (s *server) listAccountFreezes(w http.ResponseWriter, r *http.Request) error {
	id, ok := parseID(r.PathValue("id"))
	if !ok {
		return newError(domain.CodeAccountNotFound, "No such account.")
	}
	q := r.URL.Query()
	var v validator
	params := db.ListAccountFreezesParams{AccountID: id, PageSize: pageSize(&v, q.Get("limit"))}
	params.BeforeCreatedAt, params.BeforeID = cursorParam(&v, q.Get("cursor"))
	if err := v.err(); err != nil {
		return err
	}
	ctx := r.Context()
	if _, err := s.store.GetAccount(ctx, id); errors.Is(db.NotFound(err), db.ErrNotFound) {
		return newError(domain.CodeAccountNotFound, "No such account.")
	} else if err != nil {
		return internalError(fmt.Errorf("get account: %w", err))
	}
	size := params.PageSize
	params.PageSize++
	rows, err := s.store.ListAccountFreezes(ctx, params)
	if err != nil {
		return internalError(fmt.Errorf("list freezes: %w", err))
	}
	s.recordStaffRead(r, audit.Event{AccountIDs: []string{id.String()}})
	page(w, rows, size, func(f db.Freeze) (time.Time, uuid.UUID) { return f.CreatedAt, f.ID }, toFreezeResponse)
	return nil
}

// withFreezes adds to each frozen account's view, by account id, the reason and the end of its
// freeze in force. Only frozen accounts cost a query.
func (s *server) withFreezes(ctx context.Context, views map[uuid.UUID]*accountResponse) error {
	var frozen []uuid.UUID
	for id, v := range views {
		if v.Status == domain.AccountFrozen {
			frozen = append(frozen, id)
		}
	}
	if len(frozen) == 0 {
		return nil
	}
	freezes, err := s.store.ListActiveFreezes(ctx, db.ListActiveFreezesParams{AccountIds: frozen, Active: domain.FreezeActive})
	if err != nil {
		return fmt.Errorf("list freezes: %w", err)
	}
	for _, f := range freezes {
		if v, ok := views[f.AccountID]; ok {
			v.FreezeReason, v.FrozenUntil = ptr(f.Reason), utc(f.Until)
		}
	}
	return nil
}
