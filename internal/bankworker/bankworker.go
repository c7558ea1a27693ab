// Package bankworker builds the Temporal worker that runs the bank's workflows and activities. The
// worker binary runs one; the API runs one too when it starts transfers with eager workflow start,
// so that a transfer's first workflow task runs in the process that started it.
package bankworker

import (
	"errors"
	"fmt"
	"log/slog"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"

	"github.com/bankforge/bank/activities"
	"github.com/bankforge/bank/audit"
	"github.com/bankforge/bank/db"
	"github.com/bankforge/bank/inbox"
	"github.com/bankforge/bank/internal/envconfig"
	"github.com/bankforge/bank/internal/metrics"
	"github.com/bankforge/bank/mail"
	"github.com/bankforge/bank/mailtext"
	"github.com/bankforge/bank/workflows"
)

// Settings configure the activities and the worker's concurrency.
type Settings struct {
	MailMode      string
	MailLogBodies bool
	// SMTP is where and how MAIL_MODE=smtp sends; its sender's name is the bank's.
	SMTP            mail.SMTPConfig
	BankName        string
	EmailRetry      activities.EmailRetry
	Limits          activities.Limits
	HoldTTL         time.Duration
	LocalActivities int
	WorkflowPollers int
	// Faults holds the knobs of the fault-injection test (chaos/); unset in production.
	Faults Faults
}

// Faults are the fault-injection test's knobs on a worker, off unless set (see the README's
// Reliability section).
type Faults struct {
	// KillAfterPost names a failpoint file (CHAOS_KILL_AFTER_POST). While it exists, the next
	// posting that commits claims it (removes it) and the process kills itself with SIGKILL before
	// its activity reports: the posting is in the ledger, and the workflow never heard of it.
	KillAfterPost string
	// StepTimeout (CHAOS_STEP_TIMEOUT), when set, caps the start-to-close timeout of every local
	// activity the workflows run: a step slower than it is attempted again while the first
	// attempt may still be running.
	StepTimeout time.Duration
}

// ReadSettings reads the settings from the environment (see the README), and checks the mail's.
func ReadSettings(e *envconfig.Reader) Settings {
	tlsModes := make([]string, len(mail.TLSModes))
	for i, m := range mail.TLSModes {
		tlsModes[i] = string(m)
	}
	s := Settings{
		MailMode:      e.OneOf("MAIL_MODE", "log", "log", "smtp"),
		MailLogBodies: e.Bool("MAIL_LOG_BODIES", false),
		BankName:      e.String("BANK_NAME", "BankForge"),
		SMTP: mail.SMTPConfig{
			Addr:           e.String("SMTP_ADDR", "127.0.0.1:1025"),
			From:           e.String("MAIL_FROM", "bank@localhost"),
			Username:       e.String("SMTP_USERNAME", ""),
			Password:       e.String("SMTP_PASSWORD", ""),
			TLS:            mail.TLSMode(e.OneOf("SMTP_TLS", string(mail.TLSStartTLS), tlsModes...)),
			ConnectTimeout: e.Duration("SMTP_CONNECT_TIMEOUT", 10*time.Second, 100*time.Millisecond, 5*time.Minute),
			SendTimeout:    e.Duration("SMTP_SEND_TIMEOUT", 30*time.Second, 100*time.Millisecond, 10*time.Minute),
		},
		EmailRetry: activities.EmailRetry{
			MaxAttempts: e.Int("MAIL_MAX_ATTEMPTS", activities.DefaultEmailRetry.MaxAttempts, 1, 100),
			First:       activities.DefaultEmailRetry.First,
			Max:         activities.DefaultEmailRetry.Max,
		},
		Limits: activities.Limits{
			MaxTransfer: e.Int64("TRANSFER_MAX_AMOUNT", 100_000_000),
			DailyMax:    e.Int64("TRANSFER_DAILY_MAX_AMOUNT", 500_000_000),
		},
		HoldTTL:         e.Duration("HOLD_TTL", 15*time.Minute, time.Minute, 7*24*time.Hour),
		LocalActivities: e.Int("WORKER_LOCAL_ACTIVITIES", 64, 1, 10_000),
		WorkflowPollers: e.Int("WORKER_WORKFLOW_POLLERS", 4, 1, 100),
		Faults: Faults{
			KillAfterPost: e.String("CHAOS_KILL_AFTER_POST", ""),
			StepTimeout:   e.Duration("CHAOS_STEP_TIMEOUT", 0, time.Millisecond, time.Minute),
		},
	}
	s.SMTP.FromName = s.BankName
	if _, err := mailtext.New(s.BankName); err != nil {
		e.Fail(errors.New("BANK_NAME must be one line of text"))
	}
	if (s.SMTP.Username == "") != (s.SMTP.Password == "") {
		e.Fail(errors.New("SMTP_USERNAME and SMTP_PASSWORD go together"))
	}
	if s.MailMode == "smtp" {
		if _, err := mail.NewSMTPMailer(s.SMTP); err != nil {
			e.Fail(fmt.Errorf("SMTP_ADDR, MAIL_FROM: %w", err))
		}
	}
	return s
}

// LogAttrs describes the mail settings for the start-up log, without the password.
func (s Settings) LogAttrs() []any {
	attrs := []any{"mail_mode", s.MailMode, "bank_name", s.BankName}
	if s.MailMode == "smtp" {
		attrs = append(attrs, "smtp_addr", s.SMTP.Addr, "smtp_tls", string(s.SMTP.TLS), "smtp_login", s.SMTP.Username != "",
			"mail_from", s.SMTP.From)
	}
	if s.Faults.KillAfterPost != "" {
		attrs = append(attrs, "chaos_kill_after_post", s.Faults.KillAfterPost)
	}
	if s.Faults.StepTimeout > 0 {
		attrs = append(attrs, "chaos_step_timeout", s.Faults.StepTimeout.String())
	}
	return attrs
}

// New returns a worker on taskQueue with every workflow and activity of the bank registered. Its
// activities count the emails they send and give up in emails (nil counts nothing).
func New(tc client.Client, taskQueue string, s Settings, store *db.Store, auditLog *audit.Store, notifications *inbox.Store, emails *metrics.Mail, logger *slog.Logger) (worker.Worker, error) {
	letters, err := mailtext.New(s.BankName)
	if err != nil {
		return nil, err
	}
	var mailer activities.Mailer = mail.LogMailer{Logger: logger, Bodies: s.MailLogBodies}
	if s.MailMode == "smtp" {
		if mailer, err = mail.NewSMTPMailer(s.SMTP); err != nil {
			return nil, err
		}
	}
	opts := worker.Options{
		MaxConcurrentLocalActivityExecutionSize: s.LocalActivities,
		MaxConcurrentWorkflowTaskPollers:        s.WorkflowPollers,
	}
	if s.Faults.StepTimeout > 0 {
		logger.Warn("fault injection: local activities time out after " + s.Faults.StepTimeout.String())
		opts.Interceptors = append(opts.Interceptors, capStepTimeout(s.Faults.StepTimeout))
	}
	w := worker.New(tc, taskQueue, opts)
	w.RegisterWorkflow(workflows.Register)
	w.RegisterWorkflow(workflows.Transfer)
	w.RegisterWorkflow(workflows.Maintenance)
	w.RegisterWorkflow(workflows.DeliverEmails)
	w.RegisterWorkflow(workflows.CashApproval)
	w.RegisterWorkflow(workflows.Freeze)
	acts := &activities.Activities{
		Store:      store,
		Audit:      auditLog,
		Inbox:      notifications,
		Mailer:     mailer,
		Letters:    letters,
		EmailRetry: s.EmailRetry,
		Limits:     s.Limits,
		HoldTTL:    s.HoldTTL,
		Emails:     emails,
		Terms:      activities.NewTransferTerms(),
	}
	if s.Faults.KillAfterPost != "" {
		logger.Warn("fault injection: a posting kills this process while " + s.Faults.KillAfterPost + " exists")
		acts.AfterPost = killAfterPost(s.Faults.KillAfterPost, logger)
	}
	w.RegisterActivity(acts)
	return w, nil
}
