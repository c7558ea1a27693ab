package grafana_test

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/bankforge/bank/dev/composefile"
	"github.com/bankforge/bank/dev/grafana"
)

func TestMetricNames(t *testing.T) {
	for expr, want := range map[string][]string{
		`sum by (status) (rate(bank_transfers_total{status=~"failed|compensated", kind!="x"}[$__rate_interval]))`: {"bank_transfers_total"},
		`histogram_quantile(0.99, sum by (le, route) (rate(bank_http_request_duration_seconds_bucket[5m])))`:      {"bank_http_request_duration_seconds_bucket"},
		`sum(bank_db_pool_connections{state="acquired"}) / sum(bank_db_pool_max_connections) * 1e2`:               {"bank_db_pool_connections", "bank_db_pool_max_connections"},
		`rate(a_total[1m]) and on(instance) group_left(service) b > bool 0 or vector(0) offset 5m`:                {"a_total", "b"},
		`sum without (instance) (temporal_worker_task_slots_used{worker_type="LocalActivityWorker"})`:             {"temporal_worker_task_slots_used"},
		`changes(process_start_time_seconds{job=~"${job}"}[1h])`:                                                  {"process_start_time_seconds"},
		`label_replace(up_total, "dst", "$1", "src", "(.*)")`:                                                     {"up_total"},
		`1 - (x_total / ignoring(kind) y_total)`:                                                                  {"x_total", "y_total"},
		`sum(rate(m_total[$__rate_interval])) by (kind)`:                                                          {"m_total"},
	} {
		if got := grafana.MetricNames(expr); !slices.Equal(got, want) {
			t.Errorf("MetricNames(%s) = %v; want %v", expr, got, want)
		}
	}
}

// The bank's dashboard is well formed: every panel queries the provisioned Prometheus data source,
// and every query names at least one of the bank's, the Temporal SDK's or the process's metrics.
func TestBankDashboard_QueriesTheProvisionedPrometheus(t *testing.T) {
	d, err := grafana.Load(filepath.Join("..", "..", "deploy", "grafana", "dashboards", "bank.json"))
	if err != nil {
		t.Fatal(err)
	}
	if d.UID == "" || d.Title == "" {
		t.Fatalf("dashboard uid %q title %q", d.UID, d.Title)
	}
	panels := d.AllPanels()
	if len(panels) < 10 {
		t.Fatalf("%d panels", len(panels))
	}
	ids := map[int]bool{}
	for _, p := range panels {
		if ids[p.ID] {
			t.Errorf("panel id %d twice", p.ID)
		}
		ids[p.ID] = true
		if p.Type == "text" {
			continue
		}
		if p.Datasource == nil || p.Datasource.UID != "prometheus" {
			t.Errorf("panel %q queries %+v; want the provisioned data source (uid prometheus)", p.Title, p.Datasource)
		}
		if len(p.Targets) == 0 {
			t.Errorf("panel %q has no query", p.Title)
		}
	}
	for _, q := range d.Queries() {
		names := grafana.MetricNames(q.Expr)
		if len(names) == 0 {
			t.Errorf("%s: %q names no metric", q.Where, q.Expr)
		}
		for _, n := range names {
			if !strings.HasPrefix(n, "bank_") && !strings.HasPrefix(n, "temporal_") && !strings.HasPrefix(n, "process_") && !strings.HasPrefix(n, "go_") {
				t.Errorf("%s: %q is none of the bank's metrics", q.Where, n)
			}
		}
	}
}

// The compose stack provisions Grafana with the Prometheus it runs and with this dashboard, and
// Prometheus with its configuration; Grafana's admin password comes from the operator.
func TestCompose_GrafanaAndPrometheusAreProvisioned(t *testing.T) {
	root := filepath.Join("..", "..")
	f, err := composefile.Load(filepath.Join(root, "docker-compose.yml"))
	if err != nil {
		t.Fatal(err)
	}
	mounts := func(service string) map[string]string {
		t.Helper()
		svc, ok := f.Services[service]
		if !ok {
			t.Fatalf("no %s service", service)
		}
		out := map[string]string{}
		for _, v := range svc.Volumes {
			parts := strings.Split(v, ":")
			if len(parts) >= 2 {
				out[parts[0]] = parts[1]
			}
		}
		return out
	}

	prom := mounts("prometheus")
	config := prom["./deploy/prometheus/prometheus.yml"]
	if config == "" || !slices.Contains(f.Services["prometheus"].Command, "--config.file="+config) {
		t.Errorf("prometheus mounts its configuration at %q and runs %v", config, f.Services["prometheus"].Command)
	}

	graf := mounts("grafana")
	if graf["./deploy/grafana/provisioning"] != "/etc/grafana/provisioning" {
		t.Errorf("grafana mounts the provisioning at %q; want /etc/grafana/provisioning", graf["./deploy/grafana/provisioning"])
	}
	var provider struct {
		Providers []struct {
			Options struct {
				Path string `yaml:"path"`
			} `yaml:"options"`
		} `yaml:"providers"`
	}
	readYAML(t, filepath.Join(root, "deploy", "grafana", "provisioning", "dashboards", "bank.yml"), &provider)
	if len(provider.Providers) != 1 || provider.Providers[0].Options.Path != graf["./deploy/grafana/dashboards"] || graf["./deploy/grafana/dashboards"] == "" {
		t.Errorf("grafana loads dashboards from %+v but mounts them at %q", provider.Providers, graf["./deploy/grafana/dashboards"])
	}
	var sources struct {
		Datasources []struct {
			UID  string `yaml:"uid"`
			Type string `yaml:"type"`
			URL  string `yaml:"url"`
		} `yaml:"datasources"`
	}
	readYAML(t, filepath.Join(root, "deploy", "grafana", "provisioning", "datasources", "prometheus.yml"), &sources)
	if len(sources.Datasources) != 1 || sources.Datasources[0].UID != "prometheus" || sources.Datasources[0].Type != "prometheus" ||
		sources.Datasources[0].URL != "http://prometheus:9090" {
		t.Errorf("grafana's data sources %+v; want the prometheus service under uid prometheus, which the dashboard names", sources.Datasources)
	}
	env := f.Services["grafana"].Environment
	if pw := env["GF_SECURITY_ADMIN_PASSWORD"]; !strings.HasPrefix(pw, "${") || !strings.Contains(pw, ":?") {
		t.Errorf("grafana's admin password is %q; want it required from the operator's environment", pw)
	}
	if home := env["GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH"]; home != graf["./deploy/grafana/dashboards"]+"/bank.json" {
		t.Errorf("grafana's home dashboard %q is not the bank's", home)
	}
	if f.Services["grafana"].DependsOn["prometheus"]["condition"] != "service_healthy" {
		t.Error("grafana does not wait for prometheus")
	}
}

func readYAML(t *testing.T, path string, v any) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(b, v); err != nil {
		t.Fatalf("parse %s: %v", path, err)
	}
}
