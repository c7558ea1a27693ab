package main

import (
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/bankforge/bank/dev/composefile"
)

// randomLookingSecret is what `openssl rand -base64 48` prints.
const randomLookingSecret = "kT3w9Qz7LbV1xR5mYc8NfA2hJ6sD0pUe4GiWvXoKqZ/tBnMyE+rH1aC7dF9gL3jS"

// payloadKeys is a payload key as `echo "k1:$(openssl rand -base64 32)"` prints one.
const payloadKeys = "k1:q8Xv3kN0tR7bW1yZ5cF9hJ2mP6sD4gL8uE0aT3iQ7oY="

// A missing, short or guessable secret stops the API before it starts.
func TestLoadConfig_RefusesMissingOrShortSecret(t *testing.T) {
	for name, env := range map[string]map[string]string{
		"missing":          {},
		"short":            {"JWT_SECRET": "too-short"},
		"repeated":         {"JWT_SECRET": strings.Repeat("s", 48)},
		"a repeated word":  {"JWT_SECRET": strings.Repeat("password", 6)},
		"words and digits": {"JWT_SECRET": "secret-secret-secret-secret-2026"},
	} {
		_, err := loadConfig((&composefile.Recorder{Env: env}).Lookup)
		if err == nil || !strings.Contains(err.Error(), "JWT_SECRET") {
			t.Errorf("%s secret: %v; want an error naming JWT_SECRET", name, err)
		}
	}
	_, err := loadConfig((&composefile.Recorder{Env: map[string]string{
		"JWT_SECRET": randomLookingSecret, "PAYLOAD_CODEC_KEYS": payloadKeys, "ACCESS_TOKEN_TTL": "forever", "LOGIN_LOCK_THRESHOLD": "0",
	}}).Lookup)
	if err == nil || !strings.Contains(err.Error(), "ACCESS_TOKEN_TTL") || !strings.Contains(err.Error(), "LOGIN_LOCK_THRESHOLD") {
		t.Fatalf("bad values: %v; want both named", err)
	}
	if _, err := loadConfig((&composefile.Recorder{Env: map[string]string{"JWT_SECRET": randomLookingSecret, "PAYLOAD_CODEC_KEYS": payloadKeys, "TRUSTED_PROXIES": "10.0.0.0/8, not-a-prefix"}}).Lookup); err == nil || !strings.Contains(err.Error(), "TRUSTED_PROXIES") {
		t.Fatalf("bad TRUSTED_PROXIES: %v; want it named", err)
	}
	if _, err := loadConfig((&composefile.Recorder{Env: map[string]string{"JWT_SECRET": randomLookingSecret, "PAYLOAD_CODEC_KEYS": payloadKeys}}).Lookup); err != nil {
		t.Fatalf("defaults: %v", err)
	}
}

// The compose stack gives the api the variables it reads, pointing at services that exist and are
// healthy before it starts.
func TestCompose_APIService(t *testing.T) {
	f, err := composefile.Load(filepath.Join("..", "..", "docker-compose.yml"))
	if err != nil {
		t.Fatal(err)
	}
	metricsAddrs := map[string]string{}
	for _, name := range apiReplicas {
		checkService(t, f, name, func(env map[string]string) *composefile.Recorder {
			r := &composefile.Recorder{Env: env}
			// Compose takes the secrets from the operator's environment.
			r.Env["JWT_SECRET"] = randomLookingSecret
			r.Env["PAYLOAD_CODEC_KEYS"] = payloadKeys
			cfg, err := loadConfig(r.Lookup)
			if err != nil {
				t.Fatalf("%s refuses the compose configuration: %v", name, err)
			}
			metricsAddrs[name] = cfg.MetricsAddr
			// Eager start, the fastest safe configuration, with the worker's way of sending mail:
			// the replica's eager worker may run any task of the queue, an email delivery too.
			if !cfg.API.EagerStart {
				t.Errorf("%s does not start transfers eagerly", name)
			}
			worker := f.Services["worker-1"].Environment
			for _, v := range []string{"MAIL_MODE", "SMTP_ADDR", "SMTP_TLS", "MAIL_FROM", "BANK_NAME"} {
				if env[v] != worker[v] {
					t.Errorf("%s has %s=%q, the worker %q", name, v, env[v], worker[v])
				}
			}
			return r
		})
	}
	// Prometheus scrapes each replica's metrics on the compose network, where it serves them.
	scrape, err := composefile.LoadScrapeConfig(filepath.Join("..", "..", "deploy", "prometheus", "prometheus.yml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range f.ScrapeProblems(scrape, "bank-api", metricsAddrs) {
		t.Error(p)
	}
}

// The API replicas of the compose stack; the proxy spreads requests over them.
var apiReplicas = []string{"api-1", "api-2"}

// The proxy sends requests to every API replica and to nothing else, on the port the API listens
// on, and the replicas trust its address, and no other, for the client's.
func TestCompose_ProxyReachesEveryAPIReplica(t *testing.T) {
	f, err := composefile.Load(filepath.Join("..", "..", "docker-compose.yml"))
	if err != nil {
		t.Fatal(err)
	}
	proxy, ok := f.Services["proxy"]
	if !ok {
		t.Fatal("no proxy service")
	}
	caddyfile := ""
	for _, v := range proxy.Volumes {
		if host, container, ok := strings.Cut(v, ":"); ok && strings.HasPrefix(container, "/etc/caddy/Caddyfile") {
			caddyfile = host
		}
	}
	if caddyfile == "" {
		t.Fatal("the proxy mounts no Caddyfile")
	}
	b, err := os.ReadFile(filepath.Join("..", "..", caddyfile))
	if err != nil {
		t.Fatal(err)
	}
	var upstreams []string
	for _, line := range strings.Split(string(b), "\n") {
		if fields := strings.Fields(line); len(fields) > 1 && fields[0] == "reverse_proxy" {
			upstreams = append(upstreams, strings.TrimSuffix(strings.Join(fields[1:], " "), " {"))
		}
	}
	if len(upstreams) != 1 {
		t.Fatalf("the Caddyfile has %d reverse_proxy directives; want 1", len(upstreams))
	}
	var want []string
	for name, svc := range f.Services {
		if svc.Image == "bank-api:local" {
			_, port, _ := strings.Cut(svc.Environment["HTTP_ADDR"], ":")
			want = append(want, name+":"+port)
		}
	}
	sort.Strings(want)
	got := strings.Fields(upstreams[0])
	sort.Strings(got)
	if strings.Join(got, " ") != strings.Join(want, " ") || len(want) != len(apiReplicas) {
		t.Fatalf("the proxy reaches %v; the API replicas are %v", got, want)
	}
	var address string
	for _, n := range proxy.Networks {
		address = n.IPv4Address
	}
	if address == "" {
		t.Fatal("the proxy has no fixed address for the replicas to trust")
	}
	for _, name := range apiReplicas {
		if got := f.Services[name].Environment["TRUSTED_PROXIES"]; got != address+"/32" {
			t.Errorf("%s trusts %q for forwarded addresses; want the proxy's %s/32", name, got, address)
		}
	}
}

func checkService(t *testing.T, f composefile.File, name string, load func(map[string]string) *composefile.Recorder) {
	t.Helper()
	svc, ok := f.Services[name]
	if !ok {
		t.Fatalf("no %s service", name)
	}
	for _, need := range []string{"postgres", "mongo", "temporal", "temporal-ui", "mailpit", "api-1", "api-2", "worker-1", "worker-2", "proxy", "prometheus", "grafana"} {
		s, ok := f.Services[need]
		if !ok {
			t.Errorf("no %s service", need)
		} else if s.Healthcheck == nil || len(s.Healthcheck.Test) == 0 {
			t.Errorf("service %s has no healthcheck", need)
		}
	}
	r := load(svc.Environment)
	for key := range svc.Environment {
		if !r.Read[key] {
			t.Errorf("%s sets %s, which it never reads", name, key)
		}
	}
	for key, host := range map[string]string{"DATABASE_URL": "@postgres:", "MONGO_URI": "//mongo:", "TEMPORAL_ADDRESS": "temporal:"} {
		if !strings.Contains(svc.Environment[key], host) {
			t.Errorf("%s's %s = %q does not point at the %s service", name, key, svc.Environment[key], host)
		}
	}
	for _, dep := range []string{"postgres", "mongo", "temporal"} {
		if svc.DependsOn[dep]["condition"] != "service_healthy" {
			t.Errorf("%s does not wait for %s to be healthy", name, dep)
		}
	}
}

// Only the proxy in front of the API is published on every interface; the operator tools, which
// have no authentication of their own, listen on the host's loopback only, and the API replicas
// are reached through the proxy.
func TestCompose_OnlyTheAPIIsPublished(t *testing.T) {
	f, err := composefile.Load(filepath.Join("..", "..", "docker-compose.yml"))
	if err != nil {
		t.Fatal(err)
	}
	published := 0
	for name, svc := range f.Services {
		for _, port := range svc.Ports {
			published++
			if name == "proxy" {
				continue
			}
			if !strings.HasPrefix(port, "127.0.0.1:") {
				t.Errorf("service %s publishes %q on every interface; bind it to 127.0.0.1", name, port)
			}
		}
	}
	if published == 0 {
		t.Fatal("the compose file publishes no port")
	}
}

// The cash settings take CODE=AMOUNT pairs over the defaults, which cover every currency; a bad
// pair or lifetime stops the API, naming its variable.
func TestLoadConfig_CashSettings(t *testing.T) {
	cfg, err := loadConfig((&composefile.Recorder{Env: map[string]string{"JWT_SECRET": randomLookingSecret, "PAYLOAD_CODEC_KEYS": payloadKeys,
		"CASH_APPROVAL_THRESHOLDS": "USD=500000", "ADMIN_DAILY_CASH_LIMITS": "JPY=9000000", "CASH_APPROVAL_TTL": "2h"}}).Lookup)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.API.CashApprovalThresholds["USD"] != 500_000 || cfg.API.CashApprovalThresholds["COP"] != 4_000_000_000 ||
		cfg.API.AdminDailyCashLimits["JPY"] != 9_000_000 || cfg.API.AdminDailyCashLimits["EUR"] != 10_000_000 || cfg.API.CashApprovalTTL != 2*time.Hour {
		t.Fatalf("cash settings %v %v %s", cfg.API.CashApprovalThresholds, cfg.API.AdminDailyCashLimits, cfg.API.CashApprovalTTL)
	}
	for _, code := range []string{"USD", "EUR", "COP", "JPY"} {
		if cfg.API.CashApprovalThresholds[code] <= 0 || cfg.API.AdminDailyCashLimits[code] <= cfg.API.CashApprovalThresholds[code] {
			t.Errorf("%s: threshold %d, daily limit %d", code, cfg.API.CashApprovalThresholds[code], cfg.API.AdminDailyCashLimits[code])
		}
	}
	for name, value := range map[string]string{
		"CASH_APPROVAL_THRESHOLDS": "USD=0", "ADMIN_DAILY_CASH_LIMITS": "USD:5", "CASH_APPROVAL_TTL": "10s",
	} {
		_, err := loadConfig((&composefile.Recorder{Env: map[string]string{"JWT_SECRET": randomLookingSecret, "PAYLOAD_CODEC_KEYS": payloadKeys, name: value}}).Lookup)
		if err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("%s=%s: %v; want an error naming it", name, value, err)
		}
	}
}

// The live event sockets' settings come from the environment, bounded like the other limits.
func TestLoadConfig_SocketSettings(t *testing.T) {
	cfg, err := loadConfig((&composefile.Recorder{Env: map[string]string{"JWT_SECRET": randomLookingSecret, "PAYLOAD_CODEC_KEYS": payloadKeys}}).Lookup)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.API.MaxSocketsPerUser != 5 || cfg.API.SocketPingInterval != 30*time.Second || cfg.API.SocketWriteTimeout != 10*time.Second || cfg.API.SocketSessionCheck != 15*time.Second {
		t.Fatalf("defaults %+v", cfg.API)
	}
	cfg, err = loadConfig((&composefile.Recorder{Env: map[string]string{"JWT_SECRET": randomLookingSecret, "PAYLOAD_CODEC_KEYS": payloadKeys,
		"MAX_SOCKETS_PER_USER": "2", "SOCKET_PING_INTERVAL": "5s", "SOCKET_WRITE_TIMEOUT": "2s", "SOCKET_SESSION_CHECK_INTERVAL": "3s"}}).Lookup)
	if err != nil || cfg.API.MaxSocketsPerUser != 2 || cfg.API.SocketPingInterval != 5*time.Second || cfg.API.SocketWriteTimeout != 2*time.Second || cfg.API.SocketSessionCheck != 3*time.Second {
		t.Fatalf("set: %+v %v", cfg.API, err)
	}
	for name, value := range map[string]string{"MAX_SOCKETS_PER_USER": "0", "SOCKET_PING_INTERVAL": "10ms", "SOCKET_WRITE_TIMEOUT": "forever", "SOCKET_SESSION_CHECK_INTERVAL": "-1s"} {
		_, err := loadConfig((&composefile.Recorder{Env: map[string]string{"JWT_SECRET": randomLookingSecret, "PAYLOAD_CODEC_KEYS": payloadKeys, name: value}}).Lookup)
		if err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("%s=%s: %v; want an error naming it", name, value, err)
		}
	}
}

// The metrics listener serves on 127.0.0.1:9091 unless METRICS_ADDR says otherwise; empty or off
// turns it off, and an address that is no host:port stops the API at start.
func TestLoadConfig_MetricsAddr(t *testing.T) {
	for value, want := range map[string]string{"": "", "off": "", ":9191": ":9191", "0.0.0.0:9091": "0.0.0.0:9091"} {
		cfg, err := loadConfig((&composefile.Recorder{Env: map[string]string{"JWT_SECRET": randomLookingSecret, "PAYLOAD_CODEC_KEYS": payloadKeys, "METRICS_ADDR": value}}).Lookup)
		if err != nil || cfg.MetricsAddr != want {
			t.Errorf("METRICS_ADDR=%q: %q, %v; want %q", value, cfg.MetricsAddr, err, want)
		}
	}
	cfg, err := loadConfig((&composefile.Recorder{Env: map[string]string{"JWT_SECRET": randomLookingSecret, "PAYLOAD_CODEC_KEYS": payloadKeys}}).Lookup)
	if err != nil || cfg.MetricsAddr != "127.0.0.1:9091" {
		t.Fatalf("default: %q, %v; want 127.0.0.1:9091", cfg.MetricsAddr, err)
	}
	if _, err := loadConfig((&composefile.Recorder{Env: map[string]string{"JWT_SECRET": randomLookingSecret, "PAYLOAD_CODEC_KEYS": payloadKeys, "METRICS_ADDR": "9091"}}).Lookup); err == nil || !strings.Contains(err.Error(), "METRICS_ADDR") {
		t.Fatalf("METRICS_ADDR=9091: %v; want an error naming it", err)
	}
}

// The Temporal UI's origins may call the payload codec: the dev UI's by default, exact origins
// otherwise; a wildcard or a URL with a path stops the API.
func TestLoadConfig_CodecCORSOrigins(t *testing.T) {
	cfg, err := loadConfig((&composefile.Recorder{Env: map[string]string{"JWT_SECRET": randomLookingSecret, "PAYLOAD_CODEC_KEYS": payloadKeys}}).Lookup)
	if err != nil || !slices.Equal(cfg.API.CodecCORSOrigins, []string{"http://localhost:8233", "http://127.0.0.1:8233"}) {
		t.Fatalf("default %v, %v", cfg.API.CodecCORSOrigins, err)
	}
	cfg, err = loadConfig((&composefile.Recorder{Env: map[string]string{"JWT_SECRET": randomLookingSecret, "PAYLOAD_CODEC_KEYS": payloadKeys,
		"CODEC_CORS_ORIGINS": "https://temporal.bank.example"}}).Lookup)
	if err != nil || !slices.Equal(cfg.API.CodecCORSOrigins, []string{"https://temporal.bank.example"}) {
		t.Fatalf("set %v, %v", cfg.API.CodecCORSOrigins, err)
	}
	for _, bad := range []string{"*", "https://temporal.bank.example/ui"} {
		_, err := loadConfig((&composefile.Recorder{Env: map[string]string{"JWT_SECRET": randomLookingSecret, "PAYLOAD_CODEC_KEYS": payloadKeys,
			"CODEC_CORS_ORIGINS": bad}}).Lookup)
		if err == nil || !strings.Contains(err.Error(), "CODEC_CORS_ORIGINS") {
			t.Errorf("%s: %v; want an error naming CODEC_CORS_ORIGINS", bad, err)
		}
	}
}

// Without payload keys the API refuses to start, unless told to keep payloads in clear.
func TestLoadConfig_PayloadCodecKeys(t *testing.T) {
	if _, err := loadConfig((&composefile.Recorder{Env: map[string]string{"JWT_SECRET": randomLookingSecret}}).Lookup); err == nil ||
		!strings.Contains(err.Error(), "PAYLOAD_CODEC_KEYS") {
		t.Fatalf("no keys: %v; want an error naming PAYLOAD_CODEC_KEYS", err)
	}
	cfg, err := loadConfig((&composefile.Recorder{Env: map[string]string{"JWT_SECRET": randomLookingSecret, "PAYLOAD_CODEC_KEYS": "off"}}).Lookup)
	if err != nil || cfg.Backends.PayloadKeys != nil {
		t.Fatalf("off: %v, %v", cfg.Backends.PayloadKeys, err)
	}
}

// The compose stack's Temporal UI decodes through the api's codec: its endpoint is the api's
// /codec at the port its proxy publishes, and the origins the UI is published on are among those
// every api replica lets call it.
func TestCompose_TemporalUIDecodesThroughTheAPI(t *testing.T) {
	f, err := composefile.Load(filepath.Join("..", "..", "docker-compose.yml"))
	if err != nil {
		t.Fatal(err)
	}
	ui, proxy := f.Services["temporal-ui"], f.Services["proxy"]
	endpoint, err := url.Parse(ui.Environment["TEMPORAL_CODEC_ENDPOINT"])
	if err != nil || endpoint.Path != "/codec" || endpoint.Hostname() != "localhost" {
		t.Fatalf("the UI's codec endpoint %q is not the api's /codec on localhost", ui.Environment["TEMPORAL_CODEC_ENDPOINT"])
	}
	if len(proxy.Ports) != 1 || !strings.HasPrefix(proxy.Ports[0], endpoint.Port()+":") {
		t.Fatalf("the UI calls port %s; the api's proxy publishes %v", endpoint.Port(), proxy.Ports)
	}
	for _, name := range apiReplicas {
		checkCodecOrigins(t, ui, f.Services[name])
	}
}

func checkCodecOrigins(t *testing.T, ui, apiSvc composefile.Service) {
	t.Helper()
	env := map[string]string{"JWT_SECRET": randomLookingSecret, "PAYLOAD_CODEC_KEYS": payloadKeys}
	for k, v := range apiSvc.Environment {
		if _, set := env[k]; !set && !strings.Contains(v, "${") {
			env[k] = v
		}
	}
	cfg, err := loadConfig((&composefile.Recorder{Env: env}).Lookup)
	if err != nil {
		t.Fatal(err)
	}
	for _, port := range ui.Ports {
		parts := strings.Split(port, ":") // 127.0.0.1:8233:8080
		if len(parts) != 3 {
			t.Fatalf("the UI publishes %q; want host:port:container-port", port)
		}
		for _, host := range []string{"localhost", "127.0.0.1"} {
			if origin := "http://" + host + ":" + parts[1]; !slices.Contains(cfg.API.CodecCORSOrigins, origin) {
				t.Errorf("the UI's origin %s may not call the codec (CODEC_CORS_ORIGINS %v)", origin, cfg.API.CodecCORSOrigins)
			}
		}
	}
}
