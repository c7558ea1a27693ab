package api_test

import (
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/bankforge/bank/api"
	"github.com/bankforge/bank/domain"
)

// Every route counts toward its client's limit, the public ones included: polling an operation
// and the readiness probe cannot be used to load the database without bound.
func TestPublicRoutes_RateLimitedPerClient(t *testing.T) {
	t.Parallel()
	h := newHarness(t, func(c *api.Config) { c.ClientRateLimit = 4 })
	routes := []string{"/v1/operations/" + uuid.NewString(), "/readyz", "/healthz", "/openapi.yaml"}
	for _, path := range routes {
		if r := h.do("GET", path, "", ""); r.status == http.StatusTooManyRequests {
			t.Fatalf("GET %s refused within the limit", path)
		}
	}
	for _, path := range routes {
		r := h.do("GET", path, "", "")
		requireProblem(t, r, http.StatusTooManyRequests, "")
		if r.header.Get("Retry-After") == "" {
			t.Fatalf("GET %s: no Retry-After", path)
		}
	}
}

// A signed-in user's writes are counted per user, whatever address they come from; reads are
// not, and another user keeps their own allowance.
func TestWrites_RateLimitedPerUser(t *testing.T) {
	t.Parallel()
	h := newHarness(t, func(c *api.Config) { c.WriteRateLimit = 2 })
	ana, ben := h.user(domain.RoleClient), h.user(domain.RoleClient)
	for i := range 2 {
		if r := h.do("PATCH", "/v1/me", ana.token, `{"full_name":"Ana Ruiz"}`); r.status != http.StatusOK {
			t.Fatalf("write %d: %d %s", i, r.status, r.body)
		}
	}
	r := h.do("PATCH", "/v1/me", ana.token, `{"full_name":"Ana Ruiz"}`)
	requireProblem(t, r, http.StatusTooManyRequests, "")
	if r.header.Get("Retry-After") == "" {
		t.Fatal("no Retry-After")
	}
	// Password changes are writes too: a stolen session cannot guess the password faster.
	requireProblem(t, h.do("POST", "/v1/me/password", ana.token, `{"current_password":"wrong-one-guess","new_password":"another-Long-pass-9"}`), http.StatusTooManyRequests, "")
	if r := h.do("GET", "/v1/me", ana.token, ""); r.status != http.StatusOK {
		t.Fatalf("a read after the write limit: %d", r.status)
	}
	if r := h.do("PATCH", "/v1/me", ben.token, `{"full_name":"Ben Ortiz"}`); r.status != http.StatusOK {
		t.Fatalf("another user's write: %d %s", r.status, r.body)
	}
}

// One user cannot hold more than MaxWaitsPerUser requests open with ?wait= at once.
func TestWaits_CappedPerUser(t *testing.T) {
	t.Parallel()
	h := newHarness(t, func(c *api.Config) { c.MaxWaitsPerUser = 1; c.MaxWait = 3 * time.Second })
	ana, ben := h.user(domain.RoleClient), h.user(domain.RoleClient)
	src := h.account(ana, "USD", 10_000)
	dst := h.account(ben, "USD", 0)
	r := h.do("POST", "/v1/transfers", ana.token, `{"from_account_id":"`+src.ID.String()+`","to_account_number":"`+dst.Number+`","amount":100,"currency":"USD"}`, "Idempotency-Key", "wait-cap-key-1")
	if r.status != http.StatusAccepted {
		t.Fatalf("transfer: %d %s", r.status, r.body)
	}
	var tr transferBody
	r.json(t, &tr)

	// The first wait holds Ana's one place while the transfer stays pending (no worker runs here).
	var wg sync.WaitGroup
	wg.Add(1)
	held := make(chan struct{})
	go func() {
		defer wg.Done()
		defer close(held)
		// A probe below may hold the one place for its 1ms when this arrives: then this tries again.
		for h.do("GET", "/v1/transfers/"+tr.ID+"?wait=3s", ana.token, "").status == http.StatusTooManyRequests {
		}
	}()
	refused := false
	for deadline := time.Now().Add(2 * time.Second); time.Now().Before(deadline) && !refused; {
		select {
		case <-held:
			t.Fatal("the first wait ended before the second was tried")
		default:
		}
		r := h.do("GET", "/v1/transfers/"+tr.ID+"?wait=1ms", ana.token, "")
		switch r.status {
		case http.StatusTooManyRequests:
			requireProblem(t, r, http.StatusTooManyRequests, "")
			refused = true
		case http.StatusOK:
			time.Sleep(10 * time.Millisecond) // the first wait has not started yet
		default:
			t.Fatalf("second wait: %d %s", r.status, r.body)
		}
	}
	if !refused {
		t.Fatal("a second concurrent wait by the same user was admitted")
	}
	if r := h.do("GET", "/v1/transfers/"+tr.ID, ana.token, ""); r.status != http.StatusOK {
		t.Fatalf("a read without ?wait= while waiting: %d", r.status)
	}
	wg.Wait()
	if r := h.do("GET", "/v1/transfers/"+tr.ID+"?wait=1ms", ana.token, ""); r.status != http.StatusOK {
		t.Fatalf("a wait after the first ended: %d %s", r.status, r.body)
	}
}
