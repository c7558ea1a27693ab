// Package api is the bank's HTTP API: it validates requests, starts workflows for the operations
// that move money or create users, and serves read models from PostgreSQL.
package api

import (
	"context"
	"fmt"
	"io/fs"
	"log/slog"
	"net/http"
	"net/netip"
	"time"

	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	metricnoop "go.opentelemetry.io/otel/metric/noop"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
	"go.temporal.io/sdk/client"

	"github.com/bankforge/bank/audit"
	"github.com/bankforge/bank/db"
	"github.com/bankforge/bank/inbox"
	"github.com/bankforge/bank/internal/metrics"
	"github.com/bankforge/bank/internal/password"
)

// Workflows starts and inspects workflows; the Temporal client satisfies it.
type Workflows interface {
	ExecuteWorkflow(ctx context.Context, options client.StartWorkflowOptions, workflow any, args ...any) (client.WorkflowRun, error)
	DescribeWorkflow(ctx context.Context, workflowID, runID string) (*client.WorkflowExecutionDescription, error)
	GetWorkflow(ctx context.Context, workflowID, runID string) client.WorkflowRun
	SignalWithStartWorkflow(ctx context.Context, workflowID, signalName string, signalArg any, options client.StartWorkflowOptions, workflow any, workflowArgs ...any) (client.WorkflowRun, error)
}

// AuditLog records security events and reads the audit log back.
type AuditLog interface {
	Record(ctx context.Context, e audit.Event) error
	Events(ctx context.Context, f audit.Filter) ([]audit.Event, error)
	Verify(ctx context.Context) (audit.Verification, error)
}

// Inbox keeps the users' notifications: the API writes those of the events it handles (a password
// changed, a login locked or from a new device, a staff invitation), and each user reads and marks
// their own.
type Inbox interface {
	Notify(ctx context.Context, ns ...inbox.Notification) error
	List(ctx context.Context, userID string, q inbox.Query) ([]inbox.Notification, error)
	UnreadCount(ctx context.Context, userID string) (int64, error)
	MarkRead(ctx context.Context, userID, id string, at time.Time) (inbox.Notification, error)
	MarkAllRead(ctx context.Context, userID string, at time.Time) (int64, error)
}

var _ Inbox = (*inbox.Store)(nil)

// Events tells when something named by a key happens (a transfer ending, by its id).
type Events interface {
	Subscribe(key string) (<-chan struct{}, func())
}

// Config holds the API's settings.
type Config struct {
	JWTSecret       []byte
	Issuer          string
	Audience        string
	AccessTTL       time.Duration
	RefreshTTL      time.Duration
	DefaultCurrency string
	TaskQueue       string
	// EagerStart starts transfers with eager workflow start: the Temporal server hands the first
	// workflow task back with the start, to a worker in this process, saving a round trip through
	// the task queue. The API process must then run a bank worker.
	EagerStart bool

	// AuthRateLimit is how many requests one client (an IPv4 address or an IPv6 /64) may make to
	// the auth routes per minute.
	AuthRateLimit int
	// ClientRateLimit is how many requests one client may make to any route per minute.
	ClientRateLimit int
	// WriteRateLimit is how many writes (POST, PATCH, PUT, DELETE) one signed-in user may make per
	// minute, wherever they come from.
	WriteRateLimit int
	// MaxWaitsPerUser bounds the requests one user (or, signed out, one client) may hold open with
	// ?wait= at once.
	MaxWaitsPerUser int
	// MaxAccounts is how many open accounts one customer may hold.
	MaxAccounts int
	// MaxSocketsPerUser bounds the live event sockets (GET /v1/ws) one user may hold open on one
	// API process at once.
	MaxSocketsPerUser int
	// SocketPingInterval is how often the server pings each socket; SocketWriteTimeout bounds an
	// event's write and a ping's answer: a client slower than that is dropped.
	SocketPingInterval time.Duration
	SocketWriteTimeout time.Duration
	// SocketSessionCheck is how often a socket checks that its session is live and its user
	// active; a socket whose session ended closes then (and at its token's expiry).
	SocketSessionCheck time.Duration
	// SocketAuthTimeout is how long a socket that carried no token in its handshake waits for its
	// auth message (DefaultSocketAuthTimeout when zero).
	SocketAuthTimeout time.Duration
	// AppURL is where people reach the bank's web app; emailed links point into it.
	AppURL string
	// App is the web app's files (its production build: index.html and hashed files under
	// assets/), served at every GET path outside the API; nil serves none, and such a path is
	// answered 404, saying the app is not built.
	App fs.FS
	// TrustedProxies are the proxies whose X-Forwarded-For names the client; with none, the TCP
	// peer is the client.
	TrustedProxies []netip.Prefix
	// After LockThreshold failed logins in a row, each further failure locks the login for
	// LockBase, doubling every time, up to LockMax.
	LockThreshold int
	LockBase      time.Duration
	LockMax       time.Duration
	// MaxWait bounds ?wait= on operation polling.
	MaxWait time.Duration
	// WaitRecheck is how often a waiting read re-reads a transfer its notification has not woken
	// it for (a notification lost while the listener reconnected): one second unless set.
	WaitRecheck time.Duration

	// CashApprovalThresholds is, per currency, the amount in minor units from which a deposit or
	// withdrawal waits for a second admin's approval. Every supported currency needs one; nil means
	// DefaultCashApprovalThresholds.
	CashApprovalThresholds map[string]int64
	// CashApprovalTTL is how long an approval waits for its decision before it expires (zero:
	// DefaultCashApprovalTTL).
	CashApprovalTTL time.Duration
	// AdminDailyCashLimits is, per currency, the most one admin's deposits and withdrawals of a UTC
	// day may add up to, those awaiting approval included. Every supported currency needs one; nil
	// means DefaultAdminDailyCashLimits.
	AdminDailyCashLimits map[string]int64

	// CodecCORSOrigins are the web origins (the Temporal web UI's) whose pages may call the payload
	// codec's routes, lower-case; nil means DefaultCodecCORSOrigins.
	CodecCORSOrigins []string
}

// Deps are the API's collaborators.
type Deps struct {
	Store     *db.Store
	Workflows Workflows
	Audit     AuditLog
	Inbox     Inbox
	Hasher    *password.Hasher
	Logger    *slog.Logger
	// TransferFinished, when set, wakes requests waiting on a transfer as soon as it ends; without
	// it they re-read the transfer periodically.
	TransferFinished Events
	// UserEvents, when set, wakes a user's sockets as soon as events are appended for them
	// (keyed by the user's id); without it each socket re-reads every second.
	UserEvents Events
	// SessionChanges, when set, lets the API keep the sessions it authenticated in memory while it
	// hears every change that may end one (db.SessionChangesChannel); without it every request
	// reads its session.
	SessionChanges SessionChanges
	// Codec encrypts and decrypts the Temporal client's payloads, for the codec's routes; nil when
	// payloads are kept in clear (the routes then pass them through).
	Codec PayloadCodec
	// Ready lists the checks /readyz runs, by name.
	Ready map[string]func(context.Context) error
	Now   func() time.Time
	// TracerProvider, when set, makes a server span of every request but the health checks, a
	// child of the caller's span when the request carries a W3C traceparent header; nil traces
	// nothing.
	TracerProvider trace.TracerProvider
	// Metrics counts the requests and what users do (failed logins, sockets, replays); nil
	// counts nothing.
	Metrics *metrics.API
}

type server struct {
	cfg         Config
	store       *db.Store
	workflows   Workflows
	audit       AuditLog
	inbox       Inbox
	query       queryParams
	hasher      *password.Hasher
	logger      *slog.Logger
	finished    Events
	ready       map[string]func(context.Context) error
	now         func() time.Time
	currencies  map[string]int
	authLimit   *rateLimiter // per client, on the auth routes
	clientLimit *rateLimiter // per client, on every route
	writeLimit  *rateLimiter // per user, on writes
	waits       *gate        // per user, on ?wait=
	sockets     *gate        // per user, open live event sockets
	userEvents  Events
	sessions    *sessionCache // nil: every request reads its session
	codec       PayloadCodec  // nil: payloads in clear
	app         *webApp       // nil without an app
	csrfKey     []byte        // signs the browser sessions' CSRF tokens
	// life ends when the process shuts down: the sockets then close.
	life    context.Context
	metrics *metrics.API // nil counts nothing
}

// Defaults of the live event sockets.
const (
	DefaultMaxSocketsPerUser  = 5
	DefaultSocketPingInterval = 30 * time.Second
	DefaultSocketWriteTimeout = 10 * time.Second
	DefaultSocketSessionCheck = 15 * time.Second
	DefaultSocketAuthTimeout  = 5 * time.Second
)

// New returns the API's HTTP handler. It loads the supported currencies once. The live event
// sockets (GET /v1/ws) close, going away, when ctx ends.
func New(ctx context.Context, cfg Config, deps Deps) (http.Handler, error) {
	if len(cfg.JWTSecret) < 32 {
		return nil, fmt.Errorf("jwt secret must be at least 32 bytes")
	}
	if deps.Now == nil {
		deps.Now = time.Now
	}
	if cfg.WaitRecheck <= 0 {
		cfg.WaitRecheck = time.Second
	}
	if cfg.MaxWait <= 0 {
		cfg.MaxWait = 20 * time.Second
	}
	if cfg.AuthRateLimit <= 0 {
		cfg.AuthRateLimit = 30
	}
	if cfg.ClientRateLimit <= 0 {
		cfg.ClientRateLimit = 600
	}
	if cfg.WriteRateLimit <= 0 {
		cfg.WriteRateLimit = 60
	}
	if cfg.MaxWaitsPerUser <= 0 {
		cfg.MaxWaitsPerUser = 4
	}
	if cfg.MaxAccounts <= 0 {
		cfg.MaxAccounts = 5
	}
	if cfg.MaxSocketsPerUser <= 0 {
		cfg.MaxSocketsPerUser = DefaultMaxSocketsPerUser
	}
	if cfg.SocketPingInterval <= 0 {
		cfg.SocketPingInterval = DefaultSocketPingInterval
	}
	if cfg.SocketWriteTimeout <= 0 {
		cfg.SocketWriteTimeout = DefaultSocketWriteTimeout
	}
	if cfg.SocketSessionCheck <= 0 {
		cfg.SocketSessionCheck = DefaultSocketSessionCheck
	}
	if cfg.SocketAuthTimeout <= 0 {
		cfg.SocketAuthTimeout = DefaultSocketAuthTimeout
	}
	if cfg.AppURL == "" {
		cfg.AppURL = "http://localhost:8080"
	}
	if cfg.CodecCORSOrigins == nil {
		cfg.CodecCORSOrigins = DefaultCodecCORSOrigins
	}
	rows, err := deps.Store.ListCurrencies(ctx)
	if err != nil {
		return nil, fmt.Errorf("load currencies: %w", err)
	}
	currencies := make(map[string]int, len(rows))
	for _, c := range rows {
		currencies[c.Code] = int(c.Exponent)
	}
	if _, ok := currencies[cfg.DefaultCurrency]; !ok {
		return nil, fmt.Errorf("default currency %q is not supported", cfg.DefaultCurrency)
	}
	if err := cfg.checkCash(currencies); err != nil {
		return nil, err
	}
	query, err := documentedQueryParams(OpenAPI)
	if err != nil {
		return nil, err
	}
	csrfKey, err := deriveCSRFKey(cfg.JWTSecret)
	if err != nil {
		return nil, err
	}
	s := &server{
		query:       query,
		cfg:         cfg,
		store:       deps.Store,
		workflows:   deps.Workflows,
		audit:       deps.Audit,
		inbox:       deps.Inbox,
		hasher:      deps.Hasher,
		logger:      deps.Logger,
		finished:    deps.TransferFinished,
		ready:       deps.Ready,
		now:         deps.Now,
		currencies:  currencies,
		authLimit:   newRateLimiter(cfg.AuthRateLimit, time.Minute, deps.Now),
		clientLimit: newRateLimiter(cfg.ClientRateLimit, time.Minute, deps.Now),
		writeLimit:  newRateLimiter(cfg.WriteRateLimit, time.Minute, deps.Now),
		waits:       newGate(cfg.MaxWaitsPerUser),
		sockets:     newGate(cfg.MaxSocketsPerUser),
		userEvents:  deps.UserEvents,
		codec:       deps.Codec,
		csrfKey:     csrfKey,
		life:        ctx,
		metrics:     deps.Metrics,
	}
	if cfg.App != nil {
		s.app = newWebApp(cfg.App)
	}
	if deps.SessionChanges != nil {
		s.sessions = newSessionCache(deps.Now)
		deps.SessionChanges.Observe(s.sessions)
	}
	if deps.TracerProvider == nil {
		return s.routes(), nil
	}
	return otelhttp.NewHandler(s.routes(), "",
		otelhttp.WithTracerProvider(deps.TracerProvider),
		otelhttp.WithMeterProvider(metricnoop.NewMeterProvider()),
		otelhttp.WithPropagators(propagation.TraceContext{}),
		otelhttp.WithFilter(func(r *http.Request) bool { return r.URL.Path != "/healthz" && r.URL.Path != "/readyz" }),
	), nil
}

func (s *server) healthz(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

func (s *server) readyz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 3*time.Second)
	defer cancel()
	checks := map[string]string{}
	status := http.StatusOK
	for name, check := range s.ready {
		if err := check(ctx); err != nil {
			s.logger.WarnContext(ctx, "readiness check failed", "check", name, "error", err)
			checks[name] = "unavailable"
			status = http.StatusServiceUnavailable
		} else {
			checks[name] = "ok"
		}
	}
	word := "ok"
	if status != http.StatusOK {
		word = "unavailable"
	}
	writeJSON(w, status, map[string]any{"status": word, "checks": checks})
}

// recordAudit writes an audit event; the audit log being down must not fail the request, so a
// failure is logged instead.
func (s *server) recordAudit(ctx context.Context, e audit.Event) {
	if e.RequestID == "" {
		e.RequestID = requestID(ctx)
	}
	if err := s.audit.Record(context.WithoutCancel(ctx), e); err != nil {
		s.logger.ErrorContext(ctx, "audit event not recorded", "type", e.Type, "event_id", e.ID, "error", err)
	}
}
