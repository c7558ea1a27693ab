package metrics

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/otlptranslator"
	otelprom "go.opentelemetry.io/otel/exporters/prometheus"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.temporal.io/sdk/client"
	temporalotel "go.temporal.io/sdk/contrib/opentelemetry"
)

// LatencyBuckets are the bounds, in seconds, of every latency histogram: the API's requests and the
// Temporal SDK's timers, from a millisecond to five minutes.
var LatencyBuckets = []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 300}

// Temporal reports the Temporal SDK's own metrics into a registry: the client's requests and,
// for a worker built on the client, its workflow and activity latencies, failures, task queue
// polls and slots. Names are the SDK's (temporal_workflow_completed, ...) with Prometheus's
// suffixes: _total on counters, _seconds on timers, which are histograms over LatencyBuckets.
type Temporal struct {
	// Handler goes in the client's options (client.Options.MetricsHandler); a worker built on the
	// client reports through it too.
	Handler  client.MetricsHandler
	provider *sdkmetric.MeterProvider
}

// NewTemporal returns the SDK's metrics handler over reg (through OpenTelemetry's Prometheus
// exporter). An instrument the meter refuses is logged and left out.
func NewTemporal(reg prometheus.Registerer, logger *slog.Logger) (*Temporal, error) {
	exporter, err := otelprom.New(
		otelprom.WithRegisterer(reg),
		otelprom.WithTranslationStrategy(otlptranslator.UnderscoreEscapingWithSuffixes),
		otelprom.WithoutScopeInfo(),
		otelprom.WithoutTargetInfo(),
	)
	if err != nil {
		return nil, fmt.Errorf("temporal metrics exporter: %w", err)
	}
	// The SDK's timers are histograms in seconds: OpenTelemetry's default bounds are for
	// milliseconds.
	seconds := sdkmetric.NewView(
		sdkmetric.Instrument{Kind: sdkmetric.InstrumentKindHistogram, Unit: "s"},
		sdkmetric.Stream{Aggregation: sdkmetric.AggregationExplicitBucketHistogram{Boundaries: LatencyBuckets}},
	)
	provider := sdkmetric.NewMeterProvider(sdkmetric.WithReader(exporter), sdkmetric.WithView(seconds))
	handler := temporalotel.NewMetricsHandler(temporalotel.MetricsHandlerOptions{
		Meter: provider.Meter("temporal-sdk-go"),
		// The SDK's counters only go up: exported as Prometheus counters, not gauges.
		UseMonotonicCounters: true,
		// An instrument the meter refuses is left out rather than stopping the process.
		OnError: func(err error) { logger.Warn("temporal metric left out", "error", err) },
	})
	return &Temporal{Handler: handler, provider: provider}, nil
}

// Close stops the meter provider.
func (t *Temporal) Close(ctx context.Context) error {
	if t == nil {
		return nil
	}
	return t.provider.Shutdown(ctx)
}
