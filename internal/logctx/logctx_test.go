package logctx_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"

	"go.opentelemetry.io/otel/trace"
	commonpb "go.temporal.io/api/common/v1"

	"github.com/bankforge/bank/internal/logctx"
)

var spanCtx = trace.NewSpanContext(trace.SpanContextConfig{
	TraceID: trace.TraceID{0x4b, 0xf9, 0x2f, 0x35, 0x77, 0xb3, 0x4d, 0xa6, 0xa3, 0xce, 0x92, 0x9d, 0x0e, 0x0e, 0x47, 0x36},
	SpanID:  trace.SpanID{0x00, 0xf0, 0x67, 0xaa, 0x0b, 0xa9, 0x02, 0xb7},
})

func logLine(t *testing.T, log func(*slog.Logger)) map[string]any {
	t.Helper()
	var buf bytes.Buffer
	log(slog.New(logctx.NewHandler(slog.NewJSONHandler(&buf, nil))))
	var line map[string]any
	if err := json.Unmarshal(buf.Bytes(), &line); err != nil {
		t.Fatalf("%v: %s", err, buf.String())
	}
	return line
}

// A line logged with a request's context names the request, its trace and its span, also through
// a logger with attributes of its own; one logged without says nothing of them.
func TestHandler_WritesRequestAndTraceFromContext(t *testing.T) {
	ctx := trace.ContextWithSpanContext(logctx.WithRequestID(context.Background(), "req-1"), spanCtx)
	line := logLine(t, func(l *slog.Logger) { l.With("transfer_id", "t-1").InfoContext(ctx, "request", "status", 202) })
	for k, want := range map[string]any{
		"request_id": "req-1", "trace_id": "4bf92f3577b34da6a3ce929d0e0e4736", "span_id": "00f067aa0ba902b7",
		"transfer_id": "t-1", "status": float64(202), "msg": "request",
	} {
		if line[k] != want {
			t.Errorf("%s = %v; want %v in %v", k, line[k], want, line)
		}
	}

	line = logLine(t, func(l *slog.Logger) { l.InfoContext(context.Background(), "starting") })
	for _, k := range []string{"request_id", "trace_id", "span_id"} {
		if _, ok := line[k]; ok {
			t.Errorf("a line without a request carries %s: %v", k, line)
		}
	}
	line = logLine(t, func(l *slog.Logger) { l.InfoContext(logctx.WithRequestID(context.Background(), "req-2"), "no trace") })
	if line["request_id"] != "req-2" || line["trace_id"] != nil {
		t.Errorf("untraced request line %v; want its request_id and no trace_id", line)
	}
}

type header map[string]*commonpb.Payload

func (h header) Set(k string, p *commonpb.Payload) { h[k] = p }
func (h header) Get(k string) (*commonpb.Payload, bool) {
	p, ok := h[k]
	return p, ok
}
func (h header) ForEachKey(fn func(string, *commonpb.Payload) error) error {
	for k, p := range h {
		if err := fn(k, p); err != nil {
			return err
		}
	}
	return nil
}

// The request id crosses a Temporal header; a context without one writes no header, and a header
// that holds no request id is ignored.
func TestPropagator_CarriesTheRequestID(t *testing.T) {
	p := logctx.Propagator()
	h := header{}
	if err := p.Inject(logctx.WithRequestID(context.Background(), "req-1"), h); err != nil {
		t.Fatal(err)
	}
	ctx, err := p.Extract(context.Background(), h)
	if err != nil {
		t.Fatal(err)
	}
	if got := logctx.RequestID(ctx); got != "req-1" {
		t.Fatalf("request id %q after the header; want req-1", got)
	}

	empty := header{}
	if err := p.Inject(context.Background(), empty); err != nil || len(empty) != 0 {
		t.Fatalf("header %v, %v from a context without a request id; want none", empty, err)
	}

	for k := range h {
		long := header{}
		_ = p.Inject(logctx.WithRequestID(context.Background(), strings.Repeat("x", 65)), long)
		h[k] = long[k]
	}
	if ctx, err = p.Extract(context.Background(), h); err != nil || logctx.RequestID(ctx) != "" {
		t.Fatalf("an over-long id gave %q, %v; want it dropped", logctx.RequestID(ctx), err)
	}
}
