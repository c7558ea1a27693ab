package activities

import (
	"context"
	"errors"
	"fmt"

	"github.com/google/uuid"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"

	"github.com/bankforge/bank/audit"
	"github.com/bankforge/bank/db"
	"github.com/bankforge/bank/domain"
	"github.com/bankforge/bank/inbox"
	"github.com/bankforge/bank/mailtext"
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

// ErrTypeEmailTaken is the type of CreateUser's error when a user has the registration's email. It
// is no refusal a client reads: the workflow tells the address's owner and ends as if it had
// created the user. Workflows recorded by earlier releases carry this spelling.
const ErrTypeEmailTaken = "email_taken"

// CreateUser creates the registration's user, pending until the registration completes. It fails
// for good with ErrTypeEmailTaken when a user has the email, and for now, to be retried, while
// another registration's pending user holds it.
func (a *Activities) CreateUser(ctx context.Context, in RegistrationRef) (CreateUserResult, error) {
	u, err := a.Store.CreateUserFromRegistrationTx(ctx, in.RegistrationID)
	switch {
	case errors.Is(err, db.ErrNotFound):
		return CreateUserResult{}, internal("registration %s not found", in.RegistrationID)
	case errors.Is(err, db.ErrEmailTaken):
		return CreateUserResult{}, temporal.NewNonRetryableApplicationError("a user has the registration's email", ErrTypeEmailTaken, nil)
	case err != nil:
		return CreateUserResult{}, fmt.Errorf("create user: %w", err)
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
		Kind:   domain.NotificationWelcome,
		Title:  "Welcome to the bank",
		Body:   fmt.Sprintf("Your %s account %s is open and ready to use.", in.Currency, in.AccountNumber),
		Facts:  mailtext.Facts{Currency: in.Currency, Account: in.AccountNumber},
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

// AbandonRegistrationInput names a registration that cannot finish and why: its email is taken, or
// a step failed with Code.
type AbandonRegistrationInput struct {
	RegistrationID string
	Code           domain.Code
	EmailTaken     bool
}

// AbandonRegistration is the registration's compensation: it removes the pending user and its empty
// accounts so that nothing half-created can log in, and records the failure. When the email is
// taken, it first writes the email that tells the address's owner. What it writes is keyed by the
// registration and written before the registration is deleted, so a run that finds the registration
// gone has nothing left to write.
func (a *Activities) AbandonRegistration(ctx context.Context, in AbandonRegistrationInput) error {
	email := ""
	reg, err := a.Store.GetRegistration(ctx, in.RegistrationID)
	switch err = db.NotFound(err); {
	case err == nil:
		email = reg.Email
		if in.EmailTaken {
			if err := a.tellEmailOwner(ctx, in.RegistrationID, reg.Email); err != nil {
				return err
			}
		}
	case !errors.Is(err, db.ErrNotFound):
		return fmt.Errorf("get registration: %w", err)
	}
	code := string(in.Code)
	if in.EmailTaken {
		code = ErrTypeEmailTaken
	}
	if err := a.Audit.Record(ctx, audit.Event{
		ID:      "registration/" + in.RegistrationID + "/failed",
		Type:    audit.EventRegistrationFailed,
		Email:   email,
		Subject: in.RegistrationID,
		Details: map[string]any{"code": code},
	}); err != nil {
		return err
	}
	if err := a.Store.AbandonRegistrationTx(ctx, in.RegistrationID); err != nil {
		return fmt.Errorf("abandon registration: %w", err)
	}
	activity.GetLogger(ctx).Info("registration abandoned", "registration_id", in.RegistrationID, "code", code)
	return nil
}

// tellEmailOwner writes, once per registration, the email that tells the user who has address that
// someone tried to open an account with it. DeliverEmails sends it.
func (a *Activities) tellEmailOwner(ctx context.Context, registrationID, address string) error {
	owner, err := a.Store.GetUserByEmail(ctx, address)
	switch err = db.NotFound(err); {
	case errors.Is(err, db.ErrNotFound):
		return nil // no one has it any more
	case err != nil:
		return fmt.Errorf("get owner of email: %w", err)
	}
	if err := a.Store.WriteEmails(ctx, outboxEmail("registration/"+registrationID+"/email_taken", owner.ID,
		mailtext.Email{Kind: domain.EmailTaken})); err != nil {
		return fmt.Errorf("write email: %w", err)
	}
	return nil
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
