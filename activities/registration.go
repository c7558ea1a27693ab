package activities

import (
	"context"
	"errors"
	"fmt"

	"github.com/google/uuid"
	"go.temporal.io/sdk/activity"

	"github.com/bankforge/bank/audit"
	"github.com/bankforge/bank/db"
	"github.com/bankforge/bank/domain"
	"github.com/bankforge/bank/inbox"
)

// RegistrationRef names a registration and, once created, its user.
type RegistrationRef struct {
	RegistrationID string
	UserID         string
}

// CreateUserResult is the user a registration created.
type CreateUserResult struct {
	UserID string
}

// CreateUser creates the registration's user, pending until the registration completes.
func (a *Activities) CreateUser(ctx context.Context, in RegistrationRef) (CreateUserResult, error) {
	u, err := a.Store.CreateUserFromRegistrationTx(ctx, in.RegistrationID)
	if errors.Is(err, db.ErrNotFound) {
		return CreateUserResult{}, internal("registration %s not found", in.RegistrationID)
	}
	if err != nil {
		return CreateUserResult{}, temporalError(err)
	}
	if u.Status != domain.UserPending && (u.RegistrationID == nil || *u.RegistrationID != in.RegistrationID) {
		return CreateUserResult{}, internal("user %s does not belong to registration %s", u.ID, in.RegistrationID)
	}
	return CreateUserResult{UserID: u.ID.String()}, nil
}

// OpenAccountInput asks for a customer account; OperationID (workflow id and step) keys it.
type OpenAccountInput struct {
	UserID      string
	Currency    string
	OperationID string
}

// OpenAccountResult is the opened account.
type OpenAccountResult struct {
	AccountID string
	Number    string
}

// OpenAccount opens a customer account, once per operation id.
func (a *Activities) OpenAccount(ctx context.Context, in OpenAccountInput) (OpenAccountResult, error) {
	userID, err := uuid.Parse(in.UserID)
	if err != nil {
		return OpenAccountResult{}, internal("bad user id %q", in.UserID)
	}
	acc, err := a.Store.OpenAccountTx(ctx, userID, in.Currency, in.OperationID)
	if err != nil {
		return OpenAccountResult{}, fmt.Errorf("open account: %w", err)
	}
	return OpenAccountResult{AccountID: acc.ID.String(), Number: acc.Number}, nil
}

// RecordRegistrationInput describes a registration for the audit log and the welcome notification.
type RecordRegistrationInput struct {
	RegistrationID string
	UserID         string
	AccountNumber  string
	Currency       string
}

// RecordRegistration writes the registration's audit event, the welcome notification and its
// email, once each.
func (a *Activities) RecordRegistration(ctx context.Context, in RecordRegistrationInput) error {
	u, err := a.user(ctx, in.UserID)
	if err != nil {
		return err
	}
	if err := a.Audit.Record(ctx, audit.Event{
		ID:      "registration/" + in.RegistrationID + "/registered",
		Type:    audit.EventUserRegistered,
		UserID:  in.UserID,
		Email:   u.Email,
		Subject: in.RegistrationID,
		Details: map[string]any{"account_number": in.AccountNumber, "currency": in.Currency},
	}); err != nil {
		return err
	}
	welcome := inbox.Notification{
		ID:     inbox.WelcomeID(in.RegistrationID),
		UserID: in.UserID,
		Kind:   inbox.KindWelcome,
		Title:  "Welcome to the bank",
		Body:   fmt.Sprintf("Your %s account %s is open and ready to use.", in.Currency, in.AccountNumber),
	}
	return a.notify(ctx, welcome)
}

// CompleteRegistration lets the user log in and forgets the registration's copy of the password hash.
func (a *Activities) CompleteRegistration(ctx context.Context, in RegistrationRef) error {
	userID, err := uuid.Parse(in.UserID)
	if err != nil {
		return internal("bad user id %q", in.UserID)
	}
	return a.Store.CompleteRegistrationTx(ctx, in.RegistrationID, userID)
}

// AbandonRegistrationInput names a registration that cannot finish and why.
type AbandonRegistrationInput struct {
	RegistrationID string
	Code           domain.Code
}

// AbandonRegistration is the registration's compensation: it removes the pending user and its empty
// accounts so that nothing half-created can log in, and records the failure.
func (a *Activities) AbandonRegistration(ctx context.Context, in AbandonRegistrationInput) error {
	reg, err := a.Store.GetRegistration(ctx, in.RegistrationID)
	email := ""
	if err == nil {
		email = reg.Email
	}
	if err := a.Store.AbandonRegistrationTx(ctx, in.RegistrationID); err != nil {
		return fmt.Errorf("abandon registration: %w", err)
	}
	activity.GetLogger(ctx).Info("registration abandoned", "registration_id", in.RegistrationID, "code", string(in.Code))
	return a.Audit.Record(ctx, audit.Event{
		ID:      "registration/" + in.RegistrationID + "/failed",
		Type:    audit.EventRegistrationFailed,
		Email:   email,
		Subject: in.RegistrationID,
		Details: map[string]any{"code": string(in.Code)},
	})
}

func (a *Activities) user(ctx context.Context, id string) (db.User, error) {
	userID, err := uuid.Parse(id)
	if err != nil {
		return db.User{}, internal("bad user id %q", id)
	}
	u, err := a.Store.GetUser(ctx, userID)
	if err != nil {
		if errors.Is(db.NotFound(err), db.ErrNotFound) {
			return db.User{}, internal("user %s not found", id)
		}
		return db.User{}, fmt.Errorf("get user: %w", err)
	}
	return u, nil
}
