// Package mail delivers the bank's emails: LogMailer writes them to the log, SMTPMailer sends them
// through an SMTP server. A failed send says whose fault it was: the server's as a whole
// (ErrUnavailable: try every email again later) or this email's (a *RefusedError, permanent or not).
package mail

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
)

// Message is one email, rendered. ID is the outbox email's id: the Message-ID derives from it, so
// the same email sent again carries the same Message-ID and a receiving system can drop the copy.
type Message struct {
	ID      string
	To      string
	ToName  string
	Subject string
	Text    string
	// HTML is the same content for mail readers that show HTML; optional.
	HTML string
}

// ErrUnavailable marks a send that failed before the server looked at the email: it could not be
// reached, or refused the session (TLS, login). No email is at fault; every one waits for the server.
var ErrUnavailable = errors.New("mail server unavailable")

// RefusedError is the server's refusal of one email (or the session breaking off while it was being
// sent). Permanent refusals (SMTP 5xx) do not change by sending again.
type RefusedError struct {
	// Code is the SMTP reply code, 0 when there was none (a timeout or a broken connection).
	Code      int
	Permanent bool
	Err       error
}

func (e *RefusedError) Error() string {
	kind := "temporarily"
	if e.Permanent {
		kind = "permanently"
	}
	return fmt.Sprintf("email refused %s: %v", kind, e.Err)
}

func (e *RefusedError) Unwrap() error { return e.Err }

// IsPermanent reports whether err is a refusal that sending again cannot change.
func IsPermanent(err error) bool {
	var r *RefusedError
	return errors.As(err, &r) && r.Permanent
}

// MessageID is the Message-ID, without its angle brackets, of the outbox email id sent from domain.
// It is id written as an RFC 5322 dot-atom: '/' becomes '.', letters, digits, '-' and '_' stay, and
// every other byte is written =XX, so two ids never share one.
func MessageID(id, domain string) string {
	var b strings.Builder
	for i := 0; i < len(id); i++ {
		c := id[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '-', c == '_':
			b.WriteByte(c)
		case c == '/' && i > 0 && i < len(id)-1 && id[i-1] != '/':
			b.WriteByte('.')
		default:
			fmt.Fprintf(&b, "=%02X", c)
		}
	}
	if b.Len() == 0 {
		b.WriteString("=")
	}
	return b.String() + "@" + domain
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
		l.Logger.InfoContext(ctx, "email", "message_id", m.ID, "to", m.To, "subject", m.Subject, "body", m.Text)
		return nil
	}
	l.Logger.InfoContext(ctx, "email", "message_id", m.ID)
	return nil
}
