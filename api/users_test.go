package api_test

import (
	"context"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/bankforge/bank/api"
	"github.com/bankforge/bank/audit"
	"github.com/bankforge/bank/domain"
	"github.com/bankforge/bank/inbox"
)

// A role change takes effect on the user's next request, with the token they already hold, and is
// audited with its actor, the before and after, and the request id. Nobody changes their own role.
func TestUsers_RoleChangeTakesEffectOnTheNextRequest(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	admin, ana := h.user(domain.RoleAdmin), h.user(domain.RoleClient)
	requireProblem(t, h.do("GET", "/v1/admin/users", ana.token, ""), http.StatusForbidden, "")
	r := h.do("POST", "/v1/admin/users/"+ana.ID.String()+"/role", admin.token, `{"role":"support"}`, "X-Request-Id", "promote-ana")
	if r.status != http.StatusOK || !containsJSON(r.body, `"role":"support"`) {
		t.Fatalf("promote: %d %s", r.status, r.body)
	}
	if r := h.do("GET", "/v1/admin/users", ana.token, ""); r.status != http.StatusOK {
		t.Fatalf("support's read with the old token: %d", r.status)
	}
	if r := h.do("POST", "/v1/admin/users/"+ana.ID.String()+"/role", admin.token, `{"role":"client"}`); r.status != http.StatusOK {
		t.Fatalf("demote: %d %s", r.status, r.body)
	}
	requireProblem(t, h.do("GET", "/v1/admin/users", ana.token, ""), http.StatusForbidden, "")
	requireProblem(t, h.do("POST", "/v1/admin/users/"+admin.ID.String()+"/role", admin.token, `{"role":"client"}`), http.StatusForbidden, "")
	requireProblem(t, h.do("POST", "/v1/admin/users/"+ana.ID.String()+"/role", admin.token, `{"role":"root"}`), http.StatusUnprocessableEntity, "role")

	events := h.audit.ofType(audit.EventRoleChanged)
	if len(events) != 2 {
		t.Fatalf("%d role_changed events; want 2", len(events))
	}
	e := events[0]
	before, _ := e.Details["before"].(map[string]any)
	after, _ := e.Details["after"].(map[string]any)
	if e.ActorID != admin.ID.String() || e.UserID != ana.ID.String() || before["role"] != "client" || after["role"] != "support" || e.RequestID != "promote-ana" {
		t.Fatalf("event %+v", e)
	}
}

// Disabling a user ends their sessions at once; enabling lets them log in again. Nobody disables
// themselves.
func TestUsers_DisableEndsSessionsAtOnce(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	admin, ana := h.user(domain.RoleAdmin), h.user(domain.RoleClient)
	if r := h.do("POST", "/v1/admin/users/"+ana.ID.String()+"/disable", admin.token, `{"note":"chargeback ring"}`); r.status != http.StatusOK {
		t.Fatalf("disable: %d %s", r.status, r.body)
	}
	requireProblem(t, h.do("GET", "/v1/me", ana.token, ""), http.StatusUnauthorized, "")
	requireProblem(t, h.do("POST", "/v1/auth/refresh", "", `{"refresh_token":"`+ana.refresh+`"}`), http.StatusUnauthorized, "")
	requireProblem(t, h.do("POST", "/v1/auth/login", "", `{"email":"`+ana.Email+`","password":"`+ana.password+`"}`), http.StatusUnauthorized, "")
	if r := h.do("POST", "/v1/admin/users/"+ana.ID.String()+"/enable", admin.token, ""); r.status != http.StatusOK {
		t.Fatalf("enable: %d %s", r.status, r.body)
	}
	h.login(ana.Email, ana.password)
	requireProblem(t, h.do("POST", "/v1/admin/users/"+admin.ID.String()+"/disable", admin.token, ""), http.StatusForbidden, "")
	if e := h.audit.ofType(audit.EventUserDisabled); len(e) != 1 || e[0].Details["note"] != "chargeback ring" {
		t.Fatalf("disabled events %+v", e)
	}
}

// Support unlocks a locked login; the customer can log in at once.
func TestUsers_SupportUnlocksALogin(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	support, ana := h.user(domain.RoleSupport), h.user(domain.RoleClient)
	for range 6 {
		h.do("POST", "/v1/auth/login", "", `{"email":"`+ana.Email+`","password":"wrong-password-guess"}`)
	}
	requireProblem(t, h.do("POST", "/v1/auth/login", "", `{"email":"`+ana.Email+`","password":"`+ana.password+`"}`), http.StatusUnauthorized, "")
	r := h.do("POST", "/v1/admin/users/"+ana.ID.String()+"/unlock", support.token, "")
	if r.status != http.StatusOK || !containsJSON(r.body, `"failed_logins":0`) {
		t.Fatalf("unlock: %d %s", r.status, r.body)
	}
	h.login(ana.Email, ana.password)
	// Support may not change roles or disable.
	requireProblem(t, h.do("POST", "/v1/admin/users/"+ana.ID.String()+"/disable", support.token, ""), http.StatusForbidden, "")
}

var invitationLink = regexp.MustCompile(`/set-password#token=([A-Za-z0-9_-]+)`)

// A new staff member cannot log in until they set their own password through the emailed one-time
// link; the link works once.
func TestStaff_CreatedStaffSetTheirOwnPassword(t *testing.T) {
	t.Parallel()
	h := newHarness(t, func(c *api.Config) { c.AppURL = "https://bank.example" })
	admin := h.user(domain.RoleAdmin)
	r := h.do("POST", "/v1/admin/users", admin.token, `{"email":"Lucia.Staff@Bank.test","full_name":"Lucía Gómez","role":"support"}`)
	if r.status != http.StatusCreated || !containsJSON(r.body, `"status":"pending"`) {
		t.Fatalf("create: %d %s", r.status, r.body)
	}
	var u struct{ ID string }
	r.json(t, &u)
	requireProblem(t, h.do("POST", "/v1/admin/users", admin.token, `{"email":"lucia.staff@bank.test","full_name":"Lucía Gómez","role":"admin"}`), http.StatusConflict, "")
	requireProblem(t, h.do("POST", "/v1/admin/users", admin.token, `{"email":"x@bank.test","full_name":"X Y","role":"client"}`), http.StatusUnprocessableEntity, "role")

	var body, kind string
	if err := h.store.Pool().QueryRow(context.Background(), "SELECT data->>'link', kind FROM emails WHERE user_id = $1", u.ID).Scan(&body, &kind); err != nil || kind != string(domain.NotificationStaffInvitation.Email()) {
		t.Fatalf("the invitation email: %s, %v", kind, err)
	}
	m := invitationLink.FindStringSubmatch(body)
	if m == nil || !regexp.MustCompile(`https://bank\.example/set-password#token=`).MatchString(body) {
		t.Fatalf("no link in %q", body)
	}
	token := m[1]
	requireProblem(t, h.do("POST", "/v1/auth/login", "", `{"email":"lucia.staff@bank.test","password":"x"}`), http.StatusUnauthorized, "")
	requireProblem(t, h.do("POST", "/v1/auth/password-setup", "", `{"token":"`+token+`","password":"short"}`), http.StatusUnprocessableEntity, "password")
	if r := h.do("POST", "/v1/auth/password-setup", "", `{"token":"`+token+`","password":"teal-Harbour-lights-42"}`); r.status != http.StatusNoContent {
		t.Fatalf("set password: %d %s", r.status, r.body)
	}
	tok, _ := h.login("lucia.staff@bank.test", "teal-Harbour-lights-42")
	if r := h.do("GET", "/v1/admin/users", tok, ""); r.status != http.StatusOK {
		t.Fatalf("the new support member's read: %d", r.status)
	}
	requireProblem(t, h.do("POST", "/v1/auth/password-setup", "", `{"token":"`+token+`","password":"another-Harbour-9"}`), http.StatusUnprocessableEntity, "token")
	if len(h.audit.ofType(audit.EventStaffCreated)) != 1 || len(h.audit.ofType(audit.EventPasswordSet)) != 1 {
		t.Fatal("the creation and the password setting are not both audited")
	}
}

// Support queues a registered customer's welcome email again, once per Idempotency-Key.
func TestUsers_SupportResendsTheWelcomeEmail(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	support, ana := h.user(domain.RoleSupport), h.user(domain.RoleClient)
	ctx := context.Background()
	// Ana registered: her registration left its welcome email in the outbox.
	if _, err := h.store.Pool().Exec(ctx, "UPDATE users SET registration_id = 'reg-ana' WHERE id = $1", ana.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := h.store.Pool().Exec(ctx, `INSERT INTO emails (id, user_id, kind, data, sent_at)
		VALUES ($1, $2, 'welcome', '{"currency":"USD","account":"400000000017"}', now())`, inbox.WelcomeID("reg-ana"), ana.ID); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if r := h.do("POST", "/v1/admin/users/"+ana.ID.String()+"/welcome-email", support.token, "", "Idempotency-Key", "resend-welcome-1"); r.status != http.StatusAccepted {
			t.Fatalf("resend: %d %s", r.status, r.body)
		}
	}
	var unsent int
	if err := h.store.Pool().QueryRow(ctx, `SELECT count(*) FROM emails WHERE user_id = $1 AND sent_at IS NULL
		AND kind = 'welcome' AND data->>'account' = '400000000017'`, ana.ID).Scan(&unsent); err != nil {
		t.Fatal(err)
	}
	if unsent != 1 {
		t.Fatalf("%d welcome emails queued; want 1 for one key, with the first one's kind and facts", unsent)
	}
	requireProblem(t, h.do("POST", "/v1/admin/users/"+support.ID.String()+"/welcome-email", support.token, ""), http.StatusNotFound, "")
}

// A customer's own doings that staff may need to trace are audited: a profile change by the fields
// it changed (never their values), an account opened (once, however often its request is retried),
// a transfer requested with its request id, and the failed login that locks the login.
func TestAudit_CustomersDoingsAreTraced(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	ana, ben := h.user(domain.RoleClient), h.user(domain.RoleClient)
	if r := h.do("PATCH", "/v1/me", ana.token, `{"full_name":"Ana María López","phone":"+573001234567"}`); r.status != http.StatusOK {
		t.Fatalf("profile: %d %s", r.status, r.body)
	}
	h.do("PATCH", "/v1/me", ana.token, `{"full_name":"Ana María López"}`) // no change: no event
	changes := h.audit.ofType(audit.EventProfileChanged)
	if len(changes) != 1 || fmt.Sprint(changes[0].Details["fields"]) != "[full_name phone]" || strings.Contains(fmt.Sprint(changes[0]), "López") {
		t.Fatalf("profile events %+v; want one naming full_name and phone, without their values", changes)
	}
	for range 2 {
		if r := h.do("POST", "/v1/accounts", ana.token, `{"currency":"EUR"}`, "Idempotency-Key", "open-eur-traced"); r.status != http.StatusCreated {
			t.Fatalf("open: %d %s", r.status, r.body)
		}
	}
	if opened := h.audit.ofType(audit.EventAccountOpened); len(opened) != 2 || opened[0].ID != opened[1].ID {
		t.Fatalf("opened events %+v; want the same event id for a retried request", opened)
	}
	src, dst := h.account(ana, "USD", 1_000), h.account(ben, "USD", 0)
	r := h.do("POST", "/v1/transfers", ana.token, `{"from_account_id":"`+src.ID.String()+`","to_account_number":"`+dst.Number+`","amount":100,"currency":"USD"}`,
		"Idempotency-Key", "traced-transfer-1", "X-Request-Id", "req-traced-1")
	if r.status != http.StatusAccepted {
		t.Fatalf("transfer: %d %s", r.status, r.body)
	}
	if req := h.audit.ofType(audit.EventTransferRequested); len(req) != 1 || req[0].RequestID != "req-traced-1" || req[0].TransferID == "" || len(req[0].AccountIDs) != 2 {
		t.Fatalf("requested events %+v", req)
	}
	for range 7 {
		h.do("POST", "/v1/auth/login", "", `{"email":"`+ben.Email+`","password":"wrong-password-guess"}`)
	}
	if locked := h.audit.ofType(audit.EventLoginLocked); len(locked) != 1 || locked[0].UserID != ben.ID.String() {
		t.Fatalf("lock events %+v; want one, when the threshold was reached", locked)
	}
}
