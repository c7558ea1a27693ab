package main

import (
	"maps"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bankforge/bank/dev/composefile"
)

// payloadKeys is a payload key as `echo "k1:$(openssl rand -base64 32)"` prints one.
const payloadKeys = "k1:q8Xv3kN0tR7bW1yZ5cF9hJ2mP6sD4gL8uE0aT3iQ7oY="

func TestLoadConfig_RefusesBadValues(t *testing.T) {
	_, err := loadConfig((&composefile.Recorder{Env: map[string]string{"MAIL_MODE": "pigeon", "HOLD_TTL": "1s"}}).Lookup)
	if err == nil || !strings.Contains(err.Error(), "MAIL_MODE") || !strings.Contains(err.Error(), "HOLD_TTL") {
		t.Fatalf("bad values: %v; want both named", err)
	}
}

// The mail settings are checked at start: a worker that could not send refuses to run.
func TestLoadConfig_RefusesBadMailSettings(t *testing.T) {
	for name, c := range map[string]struct {
		env  map[string]string
		want string
	}{
		"tls mode":        {map[string]string{"SMTP_TLS": "sometimes"}, "SMTP_TLS"},
		"connect timeout": {map[string]string{"SMTP_CONNECT_TIMEOUT": "1ms"}, "SMTP_CONNECT_TIMEOUT"},
		"attempts":        {map[string]string{"MAIL_MAX_ATTEMPTS": "0"}, "MAIL_MAX_ATTEMPTS"},
		"login half":      {map[string]string{"SMTP_USERNAME": "bank"}, "SMTP_USERNAME and SMTP_PASSWORD"},
		"bank name":       {map[string]string{"BANK_NAME": "Bank\nBcc: x@example.com"}, "BANK_NAME"},
		"sender":          {map[string]string{"MAIL_MODE": "smtp", "MAIL_FROM": "Bank <bank@example.com>"}, "MAIL_FROM"},
		"address":         {map[string]string{"MAIL_MODE": "smtp", "SMTP_ADDR": "mail.example.com"}, "SMTP_ADDR"},
	} {
		_, err := loadConfig((&composefile.Recorder{Env: c.env}).Lookup)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v; want an error naming %s", name, err, c.want)
		}
	}
	cfg, err := loadConfig((&composefile.Recorder{Env: map[string]string{
		"PAYLOAD_CODEC_KEYS": payloadKeys, "MAIL_MODE": "smtp", "SMTP_ADDR": "smtp.example.com:465", "SMTP_TLS": "tls", "SMTP_USERNAME": "bank",
		"SMTP_PASSWORD": "secret", "MAIL_FROM": "no-reply@bank.example", "BANK_NAME": "Banco Ñandú",
	}}).Lookup)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Worker.SMTP.FromName != "Banco Ñandú" || cfg.Worker.SMTP.TLS != "tls" || cfg.Worker.EmailRetry.MaxAttempts != 10 {
		t.Fatalf("settings %+v", cfg.Worker)
	}
	for _, v := range cfg.Worker.LogAttrs() {
		if v == "secret" {
			t.Fatal("the start-up log shows the SMTP password")
		}
	}
}

// The compose stack gives the worker the variables it reads, pointing at healthy services.
func TestCompose_WorkerService(t *testing.T) {
	f, err := composefile.Load(filepath.Join("..", "docker-compose.yml"))
	if err != nil {
		t.Fatal(err)
	}
	metricsAddrs := map[string]string{}
	for _, name := range []string{"worker-1", "worker-2"} {
		metricsAddrs[name] = checkWorkerService(t, name, f.Services[name])
	}
	// Prometheus scrapes each worker's metrics on the compose network, where it serves them.
	scrape, err := composefile.LoadScrapeConfig(filepath.Join("..", "deploy", "prometheus", "prometheus.yml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range f.ScrapeProblems(scrape, "bank-worker", metricsAddrs) {
		t.Error(p)
	}
}

// checkWorkerService checks the compose service name of a worker and returns where it serves its
// metrics.
func checkWorkerService(t *testing.T, name string, svc composefile.Service) string {
	t.Helper()
	if svc.Image != "bank-worker:local" {
		t.Fatalf("no %s service of the worker's image", name)
	}
	r := &composefile.Recorder{Env: maps.Clone(svc.Environment)}
	r.Env["PAYLOAD_CODEC_KEYS"] = payloadKeys // compose takes it from the operator's environment
	cfg, err := loadConfig(r.Lookup)
	if err != nil {
		t.Fatalf("%s refuses the compose configuration: %v", name, err)
	}
	for key := range svc.Environment {
		if !r.Read[key] {
			t.Errorf("%s sets %s, which it never reads", name, key)
		}
	}
	for key, host := range map[string]string{"DATABASE_URL": "@postgres:", "MONGO_URI": "//mongo:", "TEMPORAL_ADDRESS": "temporal:", "SMTP_ADDR": "mailpit:"} {
		if !strings.Contains(svc.Environment[key], host) {
			t.Errorf("%s's %s = %q does not point at its service", name, key, svc.Environment[key])
		}
	}
	if svc.Environment["MAIL_MODE"] != "smtp" {
		t.Errorf("%s does not send real email", name)
	}
	for _, dep := range []string{"postgres", "mongo", "temporal", "mailpit"} {
		if svc.DependsOn[dep]["condition"] != "service_healthy" {
			t.Errorf("%s does not wait for %s to be healthy", name, dep)
		}
	}
	return cfg.MetricsAddr
}

// The worker serves its metrics on 127.0.0.1:9092 unless METRICS_ADDR says otherwise (the API's
// default is 9091: both run on one machine under make dev); empty or off turns them off.
func TestLoadConfig_MetricsAddr(t *testing.T) {
	for env, want := range map[string]string{"unset": "127.0.0.1:9092", "": "", "off": "", ":9092": ":9092"} {
		vars := map[string]string{"PAYLOAD_CODEC_KEYS": payloadKeys, "METRICS_ADDR": env}
		if env == "unset" {
			delete(vars, "METRICS_ADDR")
		}
		cfg, err := loadConfig((&composefile.Recorder{Env: vars}).Lookup)
		if err != nil || cfg.MetricsAddr != want {
			t.Errorf("METRICS_ADDR=%q: %q, %v; want %q", env, cfg.MetricsAddr, err, want)
		}
	}
	if _, err := loadConfig((&composefile.Recorder{Env: map[string]string{"PAYLOAD_CODEC_KEYS": payloadKeys, "METRICS_ADDR": "127.0.0.1"}}).Lookup); err == nil || !strings.Contains(err.Error(), "METRICS_ADDR") {
		t.Fatalf("METRICS_ADDR without a port: %v; want an error naming it", err)
	}
}

// Without payload keys the worker refuses to start, unless told to keep payloads in clear; the
// api's and the worker's keys come from the same variable.
func TestLoadConfig_PayloadCodecKeys(t *testing.T) {
	if _, err := loadConfig((&composefile.Recorder{Env: map[string]string{}}).Lookup); err == nil || !strings.Contains(err.Error(), "PAYLOAD_CODEC_KEYS") {
		t.Fatalf("no keys: %v; want an error naming PAYLOAD_CODEC_KEYS", err)
	}
	cfg, err := loadConfig((&composefile.Recorder{Env: map[string]string{"PAYLOAD_CODEC_KEYS": payloadKeys}}).Lookup)
	if err != nil || len(cfg.Backends.PayloadKeys) != 1 || cfg.Backends.PayloadKeys[0].ID != "k1" {
		t.Fatalf("keys %v, %v", cfg.Backends.PayloadKeys, err)
	}
}
