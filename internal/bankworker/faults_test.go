package bankworker

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"go.temporal.io/sdk/interceptor"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
)

// slowStep is a local activity whose first attempt takes far longer than the capped timeout and
// ignores its context, as a step stuck on the network would; it counts how many attempts run at once.
type slowStep struct {
	mu                 sync.Mutex
	attempts, running  int
	mostAtOnce         int
	firstDone, release chan struct{}
}

func (s *slowStep) Run(ctx context.Context) error {
	s.mu.Lock()
	s.attempts++
	first := s.attempts == 1
	s.running++
	s.mostAtOnce = max(s.mostAtOnce, s.running)
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		s.running--
		s.mu.Unlock()
	}()
	if first {
		<-s.release
		close(s.firstDone)
		return nil
	}
	close(s.release) // the retry runs while the first attempt still does
	return nil
}

func slowStepWorkflow(ctx workflow.Context) error {
	ctx = workflow.WithLocalActivityOptions(ctx, workflow.LocalActivityOptions{
		StartToCloseTimeout: time.Minute,
		RetryPolicy:         &temporal.RetryPolicy{InitialInterval: 10 * time.Millisecond, MaximumAttempts: 5},
	})
	var s *slowStep
	return workflow.ExecuteLocalActivity(ctx, s.Run).Get(ctx, nil)
}

// CHAOS_STEP_TIMEOUT caps a local activity's timeout: its first attempt, slower than the cap, times
// out while it still runs, and the retry runs alongside it.
func TestCapStepTimeout_AttemptsOverlap(t *testing.T) {
	var suite testsuite.WorkflowTestSuite
	env := suite.NewTestWorkflowEnvironment()
	env.SetWorkerOptions(worker.Options{Interceptors: []interceptor.WorkerInterceptor{capStepTimeout(50 * time.Millisecond)}})
	step := &slowStep{firstDone: make(chan struct{}), release: make(chan struct{})}
	env.RegisterWorkflow(slowStepWorkflow)
	env.RegisterActivity(step)
	env.ExecuteWorkflow(slowStepWorkflow)
	if err := env.GetWorkflowError(); err != nil {
		t.Fatalf("workflow: %v", err)
	}
	<-step.firstDone
	if step.attempts != 2 || step.mostAtOnce != 2 {
		t.Fatalf("%d attempts, at most %d at once; want 2 overlapping", step.attempts, step.mostAtOnce)
	}
}

// Without the cap the step's own timeout stands: one attempt, however slow.
func TestCapStepTimeout_LeavesShorterTimeouts(t *testing.T) {
	var suite testsuite.WorkflowTestSuite
	env := suite.NewTestWorkflowEnvironment()
	env.SetWorkerOptions(worker.Options{Interceptors: []interceptor.WorkerInterceptor{capStepTimeout(time.Hour)}})
	step := &slowStep{firstDone: make(chan struct{}), release: make(chan struct{})}
	close(step.release)
	env.RegisterWorkflow(slowStepWorkflow)
	env.RegisterActivity(step)
	env.ExecuteWorkflow(slowStepWorkflow)
	if err := env.GetWorkflowError(); err != nil || step.attempts != 1 {
		t.Fatalf("%d attempts (%v); want 1", step.attempts, err)
	}
}

// CHAOS_KILL_AFTER_POST: while its file exists, the hook removes it and the process dies at once
// with SIGKILL; without it the hook does nothing. The dying process is this test binary run again.
func TestKillAfterPost(t *testing.T) {
	if path := os.Getenv("KILL_AFTER_POST_CHILD"); path != "" {
		killAfterPost(path, slog.New(slog.NewTextHandler(io.Discard, nil)))(uuid.New())
		return // not armed: the hook returned, and the child passes
	}
	path := filepath.Join(t.TempDir(), "failpoint")
	run := func() error {
		cmd := exec.Command(os.Args[0], "-test.run=^TestKillAfterPost$")
		cmd.Env = append(os.Environ(), "KILL_AFTER_POST_CHILD="+path)
		return cmd.Run()
	}
	if err := run(); err != nil {
		t.Fatalf("not armed, the hook must return: %v", err)
	}
	if err := os.WriteFile(path, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	var exit *exec.ExitError
	if err := run(); !errors.As(err, &exit) || exit.Success() {
		t.Fatalf("armed, the process must die: %v", err)
	}
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("the failpoint fires once: its file must be gone (%v)", err)
	}
	if err := run(); err != nil {
		t.Fatalf("fired, the failpoint is disarmed: %v", err)
	}
}
