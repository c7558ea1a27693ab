package inbox_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/bankforge/bank/audit"
	"github.com/bankforge/bank/dev/testenv"
	"github.com/bankforge/bank/domain"
	"github.com/bankforge/bank/inbox"
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
	client, err := audit.Connect(ctx, testenv.Mongo(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = client.Disconnect(ctx) })
	s := inbox.NewStore(client.Database("inbox_test"))
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
