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

// LogMailer "sends" emails by logging them, for development and tests. It logs only the message
// id, which names no one; the recipient and the text are personal data, logged only when Bodies is
// set (MAIL_LOG_BODIES=true, for development).
type LogMailer struct {
	Logger *slog.Logger
	Bodies bool
}

// Send logs m.
func (l LogMailer) Send(ctx context.Context, m Message) error {
	if l.Bodies {
		l.Logger.InfoContext(ctx, "email", "message_id", m.ID, "to", m.To, "subject", m.Subject, "body", m.Body)
		return nil
	}
	l.Logger.InfoContext(ctx, "email", "message_id", m.ID)
	return nil
}
