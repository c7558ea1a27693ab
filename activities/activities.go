// Package activities holds the Temporal activities of the bank: the steps of its workflows that
// touch PostgreSQL, MongoDB and email. Every step is idempotent, keyed by its workflow and step, so
// that a retry or a second run has the effect of one.
package activities

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.temporal.io/sdk/temporal"

	"github.com/bankforge/bank/audit"
	"github.com/bankforge/bank/db"
	"github.com/bankforge/bank/domain"
	"github.com/bankforge/bank/mail"
)

// AuditLog records audit events and notifications, each once by its id.
type AuditLog interface {
	Record(ctx context.Context, e audit.Event) error
	Notify(ctx context.Context, ns ...audit.Notification) error
}

// Mailer sends one email.
type Mailer interface {
	Send(ctx context.Context, m mail.Message) error
}

// Limits bound what customers may send.
type Limits struct {
	// MaxTransfer is the largest amount of one transfer in minor units; zero means no limit.
	MaxTransfer int64
	// DailyMax is the most one account may send per UTC day in minor units; zero means no limit.
	DailyMax int64
}

// Activities are the workflow steps. Register one value with the worker; workflows call the methods
// through a nil pointer.
type Activities struct {
	Store   *db.Store
	Audit   AuditLog
	Mailer  Mailer
	Limits  Limits
	HoldTTL time.Duration
}

// refusal turns a business refusal into a non-retryable application error of the matching type;
// any other error is returned as it is, to be retried.
func refusal(err error) error {
	var errType string
	switch {
	case err == nil:
		return nil
	case errors.Is(err, db.ErrEmailTaken):
		errType = domain.ErrTypeEmailTaken
	case errors.Is(err, db.ErrInsufficientFunds):
		errType = domain.ErrTypeInsufficientFunds
	case errors.Is(err, db.ErrAccountNotActive):
		errType = domain.ErrTypeAccountNotActive
	case errors.Is(err, db.ErrHoldNotActive):
		errType = domain.ErrTypeHoldNotActive
	case errors.Is(err, db.ErrLimitExceeded):
		errType = domain.ErrTypeLimitExceeded
	case errors.Is(err, db.ErrTransferEnded):
		return temporal.NewNonRetryableApplicationError("transfer has already ended", domain.ErrTypeInternal, err)
	default:
		return err
	}
	return temporal.NewNonRetryableApplicationError(domain.CustomerMessage(errType), errType, err)
}

// refuse returns a non-retryable application error of the given type.
func refuse(errType string) error {
	return temporal.NewNonRetryableApplicationError(domain.CustomerMessage(errType), errType, nil)
}

// internal is a non-retryable error for states that retrying cannot fix.
func internal(format string, args ...any) error {
	return temporal.NewNonRetryableApplicationError(fmt.Sprintf(format, args...), domain.ErrTypeInternal, nil)
}
