package api_test

import (
	"strings"
	"testing"

	"github.com/bankforge/bank/domain"
)

// Bad input on every route that takes some gets a 4xx problem naming what is wrong, never a 5xx,
// and changes nothing.
func TestBadInput_EveryRoute(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	client := h.user(domain.RoleClient)
	admin := h.user(domain.RoleAdmin)
	other := h.user(domain.RoleClient)
	src := h.account(client, "USD", 10_000)
	dst := h.account(other, "USD", 0)
	eur := h.account(other, "EUR", 0)
	foreign := h.account(other, "USD", 500)

	transfer := func(fields string) string {
		return `{"from_account_id":"` + src.ID.String() + `","to_account_id":"` + dst.ID.String() + `",` + fields + `}`
	}
	key := []string{"Idempotency-Key", "bad-input-key-1"}
	type tc struct {
		name, method, path, token, body string
		headers                         []string
		status                          int
		field                           string
	}
	cases := []tc{
		// Decoding, for every JSON route.
		{"malformed", "POST", "/v1/auth/register", "", `{"email":`, nil, 400, ""},
		{"trailing garbage", "POST", "/v1/auth/login", "", `{"email":"a@b.co","password":"x"} {}`, nil, 400, ""},
		{"array body", "POST", "/v1/auth/login", "", `[1,2]`, nil, 400, ""},
		{"wrong content type", "POST", "/v1/auth/login", "", `{"email":"a@b.co","password":"x"}`, []string{"Content-Type", "text/plain"}, 415, ""},
		{"oversized", "POST", "/v1/auth/register", "", `{"full_name":"` + strings.Repeat("a", 70<<10) + `"}`, nil, 413, ""},
		{"unknown key", "POST", "/v1/auth/register", "", `{"email":"a@b.co","password":"blue-Giraffe-runs-42","full_name":"A","role":"admin"}`, nil, 422, "role"},
		{"duplicate key", "POST", "/v1/auth/login", "", `{"email":"a@b.co","email":"c@d.co","password":"x"}`, nil, 422, "email"},
		{"case-variant key", "POST", "/v1/auth/login", "", `{"Email":"a@b.co","password":"x"}`, nil, 422, "Email"},
		{"wrong type", "POST", "/v1/auth/login", "", `{"email":5,"password":"x"}`, nil, 422, "email"},

		// Registration.
		{"bad email", "POST", "/v1/auth/register", "", `{"email":"not-an-email","password":"blue-Giraffe-runs-42","full_name":"A"}`, nil, 422, "email"},
		{"email display name", "POST", "/v1/auth/register", "", `{"email":"Ana <a@b.co>","password":"blue-Giraffe-runs-42","full_name":"A"}`, nil, 422, "email"},
		{"short password", "POST", "/v1/auth/register", "", `{"email":"a@b.co","password":"short","full_name":"A"}`, nil, 422, "password"},
		{"common password", "POST", "/v1/auth/register", "", `{"email":"a@b.co","password":"password1234","full_name":"A"}`, nil, 422, "password"},
		{"long password", "POST", "/v1/auth/register", "", `{"email":"a@b.co","password":"` + strings.Repeat("ab1", 50) + `","full_name":"A"}`, nil, 422, "password"},
		{"no name", "POST", "/v1/auth/register", "", `{"email":"a@b.co","password":"blue-Giraffe-runs-42","full_name":"  "}`, nil, 422, "full_name"},
		{"bad phone", "POST", "/v1/auth/register", "", `{"email":"a@b.co","password":"blue-Giraffe-runs-42","full_name":"A","phone":"555"}`, nil, 422, "phone"},
		{"unknown currency", "POST", "/v1/auth/register", "", `{"email":"a@b.co","password":"blue-Giraffe-runs-42","full_name":"A","currency":"XYZ"}`, nil, 422, "currency"},
		{"lower-case currency", "POST", "/v1/auth/register", "", `{"email":"a@b.co","password":"blue-Giraffe-runs-42","full_name":"A","currency":"usd"}`, nil, 422, "currency"},
		{"unknown locale", "POST", "/v1/auth/register", "", `{"email":"a@b.co","password":"blue-Giraffe-runs-42","full_name":"A","locale":"fr"}`, nil, 422, "locale"},

		// Sessions.
		{"login empty", "POST", "/v1/auth/login", "", `{}`, nil, 422, "email"},
		{"login email too long", "POST", "/v1/auth/login", "", `{"email":"` + strings.Repeat("a", 250) + `@example.com","password":"whatever-it-is"}`, nil, 422, "email"},
		{"refresh empty", "POST", "/v1/auth/refresh", "", `{}`, nil, 422, "refresh_token"},
		{"refresh unknown", "POST", "/v1/auth/refresh", "", `{"refresh_token":"nope"}`, nil, 401, ""},
		{"logout empty", "POST", "/v1/auth/logout", "", `{}`, nil, 422, "refresh_token"},
		{"password wrong current", "POST", "/v1/me/password", client.token, `{"current_password":"nope-nope-nope","new_password":"a-brand-New-passphrase-7"}`, nil, 422, "current_password"},
		{"password weak new", "POST", "/v1/me/password", client.token, `{"current_password":"` + client.password + `","new_password":"123456789012"}`, nil, 422, "new_password"},
		{"profile bad phone", "PATCH", "/v1/me", client.token, `{"phone":"12"}`, nil, 422, "phone"},
		{"profile unknown locale", "PATCH", "/v1/me", client.token, `{"locale":"pt"}`, nil, 422, "locale"},
		{"operation malformed id", "GET", "/v1/operations/not-a-uuid", "", "", nil, 404, ""},
		{"operation bad wait", "GET", "/v1/operations/00000000-0000-4000-8000-000000000000?wait=soon", "", "", nil, 422, "wait"},

		// Accounts.
		{"open bad currency", "POST", "/v1/accounts", client.token, `{"currency":"ABC"}`, nil, 422, "currency"},
		{"open bad key", "POST", "/v1/accounts", client.token, `{"currency":"USD"}`, []string{"Idempotency-Key", "x"}, 400, ""},
		{"foreign account", "GET", "/v1/accounts/" + foreign.ID.String(), client.token, "", nil, 404, ""},
		{"malformed account id", "GET", "/v1/accounts/123", client.token, "", nil, 404, ""},
		{"foreign history", "GET", "/v1/accounts/" + foreign.ID.String() + "/transactions", client.token, "", nil, 404, ""},
		{"history bad direction", "GET", "/v1/accounts/" + src.ID.String() + "/transactions?direction=up", client.token, "", nil, 422, "direction"},
		{"history bad from", "GET", "/v1/accounts/" + src.ID.String() + "/transactions?from=yesterday", client.token, "", nil, 422, "from"},
		{"history absurd limit", "GET", "/v1/accounts/" + src.ID.String() + "/transactions?limit=100000", client.token, "", nil, 422, "limit"},
		{"history zero limit", "GET", "/v1/accounts/" + src.ID.String() + "/transactions?limit=0", client.token, "", nil, 422, "limit"},
		{"history bad cursor", "GET", "/v1/accounts/" + src.ID.String() + "/transactions?cursor=!!!", client.token, "", nil, 422, "cursor"},
		{"transfers bad cursor", "GET", "/v1/transfers?cursor=abc", client.token, "", nil, 422, "cursor"},
		{"transfers absurd limit", "GET", "/v1/transfers?limit=-1", client.token, "", nil, 422, "limit"},
		{"foreign transfer", "GET", "/v1/transfers/00000000-0000-4000-8000-000000000000", client.token, "", nil, 404, ""},

		// Transfers.
		{"no key", "POST", "/v1/transfers", client.token, transfer(`"amount":100,"currency":"USD"`), nil, 400, ""},
		{"key too long", "POST", "/v1/transfers", client.token, transfer(`"amount":100,"currency":"USD"`), []string{"Idempotency-Key", strings.Repeat("k", 129)}, 400, ""},
		{"key bad chars", "POST", "/v1/transfers", client.token, transfer(`"amount":100,"currency":"USD"`), []string{"Idempotency-Key", "key with spaces!"}, 400, ""},
		{"zero", "POST", "/v1/transfers", client.token, transfer(`"amount":0,"currency":"USD"`), key, 422, "amount"},
		{"negative", "POST", "/v1/transfers", client.token, transfer(`"amount":-5,"currency":"USD"`), key, 422, "amount"},
		{"float", "POST", "/v1/transfers", client.token, transfer(`"amount":10.5,"currency":"USD"`), key, 422, "amount"},
		{"fraction in exponent form", "POST", "/v1/transfers", client.token, transfer(`"amount":15e-1,"currency":"USD"`), key, 422, "amount"},
		{"decimals in a currency without", "POST", "/v1/admin/accounts/" + dst.ID.String() + "/deposits", admin.token, `{"amount":"100.5","currency":"JPY"}`, key, 422, "amount"},
		{"too many decimals", "POST", "/v1/transfers", client.token, transfer(`"amount":"1.005","currency":"USD"`), key, 422, "amount"},
		{"beyond int64", "POST", "/v1/transfers", client.token, transfer(`"amount":9223372036854775808,"currency":"USD"`), key, 422, "amount"},
		{"above the largest amount", "POST", "/v1/admin/accounts/" + dst.ID.String() + "/deposits", admin.token, `{"amount":1000000000000001,"currency":"USD"}`, key, 422, "amount"},
		{"above the largest amount as a decimal", "POST", "/v1/admin/accounts/" + dst.ID.String() + "/deposits", admin.token, `{"amount":"10000000000000.01","currency":"USD"}`, key, 422, "amount"},
		{"null amount", "POST", "/v1/transfers", client.token, transfer(`"amount":null,"currency":"USD"`), key, 422, "amount"},
		{"case-variant amount", "POST", "/v1/transfers", client.token, transfer(`"amount":1,"Amount":1000000,"currency":"USD"`), key, 422, "Amount"},
		{"unknown currency", "POST", "/v1/transfers", client.token, transfer(`"amount":100,"currency":"BTC"`), key, 422, "currency"},
		{"self transfer", "POST", "/v1/transfers", client.token, `{"from_account_id":"` + src.ID.String() + `","to_account_id":"` + src.ID.String() + `","amount":100,"currency":"USD"}`, key, 422, "to_account_id"},
		{"foreign source", "POST", "/v1/transfers", client.token, `{"from_account_id":"` + foreign.ID.String() + `","to_account_id":"` + dst.ID.String() + `","amount":100,"currency":"USD"}`, key, 404, "from_account_id"},
		{"missing destination", "POST", "/v1/transfers", client.token, `{"from_account_id":"` + src.ID.String() + `","amount":100,"currency":"USD"}`, key, 422, "to_account_id"},
		{"unknown destination", "POST", "/v1/transfers", client.token, `{"from_account_id":"` + src.ID.String() + `","to_account_id":"00000000-0000-4000-8000-000000000000","amount":100,"currency":"USD"}`, key, 404, "to_account_id"},
		{"malformed ids", "POST", "/v1/transfers", client.token, `{"from_account_id":"1","to_account_id":"2","amount":100,"currency":"USD"}`, key, 422, "from_account_id"},
		{"bad number", "POST", "/v1/transfers", client.token, `{"from_account_id":"` + src.ID.String() + `","to_account_number":"100000018","amount":100,"currency":"USD"}`, key, 422, "to_account_number"},
		{"both destinations", "POST", "/v1/transfers", client.token, transfer(`"to_account_number":"` + eur.Number + `","amount":100,"currency":"USD"`), key, 422, "to_account_id"},
		{"long description", "POST", "/v1/transfers", client.token, transfer(`"amount":100,"currency":"USD","description":"` + strings.Repeat("d", 141) + `"`), key, 422, "description"},

		// Admin cash movements.
		{"deposit no key", "POST", "/v1/admin/accounts/" + dst.ID.String() + "/deposits", admin.token, `{"amount":100,"currency":"USD"}`, nil, 400, ""},
		{"deposit float", "POST", "/v1/admin/accounts/" + dst.ID.String() + "/deposits", admin.token, `{"amount":1.5,"currency":"USD"}`, key, 422, "amount"},
		{"deposit wrong currency", "POST", "/v1/admin/accounts/" + dst.ID.String() + "/deposits", admin.token, `{"amount":100,"currency":"EUR"}`, key, 422, "currency"},
		{"deposit unknown account", "POST", "/v1/admin/accounts/00000000-0000-4000-8000-000000000000/deposits", admin.token, `{"amount":100,"currency":"USD"}`, key, 404, ""},
		{"withdraw malformed account", "POST", "/v1/admin/accounts/nope/withdrawals", admin.token, `{"amount":100,"currency":"USD"}`, key, 404, ""},
		{"audit bad from", "GET", "/v1/admin/audit-events?from=monday", admin.token, "", nil, 422, "from"},
		{"audit absurd limit", "GET", "/v1/admin/audit-events?limit=5000", admin.token, "", nil, 422, "limit"},
		{"approval malformed id", "POST", "/v1/admin/cash-approvals/nope/approve", admin.token, "", nil, 404, ""},
		{"approval unknown", "POST", "/v1/admin/cash-approvals/00000000-0000-4000-8000-000000000000/reject", admin.token, "", nil, 404, ""},
		{"approvals bad cursor", "GET", "/v1/admin/cash-approvals?cursor=abc", admin.token, "", nil, 422, "cursor"},
		{"approvals absurd limit", "GET", "/v1/admin/cash-approvals?limit=0", admin.token, "", nil, 422, "limit"},
	}
	before := h.counts()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := h.do(c.method, c.path, c.token, c.body, c.headers...)
			requireProblem(t, r, c.status, c.field)
			for _, secret := range []string{"SELECT", "pgx", "argon2", testSecret} {
				if strings.Contains(string(r.body), secret) {
					t.Fatalf("the answer reveals %q: %s", secret, r.body)
				}
			}
		})
	}
	if after := h.counts(); !equalCounts(before, after) {
		t.Fatalf("bad input changed state:\nbefore %v\nafter  %v", before, after)
	}
	if h.workflows.starts() != 0 {
		t.Fatalf("bad input started %d workflows", h.workflows.starts())
	}
}
