package e2e

import (
	"context"
	"maps"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/google/uuid"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/bankforge/bank/dev/grafana"
	"github.com/bankforge/bank/dev/testenv"
	"github.com/bankforge/bank/domain"
)

// scrape reads a process's /metrics as Prometheus does.
func scrape(t *testing.T, url string) map[string]*dto.MetricFamily {
	t.Helper()
	if url == "" {
		t.Fatal("the process serves no metrics")
	}
	resp, err := http.Get(url)
	if err != nil {
		t.Fatalf("scrape %s: %v", url, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("scrape %s: %s", url, resp.Status)
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	mfs, err := parser.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("scrape %s: %v", url, err)
	}
	return mfs
}

// sample is the value of the series of family name whose labels include want (a counter's or
// gauge's value, a histogram's count), summed over the series that match; 0 when none does.
func sample(mfs map[string]*dto.MetricFamily, name string, want map[string]string) float64 {
	sum := 0.0
	for _, m := range mfs[name].GetMetric() {
		labels := map[string]string{}
		for _, l := range m.GetLabel() {
			labels[l.GetName()] = l.GetValue()
		}
		match := true
		for k, v := range want {
			match = match && labels[k] == v
		}
		if match {
			sum += m.GetCounter().GetValue() + m.GetGauge().GetValue() + float64(m.GetHistogram().GetSampleCount())
		}
	}
	return sum
}

// The families each process reports: the API's requests and users; the worker's transfer
// outcomes and emails; both processes' freezes (the worker's workflows apply them, an admin's
// unfreeze through the API ends them), pool and runtime; and the Temporal SDK's (the API's client
// requests; the worker's workflows, activities, polls and slots).
var (
	bothFamilies = []string{
		"bank_freezes_total",
		"bank_db_pool_connections", "bank_db_pool_max_connections", "bank_db_pool_acquires_total",
		"bank_db_pool_empty_acquire_wait_seconds_total",
		"temporal_request_total", "temporal_request_latency_seconds",
		"go_goroutines", "process_cpu_seconds_total", "process_start_time_seconds",
	}
	apiFamilies = []string{
		"bank_http_requests_total", "bank_http_request_duration_seconds", "bank_http_requests_in_flight",
		"bank_login_failures_total", "bank_login_lockouts_total", "bank_websocket_connections",
		"bank_idempotent_replays_total",
	}
	workerFamilies = []string{
		"bank_transfers_total", "bank_transfer_amount_minor_units_total",
		"bank_emails_sent_total", "bank_emails_failed_total",
		"temporal_workflow_completed_total", "temporal_workflow_endtoend_latency_seconds",
		"temporal_workflow_task_schedule_to_start_latency_seconds", "temporal_workflow_task_execution_latency_seconds",
		"temporal_workflow_task_queue_poll_succeed_total",
		"temporal_activity_schedule_to_start_latency_seconds", "temporal_activity_execution_latency_seconds",
		"temporal_local_activity_execution_latency_seconds", "temporal_local_activity_execution_failed_total",
		"temporal_worker_task_slots_available", "temporal_worker_task_slots_used", "temporal_num_pollers",
		"temporal_sticky_cache_size",
	}
)

// The api and the worker each serve /metrics on a listener of their own. After a deposit, a
// transfer that completes, its replay, one refused, a failed login, a live socket and a freeze
// lifted by an admin, each process reports every family of its own, the ledger's counters moved
// by exactly what happened (each end once, in the one currency no other test moves: JPY), and
// every metric the Grafana dashboard queries is in the scrapes.
func TestMetrics_EachProcessReportsItsFamiliesAndTheDashboardsMetrics(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	workerBefore, apiBefore := scrape(t, sys.WorkerMetricsURL), scrape(t, sys.APIMetricsURL)
	jpy := func(kind domain.TransferKind, status domain.TransferStatus) map[string]string {
		return map[string]string{"kind": string(kind), "status": string(status), "currency": "JPY"}
	}

	alice, bob := register(t, "JPY"), register(t, "JPY")
	depositTo(t, alice.account, 10_000)
	socket, resp, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(sys.Stack.APIURL, "http")+"/v1/ws",
		&websocket.DialOptions{Subprotocols: []string{"bearer", alice.c.Token}})
	if err != nil {
		t.Fatalf("socket: %v (%v)", err, resp)
	}
	defer socket.CloseNow()

	key := "metrics-" + uuid.NewString()
	paid, _, err := alice.c.Transfer(ctx, alice.account.ID, bob.account.ID, 2_500, "JPY", key)
	if err != nil || waitTransfer(t, alice.c, paid.ID).Status != domain.TransferCompleted {
		t.Fatalf("transfer: %v", err)
	}
	if _, resp, err := alice.c.Transfer(ctx, alice.account.ID, bob.account.ID, 2_500, "JPY", key); err != nil || resp.Header.Get("Idempotent-Replayed") != "true" {
		t.Fatalf("replay: %v", err)
	}
	refused, _, err := alice.c.Transfer(ctx, alice.account.ID, bob.account.ID, 50_000, "JPY", "metrics-"+uuid.NewString())
	if err != nil || waitTransfer(t, alice.c, refused.ID).Status != domain.TransferFailed {
		t.Fatalf("refused transfer: %v", err)
	}
	if _, err := sys.API.Login(ctx, alice.email, "not-the-Password-1"); err == nil {
		t.Fatal("logged in with a wrong password")
	}
	adm := admin(t)
	freezeAccount(t, adm, bob.account.ID, map[string]any{"reason": "customer_request", "scope": "debit"})
	eventually(t, 30*time.Second, "the freeze is not in force", func() bool {
		f := currentFreeze(t, adm, bob.account.ID)
		return f != nil && f.Status == domain.FreezeActive
	})
	if _, err := adm.JSON(ctx, "POST", "/v1/admin/accounts/"+bob.account.ID+"/unfreeze", map[string]any{"note": "cleared"}, nil, nil); err != nil {
		t.Fatalf("unfreeze: %v", err)
	}
	// The outbox's schedule runs every second: alice's transfer_sent goes out.
	sent := map[string]string{"kind": string(domain.NotificationTransferSent.Email())}
	eventually(t, 30*time.Second, "no transfer_sent email counted", func() bool {
		return sample(scrape(t, sys.WorkerMetricsURL), "bank_emails_sent_total", sent) > sample(workerBefore, "bank_emails_sent_total", sent)
	})

	worker, api := scrape(t, sys.WorkerMetricsURL), scrape(t, sys.APIMetricsURL)
	for process, c := range map[string]struct {
		mfs  map[string]*dto.MetricFamily
		want []string
	}{
		"api":    {api, append(slices.Clone(bothFamilies), apiFamilies...)},
		"worker": {worker, append(slices.Clone(bothFamilies), workerFamilies...)},
	} {
		for _, name := range c.want {
			if len(c.mfs[name].GetMetric()) == 0 {
				t.Errorf("the %s reports no %s", process, name)
			}
		}
	}
	for _, name := range apiFamilies {
		if _, ok := worker[name]; ok {
			t.Errorf("the worker reports the API's %s", name)
		}
	}

	delta := func(after, before map[string]*dto.MetricFamily, name string, labels map[string]string) float64 {
		return sample(after, name, labels) - sample(before, name, labels)
	}
	for _, c := range []struct {
		what          string
		after, before map[string]*dto.MetricFamily
		name          string
		labels        map[string]string
		want          float64
	}{
		{"deposits completed", worker, workerBefore, "bank_transfers_total", jpy(domain.KindDeposit, domain.TransferCompleted), 1},
		{"transfers completed", worker, workerBefore, "bank_transfers_total", jpy(domain.KindTransfer, domain.TransferCompleted), 1},
		{"transfers failed", worker, workerBefore, "bank_transfers_total", jpy(domain.KindTransfer, domain.TransferFailed), 1},
		{"yen moved", worker, workerBefore, "bank_transfer_amount_minor_units_total", map[string]string{"currency": "JPY"}, 12_500},
		{"transfers the API ended", api, apiBefore, "bank_transfers_total", map[string]string{"currency": "JPY"}, 0},
	} {
		if got := delta(c.after, c.before, c.name, c.labels); got != c.want {
			t.Errorf("%s: %s%v moved by %v; want %v", c.what, c.name, c.labels, got, c.want)
		}
	}
	for _, c := range []struct {
		what          string
		after, before map[string]*dto.MetricFamily
		name          string
		labels        map[string]string
	}{
		{"freezes in force (the worker's)", worker, workerBefore, "bank_freezes_total", map[string]string{"status": "active"}},
		{"freezes ended (the API's unfreeze)", api, apiBefore, "bank_freezes_total", map[string]string{"status": "ended"}},
		{"wrong passwords", api, apiBefore, "bank_login_failures_total", map[string]string{"reason": "wrong_password"}},
		{"replays", api, apiBefore, "bank_idempotent_replays_total", map[string]string{"route": "/v1/transfers"}},
		{"transfers posted", api, apiBefore, "bank_http_requests_total", map[string]string{"route": "/v1/transfers", "method": "POST", "status": "202"}},
		{"Transfer workflows completed", worker, workerBefore, "temporal_workflow_completed_total", map[string]string{"workflow_type": "Transfer"}},
		{"refused steps", worker, workerBefore, "temporal_local_activity_execution_failed_total", map[string]string{"activity_type": "PlaceHold"}},
	} {
		if got := delta(c.after, c.before, c.name, c.labels); got < 1 {
			t.Errorf("%s: %s%v moved by %v; want at least 1", c.what, c.name, c.labels, got)
		}
	}
	if open := sample(api, "bank_websocket_connections", nil); open < 1 {
		t.Errorf("%v live sockets counted with alice's open", open)
	}
	for name := range api {
		if strings.Contains(name, "http_request") {
			for _, m := range api[name].GetMetric() {
				for _, l := range m.GetLabel() {
					if l.GetName() == "route" && (strings.Contains(l.GetValue(), paid.ID) || strings.Contains(l.GetValue(), bob.account.ID)) {
						t.Errorf("%s names a raw path: %s", name, l.GetValue())
					}
				}
			}
		}
	}

	// Every metric the dashboard queries is in one of the scrapes.
	d, err := grafana.Load(filepath.Join(testenv.RepoRoot(t), "deploy", "grafana", "dashboards", "bank.json"))
	if err != nil {
		t.Fatal(err)
	}
	scraped := maps.Clone(api)
	maps.Copy(scraped, worker)
	checked := 0
	for _, q := range d.Queries() {
		for _, name := range grafana.MetricNames(q.Expr) {
			checked++
			if !reported(scraped, name) {
				t.Errorf("the dashboard's %s queries %s, which neither process reports", q.Where, name)
			}
		}
	}
	if checked == 0 {
		t.Fatal("the dashboard queries no metric")
	}
	// Negative control: a name no process reports is caught, a histogram's series are not.
	if reported(scraped, "bank_transfer_total") || reported(scraped, "bank_transfers_total_bucket") || !reported(scraped, "bank_http_request_duration_seconds_bucket") {
		t.Fatal("the check does not tell reported metrics from others")
	}
	t.Logf("api families: %s", strings.Join(slices.Sorted(maps.Keys(api)), " "))
	t.Logf("worker families: %s", strings.Join(slices.Sorted(maps.Keys(worker)), " "))
}

// reported says whether the series name is in the scraped families: a family's own, or a
// histogram's _bucket, _sum or _count.
func reported(mfs map[string]*dto.MetricFamily, name string) bool {
	if _, ok := mfs[name]; ok {
		return true
	}
	for _, suffix := range []string{"_bucket", "_sum", "_count"} {
		if base, ok := strings.CutSuffix(name, suffix); ok && mfs[base].GetType() == dto.MetricType_HISTOGRAM {
			return true
		}
	}
	return false
}
