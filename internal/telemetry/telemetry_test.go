package telemetry_test

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"

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

// With an endpoint, spans go to an exporter that connects lazily: starting needs no collector.
func TestStart_OnMakesAProvider(t *testing.T) {
	for _, protocol := range []string{telemetry.ProtocolGRPC, telemetry.ProtocolHTTP} {
		tp, stop, err := telemetry.Start(context.Background(), telemetry.Config{Endpoint: "http://127.0.0.1:1", Protocol: protocol, ServiceName: "bank-worker"},
			slog.New(slog.NewTextHandler(io.Discard, nil)))
		if err != nil || tp == nil {
			t.Fatalf("%s: provider %v, %v", protocol, tp, err)
		}
		_, span := tp.Tracer("test").Start(context.Background(), "s")
		if !span.SpanContext().IsValid() || !span.IsRecording() {
			t.Errorf("%s: span not recorded", protocol)
		}
		span.End()
		ctx, cancel := context.WithCancel(context.Background())
		cancel() // nothing listens: do not wait for the export
		_ = stop(ctx)
	}
}
