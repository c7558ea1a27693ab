package main

import (
	"context"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bankforge/bank/dev/stack"
	"github.com/bankforge/bank/dev/testenv"
)

// built are the api and worker binaries, built once for the package's runs.
var built struct {
	once  sync.Once
	tools tools
	err   error
	dir   string
}

// testTools builds the binaries the runs start, or skips (fails under CI) when a server is missing.
func testTools(t *testing.T) *tools {
	t.Helper()
	testenv.Tool(t, "temporal")
	testenv.Tool(t, "mongowire")
	if _, err := findPGBin(""); err != nil {
		testenv.Unavailable(t, "%v", err)
	}
	built.once.Do(func() {
		root, err := stack.RepoRoot()
		if err != nil {
			built.err = err
			return
		}
		if built.dir, err = os.MkdirTemp("", "bank-chaos-bin-"); err != nil {
			built.err = err
			return
		}
		built.tools, built.err = buildTools(context.Background(), root, built.dir, "")
	})
	if built.err != nil {
		t.Fatal(built.err)
	}
	return &built.tools
}

func TestMain(m *testing.M) {
	code := m.Run()
	if built.dir != "" {
		_ = os.RemoveAll(built.dir)
	}
	os.Exit(code)
}

// lineWriter sends each line written to the test's log.
type lineWriter struct{ t *testing.T }

func (w lineWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// The short run of `make test`: a minute of clients under every kind of fault on seed 1, then the
// checks of INV-1..INV-10. The bank must break none, and every kind of fault must have happened.
func TestShortRun(t *testing.T) {
	bin := testTools(t)
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()
	r, err := run(ctx, config{
		Seed: 1, Duration: 60 * time.Second, Customers: 10, Balance: 50_000, Faults: allFaults,
		LossRate: 0.05, Tools: bin, Quiesce: 3 * time.Minute, KeepFailed: true,
	}, lineWriter{t})
	if err != nil {
		t.Fatalf("the run could not be carried out: %v", err)
	}
	for _, v := range r.Violations {
		t.Errorf("%s: %s", v.Inv, v.Detail)
	}
	for _, k := range allFaults {
		if r.Faults[k] == 0 {
			t.Errorf("fault %s never happened", k)
		}
	}
	if r.OK < 50 { // a loaded machine runs fewer; far fewer proves little
		t.Errorf("only %d operations were accepted: the run proves little", r.OK)
	}
}

// The negative control: clients that retry with a new Idempotency-Key when an answer is lost move
// money twice, and the checker must say so. A checker that cannot fail proves nothing.
func TestNegativeControl_BrokenIdempotencyFails(t *testing.T) {
	bin := testTools(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	r, err := run(ctx, config{
		Seed: 2, Duration: 15 * time.Second, Customers: 6, Balance: 50_000, Faults: nil,
		BreakIdempotency: true, LossRate: 0.2, Tools: bin, Quiesce: 2 * time.Minute,
	}, lineWriter{t})
	if err != nil {
		t.Fatalf("the run could not be carried out: %v", err)
	}
	doubles := 0
	for _, v := range r.Violations {
		if v.Inv == "INV-4" && strings.Contains(v.Detail, "moved money") {
			doubles++
		}
	}
	if doubles == 0 {
		t.Fatalf("with idempotency broken and %d answers lost, the checker found no double movement; violations: %+v", r.Lost, r.Violations)
	}
	t.Logf("the checker found %d operations that moved money more than once", doubles)
}

// The schedule follows from the seed alone, and a minute's holds every kind of fault.
func TestPlan_SeededAndComplete(t *testing.T) {
	a, b := plan(1, time.Minute, allFaults), plan(1, time.Minute, allFaults)
	if len(a) != len(b) {
		t.Fatalf("two plans of one seed differ: %d and %d faults", len(a), len(b))
	}
	kinds := map[faultKind]bool{}
	for i := range a {
		if a[i] != b[i] {
			t.Fatalf("two plans of one seed differ at %d: %+v and %+v", i, a[i], b[i])
		}
		if a[i].At+a[i].Hold > time.Minute {
			t.Fatalf("fault %+v ends after the run", a[i])
		}
		kinds[a[i].Kind] = true
	}
	if len(kinds) != len(allFaults) {
		t.Fatalf("a minute's plan has %d of the %d kinds of fault", len(kinds), len(allFaults))
	}
	if c := plan(2, time.Minute, allFaults); len(c) == len(a) && c[0] == a[0] && c[1] == a[1] {
		t.Fatalf("another seed gives the same plan")
	}
}
