package inbox_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/bankforge/bank/audit"
	"github.com/bankforge/bank/dev/testenv"
	"github.com/bankforge/bank/domain"
	"github.com/bankforge/bank/inbox"
	"github.com/bankforge/bank/mailtext"
)

func TestPublicID_RoundTripsAndRefusesAnythingElse(t *testing.T) {
	t.Parallel()
	id := "transfer/0b6f/completed/9c1e"
	if got, ok := inbox.ParsePublicID(inbox.PublicID(id)); !ok || got != id {
		t.Fatalf("round trip: %q %v", got, ok)
	}
	for _, s := range []string{"", "a", "YQ==", "YQ=", "a/b", "a+b", "%2F", "YR"} {
		if got, ok := inbox.ParsePublicID(s); ok {
			t.Errorf("ParsePublicID(%q) = %q; want refused", s, got)
		}
	}
}

// The indexes can be ensured again at every start; a user marks only their own notification read,
// once, and every one of theirs at once.
func TestStore_MarksOnlyTheUsersOwn(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := inbox.NewStore(database(t, "inbox_test"))
	for range 2 {
		if err := s.EnsureIndexes(ctx); err != nil {
			t.Fatal(err)
		}
	}
	at := time.Now().UTC().Truncate(time.Millisecond)
	n := inbox.Notification{ID: "a/1", UserID: "alice", Kind: domain.NotificationDeposit, Title: "t", At: at}
	for range 2 {
		if err := s.Notify(ctx, n, inbox.Notification{ID: "b/1", UserID: "bob", Kind: domain.NotificationDeposit, Title: "t", At: at}); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Notify(ctx, inbox.Notification{ID: "x", UserID: "alice", Kind: "postcard"}); err == nil {
		t.Fatal("a notification of no known kind was stored")
	}
	if _, err := s.MarkRead(ctx, "bob", "a/1", at); !errors.Is(err, inbox.ErrNotFound) {
		t.Fatalf("bob marking alice's: %v; want ErrNotFound", err)
	}
	first, err := s.MarkRead(ctx, "alice", "a/1", at.Add(time.Second))
	if err != nil || first.ReadAt == nil {
		t.Fatalf("alice marking hers: %+v %v", first, err)
	}
	again, err := s.MarkRead(ctx, "alice", "a/1", at.Add(time.Hour))
	if err != nil || !again.ReadAt.Equal(*first.ReadAt) {
		t.Fatalf("marked again: read at %v; first %v (%v)", again.ReadAt, first.ReadAt, err)
	}
	if n, err := s.UnreadCount(ctx, "bob"); err != nil || n != 1 {
		t.Fatalf("bob's unread: %d %v", n, err)
	}
	if n, err := s.MarkAllRead(ctx, "bob", at.Add(time.Second)); err != nil || n != 1 {
		t.Fatalf("bob's read-all marked %d (%v)", n, err)
	}
	if n, err := s.UnreadCount(ctx, "bob"); err != nil || n != 0 {
		t.Fatalf("bob's unread after read-all: %d %v", n, err)
	}
}

// Writers at once, some giving the same notification again (a retried step), share inserts: each
// writer hears its own succeed, and each notification is stored once.
func TestStore_ConcurrentWritersStoreEachNotificationOnce(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := inbox.NewStore(database(t, "inbox_concurrent_test"))
	if err := s.EnsureIndexes(ctx); err != nil {
		t.Fatal(err)
	}
	const writers, each = 24, 5
	errs := make(chan error, 2*writers*each)
	var wg sync.WaitGroup
	for w := range writers {
		for i := range each {
			for range 1 + (i % 2) { // every other notification twice, at once
				wg.Add(1)
				go func() {
					defer wg.Done()
					user := fmt.Sprintf("user-%d", w)
					errs <- s.Notify(ctx, inbox.Notification{ID: fmt.Sprintf("w%d/%d", w, i), UserID: user, Kind: domain.NotificationDeposit, Title: "t"})
				}()
			}
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	for w := range writers {
		if n, err := s.UnreadCount(ctx, fmt.Sprintf("user-%d", w)); err != nil || n != each {
			t.Fatalf("user-%d has %d notifications (%v); want %d, each once", w, n, err, each)
		}
	}
}

// A notification keeps what it is about for its reader's client, but never its email's link: a
// staff invitation's one-time link is a secret the email alone carries.
func TestStore_KeepsDetailsButNeverTheLink(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := inbox.NewStore(database(t, "inbox_details_test"))
	until := time.Date(2027, 1, 2, 3, 4, 5, 0, time.UTC)
	invite := inbox.Notification{ID: "staff-invitation/carol", UserID: "carol", Kind: domain.NotificationStaffInvitation, Title: "t",
		Facts: mailtext.Facts{Role: domain.RoleSupport, Link: "https://bank.example/set-password#token=SECRET", ValidHours: 24}}
	frozen := inbox.Notification{ID: "freeze/1", UserID: "carol", Kind: domain.NotificationAccountFrozen, Title: "t",
		Facts: mailtext.Facts{Account: "482130675945", FreezeReason: domain.FreezeReason("legal_order"), StopsCredits: true, Until: &until}}
	old := inbox.Notification{ID: "old/1", UserID: "carol", Kind: domain.NotificationWelcome, Title: "t"}
	if err := s.Notify(ctx, invite, frozen, old); err != nil {
		t.Fatal(err)
	}
	if b, _ := json.Marshal(invite.View()); strings.Contains(string(b), "SECRET") || strings.Contains(string(b), "link") {
		t.Fatalf("the live event's view carries the link: %s", b)
	}
	got, err := s.List(ctx, "carol", inbox.Query{Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	byID := map[string]inbox.View{}
	for _, n := range got {
		byID[inbox.PublicID(n.ID)] = n.View()
		if b, _ := json.Marshal(n); strings.Contains(string(b), "SECRET") {
			t.Fatalf("the inbox stored the link: %s", b)
		}
	}
	if d := byID[inbox.PublicID(invite.ID)].Details; d == nil || d.Role != domain.RoleSupport || d.ValidHours != 24 {
		t.Errorf("invitation details: %+v", d)
	}
	if d := byID[inbox.PublicID(frozen.ID)].Details; d == nil || d.Account != "482130675945" || d.FreezeReason != "legal_order" || !d.StopsCredits || d.Until == nil || !d.Until.Equal(until) {
		t.Errorf("freeze details: %+v", d)
	}
	if d := byID[inbox.PublicID(old.ID)].Details; d != nil {
		t.Errorf("a notification with no facts has details: %+v", d)
	}
}

// database connects to the test Mongo server and returns the named database, dropped at the end.
func database(t *testing.T, name string) *mongo.Database {
	t.Helper()
	ctx := context.Background()
	client, err := audit.Connect(ctx, testenv.Mongo(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = client.Disconnect(ctx) })
	db := client.Database(name)
	t.Cleanup(func() { _ = db.Drop(context.WithoutCancel(ctx)) })
	return db
}
