package api

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"regexp"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/bankforge/bank/domain"
	"github.com/bankforge/bank/internal/logctx"
)

var requestIDRe = regexp.MustCompile(`^[A-Za-z0-9._:-]{1,64}$`)

func requestID(ctx context.Context) string { return logctx.RequestID(ctx) }

// withRequestID tags each request with an id (the caller's X-Request-Id when well-formed), echoed in
// the response and written by the logger into every log line logged with the request's context,
// and into those of the workflows it starts and their activities (logctx).
func withRequestID(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get("X-Request-Id")
		if !requestIDRe.MatchString(id) {
			id = uuid.NewString()
		}
		w.Header().Set("X-Request-Id", id)
		next.ServeHTTP(w, r.WithContext(logctx.WithRequestID(r.Context(), id)))
	})
}

// withNoSniff tells browsers to take every answer's Content-Type as sent, never to guess another.
func withNoSniff(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Content-Type-Options", "nosniff")
		next.ServeHTTP(w, r)
	})
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (s *statusRecorder) WriteHeader(code int) {
	if s.status == 0 {
		s.status = code
	}
	s.ResponseWriter.WriteHeader(code)
}

// Unwrap lets http.ResponseController and the WebSocket upgrade reach the connection (Hijack).
func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }

func (s *statusRecorder) Write(b []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	return s.ResponseWriter.Write(b)
}

// logRequests writes one log line per request, with no body, header or token in it, and turns a
// panic into a logged 500.
func logRequests(logger *slog.Logger) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			start := time.Now()
			rec := &statusRecorder{ResponseWriter: w}
			defer func() {
				if v := recover(); v != nil {
					if v == http.ErrAbortHandler {
						panic(v)
					}
					logger.ErrorContext(r.Context(), "panic", "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
					if rec.status == 0 {
						writeProblem(rec, newProblem(domain.CodeInternal, "", nil))
					}
				}
				logger.InfoContext(r.Context(), "request", "method", r.Method, "path", r.URL.Path,
					"status", rec.status, "duration_ms", time.Since(start).Milliseconds(), "remote_ip", clientIP(r))
			}()
			next.ServeHTTP(rec, r)
		})
	}
}

// countRequests counts each request by its route's pattern, method and status, and times it.
func (s *server) countRequests(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		done := s.metrics.RequestStarted()
		rec := &statusRecorder{ResponseWriter: w}
		defer func() {
			done()
			status := rec.status
			if status == 0 {
				status = http.StatusOK
			}
			s.metrics.Request(routePattern(r), r.Method, status, time.Since(start))
		}()
		next.ServeHTTP(rec, r)
	})
}

type clientAddrKey struct{}

// withClientAddr resolves the client's address once per request: the TCP peer, unless the peer is
// a trusted proxy (TRUSTED_PROXIES), in which case it is the nearest address in X-Forwarded-For
// that is not a trusted proxy. A client cannot choose its own address by sending the header: it is
// read only through a trusted hop.
func withClientAddr(trusted []netip.Prefix) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			addr := resolveClient(r.RemoteAddr, r.Header.Values("X-Forwarded-For"), trusted)
			next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), clientAddrKey{}, addr)))
		})
	}
}

// resolveClient walks the hops from the nearest: the TCP peer, then X-Forwarded-For from its last
// entry back, and returns the first address that is not a trusted proxy.
func resolveClient(remoteAddr string, forwardedFor []string, trusted []netip.Prefix) string {
	peer := remoteAddr
	if host, _, err := net.SplitHostPort(remoteAddr); err == nil {
		peer = host
	}
	isTrusted := func(s string) bool {
		a, err := netip.ParseAddr(strings.TrimSpace(s))
		if err != nil {
			return false
		}
		a = a.Unmap()
		for _, p := range trusted {
			if p.Contains(a) {
				return true
			}
		}
		return false
	}
	if !isTrusted(peer) {
		return peer
	}
	var hops []string
	for _, v := range forwardedFor {
		hops = append(hops, strings.Split(v, ",")...)
	}
	for i := len(hops) - 1; i >= 0; i-- {
		hop := strings.TrimSpace(hops[i])
		if _, err := netip.ParseAddr(hop); err != nil {
			return peer // a malformed hop: trust nothing beyond the proxy
		}
		if !isTrusted(hop) {
			return hop
		}
	}
	return peer
}

// clientIP is the client's address as withClientAddr resolved it.
func clientIP(r *http.Request) string {
	if a, ok := r.Context().Value(clientAddrKey{}).(string); ok {
		return a
	}
	return resolveClient(r.RemoteAddr, nil, nil)
}

// rateKey is what a client's requests are counted under: its IPv4 address, or its IPv6 /64, the
// block one subscriber usually holds whole.
func rateKey(ip string) string {
	a, err := netip.ParseAddr(ip)
	if err != nil || a.Unmap().Is4() {
		return ip
	}
	p, _ := a.Prefix(64)
	return p.String()
}

// maxRateKeys bounds the limiter's memory: at most this many clients are counted at once.
const maxRateKeys = 100_000

// rateLimiter admits at most limit requests per window from one client (rateKey).
type rateLimiter struct {
	limit  int
	window time.Duration
	now    func() time.Time

	mu      sync.Mutex
	windows map[string]*ipWindow
}

type ipWindow struct {
	start time.Time
	count int
}

func newRateLimiter(limit int, window time.Duration, now func() time.Time) *rateLimiter {
	return &rateLimiter{limit: limit, window: window, now: now, windows: map[string]*ipWindow{}}
}

// admit counts a request from ip and reports whether it may proceed, and if not, when to retry.
func (l *rateLimiter) admit(ip string) (bool, time.Duration) {
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.windows) > maxRateKeys {
		for k, w := range l.windows {
			if now.Sub(w.start) >= l.window {
				delete(l.windows, k)
			}
		}
		if len(l.windows) > maxRateKeys {
			// A flood from more addresses than the bound: start counting afresh rather than grow.
			clear(l.windows)
		}
	}
	w, ok := l.windows[ip]
	if !ok || now.Sub(w.start) >= l.window {
		w = &ipWindow{start: now}
		l.windows[ip] = w
	}
	if w.count >= l.limit {
		return false, w.start.Add(l.window).Sub(now)
	}
	w.count++
	return true, 0
}

// rateLimit admits at most l's limit of requests per window from one client.
func (s *server) rateLimit(l *rateLimiter) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if ok, retry := l.admit(rateKey(clientIP(r))); !ok {
				s.refuseRate(w, r, retry, "Too many requests from your address; retry after the time in Retry-After.")
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}

// limitWrites admits at most l's limit of writes per window from one signed-in user, whatever
// addresses they come from. It runs after authenticate.
func (s *server) limitWrites(l *rateLimiter) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			switch r.Method {
			case http.MethodGet, http.MethodHead, http.MethodOptions:
			default:
				if ok, retry := l.admit("user:" + caller(r.Context()).UserID.String()); !ok {
					s.refuseRate(w, r, retry, "Too many changes from your account; retry after the time in Retry-After.")
					return
				}
			}
			next.ServeHTTP(w, r)
		})
	}
}

func (s *server) refuseRate(w http.ResponseWriter, r *http.Request, retry time.Duration, detail string) {
	s.writeError(w, r, &apiError{code: domain.CodeRateLimited, detail: detail, retryAfter: retry})
}

// gate admits at most limit holders per key at once; a key's count lives only while it is held,
// so the gate's memory is bounded by the requests in progress.
type gate struct {
	limit int
	mu    sync.Mutex
	held  map[string]int
}

func newGate(limit int) *gate { return &gate{limit: limit, held: map[string]int{}} }

// enter takes a place for key and returns the function that gives it back, or false when key
// already holds limit places.
func (g *gate) enter(key string) (func(), bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.held[key] >= g.limit {
		return nil, false
	}
	g.held[key]++
	var once sync.Once
	return func() {
		once.Do(func() {
			g.mu.Lock()
			defer g.mu.Unlock()
			if g.held[key]--; g.held[key] <= 0 {
				delete(g.held, key)
			}
		})
	}, true
}
