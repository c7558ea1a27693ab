// Command chaos is the bank's fault-injection test, after Jepsen's bank workload (RELIABILITY.md).
//
// It starts the whole system as separate processes: its own PostgreSQL cluster in a temporary
// directory, the Temporal dev server on a file store, the Mongo wire server, two workers and two API
// processes that reach PostgreSQL through a TCP proxy of its own. It seeds customers with a known
// total per currency, then runs concurrent clients that transfer money (each retried with the same
// Idempotency-Key after a timeout or a lost answer), while the admin deposits, withdraws, freezes
// and unfreezes; every balance is read in one snapshot every second. Meanwhile it injects faults
// on a schedule drawn from -seed: workers killed (also right after a posting commits, before its
// activity reports), a step timeout shorter than the step so attempts overlap, PostgreSQL crashed
// and restarted, the Temporal server restarted, API processes killed with requests in flight, the
// Mongo wire server stopped, and the network between the APIs and PostgreSQL slowed or cut. Then
// it heals everything, waits for the system to come to rest, and checks INV-1..INV-10 against the
// recorded history and the final database and audit log. It prints a verdict and exits 1 on any
// violation (2 when the run itself could not be carried out).
//
//	go run ./chaos                          # about two minutes, seed 1
//	go run ./chaos -duration 30m -seed 7    # the long run
//	go run ./chaos -break-idempotency       # negative control: must report violations
//
// PostgreSQL's server binaries (initdb, pg_ctl) must be installed; as root they run as the postgres
// OS user. The Temporal CLI and the Mongo wire server come from bin/ (`make tools`).
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/bankforge/bank/dev/stack"
)

// config is one run's settings.
type config struct {
	Seed     uint64
	Duration time.Duration
	// Customers is how many customers move money, half in each currency; Balance each one's
	// starting balance in minor units.
	Customers int
	Balance   int64
	Faults    []faultKind
	// BreakIdempotency is the negative control: retries use a new Idempotency-Key.
	BreakIdempotency bool
	// LossRate is the share of 202 answers the clients drop, as if lost on the way back.
	LossRate float64
	// Dir keeps the run's state and logs; a temporary directory when empty. Both it and the
	// PostgreSQL cluster's directory are removed after a run that passed unless Keep, and kept
	// after one that failed when KeepFailed.
	Dir        string
	Keep       bool
	KeepFailed bool
	// PGBin is the directory of initdb and pg_ctl (found on PATH when empty); Tools, when set, are
	// binaries built already.
	PGBin string
	Tools *tools
	// Quiesce bounds the wait for the system to come to rest after the workload.
	Quiesce time.Duration
}

func main() {
	cfg := config{}
	var faults string
	flag.Uint64Var(&cfg.Seed, "seed", 1, "seed of the fault schedule and of every client's choices")
	flag.DurationVar(&cfg.Duration, "duration", 75*time.Second, "how long the clients run while faults are injected")
	flag.IntVar(&cfg.Customers, "customers", 10, "customers moving money, half in USD and half in EUR")
	flag.Int64Var(&cfg.Balance, "balance", 50_000, "each customer's starting balance, in minor units")
	flag.StringVar(&faults, "faults", "all", "comma-separated faults to inject, all or none: "+fmt.Sprint(allFaults))
	flag.BoolVar(&cfg.BreakIdempotency, "break-idempotency", false, "negative control: retry with a new Idempotency-Key; the checker must fail")
	flag.Float64Var(&cfg.LossRate, "loss", 0.05, "share of 202 answers the clients drop, as if lost on the way back")
	flag.StringVar(&cfg.Dir, "dir", "", "directory for the run's state, history and logs (default: a temporary one)")
	flag.BoolVar(&cfg.Keep, "keep", false, "keep the run's directories even when it passes (a failed run's are always kept)")
	flag.StringVar(&cfg.PGBin, "pg-bin", "", "directory of initdb and pg_ctl (default: found on PATH)")
	flag.DurationVar(&cfg.Quiesce, "quiesce", 4*time.Minute, "how long to wait for the system to come to rest")
	flag.Parse()
	cfg.KeepFailed = true
	var err error
	if cfg.Faults, err = parseFaults(faults); err != nil {
		fmt.Fprintln(os.Stderr, "chaos:", err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	r, err := run(ctx, cfg, os.Stdout)
	if err != nil {
		fmt.Fprintln(os.Stderr, "chaos:", err)
		os.Exit(2)
	}
	if len(r.Violations) > 0 {
		os.Exit(1)
	}
}

// run carries out one run and returns its report; an error means the run could not be carried out
// (the system did not start), not that the bank broke an invariant.
func run(ctx context.Context, cfg config, out io.Writer) (_ *report, err error) {
	began := time.Now()
	logf := func(format string, args ...any) {
		fmt.Fprintf(out, "[%6.1fs] %s\n", time.Since(began).Seconds(), fmt.Sprintf(format, args...))
	}
	dir := cfg.Dir
	if dir == "" {
		if dir, err = os.MkdirTemp("", "bank-chaos-"); err != nil {
			return nil, err
		}
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	r := &report{Seed: cfg.Seed, Duration: cfg.Duration}
	var sys *system
	defer func() {
		dirs := []string{dir}
		if sys != nil && sys.pg != nil {
			dirs = append(dirs, sys.pg.base)
		}
		failed := err != nil || len(r.Violations) > 0
		if cfg.Keep || failed && cfg.KeepFailed {
			logf("the run's history and logs are in %s", strings.Join(dirs, " and "))
			return
		}
		for _, d := range dirs {
			if d != cfg.Dir {
				_ = os.RemoveAll(d)
			}
		}
	}()

	t := cfg.Tools
	if t == nil {
		root, err := stack.RepoRoot()
		if err != nil {
			return nil, err
		}
		logf("building the api and the worker")
		built, err := buildTools(ctx, root, filepath.Join(dir, "bin"), cfg.PGBin)
		if err != nil {
			return nil, err
		}
		t = &built
	}
	sys, err = startSystem(ctx, *t, dir, cfg.Seed, logf)
	if err != nil {
		return nil, err
	}
	defer sys.stop()
	rec, err := newRecorder(filepath.Join(dir, "history.jsonl"))
	if err != nil {
		return nil, err
	}
	defer rec.close()
	w := &workload{sys: sys, apis: sys.apiURLs, rec: rec, logf: logf}
	if err := seed(ctx, w, cfg.Customers, cfg.Balance, cfg.Seed); err != nil {
		return nil, fmt.Errorf("seed: %w", err)
	}
	logf("seeded %d customers: %v", len(w.customers), w.seeded)
	// Seeding kept every answer and its keys; the workload proper loses some, and may break keys.
	w.breakIdempotency, w.lossRate = cfg.BreakIdempotency, cfg.LossRate

	inj := newInjector(sys, logf)
	bgCtx, stopBackground := context.WithCancel(ctx)
	defer stopBackground()
	go inj.supervise(bgCtx)
	go w.snapshots(bgCtx, time.Second)

	schedule := plan(cfg.Seed, cfg.Duration, cfg.Faults)
	if b, err := json.MarshalIndent(schedule, "", "  "); err == nil {
		_ = os.WriteFile(filepath.Join(dir, "faults.json"), b, 0o644)
	}
	logf("running the clients for %s with %d faults (seed %d%s)", cfg.Duration, len(schedule), cfg.Seed,
		map[bool]string{true: ", idempotency broken on purpose"}[cfg.BreakIdempotency])
	start := time.Now()
	stopNew := make(chan struct{})
	opsCtx, stopOps := context.WithCancel(ctx)
	defer stopOps()
	clients := make(chan struct{})
	go func() {
		w.run(opsCtx, stopNew)
		close(clients)
	}()
	faultCtx, stopFaults := context.WithDeadline(ctx, start.Add(cfg.Duration))
	faultErr := inj.run(faultCtx, start, schedule)
	<-faultCtx.Done()
	stopFaults()
	close(stopNew)
	if faultErr != nil {
		return nil, faultErr
	}
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}

	// Heal: every fault healed itself; make sure every process runs again.
	logf("healing: the clients finish what they started")
	inj.restarts.Wait()
	for _, p := range append(append([]*proc{sys.temporal, sys.mongo}, sys.workers...), sys.apis...) {
		if !p.running() {
			if err := p.start(ctx, startTimeout); err != nil {
				return nil, err
			}
		}
	}
	select {
	case <-clients:
	case <-time.After(2 * time.Minute):
		logf("clients still retrying after 2 minutes: giving up on them")
		stopOps()
		<-clients
	}
	ucx, cancel := context.WithTimeout(ctx, time.Minute)
	err = w.unfreezeAll(ucx)
	cancel()
	if err != nil {
		r.add("INV-6", "freezes still open a minute after the workload: %v", err)
	}
	logf("waiting for the system to come to rest")
	if err := quiesce(ctx, sys, cfg.Quiesce); err != nil {
		r.add("INV-6", "%v", err)
	}
	stopBackground()

	st, err := readFinal(ctx, sys)
	if err != nil {
		return nil, fmt.Errorf("read the final state: %w", err)
	}
	readWorkerLogs(sys, r)
	check(w, st, r)
	inj.mu.Lock()
	r.Faults, r.Missed, r.Exits = inj.counts, inj.missed, inj.unexpected
	inj.mu.Unlock()
	for _, e := range r.Exits {
		r.add("process", "a process ended on its own: %s", e)
	}
	r.FiveXX = w.answers.fiveXX()
	r.Answers = w.answers.counts
	r.Took = time.Since(began)
	printVerdict(out, r)
	return r, nil
}

// printVerdict writes the run's figures and every violation.
func printVerdict(out io.Writer, r *report) {
	p := func(format string, args ...any) { fmt.Fprintf(out, format+"\n", args...) }
	p("")
	p("verdict, seed %d, %s of faults, %s in all", r.Seed, r.Duration, r.Took.Round(time.Second))
	p("  operations: %d tried, %d accepted, %d refused, %d without an answer", r.Tried, r.OK, r.Refused, r.InDoubt)
	p("  in doubt at some point: %d (no answer, a 5xx, the key in flight, or one of the %d answers dropped on purpose): %d resolved by a retry with the same key, %d by the database at rest, %d never",
		r.Doubted, r.Lost, r.RetryResolved, r.Resolved, r.InDoubt-r.Resolved)
	p("  by kind: %s", joinCounts(r.ByKind))
	p("  transfers at rest: %s", joinCounts(r.Ended))
	p("  faults injected: %s", joinCounts(r.Faults))
	if len(r.Missed) > 0 {
		p("  faults planned that did not happen: %s", joinCounts(r.Missed))
	}
	p("  answers: %s", joinCounts(r.Answers))
	if len(r.FiveXX) > 0 {
		p("  5xx by route: %s", strings.Join(r.FiveXX, "; "))
	}
	p("  snapshots: %d read (%d failed during faults); freezes checked against postings: %d", r.Snapshots, r.SnapshotsFailed, r.FreezesChecked)
	p("  workers killed right after a posting: %d (each transfer checked completed once); step attempts that outlived their timeout: %d",
		len(r.KilledAfterPost), r.LateAttempts)
	p("  violations: %d", len(r.Violations))
	for i, v := range r.Violations {
		if i == 50 {
			p("    ... and %d more", len(r.Violations)-50)
			break
		}
		p("    %s: %s", v.Inv, v.Detail)
	}
	if len(r.Violations) == 0 {
		p("PASS")
	} else {
		p("FAIL")
	}
}

// joinCounts formats a map of counts as "a=1 b=2", keys sorted.
func joinCounts[K ~string](m map[K]int) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, string(k))
	}
	sort.Strings(keys)
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%s=%d", k, m[K(k)]))
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, " ")
}
