package db_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/bankforge/bank/db"
	"github.com/bankforge/bank/dev/testenv"
	"github.com/bankforge/bank/domain"
)

// Concurrent appends for the same two users, each writing both in its own order (retried keys
// among them), give each user the ids 1..n with no gap and no key twice, and never deadlock.
func TestUserEvents_ConcurrentAppendsNumberEachUsersEventsInOrder(t *testing.T) {
	t.Parallel()
	s := testenv.NewStore(t)
	ctx := context.Background()
	a, b := newUser(t, s), newUser(t, s)
	const n = 20
	var wg sync.WaitGroup
	errs := make(chan error, 2*n)
	for i := range 2 * n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			k := i % n // every key twice: a retried step
			first, second := a, b
			if i%2 == 1 {
				first, second = b, a
			}
			errs <- s.AppendUserEventsTx(ctx,
				db.Event{UserID: first.ID, Key: fmt.Sprintf("k%d", k), Type: domain.EventNotificationCreated, Data: map[string]int{"k": k}},
				db.Event{UserID: second.ID, Key: fmt.Sprintf("k%d", k), Type: domain.EventTransferReceived, Data: map[string]int{"k": k}},
			)
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	for _, u := range []db.User{a, b} {
		events, err := s.ListUserEventsAfter(ctx, db.ListUserEventsAfterParams{UserID: u.ID, MaxRows: 100})
		if err != nil {
			t.Fatal(err)
		}
		if len(events) != n {
			t.Fatalf("%d events; want %d, one per key", len(events), n)
		}
		for i, e := range events {
			if e.ID != int64(i+1) {
				t.Fatalf("event %d has id %d; want ids 1..%d", i, e.ID, n)
			}
		}
		if last, err := s.LastUserEventID(ctx, u.ID); err != nil || last != n {
			t.Fatalf("last id %d, %v; want %d", last, err, n)
		}
	}
	// Purging keeps the sequence: the next event after a purge is n+1, never an id given before.
	if _, err := s.DeleteUserEventsBefore(ctx, db.DeleteUserEventsBeforeParams{Before: time.Now().Add(time.Hour), MaxRows: 1000}); err != nil {
		t.Fatal(err)
	}
	if err := s.AppendUserEventsTx(ctx, db.Event{UserID: a.ID, Key: "after-purge", Type: domain.EventAccountFrozen, Data: map[string]any{}}); err != nil {
		t.Fatal(err)
	}
	events, err := s.ListUserEventsAfter(ctx, db.ListUserEventsAfterParams{UserID: a.ID, MaxRows: 100})
	if err != nil || len(events) != 1 || events[0].ID != n+1 {
		t.Fatalf("after the purge: %+v %v; want one event, id %d", events, err, n+1)
	}
}

// One append with the same key twice for a user and events for two users numbers each user's new
// events from their last id, once per key, and notifies each user given one, at the commit.
func TestUserEvents_OneAppendNumbersEachUserOnceAndNotifiesAtTheCommit(t *testing.T) {
	t.Parallel()
	s := testenv.NewStore(t)
	ctx := context.Background()
	a, b := newUser(t, s), newUser(t, s)
	conn, err := s.Pool().Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, "LISTEN "+db.UserEventsChannel); err != nil {
		t.Fatal(err)
	}
	ev := func(u db.User, key string) db.Event {
		return db.Event{UserID: u.ID, Key: key, Type: domain.EventNotificationCreated, Data: map[string]string{"key": key}}
	}
	if err := s.AppendUserEventsTx(ctx, ev(a, "first")); err != nil {
		t.Fatal(err)
	}
	if err := s.AppendUserEventsTx(ctx, ev(a, "x"), ev(b, "y"), ev(a, "x"), ev(a, "first"), ev(a, "z")); err != nil {
		t.Fatal(err)
	}
	if err := s.AppendUserEventsTx(ctx, ev(b, "y")); err != nil { // a retry: nothing new, no notification
		t.Fatal(err)
	}
	for u, want := range map[db.User][]string{a: {"first", "x", "z"}, b: {"y"}} {
		events, err := s.ListUserEventsAfter(ctx, db.ListUserEventsAfterParams{UserID: u.ID, MaxRows: 100})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for i, e := range events {
			if e.ID != int64(i+1) {
				t.Errorf("event %d has id %d; want %d", i, e.ID, i+1)
			}
			got = append(got, string(e.Data))
		}
		if len(got) != len(want) {
			t.Fatalf("events %v; want the keys %v once each, in order", got, want)
		}
		for i, k := range want {
			if got[i] != `{"key": "`+k+`"}` {
				t.Errorf("event %d is %s; want key %s", i+1, got[i], k)
			}
		}
	}
	notified := map[string]int{}
	for range 3 {
		wctx, cancel := context.WithTimeout(ctx, 500*time.Millisecond)
		n, err := conn.Conn().WaitForNotification(wctx)
		cancel()
		if err != nil {
			break
		}
		notified[n.Payload]++
	}
	if len(notified) != 2 || notified[a.ID.String()] != 2 || notified[b.ID.String()] != 1 {
		t.Fatalf("notifications %v; want user a twice (two appends gave them events) and b once", notified)
	}
}
