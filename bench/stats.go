package main

import (
	"math"
	"slices"
	"sync"
	"time"
)

// recorder collects what happens to the arrivals of one measured phase: how long each took to be
// accepted and to finish, which went wrong and how, and how many were in flight at once. It is safe
// for concurrent use.
type recorder struct {
	mu sync.Mutex

	start           time.Time
	arrivals        int
	dropped         int
	accepted        int
	completed       int
	polls           int
	inflight        int
	peakInflight    int
	maxLag          time.Duration
	lastAccepted    time.Time
	lastCompleted   time.Time
	lastFinished    time.Time
	acceptLatency   []time.Duration
	completeLatency []time.Duration
	errs            map[string]int
	samples         map[string]string
	completedIDs    []string
}

func newRecorder(start time.Time) *recorder {
	return &recorder{start: start, errs: map[string]int{}, samples: map[string]string{}}
}

// arrival counts one scheduled arrival that started lag after it was due.
func (r *recorder) arrival(lag time.Duration) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.arrivals++
	r.maxLag = max(r.maxLag, lag)
}

// drop counts an arrival that was not sent because too many were already in flight.
func (r *recorder) drop() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.dropped++
}

// begin and end bracket the life of one arrival.
func (r *recorder) begin() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.inflight++
	r.peakInflight = max(r.peakInflight, r.inflight)
}

func (r *recorder) end() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.inflight--
	r.lastFinished = time.Now()
}

// accept records that the system took the request on, latency after it was due.
func (r *recorder) accept(latency time.Duration) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.accepted++
	r.acceptLatency = append(r.acceptLatency, latency)
	r.lastAccepted = time.Now()
}

// complete records a successful end, latency after it was due, of the transfer or workflow id
// (which may be empty).
func (r *recorder) complete(latency time.Duration, id string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.completed++
	if id != "" {
		r.completedIDs = append(r.completedIDs, id)
	}
	r.completeLatency = append(r.completeLatency, latency)
	r.lastCompleted = time.Now()
}

// poll counts one status request made while following an arrival.
func (r *recorder) poll() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.polls++
}

// fail counts one problem of the given kind, keeping the first detail seen for it.
func (r *recorder) fail(kind, detail string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.errs[kind]++
	if _, ok := r.samples[kind]; !ok && detail != "" {
		r.samples[kind] = truncate(detail, 240)
	}
}

// latencies summarises a set of durations.
type latencies struct {
	N                        int
	Mean, P50, P95, P99, Max time.Duration
}

func summarise(ds []time.Duration) latencies {
	if len(ds) == 0 {
		return latencies{}
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	var sum time.Duration
	for _, d := range s {
		sum += d
	}
	rank := func(p float64) time.Duration {
		i := int(math.Ceil(p*float64(len(s)))) - 1
		return s[min(max(i, 0), len(s)-1)]
	}
	return latencies{
		N: len(s), Mean: sum / time.Duration(len(s)),
		P50: rank(0.50), P95: rank(0.95), P99: rank(0.99), Max: s[len(s)-1],
	}
}

// phaseResult is the outcome of one measured phase.
type phaseResult struct {
	Name  string
	Start time.Time
	// Offered is the arrival rate per second; zero for a closed loop that runs as fast as it can.
	Offered float64
	// Window is how long arrivals were offered; Elapsed runs from the first arrival until the last
	// one finished.
	Window       time.Duration
	Elapsed      time.Duration
	Concurrency  int // for a closed loop: the number of workers
	Arrivals     int
	Dropped      int
	Accepted     int
	Completed    int
	PeakInflight int
	MaxLag       time.Duration
	// AcceptedPerSec and CompletedPerSec count from the first arrival to the last acceptance and
	// the last completion respectively.
	AcceptedPerSec  float64
	CompletedPerSec float64
	Accept          latencies
	Complete        latencies
	Errors          map[string]int
	Samples         map[string]string
	// Polls is how many status requests were made while following arrivals.
	Polls int
	// CPU is the CPU time each process used during the phase.
	CPU map[string]time.Duration
	// CompletedIDs are up to 50 ids of completed arrivals, spread evenly over the phase.
	CompletedIDs []string
}

// failures is how many arrivals ended in something other than success.
func (p phaseResult) failures() int {
	return p.Arrivals - p.Dropped - p.Completed
}

func (r *recorder) result(name string, offered float64, window time.Duration) phaseResult {
	r.mu.Lock()
	defer r.mu.Unlock()
	rate := func(n int, last time.Time) float64 {
		span := last.Sub(r.start).Seconds()
		if n == 0 || span <= 0 {
			return 0
		}
		return float64(n) / span
	}
	elapsed := window
	if !r.lastFinished.IsZero() {
		elapsed = r.lastFinished.Sub(r.start)
	}
	errs := make(map[string]int, len(r.errs))
	for k, v := range r.errs {
		errs[k] = v
	}
	samples := make(map[string]string, len(r.samples))
	for k, v := range r.samples {
		samples[k] = v
	}
	var ids []string
	if n := len(r.completedIDs); n > 0 {
		k := min(n, 50)
		for i := range k {
			ids = append(ids, r.completedIDs[i*n/k])
		}
	}
	return phaseResult{
		Name: name, Start: r.start, CompletedIDs: ids, Offered: offered, Window: window, Elapsed: elapsed,
		Polls: r.polls, Arrivals: r.arrivals, Dropped: r.dropped, Accepted: r.accepted, Completed: r.completed,
		PeakInflight: r.peakInflight, MaxLag: r.maxLag,
		AcceptedPerSec:  rate(r.accepted, r.lastAccepted),
		CompletedPerSec: rate(r.completed, r.lastCompleted),
		Accept:          summarise(r.acceptLatency),
		Complete:        summarise(r.completeLatency),
		Errors:          errs,
		Samples:         samples,
	}
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
