package workflows_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/bankforge/bank/activities"
	"github.com/bankforge/bank/domain"
	"github.com/bankforge/bank/workflows"
)

const approvalID = "6f1c1b7e-1d2a-4c1e-9a55-3f1d2c3b4a5e"

// approvalRun is what a cash approval's workflow did.
type approvalRun struct {
	settled  []time.Time // when it read the approval's state
	recorded []activities.RecordApprovedCashTransferInput
	events   []domain.CashApprovalStatus
	started  []string // the transfer workflows it started
	res      workflows.CashApprovalResult
	err      error
	ended    time.Time
	eventErr error // what recording an audit event answers
	// queryAt lists when to ask the state query; queried holds the answers, and the closed
	// workflow's last.
	queryAt []time.Duration
	queried []workflows.CashApprovalState
}

// runApproval runs CashApproval with an expiry a day away. settle answers the state the database
// holds at a time; signal, when set, arrives after an hour.
func runApproval(t *testing.T, settle func(now, expiresAt time.Time) domain.CashApprovalStatus, signal *workflows.CashApprovalDecision, tweak ...func(*approvalRun)) *approvalRun {
	t.Helper()
	env := newEnv()
	env.RegisterWorkflow(workflows.Transfer)
	run := &approvalRun{}
	expiresAt := env.Now().Add(24 * time.Hour)
	env.OnActivity(a.SettleCashApproval, mock.Anything, mock.Anything).Return(func(_ context.Context, ref activities.CashApprovalRef) (activities.CashApprovalState, error) {
		require.Equal(t, approvalID, ref.ApprovalID)
		run.settled = append(run.settled, env.Now())
		return activities.CashApprovalState{Status: settle(env.Now(), expiresAt), ExpiresAt: expiresAt}, nil
	})
	env.OnActivity(a.RecordApprovedCashTransfer, mock.Anything, mock.Anything).Return(func(_ context.Context, in activities.RecordApprovedCashTransferInput) (activities.ApprovedCashTransfer, error) {
		run.recorded = append(run.recorded, in)
		return activities.ApprovedCashTransfer{
			TransferID: in.TransferID, Kind: domain.KindDeposit, FromAccountID: "cash", ToAccountID: "acc",
			UserIDs: []string{"requester", "customer"}, Amount: 2_000_000, Currency: "USD",
		}, nil
	})
	env.OnActivity(a.RecordCashApprovalEvent, mock.Anything, mock.Anything).Return(func(_ context.Context, in activities.CashApprovalEventInput) error {
		run.events = append(run.events, in.Status)
		return run.eventErr
	})
	env.OnWorkflow(workflows.Transfer, mock.Anything, mock.Anything).Return(func(ctx workflow.Context, in workflows.TransferInput) (workflows.TransferResult, error) {
		run.started = append(run.started, workflow.GetInfo(ctx).WorkflowExecution.ID)
		return workflows.TransferResult{TransferID: in.TransferID, Status: domain.TransferCompleted}, nil
	})
	if signal != nil {
		env.RegisterDelayedCallback(func() {
			env.SignalWorkflow(workflows.CashApprovalDecisionSignal, *signal)
		}, time.Hour)
	}
	for _, f := range tweak {
		f(run)
	}
	query := func() {
		v, err := env.QueryWorkflow(workflows.StateQuery)
		require.NoError(t, err)
		var st workflows.CashApprovalState
		require.NoError(t, v.Get(&st))
		run.queried = append(run.queried, st)
	}
	for _, at := range run.queryAt {
		env.RegisterDelayedCallback(query, at)
	}
	env.ExecuteWorkflow(workflows.CashApproval, workflows.CashApprovalInput{
		ApprovalID: approvalID, Kind: domain.KindDeposit, AccountID: "acc", AccountNumber: "100000017",
		UserIDs: []string{"requester", "customer"}, Amount: 2_000_000, Currency: "USD", ExpiresAt: expiresAt,
	})
	require.True(t, env.IsWorkflowCompleted())
	run.ended = env.Now()
	run.err = env.GetWorkflowError()
	if run.err == nil {
		require.NoError(t, env.GetWorkflowResult(&run.res))
	}
	if len(run.queryAt) > 0 {
		query()
	}
	return run
}

// decided answers status once the decision's signal could have been sent (after an hour), pending
// before.
func decided(status domain.CashApprovalStatus, start time.Time) func(now, _ time.Time) domain.CashApprovalStatus {
	return func(now, _ time.Time) domain.CashApprovalStatus {
		if now.Sub(start) >= time.Hour {
			return status
		}
		return domain.ApprovalPending
	}
}

// Approved: the movement is recorded as the transfer derived from the approval and its workflow
// starts, at once, not at the expiry.
func TestCashApproval_ApprovedStartsItsTransfer(t *testing.T) {
	t.Parallel()
	start := newEnv().Now()
	run := runApproval(t, decided(domain.ApprovalApproved, start), &workflows.CashApprovalDecision{Status: domain.ApprovalApproved, DecidedBy: "approver"})
	require.NoError(t, run.err)
	transferID := workflows.CashApprovalTransferID(approvalID)
	require.Equal(t, workflows.CashApprovalResult{TransferID: transferID}, run.res)
	require.Equal(t, []activities.RecordApprovedCashTransferInput{{
		ApprovalID: approvalID, TransferID: transferID, WorkflowID: workflows.TransferWorkflowID(transferID),
	}}, run.recorded, "the transfer is recorded once, under the id derived from the approval")
	require.Equal(t, []string{workflows.TransferWorkflowID(transferID)}, run.started)
	require.Len(t, run.settled, 1)
	require.Less(t, run.ended.Sub(start), 2*time.Hour, "the decision ends the wait, not the expiry")
	require.Equal(t, []domain.CashApprovalStatus{domain.ApprovalPending, domain.ApprovalApproved}, run.events)
	require.Equal(t, transferID, workflows.CashApprovalTransferID(approvalID), "the derivation is stable")
}

// Rejected: nothing is recorded and nothing starts; the workflow completes with the refusal.
func TestCashApproval_RejectedMovesNothing(t *testing.T) {
	t.Parallel()
	start := newEnv().Now()
	run := runApproval(t, decided(domain.ApprovalRejected, start), &workflows.CashApprovalDecision{Status: domain.ApprovalRejected, DecidedBy: "approver"})
	require.NoError(t, run.err, "a refusal completes the workflow")
	require.Equal(t, workflows.CashApprovalResult{FailureCode: domain.CodeApprovalRejected}, run.res)
	require.Empty(t, run.recorded)
	require.Empty(t, run.started)
	require.Equal(t, []domain.CashApprovalStatus{domain.ApprovalPending, domain.ApprovalRejected}, run.events)
}

// Nobody decides: the timer wakes the workflow at the expiry, which settles the approval as expired.
func TestCashApproval_ExpiresByTimer(t *testing.T) {
	t.Parallel()
	run := runApproval(t, func(now, expiresAt time.Time) domain.CashApprovalStatus {
		if now.Before(expiresAt) {
			return domain.ApprovalPending
		}
		return domain.ApprovalExpired
	}, nil)
	require.NoError(t, run.err)
	require.Equal(t, workflows.CashApprovalResult{FailureCode: domain.CodeApprovalExpired}, run.res)
	require.Len(t, run.settled, 1, "settled once, when the timer fired")
	require.Empty(t, run.recorded)
	require.Empty(t, run.started)
	require.Equal(t, []domain.CashApprovalStatus{domain.ApprovalPending, domain.ApprovalExpired}, run.events)
}

// An approval taken just before the expiry whose signal never arrived stands: the timer wakes the
// workflow, the database says approved, and the transfer starts.
func TestCashApproval_DecisionWithoutSignalStandsAtTheExpiry(t *testing.T) {
	t.Parallel()
	run := runApproval(t, func(time.Time, time.Time) domain.CashApprovalStatus { return domain.ApprovalApproved }, nil)
	require.NoError(t, run.err)
	require.Equal(t, workflows.CashApprovalTransferID(approvalID), run.res.TransferID)
	require.Len(t, run.started, 1)
}

// A timer that runs ahead of the database's clock finds the approval still pending, and waits again
// rather than spinning.
func TestCashApproval_TimerAheadOfTheDatabaseWaitsAgain(t *testing.T) {
	t.Parallel()
	calls := 0
	run := runApproval(t, func(time.Time, time.Time) domain.CashApprovalStatus {
		calls++
		if calls == 1 {
			return domain.ApprovalPending
		}
		return domain.ApprovalExpired
	}, nil)
	require.NoError(t, run.err)
	require.Equal(t, domain.CodeApprovalExpired, run.res.FailureCode)
	require.Len(t, run.settled, 2)
	require.GreaterOrEqual(t, run.settled[1].Sub(run.settled[0]), 30*time.Second)
}

// An audit log that keeps failing delays no decision and undoes none.
func TestCashApproval_AuditFailureDoesNotStopTheDecision(t *testing.T) {
	t.Parallel()
	start := newEnv().Now()
	run := runApproval(t, decided(domain.ApprovalApproved, start), &workflows.CashApprovalDecision{Status: domain.ApprovalApproved},
		func(run *approvalRun) {
			run.eventErr = temporal.NewNonRetryableApplicationError("mongo down", string(domain.CodeInternal), nil)
		})
	require.NoError(t, run.err)
	require.Len(t, run.started, 1)
}

// The state query answers while the approval waits (pending, with its amount and expiry) and once it
// ended (approved, with the transfer it started).
func TestCashApproval_StateQueryAnswersWhileItWaits(t *testing.T) {
	t.Parallel()
	start := newEnv().Now()
	run := runApproval(t, decided(domain.ApprovalApproved, start), &workflows.CashApprovalDecision{Status: domain.ApprovalApproved, DecidedBy: "approver"},
		func(run *approvalRun) { run.queryAt = []time.Duration{30 * time.Minute} })
	require.NoError(t, run.err)
	require.Len(t, run.queried, 2)
	waiting := workflows.CashApprovalState{
		ApprovalID: approvalID, Kind: domain.KindDeposit, Status: domain.ApprovalPending,
		Amount: 2_000_000, Currency: "USD", ExpiresAt: run.queried[0].ExpiresAt,
	}
	require.Equal(t, waiting, run.queried[0])
	require.WithinDuration(t, start.Add(24*time.Hour), run.queried[0].ExpiresAt, time.Second)
	waiting.Status, waiting.TransferID = domain.ApprovalApproved, workflows.CashApprovalTransferID(approvalID)
	require.Equal(t, waiting, run.queried[1])
}
