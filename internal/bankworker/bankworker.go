// Package bankworker builds the Temporal worker that runs the bank's workflows and activities. The
// worker binary runs one; the API runs one too when it starts transfers with eager workflow start,
// so that a transfer's first workflow task runs in the process that started it.
package bankworker

import (
	"log/slog"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"

	"github.com/bankforge/bank/activities"
	"github.com/bankforge/bank/audit"
	"github.com/bankforge/bank/db"
	"github.com/bankforge/bank/inbox"
	"github.com/bankforge/bank/internal/envconfig"
	"github.com/bankforge/bank/mail"
	"github.com/bankforge/bank/workflows"
)

// Settings configure the activities and the worker's concurrency.
type Settings struct {
	MailMode        string
	MailLogBodies   bool
	SMTPAddr        string
	SMTPUsername    string
	SMTPPassword    string
	MailFrom        string
	Limits          activities.Limits
	HoldTTL         time.Duration
	LocalActivities int
	WorkflowPollers int
}

// ReadSettings reads the settings from the environment (see the README).
func ReadSettings(e *envconfig.Reader) Settings {
	return Settings{
		MailMode:      e.OneOf("MAIL_MODE", "log", "log", "smtp"),
		MailLogBodies: e.Bool("MAIL_LOG_BODIES", false),
		SMTPAddr:      e.String("SMTP_ADDR", "127.0.0.1:1025"),
		SMTPUsername:  e.String("SMTP_USERNAME", ""),
		SMTPPassword:  e.String("SMTP_PASSWORD", ""),
		MailFrom:      e.String("MAIL_FROM", "bank@localhost"),
		Limits: activities.Limits{
			MaxTransfer: e.Int64("TRANSFER_MAX_AMOUNT", 100_000_000),
			DailyMax:    e.Int64("TRANSFER_DAILY_MAX_AMOUNT", 500_000_000),
		},
		HoldTTL:         e.Duration("HOLD_TTL", 15*time.Minute, time.Minute, 7*24*time.Hour),
		LocalActivities: e.Int("WORKER_LOCAL_ACTIVITIES", 64, 1, 10_000),
		WorkflowPollers: e.Int("WORKER_WORKFLOW_POLLERS", 4, 1, 100),
	}
}

// New returns a worker on taskQueue with every workflow and activity of the bank registered.
func New(tc client.Client, taskQueue string, s Settings, store *db.Store, auditLog *audit.Store, notifications *inbox.Store, logger *slog.Logger) worker.Worker {
	var mailer activities.Mailer = mail.LogMailer{Logger: logger, Bodies: s.MailLogBodies}
	if s.MailMode == "smtp" {
		mailer = mail.SMTPMailer{Addr: s.SMTPAddr, From: s.MailFrom, Username: s.SMTPUsername, Password: s.SMTPPassword}
	}
	w := worker.New(tc, taskQueue, worker.Options{
		MaxConcurrentLocalActivityExecutionSize: s.LocalActivities,
		MaxConcurrentWorkflowTaskPollers:        s.WorkflowPollers,
	})
	w.RegisterWorkflow(workflows.Register)
	w.RegisterWorkflow(workflows.Transfer)
	w.RegisterWorkflow(workflows.Maintenance)
	w.RegisterWorkflow(workflows.DeliverEmails)
	w.RegisterWorkflow(workflows.CashApproval)
	w.RegisterWorkflow(workflows.Freeze)
	w.RegisterActivity(&activities.Activities{
		Store:   store,
		Audit:   auditLog,
		Inbox:   notifications,
		Mailer:  mailer,
		Limits:  s.Limits,
		HoldTTL: s.HoldTTL,
	})
	return w
}
