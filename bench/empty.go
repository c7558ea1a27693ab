package main

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/bankforge/bank/activities"
	"github.com/bankforge/bank/domain"
	"github.com/bankforge/bank/workflows"
)

// emptyTaskQueue is where the empty workflows run, apart from the bank's own task queue.
const emptyTaskQueue = "bench-empty"

// emptyWorkflowName names the empty workflow on the Temporal server.
const emptyWorkflowName = "BenchEmptyTransfer"

// emptyActivities have the names and signatures of the transfer's success-path steps, and do nothing.
type emptyActivities struct{}

func (*emptyActivities) ValidateTransfer(context.Context, activities.TransferRef) error { return nil }
func (*emptyActivities) ReserveFunds(context.Context, activities.TransferRef) error     { return nil }
func (*emptyActivities) PostTransfer(context.Context, activities.TransferRef) error     { return nil }
func (*emptyActivities) RecordTransferOutcome(context.Context, activities.TransferRef) error {
	return nil
}

// emptyTransfer has the shape of a transfer that succeeds: the same input and result, the same four
// local activities with the same options, and the same search-attribute update at the end (made
// only when the workflow was started with search attributes, as transfers are). What it costs is
// what Temporal itself costs a transfer.
func emptyTransfer(ctx workflow.Context, in workflows.TransferInput) (workflows.TransferResult, error) {
	var a *emptyActivities
	ref := activities.TransferRef{TransferID: in.TransferID}
	// The same options as the transfer workflow's steps: a step a customer waits on, and a step
	// that must finish once started.
	retry := func(maxInterval time.Duration) *temporal.RetryPolicy {
		return &temporal.RetryPolicy{InitialInterval: 100 * time.Millisecond, BackoffCoefficient: 2, MaximumInterval: maxInterval}
	}
	check := workflow.WithLocalActivityOptions(ctx, workflow.LocalActivityOptions{
		StartToCloseTimeout: 10 * time.Second, ScheduleToCloseTimeout: 5 * time.Minute, RetryPolicy: retry(10 * time.Second),
	})
	mustFinish := workflow.LocalActivityOptions{
		StartToCloseTimeout: 10 * time.Second, ScheduleToCloseTimeout: 24 * time.Hour, RetryPolicy: retry(time.Minute),
	}
	if err := workflow.ExecuteLocalActivity(check, a.ValidateTransfer, ref).Get(check, nil); err != nil {
		return workflows.TransferResult{}, err
	}
	if err := workflow.ExecuteLocalActivity(check, a.ReserveFunds, ref).Get(check, nil); err != nil {
		return workflows.TransferResult{}, err
	}
	post := workflow.WithLocalActivityOptions(ctx, mustFinish)
	if err := workflow.ExecuteLocalActivity(post, a.PostTransfer, ref).Get(post, nil); err != nil {
		return workflows.TransferResult{}, err
	}
	dctx, _ := workflow.NewDisconnectedContext(ctx)
	if _, tagged := workflow.GetTypedSearchAttributes(ctx).GetKeyword(workflows.TransferStatusKey); tagged {
		if err := workflow.UpsertTypedSearchAttributes(dctx, workflows.TransferStatusKey.ValueSet(string(domain.TransferCompleted))); err != nil {
			return workflows.TransferResult{}, err
		}
	}
	rctx := workflow.WithLocalActivityOptions(dctx, mustFinish)
	if err := workflow.ExecuteLocalActivity(rctx, a.RecordTransferOutcome, ref).Get(rctx, nil); err != nil {
		return workflows.TransferResult{}, err
	}
	return workflows.TransferResult{TransferID: in.TransferID, Status: domain.TransferCompleted}, nil
}

// emptyPath runs a worker for the empty workflow inside this process, with the bank worker's
// concurrency settings, and starts empty workflows at rate for d with the options the API starts
// transfers with (search attributes left out when plain), waiting for each result.
func emptyPath(ctx context.Context, tc client.Client, b *bank, customers []customer, pick picker,
	rate float64, d time.Duration, maxInflight int, plain, eager bool) (phaseResult, error) {
	w := worker.New(tc, emptyTaskQueue, worker.Options{
		MaxConcurrentLocalActivityExecutionSize: b.localActivities,
		MaxConcurrentWorkflowTaskPollers:        b.workflowPollers,
	})
	w.RegisterWorkflowWithOptions(emptyTransfer, workflow.RegisterOptions{Name: emptyWorkflowName})
	w.RegisterActivity(&emptyActivities{})
	if err := w.Start(); err != nil {
		return phaseResult{}, fmt.Errorf("start empty worker: %w", err)
	}
	defer w.Stop()

	cpu := cpuTimes()
	rec := newRecorder(time.Now())
	openLoop(ctx, rate, d, maxInflight, rec, func(ctx context.Context, due time.Time) {
		f, to := pick.pair()
		id := uuid.NewString()
		from, dest := customers[f].accountID.String(), customers[to].accountID.String()
		in := workflows.TransferInput{
			TransferID: id, Kind: domain.KindTransfer, FromAccountID: from, ToAccountID: dest, Amount: pick.amount(), Currency: "USD", Exponent: 2,
		}
		// The options every transfer starts with, on this task queue and under an id of its own.
		opts := workflows.TransferStartOptions(in, emptyTaskQueue)
		opts.ID = "bench-empty-" + id
		if plain {
			opts.TypedSearchAttributes = temporal.SearchAttributes{}
		}
		opts.EnableEagerStart = eager
		run, err := tc.ExecuteWorkflow(ctx, opts, emptyWorkflowName, in)
		if err != nil {
			rec.fail("start", err.Error())
			return
		}
		rec.accept(time.Since(due))
		var res workflows.TransferResult
		if err := run.Get(ctx, &res); err != nil {
			rec.fail("result", err.Error())
			return
		}
		rec.complete(time.Since(due), "")
	})
	res := rec.result("empty", rate, d)
	res.CPU = cpuSince(cpu)
	return res, ctx.Err()
}
