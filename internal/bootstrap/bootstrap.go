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

// GeneratePassword returns a random password that meets the policy.
func GeneratePassword() (string, error) {
	b := make([]byte, 18)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}
