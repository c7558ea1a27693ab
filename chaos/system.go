package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"go.temporal.io/sdk/client"

	"github.com/bankforge/bank/db"
	"github.com/bankforge/bank/dev/stack"
	"github.com/bankforge/bank/internal/payloadcodec"
)

// The application's database role the API and the workers connect as.
const appRole = "bank_app"

// startTimeout bounds how long a process may take to be ready, restarts included.
const startTimeout = 2 * time.Minute

// system is the bank under test, each part a separate process: PostgreSQL (a cluster of the run's
// own), the Temporal dev server with its file store, the Mongo wire server, two workers and two API
// processes. The API processes reach PostgreSQL through apiProxy, the second worker through
// slowProxy; the first worker connects directly.
type system struct {
	dir       string
	pg        *cluster
	apiProxy  *proxy
	slowProxy *proxy
	temporal  *proc
	mongo     *proc
	workers   []*proc
	apis      []*proc
	apiURLs   []string
	// failpoints are the workers' CHAOS_KILL_AFTER_POST files.
	failpoints []string
	// workerEnv is each worker's environment without fault knobs.
	workerEnv [][]string

	owner      *pgxpool.Pool // the tables' owner: snapshots and checks
	ownerStore *db.Store
	app        *db.Store // the application's role: seeding, as the API would
	appPool    *pgxpool.Pool
	mongoURI   string
	temporalAt string
	exited     chan string

	stopOnce sync.Once
}

// tools are the executables the system runs.
type tools struct {
	api, worker, temporal, mongowire string
	pgBin                            string
}

// buildTools builds the api and worker binaries of the repository at root into dir, and finds the
// Temporal CLI and the Mongo wire server in root/bin (`make tools`).
func buildTools(ctx context.Context, root, dir, pgBin string) (tools, error) {
	t := tools{
		api: filepath.Join(dir, "api"), worker: filepath.Join(dir, "worker"),
		temporal: filepath.Join(root, "bin", "temporal"), mongowire: filepath.Join(root, "bin", "mongowire"),
	}
	for _, p := range []string{t.temporal, t.mongowire} {
		if _, err := os.Stat(p); err != nil {
			return t, fmt.Errorf("%s is not installed (run `make tools`): %w", p, err)
		}
	}
	var err error
	if t.pgBin, err = findPGBin(pgBin); err != nil {
		return t, err
	}
	for out, pkg := range map[string]string{t.api: "./cmd/api", t.worker: "./worker"} {
		cmd := exec.CommandContext(ctx, "go", "build", "-o", out, pkg)
		cmd.Dir = root
		if b, err := cmd.CombinedOutput(); err != nil {
			return t, fmt.Errorf("build %s: %v\n%s", pkg, err, b)
		}
	}
	return t, nil
}

// startSystem starts every process of the system in dir and returns once both APIs are ready. On
// error, the system it returns is stopped already; its directories are the caller's to keep or remove.
func startSystem(ctx context.Context, t tools, dir string, seed uint64, logf func(string, ...any)) (_ *system, err error) {
	s := &system{dir: dir, exited: make(chan string, 16)}
	defer func() {
		if err != nil {
			s.stop()
		}
	}()
	logs := filepath.Join(dir, "logs")
	if err := os.MkdirAll(logs, 0o755); err != nil {
		return s, err
	}
	ports := make([]int, 7)
	for i := range ports {
		if ports[i], err = stack.FreePort(); err != nil {
			return s, err
		}
	}
	pgPort, temporalPort, mongoPort := ports[0], ports[1], ports[2]

	// PostgreSQL, migrated as `bankctl migrate` does, with the application's role.
	if s.pg, err = newCluster(ctx, t.pgBin, pgPort); err != nil {
		return s, err
	}
	if err := s.pg.start(ctx); err != nil {
		return s, err
	}
	ownerURL := s.pg.ownerURL("bank")
	appPassword := randomToken(24)
	if err := setUpBank(ctx, ownerURL, appRole, appPassword); err != nil {
		return s, fmt.Errorf("migrate: %w", err)
	}
	if s.owner, err = db.Connect(ctx, ownerURL, 8); err != nil {
		return s, err
	}
	s.ownerStore = db.NewStore(s.owner)
	pgAddr := "127.0.0.1:" + strconv.Itoa(pgPort)
	appUser := url.UserPassword(appRole, appPassword)
	if s.appPool, err = db.Connect(ctx, dbURL(appUser, pgAddr, "bank"), 8); err != nil {
		return s, err
	}
	s.app = db.NewStore(s.appPool)
	if s.apiProxy, err = newProxy(pgAddr, seed); err != nil {
		return s, err
	}
	if s.slowProxy, err = newProxy(pgAddr, seed+1); err != nil {
		return s, err
	}
	logf("postgres up on %s (api proxy %s)", pgAddr, s.apiProxy.Addr())

	s.temporalAt = "127.0.0.1:" + strconv.Itoa(temporalPort)
	s.temporal = &proc{
		name: "temporal", path: t.temporal, log: filepath.Join(logs, "temporal.log"), exited: s.exited,
		args: append([]string{"server", "start-dev", "--ip", "127.0.0.1", "--port", strconv.Itoa(temporalPort),
			"--headless", "--log-level", "warn", "--db-filename", filepath.Join(dir, "temporal.db"),
		}, stack.DevServerFlags()...), // the development stack's settings and search attributes
		ready: temporalReady(s.temporalAt),
	}
	mongoAddr := "127.0.0.1:" + strconv.Itoa(mongoPort)
	s.mongoURI = "mongodb://" + mongoAddr + "/"
	s.mongo = &proc{
		name: "mongowire", path: t.mongowire, log: filepath.Join(logs, "mongowire.log"), exited: s.exited,
		args:  []string{"-listen", mongoAddr, "-sqlite-dir", filepath.Join(dir, "mongo")},
		ready: tcpReady(mongoAddr),
	}
	for _, p := range []*proc{s.temporal, s.mongo} {
		if err := p.start(ctx, startTimeout); err != nil {
			return s, err
		}
	}
	logf("temporal on %s, mongo wire server on %s", s.temporalAt, mongoAddr)

	// Payloads are encrypted as in production; the run's processes share one key.
	payloadKeys, err := payloadcodec.NewKeySetting("chaos")
	if err != nil {
		return s, err
	}
	environ, err := stack.Environ(dir)
	if err != nil {
		return s, err
	}
	common := append(environ,
		"MONGO_URI="+s.mongoURI, "TEMPORAL_ADDRESS="+s.temporalAt,
		"JWT_SECRET="+randomToken(48), "PAYLOAD_CODEC_KEYS="+payloadKeys, "MAIL_MODE=log", "LOG_LEVEL=warn",
		"ACCESS_TOKEN_TTL=1h",
		// The clients are all 127.0.0.1 and move money in bursts.
		"AUTH_RATE_LIMIT_PER_MINUTE=100000", "CLIENT_RATE_LIMIT_PER_MINUTE=10000000",
		"USER_WRITE_RATE_LIMIT_PER_MINUTE=1000000", "MAX_WAITS_PER_USER=1000",
		// Every cash movement runs at once (no second admin), with no daily cap.
		"CASH_APPROVAL_THRESHOLDS=USD=1000000000000000,EUR=1000000000000000",
		"ADMIN_DAILY_CASH_LIMITS=USD=9000000000000000000,EUR=9000000000000000000",
		"TRANSFER_DAILY_MAX_AMOUNT=0",
		"MAINTENANCE_INTERVAL=2s", "EMAILS_INTERVAL=5s",
		// Four processes on one machine: each serves its metrics on a free port of its own.
		"METRICS_ADDR=127.0.0.1:0",
		"WEB_DIR="+filepath.Join(dir, "no-web-app"),
	)
	direct := dbURL(appUser, pgAddr, "bank")
	for i, dbAddr := range []string{direct, dbURL(appUser, s.slowProxy.Addr(), "bank")} {
		name := "worker-" + strconv.Itoa(i+1)
		health := "127.0.0.1:" + strconv.Itoa(ports[3+i])
		failpoint := filepath.Join(dir, "failpoint-"+name)
		env := withEnv(common, "DATABASE_URL="+dbAddr, "WORKER_HEALTH_ADDR="+health, "CHAOS_KILL_AFTER_POST="+failpoint)
		s.workerEnv = append(s.workerEnv, env)
		s.failpoints = append(s.failpoints, failpoint)
		s.workers = append(s.workers, &proc{
			name: name, path: t.worker, env: env, log: filepath.Join(logs, name+".log"), exited: s.exited,
			ready: httpReady("http://" + health + "/healthz"),
		})
	}
	for i := range 2 {
		name := "api-" + strconv.Itoa(i+1)
		addr := "127.0.0.1:" + strconv.Itoa(ports[5+i])
		s.apiURLs = append(s.apiURLs, "http://"+addr)
		s.apis = append(s.apis, &proc{
			name: name, path: t.api, log: filepath.Join(logs, name+".log"), exited: s.exited,
			env:   withEnv(common, "DATABASE_URL="+dbURL(appUser, s.apiProxy.Addr(), "bank"), "HTTP_ADDR="+addr),
			ready: httpReady("http://" + addr + "/readyz"),
		})
	}
	for _, p := range append(append([]*proc(nil), s.workers...), s.apis...) {
		if err := p.start(ctx, startTimeout); err != nil {
			return s, fmt.Errorf("%w\n%s", err, tail(p.log, 20))
		}
	}
	logf("workers and APIs ready: %v", s.apiURLs)
	return s, nil
}

// temporalClient dials the Temporal server.
func (s *system) temporalClient(ctx context.Context) (client.Client, error) {
	return client.DialContext(ctx, client.Options{HostPort: s.temporalAt, Logger: quietLogger{}})
}

// stop stops every process, the proxies and PostgreSQL.
func (s *system) stop() {
	s.stopOnce.Do(func() {
		for _, p := range s.apis {
			p.stop()
		}
		for _, p := range s.workers {
			p.stop()
		}
		for _, p := range []*proc{s.mongo, s.temporal} {
			if p != nil {
				p.stop()
			}
		}
		for _, p := range []*pgxpool.Pool{s.owner, s.appPool} {
			if p != nil {
				p.Close()
			}
		}
		for _, p := range []*proxy{s.apiProxy, s.slowProxy} {
			if p != nil {
				p.close()
			}
		}
		if s.pg != nil {
			s.pg.stop()
		}
	})
}

// tail returns the last n lines of a file.
func tail(path string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

// randomToken returns n random bytes in base64, for passwords and secrets.
func randomToken(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}
