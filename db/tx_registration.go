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
// running it again with the same key returns the account the first run opened. Its number is drawn
// at random (domain.NewAccountNumber), and drawn again when another account has it.
func (s *Store) OpenAccountTx(ctx context.Context, userID uuid.UUID, currency, openedBy string) (Account, error) {
	return openAccount(ctx, s.Queries, s.accountNumber, userID, currency, openedBy)
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
		a, err = openAccount(ctx, q, s.accountNumber, userID, currency, openedBy)
		return err
	})
	return a, err
}

// accountNumberDraws bounds the numbers drawn for one account. A draw clashes with an existing
// number about once in 90,000 per million accounts, so that many clashes in a row mean a broken
// source of numbers, not bad luck.
const accountNumberDraws = 5

// openAccount opens the account with a number from draw, drawn again while another account has it.
// A taken number fails no statement, so the transaction q may be in goes on.
func openAccount(ctx context.Context, q *Queries, draw func() (string, error), userID uuid.UUID, currency, openedBy string) (Account, error) {
	for range accountNumberDraws {
		number, err := draw()
		if err != nil {
			return Account{}, err
		}
		a, err := q.CreateAccount(ctx, CreateAccountParams{
			ID:       uuid.New(),
			Number:   number,
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
		// Nothing inserted: an earlier run opened the account, or the number is taken.
		a, err = q.GetAccountByOpenedBy(ctx, &openedBy)
		if err == nil {
			return a, nil
		}
		if err = NotFound(err); !errors.Is(err, ErrNotFound) {
			return Account{}, fmt.Errorf("get account opened by %s: %w", openedBy, err)
		}
	}
	return Account{}, fmt.Errorf("create account: %d account numbers drawn, every one taken", accountNumberDraws)
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
