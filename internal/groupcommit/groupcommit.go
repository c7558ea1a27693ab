// Package groupcommit lets the writers of one process share their writes (group commit): the items
// given while a write is under way wait in a queue, and the next write takes them all at once, so
// that under load a store sees one request per batch instead of one per writer, while a lone
// writer's item is written at once.
package groupcommit

import (
	"context"
	"sync"
	"time"
)

// Queue batches items for its write function, which it calls from one goroutine at a time (so the
// function may keep state from one batch to the next without a lock). The goroutine lives only
// while there is something to write. The zero Queue is not usable: use New.
type Queue[T any] struct {
	write    func(ctx context.Context, batch []T) error
	maxBatch int
	timeout  time.Duration

	mu      sync.Mutex
	waiting []pending[T]
	// draining says a goroutine is writing the queue's batches; it ends when the queue is empty.
	draining bool
}

type pending[T any] struct {
	item T
	done chan error
}

// New returns a queue that writes at most maxBatch items per call of write, each call bounded by
// timeout (it goes on when a writer waiting for it gives up).
func New[T any](maxBatch int, timeout time.Duration, write func(ctx context.Context, batch []T) error) *Queue[T] {
	return &Queue[T]{write: write, maxBatch: max(maxBatch, 1), timeout: timeout}
}

// Do queues item and waits until the batch holding it is written, returning that write's error, or
// until ctx ends: the item may then still be written, so the write must be one a retry can repeat.
func (q *Queue[T]) Do(ctx context.Context, item T) error {
	p := pending[T]{item: item, done: make(chan error, 1)}
	q.mu.Lock()
	q.waiting = append(q.waiting, p)
	start := !q.draining
	q.draining = true
	q.mu.Unlock()
	if start {
		go q.drain()
	}
	select {
	case err := <-p.done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// drain writes the queue's items, a batch at a time, until the queue is empty.
func (q *Queue[T]) drain() {
	items := make([]T, 0, q.maxBatch)
	for {
		q.mu.Lock()
		n := min(len(q.waiting), q.maxBatch)
		if n == 0 {
			q.waiting, q.draining = nil, false
			q.mu.Unlock()
			return
		}
		batch := q.waiting[:n:n]
		q.waiting = q.waiting[n:]
		q.mu.Unlock()

		items = items[:0]
		for _, p := range batch {
			items = append(items, p.item)
		}
		ctx, cancel := context.WithTimeout(context.Background(), q.timeout)
		err := q.write(ctx, items)
		cancel()
		for _, p := range batch {
			p.done <- err // buffered: a writer that gave up does not block the queue
		}
	}
}
