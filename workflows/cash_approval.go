package workflows

import (
	"time"

	"github.com/google/uuid"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/bankforge/bank/activities"
	"github.com/bankforge/bank/domain"
)

// KindCashApproval is the BankKind of cash approvals.
const KindCashApproval = string(domain.OperationCashApproval)

// CashApprovalDecisionSignal wakes a cash approval's workflow once an admin has decided it. The
// decision itself is read from the database, which took it.
const CashApprovalDecisionSignal = "cash-approval-decided"

// CashApprovalDecision is the signal's payload: who decided what, for the history's reader.
type CashApprovalDecision struct {
	Status    domain.CashApprovalStatus
	DecidedBy string
	// RequestID is the deciding API request's, for the audit event.
	RequestID string
}

// CashApprovalInput starts the wait for a second admin's decision on a deposit or withdrawal at or
// above its currency's approval threshold. The approval row written by the API is the source of
// truth; the other fields are for operators reading the history and searching.
type CashApprovalInput struct {
	ApprovalID    string
	Kind          domain.TransferKind
	AccountID     string
	AccountNumber string
	// UserIDs are the requesting admin and the account's owner.
	UserIDs  []string
	Amount   int64
	Currency string
	// Exponent is the currency's number of decimals, for the workflow's summary.
	Exponent int
	// ExpiresAt is when the approval expires undecided, by the database's clock.
	ExpiresAt time.Time
	// RequestID is the API request that asked for the movement, for the audit event.
	RequestID string
}

// CashApprovalResult is how an approval ended: approved, with the transfer it started, or refused
// with approval_rejected or approval_expired. A refusal completes the workflow; only a failure an
// operator must look at fails it.
type CashApprovalResult struct {
	TransferID  string      `json:"transfer_id,omitempty"`
	FailureCode domain.Code `json:"failure_code,omitempty"`
}

// CashApprovalState is a cash approval as its workflow knows it: the answer to StateQuery.
type CashApprovalState struct {
	ApprovalID string                    `json:"approval_id"`
	Kind       domain.TransferKind       `json:"kind"`
	Status     domain.CashApprovalStatus `json:"status"`
	Amount     int64                     `json:"amount"`
	Currency   string                    `json:"currency"`
	// ExpiresAt is when the approval expires undecided, by the database's clock.
	ExpiresAt time.Time `json:"expires_at"`
	// TransferID is the transfer an approved movement started.
	TransferID string `json:"transfer_id,omitempty"`
}

// CashApprovalWorkflowID is the workflow id of the cash approval approvalID (also its operation's id).
func CashApprovalWorkflowID(approvalID string) string { return "cash-approval-" + approvalID }

// CashApprovalTransferID is the id of the transfer an approved cash approval starts. It derives from
// the approval, so a step that runs again records the same transfer.
func CashApprovalTransferID(approvalID string) string {
	return uuid.NewSHA1(uuid.NameSpaceOID, []byte("bank/cash-approval/"+approvalID+"/transfer")).String()
}

// CashApprovalStartOptions are the options every starter of a cash approval's workflow uses: the id
// derived from the approval, and the search attributes operators filter on. A run that completed
// settled the approval, and its id is never reused; a run that failed, or that an operator
// terminated, may be started again (a decision's Signal-With-Start does), and the new run settles
// the approval from the database, each of its steps keyed so that nothing happens twice.
func CashApprovalStartOptions(in CashApprovalInput, taskQueue string) client.StartWorkflowOptions {
	return client.StartWorkflowOptions{
		ID:                    CashApprovalWorkflowID(in.ApprovalID),
		TaskQueue:             taskQueue,
		WorkflowIDReusePolicy: enumspb.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE_FAILED_ONLY,
		TypedSearchAttributes: temporal.NewSearchAttributes(
			KindKey.ValueSet(KindCashApproval),
			AccountIDsKey.ValueSet([]string{in.AccountID}),
			UserIDsKey.ValueSet(distinct(in.UserIDs)),
			ApprovalStatusKey.ValueSet(string(domain.ApprovalPending)),
		),
		StaticSummary: CashApprovalSummary(in),
		StaticDetails: cashApprovalDetails,
	}
}

// recheckAfter is the least a wait lasts once the approval was found still pending when its timer
// fired: the worker's and the database's clocks disagree, and the database's decides.
const recheckAfter = 30 * time.Second

// CashApproval waits for a second admin's decision on a cash movement, or for its expiry: it
// records the request in the audit log and sleeps until a decision's signal or the expiry's timer
// wakes it, and settles the approval from the database (expiring it when it is due). Approved, it
// records the movement as a transfer, with an id derived from the approval, and starts the
// transfer's workflow as an abandoned child; rejected or expired, nothing moves.
func CashApproval(ctx workflow.Context, in CashApprovalInput) (CashApprovalResult, error) {
	var a *activities.Activities
	logger := workflow.GetLogger(ctx)
	must := workflow.WithLocalActivityOptions(ctx, mustFinishStep)
	c := &cashApproval{in: in, state: CashApprovalState{
		ApprovalID: in.ApprovalID, Kind: in.Kind, Status: domain.ApprovalPending,
		Amount: in.Amount, Currency: in.Currency, ExpiresAt: in.ExpiresAt,
	}}
	if err := setStateQuery(ctx, "The approval's status, amount, when it expires undecided and, once approved, the transfer it started.",
		func() CashApprovalState { return c.state }); err != nil {
		return CashApprovalResult{}, err
	}
	// The request's audit event is written beside the wait, so an audit log that is down delays no
	// decision; the approval's end waits for it.
	requested, recorded := workflow.NewFuture(ctx)
	workflow.Go(ctx, func(ctx workflow.Context) {
		c.record(ctx, domain.ApprovalPending)
		recorded.Set(nil, nil)
	})
	c.requested = requested

	decisions := workflow.GetSignalChannel(ctx, CashApprovalDecisionSignal)
	deadline, least := in.ExpiresAt, time.Second
	var state activities.CashApprovalState
	for {
		if id := waitForDecision(ctx, decisions, max(deadline.Sub(workflow.Now(ctx)), least)); id != "" {
			c.decisionRequestID = id
		}
		if err := workflow.ExecuteLocalActivity(must, a.SettleCashApproval, activities.CashApprovalRef{ApprovalID: in.ApprovalID}).Get(must, &state); err != nil {
			logger.Error("ALERT: cash approval could not be settled", "approval_id", in.ApprovalID, "error", err)
			return CashApprovalResult{}, err
		}
		c.state.ExpiresAt = state.ExpiresAt
		if state.Status.Decided() {
			break
		}
		// Woken before its expiry: by a signal the database does not bear out, or by a timer that
		// ran ahead of the database's clock.
		deadline, least = state.ExpiresAt, recheckAfter
	}

	switch state.Status {
	case domain.ApprovalApproved:
		return c.approved(ctx)
	case domain.ApprovalRejected:
		return c.end(ctx, domain.ApprovalRejected, CashApprovalResult{FailureCode: domain.CodeApprovalRejected}), nil
	default:
		return c.end(ctx, domain.ApprovalExpired, CashApprovalResult{FailureCode: domain.CodeApprovalExpired}), nil
	}
}

// waitForDecision blocks until a decision's signal arrives or d passes, and returns the deciding
// request's id when a signal came.
func waitForDecision(ctx workflow.Context, decisions workflow.ReceiveChannel, d time.Duration) (requestID string) {
	tctx, cancel := workflow.WithCancel(ctx)
	defer cancel()
	sel := workflow.NewSelector(ctx)
	sel.AddReceive(decisions, func(ch workflow.ReceiveChannel, _ bool) {
		var decision CashApprovalDecision
		ch.Receive(ctx, &decision)
		requestID = decision.RequestID
		workflow.GetLogger(ctx).Info("cash approval decided", "status", string(decision.Status), "decided_by", decision.DecidedBy)
	})
	sel.AddFuture(workflow.NewTimer(tctx, d), func(workflow.Future) {})
	sel.Select(ctx)
	return requestID
}

type cashApproval struct {
	in        CashApprovalInput
	state     CashApprovalState
	requested workflow.Future // the request's audit event is recorded
	// decisionRequestID is the deciding request's id, once its signal arrived.
	decisionRequestID string
}

// approved records the approved movement as a transfer and starts its workflow. A transfer recorded
// whose workflow could not start is started by the maintenance schedule, as any stalled transfer.
func (c *cashApproval) approved(ctx workflow.Context) (CashApprovalResult, error) {
	var a *activities.Activities
	logger := workflow.GetLogger(ctx)
	must := workflow.WithLocalActivityOptions(ctx, mustFinishStep)
	transferID := CashApprovalTransferID(c.in.ApprovalID)
	var t activities.ApprovedCashTransfer
	if err := workflow.ExecuteLocalActivity(must, a.RecordApprovedCashTransfer, activities.RecordApprovedCashTransferInput{
		ApprovalID: c.in.ApprovalID, TransferID: transferID, WorkflowID: TransferWorkflowID(transferID),
	}).Get(must, &t); err != nil {
		logger.Error("ALERT: approved cash movement could not be recorded", "approval_id", c.in.ApprovalID, "error", err)
		return CashApprovalResult{}, err
	}
	in := TransferInput{
		TransferID: t.TransferID, Kind: t.Kind, FromAccountID: t.FromAccountID, ToAccountID: t.ToAccountID,
		FromAccountNumber: t.FromAccountNumber, ToAccountNumber: t.ToAccountNumber,
		UserIDs: distinct(t.UserIDs), Amount: t.Amount, Currency: t.Currency, Exponent: t.Exponent,
	}
	c.state.TransferID = t.TransferID
	if err := startTransferChild(ctx, in); err != nil && !temporal.IsWorkflowExecutionAlreadyStartedError(err) {
		logger.Error("starting the approved cash transfer failed; the maintenance schedule starts it",
			"approval_id", c.in.ApprovalID, "transfer_id", t.TransferID, "error", err)
	}
	if err := workflow.UpsertTypedSearchAttributes(ctx, TransferIDKey.ValueSet(t.TransferID)); err != nil {
		logger.Error("tagging cash approval with its transfer failed", "error", err)
	}
	return c.end(ctx, domain.ApprovalApproved, CashApprovalResult{TransferID: t.TransferID}), nil
}

// end tags the workflow with the approval's status and records it in the audit log. A recording
// that keeps failing is logged; the decision stands.
func (c *cashApproval) end(ctx workflow.Context, status domain.CashApprovalStatus, res CashApprovalResult) CashApprovalResult {
	c.state.Status = status
	tags := []temporal.SearchAttributeUpdate{ApprovalStatusKey.ValueSet(string(status))}
	if res.FailureCode != "" {
		tags = append(tags, FailureCodeKey.ValueSet(string(res.FailureCode)))
	}
	// One upsert whatever it carries: replay matches an upsert by its place, not its content.
	if err := workflow.UpsertTypedSearchAttributes(ctx, tags...); err != nil {
		workflow.GetLogger(ctx).Error("tagging cash approval status failed", "error", err)
	}
	_ = c.requested.Get(ctx, nil)
	c.record(ctx, status)
	workflow.GetLogger(ctx).Info("cash approval ended", "approval_id", c.in.ApprovalID, "status", string(status))
	return res
}

// record writes the audit event of the approval's request (pending) or decision, once.
func (c *cashApproval) record(ctx workflow.Context, status domain.CashApprovalStatus) {
	var a *activities.Activities
	rctx := workflow.WithLocalActivityOptions(ctx, mustFinishStep)
	requestID := c.in.RequestID
	if status != domain.ApprovalPending {
		requestID = c.decisionRequestID // empty for an expiry
	}
	if err := workflow.ExecuteLocalActivity(rctx, a.RecordCashApprovalEvent, activities.CashApprovalEventInput{
		ApprovalID: c.in.ApprovalID, Status: status, RequestID: requestID,
	}).Get(rctx, nil); err != nil {
		workflow.GetLogger(ctx).Error("recording cash approval event failed", "approval_id", c.in.ApprovalID, "status", string(status), "error", err)
	}
}
