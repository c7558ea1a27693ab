package metrics_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	dto "github.com/prometheus/client_model/go"

	"github.com/bankforge/bank/domain"
	"github.com/bankforge/bank/internal/metrics"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// gather returns reg's families by name.
func gather(t *testing.T, reg *prometheus.Registry) map[string]*dto.MetricFamily {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatalf("gather: %v", err)
	}
	out := map[string]*dto.MetricFamily{}
	for _, mf := range mfs {
		out[mf.GetName()] = mf
	}
	return out
}

// Requests are counted by route pattern, method and status; an invented method is OTHER, and a
// socket's upgrade is counted but not timed.
func TestAPI_RequestsByRouteMethodAndStatus(t *testing.T) {
	reg := prometheus.NewRegistry()
	a := metrics.NewAPI(reg)
	a.Request("/v1/accounts/{id}", http.MethodGet, 200, 30*time.Millisecond)
	a.Request("/v1/accounts/{id}", http.MethodGet, 200, 3*time.Second)
	a.Request("/v1/accounts/{id}", "BREW", 405, time.Millisecond)
	a.Request("/v1/ws", http.MethodGet, 101, time.Hour)

	want := `
# HELP bank_http_requests_total HTTP requests answered, by route pattern (never the raw path), method and status.
# TYPE bank_http_requests_total counter
bank_http_requests_total{method="GET",route="/v1/accounts/{id}",status="200"} 2
bank_http_requests_total{method="GET",route="/v1/ws",status="101"} 1
bank_http_requests_total{method="OTHER",route="/v1/accounts/{id}",status="405"} 1
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "bank_http_requests_total"); err != nil {
		t.Fatal(err)
	}
	h := gather(t, reg)["bank_http_request_duration_seconds"]
	if h == nil {
		t.Fatal("no duration histogram")
	}
	var count uint64
	for _, m := range h.GetMetric() {
		count += m.GetHistogram().GetSampleCount()
		for _, l := range m.GetLabel() {
			if l.GetName() == "route" && l.GetValue() == "/v1/ws" {
				t.Error("a socket's upgrade was timed")
			}
		}
	}
	if count != 3 {
		t.Fatalf("%d requests timed; want 3", count)
	}

	done := a.RequestStarted()
	if got := testutil.ToFloat64(collector(t, reg, "bank_http_requests_in_flight")); got != 1 {
		t.Fatalf("in flight %v; want 1", got)
	}
	done()
	if got := testutil.ToFloat64(collector(t, reg, "bank_http_requests_in_flight")); got != 0 {
		t.Fatalf("in flight after the answer %v; want 0", got)
	}
}

// collector wraps one gathered family so testutil can read its single value.
func collector(t *testing.T, reg *prometheus.Registry, name string) prometheus.Collector {
	t.Helper()
	return prometheus.CollectorFunc(func(ch chan<- prometheus.Metric) {
		mf := gather(t, reg)[name]
		if mf == nil || len(mf.GetMetric()) != 1 {
			t.Fatalf("family %s: %v", name, mf)
		}
		m := mf.GetMetric()[0]
		v := m.GetGauge().GetValue() + m.GetCounter().GetValue()
		ch <- prometheus.MustNewConstMetric(prometheus.NewDesc(name, "", nil, nil), prometheus.UntypedValue, v)
	})
}

func TestAPI_LoginsSocketsAndReplays(t *testing.T) {
	reg := prometheus.NewRegistry()
	a := metrics.NewAPI(reg)
	a.LoginFailed("wrong_password")
	a.LoginFailed("wrong_password")
	a.LoginFailed("unknown_email")
	a.LoginLocked()
	closeFirst := a.SocketOpened()
	closeSecond := a.SocketOpened()
	closeFirst()
	a.Replayed("/v1/transfers")

	want := `
# HELP bank_login_failures_total Failed logins, by reason (unknown_email, wrong_password, locked, user_<status>); the client is told the same for each.
# TYPE bank_login_failures_total counter
bank_login_failures_total{reason="unknown_email"} 1
bank_login_failures_total{reason="wrong_password"} 2
# HELP bank_login_lockouts_total Logins locked after repeated failures, once per lock.
# TYPE bank_login_lockouts_total counter
bank_login_lockouts_total 1
# HELP bank_websocket_connections Live event sockets (GET /v1/ws) open on this process.
# TYPE bank_websocket_connections gauge
bank_websocket_connections 1
# HELP bank_idempotent_replays_total Requests answered with an earlier answer under the same Idempotency-Key (Idempotent-Replayed: true), by route pattern.
# TYPE bank_idempotent_replays_total counter
bank_idempotent_replays_total{route="/v1/transfers"} 1
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want),
		"bank_login_failures_total", "bank_login_lockouts_total", "bank_websocket_connections", "bank_idempotent_replays_total"); err != nil {
		t.Fatal(err)
	}
	closeSecond()
}

// Completed transfers count their amount; others count only their end. Every freeze outcome
// starts at zero, so a rate over it has a first point.
func TestLedger_TransfersAmountsAndFreezes(t *testing.T) {
	reg := prometheus.NewRegistry()
	l := metrics.NewLedger(reg)
	l.TransferEnded(domain.KindTransfer, domain.TransferCompleted, "USD", 2550)
	l.TransferEnded(domain.KindTransfer, domain.TransferCompleted, "USD", 450)
	l.TransferEnded(domain.KindTransfer, domain.TransferFailed, "USD", 99_999)
	l.TransferEnded(domain.KindDeposit, domain.TransferCompensated, "JPY", 7)
	l.FreezeChanged(domain.FreezeActive)

	want := `
# HELP bank_transfer_amount_minor_units_total Money moved by completed transfers, deposits and withdrawals, in minor units of each currency (cents for USD, yen for JPY).
# TYPE bank_transfer_amount_minor_units_total counter
bank_transfer_amount_minor_units_total{currency="USD",kind="transfer"} 3000
# HELP bank_transfers_total Transfers, deposits and withdrawals that ended, by kind, outcome (completed, failed, compensated) and currency; each counted once, as its end commits.
# TYPE bank_transfers_total counter
bank_transfers_total{currency="JPY",kind="deposit",status="compensated"} 1
bank_transfers_total{currency="USD",kind="transfer",status="completed"} 2
bank_transfers_total{currency="USD",kind="transfer",status="failed"} 1
# HELP bank_freezes_total Account freezes that came into force (active), ended (an admin's unfreeze or their end), or failed and were lifted; each counted once, as it commits.
# TYPE bank_freezes_total counter
bank_freezes_total{status="active"} 1
bank_freezes_total{status="ended"} 0
bank_freezes_total{status="failed"} 0
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want),
		"bank_transfers_total", "bank_transfer_amount_minor_units_total", "bank_freezes_total"); err != nil {
		t.Fatal(err)
	}
}

func TestMail_SentAndFailedByKind(t *testing.T) {
	reg := prometheus.NewRegistry()
	m := metrics.NewMail(reg)
	m.Sent(domain.NotificationWelcome.Email())
	m.Sent(domain.NotificationWelcome.Email())
	m.Failed(domain.EmailTaken)
	mfs := gather(t, reg)
	for name, want := range map[string]map[string]float64{
		"bank_emails_sent_total":   {"welcome": 2, "email_taken": 0},
		"bank_emails_failed_total": {"welcome": 0, "email_taken": 1},
	} {
		mf := mfs[name]
		if mf == nil || len(mf.GetMetric()) != len(domain.EmailKinds) {
			t.Fatalf("%s: %v; want a series for each of the %d kinds", name, mf, len(domain.EmailKinds))
		}
		for _, s := range mf.GetMetric() {
			kind := s.GetLabel()[0].GetValue()
			if v, ok := want[kind]; ok && s.GetCounter().GetValue() != v {
				t.Errorf("%s{kind=%q} = %v; want %v", name, kind, s.GetCounter().GetValue(), v)
			}
		}
	}
}

// Code built without metrics passes nil families: every method is then a no-op.
func TestNilFamilies_DoNothing(t *testing.T) {
	var a *metrics.API
	var l *metrics.Ledger
	var m *metrics.Mail
	var tm *metrics.Temporal
	a.RequestStarted()()
	a.Request("/", "GET", 200, time.Second)
	a.LoginFailed("x")
	a.LoginLocked()
	a.SocketOpened()()
	a.Replayed("/")
	l.TransferEnded(domain.KindTransfer, domain.TransferCompleted, "USD", 1)
	l.FreezeChanged(domain.FreezeActive)
	m.Sent(domain.EmailText)
	m.Failed(domain.EmailText)
	if err := tm.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// The pool's state is read at each scrape.
func TestPool_ReportsThePoolsState(t *testing.T) {
	cfg, err := pgxpool.ParseConfig("postgres://nobody@127.0.0.1:1/none?connect_timeout=1")
	if err != nil {
		t.Fatal(err)
	}
	cfg.MaxConns = 7
	pool, err := pgxpool.NewWithConfig(context.Background(), cfg) // connects lazily
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	reg := prometheus.NewRegistry()
	reg.MustRegister(metrics.NewPool(pool.Stat))
	if _, err := pool.Acquire(context.Background()); err == nil {
		t.Fatal("acquired a connection from nowhere")
	}
	want := `
# HELP bank_db_pool_max_connections The most connections the pool opens (DB_MAX_CONNS).
# TYPE bank_db_pool_max_connections gauge
bank_db_pool_max_connections 7
# HELP bank_db_pool_connections The pool's connections by state: acquired (in use), idle, or constructing.
# TYPE bank_db_pool_connections gauge
bank_db_pool_connections{state="acquired"} 0
bank_db_pool_connections{state="constructing"} 0
bank_db_pool_connections{state="idle"} 0
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "bank_db_pool_max_connections", "bank_db_pool_connections"); err != nil {
		t.Fatal(err)
	}
	if n := testutil.CollectAndCount(metrics.NewPool(pool.Stat)); n != 12 {
		t.Fatalf("%d series; want 12", n)
	}
	if problems, err := testutil.CollectAndLint(metrics.NewPool(pool.Stat)); err != nil || len(problems) > 0 {
		t.Fatalf("lint: %v %v", problems, err)
	}
}

// The SDK's counters, gauges and timers reach the registry under Prometheus's names: counters end
// in _total, timers are histograms in seconds over the latency buckets, and tags become labels.
func TestTemporal_SDKMetricsInTheRegistry(t *testing.T) {
	reg := prometheus.NewRegistry()
	tm, err := metrics.NewTemporal(reg, quiet)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = tm.Close(context.Background()) }()
	h := tm.Handler.WithTags(map[string]string{"task_queue": "bank", "workflow_type": "Transfer"})
	h.Counter("temporal_workflow_completed").Inc(2)
	h.Gauge("temporal_worker_task_slots_available").Update(61)
	h.Timer("temporal_workflow_endtoend_latency").Record(1500 * time.Millisecond)

	mfs := gather(t, reg)
	c := mfs["temporal_workflow_completed_total"]
	if c == nil || c.GetType() != dto.MetricType_COUNTER || c.GetMetric()[0].GetCounter().GetValue() != 2 {
		t.Fatalf("completed counter: %v", c)
	}
	labels := map[string]string{}
	for _, l := range c.GetMetric()[0].GetLabel() {
		labels[l.GetName()] = l.GetValue()
	}
	if labels["task_queue"] != "bank" || labels["workflow_type"] != "Transfer" || len(labels) != 2 {
		t.Fatalf("labels %v; want the tags only", labels)
	}
	if g := mfs["temporal_worker_task_slots_available"]; g == nil || g.GetType() != dto.MetricType_GAUGE || g.GetMetric()[0].GetGauge().GetValue() != 61 {
		t.Fatalf("slots gauge: %v", g)
	}
	lat := mfs["temporal_workflow_endtoend_latency_seconds"]
	if lat == nil || lat.GetType() != dto.MetricType_HISTOGRAM {
		t.Fatalf("latency histogram: %v", lat)
	}
	hist := lat.GetMetric()[0].GetHistogram()
	if hist.GetSampleSum() != 1.5 || len(hist.GetBucket()) != len(metrics.LatencyBuckets) {
		t.Fatalf("latency sum %v over %d buckets; want 1.5 over %d", hist.GetSampleSum(), len(hist.GetBucket()), len(metrics.LatencyBuckets))
	}
	for name := range mfs {
		if strings.HasPrefix(name, "target_info") || strings.HasPrefix(name, "otel_") {
			t.Errorf("exporter's own family %s in the registry", name)
		}
	}
}

// The metrics listener serves /metrics and nothing else.
func TestListen_ServesMetricsOnly(t *testing.T) {
	reg := metrics.NewRegistry()
	metrics.NewLedger(reg).TransferEnded(domain.KindTransfer, domain.TransferCompleted, "EUR", 5)
	s, err := metrics.Listen("127.0.0.1:0", reg, quiet, false)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = s.Close(context.Background()) }()
	get := func(path string) (int, string) {
		t.Helper()
		resp, err := http.Get("http://" + s.Addr() + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	code, body := get("/metrics")
	if code != 200 || !strings.Contains(body, `bank_transfers_total{currency="EUR",kind="transfer",status="completed"} 1`) ||
		!strings.Contains(body, "go_goroutines") || !strings.Contains(body, "process_cpu_seconds_total") {
		t.Fatalf("/metrics = %d:\n%s", code, body)
	}
	for _, path := range []string{"/", "/debug/pprof/", "/debug/pprof/cmdline"} {
		if code, _ := get(path); code != http.StatusNotFound {
			t.Fatalf("%s = %d; want 404", path, code)
		}
	}
	if _, err := metrics.Listen(s.Addr(), reg, quiet, false); err == nil {
		t.Fatal("a second listener on the same address started")
	}
}

// With profiles on (METRICS_PPROF=true), the listener also serves Go's runtime profiles.
func TestListen_ServesProfilesWhenAsked(t *testing.T) {
	s, err := metrics.Listen("127.0.0.1:0", metrics.NewRegistry(), quiet, true)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = s.Close(context.Background()) }()
	for path, want := range map[string]string{"/debug/pprof/": "goroutine", "/debug/pprof/goroutine?debug=1": "goroutine profile:", "/metrics": "go_goroutines"} {
		resp, err := http.Get("http://" + s.Addr() + path)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !strings.Contains(string(b), want) {
			t.Errorf("%s = %d, want 200 with %q:\n%.300s", path, resp.StatusCode, want, b)
		}
	}
}

// Every family the bank defines follows Prometheus's naming and help conventions.
func TestFamilies_PassPrometheusLint(t *testing.T) {
	reg := prometheus.NewRegistry()
	a, l, m := metrics.NewAPI(reg), metrics.NewLedger(reg), metrics.NewMail(reg)
	a.Request("/v1/me", "GET", 200, time.Millisecond)
	a.LoginFailed("locked")
	a.Replayed("/v1/transfers")
	l.TransferEnded(domain.KindTransfer, domain.TransferCompleted, "USD", 1)
	m.Sent(domain.EmailText)
	problems, err := testutil.GatherAndLint(reg)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("%s: %s", p.Metric, p.Text)
	}
}
