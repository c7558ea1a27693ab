package db

import (
	"context"
	"errors"
	"fmt"

	"github.com/google/uuid"

	"github.com/bankforge/bank/domain"
)

// CreateUserFromRegistrationTx creates the pending user of a registration, or refuses with
// domain.ErrEmailTaken. Running it again returns the user the first run created.
func (s *Store) CreateUserFromRegistrationTx(ctx context.Context, registrationID string) (User, error) {
	u, err := s.Queries.CreateUserFromRegistration(ctx, CreateUserFromRegistrationParams{
		ID:             uuid.New(),
		RegistrationID: registrationID,
	})
	switch {
	case err == nil:
		return u, nil
	case IsUniqueViolation(err, "users_email_key"):
		return User{}, domain.ErrEmailTaken
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

// OpenAccountTx opens a customer account for userID, keyed by openedBy (an operation id and step):
// running it again with the same key returns the account the first run opened.
func (s *Store) OpenAccountTx(ctx context.Context, userID uuid.UUID, currency, openedBy string) (Account, error) {
	return openAccount(ctx, s.Queries, userID, currency, openedBy)
}

// OpenAccountWithinLimitTx is OpenAccountTx for a customer asking for one more account: it refuses
// with domain.ErrAccountLimit when userID already holds maxOpen accounts that are not closed. The
// user's row is locked while counting, so concurrent requests cannot pass the limit together; a
// retry with the same openedBy returns the account the first request opened, whatever the count.
func (s *Store) OpenAccountWithinLimitTx(ctx context.Context, userID uuid.UUID, currency, openedBy string, maxOpen int) (Account, error) {
	var a Account
	err := s.InTx(ctx, func(q *Queries) error {
		if _, err := q.LockUser(ctx, userID); err != nil {
			return fmt.Errorf("lock user: %w", NotFound(err))
		}
		prev, err := q.GetAccountByOpenedBy(ctx, &openedBy)
		if err == nil {
			a = prev
			return nil
		} else if err = NotFound(err); !errors.Is(err, ErrNotFound) {
			return fmt.Errorf("get account opened by %s: %w", openedBy, err)
		}
		n, err := q.CountUnclosedAccounts(ctx, CountUnclosedAccountsParams{UserID: &userID, Closed: domain.AccountClosed})
		if err != nil {
			return fmt.Errorf("count accounts: %w", err)
		}
		if n >= int64(maxOpen) {
			return domain.ErrAccountLimit
		}
		a, err = openAccount(ctx, q, userID, currency, openedBy)
		return err
	})
	return a, err
}

func openAccount(ctx context.Context, q *Queries, userID uuid.UUID, currency, openedBy string) (Account, error) {
	seq, err := q.NextAccountNumber(ctx)
	if err != nil {
		return Account{}, fmt.Errorf("next account number: %w", err)
	}
	a, err := q.CreateAccount(ctx, CreateAccountParams{
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
	a, err = q.GetAccountByOpenedBy(ctx, &openedBy)
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
