package backends

import (
	"context"
	"log/slog"

	"github.com/prometheus/client_golang/prometheus"
	"go.opentelemetry.io/otel/trace"

	"github.com/bankforge/bank/internal/metrics"
)

// Open starts what the API and the worker both run first: the process's metrics, in a registry of
// its own served on metricsAddr (not served when it is empty) with Go's profiles when
// c.Profiles is set, the Temporal SDK's and the
// database pool's among them; and its connections (ConnectWhenUp), traced by tp when set. The
// function it returns closes them all, the connections first.
func Open(ctx context.Context, c Config, logger *slog.Logger, tp trace.TracerProvider, metricsAddr string) (*Backends, *prometheus.Registry, func(), error) {
	var closers []func()
	closeAll := func() {
		for i := len(closers) - 1; i >= 0; i-- {
			closers[i]()
		}
	}
	reg := metrics.NewRegistry()
	temporalMetrics, err := metrics.NewTemporal(reg, logger)
	if err != nil {
		return nil, nil, nil, err
	}
	closers = append(closers, func() { _ = temporalMetrics.Close(context.WithoutCancel(ctx)) })
	if metricsAddr != "" {
		ms, err := metrics.Listen(metricsAddr, reg, logger, c.Profiles)
		if err != nil {
			closeAll()
			return nil, nil, nil, err
		}
		closers = append(closers, func() { _ = ms.Close(ctx) })
		logger.Info("metrics listening", "addr", ms.Addr())
	}
	b, closeBackends, err := ConnectWhenUp(ctx, c, logger, Telemetry{
		Tracer: tp, Temporal: temporalMetrics.Handler, Ledger: metrics.NewLedger(reg),
	}, StartupWait)
	if err != nil {
		closeAll()
		return nil, nil, nil, err
	}
	closers = append(closers, closeBackends)
	reg.MustRegister(metrics.NewPool(b.Store.Pool().Stat))
	return b, reg, closeAll, nil
}
