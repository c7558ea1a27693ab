package domain

// Locale is the language a user reads the bank's emails in.
type Locale string

const (
	LocaleEnglish Locale = "en"
	LocaleSpanish Locale = "es"
)

// DefaultLocale is the language of a user who named none.
const DefaultLocale = LocaleEnglish

// Locales lists every locale, for validation and documentation.
var Locales = []Locale{LocaleEnglish, LocaleSpanish}

// Valid reports whether l is one of the locales.
func (l Locale) Valid() bool { return l == LocaleEnglish || l == LocaleSpanish }

// EmailKind names what an email in the outbox tells, and so the template it is rendered from when it
// is sent.
type EmailKind string

const (
	// EmailText is an email written out in its subject and body, sent as it is.
	EmailText EmailKind = "text"
	// EmailWelcome tells a new customer their first account is open.
	EmailWelcome EmailKind = "welcome"
	// EmailTaken tells the owner of an address that someone tried to register with it.
	EmailTaken EmailKind = "email_taken"
	// EmailStaffInvitation carries a new staff member's one-time link to set their password: the
	// one email that carries a secret, because that is its purpose.
	EmailStaffInvitation EmailKind = "staff_invitation"
	// The parties of a money movement: who sent, who received, whose transfer did not go through,
	// and the customer of a cash deposit or withdrawal.
	EmailTransferSent     EmailKind = "transfer_sent"
	EmailTransferReceived EmailKind = "transfer_received"
	EmailTransferFailed   EmailKind = "transfer_failed"
	EmailDeposit          EmailKind = "deposit"
	EmailWithdrawal       EmailKind = "withdrawal"
	EmailWithdrawalFailed EmailKind = "withdrawal_failed"
)

// EmailKinds lists every email kind; the outbox's CHECK constraint lists the same.
var EmailKinds = []EmailKind{
	EmailText, EmailWelcome, EmailTaken, EmailStaffInvitation, EmailTransferSent, EmailTransferReceived,
	EmailTransferFailed, EmailDeposit, EmailWithdrawal, EmailWithdrawalFailed,
}
