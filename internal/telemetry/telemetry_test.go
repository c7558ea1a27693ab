package telemetry_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	"google.golang.org/protobuf/proto"

	"github.com/bankforge/bank/internal/envconfig"
	"github.com/bankforge/bank/internal/telemetry"
)

func read(env map[string]string) (telemetry.Config, error) {
	e := envconfig.New(func(k string) (string, bool) { v, ok := env[k]; return v, ok })
	c := telemetry.Read(e, "bank-api")
	return c, e.Err()
}

func TestRead(t *testing.T) {
	for name, c := range map[string]struct {
		env  map[string]string
		want telemetry.Config
	}{
		"off by default": {nil, telemetry.Config{Protocol: telemetry.ProtocolHTTP, ServiceName: "bank-api"}},
		"endpoint": {map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318"},
			telemetry.Config{Endpoint: "http://collector:4318", Protocol: telemetry.ProtocolHTTP, ServiceName: "bank-api"}},
		"traces endpoint and protocol first": {map[string]string{
			"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://traces:4317",
			"OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf", "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL": "grpc",
			"OTEL_SERVICE_NAME": "bank-api-eu"},
			telemetry.Config{Endpoint: "http://traces:4317", Protocol: telemetry.ProtocolGRPC, ServiceName: "bank-api-eu"}},
		"disabled": {map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318", "OTEL_SDK_DISABLED": "true"},
			telemetry.Config{Protocol: telemetry.ProtocolHTTP, ServiceName: "bank-api"}},
	} {
		got, err := read(c.env)
		if err != nil || got != c.want {
			t.Errorf("%s: %+v, %v; want %+v", name, got, err, c.want)
		}
		if got.Enabled() != (c.want.Endpoint != "") {
			t.Errorf("%s: enabled %t", name, got.Enabled())
		}
	}
	if _, err := read(map[string]string{"OTEL_EXPORTER_OTLP_PROTOCOL": "http/json"}); err == nil || !strings.Contains(err.Error(), "OTEL_EXPORTER_OTLP_PROTOCOL") {
		t.Fatalf("http/json: %v; want OTEL_EXPORTER_OTLP_PROTOCOL refused (no Go exporter speaks it)", err)
	}
}

// With tracing off there is no provider: the libraries make no span at all.
func TestStart_OffMakesNoProvider(t *testing.T) {
	tp, stop, err := telemetry.Start(context.Background(), telemetry.Config{ServiceName: "bank-api"}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil || tp != nil {
		t.Fatalf("provider %v, %v; want none", tp, err)
	}
	if err := stop(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// With an endpoint, spans are exported over OTLP, under the configured service name.
func TestStart_ExportsOverOTLP(t *testing.T) {
	got := make(chan *coltracepb.ExportTraceServiceRequest, 1)
	collector := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		var req coltracepb.ExportTraceServiceRequest
		if r.URL.Path != "/v1/traces" || proto.Unmarshal(body, &req) != nil {
			http.Error(w, "not a trace export", http.StatusBadRequest)
			return
		}
		got <- &req
		w.Header().Set("Content-Type", "application/x-protobuf")
		raw, _ := proto.Marshal(&coltracepb.ExportTraceServiceResponse{})
		_, _ = w.Write(raw)
	}))
	defer collector.Close()
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", collector.URL) // the exporter reads its address itself
	cfg, err := read(map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": collector.URL, "OTEL_SERVICE_NAME": "bank-worker-7"})
	if err != nil {
		t.Fatal(err)
	}
	tp, stop, err := telemetry.Start(context.Background(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil || tp == nil {
		t.Fatalf("provider %v, %v", tp, err)
	}
	_, span := tp.Tracer("test").Start(context.Background(), "RunActivity:PostTransfer")
	span.End()
	if err := stop(context.Background()); err != nil { // flushes
		t.Fatal(err)
	}
	req := <-got
	rs := req.GetResourceSpans()
	if len(rs) != 1 || len(rs[0].GetScopeSpans()) != 1 || len(rs[0].GetScopeSpans()[0].GetSpans()) != 1 {
		t.Fatalf("export %v; want one span", req)
	}
	if name := rs[0].GetScopeSpans()[0].GetSpans()[0].GetName(); name != "RunActivity:PostTransfer" {
		t.Errorf("span %q exported", name)
	}
	var service string
	for _, kv := range rs[0].GetResource().GetAttributes() {
		if kv.GetKey() == "service.name" {
			service = kv.GetValue().GetStringValue()
		}
	}
	if service != "bank-worker-7" {
		t.Errorf("service.name %q; want bank-worker-7", service)
	}

	// gRPC connects lazily: it starts without a collector.
	cfg.Protocol = telemetry.ProtocolGRPC
	tp, stop, err = telemetry.Start(context.Background(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil || tp == nil {
		t.Fatalf("grpc: provider %v, %v", tp, err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_ = stop(ctx)
}
