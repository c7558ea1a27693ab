package api_test

import (
	"maps"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/prometheus/common/expfmt"

	"github.com/bankforge/bank/api"
	"github.com/bankforge/bank/domain"
)

// series returns every sample of the family name in the harness's registry, by its labels written
// out ("method=GET,route=/v1/me,status=200"), and the whole exposition text.
func (h *harness) series(name string) (map[string]float64, string) {
	h.t.Helper()
	mfs, err := h.metrics.Gather()
	if err != nil {
		h.t.Fatal(err)
	}
	var text strings.Builder
	out := map[string]float64{}
	for _, mf := range mfs {
		if _, err := expfmt.MetricFamilyToText(&text, mf); err != nil {
			h.t.Fatal(err)
		}
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			var labels []string
			for _, l := range m.GetLabel() {
				labels = append(labels, l.GetName()+"="+l.GetValue())
			}
			out[strings.Join(labels, ",")] = m.GetCounter().GetValue() + m.GetGauge().GetValue() + float64(m.GetHistogram().GetSampleCount())
		}
	}
	return out, text.String()
}

// Requests are counted by the pattern of the route they matched, never by their path: two accounts
// are one series and neither id appears. A path outside the API is the web app's, an unknown API
// path no route's, and a request the client's rate limit refuses before routing still counts under
// its route.
func TestMetrics_RequestsCountedByRoutePattern(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	alice := h.user(domain.RoleClient)
	first, second := h.account(alice, "USD", 0), h.account(alice, "USD", 0)
	for _, a := range []string{first.ID.String(), second.ID.String()} {
		if r := h.do("GET", "/v1/accounts/"+a, alice.token, ""); r.status != http.StatusOK {
			t.Fatalf("get account: %d %s", r.status, r.body)
		}
	}
	h.do("GET", "/some/page/of/the/app", "", "")
	h.do("POST", "/v1/nothing-here/"+uuid.NewString(), "", "{}")

	got, text := h.series("bank_http_requests_total")
	want := map[string]float64{
		"method=GET,route=/v1/accounts/{id},status=200": 2,
		"method=POST,route=/v1/auth/login,status=200":   1,
		"method=GET,route=(web app),status=404":         1,
		"method=POST,route=(no route),status=404":       1,
	}
	if !maps.Equal(got, want) {
		t.Fatalf("requests %v; want %v", got, want)
	}
	for _, id := range []string{first.ID.String(), second.ID.String(), "nothing-here", "/some/page"} {
		if strings.Contains(text, id) {
			t.Fatalf("the metrics name the raw path %q:\n%s", id, text)
		}
	}
	if timed, _ := h.series("bank_http_request_duration_seconds"); timed["method=GET,route=/v1/accounts/{id}"] != 2 {
		t.Fatalf("timed %v; want the two reads of /v1/accounts/{id}", timed)
	}
	if inFlight, _ := h.series("bank_http_requests_in_flight"); inFlight[""] != 0 {
		t.Fatalf("in flight %v after every answer", inFlight)
	}

	limited := newHarness(t, func(c *api.Config) { c.ClientRateLimit = 2 })
	for range 3 {
		limited.do("GET", "/v1/operations/"+uuid.NewString(), "", "")
	}
	if got, _ := limited.series("bank_http_requests_total"); got["method=GET,route=/v1/operations/{id},status=429"] != 1 {
		t.Fatalf("rate-limited requests %v; want one 429 under its route", got)
	}
}

// Each failed login is counted with its reason, and the lock once when it falls; a replay under an
// Idempotency-Key is counted under its route, and an open socket while it is open.
func TestMetrics_LoginsReplaysAndSockets(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	alice, bob := h.user(domain.RoleClient), h.user(domain.RoleClient)
	h.do("POST", "/v1/auth/login", "", `{"email":"nobody-`+uuid.NewString()[:8]+`@example.com","password":"whatever-it-is"}`)
	for range 7 { // the fifth locks the login (LockThreshold 5); the next two find it locked
		h.do("POST", "/v1/auth/login", "", `{"email":"`+bob.Email+`","password":"not-the-Password-1"}`)
	}
	failures, _ := h.series("bank_login_failures_total")
	if want := map[string]float64{"reason=unknown_email": 1, "reason=wrong_password": 5, "reason=locked": 2}; !maps.Equal(failures, want) {
		t.Fatalf("login failures %v; want %v", failures, want)
	}
	if locks, _ := h.series("bank_login_lockouts_total"); locks[""] != 1 {
		t.Fatalf("lockouts %v; want 1", locks)
	}

	src, dst := h.account(alice, "USD", 10_000), h.account(bob, "USD", 0)
	body := `{"from_account_id":"` + src.ID.String() + `","to_account_number":"` + dst.Number + `","amount":100,"currency":"USD"}`
	for range 3 {
		if r := h.do("POST", "/v1/transfers", alice.token, body, "Idempotency-Key", "metrics-replay-1"); r.status != http.StatusAccepted {
			t.Fatalf("transfer: %d %s", r.status, r.body)
		}
	}
	if replays, _ := h.series("bank_idempotent_replays_total"); !maps.Equal(replays, map[string]float64{"route=/v1/transfers": 2}) {
		t.Fatalf("replays %v; want the two repeats", replays)
	}

	// The server counts a socket once its upgrade is done, a moment after the client reads the 101.
	socketsReach := func(want float64, when string) {
		t.Helper()
		var got float64
		for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
			s, _ := h.series("bank_websocket_connections")
			if got = s[""]; got == want {
				return
			}
		}
		t.Fatalf("%v sockets open %s; want %v", got, when, want)
	}
	c := mustDialBearer(t, h.srv.URL, alice.token)
	socketsReach(1, "with alice's")
	_ = c.CloseNow()
	socketsReach(0, "after the client left")
	if upgrades, _ := h.series("bank_http_requests_total"); upgrades["method=GET,route=/v1/ws,status=101"] != 1 {
		t.Fatalf("requests %v; want the socket's upgrade counted once", upgrades)
	}
}
