package workflows_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"testing"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/activity"
	tlog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"

	"github.com/bankforge/bank/activities"
	"github.com/bankforge/bank/domain"
	"github.com/bankforge/bank/workflows"
)

var a *activities.Activities

// outcome says how a mocked activity behaves.
type outcome int

const (
	ok           outcome = iota
	retryable            // fails once with an infrastructure error, then succeeds
	nonRetryable         // a business refusal
	timeout              // times out once, then succeeds
)

func (o outcome) String() string {
	return [...]string{"ok", "retryable", "non-retryable", "timeout"}[o]
}

// behave returns an activity body that acts as o, counting its calls.
func behave(o outcome, code domain.Code, calls *int) func(context.Context, activities.TransferRef) error {
	return func(context.Context, activities.TransferRef) error {
		*calls++
		switch {
		case o == retryable && *calls == 1:
			return errors.New("connection reset")
		case o == timeout && *calls == 1:
			return temporal.NewTimeoutError(enumspb.TIMEOUT_TYPE_START_TO_CLOSE, nil)
		case o == nonRetryable:
			return temporal.NewNonRetryableApplicationError(code.Message(), string(code), nil)
		}
		return nil
	}
}

type transferRun struct {
	validate, reserve, post, void, fail, record int
	failedWith                                  activities.FailTransferInput
}

// mocks replaces the default behaviour of activities, by name: "post", "void", "fail", "record".
type mocks map[string]any

func runTransfer(t *testing.T, validate, reserve, post outcome, setup func(*testsuite.TestWorkflowEnvironment, *transferRun) mocks) (*transferRun, workflows.TransferResult, error) {
	t.Helper()
	env := newEnv()
	run := &transferRun{}
	m := mocks{
		"post": behave(post, domain.CodeAccountNotActive, &run.post),
		"void": behave(ok, "", &run.void),
		"fail": func(_ context.Context, in activities.FailTransferInput) (activities.FailTransferResult, error) {
			run.fail++
			run.failedWith = in
			if run.void > 0 {
				return activities.FailTransferResult{Status: domain.TransferCompensated}, nil
			}
			return activities.FailTransferResult{Status: domain.TransferFailed}, nil
		},
		"record": behave(ok, "", &run.record),
	}
	if setup != nil {
		for k, v := range setup(env, run) {
			m[k] = v
		}
	}
	env.OnActivity(a.ValidateTransfer, mock.Anything, mock.Anything).Return(behave(validate, domain.CodeCurrencyMismatch, &run.validate))
	env.OnActivity(a.PlaceHold, mock.Anything, mock.Anything).Return(behave(reserve, domain.CodeInsufficientFunds, &run.reserve))
	env.OnActivity(a.PostTransfer, mock.Anything, mock.Anything).Return(m["post"])
	env.OnActivity(a.VoidHold, mock.Anything, mock.Anything).Return(m["void"])
	env.OnActivity(a.FailTransfer, mock.Anything, mock.Anything).Return(m["fail"])
	env.OnActivity(a.RecordTransferOutcome, mock.Anything, mock.Anything).Return(m["record"])
	env.ExecuteWorkflow(workflows.Transfer, workflows.TransferInput{TransferID: "t-1", Kind: domain.KindTransfer, Amount: 10, Currency: "USD"})
	require.True(t, env.IsWorkflowCompleted())
	var res workflows.TransferResult
	err := env.GetWorkflowError()
	if err == nil {
		require.NoError(t, env.GetWorkflowResult(&res))
	}
	return run, res, err
}

// Every activity position crossed with every outcome ends fully posted or fully compensated.
func TestTransfer_EveryFailurePoint(t *testing.T) {
	t.Parallel()
	for _, step := range []domain.TransferStep{domain.StepValidate, domain.StepPlaceHold, domain.StepPost} {
		for _, o := range []outcome{ok, retryable, nonRetryable, timeout} {
			t.Run(string(step)+"/"+o.String(), func(t *testing.T) {
				t.Parallel()
				outcomes := map[domain.TransferStep]outcome{domain.StepValidate: ok, domain.StepPlaceHold: ok, domain.StepPost: ok}
				outcomes[step] = o
				run, res, err := runTransfer(t, outcomes[domain.StepValidate], outcomes[domain.StepPlaceHold], outcomes[domain.StepPost], nil)

				if o != nonRetryable {
					require.NoError(t, err)
					require.Equal(t, domain.TransferCompleted, res.Status)
					require.Equal(t, 1+boolInt(o != ok && step == domain.StepPost), run.post, "post calls")
					require.Zero(t, run.void, "a completed transfer voids nothing")
					require.Zero(t, run.fail)
					require.Equal(t, 1, run.record)
					return
				}
				// A refusal completes the workflow: the bank did its job, nothing for an operator.
				require.NoError(t, err)
				require.Equal(t, 1, run.fail, "the failure is recorded once")
				require.Equal(t, step, run.failedWith.Step)
				require.Equal(t, run.failedWith.Code, res.FailureCode)
				require.Equal(t, 1, run.record, "the outcome is recorded")
				switch step {
				case domain.StepValidate:
					require.Equal(t, domain.CodeCurrencyMismatch, res.FailureCode)
					require.Equal(t, domain.TransferFailed, res.Status)
					require.Zero(t, run.reserve+run.post+run.void, "nothing after a failed validation")
				case domain.StepPlaceHold:
					require.Equal(t, domain.CodeInsufficientFunds, res.FailureCode)
					require.Equal(t, domain.TransferFailed, res.Status)
					require.Zero(t, run.post+run.void, "no hold, nothing to void")
				case domain.StepPost:
					require.Equal(t, domain.CodeAccountNotActive, res.FailureCode)
					require.Equal(t, domain.TransferCompensated, res.Status)
					require.Equal(t, 1, run.void, "the hold is voided")
				}
			})
		}
	}
}

func TestTransfer_PostKeepsFailingIsCompensatedUnlessItCommitted(t *testing.T) {
	t.Parallel()
	for _, committed := range []bool{false, true} {
		run, res, err := runTransfer(t, ok, ok, ok, func(env *testsuite.TestWorkflowEnvironment, run *transferRun) mocks {
			m := mocks{"post": func(context.Context, activities.TransferRef) error {
				run.post++
				return temporal.NewNonRetryableApplicationError("lost", string(domain.CodeInternal), nil)
			}}
			if committed {
				m["fail"] = func(context.Context, activities.FailTransferInput) (activities.FailTransferResult, error) {
					return activities.FailTransferResult{Status: domain.TransferCompleted}, nil
				}
			}
			return m
		})
		if committed {
			require.NoError(t, err, "a posting that committed stands")
			require.Equal(t, domain.TransferCompleted, res.Status)
		} else {
			require.Error(t, err)
			require.Equal(t, 1, run.void)
		}
	}
}

func TestTransfer_CancellationCompensates(t *testing.T) {
	t.Parallel()
	run, _, err := runTransfer(t, ok, ok, ok, func(env *testsuite.TestWorkflowEnvironment, run *transferRun) mocks {
		// Cancel while the posting runs, once the hold is in place.
		posting := make(chan struct{})
		go func() {
			<-posting
			env.CancelWorkflow()
		}()
		return mocks{"post": func(ctx context.Context, _ activities.TransferRef) error {
			run.post++
			close(posting)
			<-ctx.Done()
			return ctx.Err()
		}}
	})
	require.Error(t, err)
	require.Equal(t, 1, run.void, "cancellation voids the hold")
	require.Equal(t, 1, run.fail)
	require.Equal(t, domain.CodeCanceled, run.failedWith.Code)
}

func TestTransfer_CompensationFailingLeavesHoldAndAlerts(t *testing.T) {
	t.Parallel()
	run, _, err := runTransfer(t, ok, ok, nonRetryable, func(env *testsuite.TestWorkflowEnvironment, run *transferRun) mocks {
		return mocks{"void": func(context.Context, activities.TransferRef) error {
			run.void++
			return temporal.NewNonRetryableApplicationError("database gone", string(domain.CodeInternal), nil)
		}}
	})
	var appErr *temporal.ApplicationError
	require.ErrorAs(t, err, &appErr)
	require.Equal(t, string(domain.CodeAccountNotActive), appErr.Type(), "the workflow fails with the original cause")
	require.Zero(t, run.fail, "not declared failed while the hold stands; the expiry sweep ends it")
}

func TestTransfer_RecordingFailureDoesNotUndoMoney(t *testing.T) {
	t.Parallel()
	_, res, err := runTransfer(t, ok, ok, ok, func(env *testsuite.TestWorkflowEnvironment, run *transferRun) mocks {
		return mocks{"record": func(context.Context, activities.TransferRef) error {
			return temporal.NewNonRetryableApplicationError("mongo down", string(domain.CodeInternal), nil)
		}}
	})
	require.NoError(t, err)
	require.Equal(t, domain.TransferCompleted, res.Status)
}

func newEnv() *testsuite.TestWorkflowEnvironment {
	var s testsuite.WorkflowTestSuite
	s.SetLogger(tlog.NewStructuredLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	return s.NewTestWorkflowEnvironment()
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// The state query follows the transfer: each step as it runs, then its end, its refusal's code and
// whether the outcome is recorded.
func TestTransfer_StateQueryFollowsTheSteps(t *testing.T) {
	t.Parallel()
	type seen struct {
		activity string
		state    workflows.TransferState
	}
	var during []seen
	var env *testsuite.TestWorkflowEnvironment
	query := func() workflows.TransferState {
		v, err := env.QueryWorkflow(workflows.StateQuery)
		require.NoError(t, err)
		var st workflows.TransferState
		require.NoError(t, v.Get(&st))
		return st
	}
	_, res, err := runTransfer(t, ok, ok, nonRetryable, func(e *testsuite.TestWorkflowEnvironment, _ *transferRun) mocks {
		env = e
		env.SetOnLocalActivityStartedListener(func(info *activity.Info, _ context.Context, _ []any) {
			during = append(during, seen{info.ActivityType.Name, query()})
		})
		return nil
	})
	require.NoError(t, err)
	require.Equal(t, domain.TransferCompensated, res.Status)

	pending := func(step domain.TransferStep) workflows.TransferState {
		return workflows.TransferState{TransferID: "t-1", Kind: domain.KindTransfer, Status: domain.TransferPending, Step: step}
	}
	ended := workflows.TransferState{TransferID: "t-1", Kind: domain.KindTransfer, Status: domain.TransferCompensated,
		Step: domain.StepVoidHold, FailureCode: domain.CodeAccountNotActive}
	require.Equal(t, []seen{
		{"ValidateTransfer", pending(domain.StepValidate)},
		{"PlaceHold", pending(domain.StepPlaceHold)},
		{"PostTransfer", pending(domain.StepPost)},
		{"VoidHold", pending(domain.StepVoidHold)},
		{"FailTransfer", pending(domain.StepVoidHold)},
		{"RecordTransferOutcome", ended},
	}, during)
	ended.Recorded = true
	require.Equal(t, ended, query(), "the closed workflow answers with how it ended")
}
