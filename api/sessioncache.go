package api

import (
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/bankforge/bank/db"
)

// SessionChanges tells of the changes that may end a session (db.Listener on
// db.SessionChangesChannel): the API keeps the sessions it authenticated while it hears them.
type SessionChanges interface {
	Observe(db.ChannelObserver)
}

// sessionCacheTTL bounds how long a session is kept without being read again: a backstop, since a
// change that ends it removes it at once.
const sessionCacheTTL = time.Minute

// maxCachedSessions bounds the memory of the cache: when full it starts again empty.
const maxCachedSessions = 50_000

// sessionCache keeps the principals of the sessions this process authenticated, so that a request
// with a known access token costs no read of its session. It is consulted only while its listener
// listens: every change that may end a session (revocation, a shorter expiry, the user disabled or
// given another role or email) is notified at its commit, by a trigger, and removes what it names;
// the changes this process makes itself remove it before their request answers. While the
// listener does not listen (before it starts, after its connection dropped), nothing is kept and
// every request reads its session, as it would without the cache.
type sessionCache struct {
	mu   sync.Mutex
	live bool
	// gen counts the changes heard: a read that began before one is not kept, since it may be the
	// state that change ended.
	gen     uint64
	entries map[uuid.UUID]cachedSession
	now     func() time.Time
}

type cachedSession struct {
	row   db.GetSessionPrincipalRow
	until time.Time
}

func newSessionCache(now func() time.Time) *sessionCache {
	return &sessionCache{entries: map[uuid.UUID]cachedSession{}, now: now}
}

// get returns the session's principal when it is kept for this user and still valid.
func (c *sessionCache) get(sessionID, userID uuid.UUID) (db.GetSessionPrincipalRow, bool) {
	if c == nil {
		return db.GetSessionPrincipalRow{}, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[sessionID]
	if !ok || !c.live || e.row.UserID != userID || !c.now().Before(e.until) {
		return db.GetSessionPrincipalRow{}, false
	}
	return e.row, true
}

// generation is the count of changes heard so far, to give put for a read that starts now.
func (c *sessionCache) generation() uint64 {
	if c == nil {
		return 0
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.gen
}

// put keeps row, read after generation returned gen, unless a change was heard since (or the
// listener does not listen).
func (c *sessionCache) put(gen uint64, row db.GetSessionPrincipalRow) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.live || gen != c.gen {
		return
	}
	if len(c.entries) >= maxCachedSessions {
		c.entries = map[uuid.UUID]cachedSession{}
	}
	until := c.now().Add(sessionCacheTTL)
	if row.ExpiresAt.Before(until) {
		until = row.ExpiresAt
	}
	c.entries[row.SessionID] = cachedSession{row: row, until: until}
}

// forgetUser removes every kept session of the user: this process changed them or the user.
func (c *sessionCache) forgetUser(userID uuid.UUID) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	c.dropUser(userID)
}

func (c *sessionCache) dropUser(userID uuid.UUID) {
	for id, e := range c.entries {
		if e.row.UserID == userID {
			delete(c.entries, id)
		}
	}
}

// Notified removes what a change names ('s:<session id>' or 'u:<user id>'); anything else empties
// the cache.
func (c *sessionCache) Notified(payload string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	kind, rest, _ := strings.Cut(payload, ":")
	id, err := uuid.Parse(rest)
	switch {
	case err == nil && kind == "s":
		delete(c.entries, id)
	case err == nil && kind == "u":
		c.dropUser(id)
	default:
		c.entries = map[uuid.UUID]cachedSession{}
	}
}

// Listening turns the cache on once changes are heard, and empties and turns it off as soon as they
// may be missed.
func (c *sessionCache) Listening(on bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	c.live = on
	c.entries = map[uuid.UUID]cachedSession{}
}
