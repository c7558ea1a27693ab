package api

import (
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
)

type userResponse struct {
	ID        string            `json:"id"`
	Email     string            `json:"email"`
	FullName  string            `json:"full_name"`
	Phone     *string           `json:"phone"`
	Role      domain.Role       `json:"role"`
	Status    domain.UserStatus `json:"status"`
	Locale    domain.Locale     `json:"locale"`
	CreatedAt time.Time         `json:"created_at"`
}

func toUserResponse(u db.User) userResponse {
	return userResponse{
		ID: u.ID.String(), Email: u.Email, FullName: u.FullName, Phone: u.Phone,
		Role: u.Role, Status: u.Status, Locale: u.Locale, CreatedAt: u.CreatedAt.UTC(),
	}
}

func (s *server) getMe(w http.ResponseWriter, r *http.Request) error {
	u, err := s.store.GetUser(r.Context(), caller(r.Context()).UserID)
	if err != nil {
		return internalError(fmt.Errorf("get user: %w", err))
	}
	writeJSON(w, http.StatusOK, toUserResponse(u))
	return nil
}

// updateMeRequest lists everything a user may change about themselves. Any other key (email, role,
// status...) is rejected by the strict decoder, so nothing else can change through this route.
type updateMeRequest struct {
	FullName *string          `json:"full_name"`
	Phone    optional[string] `json:"phone"`
	// Locale is the language of the user's emails from now on, those already waiting included.
	Locale *string `json:"locale"`
}

func (s *server) updateMe(w http.ResponseWriter, r *http.Request) error {
	var req updateMeRequest
	if err := readJSON(w, r, &req); err != nil {
		return err
	}
	var v validator
	if req.FullName != nil {
		if msg := checkName(*req.FullName); msg != "" {
			v.add("full_name", msg)
		}
	}
	if req.Phone.Set && req.Phone.Value != nil {
		if msg := checkPhone(*req.Phone.Value); msg != "" {
			v.add("phone", msg)
		}
	}
	if req.Locale != nil {
		if msg := checkLocale(*req.Locale); msg != "" {
			v.add("locale", msg)
		}
	}
	if err := v.err(); err != nil {
		return err
	}
	ctx := r.Context()
	u, err := s.store.GetUser(ctx, caller(ctx).UserID)
	if err != nil {
		return internalError(fmt.Errorf("get user: %w", err))
	}
	name, phone, locale := u.FullName, u.Phone, u.Locale
	if req.FullName != nil {
		name = strings.TrimSpace(*req.FullName)
	}
	if req.Phone.Set {
		phone = req.Phone.Value
	}
	if req.Locale != nil {
		locale = domain.Locale(*req.Locale)
	}
	var changed []string
	if name != u.FullName {
		changed = append(changed, "full_name")
	}
	if (phone == nil) != (u.Phone == nil) || (phone != nil && *phone != *u.Phone) {
		changed = append(changed, "phone")
	}
	if locale != u.Locale {
		changed = append(changed, "locale")
	}
	u, err = s.store.UpdateProfile(ctx, db.UpdateProfileParams{ID: u.ID, FullName: name, Phone: phone, Locale: locale})
	if err != nil {
		return internalError(fmt.Errorf("update profile: %w", err))
	}
	if len(changed) > 0 {
		s.recordAudit(ctx, audit.Event{
			ID: uuid.NewString(), Type: audit.EventProfileChanged, UserID: u.ID.String(),
			IP: clientIP(r), UserAgent: truncate(r.UserAgent(), 256), Details: map[string]any{"fields": changed},
		})
	}
	writeJSON(w, http.StatusOK, toUserResponse(u))
	return nil
}

type changePasswordRequest struct {
	CurrentPassword string `json:"current_password"`
	NewPassword     string `json:"new_password"`
}

// changePassword replaces the password after checking the current one, and ends every other session.
func (s *server) changePassword(w http.ResponseWriter, r *http.Request) error {
	var req changePasswordRequest
	if err := readJSON(w, r, &req); err != nil {
		return err
	}
	ctx := r.Context()
	p := caller(ctx)
	var v validator
	if req.CurrentPassword == "" {
		v.add("current_password", "is required")
	}
	if msg := password.Check(req.NewPassword, p.Email); msg != "" {
		v.add("new_password", msg)
	} else if req.NewPassword == req.CurrentPassword {
		v.add("new_password", "must differ from the current password")
	}
	if err := v.err(); err != nil {
		return err
	}
	u, err := s.store.GetUser(ctx, p.UserID)
	if err != nil {
		return internalError(fmt.Errorf("get user: %w", err))
	}
	// A wrong current password counts toward the login's lockout, like a failed login: a stolen
	// session cannot be used to guess the password any faster.
	refused := func(reason string) error {
		s.recordAudit(ctx, audit.Event{
			ID: uuid.NewString(), Type: audit.EventPasswordChangeFailed, UserID: u.ID.String(), Email: u.Email,
			IP: clientIP(r), UserAgent: truncate(r.UserAgent(), 256), Details: map[string]any{"reason": reason},
		})
		return fieldErrors(FieldError{Field: "current_password", Message: "is not your current password (after repeated failures, trying is paused for a while)"})
	}
	now := s.now()
	if err := s.claimAttempt(ctx, u.ID, now); errors.Is(err, errLocked) {
		s.hasher.SpendVerifyTime(req.CurrentPassword)
		return refused("locked")
	} else if err != nil {
		return internalError(err)
	}
	ok, err := s.hasher.Verify(u.PasswordHash, req.CurrentPassword)
	if err != nil {
		return internalError(fmt.Errorf("verify password: %w", err))
	}
	if !ok {
		return refused("wrong_password")
	}
	if n, err := s.store.SucceedLogin(ctx, db.SucceedLoginParams{ID: u.ID, Now: now}); err != nil {
		return internalError(fmt.Errorf("record attempt: %w", err))
	} else if n == 0 {
		return refused("locked")
	}
	hash, err := s.hasher.Hash(req.NewPassword)
	if err != nil {
		return internalError(err)
	}
	changed := passwordChangedNotification(u.ID, hash, now)
	err = s.store.InTx(ctx, func(q *db.Queries) error {
		if err := q.UpdatePasswordHash(ctx, db.UpdatePasswordHashParams{ID: u.ID, PasswordHash: hash}); err != nil {
			return err
		}
		if _, err := q.RevokeOtherSessions(ctx, db.RevokeOtherSessionsParams{UserID: u.ID, KeepSessionID: p.SessionID, Reason: ptr("password_changed")}); err != nil {
			return err
		}
		return notifyEmail(ctx, q, changed)
	})
	if err != nil {
		return internalError(fmt.Errorf("change password: %w", err))
	}
	s.sessions.forgetUser(u.ID)
	s.notifyInbox(ctx, changed)
	s.recordAudit(ctx, audit.Event{
		ID: uuid.NewString(), Type: audit.EventPasswordChanged, UserID: u.ID.String(), Email: u.Email,
		IP: clientIP(r), UserAgent: truncate(r.UserAgent(), 256),
	})
	w.WriteHeader(http.StatusNoContent)
	return nil
}
