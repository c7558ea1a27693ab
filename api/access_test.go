package api_test

import (
	"fmt"
	"net/http"
	"slices"
	"testing"

	"github.com/bankforge/bank/api"
	"github.com/bankforge/bank/domain"
	"github.com/bankforge/bank/inbox"
)

// accessSpec is who may call each route, written by hand as the specification: the router and
// the OpenAPI document's x-roles are both checked against it, and the role matrix calls every route
// as every role. A route missing here fails the build.
var accessSpec = map[string][]string{
	// Public: health, the contract, registration and its operation, and the login routes.
	"GET /healthz":                 {"anonymous", "client", "support", "admin"},
	"GET /readyz":                  {"anonymous", "client", "support", "admin"},
	"GET /openapi.yaml":            {"anonymous", "client", "support", "admin"},
	"GET /v1/operations/{id}":      {"anonymous", "client", "support", "admin"},
	"POST /v1/auth/register":       {"anonymous", "client", "support", "admin"},
	"POST /v1/auth/login":          {"anonymous", "client", "support", "admin"},
	"POST /v1/auth/refresh":        {"anonymous", "client", "support", "admin"},
	"POST /v1/auth/logout":         {"anonymous", "client", "support", "admin"},
	"POST /v1/auth/password-setup": {"anonymous", "client", "support", "admin"},

	// Anyone signed in, on their own data only.
	"POST /v1/auth/logout-all":           {"client", "support", "admin"},
	"GET /v1/me":                         {"client", "support", "admin"},
	"PATCH /v1/me":                       {"client", "support", "admin"},
	"POST /v1/me/password":               {"client", "support", "admin"},
	"GET /v1/me/notifications":           {"client", "support", "admin"},
	"GET /v1/accounts":                   {"client", "support", "admin"},
	"POST /v1/accounts":                  {"client", "support", "admin"},
	"GET /v1/accounts/{id}":              {"client", "support", "admin"},
	"GET /v1/accounts/{id}/transactions": {"client", "support", "admin"},
	"GET /v1/transfers":                  {"client", "support", "admin"},
	"POST /v1/transfers":                 {"client", "support", "admin"},
	"GET /v1/transfers/{id}":             {"client", "support", "admin"},

	// Staff: support reads customers, accounts, transfers and the audit log; only admins move cash
	// or check the ledger.
	"GET /v1/admin/audit-events":               {"support", "admin"},
	"GET /v1/admin/users":                      {"support", "admin"},
	"GET /v1/admin/users/{id}":                 {"support", "admin"},
	"GET /v1/admin/accounts":                   {"support", "admin"},
	"GET /v1/admin/accounts/{id}":              {"support", "admin"},
	"GET /v1/admin/transfers":                  {"support", "admin"},
	"GET /v1/admin/transfers/{id}":             {"support", "admin"},
	"POST /v1/admin/users/{id}/unlock":         {"support", "admin"},
	"POST /v1/admin/users/{id}/welcome-email":  {"support", "admin"},
	"POST /v1/admin/users":                     {"admin"},
	"POST /v1/admin/users/{id}/role":           {"admin"},
	"POST /v1/admin/users/{id}/disable":        {"admin"},
	"POST /v1/admin/users/{id}/enable":         {"admin"},
	"POST /v1/admin/accounts/{id}/deposits":    {"admin"},
	"POST /v1/admin/accounts/{id}/withdrawals": {"admin"},
	"GET /v1/admin/ledger-check":               {"admin"},

	// A second admin decides the cash movements at or above the approval threshold.
	"GET /v1/admin/cash-approvals":               {"admin"},
	"POST /v1/admin/cash-approvals/{id}/approve": {"admin"},
	"POST /v1/admin/cash-approvals/{id}/reject":  {"admin"},

	// Admins freeze and unfreeze accounts; support reads their freeze history too.
	"POST /v1/admin/accounts/{id}/freeze":   {"admin"},
	"POST /v1/admin/accounts/{id}/unfreeze": {"admin"},
	"GET /v1/admin/accounts/{id}/freezes":   {"support", "admin"},
}

// The router's routes and the document's x-roles are exactly the specification's.
func TestAccessSpec_RouterAndDocumentAgreeWithIt(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	routes, err := api.Routes(h.handler)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range routes {
		if _, ok := accessSpec[r]; !ok {
			t.Errorf("route %s is not in the access specification", r)
		}
	}
	for r := range accessSpec {
		if !slices.Contains(routes, r) {
			t.Errorf("the access specification names %s, which the router lacks", r)
		}
	}
	for r, roles := range loadOpenAPI(t).operations() {
		if want := accessSpec[r]; !slices.Equal(roles, want) {
			t.Errorf("%s documents x-roles %v; the specification says %v", r, roles, want)
		}
	}
}

// Object-level access: a client reaching for another client's account, history, transfer or
// source account gets 404, exactly as for something that does not exist, and nothing changes.
func TestAccess_AnotherClientsObjectsAreNotFound(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	alice, mallory := h.user(domain.RoleClient), h.user(domain.RoleClient)
	aliceAcc := h.account(alice, "USD", 5_000)
	malloryAcc := h.account(mallory, "USD", 0)
	r := h.do("POST", "/v1/transfers", alice.token,
		fmt.Sprintf(`{"from_account_id":%q,"to_account_id":%q,"amount":100,"currency":"USD"}`, aliceAcc.ID, malloryAcc.ID),
		"Idempotency-Key", "alice-to-mallory")
	if r.status != http.StatusAccepted {
		t.Fatalf("alice's transfer: %d %s", r.status, r.body)
	}
	var tr struct{ ID string }
	r.json(t, &tr)
	before := h.counts()
	for _, c := range []struct{ method, path, body string }{
		{"GET", "/v1/accounts/" + aliceAcc.ID.String(), ""},
		{"GET", "/v1/accounts/" + aliceAcc.ID.String() + "/transactions", ""},
		{"GET", "/v1/transfers/" + tr.ID, ""}, // pending: not yet the recipient's to see
		{"POST", "/v1/transfers", fmt.Sprintf(`{"from_account_id":%q,"to_account_id":%q,"amount":100,"currency":"USD"}`, aliceAcc.ID, malloryAcc.ID)},
	} {
		r := h.do(c.method, c.path, mallory.token, c.body, "Idempotency-Key", "mallory-"+c.method)
		if r.status != http.StatusNotFound {
			t.Errorf("mallory %s %s: %d %s; want 404", c.method, c.path, r.status, r.body)
		}
	}
	if after := h.counts(); !equalCounts(before, after) {
		t.Fatalf("state changed: %v -> %v", before, after)
	}
	// Notifications: each user reads their own inbox only.
	h.audit.notify(inbox.Notification{ID: "n-alice", UserID: alice.ID.String(), Kind: inbox.KindTransfer, Title: "Sent"})
	if r := h.do("GET", "/v1/me/notifications", alice.token, ""); !containsJSON(r.body, `"id":"n-alice"`) {
		t.Fatalf("alice's own notifications: %d %s", r.status, r.body)
	}
	if r := h.do("GET", "/v1/me/notifications", mallory.token, ""); r.status != http.StatusOK || containsJSON(r.body, "n-alice") {
		t.Fatalf("mallory's notifications: %d %s", r.status, r.body)
	}
}
