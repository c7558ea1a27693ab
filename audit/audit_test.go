package audit_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/bankforge/bank/audit"
	"github.com/bankforge/bank/dev/testenv"
	"github.com/bankforge/bank/inbox"
)

// Every start of a worker ensures the indexes; the second start finds them and must succeed (the
// development server once dropped the connection with a panic there), and the indexes exist.
func TestEnsureIndexes_EveryStartSucceedsAndTheIndexesExist(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	client, err := audit.Connect(ctx, testenv.Mongo(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = client.Disconnect(ctx) })
	db := client.Database("bank_test")
	for start := 1; start <= 2; start++ {
		if err := audit.NewStore(db).EnsureIndexes(ctx); err != nil {
			t.Fatalf("start %d: audit indexes: %v", start, err)
		}
		if err := inbox.NewStore(db).EnsureIndexes(ctx); err != nil {
			t.Fatalf("start %d: inbox indexes: %v", start, err)
		}
	}
	for collection, want := range map[string]int{"audit_events": 9, "notifications": 2} { // with _id
		cur, err := db.Collection(collection).Indexes().List(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var specs []bson.M
		if err := cur.All(ctx, &specs); err != nil {
			t.Fatal(err)
		}
		if len(specs) != want {
			t.Errorf("%s has %d indexes %v; want %d", collection, len(specs), specs, want)
		}
	}
}

func newStore(t *testing.T) (*audit.Store, *mongo.Collection) {
	t.Helper()
	ctx := context.Background()
	client, err := audit.Connect(ctx, testenv.Mongo(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = client.Disconnect(ctx) })
	db := client.Database("bank_chain_" + strings.ReplaceAll(uuid.NewString()[:8], "-", ""))
	t.Cleanup(func() { _ = db.Drop(context.WithoutCancel(ctx)) })
	s := audit.NewStore(db)
	if err := s.EnsureIndexes(ctx); err != nil {
		t.Fatal(err)
	}
	return s, db.Collection("audit_events")
}

// Writers in parallel, each retrying its writes, make one unbroken chain with one link per event,
// whatever the types in the events' details.
func TestChain_ConcurrentWritersMakeOneChain(t *testing.T) {
	t.Parallel()
	s, _ := newStore(t)
	ctx := context.Background()
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 10 {
				e := audit.Event{
					ID: fmt.Sprintf("w%d-e%d", w, i), Type: audit.EventLoginFailed, UserID: uuid.NewString(),
					Details: map[string]any{"reason": "wrong_password", "n": i, "ratio": 0.5, "before": map[string]any{"role": "client", "failed_logins": int32(3)}, "list": []any{"a", 1}},
				}
				for range 2 { // a retried activity writes the same event again
					if err := s.Record(ctx, e); err != nil {
						t.Error(err)
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	v, err := s.Verify(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !v.OK || v.Events != 40 || v.Head.Seq != 40 {
		t.Fatalf("verification %+v; want 40 events in one unbroken chain", v)
	}
}

// Two processes, each with many writers whose events are linked in batches, make one unbroken chain:
// their batches race for the same places, some events are recorded twice at once (a retried
// activity) and land in one batch, and each event is stored once.
func TestChain_TwoProcessesOfBatchedWritersMakeOneChain(t *testing.T) {
	t.Parallel()
	first, c := newStore(t)
	second := audit.NewStore(c.Database()) // another process: a queue of its own
	ctx := context.Background()
	var wg sync.WaitGroup
	for w := range 16 {
		s := first
		if w%2 == 1 {
			s = second
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 12 {
				e := audit.Event{ID: fmt.Sprintf("w%d-e%d", w, i), Type: audit.EventTransferCompleted, TransferID: uuid.NewString()}
				copies := 1
				if i%4 == 0 {
					copies = 2
				}
				var inner sync.WaitGroup
				for range copies {
					inner.Add(1)
					go func() {
						defer inner.Done()
						if err := s.Record(ctx, e); err != nil {
							t.Error(err)
						}
					}()
				}
				inner.Wait()
			}
		}()
	}
	wg.Wait()
	v, err := first.Verify(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !v.OK || v.Events != 16*12 || v.Head.Seq != 16*12 {
		t.Fatalf("verification %+v (break %+v); want %d events in one unbroken chain", v, v.Break, 16*12)
	}
}

// Editing, deleting or reordering a stored event is caught, at that event.
func TestChain_VerifyNamesTheEditedEvent(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for name, tamper := range map[string]func(c *mongo.Collection) error{
		"edited details": func(c *mongo.Collection) error {
			_, err := c.UpdateOne(ctx, bson.D{{Key: "_id", Value: "e3"}}, bson.D{{Key: "$set", Value: bson.D{{Key: "details.amount", Value: 1}}}})
			return err
		},
		"edited type": func(c *mongo.Collection) error {
			_, err := c.UpdateOne(ctx, bson.D{{Key: "_id", Value: "e3"}}, bson.D{{Key: "$set", Value: bson.D{{Key: "type", Value: audit.EventLoginSucceeded}}}})
			return err
		},
		"rehashed after editing": func(c *mongo.Collection) error {
			// Whoever edits an event and recomputes its hash still breaks the next event's link.
			var e audit.Event
			if err := c.FindOne(ctx, bson.D{{Key: "_id", Value: "e3"}}).Decode(&e); err != nil {
				return err
			}
			e.Details["amount"] = 1
			e.Hash = audit.Digest(e)
			_, err := c.ReplaceOne(ctx, bson.D{{Key: "_id", Value: "e3"}}, e)
			return err
		},
		"deleted": func(c *mongo.Collection) error {
			_, err := c.DeleteOne(ctx, bson.D{{Key: "_id", Value: "e3"}})
			return err
		},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			s, c := newStore(t)
			for i := 1; i <= 5; i++ {
				if err := s.Record(ctx, audit.Event{ID: fmt.Sprintf("e%d", i), Type: audit.EventTransferCompleted, Details: map[string]any{"amount": 100 * i}}); err != nil {
					t.Fatal(err)
				}
			}
			if v, err := s.Verify(ctx); err != nil || !v.OK {
				t.Fatalf("before tampering: %+v, %v", v, err)
			}
			if err := tamper(c); err != nil {
				t.Fatal(err)
			}
			v, err := s.Verify(ctx)
			if err != nil {
				t.Fatal(err)
			}
			want := "e3"
			if name == "rehashed after editing" || name == "deleted" {
				want = "e4"
			}
			if v.OK || v.Break == nil || v.Break.ID != want {
				t.Fatalf("verification %+v; want a break at %s", v, want)
			}
		})
	}
}

// Each filter selects its events, and paging newest first by cursor neither repeats nor skips an
// event while new ones arrive between the pages.
func TestEvents_FiltersAndAStableCursor(t *testing.T) {
	t.Parallel()
	s, _ := newStore(t)
	ctx := context.Background()
	base := time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)
	record := func(id string, at time.Time, e audit.Event) {
		t.Helper()
		e.ID, e.At = id, at
		if e.Type == "" {
			e.Type = audit.EventLoginFailed
		}
		if err := s.Record(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 7 {
		record(fmt.Sprintf("old-%d", i), base.Add(time.Duration(i/2)*time.Second), audit.Event{}) // pairs share a time
	}
	record("staff", base, audit.Event{Type: audit.EventRoleChanged, ActorID: "admin-1", UserID: "user-1", RequestID: "req-1"})
	record("money", base, audit.Event{Type: audit.EventTransferCompleted, UserID: "user-1", AccountIDs: []string{"acc-1", "acc-2"}, TransferID: "tr-1"})
	for filter, want := range map[audit.Filter][]string{
		{ActorID: "admin-1"}:                             {"staff"},
		{UserID: "user-1"}:                               {"money", "staff"},
		{AccountID: "acc-2"}:                             {"money"},
		{TransferID: "tr-1"}:                             {"money"},
		{RequestID: "req-1"}:                             {"staff"},
		{Type: audit.EventRoleChanged}:                   {"staff"},
		{Since: base.Add(3 * time.Second)}:               {"old-6"},
		{Until: base.Add(time.Second), UserID: "nobody"}: nil,
	} {
		events, err := s.Events(ctx, filter)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, e := range events {
			got = append(got, e.ID)
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("filter %+v: %v; want %v", filter, got, want)
		}
	}

	seen := map[string]int{}
	f := audit.Filter{Type: audit.EventLoginFailed, Limit: 2}
	for page := 0; page < 10; page++ {
		events, err := s.Events(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		if len(events) == 0 {
			break
		}
		for _, e := range events {
			seen[e.ID]++
		}
		last := events[len(events)-1]
		f.Before = &audit.Cursor{At: last.At, Seq: last.Seq}
		record(fmt.Sprintf("new-%d", page), base.Add(time.Hour), audit.Event{}) // arrives meanwhile
	}
	for i := range 7 {
		if n := seen[fmt.Sprintf("old-%d", i)]; n != 1 {
			t.Errorf("old-%d listed %d times; want once", i, n)
		}
	}
	for id := range seen {
		if strings.HasPrefix(id, "new-") {
			t.Errorf("%s, written after the first page, appeared in a later page", id)
		}
	}
}

// A bulk append links its events after those already written, in batches, and the whole log
// verifies; an event without a time is refused before anything of its batch is stored.
func TestAppendAll_ContinuesTheChain(t *testing.T) {
	ctx := context.Background()
	s, events := newStore(t)
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for i := range 2 {
		if err := s.Record(ctx, audit.Event{ID: fmt.Sprintf("before-%d", i), Type: audit.EventLoginSucceeded, At: at}); err != nil {
			t.Fatal(err)
		}
	}
	n := 2*audit.AppendBatchSize + 7
	head, err := s.AppendAll(ctx, n, func(i int) audit.Event {
		return audit.Event{ID: fmt.Sprintf("bulk-%d", i), Type: audit.EventTransferCompleted, At: at.Add(time.Duration(i) * time.Second),
			TransferID: fmt.Sprintf("t-%d", i), Details: map[string]any{"amount": int64(i), "currency": "USD"}}
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	v, err := s.Verify(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !v.OK || v.Events != int64(n+2) || v.Head != head || head.Seq != int64(n+2) {
		t.Fatalf("after a bulk append: %+v, head %+v; want %d events that verify", v, head, n+2)
	}

	_, err = s.AppendAll(ctx, 3, func(i int) audit.Event {
		e := audit.Event{ID: fmt.Sprintf("late-%d", i), Type: audit.EventTransferCompleted, At: at}
		if i == 2 {
			e.At = time.Time{}
		}
		return e
	}, nil)
	if err == nil {
		t.Fatal("an event without a time was appended")
	}
	stored, err := events.CountDocuments(ctx, bson.D{})
	if err != nil {
		t.Fatal(err)
	}
	if stored != int64(n+2) {
		t.Errorf("%d events stored after a refused batch; want %d", stored, n+2)
	}
}

// Removing the newest events leaves a chain that holds up to them, but not up to the place its head
// document names: the removal is reported.
func TestChain_VerifyReportsRemovedNewestEvents(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, c := newStore(t)
	for i := 1; i <= 5; i++ {
		if err := s.Record(ctx, audit.Event{ID: fmt.Sprintf("e%d", i), Type: audit.EventTransferCompleted}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := c.DeleteMany(ctx, bson.D{{Key: "_id", Value: bson.D{{Key: "$in", Value: bson.A{"e4", "e5"}}}}}); err != nil {
		t.Fatal(err)
	}
	v, err := s.Verify(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if v.OK || v.Break == nil || v.Break.Seq != 4 || !strings.Contains(v.Break.Reason, "removed") {
		t.Fatalf("verification %+v (break %+v); want the removal after 3 reported", v, v.Break)
	}
}

// A head document left behind (a writer stopped between storing its event and moving the head), or
// missing (a log written before it was kept), does not stop the next writer: its event links after
// the newest one and the chain holds.
func TestChain_LaggingOrMissingHeadIsCaughtUp(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, c := newStore(t)
	heads := c.Database().Collection("audit_head")
	record := func(id string) {
		t.Helper()
		if err := s.Record(ctx, audit.Event{ID: id, Type: audit.EventTransferCompleted}); err != nil {
			t.Fatal(err)
		}
	}
	for i := 1; i <= 3; i++ {
		record(fmt.Sprintf("e%d", i))
	}
	var first audit.Event
	if err := c.FindOne(ctx, bson.D{{Key: "_id", Value: "e1"}}).Decode(&first); err != nil {
		t.Fatal(err)
	}
	if _, err := heads.UpdateOne(ctx, bson.D{{Key: "_id", Value: "head"}},
		bson.D{{Key: "$set", Value: bson.D{{Key: "seq", Value: first.Seq}, {Key: "hash", Value: first.Hash}}}}); err != nil {
		t.Fatal(err)
	}
	record("e4")
	if _, err := heads.DeleteMany(ctx, bson.D{}); err != nil {
		t.Fatal(err)
	}
	record("e5")
	v, err := s.Verify(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if head, err := s.Head(ctx); err != nil || !v.OK || v.Events != 5 || head != v.Head || head.Seq != 5 {
		t.Fatalf("verification %+v, head %+v (%v); want 5 events in one chain and the head at the newest", v, head, err)
	}
}
