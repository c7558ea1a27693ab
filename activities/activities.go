// Package activities holds the Temporal activities of the bank: the steps of its workflows that
// touch PostgreSQL, MongoDB and email. Every step is idempotent, keyed by its workflow and step, so
// that a retry or a second run has the effect of one.
package activities

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"go.temporal.io/sdk/temporal"

	"github.com/bankforge/bank/audit"
	"github.com/bankforge/bank/db"
	"github.com/bankforge/bank/domain"
	"github.com/bankforge/bank/inbox"
	"github.com/bankforge/bank/internal/metrics"
	"github.com/bankforge/bank/mail"
	"github.com/bankforge/bank/mailtext"
)

// AuditLog records audit events, each once by its id.
type AuditLog interface {
	Record(ctx context.Context, e audit.Event) error
}

// Inbox stores customers' notifications, each once by its id.
type Inbox interface {
	Notify(ctx context.Context, ns ...inbox.Notification) error
}

// Mailer sends one email. A failure wraps mail.ErrUnavailable when no email could go (the server is
// unreachable), and is the email's own refusal otherwise (mail.IsPermanent says whether for good).
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
	Store  *db.Store
	Audit  AuditLog
	Inbox  Inbox
	Mailer Mailer
	// Letters writes the outbox's emails when they are sent; EmailRetry bounds the retries of those
	// the mail server refuses (DefaultEmailRetry when zero).
	Letters    *mailtext.Renderer
	EmailRetry EmailRetry
	Limits     Limits
	HoldTTL    time.Duration
	// AfterPost, when set, runs once a transfer's posting has committed, before PostTransfer
	// reports it: a failpoint for fault-injection tests (CHAOS_KILL_AFTER_POST). Nil in production.
	AfterPost func(transferID uuid.UUID)
	// Emails counts each email the mail server accepted and each given up; nil counts nothing.
	// (The ledger's outcomes are counted by the store, as they commit: db.Observer.)
	Emails *metrics.Mail

	// Terms keeps the transfers this process validated, for their later steps (NewTransferTerms);
	// nil: every step reads its transfer.
	Terms *TransferTerms
}

// temporalError turns an error into what a workflow receives: a refusal (domain.Refusal) becomes a
// non-retryable application error whose type is the refusal's code, worded for the customer; any
// other error is returned as it is, to be retried.
func temporalError(err error) error {
	if code, ok := domain.RefusalCode(err); ok {
		return temporal.NewNonRetryableApplicationError(code.Message(), string(code), err)
	}
	return err
}

// refuse returns the non-retryable application error of a refusal.
func refuse(r *domain.Refusal) error { return temporalError(r) }

// internal is a non-retryable error for states that retrying cannot fix.
func internal(format string, args ...any) error {
	return temporal.NewNonRetryableApplicationError(fmt.Sprintf(format, args...), string(domain.CodeInternal), nil)
}
