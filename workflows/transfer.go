package workflows

import (
	"slices"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/bankforge/bank/activities"
	"github.com/bankforge/bank/domain"
)

// TransferInput starts a transfer (a deposit or withdrawal too). The transfer row written by the API
// is the source of truth; the other fields are here for operators reading the history.
type TransferInput struct {
	TransferID        string
	Kind              domain.TransferKind
	FromAccountID     string
	ToAccountID       string
	FromAccountNumber string
	ToAccountNumber   string
	// UserIDs are the people involved: who initiated it and the owners of both accounts.
	UserIDs  []string
	Amount   int64
	Currency string
	// Exponent is the currency's number of decimals, for the workflow's summary.
	Exponent int
}

// TransferResult is how a transfer ended: completed, or failed or compensated with the code of the
// refusal. A refused transfer is a workflow that completed (the bank did its job); only a failure
// an operator must look at fails the workflow.
type TransferResult struct {
	TransferID  string                `json:"transfer_id"`
	Status      domain.TransferStatus `json:"status"`
	FailureCode domain.Code           `json:"failure_code,omitempty"`
}

// TransferState is a transfer as its workflow knows it: the answer to StateQuery.
type TransferState struct {
	TransferID string                `json:"transfer_id"`
	Kind       domain.TransferKind   `json:"kind"`
	Status     domain.TransferStatus `json:"status"`
	// Step is the step running now (validate, place_hold, post, void_hold) or, once the transfer
	// ended, the last one that ran.
	Step        domain.TransferStep `json:"step"`
	FailureCode domain.Code         `json:"failure_code,omitempty"`
	// Recorded says the outcome is in the audit log, the customers' inboxes and the email outbox;
	// a transfer that ended and is not recorded yet is retrying that.
	Recorded bool `json:"recorded"`
}

// Transfer moves money as a saga: validate, place a hold on the source, post (debit, credit and
// capture the hold atomically), then record the outcome (audit event, notifications and the emails
// that DeliverEmails sends). A failure after
// the hold, or a cancellation, voids the hold: the transfer then ends compensated with nothing
// moved.
func Transfer(ctx workflow.Context, in TransferInput) (TransferResult, error) {
	var a *activities.Activities
	ref := activities.TransferRef{TransferID: in.TransferID}
	t := &transfer{in: in, ref: ref, state: TransferState{
		TransferID: in.TransferID, Kind: in.Kind, Status: domain.TransferPending, Step: domain.StepValidate,
	}}
	if err := setStateQuery(ctx, "The transfer's status, the step it is at and, once ended, whether its outcome is recorded.",
		func() TransferState { return t.state }); err != nil {
		return TransferResult{}, err
	}
	check := workflow.WithLocalActivityOptions(ctx, checkStep)

	if err := workflow.ExecuteLocalActivity(check, a.ValidateTransfer, ref).Get(check, nil); err != nil {
		return t.fail(ctx, domain.StepValidate, err)
	}
	t.state.Step = domain.StepPlaceHold
	if err := workflow.ExecuteLocalActivity(check, a.PlaceHold, ref).Get(check, nil); err != nil {
		return t.fail(ctx, domain.StepPlaceHold, err)
	}
	t.saga.add(func(ctx workflow.Context) error {
		t.state.Step = domain.StepVoidHold
		return workflow.ExecuteLocalActivity(ctx, a.VoidHold, ref).Get(ctx, nil)
	})

	t.state.Step = domain.StepPost
	post := workflow.WithLocalActivityOptions(ctx, mustFinishStep)
	if err := workflow.ExecuteLocalActivity(post, a.PostTransfer, ref).Get(post, nil); err != nil {
		return t.fail(ctx, domain.StepPost, err)
	}
	// The money has moved: what follows must run even if the workflow is canceled now.
	dctx, _ := workflow.NewDisconnectedContext(ctx)
	return t.end(dctx, domain.TransferCompleted), nil
}

type transfer struct {
	in    TransferInput
	ref   activities.TransferRef
	saga  saga
	state TransferState
}

// fail compensates what was done, then records the failure. A refusal completes the workflow with
// the failed or compensated result; anything else (exhausted retries, a cancellation, a
// compensation that failed) fails it with the original cause, not with a compensation's error.
func (t *transfer) fail(ctx workflow.Context, step domain.TransferStep, cause error) (TransferResult, error) {
	var a *activities.Activities
	logger := workflow.GetLogger(ctx)
	code := codeOf(cause)
	if err := t.saga.compensate(ctx); err != nil {
		// The hold stays, visible on the account, until the expiry sweep voids it, ends the
		// transfer and records its outcome. Money is never lost, only held.
		logger.Error("ALERT: transfer compensation failed; hold left to expire",
			"transfer_id", t.in.TransferID, "error", err)
		return TransferResult{}, refusal(code, cause)
	}

	dctx, _ := workflow.NewDisconnectedContext(ctx)
	rctx := workflow.WithLocalActivityOptions(dctx, mustFinishStep)
	var res activities.FailTransferResult
	if err := workflow.ExecuteLocalActivity(rctx, a.FailTransfer, activities.FailTransferInput{
		TransferID: t.in.TransferID, Step: step, Code: code,
	}).Get(rctx, &res); err != nil {
		logger.Error("recording transfer failure failed", "transfer_id", t.in.TransferID, "error", err)
		return TransferResult{}, refusal(code, cause)
	}
	if res.Status == domain.TransferCompleted {
		// The posting had committed; only its report was lost. The transfer stands.
		return t.end(dctx, domain.TransferCompleted), nil
	}
	t.state.FailureCode = code
	out := t.end(dctx, res.Status)
	logger.Info("transfer refused", "transfer_id", t.in.TransferID, "step", string(step), "code", string(code))
	if !isRefusal(cause) {
		return TransferResult{}, refusal(code, cause)
	}
	out.FailureCode = code
	return out, nil
}

// end tags the workflow with its status and records the outcome in the audit log, the customers'
// inboxes and the email outbox. Money has already moved or not by now: a recording that keeps failing
// is logged, never undone.
func (t *transfer) end(ctx workflow.Context, status domain.TransferStatus) TransferResult {
	var a *activities.Activities
	t.state.Status = status
	tags := []temporal.SearchAttributeUpdate{TransferStatusKey.ValueSet(string(status))}
	if status != domain.TransferCompleted && t.state.FailureCode != "" {
		tags = append(tags, FailureCodeKey.ValueSet(string(t.state.FailureCode)))
	}
	// One upsert whatever it carries: replay matches an upsert by its place, not its content.
	if err := workflow.UpsertTypedSearchAttributes(ctx, tags...); err != nil {
		workflow.GetLogger(ctx).Error("tagging transfer status failed", "error", err)
	}
	rctx := workflow.WithLocalActivityOptions(ctx, mustFinishStep)
	if err := workflow.ExecuteLocalActivity(rctx, a.RecordTransferOutcome, t.ref).Get(rctx, nil); err != nil {
		workflow.GetLogger(ctx).Error("recording transfer outcome failed", "transfer_id", t.in.TransferID, "error", err)
	} else {
		t.state.Recorded = true
	}
	return TransferResult{TransferID: t.in.TransferID, Status: status}
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
		TypedSearchAttributes: transferSearchAttributes(in),
		StaticSummary:         TransferSummary(in),
		StaticDetails:         transferDetails,
	}
}

// startTransferChild starts the transfer's workflow from another workflow, with the options of
// TransferStartOptions, as an abandoned child: it outlives its parent. A transfer whose workflow
// exists (running or closed) is refused by its id, with an error that
// temporal.IsWorkflowExecutionAlreadyStartedError recognises.
func startTransferChild(ctx workflow.Context, in TransferInput) error {
	cctx := workflow.WithChildOptions(ctx, workflow.ChildWorkflowOptions{
		WorkflowID:            TransferWorkflowID(in.TransferID),
		TaskQueue:             workflow.GetInfo(ctx).TaskQueueName,
		WorkflowIDReusePolicy: enumspb.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
		ParentClosePolicy:     enumspb.PARENT_CLOSE_POLICY_ABANDON,
		TypedSearchAttributes: transferSearchAttributes(in),
		StaticSummary:         TransferSummary(in),
		StaticDetails:         transferDetails,
	})
	return workflow.ExecuteChildWorkflow(cctx, Transfer, in).GetChildWorkflowExecution().Get(ctx, nil)
}

// TransferUserIDs lists the people a transfer involves, each once: its initiator and the owners of
// its accounts (empty for the cash account, which has none).
func TransferUserIDs(initiator string, owners ...string) []string {
	return distinct(append([]string{initiator}, owners...))
}

func distinct(ids []string) []string {
	out := make([]string, 0, len(ids))
	for _, id := range ids {
		if id != "" && !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	return out
}

func transferSearchAttributes(in TransferInput) temporal.SearchAttributes {
	return temporal.NewSearchAttributes(
		TransferIDKey.ValueSet(in.TransferID),
		AccountIDsKey.ValueSet([]string{in.FromAccountID, in.ToAccountID}),
		UserIDsKey.ValueSet(in.UserIDs),
		KindKey.ValueSet(string(in.Kind)),
		TransferStatusKey.ValueSet(string(domain.TransferPending)),
	)
}
