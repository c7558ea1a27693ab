package main

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"

	"github.com/bankforge/bank/activities"
	"github.com/bankforge/bank/db"
	"github.com/bankforge/bank/domain"
)

// sqlPath measures the same posting done directly in the database, without the API or Temporal:
// per transfer it records the transfer row, places the hold and posts (debit, credit, capture), with
// the same ledger transactions the workflow's activities run. It is a lower bound on the database
// work a transfer costs: the API's authentication, idempotency and account lookups, the workflow's
// validation step and the audit record are left out. n transfers run as fast as conc workers
// allow, over a pool of conns connections (the size of the worker's own pool).
func sqlPath(ctx context.Context, dbURL string, customers []customer, pick picker, n, conc, conns int) (phaseResult, error) {
	pool, err := db.Connect(ctx, dbURL, int32(conns))
	if err != nil {
		return phaseResult{}, err
	}
	defer pool.Close()
	store := db.NewStore(pool)

	cpu := cpuTimes()
	rec := newRecorder(time.Now())
	var issued atomic.Int64
	var wg sync.WaitGroup
	for range conc {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for issued.Add(1) <= int64(n) && ctx.Err() == nil {
				rec.arrival(0)
				rec.begin()
				started := time.Now()
				if kind, err := postDirect(ctx, store, customers, pick); err != nil {
					rec.fail(kind, err.Error())
				} else {
					rec.accept(time.Since(started))
					rec.complete(time.Since(started), "")
				}
				rec.end()
			}
		}()
	}
	wg.Wait()
	res := rec.result("sql", 0, 0)
	res.Window = res.Elapsed
	res.Concurrency = conc
	res.CPU = cpuSince(cpu)
	return res, ctx.Err()
}

// postDirect runs one transfer's ledger steps. A transfer that cannot go through is ended as the
// workflow would end it (hold released, transfer failed), so the ledger stays consistent.
func postDirect(ctx context.Context, store *db.Store, customers []customer, pick picker) (string, error) {
	f, to := pick.pair()
	from := customers[f]
	id := uuid.New()
	t, err := store.CreateTransfer(ctx, db.CreateTransferParams{
		ID: id, Kind: domain.KindTransfer, InitiatedBy: from.userID, FromAccountID: from.accountID,
		ToAccountID: customers[to].accountID, Amount: pick.amount(), Currency: "USD",
		WorkflowID: "bench-sql-" + id.String(),
	})
	if err != nil {
		return "sql:create", err
	}
	if err := store.PlaceHoldTx(ctx, t, time.Now().Add(15*time.Minute), db.HoldLimits{}); err != nil {
		kind := "sql:hold:error"
		if errors.Is(err, domain.ErrInsufficientFunds) {
			kind = "sql:hold:insufficient_funds"
		}
		return kind, errors.Join(err, abandonDirect(ctx, store, t.ID, domain.StepPlaceHold))
	}
	if err := store.PostTransferTx(ctx, t, activities.PostingOperationID(t.ID)); err != nil {
		return "sql:post:error", errors.Join(err, abandonDirect(ctx, store, t.ID, domain.StepPost))
	}
	return "", nil
}

// abandonDirect voids a transfer's hold, if any, and records it as failed.
func abandonDirect(ctx context.Context, store *db.Store, id uuid.UUID, step domain.TransferStep) error {
	ctx = context.WithoutCancel(ctx)
	if _, err := store.VoidHoldTx(ctx, id); err != nil {
		return fmt.Errorf("void hold: %w", err)
	}
	_, err := store.FailTransferTx(ctx, id, step, domain.CodeInternal)
	return err
}
