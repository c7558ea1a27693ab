package api

import (
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/bankforge/bank/db"
	"github.com/bankforge/bank/domain"
)

// The cache serves a session only while changes are heard, only to its own user, never past the
// session's expiry or the cache's minute, and never keeps a read that began before a change.
func TestSessionCache_ServesOnlyWhatNoChangeCouldHaveEnded(t *testing.T) {
	now := time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)
	c := newSessionCache(func() time.Time { return now })
	user, other := uuid.New(), uuid.New()
	row := func(sessionID, userID uuid.UUID, expires time.Time) db.GetSessionPrincipalRow {
		return db.GetSessionPrincipalRow{UserID: userID, Role: domain.RoleClient, Email: "a@example.com", SessionID: sessionID, ExpiresAt: expires}
	}
	s1, s2, s3 := uuid.New(), uuid.New(), uuid.New()

	c.put(c.generation(), row(s1, user, now.Add(time.Hour)))
	if _, ok := c.get(s1, user); ok {
		t.Fatal("kept a session before the listener listened")
	}
	c.Listening(true)
	c.put(c.generation(), row(s1, user, now.Add(time.Hour)))
	if _, ok := c.get(s1, user); !ok {
		t.Fatal("a session read while listening was not kept")
	}
	if _, ok := c.get(s1, other); ok {
		t.Fatal("served a session to another user's token")
	}

	// A read that began before a change is not kept: it may be what the change ended.
	gen := c.generation()
	c.Notified("s:" + uuid.NewString())
	c.put(gen, row(s2, user, now.Add(time.Hour)))
	if _, ok := c.get(s2, user); ok {
		t.Fatal("kept a read that began before a change was heard")
	}

	// A change names a session or a user; anything else empties the cache.
	c.Notified("s:" + s1.String())
	if _, ok := c.get(s1, user); ok {
		t.Fatal("served a session after its change was heard")
	}
	c.put(c.generation(), row(s1, user, now.Add(time.Hour)))
	c.put(c.generation(), row(s2, user, now.Add(time.Hour)))
	c.put(c.generation(), row(s3, other, now.Add(time.Hour)))
	c.Notified("u:" + user.String())
	if _, ok := c.get(s1, user); ok {
		t.Fatal("served a session after its user's change was heard")
	}
	if _, ok := c.get(s2, user); ok {
		t.Fatal("served a session after its user's change was heard")
	}
	if _, ok := c.get(s3, other); !ok {
		t.Fatal("another user's session was dropped by a change that did not name it")
	}
	c.Notified("garbled")
	if _, ok := c.get(s3, other); ok {
		t.Fatal("a change the cache could not read left sessions in it")
	}

	// The process's own change.
	c.put(c.generation(), row(s3, other, now.Add(time.Hour)))
	c.forgetUser(other)
	if _, ok := c.get(s3, other); ok {
		t.Fatal("served a session the process itself changed")
	}

	// Never past the session's expiry, nor past the cache's minute.
	c.put(c.generation(), row(s1, user, now.Add(10*time.Second)))
	c.put(c.generation(), row(s2, user, now.Add(time.Hour)))
	now = now.Add(10 * time.Second)
	if _, ok := c.get(s1, user); ok {
		t.Fatal("served a session at its expiry")
	}
	if _, ok := c.get(s2, user); !ok {
		t.Fatal("dropped a session before its minute")
	}
	now = now.Add(sessionCacheTTL)
	if _, ok := c.get(s2, user); ok {
		t.Fatal("served a session past the cache's minute")
	}

	// When the listener stops, nothing is served, and nothing is kept until it listens again.
	c.put(c.generation(), row(s1, user, now.Add(time.Hour)))
	c.Listening(false)
	if _, ok := c.get(s1, user); ok {
		t.Fatal("served a session while changes could be missed")
	}
	c.put(c.generation(), row(s1, user, now.Add(time.Hour)))
	c.Listening(true)
	if _, ok := c.get(s1, user); ok {
		t.Fatal("kept a session read while changes could be missed")
	}

	// A nil cache (no listener) serves nothing and keeps nothing.
	var none *sessionCache
	none.put(none.generation(), row(s1, user, now.Add(time.Hour)))
	none.forgetUser(user)
	if _, ok := none.get(s1, user); ok {
		t.Fatal("a nil cache served a session")
	}
}
