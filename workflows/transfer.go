package workflows

import (
	"errors"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/bankforge/bank/activities"
)

// Transfer statuses, as stored and as shown in the BankTransferStatus search attribute.
const (
	StatusPending     = "pending"
	StatusCompleted   = "completed"
	StatusFailed      = "failed"
	StatusCompensated = "compensated"
)

// TransferInput starts a transfer (a deposit or withdrawal too). The transfer row written by the API
// is the source of truth; the other fields are here for operators reading the history.
type TransferInput struct {
	TransferID    string
	Kind          string
	FromAccountID string
	ToAccountID   string
	Amount        int64
	Currency      string
}

// TransferResult is how a transfer ended.
type TransferResult struct {
	TransferID string `json:"transfer_id"`
	Status     string `json:"status"`
}

// Transfer moves money as a saga: validate, reserve (a hold on the source), post (debit, credit and
// capture the hold atomically), then record the outcome. A failure after the hold, or a cancellation,
// voids the hold: the transfer then ends compensated with nothing moved.
func Transfer(ctx workflow.Context, in TransferInput) (TransferResult, error) {
	var a *activities.Activities
	s := &transferSaga{in: in, ref: activities.TransferRef{TransferID: in.TransferID}}
	check := workflow.WithLocalActivityOptions(ctx, checkStep)

	if err := workflow.ExecuteLocalActivity(check, a.ValidateTransfer, s.ref).Get(check, nil); err != nil {
		return s.fail(ctx, "validate", err)
	}
	if err := workflow.ExecuteLocalActivity(check, a.ReserveFunds, s.ref).Get(check, nil); err != nil {
		return s.fail(ctx, "reserve", err)
	}
	s.compensations = append(s.compensations, a.VoidHold)

	post := workflow.WithLocalActivityOptions(ctx, mustFinishStep)
	if err := workflow.ExecuteLocalActivity(post, a.PostTransfer, s.ref).Get(post, nil); err != nil {
		return s.fail(ctx, "post", err)
	}
	// The money has moved: what follows must run even if the workflow is canceled now.
	dctx, _ := workflow.NewDisconnectedContext(ctx)
	return s.end(dctx, StatusCompleted), nil
}

type transferSaga struct {
	in            TransferInput
	ref           activities.TransferRef
	compensations []any // activities taking the transfer ref, run in reverse on failure
}

// fail compensates what was done, in reverse order, on a context that survives cancellation, then
// records the failure. The workflow fails with the original cause, not with a compensation's error.
func (s *transferSaga) fail(ctx workflow.Context, step string, cause error) (TransferResult, error) {
	var a *activities.Activities
	logger := workflow.GetLogger(ctx)
	errType := errorType(cause)
	dctx, _ := workflow.NewDisconnectedContext(ctx)
	dctx = workflow.WithLocalActivityOptions(dctx, mustFinishStep)

	var compErr error
	for i := len(s.compensations) - 1; i >= 0; i-- {
		if err := workflow.ExecuteLocalActivity(dctx, s.compensations[i], s.ref).Get(dctx, nil); err != nil {
			compErr = errors.Join(compErr, err)
		}
	}
	if compErr != nil {
		// The hold stays, visible on the account, until the expiry sweep releases it and ends the
		// transfer. Money is never lost, only held.
		logger.Error("ALERT: transfer compensation failed; hold left to expire",
			"transfer_id", s.in.TransferID, "error", compErr)
		return TransferResult{}, refusal(errType, cause)
	}

	var res activities.FailTransferResult
	if err := workflow.ExecuteLocalActivity(dctx, a.FailTransfer, activities.FailTransferInput{
		TransferID: s.in.TransferID, Step: step, ErrType: errType,
	}).Get(dctx, &res); err != nil {
		logger.Error("recording transfer failure failed", "transfer_id", s.in.TransferID, "error", err)
		return TransferResult{}, refusal(errType, cause)
	}
	if res.Status == StatusCompleted {
		// The posting had committed; only its report was lost. The transfer stands.
		return s.end(dctx, StatusCompleted), nil
	}
	s.end(dctx, res.Status)
	logger.Info("transfer failed", "transfer_id", s.in.TransferID, "step", step, "error_type", errType)
	return TransferResult{}, refusal(errType, cause)
}

// end records the outcome in the audit log and notifications and tags the workflow with its status.
// Money has already moved or not by now: a recording that keeps failing is logged, never undone.
func (s *transferSaga) end(ctx workflow.Context, status string) TransferResult {
	var a *activities.Activities
	if err := workflow.UpsertTypedSearchAttributes(ctx, TransferStatusKey.ValueSet(status)); err != nil {
		workflow.GetLogger(ctx).Error("tagging transfer status failed", "error", err)
	}
	rctx := workflow.WithLocalActivityOptions(ctx, mustFinishStep)
	if err := workflow.ExecuteLocalActivity(rctx, a.RecordTransferOutcome, s.ref).Get(rctx, nil); err != nil {
		workflow.GetLogger(ctx).Error("recording transfer outcome failed", "transfer_id", s.in.TransferID, "error", err)
	}
	return TransferResult{TransferID: s.in.TransferID, Status: status}
}

// TransferStartOptions are the options every starter of a transfer workflow uses: the id derived
// from the transfer (never reused), and the search attributes operators filter on. There is no
// execution timeout: every step has its own, and a server-side timer per transfer would only add
// work.
func TransferStartOptions(in TransferInput, taskQueue string) client.StartWorkflowOptions {
	return client.StartWorkflowOptions{
		ID:        TransferWorkflowID(in.TransferID),
		TaskQueue: taskQueue,
		// A transfer runs once: starting it again after its workflow closed is refused, not rerun.
		WorkflowIDReusePolicy: enumspb.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
		TypedSearchAttributes: temporal.NewSearchAttributes(
			TransferIDKey.ValueSet(in.TransferID),
			AccountIDsKey.ValueSet([]string{in.FromAccountID, in.ToAccountID}),
			TransferStatusKey.ValueSet(StatusPending),
		),
	}
}
