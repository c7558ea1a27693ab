package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/bankforge/bank/dev/mailbox"
	"github.com/bankforge/bank/dev/testenv"
	"github.com/bankforge/bank/domain"
	"github.com/bankforge/bank/mail"
)

// mailpitMessage is a message as Mailpit's API returns it.
type mailpitMessage struct {
	ID        string
	MessageID string
	From      struct{ Name, Address string }
	To        []struct{ Name, Address string }
	Subject   string
	Text      string
	HTML      string
}

func mailpitGet(t *testing.T, path string, out any) {
	t.Helper()
	resp, err := http.Get(sys.MailpitURL + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("mailpit %s: %s", path, resp.Status)
	}
	if s, ok := out.(*string); ok {
		b, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		*s = string(b)
		return
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		t.Fatal(err)
	}
}

// awaitMail waits for the message to address with subject to reach Mailpit, and reads it whole.
func awaitMail(t *testing.T, address, subject string) mailpitMessage {
	t.Helper()
	deadline := time.Now().Add(45 * time.Second)
	var seen []string
	for time.Now().Before(deadline) {
		var found struct {
			Messages []struct{ ID, Subject string }
		}
		mailpitGet(t, "/api/v1/search?query="+url.QueryEscape("to:"+address), &found)
		seen = seen[:0]
		for _, m := range found.Messages {
			seen = append(seen, m.Subject)
			if m.Subject == subject {
				var full mailpitMessage
				mailpitGet(t, "/api/v1/message/"+m.ID, &full)
				return full
			}
		}
		time.Sleep(250 * time.Millisecond)
	}
	t.Fatalf("no email %q to %s reached the SMTP server; it has %q", subject, address, seen)
	return mailpitMessage{}
}

// registerIn registers a customer with a name, choosing the locale by the request's field or its
// Accept-Language header, and logs them in.
func registerIn(t *testing.T, name, currency string, body map[string]any, acceptLanguage string) customer {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	email := "mail-" + uuid.NewString()[:8] + "@example.com"
	pw := "a-Long-passphrase-" + uuid.NewString()[:6]
	addSecret(pw)
	req := map[string]any{"email": email, "password": pw, "full_name": name, "currency": currency}
	for k, v := range body {
		req[k] = v
	}
	var op struct{ ID string }
	if _, err := sys.API.JSON(ctx, http.MethodPost, "/v1/auth/register", req, http.Header{"Accept-Language": {acceptLanguage}}, &op); err != nil {
		t.Fatalf("register: %v", err)
	}
	if got, err := sys.API.WaitOperation(ctx, op.ID); err != nil || got.Status != domain.OperationCompleted {
		t.Fatalf("registration ended %s: %v", got.Status, err)
	}
	tok, err := sys.API.Login(ctx, email, pw)
	if err != nil {
		t.Fatal(err)
	}
	c := sys.API.As(tok.AccessToken)
	accounts, err := c.Accounts(ctx)
	if err != nil || len(accounts) != 1 {
		t.Fatalf("accounts: %+v, %v", accounts, err)
	}
	return customer{email: email, password: pw, c: c, account: accounts[0]}
}

// Emails go through the real SMTP server in each customer's language: the welcome and a cash
// deposit reach a Spanish and an English customer with their names, the bank's and the amount
// written as each reads it, UTF-8 encoded on the wire, each with the Message-ID of its outbox email.
// The development mailbox page shows them.
func TestEmail_DeliveredThroughSMTPInEachCustomersLanguage(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	rosa := registerIn(t, "Rosa Muñoz", "EUR", nil, "es-CO,es;q=0.9,en;q=0.5")
	ana := registerIn(t, "Ana López", "USD", map[string]any{"locale": "en"}, "es")
	var me struct {
		ID     string
		Locale domain.Locale
	}
	if _, err := rosa.c.JSON(ctx, http.MethodGet, "/v1/me", nil, nil, &me); err != nil || me.Locale != domain.LocaleSpanish {
		t.Fatalf("Rosa's locale %q (%v); want es from her Accept-Language", me.Locale, err)
	}
	rosaID := me.ID

	adm := admin(t)
	var deposits = map[string]string{}
	for _, c := range []customer{rosa, ana} {
		tr, err := adm.Deposit(ctx, c.account.ID, 123456, c.account.Currency, "mail-dep-"+uuid.NewString())
		if err != nil {
			t.Fatal(err)
		}
		if got, err := adm.WaitTransfer(ctx, tr.ID, 5*time.Second); err != nil || got.Status != domain.TransferCompleted {
			t.Fatalf("deposit ended %s: %v", got.Status, err)
		}
		deposits[c.email] = tr.ID
	}

	const bank = "Banco de Pruebas Ñandú" // BANK_NAME in the test system
	es := awaitMail(t, rosa.email, "Depósito en efectivo de 1.234,56 €")
	if len(es.To) != 1 || es.To[0].Address != rosa.email || es.To[0].Name != "Rosa Muñoz" || es.From.Name != bank {
		t.Fatalf("Spanish deposit: to %+v from %+v", es.To, es.From)
	}
	if !strings.HasPrefix(es.Text, "Hola, Rosa Muñoz:") || !strings.Contains(es.Text, "Recibiste un depósito en efectivo de 1.234,56 € en tu cuenta "+rosa.account.Number) ||
		!strings.Contains(es.HTML, "<strong>1.234,56 €</strong>") || !strings.Contains(es.HTML, `lang="es"`) {
		t.Fatalf("Spanish deposit's bodies:\n%s\n%s", es.Text, es.HTML)
	}
	if want := mail.MessageID("transfer/"+deposits[rosa.email]+"/completed/"+rosaID, "localhost"); es.MessageID != want {
		t.Fatalf("Message-ID %q; want %q, from the outbox email's id", es.MessageID, want)
	}
	var raw string
	mailpitGet(t, "/api/v1/message/"+es.ID+"/raw", &raw)
	head, body, _ := strings.Cut(raw, "\r\n\r\n")
	for _, r := range head {
		if r > 127 {
			t.Fatalf("the headers went unencoded on the wire:\n%s", head)
		}
	}
	if !strings.Contains(head, "Subject: =?UTF-8?") || !strings.Contains(body, "Mu=C3=B1oz") || !strings.Contains(body, "charset=UTF-8") {
		t.Fatalf("not UTF-8 encoded on the wire:\n%s", raw)
	}
	if welcome := awaitMail(t, rosa.email, "Te damos la bienvenida a "+bank); !strings.Contains(welcome.Text, rosa.account.Number) {
		t.Fatalf("Spanish welcome:\n%s", welcome.Text)
	}

	en := awaitMail(t, ana.email, "Cash deposit of $1,234.56")
	if len(en.To) != 1 || en.To[0].Address != ana.email || en.To[0].Name != "Ana López" {
		t.Fatalf("English deposit to %+v", en.To)
	}
	if !strings.HasPrefix(en.Text, "Hello Ana López,") || !strings.Contains(en.Text, "A cash deposit of $1,234.56 was made into your account "+ana.account.Number) ||
		!strings.Contains(en.HTML, `lang="en"`) {
		t.Fatalf("English deposit's bodies:\n%s\n%s", en.Text, en.HTML)
	}
	awaitMail(t, ana.email, "Welcome to "+bank)

	// A person reads them on the development mailbox page.
	page := httptest.NewServer(mailbox.New(sys.MailpitURL))
	defer page.Close()
	resp, err := http.Get(page.URL + "/?q=" + url.QueryEscape("to:"+rosa.email))
	if err != nil {
		t.Fatal(err)
	}
	list, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(list), "Depósito en efectivo de 1.234,56 €") || !strings.Contains(string(list), "/messages/"+es.ID) {
		t.Fatalf("the mailbox page does not list Rosa's deposit:\n%s", list)
	}
	resp, err = http.Get(page.URL + "/messages/" + es.ID)
	if err != nil {
		t.Fatal(err)
	}
	shown, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(shown), "Hola, Rosa Muñoz:") || !strings.Contains(string(shown), fmt.Sprintf("&lt;%s&gt;", rosa.email)) {
		t.Fatalf("the mailbox page does not show the email:\n%s", shown)
	}
}

// A mail the real SMTP server refuses for good (550) is given up after its one attempt, marked
// failed in the outbox and audited once; the registration it tells of stands, and the customer
// logs in and moves money as any other.
func TestEmail_RefusedForGoodIsGivenUpAndAudited(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	address := testenv.RefusedAddress(uuid.NewString()[:8])
	pw := "a-Long-passphrase-" + uuid.NewString()[:6]
	addSecret(pw)
	opID, err := sys.API.Register(ctx, address, pw, "Nadie Muñoz", "USD")
	if err != nil {
		t.Fatal(err)
	}
	if op, err := sys.API.WaitOperation(ctx, opID); err != nil || op.Status != domain.OperationCompleted {
		t.Fatalf("registration ended %s: %v", op.Status, err)
	}
	var events []struct {
		Subject string
		Details map[string]any
	}
	deadline := time.Now().Add(45 * time.Second)
	for len(events) == 0 && time.Now().Before(deadline) {
		var page struct {
			Items []struct {
				Subject string
				Details map[string]any
			}
		}
		if _, err := admin(t).JSON(ctx, http.MethodGet, "/v1/admin/audit-events?type=email.failed&email="+url.QueryEscape(address), nil, nil, &page); err != nil {
			t.Fatal(err)
		}
		events = page.Items
		if len(events) == 0 {
			time.Sleep(250 * time.Millisecond)
		}
	}
	if len(events) != 1 || events[0].Details["kind"] != string(domain.NotificationWelcome.Email()) || !strings.Contains(fmt.Sprint(events[0].Details["last_error"]), "550") {
		t.Fatalf("email.failed events %+v; want the welcome's, once, with the 550", events)
	}
	var attempts int
	var failed bool
	if err := sys.Store.Pool().QueryRow(ctx, "SELECT attempts, failed_at IS NOT NULL FROM emails WHERE id = $1", events[0].Subject).Scan(&attempts, &failed); err != nil || attempts != 1 || !failed {
		t.Fatalf("outbox: %d attempts, failed %v (%v); want one attempt, given up", attempts, failed, err)
	}
	time.Sleep(3 * time.Second) // a few more delivery runs
	if err := sys.Store.Pool().QueryRow(ctx, "SELECT attempts FROM emails WHERE id = $1", events[0].Subject).Scan(&attempts); err != nil || attempts != 1 {
		t.Fatalf("the given-up email was tried again: %d attempts (%v)", attempts, err)
	}
	tok, err := sys.API.Login(ctx, address, pw)
	if err != nil {
		t.Fatalf("the customer whose welcome bounced cannot log in: %v", err)
	}
	if accounts, err := sys.API.As(tok.AccessToken).Accounts(ctx); err != nil || len(accounts) != 1 {
		t.Fatalf("accounts %+v, %v", accounts, err)
	}
}
