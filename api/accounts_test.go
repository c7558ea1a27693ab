package api_test

import (
	"fmt"
	"net/http"
	"sync"
	"testing"

	"github.com/bankforge/bank/api"
	"github.com/bankforge/bank/domain"
)

// A customer holds at most MaxAccounts open accounts, even when asking for many at once; a retry
// of a request that opened one still answers with it.
func TestAccounts_AtMostTheLimitPerCustomer(t *testing.T) {
	t.Parallel()
	h := newHarness(t, func(c *api.Config) { c.MaxAccounts = 3 })
	ana := h.user(domain.RoleClient)
	first := h.do("POST", "/v1/accounts", ana.token, `{"currency":"EUR"}`, "Idempotency-Key", "open-account-0")
	if first.status != http.StatusCreated {
		t.Fatalf("first: %d %s", first.status, first.body)
	}
	var wg sync.WaitGroup
	statuses := make([]int, 8)
	for i := range statuses {
		wg.Add(1)
		go func() {
			defer wg.Done()
			statuses[i] = h.do("POST", "/v1/accounts", ana.token, `{"currency":"USD"}`, "Idempotency-Key", fmt.Sprintf("open-account-%d", i+1)).status
		}()
	}
	wg.Wait()
	created := 0
	for _, st := range statuses {
		switch st {
		case http.StatusCreated:
			created++
		case http.StatusUnprocessableEntity:
		default:
			t.Fatalf("statuses %v", statuses)
		}
	}
	if created != 2 {
		t.Fatalf("%d more accounts opened concurrently; want 2 (statuses %v)", created, statuses)
	}
	r := h.do("POST", "/v1/accounts", ana.token, `{"currency":"USD"}`)
	requireProblem(t, r, http.StatusUnprocessableEntity, "")
	if !containsJSON(r.body, `"code":"account_limit_reached"`) {
		t.Fatalf("body %s", r.body)
	}
	if again := h.do("POST", "/v1/accounts", ana.token, `{"currency":"EUR"}`, "Idempotency-Key", "open-account-0"); again.status != http.StatusCreated {
		t.Fatalf("a retry of the first request at the limit: %d %s", again.status, again.body)
	}
	var list struct{ Items []struct{ ID string } }
	h.do("GET", "/v1/accounts?limit=100", ana.token, "").json(t, &list)
	if len(list.Items) != 3 {
		t.Fatalf("%d accounts; want 3", len(list.Items))
	}
}

// GET /v1/accounts answers one page at a time, oldest first, and refuses a cursor it did not make.
func TestAccounts_ListedInPages(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	ana := h.user(domain.RoleClient)
	var want []string
	for range 5 {
		want = append(want, h.account(ana, "USD", 0).ID.String())
	}
	var got []string
	cursor := ""
	for range 5 {
		path := "/v1/accounts?limit=2"
		if cursor != "" {
			path += "&cursor=" + cursor
		}
		r := h.do("GET", path, ana.token, "")
		var page struct {
			Items      []struct{ ID string }
			NextCursor *string `json:"next_cursor"`
		}
		r.json(t, &page)
		if len(page.Items) > 2 {
			t.Fatalf("a page of %d items; asked for 2", len(page.Items))
		}
		for _, it := range page.Items {
			got = append(got, it.ID)
		}
		if page.NextCursor == nil {
			break
		}
		cursor = *page.NextCursor
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("paged through %v; want %v", got, want)
	}
	requireProblem(t, h.do("GET", "/v1/accounts?cursor=bm90LWEtY3Vyc29y", ana.token, ""), http.StatusUnprocessableEntity, "cursor")
	requireProblem(t, h.do("GET", "/v1/accounts?limit=0", ana.token, ""), http.StatusUnprocessableEntity, "limit")
}
