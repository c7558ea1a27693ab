package api

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/netip"
	"strings"
	"time"
	"unicode"

	"github.com/google/uuid"

	"github.com/bankforge/bank/db"
	"github.com/bankforge/bank/domain"
	"github.com/bankforge/bank/inbox"
	"github.com/bankforge/bank/mailtext"
)

// inboxUnavailable is the answer while the notification store cannot be reached.
func inboxUnavailable(err error) error {
	return &apiError{code: domain.CodeUnavailable, detail: "Notifications are not available right now.", cause: err}
}

// listNotifications returns the caller's notifications, newest first, one page at a time, with how
// many of all of them are unread.
func (s *server) listNotifications(w http.ResponseWriter, r *http.Request) error {
	var v validator
	query := r.URL.Query()
	limit := pageSize(&v, query.Get("limit"))
	q := inbox.Query{Limit: int64(limit) + 1}
	switch query.Get("unread") {
	case "", "false":
	case "true":
		q.Unread = true
	default:
		v.add("unread", "must be true or false")
	}
	if c := query.Get("cursor"); c != "" {
		at, id, ok := decodeCursor(c)
		if !ok {
			v.add("cursor", "is not a cursor this API returned")
		} else {
			q.AfterAt, q.AfterID = &at, id
		}
	}
	if err := v.err(); err != nil {
		return err
	}
	ctx := r.Context()
	userID := caller(ctx).UserID.String()
	rows, err := s.inbox.List(ctx, userID, q)
	if err != nil {
		return inboxUnavailable(err)
	}
	unread, err := s.inbox.UnreadCount(ctx, userID)
	if err != nil {
		return inboxUnavailable(err)
	}
	items := make([]inbox.View, 0, len(rows))
	var next *string
	for i, n := range rows {
		if i == int(limit) {
			last := rows[i-1]
			next = ptr(encodeCursor(last.At, last.ID))
			break
		}
		items = append(items, n.View())
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": items, "next_cursor": next, "unread_count": unread})
	return nil
}

// readNotification marks one of the caller's notifications read. Another user's, or one that does
// not exist, is 404 alike; one already read keeps the time it was first read.
func (s *server) readNotification(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	notFound := newError(domain.CodeNotFound, "No such notification.")
	id, ok := inbox.ParsePublicID(r.PathValue("id"))
	if !ok {
		return notFound
	}
	userID := caller(ctx).UserID.String()
	n, err := s.inbox.MarkRead(ctx, userID, id, s.now())
	if errors.Is(err, inbox.ErrNotFound) {
		return notFound
	} else if err != nil {
		return inboxUnavailable(err)
	}
	unread, err := s.inbox.UnreadCount(ctx, userID)
	if err != nil {
		return inboxUnavailable(err)
	}
	writeJSON(w, http.StatusOK, map[string]any{"notification": n.View(), "unread_count": unread})
	return nil
}

// readAllNotifications marks every notification of the caller read.
func (s *server) readAllNotifications(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	userID := caller(ctx).UserID.String()
	marked, err := s.inbox.MarkAllRead(ctx, userID, s.now())
	if err != nil {
		return inboxUnavailable(err)
	}
	unread, err := s.inbox.UnreadCount(ctx, userID)
	if err != nil {
		return inboxUnavailable(err)
	}
	writeJSON(w, http.StatusOK, map[string]any{"marked": marked, "unread_count": unread})
	return nil
}

// notificationSetting is whether one kind of notification is emailed to the caller, and whether
// they may turn that email off.
type notificationSetting struct {
	Kind          domain.NotificationKind `json:"kind"`
	Email         bool                    `json:"email"`
	EmailOptional bool                    `json:"email_optional"`
}

func (s *server) notificationSettings(ctx context.Context, userID uuid.UUID) ([]notificationSetting, error) {
	rows, err := s.store.ListNotificationSettings(ctx, userID)
	if err != nil {
		return nil, internalError(fmt.Errorf("list notification settings: %w", err))
	}
	off := map[domain.NotificationKind]bool{}
	for _, row := range rows {
		off[row.Kind] = !row.Email
	}
	out := make([]notificationSetting, 0, len(domain.NotificationKinds))
	for _, k := range domain.NotificationKinds {
		out = append(out, notificationSetting{Kind: k, Email: !off[k], EmailOptional: k.EmailOptional()})
	}
	return out, nil
}

func (s *server) getNotificationSettings(w http.ResponseWriter, r *http.Request) error {
	settings, err := s.notificationSettings(r.Context(), caller(r.Context()).UserID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": settings})
	return nil
}

// updateNotificationSettingsRequest names, per notification kind, whether to email it.
type updateNotificationSettingsRequest struct {
	Email emailChoices `json:"email"`
}

// emailChoices is an object from notification kind to true or false, read strictly: every key a
// kind, spelled exactly, once, and every value a boolean.
type emailChoices struct {
	kinds  []domain.NotificationKind
	emails []bool
}

func (c *emailChoices) UnmarshalJSON(b []byte) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return &FieldError{Field: "email", Message: "must be an object from notification kind to true or false"}
	}
	seen := map[domain.NotificationKind]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return &FieldError{Field: "email", Message: "is not valid JSON"}
		}
		key, _ := tok.(string)
		kind := domain.NotificationKind(key)
		switch {
		case !kind.Valid():
			return &FieldError{Field: "email." + truncate(key, 64), Message: "is not a notification kind"}
		case seen[kind]:
			return &FieldError{Field: "email." + key, Message: "appears more than once"}
		}
		seen[kind] = true
		var on *bool
		if err := dec.Decode(&on); err != nil || on == nil {
			return &FieldError{Field: "email." + key, Message: "must be true or false"}
		}
		c.kinds, c.emails = append(c.kinds, kind), append(c.emails, *on)
	}
	if _, err := dec.Token(); err != nil {
		return &FieldError{Field: "email", Message: "is not valid JSON"}
	}
	return nil
}

// updateNotificationSettings sets, per kind, whether the caller's notifications of that kind are
// emailed. The security kinds and the staff invitation are always emailed: turning one off is
// refused, and nothing changes. Every notification is in the inbox whatever its setting.
func (s *server) updateNotificationSettings(w http.ResponseWriter, r *http.Request) error {
	var req updateNotificationSettingsRequest
	if err := readJSON(w, r, &req); err != nil {
		return err
	}
	var kinds []string
	var emails []bool
	var required []FieldError
	for i, k := range req.Email.kinds {
		on := req.Email.emails[i]
		if !k.EmailOptional() {
			if !on {
				required = append(required, FieldError{Field: "email." + string(k), Message: "cannot be turned off: this notification is always emailed"})
			}
			continue
		}
		kinds, emails = append(kinds, string(k)), append(emails, on)
	}
	if len(required) > 0 {
		return &apiError{code: domain.CodeEmailRequired, detail: "Security notifications and staff invitations are always emailed; leave them on.", fields: required}
	}
	ctx := r.Context()
	userID := caller(ctx).UserID
	if len(kinds) > 0 {
		if err := s.store.SetNotificationSettings(ctx, db.SetNotificationSettingsParams{UserID: userID, Kinds: kinds, Emails: emails}); err != nil {
			return internalError(fmt.Errorf("set notification settings: %w", err))
		}
	}
	settings, err := s.notificationSettings(ctx, userID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": settings})
	return nil
}

// The notifications the API itself writes, of events it handles: a password changed, a login
// locked, a login from a new device, a staff member invited. Each id is derived from its event, so
// the same event written again is one notification and one email.

// notifyEmail writes the email of n to the outbox and appends its live event with q, in the
// transaction that records n's event, so they commit together; notifyInbox then writes n to the
// inbox.
func notifyEmail(ctx context.Context, q *db.Queries, n inbox.Notification) error {
	e, err := n.OutboxEmail()
	if err != nil {
		return err
	}
	ev, err := n.Event()
	if err != nil {
		return err
	}
	if err := q.WriteEmails(ctx, e); err != nil {
		return fmt.Errorf("write email: %w", err)
	}
	if err := q.AppendUserEvents(ctx, []db.Event{ev}); err != nil {
		return fmt.Errorf("append event: %w", err)
	}
	return nil
}

// notifyInbox writes n to the inbox. The event it tells has committed: the inbox being down must
// not fail the request, so a failure is logged instead (the email, written with the event, still
// goes out).
func (s *server) notifyInbox(ctx context.Context, n inbox.Notification) {
	if err := s.inbox.Notify(context.WithoutCancel(ctx), n); err != nil {
		s.logger.ErrorContext(ctx, "notification not written to the inbox", "kind", n.Kind, "notification_id", n.ID, "error", err)
	}
}

// notify writes n's email to the outbox, then n to the inbox, for an event that has committed.
func (s *server) notify(ctx context.Context, n inbox.Notification) {
	ctx = context.WithoutCancel(ctx)
	if err := s.store.InTx(ctx, func(q *db.Queries) error { return notifyEmail(ctx, q, n) }); err != nil {
		s.logger.ErrorContext(ctx, "notification email not written", "kind", n.Kind, "notification_id", n.ID, "error", err)
	}
	s.notifyInbox(ctx, n)
}

// passwordChangedNotification tells a user their password changed. Its id is derived from the new
// password's hash, unique to this change.
func passwordChangedNotification(userID uuid.UUID, newHash string, at time.Time) inbox.Notification {
	sum := sha256.Sum256([]byte(newHash))
	return inbox.Notification{
		ID: "password-changed/" + userID.String() + "/" + hex.EncodeToString(sum[:12]), UserID: userID.String(),
		Kind: domain.NotificationPasswordChanged, At: at.UTC(),
		Title: "Password changed",
		Body:  "Your password was changed and your other sessions were ended. If it was not you, contact the bank at once.",
		Facts: mailtext.Facts{At: ptr(at.UTC())},
	}
}

// loginLockedNotification tells a user their login locked after repeated failures at at, the
// moment of the attempt that locked it.
func loginLockedNotification(userID uuid.UUID, at time.Time) inbox.Notification {
	return inbox.Notification{
		ID: "login-locked/" + userID.String() + "/" + at.UTC().Format("20060102T150405.000000000Z"), UserID: userID.String(),
		Kind: domain.NotificationLoginLocked, At: at.UTC(),
		Title: "Logging in is paused",
		Body:  "After repeated wrong passwords, logging in to your account is paused for a while. If it was not you, someone may be guessing your password: contact the bank.",
		Facts: mailtext.Facts{At: ptr(at.UTC())},
	}
}

// device is what a login came from: its User-Agent and network, and their hash, by which the
// devices a user knows are remembered.
type device struct {
	hash    [32]byte
	agent   string
	network string
}

// loginDevice is the device of a login request: its User-Agent and the client's network, the /24
// of an IPv4 address or the /64 of an IPv6 one (the address as resolved through TRUSTED_PROXIES),
// so that a new address from the same provider's block is the same device.
func loginDevice(r *http.Request) device {
	network := clientIP(r)
	if a, err := netip.ParseAddr(network); err == nil {
		a = a.Unmap()
		bits := 64
		if a.Is4() {
			bits = 24
		}
		if p, err := a.Prefix(bits); err == nil {
			network = p.String()
		}
	}
	agent := truncate(r.UserAgent(), 512)
	return device{hash: sha256.Sum256([]byte(agent + "\n" + network)), agent: agent, network: network}
}

// label is the device's User-Agent as a notification shows it: printable, one line, short.
func (d device) label() string {
	clean := strings.Map(func(r rune) rune {
		if !unicode.IsPrint(r) {
			return ' '
		}
		return r
	}, d.agent)
	clean = strings.Join(strings.Fields(clean), " ")
	if clean == "" {
		return "unknown"
	}
	if len([]rune(clean)) > 120 {
		clean = string([]rune(clean)[:120]) + "…"
	}
	return clean
}

// newDeviceNotification tells a user of a login from a device they had not logged in from.
func newDeviceNotification(userID uuid.UUID, d device, at time.Time) inbox.Notification {
	return inbox.Notification{
		ID: "new-device/" + userID.String() + "/" + hex.EncodeToString(d.hash[:16]), UserID: userID.String(),
		Kind: domain.NotificationNewDevice, At: at.UTC(),
		Title: "Login from a new device",
		Body: fmt.Sprintf("Someone logged in to your account from a device or network you had not used before (%s, network %s). If it was not you, change your password at once.",
			d.label(), d.network),
		Facts: mailtext.Facts{At: ptr(at.UTC()), Device: d.label(), Network: d.network},
	}
}

// rememberDevice records the device of a successful login and, when the user had logged in before
// but never from it, tells them: the device and the email commit together, so a retried login
// finds the device known and tells nothing again. A user's first login tells nothing.
func (s *server) rememberDevice(ctx context.Context, userID uuid.UUID, r *http.Request, at time.Time) error {
	d := loginDevice(r)
	var note *inbox.Notification
	err := s.store.InTx(ctx, func(q *db.Queries) error {
		seen, err := q.RememberDevice(ctx, db.RememberDeviceParams{UserID: userID, Device: d.hash[:]})
		if err != nil {
			return fmt.Errorf("remember device: %w", err)
		}
		if !seen.IsNew || !seen.HadOthers {
			return nil
		}
		n := newDeviceNotification(userID, d, at)
		note = &n
		return notifyEmail(ctx, q, n)
	})
	if err != nil {
		return err
	}
	if note != nil {
		s.notifyInbox(ctx, *note)
	}
	return nil
}
