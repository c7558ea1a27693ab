package api_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/bankforge/bank/db"
	"github.com/bankforge/bank/dev/testenv"
	"github.com/bankforge/bank/domain"
)

// The API keeps the sessions it authenticated in memory while it hears every change that may end
// one. A change made elsewhere (another API process, bankctl, a statement by hand) ends the session
// within the notification's delivery, not after the memory's minute; and what serves a known
// session is the memory indeed, which only that notification empties.
func TestSessions_AChangeMadeElsewhereEndsTheKeptSessionAtOnce(t *testing.T) {
	t.Parallel()
	h, owner := listeningHarness(t)
	ctx := context.Background()

	me := func(token string) int { return h.do("GET", "/v1/me", token, "").status }
	endsWithin := func(what, token string, d time.Duration) {
		t.Helper()
		deadline := time.Now().Add(d)
		for me(token) != http.StatusUnauthorized {
			if time.Now().After(deadline) {
				t.Fatalf("%s: the session still authenticates %s later", what, d)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	sessionOf := func(u user) string {
		var id string
		if err := owner.QueryRow(ctx, "SELECT id::text FROM sessions WHERE user_id = $1", u.ID).Scan(&id); err != nil {
			t.Fatal(err)
		}
		return id
	}

	revoked := h.user(domain.RoleClient)
	disabled := h.user(domain.RoleClient)
	for _, u := range []user{revoked, disabled} {
		for range 2 { // read, then kept
			if s := me(u.token); s != http.StatusOK {
				t.Fatalf("GET /v1/me = %d", s)
			}
		}
	}
	if _, err := owner.Exec(ctx, "UPDATE sessions SET revoked_at = now() WHERE id = $1", sessionOf(revoked)); err != nil {
		t.Fatal(err)
	}
	endsWithin("a session revoked by hand", revoked.token, 2*time.Second)
	if _, err := owner.Exec(ctx, "UPDATE users SET status = $1 WHERE id = $2", domain.UserDisabled, disabled.ID); err != nil {
		t.Fatal(err)
	}
	endsWithin("a user disabled by hand", disabled.token, 2*time.Second)

	// The negative control: with the trigger off, a session revoked by hand goes on authenticating
	// from memory (the database would refuse it), until the change is notified.
	kept := h.user(domain.RoleClient)
	for range 2 {
		if s := me(kept.token); s != http.StatusOK {
			t.Fatalf("GET /v1/me = %d", s)
		}
	}
	if _, err := owner.Exec(ctx, "ALTER TABLE sessions DISABLE TRIGGER sessions_notify_change"); err != nil {
		t.Fatal(err)
	}
	id := sessionOf(kept)
	if _, err := owner.Exec(ctx, "UPDATE sessions SET revoked_at = now() WHERE id = $1", id); err != nil {
		t.Fatal(err)
	}
	if s := me(kept.token); s != http.StatusOK {
		t.Fatalf("GET /v1/me = %d after a revocation nobody heard of; want 200 from the kept session (is the session kept at all?)", s)
	}
	if _, err := owner.Exec(ctx, "SELECT pg_notify($1, 's:' || $2)", db.SessionChangesChannel, id); err != nil {
		t.Fatal(err)
	}
	endsWithin("a session whose change is notified", kept.token, 2*time.Second)
}

// A session this process ends itself (logout) answers 401 to the very next request, with no wait
// for the notification.
func TestSessions_ALogoutHereEndsTheKeptSessionForTheNextRequest(t *testing.T) {
	t.Parallel()
	h, owner := listeningHarness(t)
	ctx := context.Background()
	// With the trigger off, only the process's own forgetting can end the kept session.
	if _, err := owner.Exec(ctx, "ALTER TABLE sessions DISABLE TRIGGER sessions_notify_change"); err != nil {
		t.Fatal(err)
	}
	u := h.user(domain.RoleClient)
	for range 2 {
		if r := h.do("GET", "/v1/me", u.token, ""); r.status != http.StatusOK {
			t.Fatalf("GET /v1/me = %d", r.status)
		}
	}
	if r := h.do("POST", "/v1/auth/logout", "", `{"refresh_token":"`+u.refresh+`"}`); r.status != http.StatusNoContent {
		t.Fatalf("logout = %d %s", r.status, r.body)
	}
	if r := h.do("GET", "/v1/me", u.token, ""); r.status != http.StatusUnauthorized {
		t.Fatalf("GET /v1/me right after the logout = %d; want 401", r.status)
	}
}

// listeningHarness is a harness on a database of its own, once its API listens for session
// changes, and a connection to that database as its owner (who can turn triggers off).
func listeningHarness(t *testing.T) (*harness, *pgx.Conn) {
	t.Helper()
	url := testenv.NewDatabase(t)
	h := newHarnessOn(t, url, testHashParams)
	owner, err := pgx.Connect(context.Background(), testenv.OwnerURL(url))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = owner.Close(context.Background()) })
	waitListening(t, owner)
	return h, owner
}

// waitListening waits until an API process listens for session changes on the database.
func waitListening(t *testing.T, owner *pgx.Conn) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		var n int
		if err := owner.QueryRow(context.Background(), `SELECT count(*) FROM pg_stat_activity
			WHERE datname = current_database() AND query = 'LISTEN "`+db.SessionChangesChannel+`"'`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n > 0 {
			time.Sleep(20 * time.Millisecond) // from the LISTEN's answer to the cache turning on
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("no API process listens for session changes")
		}
		time.Sleep(10 * time.Millisecond)
	}
}
