package mailtext

import (
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/bankforge/bank/domain"
)

// secretLink is a staff invitation's link: only that email may carry it, whatever facts the others
// are given.
const secretLink = "https://bank.test/set-password#token=s3cr3t-t0ken"

// sample is an email of each kind with every fact it needs, and the link besides.
func sample(k domain.EmailKind) Email {
	at := time.Date(2026, 3, 7, 14, 5, 0, 0, time.UTC)
	until := time.Date(2026, 4, 1, 9, 30, 0, 0, time.UTC)
	f := Facts{Amount: 123456, Currency: "EUR", Exponent: 2, Account: "400000000017", Counterparty: "400000000025",
		FailureCode: domain.CodeInsufficientFunds, Role: domain.RoleSupport, Link: secretLink, ValidHours: 24,
		FreezeReason: domain.FreezeSuspectedFraud, StopsCredits: true, Until: &until, At: &at,
		Device: "Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0", Network: "203.0.113.0/24"}
	e := Email{Kind: k, Facts: f}
	if k == domain.EmailText {
		e.Subject, e.Body = "A note from the bank", "Your card is on its way."
	}
	return e
}

func renderer(t *testing.T) *Renderer {
	t.Helper()
	r, err := New("Banco Ñandú")
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// Every kind renders in both languages: a subject, a text and an HTML body, each naming the
// recipient as they are, with no placeholder left and the amount written for the reader; the two
// languages differ; only the staff invitation carries its link.
func TestRender_EveryKindInEveryLocale(t *testing.T) {
	t.Parallel()
	r := renderer(t)
	amounts := map[domain.Locale]string{domain.LocaleEnglish: "€1,234.56", domain.LocaleSpanish: "1.234,56 €"}
	greetings := map[domain.Locale]string{domain.LocaleEnglish: "Hello Rosa Muñoz,", domain.LocaleSpanish: "Hola, Rosa Muñoz:"}
	for _, k := range domain.EmailKinds {
		byLocale := map[domain.Locale]Rendered{}
		for _, l := range domain.Locales {
			got, err := r.Render(sample(k), Recipient{Name: "Rosa Muñoz", Locale: l})
			if err != nil {
				t.Fatalf("%s/%s: %v", k, l, err)
			}
			byLocale[l] = got
			for part, s := range map[string]string{"subject": got.Subject, "text": got.Text, "html": got.HTML} {
				if strings.TrimSpace(s) == "" {
					t.Errorf("%s/%s: empty %s", k, l, part)
				}
				for _, leftover := range []string{"{{", "}}", "<no value>", "%!", "&lt;no value&gt;"} {
					if strings.Contains(s, leftover) {
						t.Errorf("%s/%s: %s has %q:\n%s", k, l, part, leftover, s)
					}
				}
				if strings.Contains(s, secretLink) != (k == domain.NotificationStaffInvitation.Email() && part != "subject") {
					t.Errorf("%s/%s: %s carries the link: %v", k, l, part, strings.Contains(s, secretLink))
				}
			}
			if !strings.HasPrefix(got.Text, greetings[l]+"\n") || !strings.Contains(got.HTML, greetings[l]) {
				t.Errorf("%s/%s: no greeting %q:\n%s", k, l, greetings[l], got.Text)
			}
			if !strings.Contains(got.Text, "Banco Ñandú") || !strings.Contains(got.HTML, `lang="`+string(l)+`"`) {
				t.Errorf("%s/%s: no bank name or language:\n%s", k, l, got.Text)
			}
			if len(required[k]) > 0 && strings.Contains(strings.Join(required[k], ","), "amount") {
				for part, s := range map[string]string{"subject": got.Subject, "text": got.Text, "html": got.HTML} {
					if !strings.Contains(s, amounts[l]) {
						t.Errorf("%s/%s: %s lacks the amount %s:\n%s", k, l, part, amounts[l], s)
					}
				}
			}
			if strings.Contains(strings.Join(required[k], ","), "failure_code") && !strings.Contains(got.Text, Reason(domain.CodeInsufficientFunds, l)) {
				t.Errorf("%s/%s: the reason is missing:\n%s", k, l, got.Text)
			}
		}
		if k != domain.EmailText && byLocale[domain.LocaleEnglish].Subject == byLocale[domain.LocaleSpanish].Subject {
			t.Errorf("%s: the same subject in English and Spanish: %q", k, byLocale[domain.LocaleEnglish].Subject)
		}
		if byLocale[domain.LocaleEnglish].Text == byLocale[domain.LocaleSpanish].Text {
			t.Errorf("%s: the same text in English and Spanish", k)
		}
	}
}

// Each notification kind's email tells its own facts in the reader's language: the freeze's reason,
// scope and end; when a security event happened; the new device and its network.
func TestRender_NotificationKindsTellTheirFacts(t *testing.T) {
	t.Parallel()
	r := renderer(t)
	want := map[domain.NotificationKind]map[domain.Locale][]string{
		domain.NotificationAccountFrozen: {
			domain.LocaleEnglish: {"400000000017", "suspected fraud", "Apr 1, 2026 09:30 UTC", "No money can leave or reach it"},
			domain.LocaleSpanish: {"400000000017", "sospecha de fraude", "1 abr 2026 09:30 UTC", "no puede salir ni entrar dinero"},
		},
		domain.NotificationAccountUnfrozen: {
			domain.LocaleEnglish: {"400000000017", "no longer frozen"},
			domain.LocaleSpanish: {"400000000017", "ya no está congelada"},
		},
		domain.NotificationPasswordChanged: {
			domain.LocaleEnglish: {"Mar 7, 2026 14:05 UTC", "password", "other session"},
			domain.LocaleSpanish: {"7 mar 2026 14:05 UTC", "contraseña", "demás sesiones"},
		},
		domain.NotificationLoginLocked: {
			domain.LocaleEnglish: {"Mar 7, 2026 14:05 UTC", "paused"},
			domain.LocaleSpanish: {"7 mar 2026 14:05 UTC", "en pausa"},
		},
		domain.NotificationNewDevice: {
			domain.LocaleEnglish: {"Mar 7, 2026 14:05 UTC", "Firefox/128.0", "203.0.113.0/24", "Device:"},
			domain.LocaleSpanish: {"7 mar 2026 14:05 UTC", "Firefox/128.0", "203.0.113.0/24", "Dispositivo:"},
		},
		domain.NotificationWithdrawalFailed: {
			domain.LocaleEnglish: {"€1,234.56", "400000000017", Reason(domain.CodeInsufficientFunds, domain.LocaleEnglish)},
			domain.LocaleSpanish: {"1.234,56 €", "400000000017", Reason(domain.CodeInsufficientFunds, domain.LocaleSpanish)},
		},
	}
	for kind, byLocale := range want {
		for l, parts := range byLocale {
			got, err := r.Render(sample(kind.Email()), Recipient{Name: "Rosa", Locale: l})
			if err != nil {
				t.Fatalf("%s/%s: %v", kind, l, err)
			}
			for _, p := range parts {
				if !strings.Contains(got.Text, p) || !strings.Contains(got.HTML, p) {
					t.Errorf("%s/%s: text or HTML lacks %q:\n%s\n%s", kind, l, p, got.Text, got.HTML)
				}
			}
		}
	}
	// A freeze with no end is until further notice; one that stops only debits says so.
	e := sample(domain.NotificationAccountFrozen.Email())
	e.Facts.Until, e.Facts.StopsCredits = nil, false
	got, err := r.Render(e, Recipient{Name: "Rosa", Locale: domain.LocaleEnglish})
	if err != nil || !strings.Contains(got.Text, "until further notice") || !strings.Contains(got.Text, "No money can leave it meanwhile") {
		t.Fatalf("an open-ended debit freeze (%v):\n%s", err, got.Text)
	}
}

// Every notification kind has its email, and no notification kind's email carries a link, a token
// or anything the staff invitation's secret is made of but that invitation's own.
func TestRender_EveryNotificationKindHasItsEmail(t *testing.T) {
	t.Parallel()
	r := renderer(t)
	for _, k := range domain.NotificationKinds {
		if !slices.Contains(domain.EmailKinds, k.Email()) {
			t.Errorf("%s has no email kind", k)
		}
		for _, l := range domain.Locales {
			got, err := r.Render(sample(k.Email()), Recipient{Name: "Rosa", Locale: l})
			if err != nil {
				t.Fatalf("%s/%s: %v", k, l, err)
			}
			if k == domain.NotificationStaffInvitation {
				continue
			}
			for _, secret := range []string{"token", "s3cr3t", "set-password", "http://", "https://"} {
				if strings.Contains(got.Text+got.HTML+got.Subject, secret) {
					t.Errorf("%s/%s carries %q", k, l, secret)
				}
			}
		}
	}
}

// A device's User-Agent is text: the HTML body escapes it.
func TestRender_EscapesTheDeviceInHTML(t *testing.T) {
	t.Parallel()
	e := sample(domain.NotificationNewDevice.Email())
	e.Facts.Device = `<script>alert(1)</script>`
	got, err := renderer(t).Render(e, Recipient{Name: "Rosa", Locale: domain.LocaleSpanish})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(got.HTML, "<script>") || !strings.Contains(got.HTML, "&lt;script&gt;") {
		t.Fatalf("the device reached the HTML unescaped:\n%s", got.HTML)
	}
}

func TestRender_WritesTheReadersAmount(t *testing.T) {
	t.Parallel()
	r := renderer(t)
	cases := []struct {
		facts  Facts
		locale domain.Locale
		want   string
	}{
		{Facts{Amount: 123456, Currency: "USD", Exponent: 2}, domain.LocaleEnglish, "You received $1,234.56"},
		{Facts{Amount: 123456, Currency: "EUR", Exponent: 2}, domain.LocaleSpanish, "Recibiste 1.234,56 €"},
		{Facts{Amount: 123456700, Currency: "COP", Exponent: 2}, domain.LocaleSpanish, "Recibiste COP 1.234.567"},
		{Facts{Amount: 1235, Currency: "JPY", Exponent: 0}, domain.LocaleEnglish, "You received ¥1,235"},
	}
	for _, c := range cases {
		c.facts.Account, c.facts.Counterparty = "400000000017", "400000000025"
		got, err := r.Render(Email{Kind: domain.NotificationTransferReceived.Email(), Facts: c.facts}, Recipient{Name: "Ana López", Locale: c.locale})
		if err != nil || got.Subject != c.want {
			t.Errorf("%+v in %s: subject %q (%v); want %q", c.facts, c.locale, got.Subject, err, c.want)
		}
	}
}

// A name is text: the HTML body escapes it, the text body keeps it as it is.
func TestRender_EscapesTheNameInHTML(t *testing.T) {
	t.Parallel()
	got, err := renderer(t).Render(sample(domain.NotificationWelcome.Email()), Recipient{Name: `Ana <img src=x onerror=alert(1)> & "Co"`, Locale: domain.LocaleEnglish})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(got.HTML, "<img") || !strings.Contains(got.HTML, "&lt;img") {
		t.Fatalf("the name reached the HTML unescaped:\n%s", got.HTML)
	}
	if !strings.HasPrefix(got.Text, `Hello Ana <img src=x onerror=alert(1)> & "Co",`) {
		t.Fatalf("the text body changed the name:\n%s", got.Text)
	}
}

// An email that lacks what its kind tells is not rendered with a gap; nor is a kind without
// templates.
func TestRender_RefusesMissingFacts(t *testing.T) {
	t.Parallel()
	r := renderer(t)
	e := sample(domain.NotificationTransferSent.Email())
	e.Facts.Counterparty = ""
	if _, err := r.Render(e, Recipient{Name: "A", Locale: domain.LocaleEnglish}); err == nil || !strings.Contains(err.Error(), "counterparty") {
		t.Fatalf("transfer without a counterparty: %v", err)
	}
	if _, err := r.Render(Email{Kind: "postcard"}, Recipient{Name: "A"}); err == nil {
		t.Fatal("an unknown kind rendered")
	}
	if _, err := r.Render(Email{Kind: domain.EmailText, Subject: "s"}, Recipient{Name: "A"}); err == nil {
		t.Fatal("a text email without a body rendered")
	}
}

// Every code that can end a money movement reads in Spanish; any other still reads as Spanish.
func TestReason_SpanishForEveryMovementRefusal(t *testing.T) {
	t.Parallel()
	for _, c := range []domain.Code{domain.CodeAccountNotFound, domain.CodeAccountNotActive, domain.CodeCurrencyMismatch,
		domain.CodeNotOwner, domain.CodeInsufficientFunds, domain.CodeLimitExceeded, domain.CodeHoldExpired,
		domain.CodeBalanceLimit, domain.CodeCanceled, domain.CodeApprovalRejected, domain.CodeApprovalExpired, domain.CodeInternal} {
		if _, ok := spanishReasons[c]; !ok {
			t.Errorf("%s has no Spanish reason", c)
		}
		if Reason(c, domain.LocaleEnglish) != c.Message() {
			t.Errorf("%s: the English reason is not the code's message", c)
		}
	}
	if got := Reason("something_new", domain.LocaleSpanish); !strings.Contains(got, "no se movió nada") {
		t.Errorf("an unknown code in Spanish: %q", got)
	}
}

func TestFacts_RoundTripThroughTheOutbox(t *testing.T) {
	t.Parallel()
	f := sample(domain.NotificationTransferFailed.Email()).Facts
	got, err := ParseFacts([]byte(f.JSON()))
	if err != nil || !reflect.DeepEqual(got, f) {
		t.Fatalf("%+v (%v); want %+v", got, err, f)
	}
	if _, err := ParseFacts([]byte("[1]")); err == nil {
		t.Fatal("an array parsed as facts")
	}
}

func TestNew_RefusesABankNameOfTwoLines(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"", "  ", "Bank\r\nBcc: x@example.com"} {
		if _, err := New(name); err == nil {
			t.Errorf("New(%q) accepted", name)
		}
	}
}
