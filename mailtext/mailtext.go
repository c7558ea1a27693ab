// Package mailtext writes the bank's emails: for each kind of email (domain.EmailKind) a subject, a
// text body and an HTML body, in each locale (templates/), with amounts written for the reader's
// locale (domain.FormatMoney) and the bank's name. The outbox keeps an email's kind and Facts; an
// email is written when it is sent, in its recipient's language and name as they are then.
package mailtext

import (
	"bytes"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	htmltemplate "html/template"
	"strings"
	texttemplate "text/template"
	"time"

	"github.com/bankforge/bank/domain"
)

//go:embed templates
var files embed.FS

// Facts are what an email tells, kept as JSON with it in the outbox. Each kind uses some of them
// (required lists which). None is a secret but Link, which only a staff invitation carries.
type Facts struct {
	// An amount in minor units of Currency, which has Exponent decimals.
	Amount   int64  `json:"amount,omitempty"`
	Currency string `json:"currency,omitempty"`
	Exponent int    `json:"exponent,omitempty"`
	// Account is the recipient's account the email is about; Counterparty, the other party's
	// account number in a transfer.
	Account      string `json:"account,omitempty"`
	Counterparty string `json:"counterparty,omitempty"`
	// FailureCode says why a movement did not go through.
	FailureCode domain.Code `json:"failure_code,omitempty"`
	// A staff invitation: the role offered, the one-time link to set a password, and for how many
	// hours it works.
	Role       domain.Role `json:"role,omitempty"`
	Link       string      `json:"link,omitempty"`
	ValidHours int         `json:"valid_hours,omitempty"`
	// A freeze: its reason's code, whether it stops money coming in too, and its end (none: until
	// further notice).
	FreezeReason domain.FreezeReason `json:"freeze_reason,omitempty"`
	StopsCredits bool                `json:"stops_credits,omitempty"`
	Until        *time.Time          `json:"until,omitempty"`
	// A security event: when it happened; for a login from a new device, the device (its
	// User-Agent, shortened) and network (an IPv4 /24 or IPv6 /64) it came from.
	At      *time.Time `json:"at,omitempty"`
	Device  string     `json:"device,omitempty"`
	Network string     `json:"network,omitempty"`
}

// JSON is f as the outbox stores it.
func (f Facts) JSON() string {
	b, _ := json.Marshal(f) // a struct of strings and numbers always marshals
	return string(b)
}

// ParseFacts reads the facts the outbox stored.
func ParseFacts(data []byte) (Facts, error) {
	var f Facts
	if len(data) == 0 {
		return f, nil
	}
	if err := json.Unmarshal(data, &f); err != nil {
		return Facts{}, fmt.Errorf("email facts: %w", err)
	}
	return f, nil
}

// Email is an outbox email to render: its kind and facts, and for a text email its own subject and
// body.
type Email struct {
	Kind    domain.EmailKind
	Facts   Facts
	Subject string
	Body    string
}

// Recipient is who reads the email.
type Recipient struct {
	Name   string
	Locale domain.Locale
}

// Rendered is an email ready to send.
type Rendered struct {
	Subject string
	Text    string
	HTML    string
}

// Renderer holds the parsed templates of every locale.
type Renderer struct {
	bank string
	text map[domain.Locale]*texttemplate.Template
	html map[domain.Locale]*htmltemplate.Template
}

// New parses the templates for a bank named bank.
func New(bank string) (*Renderer, error) {
	bank = strings.TrimSpace(bank)
	if bank == "" || strings.ContainsAny(bank, "\r\n") {
		return nil, errors.New("the bank's name must be one line of text")
	}
	r := &Renderer{bank: bank, text: map[domain.Locale]*texttemplate.Template{}, html: map[domain.Locale]*htmltemplate.Template{}}
	for _, l := range domain.Locales {
		t, err := texttemplate.New(string(l)).ParseFS(files, "templates/"+string(l)+".txt")
		if err != nil {
			return nil, fmt.Errorf("text templates %s: %w", l, err)
		}
		h, err := htmltemplate.New(string(l)).ParseFS(files, "templates/layout.html", "templates/"+string(l)+".html")
		if err != nil {
			return nil, fmt.Errorf("html templates %s: %w", l, err)
		}
		for _, k := range domain.EmailKinds {
			if _, ok := required[k]; !ok {
				return nil, fmt.Errorf("email kind %s lists no required facts", k)
			}
			for _, name := range []string{string(k) + ".subject", string(k) + ".text"} {
				if t.Lookup(name) == nil {
					return nil, fmt.Errorf("locale %s has no template %s", l, name)
				}
			}
			if h.Lookup(string(k)+".html") == nil {
				return nil, fmt.Errorf("locale %s has no template %s.html", l, k)
			}
		}
		r.text[l], r.html[l] = t, h
	}
	return r, nil
}

// required lists the facts each kind needs; an email missing one is not sent with a gap in it.
var required = map[domain.EmailKind][]string{
	domain.EmailText:                            {"subject", "body"},
	domain.EmailTaken:                           {},
	domain.NotificationWelcome.Email():          {"currency", "account"},
	domain.NotificationStaffInvitation.Email():  {"role", "link", "valid_hours"},
	domain.NotificationTransferSent.Email():     {"amount", "account", "counterparty"},
	domain.NotificationTransferReceived.Email(): {"amount", "account", "counterparty"},
	domain.NotificationTransferFailed.Email():   {"amount", "account", "counterparty", "failure_code"},
	domain.NotificationDeposit.Email():          {"amount", "account"},
	domain.NotificationWithdrawal.Email():       {"amount", "account"},
	domain.NotificationWithdrawalFailed.Email(): {"amount", "account", "failure_code"},
	domain.NotificationAccountFrozen.Email():    {"account", "freeze_reason"},
	domain.NotificationAccountUnfrozen.Email():  {"account"},
	domain.NotificationPasswordChanged.Email():  {"at"},
	domain.NotificationLoginLocked.Email():      {"at"},
	domain.NotificationNewDevice.Email():        {"at", "device", "network"},
}

func (e Email) missing() []string {
	has := map[string]bool{
		"subject": e.Subject != "", "body": e.Body != "", "currency": e.Facts.Currency != "",
		"account": e.Facts.Account != "", "counterparty": e.Facts.Counterparty != "",
		"amount":       e.Facts.Amount > 0 && e.Facts.Currency != "",
		"failure_code": e.Facts.FailureCode != "", "role": e.Facts.Role != "", "link": e.Facts.Link != "",
		"valid_hours": e.Facts.ValidHours > 0, "freeze_reason": e.Facts.FreezeReason != "",
		"at": e.Facts.At != nil, "device": e.Facts.Device != "", "network": e.Facts.Network != "",
	}
	var out []string
	for _, f := range required[e.Kind] {
		if !has[f] {
			out = append(out, f)
		}
	}
	return out
}

// view is what the templates read.
type view struct {
	Bank         string
	Name         string
	Subject      string
	Body         string
	Amount       string
	Currency     string
	Account      string
	Counterparty string
	Reason       string
	Role         string
	Link         string
	ValidHours   int
	FreezeReason string
	StopsCredits bool
	Until        string
	At           string
	Device       string
	Network      string
	Lang         string
}

// Render writes e for to, in to's locale (English when it has none the bank writes).
func (r *Renderer) Render(e Email, to Recipient) (Rendered, error) {
	if _, ok := required[e.Kind]; !ok {
		return Rendered{}, fmt.Errorf("no template for email kind %q", e.Kind)
	}
	if m := e.missing(); len(m) > 0 {
		return Rendered{}, fmt.Errorf("%s email lacks %s", e.Kind, strings.Join(m, ", "))
	}
	l := to.Locale
	if !l.Valid() {
		l = domain.DefaultLocale
	}
	f := e.Facts
	v := view{
		Bank: r.bank, Name: strings.TrimSpace(to.Name), Subject: e.Subject, Body: e.Body,
		Currency: f.Currency, Account: f.Account, Counterparty: f.Counterparty,
		Link: f.Link, ValidHours: f.ValidHours, Lang: string(l),
	}
	if f.Currency != "" {
		v.Amount = domain.FormatMoney(f.Amount, f.Exponent, f.Currency, l)
	}
	if f.FailureCode != "" {
		v.Reason = Reason(f.FailureCode, l)
	}
	if f.Role != "" {
		v.Role = roleNames[l][f.Role]
	}
	if f.FreezeReason != "" {
		v.FreezeReason = freezeReasons[l][f.FreezeReason]
		if v.FreezeReason == "" {
			v.FreezeReason = string(f.FreezeReason)
		}
	}
	v.StopsCredits = f.StopsCredits
	if f.Until != nil {
		v.Until = FormatTime(*f.Until, l)
	}
	if f.At != nil {
		v.At = FormatTime(*f.At, l)
	}
	v.Device, v.Network = f.Device, f.Network
	var out Rendered
	var b bytes.Buffer
	if err := r.text[l].ExecuteTemplate(&b, string(e.Kind)+".subject", v); err != nil {
		return Rendered{}, fmt.Errorf("subject: %w", err)
	}
	out.Subject = strings.Join(strings.Fields(b.String()), " ")
	v.Subject = out.Subject
	b.Reset()
	if err := r.text[l].ExecuteTemplate(&b, string(e.Kind)+".text", v); err != nil {
		return Rendered{}, fmt.Errorf("text: %w", err)
	}
	out.Text = tidy(b.String())
	b.Reset()
	if err := r.html[l].ExecuteTemplate(&b, string(e.Kind)+".html", v); err != nil {
		return Rendered{}, fmt.Errorf("html: %w", err)
	}
	out.HTML = b.String()
	return out, nil
}

// tidy trims each line's trailing spaces and the text's surrounding blank lines, keeps at most one
// blank line in a row, and ends the text with a newline.
func tidy(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	out := make([]string, 0, len(lines))
	for _, l := range lines {
		l = strings.TrimRight(l, " \t")
		if l == "" && len(out) > 0 && out[len(out)-1] == "" {
			continue
		}
		out = append(out, l)
	}
	return strings.Join(out, "\n") + "\n"
}

var roleNames = map[domain.Locale]map[domain.Role]string{
	domain.LocaleEnglish: {domain.RoleClient: "customer", domain.RoleSupport: "support", domain.RoleAdmin: "admin"},
	domain.LocaleSpanish: {domain.RoleClient: "cliente", domain.RoleSupport: "soporte", domain.RoleAdmin: "administración"},
}

var freezeReasons = map[domain.Locale]map[domain.FreezeReason]string{
	domain.LocaleEnglish: {domain.FreezeSuspectedFraud: "suspected fraud", domain.FreezeCustomerRequest: "your request",
		domain.FreezeLegalOrder: "a legal order", domain.FreezeOther: "another reason"},
	domain.LocaleSpanish: {domain.FreezeSuspectedFraud: "sospecha de fraude", domain.FreezeCustomerRequest: "tu solicitud",
		domain.FreezeLegalOrder: "una orden judicial", domain.FreezeOther: "otro motivo"},
}

// FormatTime writes a moment in UTC as a reader of locale l expects it: "Jan 2, 2006 15:04 UTC",
// "2 ene 2006 15:04 UTC".
func FormatTime(t time.Time, l domain.Locale) string {
	t = t.UTC()
	if l == domain.LocaleSpanish {
		return fmt.Sprintf("%d %s %d %s UTC", t.Day(), spanishMonths[t.Month()-1], t.Year(), t.Format("15:04"))
	}
	return t.Format("Jan 2, 2006 15:04") + " UTC"
}

var spanishMonths = [12]string{"ene", "feb", "mar", "abr", "may", "jun", "jul", "ago", "sep", "oct", "nov", "dic"}

// spanishReasons are the Spanish of the codes that can end a money movement (English is
// domain.Code.Message()).
var spanishReasons = map[domain.Code]string{
	domain.CodeAccountNotFound:   "Una de las cuentas no existe.",
	domain.CodeAccountNotActive:  "Una de las cuentas está congelada o cerrada, así que no se puede mover dinero.",
	domain.CodeCurrencyMismatch:  "Las dos cuentas y la transferencia deben estar en la misma moneda.",
	domain.CodeNotOwner:          "Solo puedes enviar dinero desde tus propias cuentas.",
	domain.CodeInsufficientFunds: "La cuenta no tiene saldo disponible suficiente.",
	domain.CodeLimitExceeded:     "El monto supera el límite de transferencias de esta cuenta.",
	domain.CodeHoldExpired:       "Los fondos reservados vencieron antes de que la transferencia se completara; no se movió nada.",
	domain.CodeBalanceLimit:      "El saldo de la cuenta de destino superaría el máximo que puede tener una cuenta; no se movió nada.",
	domain.CodeCanceled:          "La operación se canceló; no se movió nada.",
	domain.CodeApprovalRejected:  "Un segundo administrador rechazó el movimiento de efectivo; no se movió nada.",
	domain.CodeApprovalExpired:   "Ningún segundo administrador aprobó a tiempo el movimiento de efectivo; no se movió nada.",
	domain.CodeInternal:          "La operación no se pudo completar por un problema de nuestra parte; no se movió nada.",
}

// Reason is why a movement ended with code, for a reader of locale l.
func Reason(code domain.Code, l domain.Locale) string {
	if l == domain.LocaleSpanish {
		if s, ok := spanishReasons[code]; ok {
			return s
		}
		return "La operación no se pudo completar; no se movió nada."
	}
	return code.Message()
}
