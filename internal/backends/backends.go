// Package backends reads where the bank's servers are and connects to them: PostgreSQL (as the
// application's role, on a database `bankctl migrate` has migrated), MongoDB and Temporal. The API
// and the worker start the same way.
package backends

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.opentelemetry.io/otel/trace"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/interceptor"
	tlog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/workflow"

	"github.com/bankforge/bank/audit"
	"github.com/bankforge/bank/db"
	"github.com/bankforge/bank/inbox"
	"github.com/bankforge/bank/internal/envconfig"
	"github.com/bankforge/bank/internal/logctx"
	"github.com/bankforge/bank/internal/telemetry"
)

// Config says where the servers are.
type Config struct {
	DatabaseURL       string
	DBMaxConns        int
	MongoURI          string
	MongoDatabase     string
	TemporalAddress   string
	TemporalNamespace string
}

// Read reads the configuration from the environment (see the README).
func Read(e *envconfig.Reader) Config {
	return Config{
		// The application's role (see cmd/bankctl), never the tables' owner.
		DatabaseURL:       e.String("DATABASE_URL", "postgres://bank_app@127.0.0.1:5432/bank?sslmode=disable"),
		DBMaxConns:        e.Int("DB_MAX_CONNS", 16, 1, 1000),
		MongoURI:          e.String("MONGO_URI", "mongodb://127.0.0.1:27017/"),
		MongoDatabase:     e.String("MONGO_DATABASE", "bank"),
		TemporalAddress:   e.String("TEMPORAL_ADDRESS", "127.0.0.1:7233"),
		TemporalNamespace: e.String("TEMPORAL_NAMESPACE", "default"),
	}
}

// LogAttrs describes the configuration for a start-up log line, without secrets.
func (c Config) LogAttrs() []any {
	return []any{"database_url", envconfig.MaskURL(c.DatabaseURL), "mongo_uri", envconfig.MaskURL(c.MongoURI),
		"temporal_address", c.TemporalAddress, "namespace", c.TemporalNamespace}
}

// Backends are open connections.
type Backends struct {
	Store    *db.Store
	Audit    *audit.Store
	Inbox    *inbox.Store
	Mongo    *mongo.Client
	Temporal client.Client
}

// Telemetry is where the connections report; its zero value reports nothing.
type Telemetry struct {
	// Tracer, when set, traces the database's queries and the Temporal client's workflow starts,
	// and the workflows and activities of the workers made from the client.
	Tracer trace.TracerProvider
	// Temporal receives the Temporal SDK's metrics, the client's and those of workers built on it.
	Temporal client.MetricsHandler
	// Ledger is told what the ledger's and the freezes' transactions changed, once each committed.
	Ledger db.Observer
}

// Connect opens the connections, checking that the database is migrated, and returns them with a
// function that closes them; they report to t. Traced or not, the client carries a request's id
// into the workflows it starts and their activities, and their loggers write it (logctx).
func Connect(ctx context.Context, c Config, logger *slog.Logger, t Telemetry) (*Backends, func(), error) {
	var closers []func()
	closeAll := func() {
		for i := len(closers) - 1; i >= 0; i-- {
			closers[i]()
		}
	}
	var dbOpts []db.ConnectOption
	var interceptors []interceptor.ClientInterceptor
	if t.Tracer != nil {
		dbOpts = append(dbOpts, db.WithTracing(t.Tracer))
		tracing, err := telemetry.TemporalTracing(t.Tracer)
		if err != nil {
			return nil, nil, fmt.Errorf("temporal tracing: %w", err)
		}
		interceptors = append(interceptors, tracing)
	}
	interceptors = append(interceptors, logctx.Interceptor())
	pool, err := db.Connect(ctx, c.DatabaseURL, int32(c.DBMaxConns), dbOpts...)
	if err != nil {
		return nil, nil, err
	}
	closers = append(closers, pool.Close)
	if err := db.CheckMigrated(ctx, pool); err != nil {
		closeAll()
		if !db.IsUnavailable(err) {
			err = permanentError{err}
		}
		return nil, nil, err
	}

	mongoClient, err := audit.Connect(ctx, c.MongoURI)
	if err != nil {
		closeAll()
		return nil, nil, err
	}
	closers = append(closers, func() { _ = mongoClient.Disconnect(context.WithoutCancel(ctx)) })

	tc, err := client.DialContext(ctx, client.Options{
		HostPort:       c.TemporalAddress,
		Namespace:      c.TemporalNamespace,
		Logger:         tlog.NewStructuredLogger(logger),
		MetricsHandler: t.Temporal,

		Interceptors:       interceptors,
		ContextPropagators: []workflow.ContextPropagator{logctx.Propagator()},
	})
	if err != nil {
		closeAll()
		return nil, nil, fmt.Errorf("connect temporal: %w", err)
	}
	closers = append(closers, tc.Close)

	// Both processes write the audit log: its chain's unique index must exist before either does.
	auditStore := audit.NewStore(mongoClient.Database(c.MongoDatabase))
	if err := auditStore.EnsureIndexes(ctx); err != nil {
		closeAll()
		return nil, nil, err
	}
	store := db.NewStore(pool)
	if t.Ledger != nil {
		store = store.Observed(t.Ledger)
	}
	return &Backends{
		Store:    store,
		Audit:    auditStore,
		Inbox:    inbox.NewStore(mongoClient.Database(c.MongoDatabase)),
		Mongo:    mongoClient,
		Temporal: tc,
	}, closeAll, nil
}

// Probe GETs url and returns a process exit code: 0 when it answers 200, 1 otherwise. Container
// healthchecks run it through the binaries' `healthcheck` subcommand.
func Probe(url string) int {
	c := http.Client{Timeout: 3 * time.Second}
	resp, err := c.Get(url)
	if err != nil {
		return 1
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return 1
	}
	return 0
}
