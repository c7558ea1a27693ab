package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/bankforge/bank/db"
	"github.com/bankforge/bank/dev/stack"
	"github.com/bankforge/bank/internal/bootstrap"
	"github.com/bankforge/bank/internal/password"
	"github.com/bankforge/bank/internal/payloadcodec"
)

// bank is the throwaway bank under test: a fresh database, its first admin, and the whole system
// running as processes (Temporal, the audit store, the worker and the API).
type bank struct {
	serverURL string // the PostgreSQL server the database lives on
	dbName    string
	dbURL     string // the database, as the application's role once migrated
	ownerURL  string // the database, as the server's user, its owner
	dir       string // state and logs of the stack's processes
	keep      bool
	// reused: the database and the state directory were given (-scale-database, -scale-dir) and
	// outlive the run.
	reused bool
	// keepDir: the state directory was given (-scale-dir) and outlives the run.
	keepDir bool

	pool  *pgxpool.Pool // a small pool for seeding and the ledger check
	store *db.Store
	stack *stack.Stack
	logs  *logTally

	adminEmail    string
	adminPassword string
	hasher        *password.Hasher

	// The worker's concurrency settings, which the empty-workflow worker mirrors.
	localActivities int
	workflowPollers int

	// mongoProfileURL is where the Mongo wire server serves its profiles (with -profile), in the
	// form of the other processes' metrics URLs.
	mongoProfileURL string
}

// startBank creates and migrates a fresh database, creates an admin and starts the stack on free
// ports. Whatever it started is torn down again if a later step fails.
func startBank(ctx context.Context, cfg config, logger *slog.Logger) (_ *bank, err error) {
	b := &bank{serverURL: cfg.pgURL, keep: cfg.keep, localActivities: cfg.localActivities, workflowPollers: cfg.workflowPollers}
	defer func() {
		if err != nil {
			b.close(logger)
		}
	}()

	if cfg.scaleDatabase != "" {
		if err := b.useDatabase(cfg.scaleDatabase); err != nil {
			return nil, err
		}
		logger.Info("using database", "name", b.dbName)
	} else {
		if err := b.createDatabase(ctx); err != nil {
			return nil, err
		}
		logger.Info("created database", "name", b.dbName)
	}
	b.ownerURL = b.dbURL
	if err := b.migrate(ctx); err != nil {
		return nil, err
	}
	b.pool, err = db.Connect(ctx, b.dbURL, 8)
	if err != nil {
		return nil, err
	}
	b.store = db.NewStore(b.pool)

	// One hasher for the admin and the customers; its parameters are the production defaults, so
	// logins cost what they cost in production.
	b.hasher = password.NewHasher(password.DefaultParams)
	b.adminEmail = "bench-admin@bench.example"
	if b.adminPassword, err = bootstrap.GeneratePassword(); err != nil {
		return nil, err
	}
	created, err := bootstrap.EnsureAdmin(ctx, b.store, b.hasher, b.adminEmail, b.adminPassword)
	if err != nil {
		return nil, fmt.Errorf("create admin: %w", err)
	}
	if !created { // a reused database: the admin of an earlier run, with a new password
		if b.adminPassword, err = bootstrap.ResetAdminPassword(ctx, b.store, b.hasher, b.adminEmail); err != nil {
			return nil, fmt.Errorf("reset admin: %w", err)
		}
	}

	if cfg.scaleDir != "" {
		b.dir, b.keepDir = cfg.scaleDir, true
		if err := os.MkdirAll(b.dir, 0o700); err != nil {
			return nil, err
		}
	} else if b.dir, err = os.MkdirTemp("", "bank-bench-"); err != nil {
		return nil, err
	}
	ports := make([]int, 7)
	for i := range ports {
		if ports[i], err = stack.FreePort(); err != nil {
			return nil, err
		}
	}
	logFile, err := os.Create(filepath.Join(b.dir, "stack.log"))
	if err != nil {
		return nil, err
	}
	b.logs = newLogTally(logFile)
	secret, err := randomString(48)
	if err != nil {
		return nil, err
	}
	// Payloads are encrypted as in production: the measure includes the codec's cost.
	payloadKeys, err := payloadcodec.NewKeySetting("bench")
	if err != nil {
		return nil, err
	}
	bin, err := filepath.Abs(cfg.bin)
	if err != nil {
		return nil, err
	}
	if cfg.profileDir != "" {
		// The stack's Mongo wire server inherits this process's environment.
		b.mongoProfileURL = "http://127.0.0.1:" + strconv.Itoa(ports[6]) + "/metrics"
		if err := os.Setenv("MONGOWIRE_PPROF", "127.0.0.1:"+strconv.Itoa(ports[6])); err != nil {
			return nil, err
		}
	}
	logger.Info("starting the stack", "dir", b.dir)
	started := time.Now()
	b.stack, err = stack.Start(ctx, stack.Options{
		Dir:          b.dir,
		Bin:          bin,
		DatabaseURL:  b.dbURL,
		TemporalPort: ports[0],
		// Temporal keeps its state in a file, as under `make dev`.
		MongoPort: ports[1],
		APIPort:   ports[2],
		// Free ports of their own, apart from a `make dev` on the same machine.
		APIMetricsAddr:    "127.0.0.1:" + strconv.Itoa(ports[4]),
		WorkerMetricsAddr: "127.0.0.1:" + strconv.Itoa(ports[5]),
		// The API and the worker get the same environment: no login throttling and no transfer or
		// cash limits, so that only capacity limits what gets through.
		Env: []string{
			"AUTH_RATE_LIMIT_PER_MINUTE=1000000",
			"CLIENT_RATE_LIMIT_PER_MINUTE=10000000",
			"USER_WRITE_RATE_LIMIT_PER_MINUTE=10000000",
			"MAX_WAITS_PER_USER=1000", // the most the API accepts
			"JWT_SECRET=" + secret,
			"PAYLOAD_CODEC_KEYS=" + payloadKeys,
			"LOG_LEVEL=warn",
			"TRANSFER_DAILY_MAX_AMOUNT=0",
			"TRANSFER_MAX_AMOUNT=0",
			"ACCESS_TOKEN_TTL=1h",
			"MAIL_MODE=log",
			"WORKER_HEALTH_ADDR=127.0.0.1:" + strconv.Itoa(ports[3]),
			"WORKER_LOCAL_ACTIVITIES=" + strconv.Itoa(cfg.localActivities),
			"WORKER_WORKFLOW_POLLERS=" + strconv.Itoa(cfg.workflowPollers),
			"TRANSFER_EAGER_START=" + strconv.FormatBool(cfg.eager),
			"METRICS_PPROF=" + strconv.FormatBool(cfg.profileDir != ""),
			// The seed's deposits are large and many, by one admin: no second admin to approve them.
			"CASH_APPROVAL_THRESHOLDS=USD=1000000000000000",
			"ADMIN_DAILY_CASH_LIMITS=USD=9223372036854775807",
		},
		Output: b.logs,
	})
	if err != nil {
		return nil, fmt.Errorf("start stack (logs in %s): %w", b.dir, err)
	}
	logger.Info("stack ready", "api", b.stack.APIURL, "temporal", b.stack.TemporalAddress, "took", time.Since(started).Round(time.Millisecond))
	return b, nil
}

// createDatabase creates bank_bench_<random> on the server and derives its URL.
func (b *bank) createDatabase(ctx context.Context) error {
	u, err := url.Parse(b.serverURL)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		return fmt.Errorf("-pg must be a postgres:// URL, not %q", b.serverURL)
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, b.serverURL)
	if err != nil {
		return fmt.Errorf("connect to PostgreSQL (is it running? see -pg): %w", err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	suffix := make([]byte, 6)
	if _, err := rand.Read(suffix); err != nil {
		return err
	}
	name := "bank_bench_" + hex.EncodeToString(suffix)
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		return fmt.Errorf("create database: %w", err)
	}
	b.dbName = name
	u.Path = "/" + name
	b.dbURL = u.String()
	return nil
}

// useDatabase points b at an existing database on the server, which the run keeps.
func (b *bank) useDatabase(name string) error {
	u, err := url.Parse(b.serverURL)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		return fmt.Errorf("-pg must be a postgres:// URL, not %q", b.serverURL)
	}
	u.Path = "/" + name
	b.dbName, b.dbURL, b.reused = name, u.String(), true
	return nil
}

// benchAppRole is the application's role in benchmarks: its own name, so that a benchmark never
// changes the password of a development server's bank_app. Each run sets a new random password.
const benchAppRole = "bank_bench_app"

// migrate migrates the database as the server's user, its owner, and sets up the application's
// role, as `bankctl migrate` does; from then on b.dbURL connects as that role, so the stack and the
// direct-SQL baseline run with production's privileges.
func (b *bank) migrate(ctx context.Context) error {
	owner, err := db.Connect(ctx, b.dbURL, 1)
	if err != nil {
		return err
	}
	defer owner.Close()
	if _, err := db.Migrate(ctx, owner); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	password, err := randomString(32)
	if err != nil {
		return err
	}
	if err := db.SetUpAppRole(ctx, owner, benchAppRole, password); err != nil {
		return err
	}
	u, err := url.Parse(b.dbURL)
	if err != nil {
		return err
	}
	u.User = url.UserPassword(benchAppRole, password)
	b.dbURL = u.String()
	return nil
}

// close stops the stack and, unless asked to keep them, drops the database and removes the
// stack's directory.
func (b *bank) close(logger *slog.Logger) {
	if b.stack != nil {
		b.stack.Stop()
	}
	if b.pool != nil {
		b.pool.Close()
	}
	if b.reused && !b.keep && !b.keepDir && b.dir != "" {
		_ = os.RemoveAll(b.dir)
	}
	if b.keep || b.reused {
		if b.dbName != "" {
			logger.Info("kept the database and the stack's state", "database", b.dbName, "dir", b.dir)
		}
		return
	}
	if b.dbName != "" {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		conn, err := pgx.Connect(ctx, b.serverURL)
		if err == nil {
			_, err = conn.Exec(ctx, "DROP DATABASE IF EXISTS "+b.dbName+" WITH (FORCE)")
			_ = conn.Close(ctx)
		}
		if err != nil {
			logger.Warn("could not drop the database", "database", b.dbName, "error", err)
		}
	}
	if b.dir != "" {
		_ = os.RemoveAll(b.dir)
	}
}

func randomString(n int) (string, error) {
	raw := make([]byte, n)
	if _, err := rand.Read(raw); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(raw)[:n], nil
}

// logTally receives the API's and worker's log lines (JSON, each prefixed with "[process] "),
// keeps them all in a file and counts warnings and errors by process, level and message, so the
// report can say what the system complained about under load.
type logTally struct {
	mu      sync.Mutex
	out     io.Writer
	partial []byte
	counts  map[logKey]int
	samples map[logKey]string
}

type logKey struct{ Proc, Level, Msg string }

func newLogTally(out io.Writer) *logTally {
	return &logTally{out: out, counts: map[logKey]int{}, samples: map[logKey]string{}}
}

func (t *logTally) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	_, _ = t.out.Write(p)
	t.partial = append(t.partial, p...)
	for {
		i := bytes.IndexByte(t.partial, '\n')
		if i < 0 {
			break
		}
		t.line(string(t.partial[:i]))
		t.partial = t.partial[i+1:]
	}
	return len(p), nil
}

func (t *logTally) line(s string) {
	proc, rest := "?", s
	if strings.HasPrefix(s, "[") {
		if end := strings.Index(s, "] "); end > 0 {
			proc, rest = s[1:end], s[end+2:]
		}
	}
	var entry struct {
		Level string `json:"level"`
		Msg   string `json:"msg"`
		Error any    `json:"error"`
	}
	if err := json.Unmarshal([]byte(rest), &entry); err != nil || entry.Level == "" {
		// Not a structured line: a panic or a message from outside the logger.
		entry.Level, entry.Msg = "OTHER", truncate(rest, 120)
	}
	if entry.Level != "WARN" && entry.Level != "ERROR" && entry.Level != "OTHER" {
		return
	}
	k := logKey{proc, entry.Level, entry.Msg}
	t.counts[k]++
	if _, ok := t.samples[k]; !ok && entry.Error != nil {
		t.samples[k] = truncate(fmt.Sprint(entry.Error), 240)
	}
}

// logCount is one kind of complaint and how often it was logged.
type logCount struct {
	logKey
	N      int
	Sample string
}

// snapshot returns the counts so far, most frequent first.
func (t *logTally) snapshot() []logCount {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := make([]logCount, 0, len(t.counts))
	for k, n := range t.counts {
		out = append(out, logCount{k, n, t.samples[k]})
	}
	slices.SortFunc(out, func(a, b logCount) int {
		if a.N != b.N {
			return b.N - a.N
		}
		return strings.Compare(a.Msg, b.Msg)
	})
	return out
}
