package workflows_test

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/bankforge/bank/activities"
	"github.com/bankforge/bank/domain"
	"github.com/bankforge/bank/workflows"
)

// A run voids expired holds and records each transfer it ended,
// starts the workflow of a stalled transfer as a child, and purges old keys and live events; a chore that fails
// does not stop the others.
func TestMaintenance_RunsEveryChore(t *testing.T) {
	env := newEnv()
	env.RegisterWorkflow(workflows.Transfer)
	recorded := 0
	env.OnActivity(a.ExpireHolds, mock.Anything).Return(activities.ExpireHoldsResult{TransferIDs: []string{"t-expired"}, Failed: 1}, nil)
	env.OnActivity(a.RecordTransferOutcome, mock.Anything, mock.Anything).Return(func(_ context.Context, ref activities.TransferRef) error {
		recorded++
		require.Equal(t, "t-expired", ref.TransferID)
		return nil
	})
	env.OnActivity(a.ListStalledTransfers, mock.Anything).Return([]activities.StalledTransfer{
		{TransferID: "t-stalled", Kind: domain.KindTransfer, FromAccountID: "a", ToAccountID: "b", Amount: 1, Currency: "USD"},
	}, nil)
	var started []string
	env.OnWorkflow(workflows.Transfer, mock.Anything, mock.Anything).Return(func(ctx workflow.Context, in workflows.TransferInput) (workflows.TransferResult, error) {
		started = append(started, workflow.GetInfo(ctx).WorkflowExecution.ID)
		return workflows.TransferResult{TransferID: in.TransferID, Status: domain.TransferCompleted}, nil
	})
	env.OnActivity(a.PurgeIdempotencyKeys, mock.Anything).Return(int64(7), nil)
	env.OnActivity(a.PurgeUserEvents, mock.Anything).Return(int64(3), nil)

	env.ExecuteWorkflow(workflows.Maintenance)
	require.True(t, env.IsWorkflowCompleted())
	require.NoError(t, env.GetWorkflowError())
	var res workflows.MaintenanceResult
	require.NoError(t, env.GetWorkflowResult(&res))
	require.Equal(t, workflows.MaintenanceResult{HoldsExpired: 1, HoldsFailed: 1, TransfersStarted: 1, IdempotencyPurged: 7, EventsPurged: 3}, res)
	require.Equal(t, 1, recorded)
	require.Equal(t, []string{workflows.TransferWorkflowID("t-stalled")}, started)
}

func TestMaintenance_AFailingChoreDoesNotStopTheOthers(t *testing.T) {
	env := newEnv()
	env.OnActivity(a.ExpireHolds, mock.Anything).Return(activities.ExpireHoldsResult{}, temporal.NewNonRetryableApplicationError("db down", string(domain.CodeInternal), nil))
	env.OnActivity(a.ListStalledTransfers, mock.Anything).Return([]activities.StalledTransfer{}, nil)
	purged := false
	env.OnActivity(a.PurgeIdempotencyKeys, mock.Anything).Return(func(context.Context) (int64, error) {
		purged = true
		return 0, nil
	})
	env.OnActivity(a.PurgeUserEvents, mock.Anything).Return(int64(0), nil)
	env.ExecuteWorkflow(workflows.Maintenance)
	require.True(t, env.IsWorkflowCompleted())
	require.Error(t, env.GetWorkflowError(), "the run shows as failed in the schedule's history")
	require.True(t, purged)
}

// A delivery run sends what waits in the outbox; a refused email fails the run, so it shows in the
// Temporal UI, after the run's own retries.
func TestDeliverEmails_RetriesThenShowsTheFailure(t *testing.T) {
	t.Parallel()
	env := newEnv()
	calls := 0
	env.OnActivity(a.SendPendingEmails, mock.Anything).Return(func(context.Context) (activities.DeliveryResult, error) {
		calls++
		if calls < 3 {
			return activities.DeliveryResult{Sent: 1, Failed: 1}, errors.New("mailbox unavailable")
		}
		return activities.DeliveryResult{Sent: 1}, nil
	})
	env.ExecuteWorkflow(workflows.DeliverEmails)
	require.True(t, env.IsWorkflowCompleted())
	require.NoError(t, env.GetWorkflowError())
	var res activities.DeliveryResult
	require.NoError(t, env.GetWorkflowResult(&res))
	require.Equal(t, activities.DeliveryResult{Sent: 1}, res)
	require.Equal(t, 3, calls, "the run retries the refused email")
}
