package db

import (
	"context"
	"errors"
	"fmt"

	"github.com/google/uuid"

	"github.com/bankforge/bank/domain"
)

// CreateUserFromRegistrationTx creates the pending user of a registration. Running it again returns
// the user the first run created. When a user has the email it answers ErrEmailTaken, or ErrEmailHeld
// while that user is the pending user of another registration: registrations of one email may run
// at once (registrations.email is not unique, so that starting one reveals nothing), and the first
// to create its user holds the email until it completes or is abandoned. A pending user that no
// registration created takes the email like any other.
func (s *Store) CreateUserFromRegistrationTx(ctx context.Context, registrationID string) (User, error) {
	u, err := s.Queries.CreateUserFromRegistration(ctx, CreateUserFromRegistrationParams{
		ID:             uuid.New(),
		RegistrationID: registrationID,
	})
	switch {
	case err == nil:
		return u, nil
	case IsUniqueViolation(err, "users_email_key"):
		return User{}, s.whyEmailTaken(ctx, registrationID)
	}
	if err = NotFound(err); !errors.Is(err, ErrNotFound) {
		return User{}, fmt.Errorf("create user: %w", err)
	}
	// No row: either a previous run created the user, or the registration is gone.
	u, err = s.GetUserByRegistrationID(ctx, &registrationID)
	if err != nil {
		return User{}, fmt.Errorf("get user of registration: %w", NotFound(err))
	}
	return u, nil
}

// whyEmailTaken answers ErrEmailTaken or ErrEmailHeld for a registration whose email a user has.
func (s *Store) whyEmailTaken(ctx context.Context, registrationID string) error {
	reg, err := s.GetRegistration(ctx, registrationID)
	if err != nil {
		return fmt.Errorf("get registration: %w", NotFound(err))
	}
	holder, err := s.GetUserByEmail(ctx, reg.Email)
	switch err = NotFound(err); {
	case errors.Is(err, ErrNotFound):
		return ErrEmailHeld // given up meanwhile: the next try may create the user
	case err != nil:
		return fmt.Errorf("get user by email: %w", err)
	case holder.Status == domain.UserPending && holder.RegistrationID != nil:
		return ErrEmailHeld
	}
	return ErrEmailTaken
}

// OpenAccountTx opens a customer account for userID, keyed by openedBy (an operation id and step):
// running it again with the same key returns the account the first run opened.
func (s *Store) OpenAccountTx(ctx context.Context, userID uuid.UUID, currency, openedBy string) (Account, error) {
	seq, err := s.NextAccountNumber(ctx)
	if err != nil {
		return Account{}, fmt.Errorf("next account number: %w", err)
	}
	a, err := s.CreateAccount(ctx, CreateAccountParams{
		ID:       uuid.New(),
		Number:   AccountNumber(seq),
		UserID:   &userID,
		Currency: currency,
		OpenedBy: &openedBy,
	})
	if err == nil {
		return a, nil
	}
	if err = NotFound(err); !errors.Is(err, ErrNotFound) {
		return Account{}, fmt.Errorf("create account: %w", err)
	}
	a, err = s.GetAccountByOpenedBy(ctx, &openedBy)
	if err != nil {
		return Account{}, fmt.Errorf("get account opened by %s: %w", openedBy, NotFound(err))
	}
	return a, nil
}

// CompleteRegistrationTx activates the user and forgets the registration's copy of the password hash.
func (s *Store) CompleteRegistrationTx(ctx context.Context, registrationID string, userID uuid.UUID) error {
	return s.InTx(ctx, func(q *Queries) error {
		if _, err := q.ActivateUser(ctx, ActivateUserParams{ID: userID, Active: domain.UserActive, Pending: domain.UserPending}); err != nil {
			return fmt.Errorf("activate user: %w", err)
		}
		if err := q.DeleteRegistration(ctx, registrationID); err != nil {
			return fmt.Errorf("delete registration: %w", err)
		}
		return nil
	})
}

// AbandonRegistrationTx undoes a registration that cannot finish: the pending user and the accounts
// opened for it are deleted (they never held money), and so is the registration.
func (s *Store) AbandonRegistrationTx(ctx context.Context, registrationID string) error {
	return s.InTx(ctx, func(q *Queries) error {
		u, err := q.GetUserByRegistrationID(ctx, &registrationID)
		switch err = NotFound(err); {
		case err == nil:
			if u.Status == domain.UserPending {
				if _, err := q.DeleteEmptyAccountsOfUser(ctx, &u.ID); err != nil {
					return fmt.Errorf("delete accounts: %w", err)
				}
				if _, err := q.DeletePendingUser(ctx, DeletePendingUserParams{ID: u.ID, Pending: domain.UserPending}); err != nil {
					return fmt.Errorf("delete user: %w", err)
				}
			}
		case !errors.Is(err, ErrNotFound):
			return fmt.Errorf("get user of registration: %w", err)
		}
		if err := q.DeleteRegistration(ctx, registrationID); err != nil {
			return fmt.Errorf("delete registration: %w", err)
		}
		return nil
	})
}

// AccountNumber turns a sequence value into a human-readable account number: the digits followed by
// a Luhn check digit, so that a mistyped number is caught before any lookup.
func AccountNumber(seq int64) string {
	digits := fmt.Sprintf("%d", seq)
	return digits + string(rune('0'+luhnCheckDigit(digits)))
}

// ValidAccountNumber reports whether s is a well-formed account number with a correct check digit.
func ValidAccountNumber(s string) bool {
	if len(s) < 2 || len(s) > 19 {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return luhnCheckDigit(s[:len(s)-1]) == int(s[len(s)-1]-'0')
}

func luhnCheckDigit(digits string) int {
	sum := 0
	double := true
	for i := len(digits) - 1; i >= 0; i-- {
		d := int(digits[i] - '0')
		if double {
			d *= 2
			if d > 9 {
				d -= 9
			}
		}
		sum += d
		double = !double
	}
	return (10 - sum%10) % 10
}
