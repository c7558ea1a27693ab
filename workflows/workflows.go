// Package workflows holds the bank's Temporal workflows. They are deterministic: no I/O, clocks,
// randomness or goroutines of their own; every effect happens in an activity.
package workflows

import (
	"errors"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/bankforge/bank/domain"
)

// TaskQueue is the task queue of the bank's workflows and activities.
const TaskQueue = "bank"

// Search attributes that let operators find workflows in the Temporal web UI: what kind of
// operation it is, the accounts and users it concerns, where it stands and why it failed. The
// Temporal server indexes them in clear, whatever codec encrypts the payloads, and every user of
// the UI reads them: so they hold ids (uuids that mean nothing outside the bank), states and codes,
// never a person's name, email or account number.
var (
	TransferIDKey = temporal.NewSearchAttributeKeyKeyword("BankTransferId")
	AccountIDsKey = temporal.NewSearchAttributeKeyKeywordList("BankAccountIds")
	UserIDsKey    = temporal.NewSearchAttributeKeyKeywordList("BankUserIds")
	KindKey       = temporal.NewSearchAttributeKeyKeyword("BankKind")
	// Where a transfer, a cash approval and a registration stand: a domain.TransferStatus, a
	// domain.CashApprovalStatus, a domain.OperationStatus (running, completed, failed).
	TransferStatusKey     = temporal.NewSearchAttributeKeyKeyword("BankTransferStatus")
	ApprovalStatusKey     = temporal.NewSearchAttributeKeyKeyword("BankApprovalStatus")
	RegistrationStatusKey = temporal.NewSearchAttributeKeyKeyword("BankRegistrationStatus")
	// FailureCodeKey is the domain.Code a workflow's operation failed with: a transfer's refusal
	// (insufficient_funds), a freeze's, an approval's (approval_expired), a registration's.
	FailureCodeKey = temporal.NewSearchAttributeKeyKeyword("BankFailureCode")
	// A freeze's reason, scope and status (pending, active, ended, failed), and when it ends by
	// itself (unset: when an admin unfreezes the account).
	FreezeReasonKey = temporal.NewSearchAttributeKeyKeyword("BankFreezeReason")
	FreezeScopeKey  = temporal.NewSearchAttributeKeyKeyword("BankFreezeScope")
	FreezeStatusKey = temporal.NewSearchAttributeKeyKeyword("BankFreezeStatus")
	FreezeUntilKey  = temporal.NewSearchAttributeKeyTime("BankFreezeUntil")
	// AccountNumbersKey held the account numbers of workflows started by earlier releases. It is no
	// longer set (a number is personal data, and the UI shows attributes in clear) and stays
	// registered so that those workflows stay findable until the namespace's retention drops them.
	AccountNumbersKey = temporal.NewSearchAttributeKeyKeywordList("BankAccountNumbers")
)

// KindRegistration is the BankKind of registrations; transfers carry their TransferKind.
const KindRegistration = string(domain.OperationRegistration)

// SearchAttributes lists the custom search attributes the workflows use, for registration with the
// Temporal server's namespace.
func SearchAttributes() map[string]enumspb.IndexedValueType {
	return map[string]enumspb.IndexedValueType{
		TransferIDKey.GetName():         enumspb.INDEXED_VALUE_TYPE_KEYWORD,
		AccountIDsKey.GetName():         enumspb.INDEXED_VALUE_TYPE_KEYWORD_LIST,
		AccountNumbersKey.GetName():     enumspb.INDEXED_VALUE_TYPE_KEYWORD_LIST,
		UserIDsKey.GetName():            enumspb.INDEXED_VALUE_TYPE_KEYWORD_LIST,
		KindKey.GetName():               enumspb.INDEXED_VALUE_TYPE_KEYWORD,
		TransferStatusKey.GetName():     enumspb.INDEXED_VALUE_TYPE_KEYWORD,
		ApprovalStatusKey.GetName():     enumspb.INDEXED_VALUE_TYPE_KEYWORD,
		RegistrationStatusKey.GetName(): enumspb.INDEXED_VALUE_TYPE_KEYWORD,
		FailureCodeKey.GetName():        enumspb.INDEXED_VALUE_TYPE_KEYWORD,
		FreezeReasonKey.GetName():       enumspb.INDEXED_VALUE_TYPE_KEYWORD,
		FreezeScopeKey.GetName():        enumspb.INDEXED_VALUE_TYPE_KEYWORD,
		FreezeStatusKey.GetName():       enumspb.INDEXED_VALUE_TYPE_KEYWORD,
		FreezeUntilKey.GetName():        enumspb.INDEXED_VALUE_TYPE_DATETIME,
	}
}

// StateQuery is the query the bank's long-running workflows answer with their state as they know it
// now: a transfer's TransferState, a freeze's FreezeState, a cash approval's CashApprovalState. The
// Temporal web UI's Queries tab runs it, as does `temporal workflow query --name state`.
const StateQuery = "state"

// setStateQuery makes the workflow answer StateQuery with what state returns at the moment it is
// asked.
func setStateQuery[T any](ctx workflow.Context, description string, state func() T) error {
	return workflow.SetQueryHandlerWithOptions(ctx, StateQuery, func() (T, error) { return state(), nil },
		workflow.QueryHandlerOptions{Description: description})
}

// RegisterWorkflowID is the workflow id of the registration operation opID.
func RegisterWorkflowID(opID string) string { return "register-" + opID }

// RegisterStartOptions are the options the API starts a registration with: its workflow id is the
// registration's operation's, register-<registration id>.
func RegisterStartOptions(in RegisterInput, taskQueue string) client.StartWorkflowOptions {
	return client.StartWorkflowOptions{
		ID:                       RegisterWorkflowID(in.RegistrationID),
		TaskQueue:                taskQueue,
		WorkflowIDReusePolicy:    enumspb.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
		WorkflowExecutionTimeout: 24 * time.Hour,
		TypedSearchAttributes: temporal.NewSearchAttributes(
			KindKey.ValueSet(KindRegistration),
			RegistrationStatusKey.ValueSet(string(domain.OperationRunning)),
		),
		StaticSummary: RegisterSummary(in),
	}
}

// TransferWorkflowID is the workflow id of a transfer (deposits and withdrawals included).
func TransferWorkflowID(transferID string) string { return "transfer-" + transferID }

// Retry and timeout policies. Database steps run as local activities: they are short, and running
// them inside the workflow task saves a round trip to the server per step.
var (
	// A step a customer is waiting on: give up within minutes rather than leave them hanging.
	checkStep = workflow.LocalActivityOptions{
		StartToCloseTimeout:    10 * time.Second,
		ScheduleToCloseTimeout: 5 * time.Minute,
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval:    100 * time.Millisecond,
			BackoffCoefficient: 2,
			MaximumInterval:    10 * time.Second,
		},
	}
	// A step that must reach an end once started (posting, compensating, recording): keep trying
	// through outages, with backoff, for a bounded time.
	mustFinishStep = workflow.LocalActivityOptions{
		StartToCloseTimeout:    10 * time.Second,
		ScheduleToCloseTimeout: 24 * time.Hour,
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval:    100 * time.Millisecond,
			BackoffCoefficient: 2,
			MaximumInterval:    time.Minute,
		},
	}
)

// codeOf is the code behind an activity's error: a refusal's own code, canceled for a
// cancellation, and internal_error for anything else (timeouts, exhausted retries).
func codeOf(err error) domain.Code {
	var appErr *temporal.ApplicationError
	switch {
	case temporal.IsCanceledError(err):
		return domain.CodeCanceled
	case errors.As(err, &appErr) && domain.Code(appErr.Type()).Known():
		return domain.Code(appErr.Type())
	default:
		return domain.CodeInternal
	}
}

// isRefusal reports whether err carries a business refusal: an application error typed with one of
// the refusal codes, which is final and no operator's business.
func isRefusal(err error) bool {
	var appErr *temporal.ApplicationError
	if !errors.As(err, &appErr) {
		return false
	}
	return domain.Code(appErr.Type()).IsRefusal()
}

// refusal is the error a workflow ends with: typed by its code and non-retryable, worded for the
// customer, with the cause kept for operators.
func refusal(code domain.Code, cause error) error {
	return temporal.NewNonRetryableApplicationError(code.Message(), string(code), cause)
}

// saga keeps the compensations of the steps done so far, each added right after its step
// succeeded, and runs them in reverse when a later step fails or the workflow is canceled.
type saga struct {
	compensations []func(ctx workflow.Context) error
}

func (s *saga) add(compensate func(ctx workflow.Context) error) {
	s.compensations = append(s.compensations, compensate)
}

// compensate runs every compensation, in reverse order, on a context that survives cancellation,
// and returns their joined errors.
func (s *saga) compensate(ctx workflow.Context) error {
	dctx, _ := workflow.NewDisconnectedContext(ctx)
	dctx = workflow.WithLocalActivityOptions(dctx, mustFinishStep)
	var errs error
	for i := len(s.compensations) - 1; i >= 0; i-- {
		errs = errors.Join(errs, s.compensations[i](dctx))
	}
	return errs
}
