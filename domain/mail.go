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

// NotificationKind names what a notification is about: the one event it tells, in the app's inbox
// and, under the same name, in the email that carries it (EmailKind(k) is its template). Each kind's
// spelling is here and nowhere else.
type NotificationKind string

const (
	// NotificationWelcome tells a new customer their first account is open.
	NotificationWelcome NotificationKind = "welcome"
	// The parties of a money movement: who sent, who received, whose transfer did not go through
	// (with the reason), and the customer of a cash deposit or withdrawal.
	NotificationTransferSent     NotificationKind = "transfer_sent"
	NotificationTransferReceived NotificationKind = "transfer_received"
	NotificationTransferFailed   NotificationKind = "transfer_failed"
	NotificationDeposit          NotificationKind = "deposit"
	NotificationWithdrawal       NotificationKind = "withdrawal"
	NotificationWithdrawalFailed NotificationKind = "withdrawal_failed"
	// An account of the user's was frozen, or is active again.
	NotificationAccountFrozen   NotificationKind = "account_frozen"
	NotificationAccountUnfrozen NotificationKind = "account_unfrozen"
	// Security events: the password changed, the login locked after repeated failures, a login
	// from a device or network the user had not logged in from before.
	NotificationPasswordChanged NotificationKind = "password_changed"
	NotificationLoginLocked     NotificationKind = "login_locked"
	NotificationNewDevice       NotificationKind = "new_device"
	// NotificationStaffInvitation tells a new staff member their account was opened. Its email
	// carries the one-time link to set a password; the inbox never does.
	NotificationStaffInvitation NotificationKind = "staff_invitation"
)

// NotificationKinds lists every notification kind, in the order the settings list them.
var NotificationKinds = []NotificationKind{
	NotificationWelcome, NotificationTransferSent, NotificationTransferReceived, NotificationTransferFailed,
	NotificationDeposit, NotificationWithdrawal, NotificationWithdrawalFailed, NotificationAccountFrozen,
	NotificationAccountUnfrozen, NotificationPasswordChanged, NotificationLoginLocked, NotificationNewDevice,
	NotificationStaffInvitation,
}

// Valid reports whether k is one of the kinds.
func (k NotificationKind) Valid() bool {
	for _, v := range NotificationKinds {
		if k == v {
			return true
		}
	}
	return false
}

// Security reports whether k tells of something that may be an attack on the user's login: its
// email cannot be turned off.
func (k NotificationKind) Security() bool {
	return k == NotificationPasswordChanged || k == NotificationLoginLocked || k == NotificationNewDevice
}

// EmailOptional reports whether the user may turn k's email off: every kind but the security ones
// and the staff invitation, whose email is how a staff member gets in at all. The inbox entry is
// written whatever the setting.
func (k NotificationKind) EmailOptional() bool {
	return k.Valid() && !k.Security() && k != NotificationStaffInvitation
}

// Email is the kind of the email that carries a notification of kind k.
func (k NotificationKind) Email() EmailKind { return EmailKind(k) }

// EmailKind names what an email in the outbox tells, and so the template it is rendered from when it
// is sent: a notification's kind (NotificationKind.Email), or one of the emails below that carry no
// notification.
type EmailKind string

const (
	// EmailText is an email written out in its subject and body, sent as it is.
	EmailText EmailKind = "text"
	// EmailTaken tells the owner of an address that someone tried to register with it.
	EmailTaken EmailKind = "email_taken"
)

// EmailKinds lists every email kind; the outbox's CHECK constraint lists the same.
var EmailKinds = func() []EmailKind {
	out := []EmailKind{EmailText, EmailTaken}
	for _, k := range NotificationKinds {
		out = append(out, k.Email())
	}
	return out
}()
