package workflows_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"

	"github.com/bankforge/bank/activities"
	"github.com/bankforge/bank/domain"
	"github.com/bankforge/bank/workflows"
)

const freezeID = "0b6e1c3a-5d7f-4e1b-8c2d-9f0a1b2c3d4e"

// freezeDB stands for the freezes table: the mocked activities read and change it as the real ones
// change PostgreSQL.
type freezeDB struct {
	mu       sync.Mutex
	env      *testsuite.TestWorkflowEnvironment
	status   domain.FreezeStatus
	until    *time.Time
	frozenAt *time.Time
	endedAt  *time.Time
	endedBy  string
	failure  domain.Code
	// aheadOnce makes the first due check find the freeze still active, as when the worker's clock
	// runs ahead of the database's.
	aheadOnce bool

	calls    map[string]int
	events   []domain.FreezeStatus
	lifted   []domain.Code
	dueCalls []time.Time
	fail     map[string]func(n int) error // by step: the error of the n-th call, if any
}

func (d *freezeDB) state() activities.FreezeState {
	return activities.FreezeState{Status: d.status, FrozenAt: d.frozenAt, Until: d.until, EndedAt: d.endedAt, EndedBy: d.endedBy, FailureCode: d.failure}
}

// call counts a call of step and returns the error it should fail with.
func (d *freezeDB) call(step string) error {
	d.calls[step]++
	if f := d.fail[step]; f != nil {
		return f(d.calls[step])
	}
	return nil
}

func (d *freezeDB) now() *time.Time {
	t := d.env.Now()
	return &t
}

// unfreeze is an admin's unfreeze, taken in the database.
func (d *freezeDB) unfreeze(by string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.status == domain.FreezeActive {
		d.status, d.endedAt, d.endedBy = domain.FreezeEnded, d.now(), by
	}
}

type freezeRun struct {
	db    *freezeDB
	res   workflows.FreezeState
	err   error
	ended time.Time
	start time.Time
}

// runFreeze runs Freeze over a freezeDB in status pending; setup may change the database, make steps
// fail, mock activities its own way and register callbacks before the workflow starts.
func runFreeze(t *testing.T, until *time.Duration, setup func(env *testsuite.TestWorkflowEnvironment, d *freezeDB)) *freezeRun {
	t.Helper()
	env := newEnv()
	d := &freezeDB{env: env, status: domain.FreezePending, calls: map[string]int{}, fail: map[string]func(int) error{}}
	run := &freezeRun{db: d, start: env.Now()}
	in := workflows.FreezeInput{
		FreezeID: freezeID, AccountID: "acc", AccountNumber: "100000017", Seq: 1,
		UserIDs: []string{"admin", "owner"}, Reason: domain.FreezeLegalOrder, Scope: domain.FreezeFull,
	}
	if until != nil {
		u := env.Now().Add(*until)
		in.Until, d.until = &u, &u
	}
	// The setup's own mocks come first: the first matching one answers.
	if setup != nil {
		setup(env, d)
	}
	env.OnActivity(a.ApplyFreeze, mock.Anything, mock.Anything).Return(func(_ context.Context, ref activities.FreezeRef) (activities.FreezeState, error) {
		d.mu.Lock()
		defer d.mu.Unlock()
		require.Equal(t, freezeID, ref.FreezeID)
		if err := d.call("apply"); err != nil {
			return activities.FreezeState{}, err
		}
		if d.status == domain.FreezePending {
			d.status, d.frozenAt = domain.FreezeActive, d.now()
		}
		return d.state(), nil
	})
	env.OnActivity(a.StopTransfersInFlight, mock.Anything, mock.Anything).Return(func(context.Context, activities.FreezeRef) (activities.StoppedTransfers, error) {
		d.mu.Lock()
		defer d.mu.Unlock()
		if err := d.call("stop"); err != nil {
			return activities.StoppedTransfers{}, err
		}
		return activities.StoppedTransfers{TransferIDs: []string{"t-1", "t-2"}}, nil
	})
	env.OnActivity(a.RecordFreezeEvent, mock.Anything, mock.Anything).Return(func(_ context.Context, in activities.FreezeEventInput) error {
		d.mu.Lock()
		defer d.mu.Unlock()
		if err := d.call("record"); err != nil {
			return err
		}
		d.events = append(d.events, in.Status)
		return nil
	})
	env.OnActivity(a.RecordTransferOutcome, mock.Anything, mock.Anything).Return(func(context.Context, activities.TransferRef) error {
		d.mu.Lock()
		defer d.mu.Unlock()
		return d.call("outcome")
	})
	env.OnActivity(a.EndDueFreeze, mock.Anything, mock.Anything).Return(func(context.Context, activities.FreezeRef) (activities.FreezeState, error) {
		d.mu.Lock()
		defer d.mu.Unlock()
		if err := d.call("end"); err != nil {
			return activities.FreezeState{}, err
		}
		d.dueCalls = append(d.dueCalls, env.Now())
		due := d.until != nil && !env.Now().Before(*d.until)
		if due && d.aheadOnce {
			d.aheadOnce, due = false, false
		}
		if d.status == domain.FreezeActive && due {
			d.status, d.endedAt = domain.FreezeEnded, d.now()
		}
		return d.state(), nil
	})
	env.OnActivity(a.LiftFreeze, mock.Anything, mock.Anything).Return(func(_ context.Context, in activities.LiftFreezeInput) (activities.FreezeState, error) {
		d.mu.Lock()
		defer d.mu.Unlock()
		if err := d.call("lift"); err != nil {
			return activities.FreezeState{}, err
		}
		d.lifted = append(d.lifted, in.Code)
		if d.status.Open() {
			d.status, d.failure, d.endedAt = domain.FreezeFailed, in.Code, d.now()
		}
		return d.state(), nil
	})
	env.ExecuteWorkflow(workflows.Freeze, in)
	require.True(t, env.IsWorkflowCompleted())
	run.ended = env.Now()
	run.err = env.GetWorkflowError()
	if run.err == nil {
		require.NoError(t, env.GetWorkflowResult(&run.res))
	}
	return run
}

func days(n int) *time.Duration {
	d := time.Duration(n) * 24 * time.Hour
	return &d
}

// signalUnfreeze has an admin unfreeze the account after, and tell the workflow.
func signalUnfreeze(env *testsuite.TestWorkflowEnvironment, d *freezeDB, after time.Duration) {
	env.RegisterDelayedCallback(func() {
		d.unfreeze("admin-2")
		env.SignalWorkflow(workflows.FreezeEndedSignal, workflows.FreezeEnded{EndedBy: "admin-2"})
	}, after)
}

// With an end, the freeze is put in force, stops the transfers in flight, is recorded and told, and
// waits on a durable timer; at its end it unfreezes the account by itself and tells the owner again.
// The state query answers the freeze's state meanwhile.
func TestFreeze_UntilTimerUnfreezes(t *testing.T) {
	t.Parallel()
	var queried workflows.FreezeState
	run := runFreeze(t, days(30), func(env *testsuite.TestWorkflowEnvironment, d *freezeDB) {
		env.RegisterDelayedCallback(func() {
			v, err := env.QueryWorkflow(workflows.FreezeStateQuery)
			require.NoError(t, err)
			require.NoError(t, v.Get(&queried))
		}, time.Hour)
	})
	require.NoError(t, run.err)
	d := run.db
	require.Equal(t, domain.FreezeActive, queried.Status, "the query answers the freeze in force")
	require.Equal(t, 2, queried.TransfersStopped)
	require.Equal(t, domain.FreezeLegalOrder, queried.Reason)
	require.Equal(t, domain.FreezeEnded, run.res.Status)
	require.Empty(t, run.res.EndedBy, "ended by its timer, not by an admin")
	require.Equal(t, []domain.FreezeStatus{domain.FreezeActive, domain.FreezeEnded}, d.events)
	require.Equal(t, 2, d.calls["outcome"], "each stopped transfer's outcome is recorded")
	require.Len(t, d.dueCalls, 1, "the end is checked once, when the timer fires")
	require.False(t, d.dueCalls[0].Before(*d.until))
	require.Less(t, run.ended.Sub(*d.until), time.Minute)
	require.Zero(t, d.calls["lift"])
}

// An admin's unfreeze before the end wakes the workflow at once; it records the end and tells the
// owner, and does not wait for the timer.
func TestFreeze_EarlyUnfreezeBySignal(t *testing.T) {
	t.Parallel()
	run := runFreeze(t, days(30), func(env *testsuite.TestWorkflowEnvironment, d *freezeDB) {
		signalUnfreeze(env, d, 2*time.Hour)
	})
	require.NoError(t, run.err)
	require.Equal(t, domain.FreezeEnded, run.res.Status)
	require.Equal(t, "admin-2", run.res.EndedBy)
	require.Less(t, run.ended.Sub(run.start), 3*time.Hour, "the unfreeze ends the wait, not the timer")
	require.Equal(t, []domain.FreezeStatus{domain.FreezeActive, domain.FreezeEnded}, run.db.events)
}

// Without an end, the freeze stands until an admin unfreezes the account, however long.
func TestFreeze_WithoutEndWaitsForTheUnfreeze(t *testing.T) {
	t.Parallel()
	run := runFreeze(t, nil, func(env *testsuite.TestWorkflowEnvironment, d *freezeDB) {
		signalUnfreeze(env, d, 400*24*time.Hour)
	})
	require.NoError(t, run.err)
	require.Equal(t, domain.FreezeEnded, run.res.Status)
	require.GreaterOrEqual(t, run.ended.Sub(run.start), 400*24*time.Hour)
	require.Len(t, run.db.dueCalls, 1)
}

// A timer that runs ahead of the database's clock finds the freeze still in force and waits again,
// rather than spinning; a signal the database does not bear out is no unfreeze either.
func TestFreeze_TimerAheadOfTheDatabaseWaitsAgain(t *testing.T) {
	t.Parallel()
	run := runFreeze(t, days(1), func(env *testsuite.TestWorkflowEnvironment, d *freezeDB) {
		d.aheadOnce = true
		env.RegisterDelayedCallback(func() {
			env.SignalWorkflow(workflows.FreezeEndedSignal, workflows.FreezeEnded{EndedBy: "nobody"})
		}, time.Hour)
	})
	require.NoError(t, run.err)
	d := run.db
	require.Len(t, d.dueCalls, 3, "the stray signal, the early timer, the due timer")
	require.Less(t, d.dueCalls[0].Sub(run.start), 2*time.Hour)
	require.GreaterOrEqual(t, d.dueCalls[2].Sub(d.dueCalls[1]), 30*time.Second)
	require.Equal(t, domain.FreezeEnded, run.res.Status)
}

// Each step before the freeze is told, failing once (a retryable error, a timeout), is retried and
// the freeze stands; failing for good, the saga lifts it and the workflow fails with the original
// error: fully committed or fully compensated. A refusal (the account was closed or frozen
// meanwhile) lifts it too, and completes the workflow with the refusal's code.
func TestFreeze_EveryFailurePoint(t *testing.T) {
	t.Parallel()
	for _, step := range []string{"apply", "stop", "record"} {
		for _, o := range []outcome{retryable, nonRetryable, timeout} {
			t.Run(step+"/"+o.String(), func(t *testing.T) {
				t.Parallel()
				run := runFreeze(t, days(1), func(env *testsuite.TestWorkflowEnvironment, d *freezeDB) {
					d.fail[step] = func(n int) error {
						switch {
						case o == retryable && n == 1:
							return errors.New("connection reset")
						case o == timeout && n == 1:
							return temporal.NewTimeoutError(enumspb.TIMEOUT_TYPE_START_TO_CLOSE, nil)
						case o == nonRetryable && (step != "record" || d.status == domain.FreezeActive):
							return temporal.NewNonRetryableApplicationError("for good", string(domain.CodeInternal), nil)
						}
						return nil
					}
				})
				d := run.db
				if o != nonRetryable {
					require.NoError(t, run.err)
					require.Equal(t, domain.FreezeEnded, run.res.Status)
					require.Zero(t, d.calls["lift"], "nothing to lift")
					require.Equal(t, 2+boolInt(step == "record"), d.calls[step], "retried once (and the end recorded)")
					return
				}
				var appErr *temporal.ApplicationError
				require.ErrorAs(t, run.err, &appErr, "an operator must look at it")
				require.Equal(t, string(domain.CodeInternal), appErr.Type())
				require.Equal(t, []domain.Code{domain.CodeInternal}, d.lifted, "lifted once")
				require.Equal(t, domain.FreezeFailed, d.status)
				require.Empty(t, d.dueCalls, "a lifted freeze is not waited on")
				require.Contains(t, d.events, domain.FreezeFailed, "the lift is recorded")
				require.NotContains(t, d.events, domain.FreezeEnded)
			})
		}
	}
	for _, code := range []domain.Code{domain.CodeAccountNotActive, domain.CodeAlreadyFrozen} {
		t.Run("apply/refused/"+string(code), func(t *testing.T) {
			t.Parallel()
			run := runFreeze(t, nil, func(_ *testsuite.TestWorkflowEnvironment, d *freezeDB) {
				d.fail["apply"] = func(int) error { return temporal.NewNonRetryableApplicationError(code.Message(), string(code), nil) }
			})
			require.NoError(t, run.err, "a refusal completes the workflow")
			require.Equal(t, code, run.res.FailureCode)
			require.Equal(t, domain.FreezeFailed, run.res.Status)
			require.Equal(t, []domain.Code{code}, run.db.lifted)
			require.Zero(t, run.db.calls["stop"])
			require.Equal(t, []domain.FreezeStatus{domain.FreezeFailed}, run.db.events)
		})
	}
}

// A lift that fails too leaves the freeze for an operator: the workflow fails with the original
// error, never the lift's.
func TestFreeze_LiftFailingAlerts(t *testing.T) {
	t.Parallel()
	run := runFreeze(t, nil, func(_ *testsuite.TestWorkflowEnvironment, d *freezeDB) {
		d.fail["stop"] = func(int) error {
			return temporal.NewNonRetryableApplicationError("stop", string(domain.CodeAccountNotFound), nil)
		}
		d.fail["lift"] = func(int) error {
			return temporal.NewNonRetryableApplicationError("lift", string(domain.CodeInternal), nil)
		}
	})
	var appErr *temporal.ApplicationError
	require.ErrorAs(t, run.err, &appErr)
	require.Equal(t, string(domain.CodeAccountNotFound), appErr.Type())
	require.Equal(t, domain.FreezeActive, run.db.status)
}

// A cancellation before the freeze is told lifts it; one while it waits leaves it standing, for an
// admin's unfreeze to end.
func TestFreeze_Cancellation(t *testing.T) {
	t.Parallel()
	t.Run("before it is told", func(t *testing.T) {
		t.Parallel()
		run := runFreeze(t, nil, func(env *testsuite.TestWorkflowEnvironment, d *freezeDB) {
			stopping := make(chan struct{})
			go func() {
				<-stopping
				env.CancelWorkflow()
			}()
			env.OnActivity(a.StopTransfersInFlight, mock.Anything, mock.Anything).Return(func(ctx context.Context, _ activities.FreezeRef) (activities.StoppedTransfers, error) {
				close(stopping)
				<-ctx.Done()
				return activities.StoppedTransfers{}, ctx.Err()
			})
		})
		require.True(t, temporal.IsCanceledError(run.err), "%v", run.err)
		require.Equal(t, []domain.Code{domain.CodeCanceled}, run.db.lifted)
		require.Equal(t, domain.FreezeFailed, run.db.status)
	})
	t.Run("while it waits", func(t *testing.T) {
		t.Parallel()
		run := runFreeze(t, days(30), func(env *testsuite.TestWorkflowEnvironment, d *freezeDB) {
			env.RegisterDelayedCallback(env.CancelWorkflow, time.Hour)
		})
		require.True(t, temporal.IsCanceledError(run.err), "%v", run.err)
		require.Zero(t, run.db.calls["lift"])
		require.Equal(t, domain.FreezeActive, run.db.status, "the freeze stands")
	})
}

// A run started again (an unfreeze's Signal-With-Start after the first run failed) finds the freeze
// ended: it records what was not yet recorded, and waits for nothing.
func TestFreeze_RunAfterTheUnfreezeOnlyRecords(t *testing.T) {
	t.Parallel()
	run := runFreeze(t, nil, func(env *testsuite.TestWorkflowEnvironment, d *freezeDB) {
		now := env.Now()
		d.status, d.frozenAt, d.endedAt, d.endedBy = domain.FreezeEnded, &now, &now, "admin-2"
	})
	require.NoError(t, run.err)
	require.Equal(t, domain.FreezeEnded, run.res.Status)
	require.Equal(t, []domain.FreezeStatus{domain.FreezeActive, domain.FreezeEnded}, run.db.events)
	require.Empty(t, run.db.dueCalls)
	require.Zero(t, run.db.calls["lift"])
}

// Recording that keeps failing once the freeze is told undoes nothing: the freeze stands and ends.
func TestFreeze_RecordingTheEndFailingUndoesNothing(t *testing.T) {
	t.Parallel()
	run := runFreeze(t, days(1), func(_ *testsuite.TestWorkflowEnvironment, d *freezeDB) {
		d.fail["record"] = func(int) error {
			if d.status == domain.FreezeEnded {
				return temporal.NewNonRetryableApplicationError("mongo down", string(domain.CodeInternal), nil)
			}
			return nil
		}
		d.fail["outcome"] = func(int) error {
			return temporal.NewNonRetryableApplicationError("mongo down", string(domain.CodeInternal), nil)
		}
	})
	require.NoError(t, run.err)
	require.Equal(t, domain.FreezeEnded, run.res.Status)
	require.Zero(t, run.db.calls["lift"])
}

// The start options name the account's freeze and tag it for operators.
func TestFreezeStartOptions(t *testing.T) {
	t.Parallel()
	until := time.Date(2031, 1, 2, 3, 4, 5, 0, time.UTC)
	o := workflows.FreezeStartOptions(workflows.FreezeInput{
		FreezeID: freezeID, AccountID: "acc", AccountNumber: "100000017", Seq: 3, UserIDs: []string{"admin", "owner", "admin"},
		Reason: domain.FreezeCustomerRequest, Scope: domain.FreezeDebit, Until: &until,
	}, "bank")
	require.Equal(t, "freeze-acc-3", o.ID)
	sa := o.TypedSearchAttributes
	for key, want := range map[temporal.SearchAttributeKeyKeyword]string{
		workflows.KindKey: "freeze", workflows.FreezeReasonKey: "customer_request", workflows.FreezeScopeKey: "debit",
		workflows.FreezeStatusKey: "pending",
	} {
		got, ok := sa.GetKeyword(key)
		require.True(t, ok)
		require.Equal(t, want, got)
	}
	got, ok := sa.GetTime(workflows.FreezeUntilKey)
	require.True(t, ok)
	require.True(t, until.Equal(got))
	users, _ := sa.GetKeywordList(workflows.UserIDsKey)
	require.Equal(t, []string{"admin", "owner"}, users)
}
