// Command worker runs the bank's Temporal workflows and activities, and the sweeps that release
// expired holds and forget old idempotency keys.
package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"go.temporal.io/api/operatorservice/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/bankforge/bank/db"
	"github.com/bankforge/bank/domain"
	"github.com/bankforge/bank/internal/backends"
	"github.com/bankforge/bank/internal/bankworker"
	"github.com/bankforge/bank/internal/envconfig"
	"github.com/bankforge/bank/workflows"
)

type config struct {
	Backends      backends.Config
	TaskQueue     string
	Worker        bankworker.Settings
	SweepInterval time.Duration
	HealthAddr    string
	LogLevel      slog.Level
}

func loadConfig(lookup func(string) (string, bool)) (config, error) {
	e := envconfig.New(lookup)
	c := config{
		Backends:      backends.Read(e),
		TaskQueue:     e.String("TEMPORAL_TASK_QUEUE", workflows.TaskQueue),
		Worker:        bankworker.ReadSettings(e),
		SweepInterval: e.Duration("SWEEP_INTERVAL", 30*time.Second, time.Second, time.Hour),
		HealthAddr:    e.String("WORKER_HEALTH_ADDR", "127.0.0.1:8081"),
		LogLevel:      e.LogLevel("LOG_LEVEL"),
	}
	return c, e.Err()
}

func main() {
	if len(os.Args) > 1 && os.Args[1] == "healthcheck" {
		os.Exit(healthcheck())
	}
	cfg, err := loadConfig(nil)
	logger := slog.New(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: cfg.LogLevel}))
	if err != nil {
		logger.Error("invalid configuration", "error", err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, cfg, logger); err != nil {
		logger.Error("worker stopped", "error", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, cfg config, logger *slog.Logger) error {
	logger.Info("starting worker", append(cfg.Backends.LogAttrs(), "task_queue", cfg.TaskQueue, "mail_mode", cfg.Worker.MailMode)...)

	b, closeBackends, err := backends.Connect(ctx, cfg.Backends, logger)
	if err != nil {
		return err
	}
	defer closeBackends()
	store, auditStore, tc := b.Store, b.Audit, b.Temporal
	if err := auditStore.EnsureIndexes(ctx); err != nil {
		logger.Warn("audit indexes not created", "error", err)
	}
	if err := ensureNamespace(ctx, tc, cfg.Backends.TemporalNamespace, logger); err != nil {
		return err
	}

	w := bankworker.New(tc, cfg.TaskQueue, cfg.Worker, store, auditStore, logger)
	if err := w.Start(); err != nil {
		return fmt.Errorf("start worker: %w", err)
	}
	defer w.Stop()
	logger.Info("worker running")

	// A liveness endpoint for container healthchecks: the process is up and its worker started.
	health := &http.Server{
		Addr:              cfg.HealthAddr,
		ReadHeaderTimeout: 2 * time.Second,
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write([]byte(`{"status":"ok"}`))
		}),
	}
	go func() {
		if err := health.ListenAndServe(); err != nil && !errors.Is(err, http.ErrServerClosed) {
			logger.Warn("health endpoint stopped", "error", err)
		}
	}()
	defer func() { _ = health.Close() }()

	ticker := time.NewTicker(cfg.SweepInterval)
	defer ticker.Stop()
	for {
		select {
		case <-ctx.Done():
			logger.Info("worker stopping")
			return nil
		case <-ticker.C:
			sweep(ctx, store, logger)
			resumeStalledTransfers(ctx, store, tc, cfg.TaskQueue, logger)
		}
	}
}

func healthcheck() int {
	addr := os.Getenv("WORKER_HEALTH_ADDR")
	if addr == "" {
		addr = "127.0.0.1:8081"
	}
	return backends.Probe("http://" + addr + "/healthz")
}

// sweep releases expired holds (ending their transfers) and forgets idempotency keys older than 48h.
func sweep(ctx context.Context, store *db.Store, logger *slog.Logger) {
	n, err := store.ExpireHolds(ctx, 100, domain.ErrTypeHoldNotActive, domain.CustomerMessage(domain.ErrTypeHoldNotActive))
	if err != nil {
		logger.Error("expiring holds failed", "error", err)
	} else if n > 0 {
		logger.Warn("expired holds released", "count", n)
	}
	if _, err := store.DeleteIdempotencyKeysBefore(ctx, time.Now().Add(-48*time.Hour)); err != nil {
		logger.Error("deleting old idempotency keys failed", "error", err)
	}
}

// resumeStalledTransfers starts the workflow of any transfer recorded between a minute and a day ago
// that has none (its API process stopped between recording and starting it), so no transfer stays
// pending.
// The workflow id derives from the transfer, so a workflow that exists is never started twice.
func resumeStalledTransfers(ctx context.Context, store *db.Store, tc client.Client, taskQueue string, logger *slog.Logger) {
	now := time.Now()
	stalled, err := store.ListStalledTransfers(ctx, db.ListStalledTransfersParams{
		OlderThan: now.Add(-time.Minute), NewerThan: now.Add(-24 * time.Hour), MaxRows: 100,
	})
	if err != nil {
		logger.Error("listing stalled transfers failed", "error", err)
		return
	}
	for _, t := range stalled {
		_, err := tc.DescribeWorkflow(ctx, t.WorkflowID, "")
		var notFound *serviceerror.NotFound
		if !errors.As(err, &notFound) {
			continue // running (or Temporal unreachable: try again next sweep)
		}
		in := workflows.TransferInput{
			TransferID: t.ID.String(), Kind: t.Kind, FromAccountID: t.FromAccountID.String(),
			ToAccountID: t.ToAccountID.String(), Amount: t.Amount, Currency: t.Currency,
		}
		_, err = tc.ExecuteWorkflow(ctx, workflows.TransferStartOptions(in, taskQueue), workflows.Transfer, in)
		var started *serviceerror.WorkflowExecutionAlreadyStarted
		if err != nil && !errors.As(err, &started) {
			logger.Error("resuming stalled transfer failed", "transfer_id", t.ID.String(), "error", err)
			continue
		}
		logger.Warn("resumed stalled transfer", "transfer_id", t.ID.String())
	}
}

// ensureNamespace registers the namespace when missing and adds the search attributes the
// workflows use, so operators can find transfers by id, account and status.
func ensureNamespace(ctx context.Context, tc client.Client, namespace string, logger *slog.Logger) error {
	_, err := tc.WorkflowService().DescribeNamespace(ctx, &workflowservice.DescribeNamespaceRequest{Namespace: namespace})
	var notFound *serviceerror.NamespaceNotFound
	if errors.As(err, &notFound) {
		_, err = tc.WorkflowService().RegisterNamespace(ctx, &workflowservice.RegisterNamespaceRequest{
			Namespace:                        namespace,
			WorkflowExecutionRetentionPeriod: durationpb.New(7 * 24 * time.Hour),
		})
		var exists *serviceerror.NamespaceAlreadyExists
		if err != nil && !errors.As(err, &exists) {
			return fmt.Errorf("register namespace: %w", err)
		}
		logger.Info("registered namespace", "namespace", namespace)
	} else if err != nil {
		return fmt.Errorf("describe namespace: %w", err)
	}
	have, err := tc.OperatorService().ListSearchAttributes(ctx, &operatorservice.ListSearchAttributesRequest{Namespace: namespace})
	if err != nil {
		return fmt.Errorf("list search attributes: %w", err)
	}
	missing := workflows.SearchAttributes()
	for name := range have.GetCustomAttributes() {
		delete(missing, name)
	}
	if len(missing) == 0 {
		return nil
	}
	_, err = tc.OperatorService().AddSearchAttributes(ctx, &operatorservice.AddSearchAttributesRequest{
		Namespace: namespace, SearchAttributes: missing,
	})
	var exists *serviceerror.AlreadyExists
	if err != nil && !errors.As(err, &exists) {
		return fmt.Errorf("add search attributes: %w", err)
	}
	logger.Info("added search attributes", "count", len(missing))
	return nil
}
