package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/bankforge/bank/audit"
	"github.com/bankforge/bank/db"
	"github.com/bankforge/bank/domain"
	"github.com/bankforge/bank/internal/password"
	"github.com/bankforge/bank/workflows"
)

type registerRequest struct {
	Email    string  `json:"email"`
	Password string  `json:"password"`
	FullName string  `json:"full_name"`
	Phone    *string `json:"phone"`
	Currency *string `json:"currency"`
	// Locale is the language of the user's emails; without it, the one the Accept-Language header
	// prefers, or English.
	Locale *string `json:"locale"`
}

func (s *server) register(w http.ResponseWriter, r *http.Request) error {
	var req registerRequest
	if err := readJSON(w, r, &req); err != nil {
		return err
	}
	var v validator
	email := normaliseEmail(req.Email)
	if msg := checkEmail(email); msg != "" {
		v.add("email", msg)
	}
	if msg := password.Check(req.Password, email); msg != "" {
		v.add("password", msg)
	}
	if msg := checkName(req.FullName); msg != "" {
		v.add("full_name", msg)
	}
	if req.Phone != nil {
		if msg := checkPhone(*req.Phone); msg != "" {
			v.add("phone", msg)
		}
	}
	currency := s.cfg.DefaultCurrency
	if req.Currency != nil {
		currency = *req.Currency
		if _, msg := s.currency(currency); msg != "" {
			v.add("currency", msg)
		}
	}
	locale := preferredLocale(r.Header.Get("Accept-Language"))
	if req.Locale != nil {
		locale = domain.Locale(*req.Locale)
		if msg := checkLocale(*req.Locale); msg != "" {
			v.add("locale", msg)
		}
	}
	if err := v.err(); err != nil {
		return err
	}
	// Whether the email is free is the workflow's to find out: a new and a taken email get the same
	// answer after the same work, and the owner of a taken one is told by email.
	hash, err := s.hasher.Hash(req.Password)
	if err != nil {
		return internalError(err)
	}

	opID := uuid.NewString()
	wfID := workflows.RegisterWorkflowID(opID)
	var op db.Operation
	err = s.store.InTx(r.Context(), func(q *db.Queries) error {
		if err := q.CreateRegistration(r.Context(), db.CreateRegistrationParams{
			ID: opID, Email: email, PasswordHash: hash, FullName: strings.TrimSpace(req.FullName),
			Phone: req.Phone, Currency: currency, Locale: string(locale),
		}); err != nil {
			return fmt.Errorf("create registration: %w", err)
		}
		op, err = q.CreateOperation(r.Context(), db.CreateOperationParams{ID: opID, Kind: domain.OperationRegistration, WorkflowID: wfID})
		return err
	})
	if err != nil {
		return internalError(err)
	}
	in := workflows.RegisterInput{RegistrationID: opID, Currency: currency}
	_, err = s.workflows.ExecuteWorkflow(r.Context(), workflows.RegisterStartOptions(in, s.cfg.TaskQueue), workflows.Register, in)
	if err != nil {
		// Nothing will run this registration: forget it so the email stays free.
		if derr := s.store.DeleteRegistration(context.WithoutCancel(r.Context()), opID); derr != nil {
			s.logger.ErrorContext(r.Context(), "delete unstarted registration", "error", derr)
		}
		return &apiError{code: domain.CodeUnavailable, detail: "Registration could not start; try again.", cause: fmt.Errorf("start registration: %w", err)}
	}
	// The same answer a poll gives while the registration runs.
	w.Header().Set("Location", "/v1/operations/"+opID)
	writeJSON(w, http.StatusAccepted, operationResponse{
		ID: opID, Kind: op.Kind, Status: domain.OperationRunning, CreatedAt: op.CreatedAt.UTC(), UpdatedAt: op.CreatedAt.UTC(),
	})
	return nil
}

type loginRequest struct {
	Email    string `json:"email"`
	Password string `json:"password"`
	// RefreshCookie asks for a browser session: the refresh token in an HttpOnly cookie, never in
	// the body, and a CSRF token for the refreshes and the logout.
	RefreshCookie bool `json:"refresh_cookie"`
}

type tokenResponse struct {
	AccessToken string `json:"access_token"`
	// RefreshToken is left out for a browser session, whose refresh token is in its cookie.
	RefreshToken string `json:"refresh_token,omitempty"`
	TokenType    string `json:"token_type"`
	ExpiresIn    int64  `json:"expires_in"`
	// CSRFToken is a browser session's, to send as X-CSRF-Token with its refreshes and logout.
	CSRFToken string `json:"csrf_token,omitempty"`
}

// sessionTokens are the tokens just issued in a session, and the role the access token carries.
type sessionTokens struct {
	sessionID uuid.UUID
	role      domain.Role
	access    string
	refresh   string
}

// writeTokens answers a session's new tokens: both in the body, or, for a browser session, the
// refresh token in its cookie and the session's CSRF token in the body and in its own cookie; a
// staff member's browser session gets the access token in the codec's cookie besides.
func (s *server) writeTokens(w http.ResponseWriter, r *http.Request, t sessionTokens, browser bool) {
	resp := tokenResponse{AccessToken: t.access, TokenType: "Bearer", ExpiresIn: int64(s.cfg.AccessTTL / time.Second)}
	if browser {
		resp.CSRFToken = s.csrfToken(t.sessionID)
		s.setSessionCookies(w, r, t.refresh, resp.CSRFToken)
		if t.role.IsStaff() {
			s.setCodecCookie(w, r, t.access)
		}
	} else {
		resp.RefreshToken = t.refresh
	}
	writeJSON(w, http.StatusOK, resp)
}

func (s *server) login(w http.ResponseWriter, r *http.Request) error {
	var req loginRequest
	if err := readJSON(w, r, &req); err != nil {
		return err
	}
	var v validator
	email := normaliseEmail(req.Email)
	switch {
	case email == "":
		v.add("email", "is required")
	case len(req.Email) > maxEmailBytes:
		// Refused before it reaches the database or the audit log.
		v.add("email", fmt.Sprintf("must be at most %d characters", maxEmailBytes))
	}
	if req.Password == "" {
		v.add("password", "is required")
	} else if len(req.Password) > 4*password.MaxLength {
		v.add("password", "is too long")
	}
	if err := v.err(); err != nil {
		return err
	}
	ctx := r.Context()
	failed := func(userID, reason string) error {
		s.metrics.LoginFailed(reason)
		s.recordAudit(ctx, audit.Event{
			ID: uuid.NewString(), Type: audit.EventLoginFailed, UserID: userID, Email: email,
			IP: clientIP(r), UserAgent: truncate(r.UserAgent(), 256), Details: map[string]any{"reason": reason},
		})
		return newError(domain.CodeInvalidCredentials, "Check your email and password. After repeated failures, logging in is paused for a while.")
	}

	// Every refusal does the same work, whether or not the email has an account: a user lookup, a
	// claimed attempt (for an unknown email, against an id no user has) and a password check, so
	// that its time does not tell which emails have accounts.
	now := s.now()
	u, err := s.store.GetUserByEmail(ctx, email)
	if errors.Is(db.NotFound(err), db.ErrNotFound) {
		if err := s.claimAttempt(ctx, uuid.Nil, now); err != nil && !errors.Is(err, errLocked) {
			return internalError(err)
		}
		s.hasher.SpendVerifyTime(req.Password)
		return failed("", "unknown_email")
	} else if err != nil {
		return internalError(fmt.Errorf("get user: %w", err))
	}
	// The attempt is counted before the password is checked, atomically, so a burst cannot check
	// more passwords than the lock allows.
	if err := s.claimAttempt(ctx, u.ID, now); errors.Is(err, errLocked) {
		s.hasher.SpendVerifyTime(req.Password)
		return failed(u.ID.String(), "locked")
	} else if err != nil {
		return internalError(err)
	}
	ok, err := s.hasher.Verify(u.PasswordHash, req.Password)
	if err != nil {
		return internalError(fmt.Errorf("verify password: %w", err))
	}
	switch {
	case !ok:
		return failed(u.ID.String(), "wrong_password")
	case u.Status != domain.UserActive:
		return failed(u.ID.String(), "user_"+string(u.Status))
	}
	if n, err := s.store.SucceedLogin(ctx, db.SucceedLoginParams{ID: u.ID, Now: now}); err != nil {
		return internalError(fmt.Errorf("record login: %w", err))
	} else if n == 0 {
		return failed(u.ID.String(), "locked")
	}
	tokens, err := s.startSession(ctx, u, r)
	if err != nil {
		return internalError(err)
	}
	if err := s.rememberDevice(ctx, u.ID, r, now); err != nil {
		// The session stands: a login is not refused for want of telling its user.
		s.logger.ErrorContext(ctx, "login device not recorded", "user_id", u.ID.String(), "error", err)
	}
	s.recordAudit(ctx, audit.Event{
		ID: uuid.NewString(), Type: audit.EventLoginSucceeded, UserID: u.ID.String(), Email: u.Email,
		IP: clientIP(r), UserAgent: truncate(r.UserAgent(), 256),
	})
	s.writeTokens(w, r, tokens, req.RefreshCookie)
	return nil
}

// errLocked is claimAttempt's answer while the login is locked.
var errLocked = errors.New("login locked")

// claimAttempt counts a password attempt of user before the password is checked, atomically
// (ClaimLoginAttemptTx), or answers errLocked while the login is locked or no user has userID.
func (s *server) claimAttempt(ctx context.Context, userID uuid.UUID, now time.Time) error {
	failed, err := s.store.ClaimLoginAttemptTx(ctx, db.ClaimLoginAttemptParams{
		ID: userID, Now: now, Threshold: int32(s.cfg.LockThreshold),
		LockBaseSeconds: s.cfg.LockBase.Seconds(), LockMaxSeconds: s.cfg.LockMax.Seconds(),
	})
	if errors.Is(db.NotFound(err), db.ErrNotFound) {
		return errLocked
	} else if err != nil {
		return fmt.Errorf("claim password attempt: %w", err)
	}
	if failed == int32(s.cfg.LockThreshold) {
		// This attempt reaches the threshold: it locks the login.
		s.metrics.LoginLocked()
		s.recordAudit(ctx, audit.Event{ID: uuid.NewString(), Type: audit.EventLoginLocked, UserID: userID.String(),
			Details: map[string]any{"failed_logins": failed}})
		s.notify(ctx, loginLockedNotification(userID, now))
	}
	return nil
}

func (s *server) startSession(ctx context.Context, u db.User, r *http.Request) (sessionTokens, error) {
	now := s.now()
	sessionID := uuid.New()
	refresh, hash, err := newOpaqueToken()
	if err != nil {
		return sessionTokens{}, err
	}
	err = s.store.InTx(ctx, func(q *db.Queries) error {
		if _, err := q.CreateSession(ctx, db.CreateSessionParams{
			ID: sessionID, UserID: u.ID, UserAgent: truncate(r.UserAgent(), 256), Ip: clientIP(r),
			ExpiresAt: now.Add(s.cfg.RefreshTTL),
		}); err != nil {
			return fmt.Errorf("create session: %w", err)
		}
		return q.CreateRefreshToken(ctx, db.CreateRefreshTokenParams{TokenHash: hash, SessionID: sessionID, ExpiresAt: now.Add(s.cfg.RefreshTTL)})
	})
	if err != nil {
		return sessionTokens{}, err
	}
	access, err := s.issueAccessToken(u.ID, sessionID, u.Role, now)
	if err != nil {
		return sessionTokens{}, err
	}
	return sessionTokens{sessionID: sessionID, role: u.Role, access: access, refresh: refresh}, nil
}

// refreshRequest names the refresh token of a refresh or a logout. A browser session leaves it
// out (an empty body, or {}) and is known by its cookie instead.
type refreshRequest struct {
	RefreshToken string `json:"refresh_token"`
}

func (r refreshRequest) validate() error {
	if r.RefreshToken == "" {
		return fieldErrors(FieldError{Field: "refresh_token", Message: "is required"})
	}
	if len(r.RefreshToken) > 128 {
		return fieldErrors(FieldError{Field: "refresh_token", Message: "is not a refresh token this API issued"})
	}
	return nil
}

// presentedRefreshToken returns the refresh token of a refresh or a logout: the body's, or else
// the browser session's cookie (browser true), which a request from another origin may not use.
func presentedRefreshToken(r *http.Request, req refreshRequest) (token string, browser bool, err error) {
	if req.RefreshToken != "" {
		return req.RefreshToken, false, req.validate()
	}
	c, err := r.Cookie(refreshCookie)
	if err != nil || c.Value == "" {
		return "", false, req.validate()
	}
	if err := checkOrigin(r); err != nil {
		return "", true, err
	}
	return c.Value, true, nil
}

// refresh rotates a refresh token: the old one is spent and a new one issued in the same session.
// Presenting a spent token means it leaked: the whole session is revoked. A browser session's
// refresh needs its CSRF token before anything changes.
func (s *server) refresh(w http.ResponseWriter, r *http.Request) error {
	var req refreshRequest
	if err := readOptionalJSON(w, r, &req); err != nil {
		return err
	}
	token, browser, err := presentedRefreshToken(r, req)
	if err != nil {
		return err
	}
	invalid := func() error {
		if browser {
			// The cookie will never work again: the browser forgets it.
			clearSessionCookies(w, r)
		}
		return newError(domain.CodeInvalidRefreshToken, "Log in again.")
	}
	ctx := r.Context()
	hash := hashToken(token)
	if browser {
		old, err := s.store.GetRefreshToken(ctx, hash)
		if errors.Is(db.NotFound(err), db.ErrNotFound) {
			return invalid()
		} else if err != nil {
			return internalError(fmt.Errorf("get refresh token: %w", err))
		}
		if err := s.checkCSRF(r, old.SessionID); err != nil {
			return err
		}
	}
	now := s.now()
	newToken, newHash, err := newOpaqueToken()
	if err != nil {
		return internalError(err)
	}
	var used db.UseRefreshTokenRow
	err = s.store.InTx(ctx, func(q *db.Queries) error {
		used, err = q.UseRefreshToken(ctx, hash)
		if err != nil {
			return err
		}
		return q.CreateRefreshToken(ctx, db.CreateRefreshTokenParams{TokenHash: newHash, SessionID: used.SessionID, ExpiresAt: now.Add(s.cfg.RefreshTTL)})
	})
	if errors.Is(db.NotFound(err), db.ErrNotFound) {
		old, gerr := s.store.GetRefreshToken(ctx, hash)
		if gerr == nil && old.UsedAt != nil {
			if _, rerr := s.store.RevokeSession(ctx, db.RevokeSessionParams{ID: old.SessionID, Reason: ptr("refresh_token_reuse")}); rerr != nil {
				return internalError(fmt.Errorf("revoke session: %w", rerr))
			}
			s.sessions.forgetUser(old.UserID)
			s.recordAudit(ctx, audit.Event{
				ID: uuid.NewString(), Type: audit.EventRefreshReuse, UserID: old.UserID.String(),
				IP: clientIP(r), UserAgent: truncate(r.UserAgent(), 256), Subject: old.SessionID.String(),
			})
		}
		return invalid()
	} else if err != nil {
		return internalError(fmt.Errorf("rotate refresh token: %w", err))
	}
	p, err := s.store.GetSessionPrincipal(ctx, db.GetSessionPrincipalParams{SessionID: used.SessionID, UserID: used.UserID, Active: domain.UserActive})
	if errors.Is(db.NotFound(err), db.ErrNotFound) {
		return invalid()
	} else if err != nil {
		return internalError(fmt.Errorf("load session: %w", err))
	}
	access, err := s.issueAccessToken(p.UserID, p.SessionID, p.Role, now)
	if err != nil {
		return internalError(err)
	}
	s.writeTokens(w, r, sessionTokens{sessionID: p.SessionID, role: p.Role, access: access, refresh: newToken}, browser)
	return nil
}

// logout ends the session of a refresh token, and with it every access token issued in it. A
// browser session's logout needs its CSRF token, and clears its cookies (the codec's too).
func (s *server) logout(w http.ResponseWriter, r *http.Request) error {
	var req refreshRequest
	if err := readOptionalJSON(w, r, &req); err != nil {
		return err
	}
	token, browser, err := presentedRefreshToken(r, req)
	if err != nil {
		return err
	}
	old, err := s.store.GetRefreshToken(r.Context(), hashToken(token))
	switch {
	case errors.Is(db.NotFound(err), db.ErrNotFound):
		// Unknown token: there is nothing to end, and nothing to reveal.
	case err != nil:
		return internalError(fmt.Errorf("get refresh token: %w", err))
	default:
		if browser {
			if err := s.checkCSRF(r, old.SessionID); err != nil {
				return err
			}
		}
		if _, err := s.store.RevokeSession(r.Context(), db.RevokeSessionParams{ID: old.SessionID, Reason: ptr("logout")}); err != nil {
			return internalError(fmt.Errorf("revoke session: %w", err))
		}
		s.sessions.forgetUser(old.UserID)
	}
	if browser {
		clearSessionCookies(w, r)
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// logoutAll ends every session of the caller.
func (s *server) logoutAll(w http.ResponseWriter, r *http.Request) error {
	if _, err := s.store.RevokeUserSessions(r.Context(), db.RevokeUserSessionsParams{UserID: caller(r.Context()).UserID, Reason: ptr("logout_all")}); err != nil {
		return internalError(fmt.Errorf("revoke sessions: %w", err))
	}
	s.sessions.forgetUser(caller(r.Context()).UserID)
	// A browser's session cookies, and the codec's, are of no use any more.
	clearSessionCookies(w, r)
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func ptr[T any](v T) *T { return &v }

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}
