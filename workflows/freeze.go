package workflows

import (
	"fmt"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/bankforge/bank/activities"
	"github.com/bankforge/bank/domain"
)

// KindFreeze is the BankKind of freezes.
const KindFreeze = string(domain.OperationFreeze)

// FreezeEndedSignal wakes a freeze's workflow once an admin has unfrozen its account. The unfreeze
// itself is read from the database, which took it.
const FreezeEndedSignal = "freeze-ended"

// FreezeEnded is the signal's payload: who unfroze the account, for the history's reader.
type FreezeEnded struct {
	EndedBy string
	// RequestID is the unfreezing API request's, for the audit event.
	RequestID string
}

// FreezeStateQuery is the query a freeze's workflow answers with its FreezeState.
const FreezeStateQuery = StateQuery

// FreezeInput starts a freeze. The freeze row written by the API, with the staff's note, is the
// source of truth; the other fields are for operators reading the history and searching.
type FreezeInput struct {
	FreezeID      string
	AccountID     string
	AccountNumber string
	// Seq numbers the freeze among the account's: its workflow is freeze-<account id>-<seq>.
	Seq int32
	// UserIDs are the admin who froze the account and its owner.
	UserIDs []string
	Reason  domain.FreezeReason
	Scope   domain.FreezeScope
	// Until is when the freeze ends by itself; nil: when an admin unfreezes the account.
	Until *time.Time
	// RequestID is the API request that froze the account, for the audit event.
	RequestID string
}

// FreezeState is a freeze as its workflow knows it: the answer to the state query, and the
// workflow's result. A freeze refused before it came into force (the account was closed, or already
// frozen) completes the workflow with the refusal's code; only a failure an operator must look at
// fails it.
type FreezeState struct {
	FreezeID  string              `json:"freeze_id"`
	AccountID string              `json:"account_id"`
	Status    domain.FreezeStatus `json:"status"`
	Reason    domain.FreezeReason `json:"reason"`
	Scope     domain.FreezeScope  `json:"scope"`
	FrozenAt  *time.Time          `json:"frozen_at"`
	Until     *time.Time          `json:"until"`
	EndedAt   *time.Time          `json:"ended_at"`
	// EndedBy is the admin who unfroze the account; empty when the freeze's end came by itself.
	EndedBy          string      `json:"ended_by,omitempty"`
	TransfersStopped int         `json:"transfers_stopped"`
	FailureCode      domain.Code `json:"failure_code,omitempty"`
}

// FreezeWorkflowID is the workflow id of an account's seq-th freeze.
func FreezeWorkflowID(accountID string, seq int32) string {
	return fmt.Sprintf("freeze-%s-%d", accountID, seq)
}

// FreezeStartOptions are the options every starter of a freeze's workflow uses: the id of the
// account's freeze, and the search attributes operators filter on (the account, the reason, and
// the end in BankFreezeUntil). A run that completed settled the freeze, and its id is never reused;
// a run that failed, or that an operator canceled or terminated, may be started again (an unfreeze's
// Signal-With-Start does), and the new run takes the freeze up from the database.
func FreezeStartOptions(in FreezeInput, taskQueue string) client.StartWorkflowOptions {
	attrs := []temporal.SearchAttributeUpdate{
		KindKey.ValueSet(KindFreeze),
		AccountIDsKey.ValueSet([]string{in.AccountID}),
		UserIDsKey.ValueSet(distinct(in.UserIDs)),
		FreezeReasonKey.ValueSet(string(in.Reason)),
		FreezeScopeKey.ValueSet(string(in.Scope)),
		FreezeStatusKey.ValueSet(string(domain.FreezePending)),
	}
	if in.Until != nil {
		attrs = append(attrs, FreezeUntilKey.ValueSet(in.Until.UTC()))
	}
	return client.StartWorkflowOptions{
		ID:                    FreezeWorkflowID(in.AccountID, in.Seq),
		TaskQueue:             taskQueue,
		WorkflowIDReusePolicy: enumspb.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE_FAILED_ONLY,
		TypedSearchAttributes: temporal.NewSearchAttributes(attrs...),
		StaticSummary:         FreezeSummary(in),
		StaticDetails:         freezeDetails,
	}
}

// Freeze carries an account's freeze through: it puts the freeze in force (the account frozen and
// the freeze recorded active, in one transaction), stops the transfers in flight that it catches,
// records it in the audit log and tells the owner; then it waits for an admin's unfreeze (a
// signal) or, with an end, for a durable timer, and ends the freeze and tells the owner again.
//
// Until the freeze is recorded and told, a step that fails for good (or a cancellation) lifts it:
// the saga's one compensation, registered before the first step, fails the freeze and makes the
// account active again, so that no freeze stands that the audit log and the owner do not know of.
// Once told, a freeze is never undone, only ended; a cancellation while it waits leaves it standing
// for an admin to unfreeze.
func Freeze(ctx workflow.Context, in FreezeInput) (FreezeState, error) {
	var a *activities.Activities
	f := &freeze{in: in, ref: activities.FreezeRef{FreezeID: in.FreezeID}, state: FreezeState{
		FreezeID: in.FreezeID, AccountID: in.AccountID, Status: domain.FreezePending, Reason: in.Reason, Scope: in.Scope, Until: in.Until,
	}}
	if err := setStateQuery(ctx, "The freeze's status, reason and scope, when it came into force and when it ends (until: null until an admin unfreezes the account).",
		func() FreezeState { return f.state }); err != nil {
		return FreezeState{}, err
	}
	must := workflow.WithLocalActivityOptions(ctx, mustFinishStep)

	// Lifting is keyed by the freeze and undoes whatever of it exists, so it is the compensation of
	// every step until the freeze is told.
	var failure domain.Code
	f.saga.add(func(ctx workflow.Context) error {
		var st activities.FreezeState
		err := workflow.ExecuteLocalActivity(ctx, a.LiftFreeze, activities.LiftFreezeInput{FreezeID: in.FreezeID, Code: failure}).Get(ctx, &st)
		if err == nil {
			f.update(st)
		}
		return err
	})
	fail := func(step string, cause error) (FreezeState, error) {
		failure = codeOf(cause)
		return f.fail(ctx, step, failure, cause)
	}

	var st activities.FreezeState
	if err := workflow.ExecuteLocalActivity(must, a.ApplyFreeze, f.ref).Get(must, &st); err != nil {
		return fail("apply", err)
	}
	f.update(st)
	if st.Status == domain.FreezeFailed { // lifted by an earlier run
		f.state.FailureCode = st.FailureCode
		f.tag(ctx)
		return f.state, nil
	}
	f.tag(ctx)
	var stopped activities.StoppedTransfers
	if err := workflow.ExecuteLocalActivity(must, a.StopTransfersInFlight, f.ref).Get(must, &stopped); err != nil {
		return fail("stop_transfers", err)
	}
	f.state.TransfersStopped = len(stopped.TransferIDs)
	if err := workflow.ExecuteLocalActivity(must, a.RecordFreezeEvent, activities.FreezeEventInput{
		FreezeID: in.FreezeID, Status: domain.FreezeActive, RequestID: in.RequestID,
	}).Get(must, nil); err != nil {
		return fail("record", err)
	}
	// The freeze stands and is told: from here on it is only ended, never undone.
	for _, id := range stopped.TransferIDs {
		if err := workflow.ExecuteLocalActivity(must, a.RecordTransferOutcome, activities.TransferRef{TransferID: id}).Get(must, nil); err != nil {
			workflow.GetLogger(ctx).Error("recording a stopped transfer's outcome failed", "transfer_id", id, "error", err)
		}
	}

	if f.state.Status == domain.FreezeActive {
		if err := f.wait(ctx); err != nil {
			return FreezeState{}, err
		}
	}
	dctx, _ := workflow.NewDisconnectedContext(ctx)
	f.tag(dctx)
	f.record(dctx)
	workflow.GetLogger(ctx).Info("freeze ended", "freeze_id", in.FreezeID, "status", string(f.state.Status), "ended_by", f.state.EndedBy)
	return f.state, nil
}

type freeze struct {
	in    FreezeInput
	ref   activities.FreezeRef
	saga  saga
	state FreezeState
	// endRequestID is the unfreezing request's id, once its signal arrived.
	endRequestID string
}

// update takes in what the database said of the freeze.
func (f *freeze) update(st activities.FreezeState) {
	f.state.Status, f.state.FrozenAt, f.state.EndedAt, f.state.EndedBy = st.Status, st.FrozenAt, st.EndedAt, st.EndedBy
	if st.Until != nil {
		f.state.Until = st.Until
	}
}

// wait sleeps until an admin's unfreeze wakes the workflow or the freeze's end comes, and ends the
// freeze when it is due. The database's clock decides: a timer that ran ahead of it, or a signal it
// does not bear out, finds the freeze still active and sleeps again. A cancellation stops the wait
// and leaves the freeze standing.
func (f *freeze) wait(ctx workflow.Context) error {
	var a *activities.Activities
	logger := workflow.GetLogger(ctx)
	must := workflow.WithLocalActivityOptions(ctx, mustFinishStep)
	ended := workflow.GetSignalChannel(ctx, FreezeEndedSignal)
	least := time.Second
	for {
		if !f.sleep(ctx, ended, least) {
			logger.Warn("freeze workflow canceled while the freeze stands; an admin's unfreeze ends it", "freeze_id", f.in.FreezeID)
			return temporal.NewCanceledError()
		}
		var st activities.FreezeState
		if err := workflow.ExecuteLocalActivity(must, a.EndDueFreeze, f.ref).Get(must, &st); err != nil {
			logger.Error("ALERT: freeze could not be ended; the account stays frozen", "freeze_id", f.in.FreezeID, "error", err)
			return err
		}
		f.update(st)
		if st.Status != domain.FreezeActive {
			return nil
		}
		least = recheckAfter
	}
}

// sleep blocks until an unfreeze's signal arrives or, for a freeze with an end, until the end (at
// least least from now). It reports false when the workflow was canceled.
func (f *freeze) sleep(ctx workflow.Context, ended workflow.ReceiveChannel, least time.Duration) bool {
	tctx, cancel := workflow.WithCancel(ctx)
	defer cancel()
	woken := true
	sel := workflow.NewSelector(ctx)
	sel.AddReceive(ended, func(ch workflow.ReceiveChannel, _ bool) {
		var e FreezeEnded
		ch.Receive(ctx, &e)
		f.endRequestID = e.RequestID
		workflow.GetLogger(ctx).Info("account unfrozen", "freeze_id", f.in.FreezeID, "ended_by", e.EndedBy)
	})
	sel.AddReceive(ctx.Done(), func(workflow.ReceiveChannel, bool) { woken = false })
	if f.state.Until != nil {
		sel.AddFuture(workflow.NewTimer(tctx, max(f.state.Until.Sub(workflow.Now(ctx)), least)), func(workflow.Future) {})
	}
	sel.Select(ctx)
	return woken && ctx.Err() == nil
}

// fail lifts what was done of the freeze and records how it ended. A refusal completes the workflow
// with its code; anything else (exhausted retries, a cancellation, a lift that failed) fails it with
// the original cause.
func (f *freeze) fail(ctx workflow.Context, step string, code domain.Code, cause error) (FreezeState, error) {
	logger := workflow.GetLogger(ctx)
	logger.Warn("freeze failed", "freeze_id", f.in.FreezeID, "step", step, "code", string(code), "error", cause)
	if err := f.saga.compensate(ctx); err != nil {
		logger.Error("ALERT: freeze could not be lifted", "freeze_id", f.in.FreezeID, "error", err)
		return FreezeState{}, refusal(code, cause)
	}
	dctx, _ := workflow.NewDisconnectedContext(ctx)
	f.state.FailureCode = code
	f.tag(dctx)
	f.record(dctx)
	if !isRefusal(cause) {
		return FreezeState{}, refusal(code, cause)
	}
	return f.state, nil
}

// tag sets the workflow's BankFreezeStatus to the freeze's status, and BankFailureCode to why it
// failed. One upsert whatever it carries: replay matches an upsert by its place, not its content.
func (f *freeze) tag(ctx workflow.Context) {
	tags := []temporal.SearchAttributeUpdate{FreezeStatusKey.ValueSet(string(f.state.Status))}
	if f.state.FailureCode != "" {
		tags = append(tags, FailureCodeKey.ValueSet(string(f.state.FailureCode)))
	}
	if err := workflow.UpsertTypedSearchAttributes(ctx, tags...); err != nil {
		workflow.GetLogger(ctx).Error("tagging freeze status failed", "error", err)
	}
}

// record writes the audit event of how the freeze ended, and tells the owner, once. A recording that
// keeps failing is logged; the end stands.
func (f *freeze) record(ctx workflow.Context) {
	var a *activities.Activities
	rctx := workflow.WithLocalActivityOptions(ctx, mustFinishStep)
	requestID := f.in.RequestID // a failed freeze's cause
	if f.state.Status == domain.FreezeEnded {
		requestID = f.endRequestID // empty when the end came by itself
	}
	if err := workflow.ExecuteLocalActivity(rctx, a.RecordFreezeEvent, activities.FreezeEventInput{
		FreezeID: f.in.FreezeID, Status: f.state.Status, RequestID: requestID,
	}).Get(rctx, nil); err != nil {
		workflow.GetLogger(ctx).Error("recording freeze event failed", "freeze_id", f.in.FreezeID, "status", string(f.state.Status), "error", err)
	}
}
