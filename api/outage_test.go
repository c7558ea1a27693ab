package api_test

import (
	"net"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/bankforge/bank/api"
	"github.com/bankforge/bank/dev/testenv"
	"github.com/bankforge/bank/domain"
)

// link is a TCP link to the database that a test can cut: every connection closed, new ones refused.
type link struct {
	ln     net.Listener
	target string
	mu     sync.Mutex
	down   bool
	conns  []net.Conn
}

// newLink returns a link to the database at dbURL and the URL that goes through it.
func newLink(t *testing.T, dbURL string) (*link, string) {
	t.Helper()
	u, err := url.Parse(dbURL)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	l := &link{ln: ln, target: u.Host}
	t.Cleanup(func() { _ = ln.Close(); l.cut() })
	go l.serve()
	u.Host = ln.Addr().String()
	return l, u.String()
}

func (l *link) serve() {
	for {
		c, err := l.ln.Accept()
		if err != nil {
			return
		}
		l.mu.Lock()
		down := l.down
		l.mu.Unlock()
		up, err := net.Dial("tcp", l.target)
		if down || err != nil {
			_ = c.Close()
			continue
		}
		l.mu.Lock()
		l.conns = append(l.conns, c, up)
		l.mu.Unlock()
		pipe := func(dst, src net.Conn) {
			buf := make([]byte, 32<<10)
			for {
				n, err := src.Read(buf)
				if n > 0 {
					if _, err := dst.Write(buf[:n]); err != nil {
						break
					}
				}
				if err != nil {
					break
				}
			}
			_ = dst.Close()
			_ = src.Close()
		}
		go pipe(up, c)
		go pipe(c, up)
	}
}

func (l *link) cut() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.down = true
	for _, c := range l.conns {
		_ = c.Close()
	}
	l.conns = nil
}

func (l *link) heal() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.down = false
}

// While PostgreSQL is out of reach, a request that needs it is answered 503 with Retry-After, never
// 500 (RELIABILITY.md): reads, a transfer and its retry alike, changing nothing. Once the database
// is back the same requests work, and the transfer retried with its key is recorded once.
func TestOutage_DatabaseUnreachableIs503(t *testing.T) {
	db, through := newLink(t, testenv.NewDatabase(t))
	h := newHarnessOn(t, through, testHashParams)
	alice, bob := h.user(domain.RoleClient), h.user(domain.RoleClient)
	from, to := h.account(alice, "USD", 50_00), h.account(bob, "USD", 0)
	key := uuid.NewString()
	transfer := `{"from_account_id":"` + from.ID.String() + `","to_account_id":"` + to.ID.String() + `","amount":100,"currency":"USD"}`
	requests := []struct {
		method, path, body string
		headers            []string
	}{
		{"GET", "/v1/accounts", "", nil},
		{"GET", "/v1/accounts/" + from.ID.String(), "", nil},
		{"GET", "/v1/transfers", "", nil},
		{"POST", "/v1/transfers", transfer, []string{"Idempotency-Key", key}},
	}
	before := h.counts()

	db.cut()
	for _, q := range requests {
		r := h.do(q.method, q.path, alice.token, q.body, q.headers...)
		requireProblem(t, r, http.StatusServiceUnavailable, "")
		var p api.Problem
		r.json(t, &p)
		if p.Code != domain.CodeUnavailable {
			t.Errorf("%s %s: code %s; want %s", q.method, q.path, p.Code, domain.CodeUnavailable)
		}
		if secs, err := strconv.Atoi(r.header.Get("Retry-After")); err != nil || secs < 1 {
			t.Errorf("%s %s: Retry-After %q; want whole seconds, at least one", q.method, q.path, r.header.Get("Retry-After"))
		}
	}

	db.heal()
	// Connections the cut broke are dropped as they fail; give the pool a moment to make new ones.
	deadline := time.Now().Add(10 * time.Second)
	for _, q := range requests {
		var r response
		for {
			r = h.do(q.method, q.path, alice.token, q.body, q.headers...)
			if r.status != http.StatusServiceUnavailable || time.Now().After(deadline) {
				break
			}
			time.Sleep(50 * time.Millisecond)
		}
		if r.status >= 300 {
			t.Fatalf("%s %s once the database is back: %d %s", q.method, q.path, r.status, r.body)
		}
	}
	after := h.counts()
	if after["transfers"] != before["transfers"]+1 || after["idempotency_keys"] != before["idempotency_keys"]+1 {
		t.Fatalf("transfers %d -> %d, keys %d -> %d: the transfer must be recorded once, after the outage",
			before["transfers"], after["transfers"], before["idempotency_keys"], after["idempotency_keys"])
	}
}
