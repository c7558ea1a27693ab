package api_test

import (
	"context"
	"net/http"
	"net/url"
	"testing"

	"github.com/google/uuid"

	"github.com/bankforge/bank/audit"
	"github.com/bankforge/bank/db"
	"github.com/bankforge/bank/domain"
)

func (h *harness) customer(email, name string) db.User {
	h.t.Helper()
	u, err := h.store.InsertUser(context.Background(), db.InsertUserParams{
		ID: uuid.New(), Email: email, PasswordHash: "x", FullName: name, Role: domain.RoleClient, Status: domain.UserActive,
	})
	if err != nil {
		h.t.Fatal(err)
	}
	return u
}

type staffPage struct {
	Items []struct {
		ID     string `json:"id"`
		Email  string `json:"email"`
		Number string `json:"number"`
		Status string `json:"status"`
	} `json:"items"`
	NextCursor *string `json:"next_cursor"`
}

// Support finds customers by part of their email or name, in any case, with filters and pages; a
// LIKE wildcard in the search is plain text; every search is audited with who searched.
func TestStaff_FindsUsersByEmailOrName(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	support := h.user(domain.RoleSupport)
	ana := h.customer("ana.ruiz@bank.test", "Ana Ruiz")
	h.customer("anabel@bank.test", "Anabel Soto")
	h.customer("ben@bank.test", "Ben 100% Ortiz")

	search := func(query string) staffPage {
		t.Helper()
		r := h.do("GET", "/v1/admin/users?"+query, support.token, "")
		if r.status != http.StatusOK {
			t.Fatalf("GET ?%s: %d %s", query, r.status, r.body)
		}
		var p staffPage
		r.json(t, &p)
		return p
	}
	if p := search("q=ANA"); len(p.Items) != 2 {
		t.Fatalf("q=ANA found %d users; want ana and anabel", len(p.Items))
	}
	if p := search("q=" + url.QueryEscape("ruiz@")); len(p.Items) != 1 || p.Items[0].ID != ana.ID.String() {
		t.Fatalf("q=ruiz@ found %+v; want ana", p.Items)
	}
	if p := search("q=" + url.QueryEscape("%")); len(p.Items) != 1 || p.Items[0].Email != "ben@bank.test" {
		t.Fatalf("q=%% found %+v; want only the name holding a %%", p.Items)
	}
	if p := search("role=support"); len(p.Items) != 1 || p.Items[0].ID != support.ID.String() {
		t.Fatalf("role=support found %+v", p.Items)
	}
	// Three users match q=bank.test, two per page, newest first.
	first := search("q=bank.test&limit=2")
	if len(first.Items) != 2 || first.NextCursor == nil {
		t.Fatalf("first page %+v", first)
	}
	second := search("q=bank.test&limit=2&cursor=" + *first.NextCursor)
	if len(second.Items) != 1 || second.NextCursor != nil || second.Items[0].ID != ana.ID.String() {
		t.Fatalf("second page %+v; want ana, the oldest, alone", second)
	}
	for _, bad := range []string{"role=root", "status=gone", "created_from=yesterday", "cursor=bad", "limit=0"} {
		requireProblem(t, h.do("GET", "/v1/admin/users?"+bad, support.token, ""), http.StatusUnprocessableEntity, "")
	}
	var reads int
	for _, e := range h.audit.ofType(audit.EventStaffRead) {
		if e.ActorID == support.ID.String() {
			reads++
		}
	}
	if reads != 6 {
		t.Fatalf("%d staff.read events by the support user; want one per successful search (6)", reads)
	}
}

// Staff see a customer whole: the user with their accounts, an account with its owner and holds,
// a transfer with both numbers, its timeline and its workflow id. Each read names its object in the
// audit log.
func TestStaff_ShowsUserAccountAndTransfer(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	support := h.user(domain.RoleSupport)
	alice, bob := h.user(domain.RoleClient), h.user(domain.RoleClient)
	src, dst := h.account(alice, "USD", 5_000), h.account(bob, "USD", 0)
	r := h.do("POST", "/v1/transfers", alice.token, `{"from_account_id":"`+src.ID.String()+`","to_account_number":"`+dst.Number+`","amount":100,"currency":"USD"}`, "Idempotency-Key", "staff-view-transfer")
	if r.status != http.StatusAccepted {
		t.Fatalf("transfer: %d %s", r.status, r.body)
	}
	var tr transferBody
	r.json(t, &tr)

	var u struct {
		ID           string
		Accounts     []struct{ ID string }
		LiveSessions int64 `json:"live_sessions"`
	}
	h.do("GET", "/v1/admin/users/"+alice.ID.String(), support.token, "").json(t, &u)
	if u.ID != alice.ID.String() || len(u.Accounts) != 1 || u.Accounts[0].ID != src.ID.String() || u.LiveSessions != 1 {
		t.Fatalf("user %+v", u)
	}
	var a struct {
		Owner struct{ ID string }
		Holds []struct {
			TransferID string `json:"transfer_id"`
		}
		Balance int64
	}
	h.do("GET", "/v1/admin/accounts/"+src.ID.String(), support.token, "").json(t, &a)
	if a.Owner.ID != alice.ID.String() || a.Balance != 5_000 {
		t.Fatalf("account %+v", a)
	}
	var accounts staffPage
	h.do("GET", "/v1/admin/accounts?number="+dst.Number, support.token, "").json(t, &accounts)
	if len(accounts.Items) != 1 || accounts.Items[0].ID != dst.ID.String() {
		t.Fatalf("accounts by number %+v", accounts.Items)
	}
	var got struct {
		ID              string
		ToAccountNumber string `json:"to_account_number"`
		WorkflowID      string `json:"workflow_id"`
		Steps           []struct{ Name string }
	}
	h.do("GET", "/v1/admin/transfers/"+tr.ID, support.token, "").json(t, &got)
	if got.ID != tr.ID || got.ToAccountNumber != dst.Number || got.WorkflowID == "" || len(got.Steps) == 0 {
		t.Fatalf("transfer %+v", got)
	}
	var transfers staffPage
	h.do("GET", "/v1/admin/transfers?account_id="+dst.ID.String()+"&status=pending&kind=transfer", support.token, "").json(t, &transfers)
	if len(transfers.Items) != 1 || transfers.Items[0].ID != tr.ID {
		t.Fatalf("transfers to bob %+v", transfers.Items)
	}
	for _, path := range []string{"/v1/admin/users/", "/v1/admin/accounts/", "/v1/admin/transfers/"} {
		if r := h.do("GET", path+uuid.NewString(), support.token, ""); r.status != http.StatusNotFound {
			t.Errorf("GET %s<unknown>: %d", path, r.status)
		}
	}
	subjects := map[string]bool{}
	for _, e := range h.audit.ofType(audit.EventStaffRead) {
		subjects[e.UserID], subjects[e.TransferID] = true, true
		for _, a := range e.AccountIDs {
			subjects[a] = true
		}
	}
	for _, id := range []string{alice.ID.String(), src.ID.String(), tr.ID} {
		if !subjects[id] {
			t.Errorf("no staff.read event names %s", id)
		}
	}
}
