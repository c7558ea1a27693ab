package bankworker

import (
	"log/slog"
	"os"
	"time"

	"github.com/google/uuid"
	"go.temporal.io/sdk/interceptor"
	"go.temporal.io/sdk/workflow"
)

// killAfterPost is the CHAOS_KILL_AFTER_POST failpoint: after a posting commits, the first caller
// to remove the file at path kills this process at once, before its activity can report.
func killAfterPost(path string, logger *slog.Logger) func(transferID uuid.UUID) {
	return func(transferID uuid.UUID) {
		if os.Remove(path) != nil {
			return // not armed, or claimed by another posting
		}
		logger.Warn("fault injection: killed after posting", "transfer_id", transferID.String())
		if p, err := os.FindProcess(os.Getpid()); err == nil {
			_ = p.Kill()
		}
		os.Exit(137) // should the signal be late, end here all the same
	}
}

// capStepTimeout is the CHAOS_STEP_TIMEOUT interceptor: it lowers the start-to-close timeout of
// every local activity the workflows schedule to at most limit. A step slower than that times out
// while it still runs, and its retry overlaps it.
func capStepTimeout(limit time.Duration) interceptor.WorkerInterceptor {
	return &stepTimeout{max: limit}
}

type stepTimeout struct {
	interceptor.WorkerInterceptorBase
	max time.Duration
}

func (s *stepTimeout) InterceptWorkflow(ctx workflow.Context, next interceptor.WorkflowInboundInterceptor) interceptor.WorkflowInboundInterceptor {
	in := &stepTimeoutInbound{max: s.max}
	in.Next = next
	return in
}

type stepTimeoutInbound struct {
	interceptor.WorkflowInboundInterceptorBase
	max time.Duration
}

func (s *stepTimeoutInbound) Init(outbound interceptor.WorkflowOutboundInterceptor) error {
	out := &stepTimeoutOutbound{max: s.max}
	out.Next = outbound
	return s.Next.Init(out)
}

type stepTimeoutOutbound struct {
	interceptor.WorkflowOutboundInterceptorBase
	max time.Duration
}

func (s *stepTimeoutOutbound) ExecuteLocalActivity(ctx workflow.Context, activityType string, args ...any) workflow.Future {
	opts := workflow.GetLocalActivityOptions(ctx)
	if opts.StartToCloseTimeout == 0 || opts.StartToCloseTimeout > s.max {
		if opts.ScheduleToCloseTimeout == 0 {
			// The step keeps its whole budget for its retries; only each attempt is cut short.
			opts.ScheduleToCloseTimeout = opts.StartToCloseTimeout
		}
		opts.StartToCloseTimeout = s.max
		ctx = workflow.WithLocalActivityOptions(ctx, opts)
	}
	return s.Next.ExecuteLocalActivity(ctx, activityType, args...)
}
