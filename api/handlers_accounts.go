package api

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/google/uuid"

	"github.com/bankforge/bank/audit"
	"github.com/bankforge/bank/db"
	"github.com/bankforge/bank/domain"
)

type accountResponse struct {
	ID               string               `json:"id"`
	Number           string               `json:"number"`
	Currency         string               `json:"currency"`
	Status           domain.AccountStatus `json:"status"`
	Balance          int64                `json:"balance"`
	AvailableBalance int64                `json:"available_balance"`
	CreatedAt        time.Time            `json:"created_at"`
	// FreezeReason and FrozenUntil tell a frozen account's owner why (the reason's code, never the
	// staff's note) and until when (null: until the bank unfreezes it); null unless frozen.
	FreezeReason *domain.FreezeReason `json:"freeze_reason"`
	FrozenUntil  *time.Time           `json:"frozen_until"`
}

func toAccountResponse(a db.Account) accountResponse {
	return accountResponse{
		ID: a.ID.String(), Number: a.Number, Currency: a.Currency, Status: a.Status,
		Balance: a.Balance, AvailableBalance: a.Balance - a.OnHold, CreatedAt: a.CreatedAt.UTC(),
	}
}

// listAccounts is the caller's accounts, oldest first, with cursor paging.
func (s *server) listAccounts(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	var v validator
	params := db.ListUserAccountsParams{UserID: ptr(caller(r.Context()).UserID), PageSize: pageSize(&v, q.Get("limit"))}
	params.AfterCreatedAt, params.AfterID = cursorParam(&v, q.Get("cursor"))
	if err := v.err(); err != nil {
		return err
	}
	size := params.PageSize
	params.PageSize++
	rows, err := s.store.ListUserAccounts(r.Context(), params)
	if err != nil {
		return internalError(fmt.Errorf("list accounts: %w", err))
	}
	views := make(map[uuid.UUID]*accountResponse, len(rows))
	for _, a := range rows {
		views[a.ID] = ptr(toAccountResponse(a))
	}
	if err := s.withFreezes(r.Context(), views); err != nil {
		return internalError(err)
	}
	page(w, rows, size, func(a db.Account) (time.Time, uuid.UUID) { return a.CreatedAt, a.ID }, func(a db.Account) accountResponse { return *views[a.ID] })
	return nil
}

// ownAccount loads the caller's account named by the path; anyone else's is not found.
func (s *server) ownAccount(r *http.Request) (db.Account, error) {
	id, ok := parseID(r.PathValue("id"))
	if !ok {
		return db.Account{}, newError(domain.CodeNotFound, "No such account.")
	}
	a, err := s.store.GetUserAccount(r.Context(), db.GetUserAccountParams{ID: id, UserID: ptr(caller(r.Context()).UserID)})
	if errors.Is(db.NotFound(err), db.ErrNotFound) {
		return db.Account{}, newError(domain.CodeNotFound, "No such account.")
	} else if err != nil {
		return db.Account{}, internalError(fmt.Errorf("get account: %w", err))
	}
	return a, nil
}

func (s *server) getAccount(w http.ResponseWriter, r *http.Request) error {
	a, err := s.ownAccount(r)
	if err != nil {
		return err
	}
	view := toAccountResponse(a)
	if err := s.withFreezes(r.Context(), map[uuid.UUID]*accountResponse{a.ID: &view}); err != nil {
		return internalError(err)
	}
	writeJSON(w, http.StatusOK, view)
	return nil
}

type openAccountRequest struct {
	Currency string `json:"currency"`
}

// openAccount opens another account for the caller. With an Idempotency-Key, a retry returns the
// account the first request opened instead of opening a second.
func (s *server) openAccount(w http.ResponseWriter, r *http.Request) error {
	var req openAccountRequest
	if err := readJSON(w, r, &req); err != nil {
		return err
	}
	if _, msg := s.currency(req.Currency); msg != "" {
		return fieldErrors(FieldError{Field: "currency", Message: msg})
	}
	p := caller(r.Context())
	openedBy := "api/" + uuid.NewString()
	if r.Header.Get("Idempotency-Key") != "" {
		key, err := idempotencyKey(r)
		if err != nil {
			return err
		}
		openedBy = "api/" + p.UserID.String() + "/" + key
	}
	a, err := s.store.OpenAccountWithinLimitTx(r.Context(), p.UserID, req.Currency, openedBy, s.cfg.MaxAccounts)
	if errors.Is(err, domain.ErrAccountLimit) {
		return newError(domain.CodeAccountLimit, fmt.Sprintf("A customer may hold at most %d open accounts; ask the bank to close one first.", s.cfg.MaxAccounts))
	} else if err != nil {
		return internalError(err)
	}
	if a.Currency != req.Currency || a.UserID == nil || *a.UserID != p.UserID {
		return newError(domain.CodeIdempotencyReused, "This Idempotency-Key was already used for a different request; use a new key.")
	}
	s.recordAudit(r.Context(), audit.Event{ // once per account: a retry finds the event recorded
		ID: "account/" + a.ID.String() + "/opened", Type: audit.EventAccountOpened, UserID: p.UserID.String(),
		AccountIDs: []string{a.ID.String()}, IP: clientIP(r), UserAgent: truncate(r.UserAgent(), 256),
		Details: map[string]any{"currency": a.Currency, "number": a.Number},
	})
	w.Header().Set("Location", "/v1/accounts/"+a.ID.String())
	writeJSON(w, http.StatusCreated, toAccountResponse(a))
	return nil
}

type transactionResponse struct {
	ID                        string    `json:"id"`
	TransferID                *string   `json:"transfer_id"`
	Direction                 string    `json:"direction"`
	Amount                    int64     `json:"amount"`
	Currency                  string    `json:"currency"`
	CounterpartyAccountNumber string    `json:"counterparty_account_number"`
	Description               string    `json:"description"`
	BalanceAfter              int64     `json:"balance_after"`
	CreatedAt                 time.Time `json:"created_at"`
}

// listTransactions is an account's history as sender or receiver, newest first, with cursor paging.
func (s *server) listTransactions(w http.ResponseWriter, r *http.Request) error {
	a, err := s.ownAccount(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	var v validator
	params := db.ListAccountHistoryParams{AccountID: a.ID}
	switch d := q.Get("direction"); d {
	case "", "all":
	case "incoming", "outgoing":
		params.Direction = &d
	default:
		v.add("direction", "must be incoming, outgoing or all")
	}
	params.FromTime = timeParam(&v, q.Get("from"), "from")
	params.ToTime = timeParam(&v, q.Get("to"), "to")
	params.PageSize = pageSize(&v, q.Get("limit"))
	if c := q.Get("cursor"); c != "" {
		at, id, ok := decodeCursor(c)
		n, err := strconv.ParseInt(id, 10, 64)
		if !ok || err != nil {
			v.add("cursor", "is not a cursor this API returned")
		} else {
			params.BeforeCreatedAt, params.BeforeID = &at, &n
		}
	}
	if err := v.err(); err != nil {
		return err
	}
	params.PageSize++ // one more than asked tells whether a next page exists
	rows, err := s.store.ListAccountHistory(r.Context(), params)
	if err != nil {
		return internalError(fmt.Errorf("list history: %w", err))
	}
	items := make([]transactionResponse, 0, len(rows))
	var next *string
	for i, row := range rows {
		if i == int(params.PageSize)-1 {
			prev := rows[i-1]
			next = ptr(encodeCursor(prev.CreatedAt, strconv.FormatInt(prev.ID, 10)))
			break
		}
		dir, amount := "incoming", row.Amount
		if amount < 0 {
			dir, amount = "outgoing", -amount
		}
		var transferID *string
		if row.TransferID != nil {
			transferID = ptr(row.TransferID.String())
		}
		items = append(items, transactionResponse{
			ID: strconv.FormatInt(row.ID, 10), TransferID: transferID, Direction: dir, Amount: amount,
			Currency: row.Currency, CounterpartyAccountNumber: row.CounterpartyAccountNumber,
			Description: row.Description, BalanceAfter: row.BalanceAfter, CreatedAt: row.CreatedAt.UTC(),
		})
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": items, "next_cursor": next})
	return nil
}

func timeParam(v *validator, s, field string) *time.Time {
	if s == "" {
		return nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		v.add(field, "must be an RFC 3339 time such as 2026-01-31T00:00:00Z")
		return nil
	}
	return &t
}
