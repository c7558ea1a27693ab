package mail

import (
	"context"
	"fmt"
	"net"
	"net/smtp"
	"strings"
	"time"
)

// SMTPMailer delivers emails through an SMTP server.
type SMTPMailer struct {
	Addr     string // host:port
	From     string
	Username string // optional; with it, PLAIN auth (the server must offer TLS or be local)
	Password string
}

// Send delivers m. The Message-ID header carries m.ID so a resend can be recognised.
func (s SMTPMailer) Send(ctx context.Context, m Message) error {
	if strings.ContainsAny(m.To+m.Subject+s.From, "\r\n") {
		return fmt.Errorf("send mail: header contains a line break")
	}
	host, _, err := net.SplitHostPort(s.Addr)
	if err != nil {
		return fmt.Errorf("send mail: bad address %q: %w", s.Addr, err)
	}
	var auth smtp.Auth
	if s.Username != "" {
		auth = smtp.PlainAuth("", s.Username, s.Password, host)
	}
	msg := strings.Join([]string{
		"From: " + s.From,
		"To: " + m.To,
		"Subject: " + m.Subject,
		"Message-ID: <" + strings.NewReplacer("/", ".", " ", "").Replace(m.ID) + "@bank>",
		"Date: " + time.Now().UTC().Format(time.RFC1123Z),
		"MIME-Version: 1.0",
		"Content-Type: text/plain; charset=utf-8",
		"",
		m.Body,
	}, "\r\n")
	done := make(chan error, 1)
	go func() { done <- smtp.SendMail(s.Addr, auth, s.From, []string{m.To}, []byte(msg)) }()
	select {
	case err := <-done:
		if err != nil {
			return fmt.Errorf("send mail: %w", err)
		}
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
