package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/bankforge/bank/audit"
	"github.com/bankforge/bank/db"
	"github.com/bankforge/bank/domain"
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
// deposit credits the customer, a withdrawal debits them. It runs as a transfer workflow.
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
	customer, err := s.store.GetAccount(ctx, id)
	if errors.Is(db.NotFound(err), db.ErrNotFound) || (err == nil && customer.Kind != domain.AccountCustomer) {
		return newError(domain.CodeAccountNotFound, "No such customer account.")
	} else if err != nil {
		return internalError(fmt.Errorf("get account: %w", err))
	}
	if customer.UserID != nil && *customer.UserID == caller(ctx).UserID {
		// Separation of duties: staff never move cash into or out of their own accounts.
		return newError(domain.CodeForbidden, "Staff cannot deposit into or withdraw from their own accounts; another admin must do it.")
	}
	if customer.Currency != req.Currency {
		return fieldErrors(FieldError{Field: "currency", Message: "must be the account's currency, " + customer.Currency})
	}
	cash, err := s.store.GetCashAccount(ctx, db.GetCashAccountParams{Kind: domain.AccountCash, Currency: req.Currency})
	if err != nil {
		return internalError(fmt.Errorf("get cash account: %w", db.NotFound(err)))
	}
	in := transferIntent{kind: kind, from: cash, to: customer, amount: amount, currency: req.Currency, desc: strings.TrimSpace(req.Description)}
	if kind == domain.KindWithdrawal {
		in.from, in.to = customer, cash
	}
	return s.startTransfer(w, r, key, struct {
		Account string `json:"account"`
		cashMovementRequest
	}{id.String(), req}, in)
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
	Items []audit.Event `json:"items"`
}

// listAuditEvents queries the audit log, newest first.
func (s *server) listAuditEvents(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	var v validator
	f := audit.Filter{Type: q.Get("type"), UserID: q.Get("user_id"), Email: normaliseEmail(q.Get("email"))}
	if t := timeParam(&v, q.Get("from"), "from"); t != nil {
		f.Since = *t
	}
	if t := timeParam(&v, q.Get("to"), "to"); t != nil {
		f.Until = *t
	}
	f.Limit = int64(pageSize(&v, q.Get("limit")))
	if f.Type != "" && !slices.Contains(audit.EventTypes, f.Type) {
		v.add("type", "must be one of "+strings.Join(audit.EventTypes, ", "))
	}
	for field, n := range map[string]int{"type": len(f.Type), "user_id": len(f.UserID), "email": len(f.Email)} {
		if n > maxEmailBytes {
			v.add(field, "is too long")
		}
	}
	if err := v.err(); err != nil {
		return err
	}
	events, err := s.audit.Events(r.Context(), f)
	if err != nil {
		return &apiError{code: domain.CodeUnavailable, detail: "The audit log is not available right now.", cause: err}
	}
	writeJSON(w, http.StatusOK, auditEventsResponse{Items: events})
	return nil
}
