// Package mail sends the bank's emails. The default Mailer writes them to the log; SMTP delivery
// plugs in behind the same interface.
package mail

import (
	"context"
	"log/slog"
)

// Message is one email. ID is a stable reference (the workflow id and step) that lets a receiving
// system drop a duplicate when a send is retried.
type Message struct {
	ID      string
	To      string
	Subject string
	Body    string
}

// LogMailer "sends" emails by logging them, for development and tests.
type LogMailer struct {
	Logger *slog.Logger
}

// Send logs m.
func (l LogMailer) Send(ctx context.Context, m Message) error {
	l.Logger.InfoContext(ctx, "email", "message_id", m.ID, "to", m.To, "subject", m.Subject, "body", m.Body)
	return nil
}
