// Command bench measures how many transfers per second the bank sustains end to end, through its
// API and its Temporal workflows, and how long customers wait for them.
//
// It builds a throwaway bank (a fresh PostgreSQL database and the whole system as processes:
// Temporal, the audit store, the worker and the API), seeds customers with money deposited through
// the API, then offers transfers at a constant rate from many concurrent customers and follows each
// until it ends. The report gives throughput, latency percentiles, errors by kind and the ledger
// check; the command fails when the ledger check does. Two baselines put the numbers in context:
// the same postings done directly in SQL without Temporal, and an empty workflow of the same shape
// run through the same Temporal server.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"go.temporal.io/sdk/client"
	tlog "go.temporal.io/sdk/log"

	"github.com/bankforge/bank/db"
	"github.com/bankforge/bank/dev/seedscale"
	"github.com/bankforge/bank/internal/envconfig"
)

func main() {
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, logger, os.Args[1:], os.Stdout)
	stop()
	switch {
	case errors.Is(err, flag.ErrHelp):
	case err != nil:
		logger.Error("benchmark failed", "error", err)
		os.Exit(1)
	}
}

// config is what the flags ask for.
type config struct {
	pgURL            string
	keep             bool
	bin              string
	accounts         int
	idleCustomers    int
	scenario         string
	hotShare         float64
	rate             float64
	duration         time.Duration
	maxInflight      int
	pollEvery        time.Duration
	pollTimeout      time.Duration
	loginConcurrency int

	skipSQL        bool
	sqlTransfers   int
	sqlConcurrency int
	sqlConns       int
	skipEmpty      bool
	emptyPlain     bool
	emptyEager     bool
	eager          bool
	// profileDir, when set, receives CPU and allocation profiles of the API and the worker taken
	// while transfers are offered at a fixed rate.
	profileDir string

	findMax      bool
	stepDuration time.Duration
	stepFactor   float64
	maxRate      float64
	maxP99       time.Duration

	// sockets, when set, runs the live events load check instead of transfers: this many sockets,
	// one customer each.
	sockets        int
	socketsPerUser int

	// The scale benchmark (-scale): read paths over a large seeded data set.
	scale           bool
	scaleDatabase   string
	scaleDir        string
	scaleMongo      string
	scaleCustomers  int
	scalePostings   int
	scaleAudit      int
	scaleSeed       uint64
	seedPassword    string
	historyAccounts int
	deepAccounts    int
	deepPage        int
	statements      int
	auditQueries    int

	// The worker's concurrency settings, from the same environment variables and defaults the
	// worker reads; the stack's worker and the empty-workflow worker both get them.
	localActivities int
	workflowPollers int
}

func parseConfig(args []string, stderr io.Writer) (config, error) {
	var c config
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&c.pgURL, "pg", "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable", "PostgreSQL server on which to create the throwaway database")
	fs.BoolVar(&c.keep, "keep", false, "keep the database and the stack's state directory at the end")
	fs.StringVar(&c.bin, "bin", "bin", "directory with the temporal, mongowire, api and worker executables (make tools build)")
	fs.IntVar(&c.accounts, "accounts", 200, "number of customers, each with one funded account")
	fs.IntVar(&c.idleCustomers, "idle-customers", 0, "customers (with one to three accounts each), loaded with COPY before the run and taking no part in it: the tables' size")
	fs.StringVar(&c.scenario, "scenario", "uniform", "uniform: random distinct payer and payee; hot: most debits come from one account")
	fs.Float64Var(&c.hotShare, "hot-share", 0.8, "share of debits from the hot account in the hot scenario")
	fs.Float64Var(&c.rate, "rate", 20, "offered transfers per second (the starting rate with -find-max)")
	fs.DurationVar(&c.duration, "duration", 30*time.Second, "how long transfers are offered")
	fs.IntVar(&c.maxInflight, "max-inflight", 512, "most transfers in flight at once; arrivals beyond it are dropped and counted")
	fs.DurationVar(&c.pollEvery, "poll", 0, "how often a pending transfer is polled; 0 asks the API to hold each read until the transfer ends (GET ?wait=)")
	fs.DurationVar(&c.pollTimeout, "poll-timeout", time.Minute, "how long a transfer may stay pending before it counts as a poll timeout")
	fs.IntVar(&c.loginConcurrency, "login-concurrency", 4, "customer logins at once while seeding (each costs an argon2 check)")
	fs.BoolVar(&c.skipSQL, "skip-sql", false, "skip the direct-SQL baseline")
	fs.IntVar(&c.sqlTransfers, "sql-transfers", 0, "transfers in the direct-SQL baseline (default: as many as completed through the API)")
	fs.IntVar(&c.sqlConcurrency, "sql-concurrency", 0, "workers in the direct-SQL baseline (default: the peak in-flight count of the API run)")
	fs.IntVar(&c.sqlConns, "sql-conns", 16, "database connections of the direct-SQL baseline (the worker's default pool size)")
	fs.BoolVar(&c.skipEmpty, "skip-empty", false, "skip the empty-workflow baseline")
	fs.BoolVar(&c.emptyPlain, "empty-plain", false, "start the empty workflows without search attributes, to see what they cost")
	fs.BoolVar(&c.eager, "eager", false, "start transfers with eager workflow start (TRANSFER_EAGER_START=true: the API runs their first workflow task)")
	fs.BoolVar(&c.emptyEager, "empty-eager", false, "start the empty workflows with eager workflow start (the first task runs in the starting process); implied by -eager")
	fs.StringVar(&c.profileDir, "profile", "", "write CPU and allocation profiles of the API and the worker, taken during the fixed-rate run, to this directory (METRICS_PPROF=true)")
	fs.BoolVar(&c.findMax, "find-max", false, "raise the rate step by step until the system stops keeping up")
	fs.DurationVar(&c.stepDuration, "step", 10*time.Second, "duration of each -find-max step")
	fs.Float64Var(&c.stepFactor, "step-factor", 1.5, "rate multiplier between -find-max steps")
	fs.Float64Var(&c.maxRate, "max-rate", 1000, "highest rate -find-max tries")
	fs.DurationVar(&c.maxP99, "max-p99", 2*time.Second, "p99 completion latency above which a -find-max step is not sustained")
	fs.IntVar(&c.sockets, "sockets", 0, "run the live events load check instead: open this many sockets (GET /v1/ws) and push an event to each")
	fs.IntVar(&c.socketsPerUser, "sockets-per-user", 5, "sockets each customer opens in the load check (at most MAX_SOCKETS_PER_USER, 5)")

	fs.BoolVar(&c.scale, "scale", false, "measure the read paths (history, statements, reports, audit queries) over a large seeded data set instead of transfers")
	fs.StringVar(&c.scaleDatabase, "scale-database", "", "with -scale: use this existing database on -pg (seeded unless it has customers) and keep it")
	fs.StringVar(&c.scaleDir, "scale-dir", "", "with -scale: the stack's state directory (its Mongo data is the audit log), kept")
	fs.StringVar(&c.scaleMongo, "scale-mongo", "", "with -scale: the seeded audit log is on this MongoDB server (database bank), not in the stack's own")
	fs.IntVar(&c.scaleCustomers, "customers", 100_000, "with -scale: customers to seed")
	fs.IntVar(&c.scalePostings, "postings", 10_000_000, "with -scale: postings to seed")
	fs.IntVar(&c.scaleAudit, "audit-events", 1_000_000, "with -scale: audit events to seed")
	fs.Uint64Var(&c.scaleSeed, "scale-seed", 1, "with -scale: the seed's random seed")
	fs.StringVar(&c.seedPassword, "seed-password", seedscale.DefaultPassword, "with -scale: the seeded customers' password")
	fs.IntVar(&c.historyAccounts, "history-accounts", 1000, "with -scale: random accounts whose first history page is read")
	fs.IntVar(&c.deepAccounts, "deep-accounts", 100, "with -scale: busy accounts whose history is paged deep")
	fs.IntVar(&c.deepPage, "deep-page", 10, "with -scale: the page (of 20) measured in a deep read")
	fs.IntVar(&c.statements, "statements", 50, "with -scale: year statements read")
	fs.IntVar(&c.auditQueries, "audit-queries", 20, "with -scale: audit queries of each kind")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected arguments: %v", fs.Args())
	}
	env := envconfig.New(nil)
	c.localActivities = env.Int("WORKER_LOCAL_ACTIVITIES", 64, 1, 10_000)
	c.workflowPollers = env.Int("WORKER_WORKFLOW_POLLERS", 4, 1, 100)
	var problems []error
	check := func(ok bool, msg string) {
		if !ok {
			problems = append(problems, errors.New(msg))
		}
	}
	check(c.accounts >= 2, "-accounts must be at least 2")
	check(c.idleCustomers >= 0, "-idle-customers must not be negative")
	check(c.sockets >= 0 && c.socketsPerUser >= 1 && c.socketsPerUser <= 5 && c.sockets%c.socketsPerUser == 0,
		"-sockets must not be negative, and a multiple of -sockets-per-user (1 to 5)")
	check(c.scenario == "uniform" || c.scenario == "hot", "-scenario must be uniform or hot")
	check(c.hotShare > 0 && c.hotShare <= 1, "-hot-share must be in (0, 1]")
	check(c.rate > 0 && c.duration > 0 && c.rate*c.duration.Seconds() >= 1, "-rate and -duration must offer at least one transfer")
	check(c.maxInflight >= 1 && c.loginConcurrency >= 1 && c.sqlConns >= 1, "-max-inflight, -login-concurrency and -sql-conns must be positive")
	check(c.pollEvery >= 0 && c.pollTimeout > 0, "-poll must not be negative and -poll-timeout must be positive")
	check(c.sqlTransfers >= 0 && c.sqlConcurrency >= 0, "-sql-transfers and -sql-concurrency must not be negative")
	check(c.profileDir == "" || (!c.findMax && c.duration >= 5*time.Second), "-profile needs a fixed-rate run (no -find-max) of at least 5s")
	check(!c.findMax || (c.stepFactor > 1 && c.stepDuration > 0 && c.maxRate >= c.rate), "-find-max needs -step-factor > 1, a positive -step and -max-rate >= -rate")
	problems = append(problems, env.Err())
	return c, errors.Join(problems...)
}

// picker returns the scenario's choice of payer and payee.
func (c config) picker() picker {
	p := picker{n: c.accounts}
	if c.scenario == "hot" {
		p.hotShare = c.hotShare
	}
	return p
}

// funding gives every customer enough money for the whole run, whatever the random draw: the most
// debits the run can offer (the load phases and then the SQL baseline) at the largest amount.
func (c config) funding() funding {
	offered := c.rate * c.duration.Seconds()
	if c.findMax {
		offered = 0
		for r := c.rate; r <= c.maxRate; r *= c.stepFactor {
			offered += r * c.stepDuration.Seconds()
		}
	}
	offered += max(offered, float64(c.sqlTransfers))
	worst := offered * 100 // the largest amount
	f := funding{perCustomer: max(10_000_000, int64(math.Ceil(3*worst/float64(c.accounts))))}
	if c.scenario == "hot" {
		f.hot = int64(math.Ceil(1.5*worst*c.hotShare)) + 10_000_000
	}
	return f
}

func run(ctx context.Context, logger *slog.Logger, args []string, stdout io.Writer) error {
	cfg, err := parseConfig(args, os.Stderr)
	if err != nil {
		return err
	}
	b, err := startBank(ctx, cfg, logger)
	if err != nil {
		return err
	}
	defer b.close(logger)
	if cfg.scale {
		return runScale(ctx, logger, cfg, b, stdout)
	}

	// A process of the stack that dies on its own ends the run.
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	watchDone := make(chan struct{})
	defer close(watchDone)
	go func() {
		select {
		case err := <-b.stack.Exited():
			logger.Error("a process of the stack stopped; ending the run", "error", err, "logs", b.dir)
			cancel(err)
		case <-watchDone:
		}
	}()

	// One HTTP client for every simulated customer, keeping enough idle connections for all of
	// them so the run measures the bank rather than TCP handshakes.
	transport := http.DefaultTransport.(*http.Transport).Clone()
	transport.MaxIdleConns = 2 * cfg.maxInflight
	transport.MaxIdleConnsPerHost = 2 * cfg.maxInflight
	httpClient := &http.Client{Timeout: 30 * time.Second, Transport: transport}
	defer transport.CloseIdleConnections()

	if cfg.sockets > 0 {
		customers, _, err := seed(ctx, logger, b, httpClient, cfg.sockets/cfg.socketsPerUser, cfg.loginConcurrency, funding{})
		if err != nil {
			return fmt.Errorf("seed: %w", errors.Join(err, context.Cause(ctx)))
		}
		res, err := socketLoad(ctx, logger, b, customers, cfg.socketsPerUser)
		res.print(stdout)
		return err
	}

	rep := &report{cfg: cfg, best: -1, localActivities: cfg.localActivities, workflowPollers: cfg.workflowPollers}
	if cfg.idleCustomers > 0 {
		if rep.idle, err = seedIdle(ctx, logger, b, cfg.idleCustomers); err != nil {
			return fmt.Errorf("seed idle customers: %w", err)
		}
	}
	customers, seeded, err := seed(ctx, logger, b, httpClient, cfg.accounts, cfg.loginConcurrency, cfg.funding())
	if err != nil {
		return fmt.Errorf("seed: %w", errors.Join(err, context.Cause(ctx)))
	}
	rep.seed = seeded
	pick := cfg.picker()

	load := &apiLoad{customers: customers, pick: pick, pollEvery: cfg.pollEvery, pollTimeout: cfg.pollTimeout}
	if cfg.findMax {
		logger.Info("finding the highest sustained rate", "from", cfg.rate, "factor", cfg.stepFactor, "step", cfg.stepDuration)
		rep.steps, rep.best = findMax(ctx, logger, cfg, func(name string, rate float64) phaseResult {
			return load.run(ctx, name, rate, cfg.stepDuration, cfg.maxInflight)
		})
		if len(rep.steps) == 0 {
			return fmt.Errorf("find-max ran no step: %w", context.Cause(ctx))
		}
		rep.transfers = rep.steps[max(rep.best, 0)]
	} else {
		logger.Info("offering transfers through the API", "rate", cfg.rate, "duration", cfg.duration, "scenario", cfg.scenario)
		profiled := profile(ctx, logger, cfg, b)
		rep.transfers = load.run(ctx, "api", cfg.rate, cfg.duration, cfg.maxInflight)
		if err := <-profiled; err != nil {
			return fmt.Errorf("profile: %w", err)
		}
	}
	logger.Info("API run done", "completed", rep.transfers.Completed, "completed_per_s", round1(rep.transfers.CompletedPerSec))
	if err := context.Cause(ctx); err != nil {
		return err
	}
	if rep.ledgerAtLoad, err = checkLedger(ctx, b.store); err != nil {
		return err
	}

	tc, err := client.DialContext(ctx, client.Options{
		HostPort:  b.stack.TemporalAddress,
		Namespace: "default",
		Logger:    tlog.NewStructuredLogger(logger.With("component", "temporal-client")),
	})
	if err != nil {
		return fmt.Errorf("connect temporal: %w", err)
	}
	defer tc.Close()
	trace := traceTransfers(ctx, tc, b.store, rep.transfers.CompletedIDs)
	rep.breakdown = &trace

	if !cfg.skipSQL {
		n := orDefault(cfg.sqlTransfers, max(rep.transfers.Completed, 1))
		conc := orDefault(cfg.sqlConcurrency, min(max(rep.transfers.PeakInflight, 1), cfg.maxInflight))
		logger.Info("posting directly in SQL", "transfers", n, "concurrency", conc, "conns", cfg.sqlConns)
		res, err := sqlPath(ctx, b.dbURL, customers, pick, n, conc, cfg.sqlConns)
		if err != nil {
			return fmt.Errorf("sql baseline: %w", err)
		}
		rep.sql = &res
	}
	if !cfg.skipEmpty {
		t := rep.transfers
		if cfg.findMax {
			// The ceiling: the highest rate Temporal sustains for a workflow of the same shape.
			logger.Info("finding the empty workflow's highest sustained rate")
			var runErr error
			rep.emptySteps, rep.emptyBest = findMax(ctx, logger, cfg, func(name string, rate float64) phaseResult {
				res, err := emptyPath(ctx, tc, b, customers, pick, rate, cfg.stepDuration, cfg.maxInflight, cfg.emptyPlain, cfg.emptyEager || cfg.eager)
				runErr = errors.Join(runErr, err)
				res.Name = name
				return res
			})
			if runErr != nil {
				return fmt.Errorf("empty-workflow baseline: %w", runErr)
			}
			if len(rep.emptySteps) > 0 {
				res := rep.emptySteps[max(rep.emptyBest, 0)]
				rep.empty = &res
			}
		} else {
			logger.Info("running empty workflows", "rate", t.Offered, "duration", t.Window)
			res, err := emptyPath(ctx, tc, b, customers, pick, t.Offered, t.Window, cfg.maxInflight, cfg.emptyPlain, cfg.emptyEager || cfg.eager)
			if err != nil {
				return fmt.Errorf("empty-workflow baseline: %w", err)
			}
			rep.empty = &res
		}
	}

	if rep.ledgerAtEnd, err = checkLedger(ctx, b.store); err != nil {
		return err
	}
	rep.logs = b.logs.snapshot()
	if cfg.keep {
		rep.kept = fmt.Sprintf("kept: database %s, stack state and logs in %s", b.dbName, b.dir)
	}
	rep.print(stdout)
	if !rep.ledgerAtLoad.OK || !rep.ledgerAtEnd.OK {
		return errors.New("the ledger check failed")
	}
	return nil
}

func checkLedger(ctx context.Context, store *db.Store) (*db.LedgerReport, error) {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	r, err := store.CheckLedger(ctx)
	if err != nil {
		return nil, fmt.Errorf("ledger check: %w", err)
	}
	return &r, nil
}

// orDefault returns v when set, or def.
func orDefault(v, def int) int {
	if v > 0 {
		return v
	}
	return def
}
