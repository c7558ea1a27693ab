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
	"github.com/bankforge/bank/inbox"
	"github.com/bankforge/bank/internal/password"
	"github.com/bankforge/bank/mailtext"
)

// Administering users: roles, disabling, unlocking a login, and creating staff, who set their own
// first password through an emailed one-time link. Each action is an audit event with its actor,
// its target, the user before and after, and the request id.

// invitationTTL is how long a staff invitation's link stays valid.
const invitationTTL = 24 * time.Hour

type roleRequest struct {
	Role string `json:"role"`
}

type noteRequest struct {
	Note string `json:"note"`
}

type createStaffRequest struct {
	Email    string `json:"email"`
	FullName string `json:"full_name"`
	Role     string `json:"role"`
}

type setPasswordRequest struct {
	Token    string `json:"token"`
	Password string `json:"password"`
}

// targetUser reads the user the path names. Actions on oneself are refused where self is false:
// nobody changes their own role or disables themselves.
func (s *server) targetUser(r *http.Request, self bool) (uuid.UUID, error) {
	id, ok := parseID(r.PathValue("id"))
	if !ok {
		return uuid.UUID{}, newError(domain.CodeNotFound, "No such user.")
	}
	if !self && id == caller(r.Context()).UserID {
		return uuid.UUID{}, newError(domain.CodeForbidden, "You cannot do this to your own user; ask another admin.")
	}
	return id, nil
}

// userChanged answers a staff action on a user and records it in the audit log: the staff member
// as its actor, the user as its subject.
func (s *server) userChanged(w http.ResponseWriter, r *http.Request, eventType string, c db.UserChange, err error, note string) error {
	if err == nil {
		s.sessions.forgetUser(c.After.ID) // its role or status changed: sessions are read again
	}
	switch {
	case errors.Is(db.NotFound(err), db.ErrNotFound):
		return newError(domain.CodeNotFound, "No such user.")
	case errors.Is(err, domain.ErrLastAdmin):
		return newError(domain.CodeLastAdmin, "Make another user an admin first.")
	case err != nil:
		return internalError(err)
	}
	details := map[string]any{"before": userState(c.Before), "after": userState(c.After)}
	if note != "" {
		details["note"] = note
	}
	s.recordAudit(r.Context(), audit.Event{
		ID: uuid.NewString(), Type: eventType, ActorID: caller(r.Context()).UserID.String(), UserID: c.After.ID.String(),
		IP: clientIP(r), UserAgent: truncate(r.UserAgent(), 256), Details: details,
	})
	writeJSON(w, http.StatusOK, toStaffUser(c.After))
	return nil
}

// userState is what a staff action can change about a user, for its audit event.
func userState(u db.User) map[string]any {
	return map[string]any{"role": string(u.Role), "status": string(u.Status), "failed_logins": u.FailedLogins}
}

func (s *server) changeRole(w http.ResponseWriter, r *http.Request) error {
	id, err := s.targetUser(r, false)
	if err != nil {
		return err
	}
	var req roleRequest
	if err := readJSON(w, r, &req); err != nil {
		return err
	}
	role := domain.Role(req.Role)
	if !role.Valid() {
		return fieldErrors(FieldError{Field: "role", Message: "must be one of client, support, admin"})
	}
	c, err := s.store.ChangeRoleTx(r.Context(), id, role)
	return s.userChanged(w, r, audit.EventRoleChanged, c, err, "")
}

func (s *server) disableUser(w http.ResponseWriter, r *http.Request) error {
	id, err := s.targetUser(r, false)
	if err != nil {
		return err
	}
	note, err := readNote(w, r)
	if err != nil {
		return err
	}
	c, err := s.store.DisableUserTx(r.Context(), id)
	return s.userChanged(w, r, audit.EventUserDisabled, c, err, note)
}

func (s *server) enableUser(w http.ResponseWriter, r *http.Request) error {
	id, err := s.targetUser(r, false)
	if err != nil {
		return err
	}
	note, err := readNote(w, r)
	if err != nil {
		return err
	}
	c, err := s.store.EnableUserTx(r.Context(), id)
	return s.userChanged(w, r, audit.EventUserEnabled, c, err, note)
}

func (s *server) unlockLogin(w http.ResponseWriter, r *http.Request) error {
	id, err := s.targetUser(r, true)
	if err != nil {
		return err
	}
	c, err := s.store.UnlockLoginTx(r.Context(), id)
	return s.userChanged(w, r, audit.EventLoginUnlocked, c, err, "")
}

// readNote reads a staff action's optional note: the body may be empty or {"note": "..."}.
func readNote(w http.ResponseWriter, r *http.Request) (string, error) {
	if r.ContentLength == 0 {
		return "", nil
	}
	var req noteRequest
	if err := readJSON(w, r, &req); err != nil {
		return "", err
	}
	if msg := checkText(req.Note, 500); msg != "" {
		return "", fieldErrors(FieldError{Field: "note", Message: msg})
	}
	return strings.TrimSpace(req.Note), nil
}

// createStaff creates a support or admin user who cannot log in until they set their password
// through the one-time link emailed to them: nobody else ever chooses a staff member's password.
func (s *server) createStaff(w http.ResponseWriter, r *http.Request) error {
	var req createStaffRequest
	if err := readJSON(w, r, &req); err != nil {
		return err
	}
	var v validator
	email := normaliseEmail(req.Email)
	if msg := checkEmail(email); msg != "" {
		v.add("email", msg)
	}
	if msg := checkName(req.FullName); msg != "" {
		v.add("full_name", msg)
	}
	role := domain.Role(req.Role)
	if !slices.Contains([]domain.Role{domain.RoleSupport, domain.RoleAdmin}, role) {
		v.add("role", "must be support or admin")
	}
	if err := v.err(); err != nil {
		return err
	}
	token, tokenHash, err := newOpaqueToken()
	if err != nil {
		return internalError(err)
	}
	// A password nobody knows, so that the account has a hash like any other until its owner sets one.
	unusable, err := s.hasher.Hash(token + uuid.NewString())
	if err != nil {
		return internalError(err)
	}
	name := strings.TrimSpace(req.FullName)
	ctx := r.Context()
	userID := uuid.New()
	u, err := s.store.CreateStaffTx(ctx, db.StaffInvitation{
		EmailID: inbox.StaffInvitationID(userID.String()),
		User: db.InsertUserParams{
			ID: userID, Email: email, PasswordHash: unusable, FullName: name, Role: role, Status: domain.UserPending,
		},
		TokenHash: tokenHash, ExpiresAt: s.now().Add(invitationTTL), CreatedBy: caller(ctx).UserID,
		// The one email that carries a secret: the link that sets the password is its purpose.
		EmailFacts: mailtext.Facts{
			Role: role, Link: strings.TrimRight(s.cfg.AppURL, "/") + "/set-password#token=" + token,
			ValidHours: int(invitationTTL / time.Hour),
		}.JSON(),
	})
	if errors.Is(err, db.ErrEmailTaken) {
		return newError(domain.CodeEmailTaken, "A user with this email exists; change their role instead.")
	} else if err != nil {
		return internalError(err)
	}
	// The inbox's copy never carries the link: only the email does.
	s.notifyInbox(ctx, inbox.Notification{
		ID: inbox.StaffInvitationID(u.ID.String()), UserID: u.ID.String(), Kind: domain.NotificationStaffInvitation,
		Title: "Welcome to the team",
		Body:  fmt.Sprintf("An administrator opened a %s account for you. Set your password with the link we emailed you.", role),
	})
	s.recordAudit(ctx, audit.Event{
		ID: uuid.NewString(), Type: audit.EventStaffCreated, ActorID: caller(ctx).UserID.String(), UserID: u.ID.String(),
		IP: clientIP(r), UserAgent: truncate(r.UserAgent(), 256), Details: map[string]any{"after": userState(u)},
	})
	w.Header().Set("Location", "/v1/admin/users/"+u.ID.String())
	writeJSON(w, http.StatusCreated, toStaffUser(u))
	return nil
}

// setPassword spends a one-time token and sets its user's first password.
func (s *server) setPassword(w http.ResponseWriter, r *http.Request) error {
	var req setPasswordRequest
	if err := readJSON(w, r, &req); err != nil {
		return err
	}
	invalid := fieldErrors(FieldError{Field: "token", Message: "is not valid, was used already or has expired; ask an admin for a new invitation"})
	if req.Token == "" || len(req.Token) > 100 {
		return invalid
	}
	ctx := r.Context()
	tokenHash := hashToken(req.Token)
	u, err := s.store.GetPasswordTokenUser(ctx, tokenHash)
	if errors.Is(db.NotFound(err), db.ErrNotFound) {
		return invalid
	} else if err != nil {
		return internalError(fmt.Errorf("get password token: %w", err))
	}
	if msg := password.Check(req.Password, u.Email); msg != "" {
		return fieldErrors(FieldError{Field: "password", Message: msg})
	}
	hash, err := s.hasher.Hash(req.Password)
	if err != nil {
		return internalError(err)
	}
	u, err = s.store.SetPasswordWithTokenTx(ctx, tokenHash, hash)
	if errors.Is(err, db.ErrNotFound) {
		return invalid
	} else if err != nil {
		return internalError(err)
	}
	s.sessions.forgetUser(u.ID)
	s.recordAudit(ctx, audit.Event{
		ID: uuid.NewString(), Type: audit.EventPasswordSet, UserID: u.ID.String(), Email: u.Email,
		IP: clientIP(r), UserAgent: truncate(r.UserAgent(), 256),
	})
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// resendWelcome queues the user's registration welcome email again, for a customer who never got
// it. With an Idempotency-Key, a retry queues nothing more.
func (s *server) resendWelcome(w http.ResponseWriter, r *http.Request) error {
	id, err := s.targetUser(r, true)
	if err != nil {
		return err
	}
	copyID := uuid.NewString()
	if r.Header.Get("Idempotency-Key") != "" {
		key, err := idempotencyKey(r)
		if err != nil {
			return err
		}
		copyID = key
	}
	ctx := r.Context()
	u, err := s.store.GetUser(ctx, id)
	if errors.Is(db.NotFound(err), db.ErrNotFound) {
		return newError(domain.CodeNotFound, "No such user.")
	} else if err != nil {
		return internalError(fmt.Errorf("get user: %w", err))
	}
	if u.RegistrationID == nil {
		return newError(domain.CodeNotFound, "This user did not register, so there is no welcome email to resend.")
	}
	welcome := inbox.WelcomeID(*u.RegistrationID)
	n, err := s.store.ResendEmail(ctx, db.ResendEmailParams{ID: welcome, NewID: welcome + "/resend/" + copyID, UserID: id})
	if err != nil {
		return internalError(fmt.Errorf("resend email: %w", err))
	}
	s.recordAudit(ctx, audit.Event{
		ID: uuid.NewString(), Type: audit.EventWelcomeResent, ActorID: caller(ctx).UserID.String(), UserID: u.ID.String(),
		IP: clientIP(r), UserAgent: truncate(r.UserAgent(), 256), Details: map[string]any{"queued": n},
	})
	w.WriteHeader(http.StatusAccepted)
	return nil
}
