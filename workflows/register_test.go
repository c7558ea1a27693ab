package workflows_test

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"

	"github.com/bankforge/bank/activities"
	"github.com/bankforge/bank/domain"
	"github.com/bankforge/bank/workflows"
)

type registerRun struct {
	create, open, record, complete, abandon int
	abandoned                               activities.AbandonRegistrationInput
}

func runRegister(t *testing.T, failAt string, failure error) (*registerRun, workflows.RegisterResult, error) {
	t.Helper()
	env := newEnv()
	run := &registerRun{}
	step := func(name string, calls *int) func() error {
		return func() error {
			*calls++
			if name == failAt {
				return failure
			}
			return nil
		}
	}
	create, open, record := step("create", &run.create), step("open", &run.open), step("record", &run.record)
	complete := step("complete", &run.complete)
	env.OnActivity(a.CreateUser, mock.Anything, mock.Anything).Return(func(context.Context, activities.RegistrationRef) (activities.CreateUserResult, error) {
		return activities.CreateUserResult{UserID: "u-1"}, create()
	})
	env.OnActivity(a.OpenAccount, mock.Anything, mock.Anything).Return(func(_ context.Context, in activities.OpenAccountInput) (activities.OpenAccountResult, error) {
		require.Equal(t, "u-1", in.UserID)
		require.Contains(t, in.OperationID, "/open-account", "the account is keyed by the workflow and step")
		return activities.OpenAccountResult{AccountID: "a-1", Number: "100000017"}, open()
	})
	env.OnActivity(a.RecordRegistration, mock.Anything, mock.Anything).Return(func(context.Context, activities.RecordRegistrationInput) error { return record() })
	env.OnActivity(a.CompleteRegistration, mock.Anything, mock.Anything).Return(func(context.Context, activities.RegistrationRef) error { return complete() })
	env.OnActivity(a.AbandonRegistration, mock.Anything, mock.Anything).Return(func(_ context.Context, in activities.AbandonRegistrationInput) error {
		run.abandon++
		run.abandoned = in
		return nil
	})
	env.ExecuteWorkflow(workflows.Register, workflows.RegisterInput{RegistrationID: "r-1", Currency: "USD"})
	require.True(t, env.IsWorkflowCompleted())
	var res workflows.RegisterResult
	err := env.GetWorkflowError()
	if err == nil {
		require.NoError(t, env.GetWorkflowResult(&res))
	}
	return run, res, err
}

func TestRegister_Completes(t *testing.T) {
	t.Parallel()
	run, res, err := runRegister(t, "", nil)
	require.NoError(t, err)
	require.Equal(t, workflows.Registered(), res, "the result names no user or account")
	require.Equal(t, registerRun{create: 1, open: 1, record: 1, complete: 1}, *run)
}

// A taken email abandons the registration, telling the address's owner, and completes with the
// result of a registration that created its user: the poller cannot tell the two apart.
func TestRegister_EmailTakenEndsLikeACreatedRegistration(t *testing.T) {
	t.Parallel()
	run, res, err := runRegister(t, "create", temporal.NewNonRetryableApplicationError("taken", activities.ErrTypeEmailTaken, nil))
	require.NoError(t, err)
	require.Equal(t, workflows.Registered(), res)
	require.Equal(t, 1, run.abandon)
	require.Equal(t, activities.AbandonRegistrationInput{RegistrationID: "r-1", EmailTaken: true}, run.abandoned)
	require.Zero(t, run.open+run.record+run.complete)
}

// A permanent failure of any step before the user can log in abandons the registration.
func TestRegister_PermanentFailureBeforeLoginAbandons(t *testing.T) {
	t.Parallel()
	for _, step := range []string{"open", "record", "complete"} {
		t.Run(step, func(t *testing.T) {
			t.Parallel()
			run, _, err := runRegister(t, step, temporal.NewNonRetryableApplicationError("broken", string(domain.CodeInternal), nil))
			require.Error(t, err)
			require.Equal(t, 1, run.abandon)
		})
	}
}

func TestRegister_RetryableFailureRetries(t *testing.T) {
	t.Parallel()
	env := newEnv()
	calls := 0
	env.OnActivity(a.CreateUser, mock.Anything, mock.Anything).Return(func(context.Context, activities.RegistrationRef) (activities.CreateUserResult, error) {
		calls++
		if calls == 1 {
			return activities.CreateUserResult{}, errors.New("connection refused")
		}
		return activities.CreateUserResult{UserID: "u-1"}, nil
	})
	env.OnActivity(a.OpenAccount, mock.Anything, mock.Anything).Return(activities.OpenAccountResult{AccountID: "a-1"}, nil)
	env.OnActivity(a.RecordRegistration, mock.Anything, mock.Anything).Return(nil)
	env.OnActivity(a.CompleteRegistration, mock.Anything, mock.Anything).Return(nil)
	env.ExecuteWorkflow(workflows.Register, workflows.RegisterInput{RegistrationID: "r-1", Currency: "USD"})
	require.NoError(t, env.GetWorkflowError())
	require.Equal(t, 2, calls)
}
