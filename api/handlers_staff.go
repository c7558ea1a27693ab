package api

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/bankforge/bank/audit"
	"github.com/bankforge/bank/db"
	"github.com/bankforge/bank/domain"
)

// Staff's reads: finding customers, their accounts and their transfers. Support and admins may read
// them all; each read is an audit event naming who looked at what.

type staffUserResponse struct {
	userResponse
	FailedLogins int32      `json:"failed_logins"`
	LockedUntil  *time.Time `json:"locked_until"`
	UpdatedAt    time.Time  `json:"updated_at"`
}

func toStaffUser(u db.User) staffUserResponse {
	out := staffUserResponse{userResponse: toUserResponse(u), FailedLogins: u.FailedLogins, UpdatedAt: u.UpdatedAt.UTC()}
	if u.LockedUntil != nil {
		out.LockedUntil = ptr(u.LockedUntil.UTC())
	}
	return out
}

type staffUserDetail struct {
	staffUserResponse
	Accounts     []staffAccountResponse `json:"accounts"`
	LiveSessions int64                  `json:"live_sessions"`
}

type staffAccountResponse struct {
	accountResponse
	Kind      domain.AccountKind `json:"kind"`
	UserID    *string            `json:"user_id"`
	OnHold    int64              `json:"on_hold"`
	UpdatedAt time.Time          `json:"updated_at"`
}

func toStaffAccount(a db.Account) staffAccountResponse {
	out := staffAccountResponse{accountResponse: toAccountResponse(a), Kind: a.Kind, OnHold: a.OnHold, UpdatedAt: a.UpdatedAt.UTC()}
	if a.UserID != nil {
		out.UserID = ptr(a.UserID.String())
	}
	return out
}

type staffOwner struct {
	ID       string            `json:"id"`
	Email    string            `json:"email"`
	FullName string            `json:"full_name"`
	Status   domain.UserStatus `json:"status"`
}

type holdResponse struct {
	TransferID string    `json:"transfer_id"`
	Amount     int64     `json:"amount"`
	ExpiresAt  time.Time `json:"expires_at"`
	CreatedAt  time.Time `json:"created_at"`
}

type staffAccountDetail struct {
	staffAccountResponse
	Owner *staffOwner    `json:"owner"`
	Holds []holdResponse `json:"holds"`
	// Freeze is the account's freeze in force or being applied; null when there is none.
	Freeze *freezeResponse `json:"freeze"`
}

type staffTransferResponse struct {
	ID            string                `json:"id"`
	Kind          domain.TransferKind   `json:"kind"`
	Status        domain.TransferStatus `json:"status"`
	InitiatedBy   string                `json:"initiated_by"`
	FromAccountID string                `json:"from_account_id"`
	ToAccountID   string                `json:"to_account_id"`
	Amount        int64                 `json:"amount"`
	Currency      string                `json:"currency"`
	Description   string                `json:"description"`
	FailureCode   *domain.Code          `json:"failure_code"`
	FailureReason *string               `json:"failure_reason"`
	WorkflowID    string                `json:"workflow_id"`
	CreatedAt     time.Time             `json:"created_at"`
	CompletedAt   *time.Time            `json:"completed_at"`
}

func toStaffTransfer(t db.Transfer) staffTransferResponse {
	out := staffTransferResponse{
		ID: t.ID.String(), Kind: t.Kind, Status: t.Status, InitiatedBy: t.InitiatedBy.String(),
		FromAccountID: t.FromAccountID.String(), ToAccountID: t.ToAccountID.String(), Amount: t.Amount,
		Currency: t.Currency, Description: t.Description, FailureCode: t.FailureCode,
		FailureReason: t.FailureReason, WorkflowID: t.WorkflowID, CreatedAt: t.CreatedAt.UTC(),
	}
	if t.CompletedAt != nil {
		out.CompletedAt = ptr(t.CompletedAt.UTC())
	}
	return out
}

type staffTransferDetail struct {
	staffTransferResponse
	FromAccountNumber string         `json:"from_account_number"`
	ToAccountNumber   string         `json:"to_account_number"`
	Steps             []stepResponse `json:"steps"`
}

// recordStaffRead audits a staff member's read: who (the actor), what (the user, account or
// transfer in e, when one was read), through which route and with which filters.
func (s *server) recordStaffRead(r *http.Request, e audit.Event) {
	details := map[string]any{"route": r.Method + " " + r.URL.Path}
	if q := r.URL.RawQuery; q != "" {
		details["query"] = truncate(q, 512)
	}
	e.ID, e.Type, e.ActorID = uuid.NewString(), audit.EventStaffRead, caller(r.Context()).UserID.String()
	e.IP, e.UserAgent, e.Details = clientIP(r), truncate(r.UserAgent(), 256), details
	s.recordAudit(r.Context(), e)
}

// oneOf reads an optional filter that must be one of allowed.
func oneOf[T ~string](v *validator, field, value string, allowed []T) *string {
	if value == "" {
		return nil
	}
	if !slices.Contains(allowed, T(value)) {
		names := make([]string, len(allowed))
		for i, a := range allowed {
			names[i] = string(a)
		}
		v.add(field, "must be one of "+strings.Join(names, ", "))
		return nil
	}
	return &value
}

// idParam reads an optional id filter.
func idParam(v *validator, field, value string) *uuid.UUID {
	if value == "" {
		return nil
	}
	id, ok := parseID(value)
	if !ok {
		v.add(field, "must be a UUID")
		return nil
	}
	return &id
}

// likePattern escapes LIKE's wildcards, so that q matches as a plain substring.
func likePattern(q string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(q)
}

func (s *server) staffListUsers(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	var v validator
	params := db.StaffListUsersParams{
		Role:        oneOf(&v, "role", q.Get("role"), domain.Roles),
		Status:      oneOf(&v, "status", q.Get("status"), domain.UserStatuses),
		CreatedFrom: timeParam(&v, q.Get("created_from"), "created_from"),
		CreatedTo:   timeParam(&v, q.Get("created_to"), "created_to"),
		PageSize:    pageSize(&v, q.Get("limit")),
	}
	if text := strings.TrimSpace(q.Get("q")); text != "" {
		if len(text) > maxEmailBytes {
			v.add("q", fmt.Sprintf("must be at most %d characters", maxEmailBytes))
		}
		params.Q = ptr(likePattern(text))
	}
	params.BeforeCreatedAt, params.BeforeID = cursorParam(&v, q.Get("cursor"))
	if err := v.err(); err != nil {
		return err
	}
	size := params.PageSize
	params.PageSize++
	rows, err := s.store.StaffListUsers(r.Context(), params)
	if err != nil {
		return internalError(fmt.Errorf("list users: %w", err))
	}
	s.recordStaffRead(r, audit.Event{})
	page(w, rows, size, func(u db.User) (time.Time, uuid.UUID) { return u.CreatedAt, u.ID }, toStaffUser)
	return nil
}

func (s *server) staffGetUser(w http.ResponseWriter, r *http.Request) error {
	id, ok := parseID(r.PathValue("id"))
	if !ok {
		return newError(domain.CodeNotFound, "No such user.")
	}
	ctx := r.Context()
	u, err := s.store.GetUser(ctx, id)
	if errors.Is(db.NotFound(err), db.ErrNotFound) {
		return newError(domain.CodeNotFound, "No such user.")
	} else if err != nil {
		return internalError(fmt.Errorf("get user: %w", err))
	}
	accounts, err := s.store.ListUserAccounts(ctx, db.ListUserAccountsParams{UserID: &id, PageSize: int32(max(s.cfg.MaxAccounts, maxPageSize))})
	if err != nil {
		return internalError(fmt.Errorf("list accounts: %w", err))
	}
	sessions, err := s.store.CountLiveSessions(ctx, id)
	if err != nil {
		return internalError(fmt.Errorf("count sessions: %w", err))
	}
	out := staffUserDetail{staffUserResponse: toStaffUser(u), Accounts: make([]staffAccountResponse, 0, len(accounts)), LiveSessions: sessions}
	for _, a := range accounts {
		out.Accounts = append(out.Accounts, toStaffAccount(a))
	}
	views := make(map[uuid.UUID]*accountResponse, len(out.Accounts))
	for i, a := range accounts {
		views[a.ID] = &out.Accounts[i].accountResponse
	}
	if err := s.withFreezes(ctx, views); err != nil {
		return internalError(err)
	}
	s.recordStaffRead(r, audit.Event{UserID: u.ID.String()})
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *server) staffListAccounts(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	var v validator
	params := db.StaffListAccountsParams{
		UserID:   idParam(&v, "user_id", q.Get("user_id")),
		Status:   oneOf(&v, "status", q.Get("status"), domain.AccountStatuses),
		PageSize: pageSize(&v, q.Get("limit")),
	}
	if n := q.Get("number"); n != "" {
		if len(n) > 34 {
			v.add("number", "is not an account number")
		}
		params.Number = &n
	}
	if c := q.Get("currency"); c != "" {
		if _, msg := s.currency(c); msg != "" {
			v.add("currency", msg)
		}
		params.Currency = &c
	}
	params.BeforeCreatedAt, params.BeforeID = cursorParam(&v, q.Get("cursor"))
	if err := v.err(); err != nil {
		return err
	}
	size := params.PageSize
	params.PageSize++
	rows, err := s.store.StaffListAccounts(r.Context(), params)
	if err != nil {
		return internalError(fmt.Errorf("list accounts: %w", err))
	}
	views := make(map[uuid.UUID]*staffAccountResponse, len(rows))
	freezeViews := make(map[uuid.UUID]*accountResponse, len(rows))
	for _, a := range rows {
		views[a.ID] = ptr(toStaffAccount(a))
		freezeViews[a.ID] = &views[a.ID].accountResponse
	}
	if err := s.withFreezes(r.Context(), freezeViews); err != nil {
		return internalError(err)
	}
	s.recordStaffRead(r, audit.Event{})
	page(w, rows, size, func(a db.Account) (time.Time, uuid.UUID) { return a.CreatedAt, a.ID }, func(a db.Account) staffAccountResponse { return *views[a.ID] })
	return nil
}

func (s *server) staffGetAccount(w http.ResponseWriter, r *http.Request) error {
	id, ok := parseID(r.PathValue("id"))
	if !ok {
		return newError(domain.CodeAccountNotFound, "No such account.")
	}
	ctx := r.Context()
	a, err := s.store.GetAccount(ctx, id)
	if errors.Is(db.NotFound(err), db.ErrNotFound) {
		return newError(domain.CodeAccountNotFound, "No such account.")
	} else if err != nil {
		return internalError(fmt.Errorf("get account: %w", err))
	}
	out := staffAccountDetail{staffAccountResponse: toStaffAccount(a), Holds: []holdResponse{}}
	if a.UserID != nil {
		u, err := s.store.GetUser(ctx, *a.UserID)
		if err != nil {
			return internalError(fmt.Errorf("get owner: %w", err))
		}
		out.Owner = &staffOwner{ID: u.ID.String(), Email: u.Email, FullName: u.FullName, Status: u.Status}
	}
	holds, err := s.store.ListActiveHoldsOfAccount(ctx, db.ListActiveHoldsOfAccountParams{AccountID: a.ID, Active: domain.HoldActive})
	if err != nil {
		return internalError(fmt.Errorf("list holds: %w", err))
	}
	for _, h := range holds {
		out.Holds = append(out.Holds, holdResponse{TransferID: h.TransferID.String(), Amount: h.Amount, ExpiresAt: h.ExpiresAt.UTC(), CreatedAt: h.CreatedAt.UTC()})
	}
	f, err := s.store.GetCurrentFreeze(ctx, db.GetCurrentFreezeParams{AccountID: a.ID, Pending: domain.FreezePending, Active: domain.FreezeActive})
	switch err = db.NotFound(err); {
	case err == nil:
		out.Freeze = ptr(toFreezeResponse(f))
		if f.Status == domain.FreezeActive {
			out.FreezeReason, out.FrozenUntil = ptr(f.Reason), utc(f.Until)
		}
	case !errors.Is(err, db.ErrNotFound):
		return internalError(fmt.Errorf("get freeze: %w", err))
	}
	read := audit.Event{AccountIDs: []string{a.ID.String()}}
	if a.UserID != nil {
		read.UserID = a.UserID.String()
	}
	s.recordStaffRead(r, read)
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *server) staffListTransfers(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	var v validator
	params := db.StaffListTransfersParams{
		AccountID:   idParam(&v, "account_id", q.Get("account_id")),
		Status:      oneOf(&v, "status", q.Get("status"), domain.TransferStatuses),
		Kind:        oneOf(&v, "kind", q.Get("kind"), domain.TransferKinds),
		CreatedFrom: timeParam(&v, q.Get("from"), "from"),
		CreatedTo:   timeParam(&v, q.Get("to"), "to"),
		PageSize:    pageSize(&v, q.Get("limit")),
	}
	params.BeforeCreatedAt, params.BeforeID = cursorParam(&v, q.Get("cursor"))
	if err := v.err(); err != nil {
		return err
	}
	size := params.PageSize
	params.PageSize++
	rows, err := s.store.StaffListTransfers(r.Context(), params)
	if err != nil {
		return internalError(fmt.Errorf("list transfers: %w", err))
	}
	s.recordStaffRead(r, audit.Event{})
	page(w, rows, size, func(t db.Transfer) (time.Time, uuid.UUID) { return t.CreatedAt, t.ID }, toStaffTransfer)
	return nil
}

func (s *server) staffGetTransfer(w http.ResponseWriter, r *http.Request) error {
	id, ok := parseID(r.PathValue("id"))
	if !ok {
		return newError(domain.CodeNotFound, "No such transfer.")
	}
	ctx := r.Context()
	t, err := s.store.GetTransfer(ctx, id)
	if errors.Is(db.NotFound(err), db.ErrNotFound) {
		return newError(domain.CodeNotFound, "No such transfer.")
	} else if err != nil {
		return internalError(fmt.Errorf("get transfer: %w", err))
	}
	steps, err := s.store.ListTransferSteps(ctx, t.ID)
	if err != nil {
		return internalError(fmt.Errorf("list steps: %w", err))
	}
	accounts, err := s.store.GetAccounts(ctx, []uuid.UUID{t.FromAccountID, t.ToAccountID})
	if err != nil {
		return internalError(fmt.Errorf("get accounts: %w", err))
	}
	out := staffTransferDetail{staffTransferResponse: toStaffTransfer(t), Steps: toSteps(t, steps)}
	for _, a := range accounts {
		switch a.ID {
		case t.FromAccountID:
			out.FromAccountNumber = a.Number
		case t.ToAccountID:
			out.ToAccountNumber = a.Number
		}
	}
	s.recordStaffRead(r, audit.Event{TransferID: t.ID.String(), AccountIDs: []string{t.FromAccountID.String(), t.ToAccountID.String()}})
	writeJSON(w, http.StatusOK, out)
	return nil
}
