package db

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/google/uuid"

	"github.com/bankforge/bank/domain"
)

// UserChange is a user before and after a staff action, for its audit event.
type UserChange struct {
	Before, After User
}

// ChangeRoleTx gives user id the role. It refuses with domain.ErrLastAdmin when that would leave
// the bank without an active admin; concurrent changes are decided one at a time.
func (s *Store) ChangeRoleTx(ctx context.Context, id uuid.UUID, role domain.Role) (UserChange, error) {
	return s.changeUser(ctx, id, func(q *Queries, u User) (User, error) {
		if u.Role == role {
			return u, nil
		}
		return q.SetUserRole(ctx, SetUserRoleParams{ID: id, Role: role})
	}, func(u User) bool { return u.Role == domain.RoleAdmin && role != domain.RoleAdmin })
}

// DisableUserTx stops user id from logging in and ends every session they have, at once. It
// refuses with domain.ErrLastAdmin to disable the last active admin.
func (s *Store) DisableUserTx(ctx context.Context, id uuid.UUID) (UserChange, error) {
	return s.changeUser(ctx, id, func(q *Queries, u User) (User, error) {
		if u.Status != domain.UserActive {
			return u, nil
		}
		if _, err := q.RevokeUserSessions(ctx, RevokeUserSessionsParams{UserID: id, Reason: ptr("user_disabled")}); err != nil {
			return u, fmt.Errorf("revoke sessions: %w", err)
		}
		return q.SetUserStatus(ctx, SetUserStatusParams{ID: id, Status: domain.UserDisabled})
	}, func(u User) bool { return u.Role == domain.RoleAdmin })
}

// EnableUserTx lets a disabled user log in again.
func (s *Store) EnableUserTx(ctx context.Context, id uuid.UUID) (UserChange, error) {
	return s.changeUser(ctx, id, func(q *Queries, u User) (User, error) {
		if u.Status != domain.UserDisabled {
			return u, nil
		}
		return q.SetUserStatus(ctx, SetUserStatusParams{ID: id, Status: domain.UserActive})
	}, nil)
}

// UnlockLoginTx clears user id's failed logins and lock.
func (s *Store) UnlockLoginTx(ctx context.Context, id uuid.UUID) (UserChange, error) {
	return s.changeUser(ctx, id, func(q *Queries, u User) (User, error) {
		return q.UnlockLogin(ctx, id)
	}, nil)
}

// changeUser applies change to user id in one transaction. When removesAdmin says the change takes
// an active admin away, the active admins are locked first and the change is refused if this one is
// the last.
func (s *Store) changeUser(ctx context.Context, id uuid.UUID, change func(*Queries, User) (User, error), removesAdmin func(User) bool) (UserChange, error) {
	var c UserChange
	err := s.InTx(ctx, func(q *Queries) error {
		var admins []uuid.UUID
		if removesAdmin != nil {
			var err error
			if admins, err = q.LockActiveAdmins(ctx, LockActiveAdminsParams{Admin: domain.RoleAdmin, Active: domain.UserActive}); err != nil {
				return fmt.Errorf("lock admins: %w", err)
			}
		}
		u, err := q.GetUserForUpdate(ctx, id)
		if err != nil {
			return fmt.Errorf("get user: %w", NotFound(err))
		}
		if removesAdmin != nil && u.Status == domain.UserActive && removesAdmin(u) &&
			slices.Equal(admins, []uuid.UUID{id}) {
			return domain.ErrLastAdmin
		}
		c.Before = u
		c.After, err = change(q, u)
		return err
	})
	return c, err
}

// StaffInvitation is a new staff member, the token with which they set their first password, and
// the facts (JSON) of the email that sends them its link.
type StaffInvitation struct {
	User      InsertUserParams
	TokenHash []byte
	ExpiresAt time.Time
	CreatedBy uuid.UUID
	// EmailID is the outbox id of the invitation's email, the id of its notification.
	EmailID    string
	EmailFacts string
}

// CreateStaffTx creates a staff member who cannot log in until they set a password with the
// invitation's token, and puts the invitation's email in the outbox. A taken email is refused with
// ErrEmailTaken.
func (s *Store) CreateStaffTx(ctx context.Context, inv StaffInvitation) (User, error) {
	if inv.EmailID == "" {
		return User{}, errors.New("a staff invitation needs its email's id")
	}
	var u User
	err := s.InTx(ctx, func(q *Queries) error {
		var err error
		u, err = q.InsertUser(ctx, inv.User)
		if IsUniqueViolation(err, "users_email_key") {
			return ErrEmailTaken
		} else if err != nil {
			return fmt.Errorf("insert user: %w", err)
		}
		if err := q.CreatePasswordToken(ctx, CreatePasswordTokenParams{
			TokenHash: inv.TokenHash, UserID: u.ID, CreatedBy: &inv.CreatedBy, ExpiresAt: inv.ExpiresAt,
		}); err != nil {
			return fmt.Errorf("create password token: %w", err)
		}
		return q.WriteEmails(ctx, OutboxEmail{
			ID: inv.EmailID, UserID: u.ID, Kind: domain.NotificationStaffInvitation.Email(), Facts: inv.EmailFacts,
		})
	})
	return u, err
}

// SetPasswordWithTokenTx spends a password token and sets its user's first password. It answers
// ErrNotFound for a token that is unknown, spent or expired, or whose user already has a password.
func (s *Store) SetPasswordWithTokenTx(ctx context.Context, tokenHash []byte, passwordHash string) (User, error) {
	var u User
	err := s.InTx(ctx, func(q *Queries) error {
		userID, err := q.UsePasswordToken(ctx, tokenHash)
		if err != nil {
			return NotFound(err)
		}
		u, err = q.SetInitialPassword(ctx, SetInitialPasswordParams{
			ID: userID, PasswordHash: passwordHash, Active: domain.UserActive, Pending: domain.UserPending,
		})
		return NotFound(err)
	})
	return u, err
}

func ptr[T any](v T) *T { return &v }
