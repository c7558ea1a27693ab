package api_test

import (
	"context"
	"fmt"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/bankforge/bank/api"
	"github.com/bankforge/bank/domain"
	"github.com/bankforge/bank/inbox"
)

type notificationPage struct {
	Items []struct {
		ID     string                  `json:"id"`
		Kind   domain.NotificationKind `json:"kind"`
		Title  string                  `json:"title"`
		Body   string                  `json:"body"`
		At     time.Time               `json:"at"`
		ReadAt *time.Time              `json:"read_at"`
	} `json:"items"`
	NextCursor  *string `json:"next_cursor"`
	UnreadCount int64   `json:"unread_count"`
}

func (h *harness) notifications(token, query string) notificationPage {
	h.t.Helper()
	r := h.do("GET", "/v1/me/notifications"+query, token, "")
	if r.status != http.StatusOK {
		h.t.Fatalf("notifications%s: %d %s", query, r.status, r.body)
	}
	var p notificationPage
	r.json(h.t, &p)
	return p
}

// seedNotifications puts n notifications in u's inbox, a second apart, the newest last.
func (h *harness) seedNotifications(u user, n int) []string {
	h.t.Helper()
	base := time.Now().UTC().Add(-time.Hour).Truncate(time.Millisecond)
	var ids []string
	for i := range n {
		id := fmt.Sprintf("transfer/%s/%02d", u.ID, i)
		if err := h.inbox.Notify(context.Background(), inbox.Notification{ID: id, UserID: u.ID.String(),
			Kind: domain.NotificationTransferReceived, Title: "Money received", Body: fmt.Sprintf("#%d", i), At: base.Add(time.Duration(i) * time.Second)}); err != nil {
			h.t.Fatal(err)
		}
		ids = append(ids, inbox.PublicID(id))
	}
	return ids
}

// emails counts the outbox emails of user of kind.
func (h *harness) emails(u user, kind domain.NotificationKind) int {
	h.t.Helper()
	var n int
	if err := h.store.Pool().QueryRow(context.Background(), "SELECT count(*) FROM emails WHERE user_id = $1 AND kind = $2",
		u.ID, string(kind)).Scan(&n); err != nil {
		h.t.Fatal(err)
	}
	return n
}

// ofKind returns u's notifications of kind, from the inbox itself.
func (h *harness) ofKind(u user, kind domain.NotificationKind) []inbox.Notification {
	h.t.Helper()
	all, err := h.inbox.List(context.Background(), u.ID.String(), inbox.Query{Limit: 200})
	if err != nil {
		h.t.Fatal(err)
	}
	var out []inbox.Notification
	for _, n := range all {
		if n.Kind == kind {
			out = append(out, n)
		}
	}
	return out
}

// walk reads every page of size 2 of token's notifications and returns their ids in order, and
// calls between after the first page.
func (h *harness) walk(token, query string, wantUnread int64, between func()) []string {
	h.t.Helper()
	var got []string
	cursor := ""
	for pages := 0; ; pages++ {
		if pages > 10 {
			h.t.Fatal("the pages do not end")
		}
		q := "?limit=2" + query
		if cursor != "" {
			q += "&cursor=" + url.QueryEscape(cursor)
		}
		p := h.notifications(token, q)
		if pages == 0 && between != nil {
			between()
		} else if p.UnreadCount != wantUnread {
			h.t.Fatalf("page %d: unread_count %d; want %d", pages, p.UnreadCount, wantUnread)
		}
		for _, it := range p.Items {
			if strings.ContainsAny(it.ID, "/?#%+=") {
				h.t.Fatalf("id %q is not URL-safe", it.ID)
			}
			got = append(got, it.ID)
		}
		if p.NextCursor == nil {
			return got
		}
		cursor = *p.NextCursor
	}
}

// Pages walk the inbox newest first, each notification once, with a cursor that stays valid while
// notifications are marked read; unread_count counts all of them, on every page.
func TestNotifications_PagesNewestFirstWithUnreadCount(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	alice, bob := h.user(domain.RoleClient), h.user(domain.RoleClient)
	ids := h.seedNotifications(alice, 5)
	h.seedNotifications(bob, 2)
	newestFirst := strings.Join([]string{ids[4], ids[3], ids[2], ids[1], ids[0]}, ",")

	if got := h.walk(alice.token, "", 5, nil); strings.Join(got, ",") != newestFirst {
		t.Fatalf("pages %v; want newest first %v", got, newestFirst)
	}
	read := func(id string) time.Time {
		t.Helper()
		r := h.do("POST", "/v1/me/notifications/"+id+"/read", alice.token, "")
		var out struct {
			Notification struct {
				ID     string     `json:"id"`
				ReadAt *time.Time `json:"read_at"`
			} `json:"notification"`
			UnreadCount int64 `json:"unread_count"`
		}
		r.json(t, &out)
		if r.status != http.StatusOK || out.Notification.ID != id || out.Notification.ReadAt == nil {
			t.Fatalf("read %s: %d %s", id, r.status, r.body)
		}
		return *out.Notification.ReadAt
	}
	// Marking read between two pages moves nothing; marking again keeps the first time.
	got := h.walk(alice.token, "", 3, func() {
		first := read(ids[4])
		time.Sleep(5 * time.Millisecond)
		if again := read(ids[4]); !again.Equal(first) {
			t.Fatalf("read again at %v; first read at %v", again, first)
		}
		read(ids[0])
	})
	if strings.Join(got, ",") != newestFirst {
		t.Fatalf("pages while marking %v; want %v", got, newestFirst)
	}
	if got := h.walk(alice.token, "&unread=true", 3, nil); strings.Join(got, ",") != strings.Join([]string{ids[3], ids[2], ids[1]}, ",") {
		t.Fatalf("unread pages %v", got)
	}
	for _, it := range h.notifications(alice.token, "").Items {
		if isRead := it.ID == ids[4] || it.ID == ids[0]; isRead != (it.ReadAt != nil) {
			t.Fatalf("%s read_at %v", it.ID, it.ReadAt)
		}
	}

	r := h.do("POST", "/v1/me/notifications/read-all", alice.token, "")
	var all struct {
		Marked      int64 `json:"marked"`
		UnreadCount int64 `json:"unread_count"`
	}
	r.json(t, &all)
	if r.status != http.StatusOK || all.Marked != 3 || all.UnreadCount != 0 {
		t.Fatalf("read-all: %d %s", r.status, r.body)
	}
	if p := h.notifications(alice.token, "?unread=true"); len(p.Items) != 0 || p.UnreadCount != 0 {
		t.Fatalf("after read-all: %+v", p)
	}
	if r := h.do("POST", "/v1/me/notifications/read-all", alice.token, ""); !containsJSON(r.body, `"marked":0`) {
		t.Fatalf("read-all again: %d %s", r.status, r.body)
	}
	// Bob's are his own and still unread.
	if p := h.notifications(bob.token, ""); len(p.Items) != 2 || p.UnreadCount != 2 {
		t.Fatalf("bob's: %+v", p)
	}
}

// A user marks only their own: another's notification, an unknown one and a malformed id are 404
// alike, and the other user's stays unread.
func TestNotifications_AnotherUsersIsNotFound(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	alice, mallory := h.user(domain.RoleClient), h.user(domain.RoleClient)
	ids := h.seedNotifications(alice, 1)
	for _, id := range []string{ids[0], inbox.PublicID("transfer/nothing"), "not-base64!", "%2F..%2F", "YQ", strings.Repeat("A", 600)} {
		r := h.do("POST", "/v1/me/notifications/"+id+"/read", mallory.token, "")
		requireProblem(t, r, http.StatusNotFound, "")
	}
	if r := h.do("POST", "/v1/me/notifications/read-all", mallory.token, ""); r.status != http.StatusOK {
		t.Fatalf("mallory's read-all: %d %s", r.status, r.body)
	}
	if p := h.notifications(alice.token, ""); p.UnreadCount != 1 || p.Items[0].ReadAt != nil {
		t.Fatalf("alice's notification changed: %+v", p)
	}
}

func TestNotifications_BadQueriesAreRefused(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	alice := h.user(domain.RoleClient)
	for q, field := range map[string]string{
		"?limit=0": "limit", "?limit=101": "limit", "?limit=x": "limit", "?unread=yes": "unread",
		"?cursor=garbage": "cursor", "?cursor=" + strings.Repeat("A", 300): "cursor",
	} {
		requireProblem(t, h.do("GET", "/v1/me/notifications"+q, alice.token, ""), http.StatusUnprocessableEntity, field)
	}
}

type settingsBody struct {
	Items []struct {
		Kind          domain.NotificationKind `json:"kind"`
		Email         bool                    `json:"email"`
		EmailOptional bool                    `json:"email_optional"`
	} `json:"items"`
}

func (s settingsBody) email(k domain.NotificationKind) (on, optional, listed bool) {
	for _, it := range s.Items {
		if it.Kind == k {
			return it.Email, it.EmailOptional, true
		}
	}
	return false, false, false
}

// Every kind is listed, emailed until turned off; a security kind cannot be turned off, and a
// request that tries changes nothing at all.
func TestNotificationSettings_SecurityKindsStayOn(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	alice := h.user(domain.RoleClient)
	get := func() settingsBody {
		t.Helper()
		r := h.do("GET", "/v1/me/notification-settings", alice.token, "")
		if r.status != http.StatusOK {
			t.Fatalf("get settings: %d %s", r.status, r.body)
		}
		var s settingsBody
		r.json(t, &s)
		return s
	}
	s := get()
	if len(s.Items) != len(domain.NotificationKinds) {
		t.Fatalf("%d settings; want one per kind (%d)", len(s.Items), len(domain.NotificationKinds))
	}
	for _, k := range domain.NotificationKinds {
		on, optional, listed := s.email(k)
		if !listed || !on || optional != !(k.Security() || k == domain.NotificationStaffInvitation) {
			t.Errorf("%s: email %v optional %v listed %v", k, on, optional, listed)
		}
	}

	r := h.do("PATCH", "/v1/me/notification-settings", alice.token, `{"email":{"transfer_received":false,"deposit":false}}`)
	if r.status != http.StatusOK {
		t.Fatalf("patch: %d %s", r.status, r.body)
	}
	r.json(t, &s)
	if on, _, _ := s.email(domain.NotificationTransferReceived); on {
		t.Fatal("transfer_received still emailed")
	}
	if on, _, _ := s.email(domain.NotificationTransferSent); !on {
		t.Fatal("transfer_sent turned off without being named")
	}

	for _, k := range []string{"password_changed", "login_locked", "new_device", "staff_invitation"} {
		r := h.do("PATCH", "/v1/me/notification-settings", alice.token, `{"email":{"deposit":true,"`+k+`":false}}`)
		requireProblem(t, r, http.StatusUnprocessableEntity, "email."+k)
		if !containsJSON(r.body, `"code":"notification_email_required"`) {
			t.Fatalf("%s: %s", k, r.body)
		}
	}
	if on, _, _ := get().email(domain.NotificationDeposit); on {
		t.Fatal("a refused request turned deposit back on")
	}
	if r := h.do("PATCH", "/v1/me/notification-settings", alice.token, `{"email":{"new_device":true,"deposit":true}}`); r.status != http.StatusOK {
		t.Fatalf("turning a security kind on: %d %s", r.status, r.body)
	}
	if on, _, _ := get().email(domain.NotificationDeposit); !on {
		t.Fatal("deposit not back on")
	}

	// Bad input: 4xx, naming the field, and no change.
	before := get()
	for body, field := range map[string]string{
		`{"email":{"postcard":false}}`:                           "email.postcard",
		`{"email":{"deposit":false,"deposit":true}}`:             "email.deposit",
		`{"email":{"deposit":"no"}}`:                             "email.deposit",
		`{"email":{"deposit":null}}`:                             "email.deposit",
		`{"email":{"Deposit":false}}`:                            "email.Deposit",
		`{"email":[]}`:                                           "email",
		`{"email":{},"push":{}}`:                                 "push",
		`{"email":{"deposit":false},"Email":{"deposit":true}}`:   "Email",
		`{"email":{"transfer_sent":false,"login_locked":false}}`: "email.login_locked",
	} {
		r := h.do("PATCH", "/v1/me/notification-settings", alice.token, body)
		if r.status != http.StatusUnprocessableEntity && r.status != http.StatusBadRequest {
			t.Errorf("%s: %d %s", body, r.status, r.body)
			continue
		}
		requireProblem(t, r, r.status, field)
	}
	requireProblem(t, h.do("PATCH", "/v1/me/notification-settings", alice.token, `{"email":{}} x`), http.StatusBadRequest, "")
	requireProblem(t, h.do("PATCH", "/v1/me/notification-settings", alice.token, `{"email":{"deposit":false}}`, "Content-Type", "text/plain"),
		http.StatusUnsupportedMediaType, "")
	if after := get(); fmt.Sprint(after) != fmt.Sprint(before) {
		t.Fatalf("bad input changed the settings: %v -> %v", before, after)
	}
	if r := h.do("PATCH", "/v1/me/notification-settings", "", `{"email":{}}`); r.status != http.StatusUnauthorized {
		t.Fatalf("signed out: %d", r.status)
	}
}

// A password change is told once, in the inbox and by email; the notification carries no secret.
func TestSecurityNotifications_PasswordChanged(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	alice := h.user(domain.RoleClient)
	body := `{"current_password":"` + alice.password + `","new_password":"another-Horse-battery-9"}`
	if r := h.do("POST", "/v1/me/password", alice.token, body); r.status != http.StatusNoContent {
		t.Fatalf("change password: %d %s", r.status, r.body)
	}
	// Sent again, it is refused (the current password changed): nothing more is told.
	h.do("POST", "/v1/me/password", alice.token, body)
	notes := h.ofKind(alice, domain.NotificationPasswordChanged)
	if len(notes) != 1 || h.emails(alice, domain.NotificationPasswordChanged) != 1 {
		t.Fatalf("%d notifications, %d emails; want one each", len(notes), h.emails(alice, domain.NotificationPasswordChanged))
	}
	if strings.Contains(notes[0].Body, "Horse") || strings.Contains(notes[0].Body, "$argon2") {
		t.Fatalf("the notification carries a secret: %q", notes[0].Body)
	}
}

// Reaching the lock threshold is told once per lock, however many failures follow.
func TestSecurityNotifications_LoginLocked(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	alice := h.user(domain.RoleClient)
	for range 8 {
		r := h.do("POST", "/v1/auth/login", "", `{"email":"`+alice.Email+`","password":"wrong-password-1"}`)
		if r.status != http.StatusUnauthorized {
			t.Fatalf("wrong password: %d", r.status)
		}
	}
	if n, e := len(h.ofKind(alice, domain.NotificationLoginLocked)), h.emails(alice, domain.NotificationLoginLocked); n != 1 || e != 1 {
		t.Fatalf("%d notifications, %d emails; want one each", n, e)
	}
}

// A login from a device or network the user has not logged in from is told once; the first login
// of a user is not, nor another address in the same /24, nor the same device again.
func TestSecurityNotifications_NewDevice(t *testing.T) {
	t.Parallel()
	h := newHarness(t, func(c *api.Config) { c.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")} })
	alice := h.user(domain.RoleClient) // the first login: Go's User-Agent, from 127.0.0.1
	login := func(agent, from string) {
		t.Helper()
		r := h.do("POST", "/v1/auth/login", "", `{"email":"`+alice.Email+`","password":"`+alice.password+`"}`,
			"User-Agent", agent, "X-Forwarded-For", from)
		if r.status != http.StatusOK {
			t.Fatalf("login: %d %s", r.status, r.body)
		}
	}
	count := func() int {
		t.Helper()
		n, e := len(h.ofKind(alice, domain.NotificationNewDevice)), h.emails(alice, domain.NotificationNewDevice)
		if n != e {
			t.Fatalf("%d notifications, %d emails", n, e)
		}
		return n
	}
	if n := count(); n != 0 {
		t.Fatalf("the first login told %d new devices", n)
	}
	login("Phone/1.0", "198.51.100.7")
	if n := count(); n != 1 {
		t.Fatalf("a new device: %d notifications; want 1", n)
	}
	login("Phone/1.0", "198.51.100.200") // the same /24
	login("Phone/1.0", "198.51.100.7")
	if n := count(); n != 1 {
		t.Fatalf("the same device again: %d notifications; want 1", n)
	}
	login("Phone/1.0", "2001:db8:1:2::1")
	login("Phone/1.0", "2001:db8:1:2::ffff") // the same /64
	if n := count(); n != 2 {
		t.Fatalf("a new network: %d notifications; want 2", n)
	}
	n := h.ofKind(alice, domain.NotificationNewDevice)[0]
	if !strings.Contains(n.Body, "Phone/1.0") || !strings.Contains(n.Body, "2001:db8:1:2::/64") {
		t.Fatalf("the newest notification: %q", n.Body)
	}
}

// A staff invitation is in the new member's inbox without its link; the email, under the same id,
// carries it.
func TestSecurityNotifications_StaffInvitationHasNoLinkInTheInbox(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	admin := h.user(domain.RoleAdmin)
	r := h.do("POST", "/v1/admin/users", admin.token, `{"email":"new.staff@example.com","full_name":"New Staff","role":"support"}`)
	if r.status != http.StatusCreated {
		t.Fatalf("create staff: %d %s", r.status, r.body)
	}
	var staff struct{ ID string }
	r.json(t, &staff)
	notes, err := h.inbox.List(context.Background(), staff.ID, inbox.Query{Limit: 10})
	if err != nil || len(notes) != 1 || notes[0].Kind != domain.NotificationStaffInvitation {
		t.Fatalf("the invitation's notification: %+v %v", notes, err)
	}
	if strings.Contains(notes[0].Body, "token") || strings.Contains(notes[0].Body, "http") {
		t.Fatalf("the inbox carries the link: %q", notes[0].Body)
	}
	var data string
	if err := h.store.Pool().QueryRow(context.Background(), "SELECT data::text FROM emails WHERE id = $1", notes[0].ID).Scan(&data); err != nil {
		t.Fatalf("the invitation's email under the notification's id: %v", err)
	}
	if !strings.Contains(data, "token=") {
		t.Fatalf("the email lacks its link: %s", data)
	}
}
