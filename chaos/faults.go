package main

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"strings"
	"sync"
	"time"
)

// faultKind is one way the system is made to fail.
type faultKind string

const (
	// faultKillWorker kills a worker with SIGKILL and starts it again after a while.
	faultKillWorker faultKind = "kill-worker"
	// faultKillAfterPost arms a worker's failpoint: the worker kills itself right after its next
	// posting commits, before the activity reports it; it is then started again.
	faultKillAfterPost faultKind = "kill-worker-after-post"
	// faultStepTimeout restarts the second worker with a step timeout shorter than its steps take
	// (its link to PostgreSQL slowed), so that attempts of one step overlap; then restores it.
	faultStepTimeout faultKind = "step-timeout"
	// faultRestartPostgres crashes PostgreSQL (`pg_ctl stop -m immediate`) and starts it again.
	faultRestartPostgres faultKind = "restart-postgres"
	// faultRestartTemporal kills the Temporal server and starts it again on its file store.
	faultRestartTemporal faultKind = "restart-temporal"
	// faultKillAPI kills an API process with requests in flight and starts it again.
	faultKillAPI faultKind = "kill-api"
	// faultStopMongo stops the Mongo wire server for a while.
	faultStopMongo faultKind = "stop-mongo"
	// faultDelayAPIDB slows every exchange between the APIs and PostgreSQL.
	faultDelayAPIDB faultKind = "delay-api-db"
	// faultCutAPIDB cuts every connection between the APIs and PostgreSQL and refuses new ones.
	faultCutAPIDB faultKind = "cut-api-db"
)

// allFaults are every kind, in the order the verdict lists them.
var allFaults = []faultKind{
	faultKillWorker, faultKillAfterPost, faultStepTimeout, faultRestartPostgres, faultRestartTemporal,
	faultKillAPI, faultStopMongo, faultDelayAPIDB, faultCutAPIDB,
}

// parseFaults reads a comma-separated list of fault kinds ("all" for every one, "none" for none).
func parseFaults(s string) ([]faultKind, error) {
	switch s {
	case "all", "":
		return allFaults, nil
	case "none":
		return nil, nil
	}
	var out []faultKind
	for _, name := range strings.Split(s, ",") {
		k := faultKind(strings.TrimSpace(name))
		found := false
		for _, f := range allFaults {
			found = found || f == k
		}
		if !found {
			return nil, fmt.Errorf("unknown fault %q (known: %v)", k, allFaults)
		}
		out = append(out, k)
	}
	return out, nil
}

// fault is one planned fault: when it starts (from the start of the workload), what, on which
// worker or API, and for how long.
type fault struct {
	At     time.Duration `json:"at"`
	Kind   faultKind     `json:"kind"`
	Target int           `json:"target"`
	Hold   time.Duration `json:"hold"`
	// Delay is the most the proxy adds to each exchange (delay-api-db, step-timeout).
	Delay time.Duration `json:"delay,omitempty"`
}

// plan draws the schedule of faults from seed: every kind once in a random order, then again in
// another, one fault at a time, until d runs out. Each lasts from 1s to 1s+d/30 (at most 10s), with
// 1 to 3 seconds of calm after it.
func plan(seed uint64, d time.Duration, kinds []faultKind) []fault {
	if len(kinds) == 0 {
		return nil
	}
	rnd := rand.New(rand.NewPCG(seed, 0xfa17))
	spread := min(d/30, 9*time.Second)
	var out []fault
	at := 2 * time.Second
	for {
		for _, i := range rnd.Perm(len(kinds)) {
			f := fault{At: at, Kind: kinds[i], Target: rnd.IntN(2), Hold: time.Second + time.Duration(rnd.Int64N(int64(spread)+1))}
			switch f.Kind {
			case faultDelayAPIDB:
				f.Delay = 50*time.Millisecond + time.Duration(rnd.Int64N(int64(400*time.Millisecond)))
			case faultStepTimeout:
				f.Delay = 20 * time.Millisecond
			}
			if at+f.Hold > d {
				return out
			}
			out = append(out, f)
			at += f.Hold + time.Second + time.Duration(rnd.Int64N(int64(2*time.Second)))
		}
	}
}

// injector carries out a plan on the system, one fault at a time, and restarts any process that
// ends when it was not told to.
type injector struct {
	sys  *system
	logf func(string, ...any)

	mu sync.Mutex
	// counts are the faults carried out, by kind; missed are those planned that did not happen (a
	// failpoint no posting reached in time).
	counts map[faultKind]int
	missed map[faultKind]int
	// armed is the worker whose failpoint is set, and fired is told when it dies of it.
	armed string
	fired chan struct{}
	// unexpected lists processes that ended on their own.
	unexpected []string
	restarts   sync.WaitGroup
}

func newInjector(sys *system, logf func(string, ...any)) *injector {
	return &injector{sys: sys, logf: logf, counts: map[faultKind]int{}, missed: map[faultKind]int{}, fired: make(chan struct{}, 1)}
}

// supervise restarts processes that end on their own until ctx ends. A worker that dies of its
// armed failpoint is the injector's to restart.
func (in *injector) supervise(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case name := <-in.sys.exited:
			in.mu.Lock()
			armed := in.armed
			in.mu.Unlock()
			if name == armed {
				select {
				case in.fired <- struct{}{}:
				default:
				}
				continue
			}
			p := in.sys.byName(name)
			if p == nil {
				continue
			}
			in.mu.Lock()
			in.unexpected = append(in.unexpected, fmt.Sprintf("%s at %s:\n%s", name, time.Now().Format(time.TimeOnly), tail(p.log, 5)))
			in.mu.Unlock()
			in.logf("%s ended on its own; starting it again", name)
			in.restarts.Add(1)
			go func() {
				defer in.restarts.Done()
				// Until it is back: a process missing for the rest of the run would leave its part
				// of the workload, and the faults aimed at it, undone.
				for ctx.Err() == nil {
					err := p.start(ctx, startTimeout)
					if err == nil {
						return
					}
					in.logf("restart %s: %v", name, err)
					select {
					case <-ctx.Done():
					case <-time.After(2 * time.Second):
					}
				}
			}()
		}
	}
}

// run carries out the plan from start until it ends or ctx ends; each fault is healed before the
// next starts.
func (in *injector) run(ctx context.Context, start time.Time, faults []fault) error {
	for _, f := range faults {
		wait := time.Until(start.Add(f.At))
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(wait):
		}
		in.logf("fault %s (target %d, %s)", f.Kind, f.Target, f.Hold.Round(100*time.Millisecond))
		happened, err := in.inject(ctx, f)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("fault %s: %w", f.Kind, err)
		}
		in.mu.Lock()
		if happened {
			in.counts[f.Kind]++
		} else {
			in.missed[f.Kind]++
		}
		in.mu.Unlock()
	}
	return nil
}

// inject carries out one fault and heals it; it reports whether the fault happened.
func (in *injector) inject(ctx context.Context, f fault) (bool, error) {
	s := in.sys
	hold := func() {
		select {
		case <-ctx.Done():
		case <-time.After(f.Hold):
		}
	}
	// Starting again uses a context of its own: a run that ends mid-fault still heals it.
	heal := context.WithoutCancel(ctx)
	switch f.Kind {
	case faultKillWorker:
		w := s.workers[f.Target]
		w.kill()
		hold()
		return true, w.start(heal, startTimeout)
	case faultKillAfterPost:
		return in.killAfterPost(ctx, f)
	case faultStepTimeout:
		w := s.workers[1] // the worker behind slowProxy
		w.kill()
		w.setEnv(withEnv(s.workerEnv[1], "CHAOS_STEP_TIMEOUT="+(2*f.Delay).String()))
		s.slowProxy.setDelay(f.Delay)
		err := w.start(heal, startTimeout)
		if err == nil {
			hold()
		}
		s.slowProxy.heal()
		w.kill()
		w.setEnv(s.workerEnv[1])
		return err == nil, errors.Join(err, w.start(heal, startTimeout))
	case faultRestartPostgres:
		if err := s.pg.crash(heal); err != nil {
			return false, err
		}
		hold()
		return true, s.pg.start(heal)
	case faultRestartTemporal:
		s.temporal.kill()
		hold()
		return true, s.temporal.start(heal, startTimeout)
	case faultKillAPI:
		a := s.apis[f.Target]
		a.kill()
		hold()
		return true, a.start(heal, startTimeout)
	case faultStopMongo:
		s.mongo.kill()
		hold()
		return true, s.mongo.start(heal, startTimeout)
	case faultDelayAPIDB:
		s.apiProxy.setDelay(f.Delay)
		hold()
		s.apiProxy.heal()
		return true, nil
	case faultCutAPIDB:
		s.apiProxy.cut()
		hold()
		s.apiProxy.heal()
		return true, nil
	}
	return false, fmt.Errorf("unknown fault %s", f.Kind)
}

// killAfterPost arms the target worker's failpoint and waits for the worker to die of it after a
// posting; it then starts it again. When no posting reaches the failpoint in time, it is disarmed
// and the fault did not happen.
func (in *injector) killAfterPost(ctx context.Context, f fault) (bool, error) {
	w, path := in.sys.workers[f.Target], in.sys.failpoints[f.Target]
	select { // a stale signal from an earlier fault
	case <-in.fired:
	default:
	}
	in.mu.Lock()
	in.armed = w.name
	in.mu.Unlock()
	if err := os.WriteFile(path, []byte("kill after the next posting\n"), 0o644); err != nil {
		return false, err
	}
	fired := false
	select {
	case <-ctx.Done():
	case <-in.fired:
		fired = true
	case <-time.After(f.Hold + 10*time.Second):
	}
	if !fired && errors.Is(os.Remove(path), os.ErrNotExist) {
		// Claimed by a posting as the wait ended: the worker is dying of it.
		select {
		case <-in.fired:
			fired = true
		case <-time.After(10 * time.Second):
		}
	}
	in.mu.Lock()
	in.armed = ""
	in.mu.Unlock()
	if !fired {
		return false, nil
	}
	return true, w.start(context.WithoutCancel(ctx), startTimeout)
}

// byName returns the process named name.
func (s *system) byName(name string) *proc {
	for _, p := range append(append([]*proc{s.temporal, s.mongo}, s.workers...), s.apis...) {
		if p != nil && p.name == name {
			return p
		}
	}
	return nil
}
