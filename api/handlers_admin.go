package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/bankforge/bank/audit"
	"github.com/bankforge/bank/db"
	"github.com/bankforge/bank/domain"
	"github.com/bankforge/bank/workflows"
)

type cashMovementRequest struct {
	Amount      json.RawMessage `json:"amount"`
	Currency    string          `json:"currency"`
	Description string          `json:"description,omitempty"`
}

func (s *server) deposit(w http.ResponseWriter, r *http.Request) error {
	return s.cashMovement(w, r, domain.KindDeposit)
}
func (s *server) withdraw(w http.ResponseWriter, r *http.Request) error {
	return s.cashMovement(w, r, domain.KindWithdrawal)
}

// cashMovement moves money between a customer account and the cash account of its currency: a
// deposit credits the customer, a withdrawal debits them. Below its currency's approval threshold it
// runs as a transfer workflow at once; at or above it, it waits for a second admin's approval (a
// CashApproval workflow, polled as an operation). Either counts toward the admin's daily cash limit,
// past which it is refused and nothing is recorded.
func (s *server) cashMovement(w http.ResponseWriter, r *http.Request, kind domain.TransferKind) error {
	key, err := idempotencyKey(r)
	if err != nil {
		return err
	}
	id, ok := parseID(r.PathValue("id"))
	if !ok {
		return newError(domain.CodeAccountNotFound, "No such account.")
	}
	var req cashMovementRequest
	if err := readJSON(w, r, &req); err != nil {
		return err
	}
	var v validator
	amount := s.checkMoney(&v, req.Amount, req.Currency)
	if msg := checkText(req.Description, 140); msg != "" {
		v.add("description", msg)
	}
	if err := v.err(); err != nil {
		return err
	}
	ctx := r.Context()
	p := caller(ctx)
	customer, err := s.store.GetAccount(ctx, id)
	if errors.Is(db.NotFound(err), db.ErrNotFound) || (err == nil && customer.Kind != domain.AccountCustomer) {
		return newError(domain.CodeAccountNotFound, "No such customer account.")
	} else if err != nil {
		return internalError(fmt.Errorf("get account: %w", err))
	}
	if customer.UserID != nil && *customer.UserID == p.UserID {
		// Separation of duties: staff never move cash into or out of their own accounts.
		return newError(domain.CodeForbidden, "Staff cannot deposit into or withdraw from their own accounts; another admin must do it.")
	}
	if kind == domain.KindWithdrawal && customer.Status == domain.AccountFrozen {
		// A retry of a withdrawal recorded before the freeze gets that withdrawal instead.
		if recorded, err := s.recordedUnder(ctx, p.UserID, key); err != nil {
			return internalError(fmt.Errorf("look up idempotency key: %w", err))
		} else if !recorded {
			return newError(domain.CodeAccountFrozen, "The account is frozen: no money can leave it, in cash or otherwise.")
		}
	}
	if customer.Currency != req.Currency {
		return fieldErrors(FieldError{Field: "currency", Message: "must be the account's currency, " + customer.Currency})
	}
	cash, err := s.store.GetCashAccount(ctx, db.GetCashAccountParams{Kind: domain.AccountCash, Currency: req.Currency})
	if err != nil {
		return internalError(fmt.Errorf("get cash account: %w", db.NotFound(err)))
	}
	canonical := struct {
		Account string `json:"account"`
		cashMovementRequest
	}{id.String(), req}
	return s.idempotent(w, r, key, canonical, func() (idempotentResponse, error) {
		// One id per key names the transfer or the approval, so a retry finds what the first recorded.
		reqID := idempotentID(p.UserID, key)
		limit := s.cfg.AdminDailyCashLimits[req.Currency]
		rec, err := s.store.RecordCashRequestTx(ctx, db.CashRequest{
			ID: reqID, Kind: kind, Account: customer, Cash: cash, Amount: amount,
			Description: strings.TrimSpace(req.Description), RequestedBy: p.UserID,
			NeedsApproval:      amount >= s.cfg.CashApprovalThresholds[req.Currency],
			TransferWorkflowID: workflows.TransferWorkflowID(reqID.String()),
			ApprovalWorkflowID: workflows.CashApprovalWorkflowID(reqID.String()),
			ApprovalTTL:        s.cfg.CashApprovalTTL,
			DailyLimit:         limit,
			DayStart:           s.now().UTC().Truncate(24 * time.Hour),
		})
		switch {
		case errors.Is(err, db.ErrIDReused):
			return idempotentResponse{}, newError(domain.CodeIdempotencyReused, "This Idempotency-Key was already used for a different request; use a new key.")
		case errors.Is(err, domain.ErrDailyLimitExceeded):
			return idempotentResponse{}, newError(domain.CodeDailyLimitExceeded, fmt.Sprintf(
				"Your deposits and withdrawals in %s today (UTC), those awaiting approval included, may add up to %s %s; this one would pass that. Nothing was recorded.",
				req.Currency, domain.FormatMinor(limit, s.currencies[req.Currency]), req.Currency))
		case err != nil:
			return idempotentResponse{}, internalError(fmt.Errorf("record cash request: %w", err))
		}
		if t := rec.Transfer; t != nil {
			from, to := cash, customer
			if kind == domain.KindWithdrawal {
				from, to = customer, cash
			}
			s.recordTransferRequested(ctx, *t)
			if err := s.startTransferWorkflow(ctx, *t, from, to); err != nil {
				return idempotentResponse{}, err
			}
			view := transferView{Transfer: *t, FromNumber: from.Number, FromUserID: from.UserID, ToNumber: to.Number, ToUserID: to.UserID}
			return idempotentResponse{status: http.StatusAccepted, body: toTransferResponse(p.UserID, view, nil), location: "/v1/transfers/" + t.ID.String()}, nil
		}
		in := cashApprovalInput(*rec.Approval, customer.Number, customer.UserID, s.currencies[rec.Approval.Currency])
		in.RequestID = requestID(ctx)
		if err := s.startCashApproval(ctx, in); err != nil {
			return idempotentResponse{}, err
		}
		op := rec.Operation
		return idempotentResponse{
			status:   http.StatusAccepted,
			body:     operationResponse{ID: op.ID, Kind: op.Kind, Status: domain.OperationRunning, CreatedAt: op.CreatedAt.UTC(), UpdatedAt: op.CreatedAt.UTC()},
			location: "/v1/operations/" + op.ID,
		}, nil
	})
}

// ledgerCheck verifies the ledger's invariants on the live database.
func (s *server) ledgerCheck(w http.ResponseWriter, r *http.Request) error {
	report, err := s.store.CheckLedger(r.Context())
	if err != nil {
		return internalError(err)
	}
	writeJSON(w, http.StatusOK, report)
	return nil
}

type auditEventsResponse struct {
	Items      []audit.Event `json:"items"`
	NextCursor *string       `json:"next_cursor"`
}

// listAuditEvents queries the audit log, newest first, one page at a time.
func (s *server) listAuditEvents(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	var v validator
	f := audit.Filter{
		Type: q.Get("type"), ActorID: q.Get("actor_id"), UserID: q.Get("subject_user_id"), AccountID: q.Get("account_id"),
		TransferID: q.Get("transfer_id"), RequestID: q.Get("request_id"), Email: normaliseEmail(q.Get("email")),
	}
	if t := timeParam(&v, q.Get("from"), "from"); t != nil {
		f.Since = *t
	}
	if t := timeParam(&v, q.Get("to"), "to"); t != nil {
		f.Until = *t
	}
	f.Limit = int64(pageSize(&v, q.Get("limit")))
	if c := q.Get("cursor"); c != "" {
		at, seq, ok := decodeCursor(c)
		n, err := strconv.ParseInt(seq, 10, 64)
		if !ok || err != nil {
			v.add("cursor", "is not a cursor this API returned")
		} else {
			f.Before = &audit.Cursor{At: at, Seq: n}
		}
	}
	if f.Type != "" && !slices.Contains(audit.EventTypes, f.Type) {
		v.add("type", "must be one of "+strings.Join(audit.EventTypes, ", "))
	}
	for field, value := range map[string]string{"type": f.Type, "actor_id": f.ActorID, "subject_user_id": f.UserID,
		"account_id": f.AccountID, "transfer_id": f.TransferID, "request_id": f.RequestID, "email": f.Email} {
		if len(value) > maxEmailBytes {
			v.add(field, "is too long")
		}
	}
	if err := v.err(); err != nil {
		return err
	}
	size := f.Limit
	f.Limit++ // one more than asked tells whether a next page exists
	events, err := s.audit.Events(r.Context(), f)
	if err != nil {
		return &apiError{code: domain.CodeUnavailable, detail: "The audit log is not available right now.", cause: err}
	}
	resp := auditEventsResponse{Items: events}
	if int64(len(events)) > size {
		last := events[size-1]
		resp.Items = events[:size]
		resp.NextCursor = ptr(encodeCursor(last.At, strconv.FormatInt(last.Seq, 10)))
	}
	writeJSON(w, http.StatusOK, resp)
	return nil
}

// verifyAuditLog walks the audit log's hash chain and reports the first event that breaks it.
func (s *server) verifyAuditLog(w http.ResponseWriter, r *http.Request) error {
	v, err := s.audit.Verify(r.Context())
	if err != nil {
		return &apiError{code: domain.CodeUnavailable, detail: "The audit log is not available right now.", cause: err}
	}
	writeJSON(w, http.StatusOK, v)
	return nil
}
