package main

import (
	"context"
	"fmt"
	"log/slog"
	"time"
)

// findMax raises the offered rate step by step, from the starting rate by a fixed factor, until the
// system stops keeping up, and returns every step and the best one it sustained. Each step runs
// for stepDuration and drains before the next starts.
func findMax(ctx context.Context, logger *slog.Logger, cfg config, run func(name string, rate float64) phaseResult) (steps []phaseResult, best int) {
	best = -1
	for rate := cfg.rate; rate <= cfg.maxRate && ctx.Err() == nil; rate *= cfg.stepFactor {
		res := run(fmt.Sprintf("step %.0f/s", rate), rate)
		steps = append(steps, res)
		why := cfg.shortfall(res)
		logger.Info("find-max step", "offered_per_s", round1(rate), "completed_per_s", round1(res.CompletedPerSec),
			"p99_completion", res.Complete.P99.Round(time.Millisecond), "failures", res.failures(), "dropped", res.Dropped,
			"sustained", why == "", "why_not", why)
		if why != "" {
			break
		}
		best = len(steps) - 1
	}
	return steps, best
}

// shortfall says why a step does not count as sustained, or "" when it does: nearly every transfer
// completed, none were dropped for lack of in-flight room, completions kept pace with arrivals, and
// the 99th percentile of completion stayed within bounds.
func (cfg config) shortfall(res phaseResult) string {
	switch {
	case res.Arrivals == 0:
		return "no arrivals"
	case res.Dropped > 0:
		return fmt.Sprintf("%d arrivals dropped at max-inflight %d", res.Dropped, cfg.maxInflight)
	case float64(res.failures()) > 0.01*float64(res.Arrivals):
		return fmt.Sprintf("%d of %d transfers did not complete", res.failures(), res.Arrivals)
	case res.CompletedPerSec < 0.9*res.Offered:
		return fmt.Sprintf("completed %.1f/s of %.1f/s offered", res.CompletedPerSec, res.Offered)
	case res.Complete.P99 > cfg.maxP99:
		return fmt.Sprintf("p99 completion %s above %s", res.Complete.P99.Round(time.Millisecond), cfg.maxP99)
	}
	return ""
}

func round1(f float64) float64 { return float64(int64(f*10+0.5)) / 10 }
