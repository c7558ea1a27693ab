// Package bootstrap creates the first administrator, so a new installation can be managed without
// touching SQL.
package bootstrap

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	"github.com/google/uuid"

	"github.com/bankforge/bank/db"
	"github.com/bankforge/bank/domain"
	"github.com/bankforge/bank/internal/password"
)

// EnsureAdmin creates an active admin with email and pw unless a user with that email exists. It
// reports whether it created one.
func EnsureAdmin(ctx context.Context, store *db.Store, hasher *password.Hasher, email, pw string) (bool, error) {
	email = strings.ToLower(strings.TrimSpace(email))
	if msg := password.Check(pw, email); msg != "" {
		return false, fmt.Errorf("admin password %s", msg)
	}
	if _, err := store.GetUserByEmail(ctx, email); err == nil {
		return false, nil
	} else if !errors.Is(db.NotFound(err), db.ErrNotFound) {
		return false, fmt.Errorf("look up admin: %w", err)
	}
	hash, err := hasher.Hash(pw)
	if err != nil {
		return false, err
	}
	_, err = store.InsertUser(ctx, db.InsertUserParams{Status: domain.UserActive,
		ID: uuid.New(), Email: email, PasswordHash: hash, FullName: "Administrator", Role: domain.RoleAdmin,
	})
	if db.IsUniqueViolation(err) {
		return false, nil // created meanwhile by another process
	}
	if err != nil {
		return false, fmt.Errorf("create admin: %w", err)
	}
	return true, nil
}

// ResetAdminPassword gives the admin with email a new random password and returns it: in one
// transaction it replaces the hash, clears a login lockout and ends the admin's sessions. It refuses
// a user who is not an active admin.
func ResetAdminPassword(ctx context.Context, store *db.Store, hasher *password.Hasher, email string) (string, error) {
	email = strings.ToLower(strings.TrimSpace(email))
	u, err := store.GetUserByEmail(ctx, email)
	if errors.Is(db.NotFound(err), db.ErrNotFound) {
		return "", fmt.Errorf("no user has the email %s", email)
	} else if err != nil {
		return "", fmt.Errorf("look up admin: %w", err)
	}
	if u.Role != domain.RoleAdmin || u.Status != domain.UserActive {
		return "", fmt.Errorf("%s is a %s user with role %s, not an active admin", email, u.Status, u.Role)
	}
	pw, err := GeneratePassword()
	if err != nil {
		return "", err
	}
	hash, err := hasher.Hash(pw)
	if err != nil {
		return "", err
	}
	err = store.InTx(ctx, func(q *db.Queries) error {
		if err := q.UpdatePasswordHash(ctx, db.UpdatePasswordHashParams{ID: u.ID, PasswordHash: hash}); err != nil {
			return fmt.Errorf("set password: %w", err)
		}
		if err := q.ResetFailedLogins(ctx, u.ID); err != nil {
			return fmt.Errorf("clear lockout: %w", err)
		}
		reason := "password reset"
		if _, err := q.RevokeUserSessions(ctx, db.RevokeUserSessionsParams{UserID: u.ID, Reason: &reason}); err != nil {
			return fmt.Errorf("end sessions: %w", err)
		}
		return nil
	})
	if err != nil {
		return "", err
	}
	return pw, nil
}

// CanLogIn reports whether email and pw are the login of an active admin.
func CanLogIn(ctx context.Context, store *db.Store, hasher *password.Hasher, email, pw string) (bool, error) {
	u, err := store.GetUserByEmail(ctx, strings.ToLower(strings.TrimSpace(email)))
	if errors.Is(db.NotFound(err), db.ErrNotFound) {
		return false, nil
	} else if err != nil {
		return false, fmt.Errorf("look up admin: %w", err)
	}
	if u.Role != domain.RoleAdmin || u.Status != domain.UserActive {
		return false, nil
	}
	return hasher.Verify(u.PasswordHash, pw)
}

// GeneratePassword returns a random password that meets the policy.
func GeneratePassword() (string, error) {
	b := make([]byte, 18)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}
