package workflows

import (
	"errors"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/bankforge/bank/activities"
)

// MaintenanceScheduleID is the Temporal schedule that runs Maintenance once per cluster, however
// many workers run. Operators see each run under Schedules in the Temporal web UI.
const MaintenanceScheduleID = "bank-maintenance"

// purgeUserEventsChange marks the runs of Maintenance that purge old live events.
const purgeUserEventsChange = "purge-user-events"

// MaintenanceResult is what one run of the chores did.
type MaintenanceResult struct {
	HoldsExpired      int   `json:"holds_expired"`
	HoldsFailed       int   `json:"holds_failed"`
	TransfersStarted  int   `json:"transfers_started"`
	IdempotencyPurged int64 `json:"idempotency_keys_purged"`
	EventsPurged      int64 `json:"events_purged"`
}

// Maintenance runs the bank's chores: it voids holds past their expiry and records the outcome of
// the transfers that ends, starts the workflow of any transfer recorded but never started, and
// forgets old Idempotency-Keys and live events. Each chore is independent: one failing does not stop the others.
func Maintenance(ctx workflow.Context) (MaintenanceResult, error) {
	var a *activities.Activities
	logger := workflow.GetLogger(ctx)
	lctx := workflow.WithLocalActivityOptions(ctx, checkStep)
	var res MaintenanceResult
	var errs error

	var expired activities.ExpireHoldsResult
	if err := workflow.ExecuteLocalActivity(lctx, a.ExpireHolds).Get(lctx, &expired); err != nil {
		errs = errors.Join(errs, err)
	}
	res.HoldsExpired, res.HoldsFailed = len(expired.TransferIDs), expired.Failed
	rctx := workflow.WithLocalActivityOptions(ctx, mustFinishStep)
	for _, id := range expired.TransferIDs {
		if err := workflow.ExecuteLocalActivity(rctx, a.RecordTransferOutcome, activities.TransferRef{TransferID: id}).Get(rctx, nil); err != nil {
			logger.Error("recording expired transfer failed", "transfer_id", id, "error", err)
			errs = errors.Join(errs, err)
		}
	}

	var stalled []activities.StalledTransfer
	if err := workflow.ExecuteLocalActivity(lctx, a.ListStalledTransfers).Get(lctx, &stalled); err != nil {
		errs = errors.Join(errs, err)
	}
	for _, t := range stalled {
		if startStalledTransfer(ctx, t) {
			res.TransfersStarted++
		}
	}

	if err := workflow.ExecuteLocalActivity(lctx, a.PurgeIdempotencyKeys).Get(lctx, &res.IdempotencyPurged); err != nil {
		errs = errors.Join(errs, err)
	}
	// Runs started before the live events existed did not purge them: replaying one skips this.
	if workflow.GetVersion(ctx, purgeUserEventsChange, workflow.DefaultVersion, 1) >= 1 {
		if err := workflow.ExecuteLocalActivity(lctx, a.PurgeUserEvents).Get(lctx, &res.EventsPurged); err != nil {
			errs = errors.Join(errs, err)
		}
	}
	return res, errs
}

// startStalledTransfer starts the transfer's workflow as an abandoned child (startTransferChild). A
// transfer whose workflow exists (running or closed) is left alone. It reports whether it started
// one.
func startStalledTransfer(ctx workflow.Context, t activities.StalledTransfer) bool {
	in := TransferInput{
		TransferID: t.TransferID, Kind: t.Kind, FromAccountID: t.FromAccountID, ToAccountID: t.ToAccountID,
		FromAccountNumber: t.FromAccountNumber, ToAccountNumber: t.ToAccountNumber,
		UserIDs: distinct(t.UserIDs), Amount: t.Amount, Currency: t.Currency, Exponent: t.Exponent,
	}
	if err := startTransferChild(ctx, in); err != nil {
		if !temporal.IsWorkflowExecutionAlreadyStartedError(err) {
			workflow.GetLogger(ctx).Error("starting stalled transfer failed", "transfer_id", t.TransferID, "error", err)
		}
		return false
	}
	workflow.GetLogger(ctx).Warn("started stalled transfer", "transfer_id", t.TransferID)
	return true
}

// MaintenanceInterval is how often the schedule runs Maintenance unless configured otherwise.
const MaintenanceInterval = time.Minute
