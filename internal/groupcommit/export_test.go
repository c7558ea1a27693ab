package groupcommit

// Waiting is how many items wait for a write, for tests that line writers up.
func (q *Queue[T]) Waiting() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.waiting)
}
