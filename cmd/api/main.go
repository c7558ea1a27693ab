// Command api serves the bank's HTTP API.
//
//	api              serve (configured by the environment; see the README)
//	api healthcheck  exit 0 when the API on HTTP_ADDR answers /healthz (for container healthchecks)
package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net"
	"net/http"
	"os"
	"os/signal"
	"runtime"
	"syscall"
	"time"

	"go.opentelemetry.io/otel/trace"
	"go.temporal.io/sdk/client"

	"github.com/bankforge/bank/api"
	"github.com/bankforge/bank/db"
	"github.com/bankforge/bank/domain"
	"github.com/bankforge/bank/internal/backends"
	"github.com/bankforge/bank/internal/bankworker"
	"github.com/bankforge/bank/internal/bootstrap"
	"github.com/bankforge/bank/internal/envconfig"
	"github.com/bankforge/bank/internal/logctx"
	"github.com/bankforge/bank/internal/metrics"
	"github.com/bankforge/bank/internal/password"
	"github.com/bankforge/bank/internal/telemetry"
	"github.com/bankforge/bank/internal/webapp"
	"github.com/bankforge/bank/workflows"
)

type config struct {
	HTTPAddr string
	// MetricsAddr serves /metrics apart from the API; empty: no metrics listener.
	MetricsAddr   string
	Backends      backends.Config
	AdminEmail    string
	AdminPassword string
	LogLevel      slog.Level
	// HashConcurrency bounds how many password hashes run at once (each holds 19 MiB).
	HashConcurrency int
	API             api.Config
	// Worker configures the bank worker this process runs when API.EagerStart is set.
	Worker bankworker.Settings
	// WebDir holds the web app's build when it is not embedded (a build without the webembed tag).
	WebDir string
	// Telemetry says whether and where traces are exported.
	Telemetry telemetry.Config
}

func loadConfig(lookup func(string) (string, bool)) (config, error) {
	e := envconfig.New(lookup)
	c := config{
		HTTPAddr:        e.String("HTTP_ADDR", ":8080"),
		MetricsAddr:     e.ListenAddr("METRICS_ADDR", "127.0.0.1:9091"),
		Backends:        backends.Read(e),
		AdminEmail:      e.String("BANK_ADMIN_EMAIL", ""),
		AdminPassword:   e.String("BANK_ADMIN_PASSWORD", ""),
		LogLevel:        e.LogLevel("LOG_LEVEL"),
		HashConcurrency: e.Int("PASSWORD_HASH_CONCURRENCY", runtime.GOMAXPROCS(0), 1, 256),
		API: api.Config{
			JWTSecret:       []byte(e.Secret("JWT_SECRET", 32)),
			Issuer:          e.String("JWT_ISSUER", "bank"),
			Audience:        e.String("JWT_AUDIENCE", "bank-api"),
			AccessTTL:       e.Duration("ACCESS_TOKEN_TTL", 15*time.Minute, time.Minute, time.Hour),
			RefreshTTL:      e.Duration("REFRESH_TOKEN_TTL", 30*24*time.Hour, time.Hour, 90*24*time.Hour),
			DefaultCurrency: e.String("DEFAULT_CURRENCY", "USD"),
			TaskQueue:       e.String("TEMPORAL_TASK_QUEUE", workflows.TaskQueue),
			AuthRateLimit:   e.Int("AUTH_RATE_LIMIT_PER_MINUTE", 30, 1, 1_000_000),
			ClientRateLimit: e.Int("CLIENT_RATE_LIMIT_PER_MINUTE", 600, 1, 10_000_000),
			WriteRateLimit:  e.Int("USER_WRITE_RATE_LIMIT_PER_MINUTE", 60, 1, 10_000_000),
			MaxWaitsPerUser: e.Int("MAX_WAITS_PER_USER", 4, 1, 1000),
			MaxAccounts:     e.Int("MAX_ACCOUNTS_PER_CUSTOMER", 5, 1, 1000),

			MaxSocketsPerUser:  e.Int("MAX_SOCKETS_PER_USER", api.DefaultMaxSocketsPerUser, 1, 100_000),
			SocketPingInterval: e.Duration("SOCKET_PING_INTERVAL", api.DefaultSocketPingInterval, time.Second, 10*time.Minute),
			SocketWriteTimeout: e.Duration("SOCKET_WRITE_TIMEOUT", api.DefaultSocketWriteTimeout, 100*time.Millisecond, time.Minute),
			SocketSessionCheck: e.Duration("SOCKET_SESSION_CHECK_INTERVAL", api.DefaultSocketSessionCheck, time.Second, 10*time.Minute),

			AppURL:         e.String("APP_URL", "http://localhost:8080"),
			TrustedProxies: e.Prefixes("TRUSTED_PROXIES"),
			LockThreshold:  e.Int("LOGIN_LOCK_THRESHOLD", 5, 1, 100),
			LockBase:       e.Duration("LOGIN_LOCK_BASE", 30*time.Second, time.Second, time.Hour),
			LockMax:        e.Duration("LOGIN_LOCK_MAX", time.Hour, time.Second, 7*24*time.Hour),
			MaxWait:        20 * time.Second,
			EagerStart:     e.Bool("TRANSFER_EAGER_START", false),

			CashApprovalThresholds: e.AmountsByCurrency("CASH_APPROVAL_THRESHOLDS", api.DefaultCashApprovalThresholds(), 1, domain.MaxAmount),
			CashApprovalTTL:        e.Duration("CASH_APPROVAL_TTL", api.DefaultCashApprovalTTL, time.Minute, 30*24*time.Hour),
			AdminDailyCashLimits:   e.AmountsByCurrency("ADMIN_DAILY_CASH_LIMITS", api.DefaultAdminDailyCashLimits(), 1, math.MaxInt64),

			CodecCORSOrigins: e.Origins("CODEC_CORS_ORIGINS", api.DefaultCodecCORSOrigins),
		},
		Worker:    bankworker.ReadSettings(e),
		WebDir:    e.String("WEB_DIR", "web/dist"),
		Telemetry: telemetry.Read(e, "bank-api"),
	}
	if (c.AdminEmail == "") != (c.AdminPassword == "") {
		return c, errors.Join(e.Err(), errors.New("BANK_ADMIN_EMAIL and BANK_ADMIN_PASSWORD go together"))
	}
	return c, e.Err()
}

func main() {
	if len(os.Args) > 1 && os.Args[1] == "healthcheck" {
		os.Exit(healthcheck())
	}
	cfg, err := loadConfig(nil)
	logger := slog.New(logctx.NewHandler(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: cfg.LogLevel})))
	if err != nil {
		logger.Error("invalid configuration", "error", err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, cfg, logger); err != nil {
		logger.Error("api stopped", "error", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, cfg config, logger *slog.Logger) error {
	logger.Info("starting api", append(append(cfg.Backends.LogAttrs(), "http_addr", cfg.HTTPAddr, "metrics_addr", cfg.MetricsAddr,
		"jwt_secret", envconfig.Mask(string(cfg.API.JWTSecret)), "codec_cors_origins", cfg.API.CodecCORSOrigins), cfg.Telemetry.LogAttrs()...)...)
	tp, stopTracing, err := telemetry.Start(ctx, cfg.Telemetry, logger)
	if err != nil {
		return err
	}
	defer func() {
		// The spans of the last requests, flushed once the server and the worker have stopped.
		flushCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		if err := stopTracing(flushCtx); err != nil {
			logger.Warn("flushing traces failed", "error", err)
		}
	}()
	return serve(ctx, cfg, logger, tp)
}

// serve runs the API until ctx ends; tp, when set, traces its requests, the workflows they start
// and their queries. Its metrics are served on a listener of their own (cfg.MetricsAddr).
func serve(ctx context.Context, cfg config, logger *slog.Logger, tp trace.TracerProvider) error {
	// This process's metrics, in a registry of its own served apart, and its connections.
	b, reg, closeBackends, err := backends.Open(ctx, cfg.Backends, logger, tp, cfg.MetricsAddr)
	if err != nil {
		return err
	}
	defer closeBackends()
	store, auditStore, tc := b.Store, b.Audit, b.Temporal

	params := password.DefaultParams
	params.MaxConcurrent = cfg.HashConcurrency
	hasher := password.NewHasher(params)
	if cfg.AdminEmail != "" {
		created, err := bootstrap.EnsureAdmin(ctx, store, hasher, cfg.AdminEmail, cfg.AdminPassword)
		if err != nil {
			return fmt.Errorf("bootstrap admin: %w", err)
		}
		if created {
			logger.Info("created admin", "email", cfg.AdminEmail)
		}
	}

	if cfg.API.EagerStart {
		// Eager start hands a transfer's first workflow task to a worker in the starting process.
		w, err := bankworker.New(tc, cfg.API.TaskQueue, cfg.Worker, store, auditStore, b.Inbox, metrics.NewMail(reg), logger)
		if err != nil {
			return err
		}
		if err := w.Start(); err != nil {
			return fmt.Errorf("start eager worker: %w", err)
		}
		defer w.Stop()
		logger.Info("transfers start eagerly in this process")
	}

	app, err := webapp.FS(cfg.WebDir)
	if err != nil {
		return err
	}
	switch {
	case webapp.Embedded && app != nil:
		logger.Info("serving the web app", "from", "embedded")
	case app != nil:
		logger.Info("serving the web app", "from", cfg.WebDir)
	default:
		logger.Warn("the web app is not built: / answers 404 (run `make web`)", "web_dir", cfg.WebDir, "embedded", webapp.Embedded)
	}
	cfg.API.App = app

	// Wakes requests waiting on a transfer (GET /v1/transfers/{id}?wait=) as soon as it ends.
	finished := db.NewListener(cfg.Backends.DatabaseURL, db.TransferFinishedChannel, logger)
	go finished.Run(ctx)
	// Wakes each user's live event sockets (GET /v1/ws) when events are appended for them, by
	// whichever process: every API process delivers every event.
	userEvents := db.NewListener(cfg.Backends.DatabaseURL, db.UserEventsChannel, logger)
	go userEvents.Run(ctx)
	// Lets the API keep the sessions it authenticated while it hears every change that may end one.
	sessionChanges := db.NewListener(cfg.Backends.DatabaseURL, db.SessionChangesChannel, logger)
	go sessionChanges.Run(ctx)

	handler, err := api.New(ctx, cfg.API, api.Deps{
		TransferFinished: finished,
		UserEvents:       userEvents,
		SessionChanges:   sessionChanges,
		Store:            store,
		Workflows:        tc,
		Audit:            auditStore,
		Inbox:            b.Inbox,
		Codec:            codecOf(b),
		Hasher:           hasher,
		Logger:           logger,
		TracerProvider:   tp,
		Metrics:          metrics.NewAPI(reg),
		Ready: map[string]func(context.Context) error{
			"postgres": store.Ping,
			"mongodb":  func(ctx context.Context) error { return b.Mongo.Ping(ctx, nil) },
			"temporal": func(ctx context.Context) error {
				_, err := tc.CheckHealth(ctx, &client.CheckHealthRequest{})
				return err
			},
		},
	})
	if err != nil {
		return err
	}

	srv := &http.Server{
		Addr:              cfg.HTTPAddr,
		Handler:           handler,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       15 * time.Second,
		WriteTimeout:      40 * time.Second, // above the longest ?wait= of operation polling
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    32 << 10,
	}
	ln, err := net.Listen("tcp", cfg.HTTPAddr)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	logger.Info("api listening", "addr", ln.Addr().String())
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	logger.Info("api shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 25*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// codecOf is the payload codec of b for the API's codec routes; nil (no interface holding a nil
// pointer) when payloads are kept in clear.
func codecOf(b *backends.Backends) api.PayloadCodec {
	if b.Codec == nil {
		return nil
	}
	return b.Codec
}

func healthcheck() int {
	addr := os.Getenv("HTTP_ADDR")
	if addr == "" {
		addr = ":8080"
	}
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		return 1
	}
	return backends.Probe("http://127.0.0.1:" + port + "/healthz")
}
