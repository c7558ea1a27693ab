package metrics

import (
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// API counts the API's requests and what its users do there: failed logins and lockouts, live
// event sockets, idempotent replays.
type API struct {
	requests      *prometheus.CounterVec
	duration      *prometheus.HistogramVec
	inFlight      prometheus.Gauge
	loginFailures *prometheus.CounterVec
	lockouts      prometheus.Counter
	sockets       prometheus.Gauge
	replays       *prometheus.CounterVec
}

// NewAPI registers the API's families in reg.
func NewAPI(reg prometheus.Registerer) *API {
	a := &API{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "bank_http_requests_total",
			Help: "HTTP requests answered, by route pattern (never the raw path), method and status.",
		}, []string{"route", "method", "status"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "bank_http_request_duration_seconds",
			Help:    "Time to answer an HTTP request, by route pattern and method (a live event socket's upgrade is left out: it lasts as long as the socket).",
			Buckets: LatencyBuckets,
		}, []string{"route", "method"}),
		inFlight: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "bank_http_requests_in_flight",
			Help: "HTTP requests being answered now, open live event sockets included (each is one request).",
		}),
		loginFailures: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "bank_login_failures_total",
			Help: "Failed logins, by reason (unknown_email, wrong_password, locked, user_<status>); the client is told the same for each.",
		}, []string{"reason"}),
		lockouts: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "bank_login_lockouts_total",
			Help: "Logins locked after repeated failures, once per lock.",
		}),
		sockets: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "bank_websocket_connections",
			Help: "Live event sockets (GET /v1/ws) open on this process.",
		}),
		replays: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "bank_idempotent_replays_total",
			Help: "Requests answered with an earlier answer under the same Idempotency-Key (Idempotent-Replayed: true), by route pattern.",
		}, []string{"route"}),
	}
	reg.MustRegister(a.requests, a.duration, a.inFlight, a.loginFailures, a.lockouts, a.sockets, a.replays)
	return a
}

// methods are the request methods counted by name; any other is counted as OTHER, so a client
// cannot add series by inventing methods.
var methods = map[string]bool{
	http.MethodGet: true, http.MethodHead: true, http.MethodPost: true, http.MethodPut: true,
	http.MethodPatch: true, http.MethodDelete: true, http.MethodOptions: true,
}

// RequestStarted counts a request in flight until the returned function is called.
func (a *API) RequestStarted() (done func()) {
	if a == nil {
		return func() {}
	}
	a.inFlight.Inc()
	return a.inFlight.Dec
}

// Request counts an answered request: route is its pattern (a fixed set), method its method and
// status the status it was answered with. Its duration is observed unless it switched protocols.
func (a *API) Request(route, method string, status int, d time.Duration) {
	if a == nil {
		return
	}
	if !methods[method] {
		method = "OTHER"
	}
	a.requests.WithLabelValues(route, method, strconv.Itoa(status)).Inc()
	if status != http.StatusSwitchingProtocols {
		a.duration.WithLabelValues(route, method).Observe(d.Seconds())
	}
}

// LoginFailed counts a failed login and why it failed.
func (a *API) LoginFailed(reason string) {
	if a == nil {
		return
	}
	a.loginFailures.WithLabelValues(reason).Inc()
}

// LoginLocked counts a login locked by its failures.
func (a *API) LoginLocked() {
	if a == nil {
		return
	}
	a.lockouts.Inc()
}

// SocketOpened counts an open live event socket until the returned function is called.
func (a *API) SocketOpened() (closed func()) {
	if a == nil {
		return func() {}
	}
	a.sockets.Inc()
	return a.sockets.Dec
}

// Replayed counts a request answered again under its Idempotency-Key.
func (a *API) Replayed(route string) {
	if a == nil {
		return
	}
	a.replays.WithLabelValues(route).Inc()
}
