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

// inboxPage is a page of a customer's notifications.
type inboxPage struct {
	Items []struct {
		ID     string
		Kind   domain.NotificationKind
		Title  string
		ReadAt *time.Time `json:"read_at"`
	}
	UnreadCount int `json:"unread_count"`
}

func readInbox(t *testing.T, c customer, query string) inboxPage {
	t.Helper()
	var p inboxPage
	if _, err := c.c.JSON(context.Background(), http.MethodGet, "/v1/me/notifications"+query, nil, nil, &p); err != nil {
		t.Fatal(err)
	}
	return p
}

// A transfer's mails reach each party in their language, the inbox lists them, marking one read
// drops unread_count, and a kind its customer switched off is in the inbox but never emailed. A
// login from a new device is told, in the customer's language, by email and in the inbox.
func TestInbox_TransferIsToldByMailAndInTheInbox(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	rosa := registerIn(t, "Rosa Muñoz", "EUR", map[string]any{"locale": "es"}, "")
	ana := registerIn(t, "Ana López", "EUR", map[string]any{"locale": "en"}, "")
	var anaID struct{ ID string }
	if _, err := ana.c.JSON(ctx, http.MethodGet, "/v1/me", nil, nil, &anaID); err != nil {
		t.Fatal(err)
	}
	// Ana wants no email of money received; a security kind cannot be switched off.
	if _, err := ana.c.JSON(ctx, http.MethodPatch, "/v1/me/notification-settings",
		map[string]any{"email": map[string]bool{"transfer_received": false}}, nil, nil); err != nil {
		t.Fatal(err)
	}
	if resp, _ := ana.c.Do(ctx, http.MethodPatch, "/v1/me/notification-settings",
		map[string]any{"email": map[string]bool{"new_device": false}}, nil); resp == nil || resp.Status != http.StatusUnprocessableEntity ||
		!strings.Contains(string(resp.Body), "notification_email_required") {
		t.Fatalf("switching off new_device: %+v", resp)
	}

	adm := admin(t)
	dep, err := adm.Deposit(ctx, rosa.account.ID, 1_000_00, "EUR", "inbox-dep-"+uuid.NewString())
	if err != nil {
		t.Fatal(err)
	}
	if got, err := adm.WaitTransfer(ctx, dep.ID, 10*time.Second); err != nil || got.Status != domain.TransferCompleted {
		t.Fatalf("deposit ended %s: %v", got.Status, err)
	}
	tr, _, err := rosa.c.Transfer(ctx, rosa.account.ID, ana.account.ID, 123_45, "EUR", "inbox-tr-"+uuid.NewString())
	if err != nil {
		t.Fatal(err)
	}
	if got, err := rosa.c.WaitTransfer(ctx, tr.ID, 10*time.Second); err != nil || got.Status != domain.TransferCompleted {
		t.Fatalf("transfer ended %s: %v", got.Status, err)
	}
	sent := awaitMail(t, rosa.email, "Enviaste 123,45 €")
	if !strings.Contains(sent.Text, "Enviaste 123,45 € desde tu cuenta "+rosa.account.Number) || !strings.Contains(sent.HTML, `lang="es"`) {
		t.Fatalf("Rosa's transfer mail:\n%s", sent.Text)
	}
	// Both parties' emails are written together: Ana's was not written at all.
	var anas int
	if err := sys.Store.Pool().QueryRow(ctx, "SELECT count(*) FROM emails WHERE user_id = $1 AND kind = 'transfer_received'", anaID.ID).Scan(&anas); err != nil || anas != 0 {
		t.Fatalf("%d transfer_received emails for Ana (%v); she switched them off", anas, err)
	}
	var found struct{ Messages []struct{ Subject string } }
	mailpitGet(t, "/api/v1/search?query="+url.QueryEscape("to:"+ana.email), &found)
	for _, m := range found.Messages {
		if strings.Contains(m.Subject, "received") {
			t.Fatalf("Ana got %q; she switched it off", m.Subject)
		}
	}
	if p := readInbox(t, ana, ""); len(p.Items) == 0 || p.Items[0].Kind != domain.NotificationTransferReceived {
		t.Fatalf("Ana's inbox lacks the transfer: %+v", p)
	}

	// Rosa's inbox: the transfer, the deposit and the welcome, newest first, all unread.
	var p inboxPage
	eventually(t, 30*time.Second, "Rosa's inbox lists her transfer", func() bool {
		p = readInbox(t, rosa, "")
		return len(p.Items) == 3
	})
	if p.Items[0].Kind != domain.NotificationTransferSent || p.Items[1].Kind != domain.NotificationDeposit ||
		p.Items[2].Kind != domain.NotificationWelcome || p.UnreadCount != 3 {
		t.Fatalf("Rosa's inbox: %+v", p)
	}
	var read struct {
		UnreadCount int `json:"unread_count"`
	}
	if _, err := rosa.c.JSON(ctx, http.MethodPost, "/v1/me/notifications/"+p.Items[0].ID+"/read", nil, nil, &read); err != nil || read.UnreadCount != 2 {
		t.Fatalf("read: unread_count %d (%v); want 2", read.UnreadCount, err)
	}
	if resp, _ := ana.c.Do(ctx, http.MethodPost, "/v1/me/notifications/"+p.Items[1].ID+"/read", nil, nil); resp == nil || resp.Status != http.StatusNotFound {
		t.Fatalf("Ana marking Rosa's: %+v; want 404", resp)
	}
	if u := readInbox(t, rosa, "?unread=true"); u.UnreadCount != 2 || len(u.Items) != 2 || u.Items[0].Kind != domain.NotificationDeposit {
		t.Fatalf("Rosa's unread: %+v", u)
	}
	if _, err := rosa.c.JSON(ctx, http.MethodPost, "/v1/me/notifications/read-all", nil, nil, &read); err != nil || read.UnreadCount != 0 {
		t.Fatalf("read-all: unread_count %d (%v)", read.UnreadCount, err)
	}

	// A login from a new device.
	var tok struct {
		AccessToken  string `json:"access_token"`
		RefreshToken string `json:"refresh_token"`
	}
	if _, err := sys.API.JSON(ctx, http.MethodPost, "/v1/auth/login", map[string]string{"email": rosa.email, "password": rosa.password},
		http.Header{"User-Agent": {"NuevoTeléfono/2.0"}}, &tok); err != nil {
		t.Fatal(err)
	}
	device := awaitMail(t, rosa.email, "Un inicio de sesión desde un dispositivo nuevo")
	if tok.AccessToken == "" || !strings.Contains(device.Text, "NuevoTeléfono/2.0") || strings.Contains(device.Text+device.HTML, tok.AccessToken) ||
		strings.Contains(device.Text+device.HTML, tok.RefreshToken) || strings.Contains(device.Text+device.HTML, rosa.password) {
		t.Fatalf("the new device's mail:\n%s", device.Text)
	}
	if p := readInbox(t, rosa, "?unread=true"); len(p.Items) != 1 || p.Items[0].Kind != domain.NotificationNewDevice || p.UnreadCount != 1 {
		t.Fatalf("Rosa's inbox after the new device: %+v", p)
	}
}
