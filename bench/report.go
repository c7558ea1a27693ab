package main

import (
	"cmp"
	"fmt"
	"io"
	"runtime"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/bankforge/bank/db"
)

// report gathers everything a run measured, for printing at the end.
type report struct {
	cfg       config
	seed      seedResult
	idle      *idleResult
	transfers phaseResult
	// steps are the find-max steps, best the index of the highest sustained one (-1 for none).
	steps []phaseResult
	best  int
	// emptySteps and emptyBest are the same for the empty workflow.
	emptySteps []phaseResult
	emptyBest  int
	breakdown  *breakdown
	sql        *phaseResult
	empty      *phaseResult

	ledgerAtLoad *db.LedgerReport
	ledgerAtEnd  *db.LedgerReport
	logs         []logCount
	kept         string

	localActivities, workflowPollers int
}

func (r *report) print(w io.Writer) {
	p := func(format string, args ...any) { fmt.Fprintf(w, format, args...) }
	cfg := r.cfg
	p("\n==================== bank transfer benchmark ====================\n")
	p("scenario %s, %d customers", cfg.scenario, r.seed.Customers)
	if r.idle != nil {
		p(" (and %d idle customers with %d accounts, loaded with COPY in %s)", r.idle.Customers, r.idle.Accounts, ms(r.idle.Took))
	}
	if cfg.scenario == "hot" {
		p(" (%.0f%% of debits from one hot account)", cfg.hotShare*100)
	}
	if cfg.pollEvery > 0 {
		p(", max in flight %d, polling every %s\n", cfg.maxInflight, cfg.pollEvery)
	} else {
		p(", max in flight %d, waiting on each transfer with GET ?wait=\n", cfg.maxInflight)
	}
	p("worker: %d local activity slots, %d workflow task pollers; eager workflow start: %v\n", r.localActivities, r.workflowPollers, cfg.eager)
	p("seeding: %s (users in SQL %s, API logins %s, API deposits %s)\n",
		ms(r.seed.Took), ms(r.seed.Users), ms(r.seed.Logins), ms(r.seed.Deposits))

	printSteps(w, cfg, "transfers through the API", r.steps, r.best)
	printSteps(w, cfg, "the empty workflow", r.emptySteps, r.emptyBest)
	if len(r.steps) > 0 && len(r.emptySteps) > 0 && r.best >= 0 && r.emptyBest >= 0 {
		p("highest sustained rates: transfer %.1f/s, empty workflow %.1f/s, ratio %s\n",
			r.steps[r.best].CompletedPerSec, r.emptySteps[r.emptyBest].CompletedPerSec,
			ratio(r.steps[r.best].CompletedPerSec, r.emptySteps[r.emptyBest].CompletedPerSec))
	}

	t := r.transfers
	p("\n--- transfers through the API (POST /v1/transfers, polled until they end) ---\n")
	if len(r.steps) > 0 {
		p("(the find-max step reported: %s)\n", t.Name)
	}
	p("offered        %.1f/s for %s: %d arrivals, %d dropped (max in flight reached)\n", t.Offered, t.Window, t.Arrivals, t.Dropped)
	p("accepted       %d (202), %.1f/s\n", t.Accepted, t.AcceptedPerSec)
	p("completed      %d, %.1f/s (last one %s after the first arrival)\n", t.Completed, t.CompletedPerSec, ms(t.Elapsed))
	p("not completed  %d\n", t.failures())
	p("peak in flight %d; generator fell behind by at most %s\n", t.PeakInflight, ms(t.MaxLag))
	if t.Elapsed > 0 && t.Accepted > 0 {
		p("status polls   %d GET /v1/transfers/{id} (%.0f/s, %.1f per transfer)\n",
			t.Polls, float64(t.Polls)/t.Elapsed.Seconds(), float64(t.Polls)/float64(t.Accepted))
	}
	printLatencies(w, [][2]any{{"acceptance (202)", t.Accept}, {"completion", t.Complete}})
	printErrors(w, t)
	printCPU(w, t)
	if b := r.breakdown; b != nil {
		p("where the time went, from the database's steps and the workflow histories of %d completed transfers:\n", b.Sampled)
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "  stage\tp50\tp95\tmax")
		for _, s := range b.Stages {
			fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\n", s.Name, ms(s.Took.P50), ms(s.Took.P95), ms(s.Took.Max))
		}
		_ = tw.Flush()
		if b.Problem != "" {
			p("  (some transfers could not be traced: %s)\n", b.Problem)
		}
	}

	if r.sql != nil {
		s := *r.sql
		p("\n--- the same posting directly in SQL, without API or Temporal ---\n")
		p("create transfer + PlaceHold + PostTransfer, %d transfers by %d concurrent workers over %d connections\n",
			s.Arrivals, s.Concurrency, cfg.sqlConns)
		p("completed      %d, %.1f/s in %s\n", s.Completed, s.CompletedPerSec, ms(s.Elapsed))
		printLatencies(w, [][2]any{{"per transfer", s.Complete}})
		printErrors(w, s)
		printCPU(w, s)
		p("ratio          API+Temporal / SQL: throughput %s, p50 latency %s\n",
			ratio(t.CompletedPerSec, s.CompletedPerSec), ratio(float64(t.Complete.P50), float64(s.Complete.P50)))
		if len(r.steps) == 0 || r.best < 0 {
			p("               (the API run was offered %.1f/s, so its throughput is the offered rate, not its\n"+
				"               capacity; the throughput ratio compares capacities only with -find-max or a saturating -rate)\n", t.Offered)
		}
	}

	if r.empty != nil {
		e := *r.empty
		if cfg.emptyPlain {
			p("\n--- empty workflow of the same shape, without search attributes (4 no-op local activities) ---\n")
		} else {
			p("\n--- empty workflow of the same shape (4 no-op local activities + search attribute update) ---\n")
		}
		p("started from this process on task queue %q, worker with the same settings, result awaited with run.Get\n", emptyTaskQueue)
		p("offered        %.1f/s for %s: %d arrivals, %d dropped\n", e.Offered, e.Window, e.Arrivals, e.Dropped)
		p("completed      %d, %.1f/s; not completed %d\n", e.Completed, e.CompletedPerSec, e.failures())
		printLatencies(w, [][2]any{{"start", e.Accept}, {"completion", e.Complete}})
		printErrors(w, e)
		printCPU(w, e)
		p("ratio          transfer / empty: throughput %s, p50 completion %s, p99 completion %s\n",
			ratio(t.CompletedPerSec, e.CompletedPerSec), ratio(float64(t.Complete.P50), float64(e.Complete.P50)),
			ratio(float64(t.Complete.P99), float64(e.Complete.P99)))
		p("               (a transfer's completion also includes its HTTP round trips and the wake-up of its waiting read)\n")
	}

	p("\n--- what the API and worker logged (warnings and errors) ---\n")
	if len(r.logs) == 0 {
		p("nothing\n")
	}
	for i, l := range r.logs {
		if i == 12 {
			p("... and %d more kinds\n", len(r.logs)-i)
			break
		}
		p("%6d  %-6s %-5s %s", l.N, l.Proc, l.Level, l.Msg)
		if l.Sample != "" {
			p("  (e.g. %s)", l.Sample)
		}
		p("\n")
	}

	p("\n--- ledger check ---\n")
	printLedger(w, "after the API run", r.ledgerAtLoad)
	printLedger(w, "at the end", r.ledgerAtEnd)
	if r.kept != "" {
		p("\n%s\n", r.kept)
	}
	p("=================================================================\n")
}

func printLatencies(w io.Writer, rows [][2]any) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "latency\tn\tp50\tp95\tp99\tmax\tmean")
	for _, row := range rows {
		l := row[1].(latencies)
		fmt.Fprintf(tw, "  %s\t%d\t%s\t%s\t%s\t%s\t%s\n", row[0], l.N, ms(l.P50), ms(l.P95), ms(l.P99), ms(l.Max), ms(l.Mean))
	}
	_ = tw.Flush()
}

func printErrors(w io.Writer, res phaseResult) {
	if len(res.Errors) == 0 {
		fmt.Fprintln(w, "errors         none")
		return
	}
	kinds := make([]string, 0, len(res.Errors))
	for k := range res.Errors {
		kinds = append(kinds, k)
	}
	slices.SortFunc(kinds, func(a, b string) int {
		if res.Errors[a] != res.Errors[b] {
			return res.Errors[b] - res.Errors[a]
		}
		return strings.Compare(a, b)
	})
	fmt.Fprintln(w, "errors by kind")
	for _, k := range kinds {
		fmt.Fprintf(w, "  %6d  %s", res.Errors[k], k)
		if s := res.Samples[k]; s != "" {
			fmt.Fprintf(w, "  (e.g. %s)", s)
		}
		fmt.Fprintln(w)
	}
}

// printCPU shows the CPU time each process used during a phase, as a share of one core and per
// completed arrival: what a transfer costs, and which process runs out of room first.
func printCPU(w io.Writer, res phaseResult) {
	if len(res.CPU) == 0 || res.Elapsed <= 0 {
		return
	}
	names := make([]string, 0, len(res.CPU))
	var total time.Duration
	for name, d := range res.CPU {
		names = append(names, name)
		total += d
	}
	slices.SortFunc(names, func(a, b string) int { return cmp.Compare(res.CPU[b], res.CPU[a]) })
	fmt.Fprintf(w, "CPU used (%d cores; %s of CPU time available over the %s)\n",
		runtime.NumCPU(), ms(time.Duration(runtime.NumCPU())*res.Elapsed), ms(res.Elapsed))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "  process\tcpu\tcores\tper completed")
	row := func(name string, d time.Duration) {
		per := "n/a"
		if res.Completed > 0 {
			per = ms(d / time.Duration(res.Completed))
		}
		fmt.Fprintf(tw, "  %s\t%s\t%.2f\t%s\n", name, ms(d), d.Seconds()/res.Elapsed.Seconds(), per)
	}
	for _, name := range names {
		row(name, res.CPU[name])
	}
	row("total", total)
	_ = tw.Flush()
}

func printLedger(w io.Writer, when string, l *db.LedgerReport) {
	switch {
	case l == nil:
		fmt.Fprintf(w, "%-18s not run\n", when)
	case l.OK:
		fmt.Fprintf(w, "%-18s OK (conservation, no negative balances, balances = postings, holds, double entry, posted at most once)\n", when)
	default:
		fmt.Fprintf(w, "%-18s FAILED, %d violations:\n", when, len(l.Violations))
		for i, v := range l.Violations {
			if i == 20 {
				fmt.Fprintf(w, "  ... and %d more\n", len(l.Violations)-i)
				break
			}
			fmt.Fprintf(w, "  %s\n", v)
		}
	}
}

// ms formats a duration in milliseconds, or seconds when long.
func ms(d time.Duration) string {
	switch {
	case d >= 10*time.Second:
		return fmt.Sprintf("%.1fs", d.Seconds())
	case d >= time.Second:
		return fmt.Sprintf("%.2fs", d.Seconds())
	default:
		return fmt.Sprintf("%.1fms", float64(d)/float64(time.Millisecond))
	}
}

func ratio(a, b float64) string {
	if b == 0 {
		return "n/a"
	}
	return fmt.Sprintf("%.3g", a/b)
}

// printSteps prints a find-max table.
func printSteps(w io.Writer, cfg config, what string, steps []phaseResult, best int) {
	if len(steps) == 0 {
		return
	}
	fmt.Fprintf(w, "\n--- find-max, %s: offered rate raised by x%.2g every %s ---\n", what, cfg.stepFactor, cfg.stepDuration)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "offered/s\taccepted/s\tcompleted/s\tp50 done\tp99 done\tfailed\tdropped\t")
	for i, s := range steps {
		mark := ""
		if i == best {
			mark = "  <- highest sustained"
		}
		fmt.Fprintf(tw, "%.1f\t%.1f\t%.1f\t%s\t%s\t%d\t%d\t%s\n", s.Offered, s.AcceptedPerSec, s.CompletedPerSec,
			ms(s.Complete.P50), ms(s.Complete.P99), s.failures(), s.Dropped, mark)
	}
	_ = tw.Flush()
	switch {
	case best < 0:
		fmt.Fprintf(w, "no step was sustained; lower -rate\n")
	case cfg.shortfall(steps[len(steps)-1]) != "":
		fmt.Fprintf(w, "stopped because: %s\n", cfg.shortfall(steps[len(steps)-1]))
	default:
		fmt.Fprintf(w, "every step up to -max-rate %.0f/s was sustained\n", cfg.maxRate)
	}
}
