// Package metrics is what the bank's processes tell Prometheus: the API's requests by route, the
// Temporal SDK's own metrics, the bank's business counters and the database pool's state. Each
// process builds its own registry (NewRegistry) and hands the families it reports to the code that
// counts them through their constructors; nothing here is global, so tests and processes never
// share a registry. Every family's methods do nothing on a nil value: code built without metrics
// (a test, a tool) passes none.
package metrics

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// NewRegistry returns a registry of the process's own, with the Go runtime's and the process's
// collectors (goroutines, memory, CPU, open files).
func NewRegistry() *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	return reg
}

// Handler serves reg's metrics in Prometheus's exposition format. A family that fails to gather
// is logged and left out; the others are still served.
func Handler(reg *prometheus.Registry, logger *slog.Logger) http.Handler {
	return promhttp.HandlerFor(reg, promhttp.HandlerOpts{
		ErrorLog:      slogPrinter{logger},
		ErrorHandling: promhttp.ContinueOnError,
		Registry:      reg, // promhttp_metric_handler_errors_total
	})
}

type slogPrinter struct{ logger *slog.Logger }

func (p slogPrinter) Println(v ...any) { p.logger.Warn("metrics", "error", fmt.Sprint(v...)) }

// Server serves /metrics on a listener of its own, apart from the API's.
type Server struct {
	srv *http.Server
	ln  net.Listener
}

// Listen starts serving reg's metrics at http://addr/metrics, and with profiles Go's runtime
// profiles at http://addr/debug/pprof/. A port of 0 takes a free one: Addr says which.
func Listen(addr string, reg *prometheus.Registry, logger *slog.Logger, profiles bool) (*Server, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("metrics listener: %w", err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", Handler(reg, logger))
	writeTimeout := 30 * time.Second
	if profiles {
		mux.HandleFunc("GET /debug/pprof/", pprof.Index)
		mux.HandleFunc("GET /debug/pprof/cmdline", pprof.Cmdline)
		mux.HandleFunc("GET /debug/pprof/profile", pprof.Profile)
		mux.HandleFunc("GET /debug/pprof/symbol", pprof.Symbol)
		mux.HandleFunc("GET /debug/pprof/trace", pprof.Trace)
		writeTimeout = 5 * time.Minute // a CPU profile or an execution trace streams for its ?seconds=
	}
	s := &Server{ln: ln, srv: &http.Server{
		Handler:           mux,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      writeTimeout,
		MaxHeaderBytes:    8 << 10,
	}}
	go func() {
		if err := s.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			logger.Error("metrics listener stopped", "error", err)
		}
	}()
	return s, nil
}

// Addr is the address the server listens on.
func (s *Server) Addr() string { return s.ln.Addr().String() }

// Close stops the server, letting a scrape in progress finish for up to five seconds.
func (s *Server) Close(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	return s.srv.Shutdown(ctx)
}
