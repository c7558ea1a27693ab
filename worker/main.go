// Command worker runs the bank's Temporal workflows and activities, and makes sure the schedules
// that run the bank's chores (workflows.Maintenance) and deliver its emails (workflows.DeliverEmails)
// exist, once per cluster.
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

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/operatorservice/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/bankforge/bank/internal/backends"
	"github.com/bankforge/bank/internal/bankworker"
	"github.com/bankforge/bank/internal/envconfig"
	"github.com/bankforge/bank/internal/logctx"
	"github.com/bankforge/bank/internal/metrics"
	"github.com/bankforge/bank/internal/telemetry"
	"github.com/bankforge/bank/workflows"
)

type config struct {
	Backends            backends.Config
	TaskQueue           string
	Worker              bankworker.Settings
	MaintenanceInterval time.Duration
	EmailsInterval      time.Duration
	HealthAddr          string
	// MetricsAddr serves /metrics; empty: no metrics listener.
	MetricsAddr string
	LogLevel    slog.Level
	Telemetry   telemetry.Config
}

func loadConfig(lookup func(string) (string, bool)) (config, error) {
	e := envconfig.New(lookup)
	c := config{
		Backends:            backends.Read(e),
		TaskQueue:           e.String("TEMPORAL_TASK_QUEUE", workflows.TaskQueue),
		Worker:              bankworker.ReadSettings(e),
		MaintenanceInterval: e.Duration("MAINTENANCE_INTERVAL", workflows.MaintenanceInterval, time.Second, time.Hour),
		EmailsInterval:      e.Duration("EMAILS_INTERVAL", workflows.EmailsInterval, time.Second, time.Hour),
		HealthAddr:          e.String("WORKER_HEALTH_ADDR", "127.0.0.1:8081"),
		MetricsAddr:         e.ListenAddr("METRICS_ADDR", "127.0.0.1:9092"),
		LogLevel:            e.LogLevel("LOG_LEVEL"),
		Telemetry:           telemetry.Read(e, "bank-worker"),
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
		logger.Error("worker stopped", "error", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, cfg config, logger *slog.Logger) error {
	logger.Info("starting worker", append(append(append(cfg.Backends.LogAttrs(), "task_queue", cfg.TaskQueue, "metrics_addr", cfg.MetricsAddr), cfg.Worker.LogAttrs()...),
		cfg.Telemetry.LogAttrs()...)...)
	tp, stopTracing, err := telemetry.Start(ctx, cfg.Telemetry, logger)
	if err != nil {
		return err
	}
	defer func() {
		// The spans of the last activities, flushed once the worker has stopped.
		flushCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		if err := stopTracing(flushCtx); err != nil {
			logger.Warn("flushing traces failed", "error", err)
		}
	}()

	// This process's metrics, in a registry of its own served apart, and its connections.
	b, reg, closeBackends, err := backends.Open(ctx, cfg.Backends, logger, tp, cfg.MetricsAddr)
	if err != nil {
		return err
	}
	defer closeBackends()
	store, auditStore, tc := b.Store, b.Audit, b.Temporal
	if err := b.Inbox.EnsureIndexes(ctx); err != nil {
		logger.Warn("inbox indexes not created", "error", err)
	}
	if err := ensureNamespace(ctx, tc, cfg.Backends.TemporalNamespace, logger); err != nil {
		return err
	}

	w, err := bankworker.New(tc, cfg.TaskQueue, cfg.Worker, store, auditStore, b.Inbox, metrics.NewMail(reg), logger)
	if err != nil {
		return err
	}
	if err := w.Start(); err != nil {
		return fmt.Errorf("start worker: %w", err)
	}
	defer w.Stop()
	for _, sch := range []struct {
		id       string
		workflow any
		summary  string
		every    time.Duration
	}{
		{workflows.MaintenanceScheduleID, workflows.Maintenance, workflows.MaintenanceSummary, cfg.MaintenanceInterval},
		{workflows.EmailsScheduleID, workflows.DeliverEmails, workflows.EmailsSummary, cfg.EmailsInterval},
	} {
		if err := ensureSchedule(ctx, tc, sch.id, sch.workflow, sch.summary, cfg.TaskQueue, sch.every, logger); err != nil {
			return err
		}
	}
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

	<-ctx.Done()
	logger.Info("worker stopping")
	return nil
}

func healthcheck() int {
	addr := os.Getenv("WORKER_HEALTH_ADDR")
	if addr == "" {
		addr = "127.0.0.1:8081"
	}
	return backends.Probe("http://" + addr + "/healthz")
}

// ensureSchedule creates the schedule id that starts workflow every interval, its runs summarised
// by summary in the web UI, or sets the interval and the action of the one that exists. Every worker
// replica calls it; a schedule is one per namespace, and a run still going when the next is due
// makes that one skip, so the work runs once per cluster.
func ensureSchedule(ctx context.Context, tc client.Client, id string, workflow any, summary, taskQueue string, every time.Duration, logger *slog.Logger) error {
	spec := client.ScheduleSpec{Intervals: []client.ScheduleIntervalSpec{{Every: every}}}
	action := &client.ScheduleWorkflowAction{
		ID:                       id,
		Workflow:                 workflow,
		TaskQueue:                taskQueue,
		WorkflowExecutionTimeout: 15 * time.Minute,
		StaticSummary:            summary,
	}
	_, err := tc.ScheduleClient().Create(ctx, client.ScheduleOptions{
		ID:      id,
		Spec:    spec,
		Overlap: enumspb.SCHEDULE_OVERLAP_POLICY_SKIP,
		Action:  action,
	})
	if err == nil {
		logger.Info("created schedule", "schedule_id", id, "every", every.String())
		return nil
	}
	if !errors.Is(err, temporal.ErrScheduleAlreadyRunning) {
		return fmt.Errorf("create schedule %s: %w", id, err)
	}
	err = tc.ScheduleClient().GetHandle(ctx, id).Update(ctx, client.ScheduleUpdateOptions{
		DoUpdate: func(in client.ScheduleUpdateInput) (*client.ScheduleUpdate, error) {
			in.Description.Schedule.Spec = &spec
			in.Description.Schedule.Action = action
			return &client.ScheduleUpdate{Schedule: &in.Description.Schedule}, nil
		},
	})
	if err != nil {
		return fmt.Errorf("update schedule %s: %w", id, err)
	}
	return nil
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
