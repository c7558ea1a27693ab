// Package telemetry sets up tracing for the bank's processes: the tracer provider that exports spans
// over OTLP when an endpoint is configured (the main packages create it and hand it to the
// libraries), and the Temporal interceptor that traces workflow starts, workflows and activities.
package telemetry

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"

	"github.com/bankforge/bank/internal/envconfig"
)

// OTLP transport protocols, as OTEL_EXPORTER_OTLP_PROTOCOL names them.
const (
	ProtocolGRPC = "grpc"
	ProtocolHTTP = "http/protobuf"
)

// Config says whether and where spans are exported. The exporter reads the rest of the standard
// OTEL_EXPORTER_OTLP_* variables itself (headers, TLS, timeout), and the SDK OTEL_TRACES_SAMPLER,
// OTEL_BSP_* and OTEL_RESOURCE_ATTRIBUTES.
type Config struct {
	// Endpoint is OTEL_EXPORTER_OTLP_TRACES_ENDPOINT, or else OTEL_EXPORTER_OTLP_ENDPOINT; empty
	// (or OTEL_SDK_DISABLED=true) turns tracing off.
	Endpoint string
	// Protocol is ProtocolGRPC or ProtocolHTTP (OTEL_EXPORTER_OTLP_TRACES_PROTOCOL, or else
	// OTEL_EXPORTER_OTLP_PROTOCOL; ProtocolHTTP by default, as the specification says).
	Protocol string
	// ServiceName is OTEL_SERVICE_NAME, or the process's own name.
	ServiceName string
}

// Read reads the configuration from the environment; service names the process when
// OTEL_SERVICE_NAME does not.
func Read(e *envconfig.Reader, service string) Config {
	c := Config{
		Endpoint:    e.String("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", e.String("OTEL_EXPORTER_OTLP_ENDPOINT", "")),
		Protocol:    e.OneOf("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", e.OneOf("OTEL_EXPORTER_OTLP_PROTOCOL", ProtocolHTTP, ProtocolGRPC, ProtocolHTTP), ProtocolGRPC, ProtocolHTTP),
		ServiceName: e.String("OTEL_SERVICE_NAME", service),
	}
	if e.Bool("OTEL_SDK_DISABLED", false) {
		c.Endpoint = ""
	}
	return c
}

// Enabled reports whether spans are exported.
func (c Config) Enabled() bool { return c.Endpoint != "" }

// LogAttrs describes the configuration for a start-up log line, without credentials.
func (c Config) LogAttrs() []any {
	if !c.Enabled() {
		return []any{"tracing", false}
	}
	return []any{"tracing", true, "otlp_endpoint", envconfig.MaskURL(c.Endpoint), "otlp_protocol", c.Protocol,
		"service_name", c.ServiceName}
}

// Start returns the tracer provider of c and the function that flushes and stops it. With tracing
// off the provider is nil, which every library of the bank takes as "trace nothing": no span is
// made, no header is written, nothing is exported. Errors of the export are logged to logger
// (OpenTelemetry's error handler is process-wide: only a main package calls Start).
func Start(ctx context.Context, c Config, logger *slog.Logger) (trace.TracerProvider, func(context.Context) error, error) {
	if !c.Enabled() {
		return nil, func(context.Context) error { return nil }, nil
	}
	var exp sdktrace.SpanExporter
	var err error
	switch c.Protocol {
	case ProtocolGRPC:
		exp, err = otlptracegrpc.New(ctx)
	case ProtocolHTTP:
		exp, err = otlptracehttp.New(ctx)
	default:
		err = fmt.Errorf("unknown OTLP protocol %q", c.Protocol)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("otlp exporter: %w", err)
	}
	res, err := resource.New(ctx, resource.WithFromEnv(), resource.WithTelemetrySDK(),
		resource.WithAttributes(semconv.ServiceName(c.ServiceName)))
	if err != nil && !errors.Is(err, resource.ErrPartialResource) {
		return nil, nil, fmt.Errorf("trace resource: %w", err)
	}
	otel.SetErrorHandler(otel.ErrorHandlerFunc(func(err error) {
		logger.Warn("tracing", "error", err)
	}))
	tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(exp), sdktrace.WithResource(res))
	return tp, tp.Shutdown, nil
}
