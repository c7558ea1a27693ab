package mail

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/mail"
	"strconv"
	"strings"
	"time"

	gomail "github.com/wneessen/go-mail"
)

// TLSMode is how the SMTP connection is encrypted.
type TLSMode string

const (
	// TLSStartTLS upgrades the connection with STARTTLS and refuses a server that does not offer it.
	TLSStartTLS TLSMode = "starttls"
	// TLSOpportunistic upgrades with STARTTLS when the server offers it, and sends in the clear
	// otherwise: for a development server on the same machine.
	TLSOpportunistic TLSMode = "opportunistic"
	// TLSImplicit speaks TLS from the first byte (SMTPS, usually port 465).
	TLSImplicit TLSMode = "tls"
)

// TLSModes lists every mode.
var TLSModes = []TLSMode{TLSStartTLS, TLSOpportunistic, TLSImplicit}

// SMTPConfig says where and how to send.
type SMTPConfig struct {
	Addr string // host:port
	// From is the sender's address; FromName, the name shown with it (the bank's).
	From     string
	FromName string
	// Username, when set, logs in with the strongest mechanism the server offers; PLAIN and LOGIN
	// only over TLS, so a password never crosses the network in the clear.
	Username string
	Password string
	TLS      TLSMode
	// ConnectTimeout bounds reaching the server and setting up the session (greeting, TLS, login);
	// SendTimeout bounds each command after it, the email's content included.
	ConnectTimeout time.Duration
	SendTimeout    time.Duration
	// TLSConfig, when set, replaces the default (the system's roots, the server name from Addr):
	// for a server with a private CA.
	TLSConfig *tls.Config
}

// SMTPMailer delivers emails through an SMTP server, one session per email.
type SMTPMailer struct {
	cfg      SMTPConfig
	host     string
	port     int
	idDomain string
}

// NewSMTPMailer checks cfg and returns a mailer for it.
func NewSMTPMailer(cfg SMTPConfig) (*SMTPMailer, error) {
	host, portText, err := net.SplitHostPort(cfg.Addr)
	if err != nil || host == "" {
		return nil, fmt.Errorf("smtp address %q: want host:port", cfg.Addr)
	}
	port, err := strconv.Atoi(portText)
	if err != nil || port < 1 || port > 65535 {
		return nil, fmt.Errorf("smtp address %q: bad port", cfg.Addr)
	}
	from, err := mail.ParseAddress(cfg.From)
	if err != nil || from.Name != "" {
		return nil, fmt.Errorf("sender address %q: want a plain address such as bank@example.com", cfg.From)
	}
	if strings.ContainsAny(cfg.FromName, "\r\n") {
		return nil, errors.New("sender name contains a line break")
	}
	switch cfg.TLS {
	case TLSStartTLS, TLSOpportunistic, TLSImplicit:
	default:
		return nil, fmt.Errorf("smtp tls mode %q: want one of %v", cfg.TLS, TLSModes)
	}
	if cfg.ConnectTimeout <= 0 || cfg.SendTimeout <= 0 {
		return nil, errors.New("smtp timeouts must be positive")
	}
	_, domain, _ := strings.Cut(from.Address, "@")
	return &SMTPMailer{cfg: cfg, host: host, port: port, idDomain: domain}, nil
}

// Send delivers m in its own session. It answers an error wrapping ErrUnavailable when the session
// could not be set up, and a *RefusedError when the server did not take the email.
func (s *SMTPMailer) Send(ctx context.Context, m Message) error {
	msg, err := s.message(m)
	if err != nil {
		return &RefusedError{Permanent: true, Err: err}
	}
	client, err := s.client()
	if err != nil {
		return err
	}
	dialCtx, cancel := context.WithTimeout(ctx, s.cfg.ConnectTimeout)
	conn, err := client.DialToSMTPClientWithContext(dialCtx)
	cancel()
	if err != nil {
		return fmt.Errorf("%w: %s: %w", ErrUnavailable, s.cfg.Addr, err)
	}
	// A canceled context (the activity's deadline) breaks off the session at once.
	stop := context.AfterFunc(ctx, func() { _ = conn.Close() })
	defer func() {
		if stop() {
			_ = client.CloseWithSMTPClient(conn) // QUIT; the email's fate is already known
		}
	}()
	err = client.SendWithSMTPClient(conn, msg)
	if err == nil {
		return nil
	}
	if ctx.Err() != nil {
		return &RefusedError{Err: fmt.Errorf("%w: %w", ctx.Err(), err)}
	}
	var se *gomail.SendError
	if errors.As(err, &se) {
		switch se.Reason {
		case gomail.ErrConnCheck:
			return fmt.Errorf("%w: %s: %w", ErrUnavailable, s.cfg.Addr, err)
		case gomail.ErrGetSender, gomail.ErrGetRcpts, gomail.ErrNoUnencoded:
			return &RefusedError{Permanent: true, Err: err}
		}
		code := se.ErrorCode()
		return &RefusedError{Code: code, Permanent: code >= 500 && code < 600, Err: err}
	}
	return &RefusedError{Err: err}
}

func (s *SMTPMailer) client() (*gomail.Client, error) {
	opts := []gomail.Option{gomail.WithPort(s.port), gomail.WithTimeout(s.cfg.SendTimeout)}
	switch s.cfg.TLS {
	case TLSImplicit:
		opts = append(opts, gomail.WithSSL())
	case TLSOpportunistic:
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSOpportunistic))
	default:
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSMandatory))
	}
	if s.cfg.TLSConfig != nil {
		tc := s.cfg.TLSConfig.Clone()
		if tc.ServerName == "" {
			tc.ServerName = s.host
		}
		opts = append(opts, gomail.WithTLSConfig(tc))
	}
	if s.cfg.Username != "" {
		opts = append(opts, gomail.WithSMTPAuth(gomail.SMTPAuthAutoDiscover),
			gomail.WithUsername(s.cfg.Username), gomail.WithPassword(s.cfg.Password))
	}
	c, err := gomail.NewClient(s.host, opts...)
	if err != nil {
		return nil, fmt.Errorf("%w: smtp client: %w", ErrUnavailable, err)
	}
	return c, nil
}

// message builds m as a MIME message: UTF-8 throughout, headers encoded as RFC 2047 words where
// they need it, a text part and, when there is one, its HTML alternative.
func (s *SMTPMailer) message(m Message) (*gomail.Msg, error) {
	if strings.ContainsAny(m.To+m.ToName+m.Subject, "\r\n") {
		return nil, errors.New("a header contains a line break")
	}
	msg := gomail.NewMsg(gomail.WithNoDefaultUserAgent())
	if err := msg.FromFormat(s.cfg.FromName, s.cfg.From); err != nil {
		return nil, fmt.Errorf("sender: %w", err)
	}
	if err := msg.AddToFormat(m.ToName, m.To); err != nil {
		return nil, fmt.Errorf("recipient: %w", err)
	}
	msg.Subject(m.Subject)
	msg.SetMessageIDWithValue(MessageID(m.ID, s.idDomain))
	msg.SetDate()
	msg.SetBodyString(gomail.TypeTextPlain, m.Text)
	if m.HTML != "" {
		msg.AddAlternativeString(gomail.TypeTextHTML, m.HTML)
	}
	return msg, nil
}
