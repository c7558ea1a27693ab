package groupcommit_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bankforge/bank/internal/groupcommit"
)

// Writers at once share writes: every item is written once, in batches of at most the limit, one
// write at a time, and the items given while a write is under way go in the next one.
func TestQueue_WritersShareBatchesOneWriteAtATime(t *testing.T) {
	var mu sync.Mutex
	written := map[int]int{}
	var batches, inFlight, overlapped atomic.Int32
	release := make(chan struct{})
	q := groupcommit.New(8, time.Second, func(ctx context.Context, batch []int) error {
		if inFlight.Add(1) > 1 {
			overlapped.Add(1)
		}
		defer inFlight.Add(-1)
		if batches.Add(1) == 1 {
			<-release // the first write is slow: the others queue behind it
		}
		if len(batch) > 8 {
			t.Errorf("a batch of %d items; the limit is 8", len(batch))
		}
		mu.Lock()
		defer mu.Unlock()
		for _, i := range batch {
			written[i]++
		}
		return nil
	})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); _ = q.Do(context.Background(), -1) }()
	for batches.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	for i := range 40 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := q.Do(context.Background(), i); err != nil {
				t.Error(err)
			}
		}()
	}
	waitFor(t, func() bool { return q.Waiting() == 40 }) // all forty queued behind the first write
	close(release)
	wg.Wait()
	if len(written) != 41 {
		t.Fatalf("%d items written; want 41", len(written))
	}
	for i, n := range written {
		if n != 1 {
			t.Errorf("item %d written %d times", i, n)
		}
	}
	if b := batches.Load(); b != 1+5 {
		t.Errorf("%d writes; want 6: the first, then the forty queued items in batches of 8", b)
	}
	if overlapped.Load() > 0 {
		t.Error("two writes ran at once")
	}
}

// Every writer of a batch hears its write's error; a writer that gives up returns at once and does
// not stop the queue.
func TestQueue_ErrorsReachEveryWriterOfTheBatch(t *testing.T) {
	failed := errors.New("store down")
	release := make(chan struct{})
	var writes atomic.Int32
	q := groupcommit.New(100, time.Second, func(ctx context.Context, batch []string) error {
		if writes.Add(1) == 1 {
			<-release
		}
		for _, item := range batch {
			if item == "bad" {
				return failed
			}
		}
		return nil
	})
	done := make(chan error, 1)
	go func() { done <- q.Do(context.Background(), "first") }()
	for writes.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	// Queued behind the first write, these two go in the same batch: both hear its error.
	errs := make(chan error, 2)
	for _, item := range []string{"bad", "innocent"} {
		go func() { errs <- q.Do(context.Background(), item) }()
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := q.Do(ctx, "impatient"); !errors.Is(err, context.Canceled) {
		t.Fatalf("a writer whose context ended: %v", err)
	}
	waitFor(t, func() bool { return q.Waiting() == 3 }) // bad, innocent and the impatient one's item
	close(release)
	if err := <-done; err != nil {
		t.Fatalf("the first write: %v", err)
	}
	for range 2 {
		if err := <-errs; !errors.Is(err, failed) {
			t.Fatalf("a writer of the failed batch heard %v", err)
		}
	}
	if err := q.Do(context.Background(), "good"); err != nil {
		t.Fatalf("the next write: %v", err)
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("the writers did not line up")
		}
		time.Sleep(time.Millisecond)
	}
}
