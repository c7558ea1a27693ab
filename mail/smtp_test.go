package mail_test

import (
	"bufio"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"math/big"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"strings"
	"sync"
	"testing"
	"time"

	bankmail "github.com/bankforge/bank/mail"
)

// fakeSMTP is a scripted SMTP server: it accepts every email except to the addresses in refuse
// (answered with their reply), can offer STARTTLS or speak TLS from the start, and records what
// it received.
type fakeSMTP struct {
	fakeOptions
	ln net.Listener

	mu       sync.Mutex
	received []string // the DATA of every accepted email
	logins   []string // "user:password" of every AUTH PLAIN
	sessions int
}

type fakeOptions struct {
	refuse      map[string]string // recipient -> reply, such as "550 5.1.1 no such user"
	startTLS    *tls.Config       // offer STARTTLS with this configuration
	implicitTLS *tls.Config       // speak TLS from the first byte
	auth        bool              // offer AUTH PLAIN (only once the session is encrypted)
	stall       string            // stop answering at this point ("GREETING", "DATA-END")
}

func newFakeSMTP(t *testing.T, o fakeOptions) *fakeSMTP {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if o.implicitTLS != nil {
		ln = tls.NewListener(ln, o.implicitTLS)
	}
	implicitTLS := o.implicitTLS
	f := &fakeSMTP{fakeOptions: o, ln: ln}
	t.Cleanup(func() { _ = ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go f.serve(c, implicitTLS != nil)
		}
	}()
	return f
}

func (f *fakeSMTP) addr() string { return f.ln.Addr().String() }

func (f *fakeSMTP) serve(c net.Conn, encrypted bool) {
	defer c.Close()
	f.mu.Lock()
	f.sessions++
	f.mu.Unlock()
	if f.stall == "GREETING" {
		time.Sleep(5 * time.Second)
		return
	}
	r, w := bufio.NewReader(c), c
	reply := func(s string) { fmt.Fprintf(w, "%s\r\n", s) }
	reply("220 fake ESMTP")
	var rcpt string
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		line = strings.TrimRight(line, "\r\n")
		verb := strings.ToUpper(strings.Fields(line + " x")[0])
		switch verb {
		case "EHLO", "HELO":
			ext := []string{"250-fake", "250-8BITMIME", "250-ENHANCEDSTATUSCODES"}
			if f.startTLS != nil && !encrypted {
				ext = append(ext, "250-STARTTLS")
			}
			if f.auth && encrypted {
				ext = append(ext, "250-AUTH PLAIN")
			}
			ext = append(ext, "250 SMTPUTF8")
			for _, e := range ext {
				reply(e)
			}
		case "STARTTLS":
			reply("220 2.0.0 go ahead")
			tc := tls.Server(c, f.startTLS)
			if err := tc.Handshake(); err != nil {
				return
			}
			c, encrypted = tc, true
			r, w = bufio.NewReader(tc), tc
		case "AUTH":
			parts := strings.Fields(line)
			raw, _ := base64.StdEncoding.DecodeString(parts[len(parts)-1])
			fields := strings.Split(string(raw), "\x00")
			f.mu.Lock()
			f.logins = append(f.logins, fields[1]+":"+fields[2])
			f.mu.Unlock()
			reply("235 2.7.0 ok")
		case "MAIL":
			reply("250 2.1.0 ok")
		case "RCPT":
			rcpt = strings.TrimSuffix(strings.TrimPrefix(line[len("RCPT TO:"):], "<"), ">")
			if r, ok := f.refuse[rcpt]; ok {
				reply(r)
				continue
			}
			reply("250 2.1.5 ok")
		case "DATA":
			reply("354 go ahead")
			var data strings.Builder
			for {
				l, err := r.ReadString('\n')
				if err != nil {
					return
				}
				if l == ".\r\n" {
					break
				}
				data.WriteString(strings.TrimPrefix(l, "."))
			}
			if f.stall == "DATA-END" {
				time.Sleep(5 * time.Second)
				return
			}
			f.mu.Lock()
			f.received = append(f.received, data.String())
			f.mu.Unlock()
			reply("250 2.0.0 queued")
		case "RSET", "NOOP":
			reply("250 2.0.0 ok")
		case "QUIT":
			reply("221 2.0.0 bye")
			return
		default:
			reply("502 5.5.2 unknown command")
		}
	}
}

func (f *fakeSMTP) emails() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.received...)
}

func (f *fakeSMTP) passwords() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.logins...)
}

func mailer(t *testing.T, addr string, change func(*bankmail.SMTPConfig)) *bankmail.SMTPMailer {
	t.Helper()
	cfg := bankmail.SMTPConfig{
		Addr: addr, From: "bank@bank.test", FromName: "Banco Ñandú", TLS: bankmail.TLSOpportunistic,
		ConnectTimeout: 2 * time.Second, SendTimeout: 2 * time.Second,
	}
	if change != nil {
		change(&cfg)
	}
	m, err := bankmail.NewSMTPMailer(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

var muñoz = bankmail.Message{
	ID:      "transfer/7d4c/completed/91ab",
	To:      "rosa@example.com",
	ToName:  "Rosa Muñoz",
	Subject: "Recibiste 1.234,56 € — Muñoz",
	Text:    "Hola, Rosa Muñoz:\n\nRecibiste 1.234,56 € en tu cuenta.\n",
	HTML:    "<p>Hola, Rosa Muñoz:</p><p>Recibiste <strong>1.234,56 €</strong> en tu cuenta.</p>",
}

// An email with accents in its name, subject and bodies arrives as 7-bit-safe MIME whose every part
// decodes to the same UTF-8 text, with the Message-ID of its outbox id; sent again, it carries the
// same Message-ID.
func TestSMTPMailer_SendsUTF8WithTheOutboxMessageID(t *testing.T) {
	t.Parallel()
	srv := newFakeSMTP(t, fakeOptions{})
	m := mailer(t, srv.addr(), nil)
	for range 2 {
		if err := m.Send(context.Background(), muñoz); err != nil {
			t.Fatal(err)
		}
	}
	got := srv.emails()
	if len(got) != 2 {
		t.Fatalf("%d emails received; want 2", len(got))
	}
	var ids []string
	for _, raw := range got {
		msg, err := mail.ReadMessage(strings.NewReader(raw))
		if err != nil {
			t.Fatal(err)
		}
		for _, h := range []string{"Subject", "From", "To"} {
			for _, r := range msg.Header.Get(h) {
				if r > 127 {
					t.Errorf("header %s is not encoded: %q", h, msg.Header.Get(h))
					break
				}
			}
		}
		var dec mime.WordDecoder
		if subj, err := dec.DecodeHeader(msg.Header.Get("Subject")); err != nil || subj != muñoz.Subject {
			t.Errorf("subject %q (%v); want %q", subj, err, muñoz.Subject)
		}
		if to, err := (&mail.AddressParser{WordDecoder: &dec}).Parse(msg.Header.Get("To")); err != nil || to.Name != "Rosa Muñoz" || to.Address != muñoz.To {
			t.Errorf("To %+v (%v)", to, err)
		}
		if from, err := (&mail.AddressParser{WordDecoder: &dec}).Parse(msg.Header.Get("From")); err != nil || from.Name != "Banco Ñandú" || from.Address != "bank@bank.test" {
			t.Errorf("From %+v (%v)", from, err)
		}
		if ua := msg.Header.Get("User-Agent") + msg.Header.Get("X-Mailer"); ua != "" {
			t.Errorf("the email names the software that sent it: %q", ua)
		}
		ids = append(ids, msg.Header.Get("Message-ID"))
		parts := bodyParts(t, msg)
		if strings.ReplaceAll(parts["text/plain"], "\r\n", "\n") != muñoz.Text || parts["text/html"] != muñoz.HTML {
			t.Errorf("parts %q; want the text and the HTML as sent", parts)
		}
	}
	if want := "<transfer.7d4c.completed.91ab@bank.test>"; ids[0] != want || ids[1] != want {
		t.Fatalf("Message-IDs %v; want %s both times", ids, want)
	}
}

// bodyParts decodes the parts of a multipart/alternative message by media type, checking that each
// declares UTF-8.
func bodyParts(t *testing.T, msg *mail.Message) map[string]string {
	t.Helper()
	mt, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/alternative" {
		t.Fatalf("content type %q (%v); want multipart/alternative", msg.Header.Get("Content-Type"), err)
	}
	out := map[string]string{}
	mr := multipart.NewReader(msg.Body, params["boundary"])
	for {
		p, err := mr.NextRawPart()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		pt, pp, _ := mime.ParseMediaType(p.Header.Get("Content-Type"))
		if !strings.EqualFold(pp["charset"], "utf-8") {
			t.Errorf("part %s has charset %q; want UTF-8", pt, pp["charset"])
		}
		var body io.Reader = p
		if strings.EqualFold(p.Header.Get("Content-Transfer-Encoding"), "quoted-printable") {
			body = quotedprintable.NewReader(p)
		}
		b, err := io.ReadAll(body)
		if err != nil {
			t.Fatal(err)
		}
		out[pt] = string(b)
	}
}

func TestMessageID_IsADotAtomAndTellsIdsApart(t *testing.T) {
	t.Parallel()
	cases := map[string]string{
		"registration/0f1e/welcome":                "registration.0f1e.welcome@bank.test",
		"registration/0f1e/welcome/resend/key.1:2": "registration.0f1e.welcome.resend.key=2E1=3A2@bank.test",
		"registration/0f1e/welcome/resend/key/1:2": "registration.0f1e.welcome.resend.key.1=3A2@bank.test",
		"/leading//double/":                        "=2Fleading.=2Fdouble=2F@bank.test",
		"staff-invitation/6a1c_2":                  "staff-invitation.6a1c_2@bank.test",
	}
	for id, want := range cases {
		if got := bankmail.MessageID(id, "bank.test"); got != want {
			t.Errorf("MessageID(%q) = %q; want %q", id, got, want)
		}
		if _, err := mail.ParseAddress("<" + bankmail.MessageID(id, "bank.test") + ">"); err != nil {
			t.Errorf("MessageID(%q) is not a valid msg-id: %v", id, err)
		}
	}
}

// Whose fault a failed send is: a 5xx for the recipient is final, a 4xx is not, and a server that
// cannot be reached, or will not encrypt when it must, leaves every email waiting.
func TestSMTPMailer_TellsRefusalsFromAnUnavailableServer(t *testing.T) {
	t.Parallel()
	srv := newFakeSMTP(t, fakeOptions{refuse: map[string]string{
		"gone@example.com": "550 5.1.1 no such user",
		"full@example.com": "452 4.2.2 mailbox full",
	}})
	m := mailer(t, srv.addr(), nil)
	ctx := context.Background()

	err := m.Send(ctx, bankmail.Message{ID: "a", To: "gone@example.com", Subject: "s", Text: "t"})
	var refused *bankmail.RefusedError
	if !errors.As(err, &refused) || !refused.Permanent || refused.Code != 550 || !bankmail.IsPermanent(err) {
		t.Fatalf("550: %v; want a permanent refusal", err)
	}
	err = m.Send(ctx, bankmail.Message{ID: "b", To: "full@example.com", Subject: "s", Text: "t"})
	if !errors.As(err, &refused) || refused.Permanent || refused.Code != 452 || errors.Is(err, bankmail.ErrUnavailable) {
		t.Fatalf("452: %v; want a temporary refusal", err)
	}
	if err := m.Send(ctx, bankmail.Message{ID: "c", To: "ok@example.com", Subject: "s", Text: "t"}); err != nil {
		t.Fatalf("a good address after two refusals: %v", err)
	}

	required := mailer(t, srv.addr(), func(c *bankmail.SMTPConfig) { c.TLS = bankmail.TLSStartTLS })
	if err := required.Send(ctx, muñoz); !errors.Is(err, bankmail.ErrUnavailable) {
		t.Fatalf("STARTTLS required, not offered: %v; want ErrUnavailable", err)
	}

	closed, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := closed.Addr().String()
	closed.Close()
	if err := mailer(t, addr, nil).Send(ctx, muñoz); !errors.Is(err, bankmail.ErrUnavailable) {
		t.Fatalf("nothing listening: %v; want ErrUnavailable", err)
	}
	if n := len(srv.emails()); n != 1 {
		t.Fatalf("%d emails accepted; want 1", n)
	}
}

// A server that does not greet is given up after the connect timeout, one that does not confirm an
// email after the send timeout; neither holds the sender longer.
func TestSMTPMailer_Timeouts(t *testing.T) {
	t.Parallel()
	for _, stall := range []string{"GREETING", "DATA-END"} {
		srv := newFakeSMTP(t, fakeOptions{stall: stall})
		m := mailer(t, srv.addr(), func(c *bankmail.SMTPConfig) {
			c.ConnectTimeout, c.SendTimeout = 300*time.Millisecond, 300*time.Millisecond
		})
		start := time.Now()
		err := m.Send(context.Background(), muñoz)
		if took := time.Since(start); took > 2*time.Second {
			t.Errorf("stalled at %s: Send took %s", stall, took)
		}
		switch stall {
		case "GREETING":
			if !errors.Is(err, bankmail.ErrUnavailable) {
				t.Errorf("no greeting: %v; want ErrUnavailable", err)
			}
		case "DATA-END":
			var refused *bankmail.RefusedError
			if !errors.As(err, &refused) || refused.Permanent {
				t.Errorf("no answer to the email: %v; want a temporary refusal", err)
			}
		}
	}
}

// STARTTLS, required, encrypts before the login; implicit TLS speaks TLS from the start. The
// password goes only over the encrypted session.
func TestSMTPMailer_EncryptsBeforeLoggingIn(t *testing.T) {
	t.Parallel()
	serverTLS, clientTLS := testCertificates(t)
	ctx := context.Background()

	starttls := newFakeSMTP(t, fakeOptions{startTLS: serverTLS, auth: true})
	m := mailer(t, starttls.addr(), func(c *bankmail.SMTPConfig) {
		c.TLS, c.TLSConfig, c.Username, c.Password = bankmail.TLSStartTLS, clientTLS, "bank", "s3cret"
	})
	if err := m.Send(ctx, muñoz); err != nil {
		t.Fatalf("STARTTLS: %v", err)
	}
	if logins := starttls.passwords(); len(starttls.emails()) != 1 || len(logins) != 1 || logins[0] != "bank:s3cret" {
		t.Fatalf("STARTTLS: %d emails, logins %v", len(starttls.emails()), logins)
	}

	implicit := newFakeSMTP(t, fakeOptions{implicitTLS: serverTLS, auth: true})
	m = mailer(t, implicit.addr(), func(c *bankmail.SMTPConfig) {
		c.TLS, c.TLSConfig, c.Username, c.Password = bankmail.TLSImplicit, clientTLS, "bank", "s3cret"
	})
	if err := m.Send(ctx, muñoz); err != nil {
		t.Fatalf("implicit TLS: %v", err)
	}
	if len(implicit.emails()) != 1 || len(implicit.passwords()) != 1 {
		t.Fatalf("implicit TLS: %d emails, logins %v", len(implicit.emails()), implicit.passwords())
	}

	// A server whose certificate the sender does not trust gets nothing, the password least of all.
	untrusted := newFakeSMTP(t, fakeOptions{startTLS: serverTLS, auth: true})
	m = mailer(t, untrusted.addr(), func(c *bankmail.SMTPConfig) {
		c.TLS, c.Username, c.Password = bankmail.TLSStartTLS, "bank", "s3cret"
	})
	if err := m.Send(ctx, muñoz); !errors.Is(err, bankmail.ErrUnavailable) || len(untrusted.passwords()) != 0 {
		t.Fatalf("untrusted certificate: %v, logins %v; want ErrUnavailable and no login", err, untrusted.passwords())
	}
}

func TestNewSMTPMailer_RefusesBadSettings(t *testing.T) {
	t.Parallel()
	good := bankmail.SMTPConfig{Addr: "mail.example.com:587", From: "bank@example.com", TLS: bankmail.TLSStartTLS,
		ConnectTimeout: time.Second, SendTimeout: time.Second}
	for name, change := range map[string]func(*bankmail.SMTPConfig){
		"no port":      func(c *bankmail.SMTPConfig) { c.Addr = "mail.example.com" },
		"named sender": func(c *bankmail.SMTPConfig) { c.From = "Bank <bank@example.com>" },
		"bad sender":   func(c *bankmail.SMTPConfig) { c.From = "bank" },
		"tls mode":     func(c *bankmail.SMTPConfig) { c.TLS = "sometimes" },
		"zero timeout": func(c *bankmail.SMTPConfig) { c.SendTimeout = 0 },
		"name with CR": func(c *bankmail.SMTPConfig) { c.FromName = "Bank\r\nBcc: x@example.com" },
	} {
		cfg := good
		change(&cfg)
		if _, err := bankmail.NewSMTPMailer(cfg); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if _, err := bankmail.NewSMTPMailer(good); err != nil {
		t.Fatal(err)
	}
}

// testCertificates makes a self-signed certificate for 127.0.0.1: the server's configuration and a
// client's that trusts it.
func testCertificates(t *testing.T) (server, client *tls.Config) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "127.0.0.1"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, IsCA: true, BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}, MinVersion: tls.VersionTLS12},
		&tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
}
