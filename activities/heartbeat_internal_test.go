package activities

import (
	"context"
	"testing"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"
)

// An attempt that takes several times its HeartbeatTimeout, as a slow mail server makes it, still
// completes while keepAlive beats for it; without keepAlive the same attempt times out.
func TestKeepAlive_SlowAttemptOutlivesItsHeartbeatTimeout(t *testing.T) {
	for _, tc := range []struct {
		name      string
		keepAlive bool
		wantErr   bool
	}{
		{"kept alive", true, false},
		{"silent", false, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			slow := func(ctx context.Context) error {
				if tc.keepAlive {
					defer keepAlive(ctx)()
				}
				select {
				case <-time.After(1200 * time.Millisecond):
					return nil
				case <-ctx.Done():
					return ctx.Err()
				}
			}
			run := func(ctx workflow.Context) error {
				ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
					StartToCloseTimeout: time.Minute, HeartbeatTimeout: 300 * time.Millisecond,
					RetryPolicy: &temporal.RetryPolicy{MaximumAttempts: 1},
				})
				return workflow.ExecuteActivity(ctx, "Slow").Get(ctx, nil)
			}
			var suite testsuite.WorkflowTestSuite
			env := suite.NewTestWorkflowEnvironment()
			env.RegisterActivityWithOptions(slow, activity.RegisterOptions{Name: "Slow"})
			env.RegisterWorkflow(run)
			env.ExecuteWorkflow(run)
			if !env.IsWorkflowCompleted() {
				t.Fatal("workflow did not complete")
			}
			if err := env.GetWorkflowError(); (err != nil) != tc.wantErr {
				t.Fatalf("error = %v, want error: %v", err, tc.wantErr)
			}
		})
	}
}
