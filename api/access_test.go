package api_test

import (
	"context"
	"fmt"
	"maps"
	"net/http"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/bankforge/bank/api"
	"github.com/bankforge/bank/db"
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
	"POST /v1/auth/logout-all":            {"client", "support", "admin"},
	"GET /v1/me":                          {"client", "support", "admin"},
	"PATCH /v1/me":                        {"client", "support", "admin"},
	"POST /v1/me/password":                {"client", "support", "admin"},
	"GET /v1/me/notifications":            {"client", "support", "admin"},
	"POST /v1/me/notifications/{id}/read": {"client", "support", "admin"},
	"POST /v1/me/notifications/read-all":  {"client", "support", "admin"},
	"GET /v1/me/notification-settings":    {"client", "support", "admin"},
	"PATCH /v1/me/notification-settings":  {"client", "support", "admin"},
	"GET /v1/accounts":                    {"client", "support", "admin"},
	"POST /v1/accounts":                   {"client", "support", "admin"},
	"GET /v1/accounts/{id}":               {"client", "support", "admin"},
	"GET /v1/accounts/{id}/transactions":  {"client", "support", "admin"},
	"GET /v1/accounts/{id}/statement":     {"client", "support", "admin"},
	"GET /v1/transfers":                   {"client", "support", "admin"},
	"POST /v1/transfers":                  {"client", "support", "admin"},
	"GET /v1/transfers/{id}":              {"client", "support", "admin"},
	"GET /v1/ws":                          {"client", "support", "admin"},

	// Staff: support reads customers, accounts, transfers and the audit log; only admins move cash
	// or check the ledger.
	"GET /v1/admin/audit-events":               {"support", "admin"},
	"GET /v1/admin/audit-events/verify":        {"support", "admin"},
	"GET /v1/admin/reports/transactions":       {"support", "admin"},
	"GET /v1/admin/reports/accounts":           {"support", "admin"},
	"GET /v1/admin/users":                      {"support", "admin"},
	"GET /v1/admin/users/{id}":                 {"support", "admin"},
	"GET /v1/admin/accounts":                   {"support", "admin"},
	"GET /v1/admin/accounts/{id}":              {"support", "admin"},
	"GET /v1/admin/accounts/{id}/statement":    {"support", "admin"},
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

	// Temporal's payload codec: a browser's preflight is anyone's; staff decode what the Temporal UI
	// shows, and only admins, who may act on workflows, encode.
	"OPTIONS /codec/decode": {"anonymous", "client", "support", "admin"},
	"OPTIONS /codec/encode": {"anonymous", "client", "support", "admin"},
	"POST /codec/decode":    {"support", "admin"},
	"POST /codec/encode":    {"admin"},
}

// The router's routes and the document's x-roles are exactly the specification's.
func TestAccessSpec_RouterAndDocumentAgreeWithIt(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	routes, err := api.Routes(h.mux)
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
	// An operation of alice's (an admin-owned kind in practice; the owner check is the same).
	opID := uuid.NewString()
	if _, err := h.store.CreateOperation(context.Background(), db.CreateOperationParams{
		ID: opID, Kind: domain.OperationCashApproval, WorkflowID: "test-" + opID, UserID: &alice.ID,
	}); err != nil {
		t.Fatal(err)
	}
	// A notification of alice's.
	if err := h.inbox.Notify(context.Background(), inbox.Notification{ID: "transfer/n-alice", UserID: alice.ID.String(),
		Kind: domain.NotificationTransferSent, Title: "Sent"}); err != nil {
		t.Fatal(err)
	}
	before := h.counts()
	cases := map[string]struct{ path, body string }{
		"POST /v1/me/notifications/{id}/read": {"/v1/me/notifications/" + inbox.PublicID("transfer/n-alice") + "/read", ""},
		"GET /v1/operations/{id}":             {"/v1/operations/" + opID, ""},
		"GET /v1/accounts/{id}":               {"/v1/accounts/" + aliceAcc.ID.String(), ""},
		"GET /v1/accounts/{id}/transactions":  {"/v1/accounts/" + aliceAcc.ID.String() + "/transactions", ""},
		"GET /v1/accounts/{id}/statement":     {"/v1/accounts/" + aliceAcc.ID.String() + "/statement?from=2026-01-01T00:00:00Z&to=2026-02-01T00:00:00Z", ""},
		"GET /v1/transfers/{id}":              {"/v1/transfers/" + tr.ID, ""}, // pending: not yet the recipient's to see
		"POST /v1/transfers":                  {"/v1/transfers", fmt.Sprintf(`{"from_account_id":%q,"to_account_id":%q,"amount":100,"currency":"USD"}`, aliceAcc.ID, malloryAcc.ID)},
	}
	if want := readmeAccess(t).objectRoutes(); !slices.Equal(want, slices.Sorted(maps.Keys(cases))) {
		t.Fatalf("the README names %v as another customer's objects; this test covers %v", want, slices.Sorted(maps.Keys(cases)))
	}
	for route, c := range cases {
		method, _, _ := strings.Cut(route, " ")
		r := h.do(method, c.path, mallory.token, c.body, "Idempotency-Key", "mallory-"+method)
		if r.status != http.StatusNotFound {
			t.Errorf("mallory %s %s: %d %s; want 404", method, c.path, r.status, r.body)
		}
	}
	if after := h.counts(); !equalCounts(before, after) {
		t.Fatalf("state changed: %v -> %v", before, after)
	}
	// Notifications: each user reads their own inbox only, and alice's is still unread.
	if r := h.do("GET", "/v1/me/notifications", alice.token, ""); !containsJSON(r.body, `"id":"`+inbox.PublicID("transfer/n-alice")+`"`) ||
		!containsJSON(r.body, `"unread_count":1`) {
		t.Fatalf("alice's own notifications: %d %s", r.status, r.body)
	}
	if r := h.do("GET", "/v1/me/notifications", mallory.token, ""); r.status != http.StatusOK || containsJSON(r.body, inbox.PublicID("transfer/n-alice")) {
		t.Fatalf("mallory's notifications: %d %s", r.status, r.body)
	}
}

// accessTable is the README's access table: route -> its row's cells.
type accessTable map[string][]string

// readmeAccess reads the table under the README's "## Access" heading.
func readmeAccess(t *testing.T) accessTable {
	t.Helper()
	b, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(b), "\n## Access\n")
	if !ok {
		t.Fatal("the README has no Access section")
	}
	section, _, _ = strings.Cut(section, "\n## ")
	table := accessTable{}
	row := regexp.MustCompile("^\\| `([A-Z]+ [^`]+)` \\|(.*)\\|$")
	for _, line := range strings.Split(section, "\n") {
		m := row.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		var cells []string
		for _, c := range strings.Split(m[2], "|") {
			cells = append(cells, strings.TrimSpace(c))
		}
		if len(cells) != 5 {
			t.Fatalf("README access row %q has %d cells; want 5", line, len(cells))
		}
		table[m[1]] = cells
	}
	return table
}

// roles are the roles a row allows, in the specification's spelling and order.
func (a accessTable) roles(route string) []string {
	var out []string
	for i, role := range []string{"anonymous", "client", "", "support", "admin"} {
		if role != "" && a[route][i] == "yes" {
			out = append(out, role)
		}
	}
	return out
}

// objectRoutes are the routes whose "customer, another's" cell is 404.
func (a accessTable) objectRoutes() []string {
	var out []string
	for route, cells := range a {
		if cells[2] == "404" {
			out = append(out, route)
		}
	}
	slices.Sort(out)
	return out
}

// The README's table is the specification, cell for cell: the same routes, the same roles, and
// refusals that say what a refused caller gets.
func TestAccess_READMETableIsTheSpecification(t *testing.T) {
	t.Parallel()
	table := readmeAccess(t)
	for route, roles := range accessSpec {
		if _, ok := table[route]; !ok {
			t.Errorf("the README's access table lacks %s", route)
			continue
		}
		if got := table.roles(route); !slices.Equal(got, roles) {
			t.Errorf("the README allows %s to %v; the specification to %v", route, got, roles)
		}
	}
	for route, cells := range table {
		if _, ok := accessSpec[route]; !ok {
			t.Errorf("the README's access table names %s, which the specification lacks", route)
		}
		want := []string{"401", "403", "", "403", "403"}
		for i, c := range cells {
			if i == 2 {
				if c != "404" && c != "—" && c != "403" {
					t.Errorf("%s: another customer's object answers %q; want 404, 403 or —", route, c)
				}
				continue
			}
			if c != "yes" && c != want[i] {
				t.Errorf("%s: cell %d is %q; want yes or %s", route, i, c, want[i])
			}
		}
	}
}
