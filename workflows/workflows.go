// Package workflows holds the bank's Temporal workflows. They are deterministic: no I/O, clocks,
// randomness or goroutines of their own; every effect happens in an activity.
package workflows

import (
	"errors"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/bankforge/bank/domain"
)

// TaskQueue is the task queue of the bank's workflows and activities.
const TaskQueue = "bank"

// Search attributes that let operators find workflows in the Temporal web UI.
var (
	TransferIDKey     = temporal.NewSearchAttributeKeyKeyword("BankTransferId")
	AccountIDsKey     = temporal.NewSearchAttributeKeyKeywordList("BankAccountIds")
	TransferStatusKey = temporal.NewSearchAttributeKeyKeyword("BankTransferStatus")
)

// SearchAttributes lists the custom search attributes the workflows use, for registration with the
// Temporal server's namespace.
func SearchAttributes() map[string]enumspb.IndexedValueType {
	return map[string]enumspb.IndexedValueType{
		TransferIDKey.GetName():     enumspb.INDEXED_VALUE_TYPE_KEYWORD,
		AccountIDsKey.GetName():     enumspb.INDEXED_VALUE_TYPE_KEYWORD_LIST,
		TransferStatusKey.GetName(): enumspb.INDEXED_VALUE_TYPE_KEYWORD,
	}
}

// RegisterWorkflowID is the workflow id of the registration operation opID.
func RegisterWorkflowID(opID string) string { return "register-" + opID }

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

// errorType is the domain error type behind err: a business refusal raised by an activity,
// Canceled for a cancellation, and Internal for anything else (timeouts and exhausted retries).
func errorType(err error) string {
	var appErr *temporal.ApplicationError
	switch {
	case temporal.IsCanceledError(err):
		return domain.ErrTypeCanceled
	case errors.As(err, &appErr) && appErr.Type() != "":
		return appErr.Type()
	default:
		return domain.ErrTypeInternal
	}
}

// refusal is the error a workflow ends with: typed and non-retryable, worded for the customer, with
// the cause kept for operators.
func refusal(errType string, cause error) error {
	return temporal.NewNonRetryableApplicationError(domain.CustomerMessage(errType), errType, cause)
}
