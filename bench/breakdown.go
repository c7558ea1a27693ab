package main

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"

	"github.com/bankforge/bank/db"
	"github.com/bankforge/bank/domain"
)

// stage is one part of a transfer's life and how long it took across the sampled transfers.
type stage struct {
	Name string
	Took latencies
}

// breakdown says where the time of completed transfers went, stage by stage, from two timelines
// of the same machine's clock: the transfer's steps in the database and its workflow's history in
// Temporal.
type breakdown struct {
	Sampled int
	Stages  []stage
	Problem string // why some or all samples could not be traced
}

// traceTransfers follows a sample of completed transfers through the database and Temporal.
// Database times are those of the statements' transactions, so each stage is approximate to a
// millisecond or so.
func traceTransfers(ctx context.Context, tc client.Client, store *db.Store, ids []string) breakdown {
	names := []string{
		"API: transfer row written -> workflow started",
		"Temporal: workflow started -> first task picked up by the worker",
		"worker: task picked up -> validated (1st local activity)",
		"validated -> hold placed (2nd local activity)",
		"hold placed -> posted and completed (3rd local activity)",
		"completed -> workflow closed (search attribute, audit record)",
	}
	durations := make([][]time.Duration, len(names))
	var out breakdown
	for _, id := range ids {
		marks, err := traceOne(ctx, tc, store, id)
		if err != nil {
			out.Problem = err.Error()
			continue
		}
		out.Sampled++
		for i := range durations {
			durations[i] = append(durations[i], marks[i+1].Sub(marks[i]))
		}
	}
	for i, name := range names {
		out.Stages = append(out.Stages, stage{Name: name, Took: summarise(durations[i])})
	}
	return out
}

// traceOne returns the transfer's milestones in order: row written, workflow started, first
// workflow task started, validated, hold placed, posted, workflow closed.
func traceOne(ctx context.Context, tc client.Client, store *db.Store, id string) ([]time.Time, error) {
	tid, err := uuid.Parse(id)
	if err != nil {
		return nil, err
	}
	t, err := store.GetTransfer(ctx, tid)
	if err != nil {
		return nil, fmt.Errorf("transfer %s: %w", id, err)
	}
	steps, err := store.ListTransferSteps(ctx, tid)
	if err != nil {
		return nil, fmt.Errorf("steps of %s: %w", id, err)
	}
	at := map[domain.TransferStep]time.Time{}
	for _, s := range steps {
		at[s.Name] = s.At
	}
	var started, taskStarted, closed time.Time
	iter := tc.GetWorkflowHistory(ctx, t.WorkflowID, "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for iter.HasNext() {
		ev, err := iter.Next()
		if err != nil {
			return nil, fmt.Errorf("history of %s: %w", t.WorkflowID, err)
		}
		when := ev.GetEventTime().AsTime()
		switch ev.GetEventType() {
		case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED:
			started = when
		case enumspb.EVENT_TYPE_WORKFLOW_TASK_STARTED:
			if taskStarted.IsZero() {
				taskStarted = when
			}
		case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED, enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED:
			closed = when
		}
	}
	marks := []time.Time{t.CreatedAt, started, taskStarted, at[domain.StepValidate], at[domain.StepPlaceHold], at[domain.StepPost], closed}
	for _, m := range marks {
		if m.IsZero() {
			return nil, fmt.Errorf("transfer %s lacks a milestone (steps %v)", id, steps)
		}
	}
	return marks, nil
}
