// Package backends reads where the bank's servers are and connects to them: PostgreSQL (as the
// application's role, on a database `bankctl migrate` has migrated), MongoDB and Temporal, whose
// client encrypts every payload it hands to the server. The API and the worker start the same way.
package backends

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"slices"
	"strings"
	"time"

	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.opentelemetry.io/otel/trace"
	"go.temporal.io/sdk/client"
	temporalenv "go.temporal.io/sdk/contrib/envconfig"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/interceptor"
	tlog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/workflow"

	"github.com/bankforge/bank/audit"
	"github.com/bankforge/bank/db"
	"github.com/bankforge/bank/inbox"
	"github.com/bankforge/bank/internal/envconfig"
	"github.com/bankforge/bank/internal/logctx"
	"github.com/bankforge/bank/internal/payloadcodec"
	"github.com/bankforge/bank/internal/telemetry"
)

// The Temporal client's defaults when neither a variable nor a profile names them.
const (
	DefaultTemporalAddress   = "127.0.0.1:7233"
	DefaultTemporalNamespace = "default"
)

// Config says where the servers are.
type Config struct {
	DatabaseURL   string
	DBMaxConns    int
	MongoURI      string
	MongoDatabase string
	// TemporalAddress and TemporalNamespace are where the Temporal client connects, as Temporal's
	// client configuration resolved them.
	TemporalAddress   string
	TemporalNamespace string
	// Temporal is the Temporal client's connection: address, namespace, TLS, API key and gRPC
	// headers, from Temporal's standard client configuration (the TEMPORAL_* variables, and a
	// profile of its TOML file).
	Temporal client.Options
	// temporalProfile describes Temporal for the start-up log, without secrets.
	temporalProfile temporalenv.ClientConfigProfile
	temporalSource  []any
	// PayloadKeys encrypt the Temporal client's payloads, the first one new payloads; none (with
	// PAYLOAD_CODEC_KEYS=off) keeps them in clear.
	PayloadKeys []payloadcodec.Key
	// Profiles serves Go's runtime profiles at /debug/pprof/ on the metrics listener
	// (METRICS_PPROF=true), for profiling a process under load; off by default.
	Profiles bool
}

// Read reads the configuration from the environment (see the README).
func Read(e *envconfig.Reader) Config {
	c := Config{
		// The application's role (see cmd/bankctl), never the tables' owner.
		DatabaseURL:   e.String("DATABASE_URL", "postgres://bank_app@127.0.0.1:5432/bank?sslmode=disable"),
		DBMaxConns:    e.Int("DB_MAX_CONNS", 16, 1, 1000),
		MongoURI:      e.String("MONGO_URI", "mongodb://127.0.0.1:27017/"),
		MongoDatabase: e.String("MONGO_DATABASE", "bank"),
		Profiles:      e.Bool("METRICS_PPROF", false),
	}
	readTemporal(e, &c)
	switch keys := e.String("PAYLOAD_CODEC_KEYS", ""); {
	case keys == "":
		e.Fail(errors.New("PAYLOAD_CODEC_KEYS is required: comma-separated id:key pairs, each key 32 random bytes in base64 " +
			"(e.g. `echo \"k1:$(openssl rand -base64 32)\"`), the first encrypting; or off to keep Temporal's payloads in clear"))
	case strings.EqualFold(keys, payloadcodec.Off):
	default:
		parsed, err := payloadcodec.ParseKeys(keys)
		if err != nil {
			e.Fail(fmt.Errorf("PAYLOAD_CODEC_KEYS: %w", err))
		}
		c.PayloadKeys = parsed
	}
	return c
}

// readTemporal reads Temporal's standard client configuration: the profile named by
// TEMPORAL_PROFILE (default "default") of the TOML file at TEMPORAL_CONFIG_FILE (default the
// user's temporalio/temporal.toml; none is fine), with the TEMPORAL_* variables over it.
func readTemporal(e *envconfig.Reader, c *Config) {
	fail := func(err error) {
		e.Fail(fmt.Errorf("the Temporal client configuration (TEMPORAL_* variables, TEMPORAL_CONFIG_FILE, TEMPORAL_PROFILE): %w", err))
	}
	// Temporal's loader reads a missing file as an empty one; a file the operator named must exist.
	file, _ := e.LookupEnv("TEMPORAL_CONFIG_FILE")
	if file != "" {
		if _, err := os.Stat(file); err != nil {
			fail(fmt.Errorf("TEMPORAL_CONFIG_FILE: %w", err))
			return
		}
	}
	profile, _ := e.LookupEnv("TEMPORAL_PROFILE")
	prof, err := temporalenv.LoadClientConfigProfile(temporalenv.LoadClientConfigProfileOptions{EnvLookup: e})
	if err != nil {
		fail(err)
		return
	}
	if prof.Address == "" {
		prof.Address = DefaultTemporalAddress
	}
	if prof.Namespace == "" {
		prof.Namespace = DefaultTemporalNamespace
	}
	opts, err := prof.ToClientOptions(temporalenv.ToClientOptionsRequest{})
	if err != nil {
		fail(err)
		return
	}
	c.Temporal, c.temporalProfile = opts, prof
	c.TemporalAddress, c.TemporalNamespace = opts.HostPort, opts.Namespace
	if file != "" || profile != "" {
		c.temporalSource = []any{"temporal_config_file", file, "temporal_profile", profile}
	}
}

// LogAttrs describes the configuration for a start-up log line, without secrets: the Temporal API
// key's length only, TLS's files by path, gRPC headers by name, and the payload keys by id.
func (c Config) LogAttrs() []any {
	attrs := []any{"database_url", envconfig.MaskURL(c.DatabaseURL), "mongo_uri", envconfig.MaskURL(c.MongoURI),
		"temporal_address", c.TemporalAddress, "namespace", c.TemporalNamespace}
	attrs = append(attrs, c.temporalSource...)
	p := c.temporalProfile
	tls := "off"
	switch {
	case p.TLS != nil && p.TLS.Disabled:
	case p.TLS != nil && (p.TLS.ClientCertPath != "" || len(p.TLS.ClientCertData) > 0):
		tls = "mtls"
	case p.TLS != nil || p.APIKey != "":
		tls = "on"
	}
	attrs = append(attrs, "temporal_tls", tls)
	if p.TLS != nil && !p.TLS.Disabled {
		if p.TLS.ClientCertPath != "" {
			attrs = append(attrs, "temporal_tls_client_cert", p.TLS.ClientCertPath)
		}
		if p.TLS.ServerCACertPath != "" {
			attrs = append(attrs, "temporal_tls_server_ca_cert", p.TLS.ServerCACertPath)
		}
		if p.TLS.ServerName != "" {
			attrs = append(attrs, "temporal_tls_server_name", p.TLS.ServerName)
		}
		if p.TLS.DisableHostVerification {
			attrs = append(attrs, "temporal_tls_host_verification", false)
		}
	}
	if p.APIKey != "" {
		attrs = append(attrs, "temporal_api_key", envconfig.Mask(p.APIKey))
	}
	if len(p.GRPCMeta) > 0 {
		names := make([]string, 0, len(p.GRPCMeta))
		for name := range p.GRPCMeta {
			names = append(names, name)
		}
		slices.Sort(names)
		attrs = append(attrs, "temporal_grpc_meta", names)
	}
	if len(c.PayloadKeys) == 0 {
		return append(attrs, "payload_codec", payloadcodec.Off)
	}
	ids := make([]string, len(c.PayloadKeys))
	for i, k := range c.PayloadKeys {
		ids[i] = k.ID
	}
	return append(attrs, "payload_codec", "aes-256-gcm", "payload_encryption_key", ids[0], "payload_decryption_keys", ids)
}

// Backends are open connections.
type Backends struct {
	Store    *db.Store
	Audit    *audit.Store
	Inbox    *inbox.Store
	Mongo    *mongo.Client
	Temporal client.Client
	// Codec encrypts and decrypts the Temporal client's payloads; nil when they are kept in clear.
	Codec *payloadcodec.Codec
}

// TemporalOptions are the Temporal client's options: the connection c describes, logging to
// logger, and every payload through codec (in clear when it is nil), failures' messages included.
func TemporalOptions(c Config, codec *payloadcodec.Codec, logger *slog.Logger) client.Options {
	opts := c.Temporal
	if opts.HostPort == "" {
		opts.HostPort, opts.Namespace = c.TemporalAddress, c.TemporalNamespace
	}
	opts.Logger = tlog.NewStructuredLogger(logger)
	var pc converter.PayloadCodec
	if codec != nil {
		pc = codec
	}
	opts.DataConverter = payloadcodec.DataConverter(pc)
	opts.FailureConverter = payloadcodec.FailureConverter(opts.DataConverter)
	return opts
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

	var codec *payloadcodec.Codec
	if len(c.PayloadKeys) > 0 {
		if codec, err = payloadcodec.New(c.PayloadKeys); err != nil {
			closeAll()
			return nil, nil, permanentError{err}
		}
	} else {
		logger.Warn("Temporal's payloads are kept in clear (PAYLOAD_CODEC_KEYS=off): workflow inputs and results, names and account numbers included, are readable by whoever reads the Temporal server or its database")
	}
	opts := TemporalOptions(c, codec, logger)
	opts.MetricsHandler = t.Temporal
	opts.Interceptors = interceptors
	opts.ContextPropagators = []workflow.ContextPropagator{logctx.Propagator()}
	tc, err := client.DialContext(ctx, opts)
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
		Codec:    codec,
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
