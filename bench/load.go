package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/bankforge/bank/dev/bankclient"
	"github.com/bankforge/bank/domain"
)

// openLoop offers arrivals at a constant rate for d, as independent customers do: arrival i is due
// at start + i/rate whether or not earlier ones have finished. Each arrival runs fn in its own
// goroutine. When maxInflight arrivals are already running, a new one is dropped and counted rather
// than delayed, so a slow system cannot quietly lower the load it is offered. Latencies are measured
// from the moment an arrival was due, so a generator that falls behind shows up in them instead of
// hiding queueing. openLoop returns once every arrival it started has finished.
func openLoop(ctx context.Context, rate float64, d time.Duration, maxInflight int, rec *recorder,
	fn func(ctx context.Context, due time.Time)) {
	n := int(rate * d.Seconds())
	interval := time.Duration(float64(time.Second) / rate)
	slots := make(chan struct{}, maxInflight)
	var wg sync.WaitGroup
	timer := time.NewTimer(0)
	defer timer.Stop()
	<-timer.C
	for i := range n {
		due := rec.start.Add(time.Duration(i) * interval)
		if wait := time.Until(due); wait > 0 {
			timer.Reset(wait)
			select {
			case <-ctx.Done():
				wg.Wait()
				return
			case <-timer.C:
			}
		} else if ctx.Err() != nil {
			break
		}
		rec.arrival(time.Since(due))
		select {
		case slots <- struct{}{}:
		default:
			rec.drop()
			continue
		}
		wg.Add(1)
		rec.begin()
		go func() {
			defer func() {
				rec.end()
				<-slots
				wg.Done()
			}()
			fn(ctx, due)
		}()
	}
	wg.Wait()
}

// picker chooses who pays whom. In the uniform scenario any customer pays any other; in the hot
// scenario a share of all debits comes from customer 0, the hot account, and the rest from the
// others, while destinations stay random.
type picker struct {
	n        int
	hotShare float64
}

func (p picker) pair() (from, to int) {
	switch {
	case p.hotShare > 0 && rand.Float64() < p.hotShare:
		from = 0
	case p.hotShare > 0:
		from = 1 + rand.IntN(p.n-1)
	default:
		from = rand.IntN(p.n)
	}
	to = rand.IntN(p.n - 1)
	if to >= from {
		to++
	}
	return from, to
}

// amount is a small amount in minor units, so that uniform traffic never runs an account dry.
func (p picker) amount() int64 { return 1 + rand.Int64N(100) }

// apiLoad sends customer transfers through the API and follows each to its end.
type apiLoad struct {
	customers   []customer
	pick        picker
	pollEvery   time.Duration
	pollTimeout time.Duration
}

// run offers transfers at rate for d and returns what happened to them.
func (l *apiLoad) run(ctx context.Context, name string, rate float64, d time.Duration, maxInflight int) phaseResult {
	cpu := cpuTimes()
	rec := newRecorder(time.Now())
	openLoop(ctx, rate, d, maxInflight, rec, func(ctx context.Context, due time.Time) {
		l.one(ctx, rec, due)
	})
	res := rec.result(name, rate, d)
	res.CPU = cpuSince(cpu)
	return res
}

// one makes a transfer as its source account's owner, with a fresh Idempotency-Key, and polls it
// until it completes, fails or is compensated.
func (l *apiLoad) one(ctx context.Context, rec *recorder, due time.Time) {
	f, t := l.pick.pair()
	from, to := l.customers[f], l.customers[t]
	tr, resp, err := from.api.Transfer(ctx, from.accountID.String(), to.accountID.String(), l.pick.amount(), "USD",
		"bench-"+uuid.NewString())
	if err != nil {
		kind, detail := requestErrorKind("post", resp, err)
		rec.fail(kind, detail)
		return
	}
	if resp.Status != http.StatusAccepted {
		rec.fail(fmt.Sprintf("post:%d:unexpected", resp.Status), string(resp.Body))
	}
	rec.accept(time.Since(due))

	deadline := time.Now().Add(l.pollTimeout)
	for {
		if l.pollEvery > 0 {
			select {
			case <-ctx.Done():
				rec.fail("poll:canceled", ctx.Err().Error())
				return
			case <-time.After(l.pollEvery):
			}
		}
		rec.poll()
		cur, err := l.status(ctx, from, tr.ID)
		switch {
		case err != nil:
			// A failed poll is counted but does not end the transfer: the next poll may succeed.
			var resp *bankclient.Response
			var apiErr *bankclient.Error
			if errors.As(err, &apiErr) {
				resp = &bankclient.Response{Status: apiErr.Status, Body: []byte(apiErr.Body)}
			}
			kind, detail := requestErrorKind("poll", resp, err)
			rec.fail(kind, detail)
		case cur.Status == domain.TransferCompleted:
			rec.complete(time.Since(due), tr.ID)
			return
		case cur.Status != domain.TransferPending:
			code := "none"
			if cur.FailureCode != nil {
				code = string(*cur.FailureCode)
			}
			reason := ""
			if cur.FailureReason != nil {
				reason = *cur.FailureReason
			}
			rec.fail("final:"+string(cur.Status)+":"+code, reason)
			return
		}
		if time.Now().After(deadline) {
			rec.fail("poll:timeout", fmt.Sprintf("transfer %s still pending after %s", tr.ID, l.pollTimeout))
			return
		}
	}
}

// status reads a transfer: with -poll 0, one request the API holds until the transfer ends (up to
// 10 s); otherwise a plain read.
func (l *apiLoad) status(ctx context.Context, c customer, id string) (bankclient.Transfer, error) {
	if l.pollEvery > 0 {
		return c.api.GetTransfer(ctx, id)
	}
	var t bankclient.Transfer
	_, err := c.api.JSON(ctx, http.MethodGet, "/v1/transfers/"+id+"?wait=10s", nil, nil, &t)
	return t, err
}

// requestErrorKind names a failed request by step, HTTP status and the API's problem code, or as a
// transport failure when no answer came.
func requestErrorKind(step string, resp *bankclient.Response, err error) (kind, detail string) {
	if resp == nil {
		if errors.Is(err, context.DeadlineExceeded) {
			return step + ":timeout", err.Error()
		}
		return step + ":transport", err.Error()
	}
	var problem struct {
		Code   string `json:"code"`
		Detail string `json:"detail"`
	}
	_ = json.Unmarshal(resp.Body, &problem)
	if problem.Code == "" {
		problem.Code = "unknown"
	}
	return fmt.Sprintf("%s:%d:%s", step, resp.Status, problem.Code), problem.Detail
}
