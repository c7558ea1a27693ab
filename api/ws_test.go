package api_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/google/uuid"
	"go.uber.org/goleak"

	"github.com/bankforge/bank/api"
	"github.com/bankforge/bank/db"
	"github.com/bankforge/bank/domain"
	"github.com/bankforge/bank/inbox"
)

type wsEvent struct {
	ID        int64            `json:"id"`
	Type      domain.EventType `json:"type"`
	CreatedAt time.Time        `json:"created_at"`
	Data      json.RawMessage  `json:"data"`
}

func wsURL(base string) string { return "ws" + strings.TrimPrefix(base, "http") + "/v1/ws" }

// dialBearer opens a socket with the token in Sec-WebSocket-Protocol, as a browser does.
func dialBearer(t *testing.T, base, token string, opts ...func(*websocket.DialOptions)) (*websocket.Conn, *http.Response, error) {
	t.Helper()
	o := &websocket.DialOptions{Subprotocols: []string{"bearer", token}}
	for _, f := range opts {
		f(o)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return websocket.Dial(ctx, wsURL(base), o)
}

func mustDialBearer(t *testing.T, base, token string) *websocket.Conn {
	t.Helper()
	c, resp, err := dialBearer(t, base, token)
	if err != nil {
		t.Fatalf("dial: %v (%v)", err, status(resp))
	}
	t.Cleanup(func() { c.CloseNow() })
	if c.Subprotocol() != "bearer" {
		t.Fatalf("selected subprotocol %q; want bearer", c.Subprotocol())
	}
	return c
}

// dialThenAuth opens a socket with no token and sends it in the first message.
func dialThenAuth(t *testing.T, base string, auth string) *websocket.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, resp, err := websocket.Dial(ctx, wsURL(base), nil)
	if err != nil {
		t.Fatalf("dial: %v (%v)", err, status(resp))
	}
	t.Cleanup(func() { c.CloseNow() })
	if auth != "" {
		if err := c.Write(ctx, websocket.MessageText, []byte(auth)); err != nil {
			t.Fatal(err)
		}
	}
	return c
}

func status(resp *http.Response) any {
	if resp == nil {
		return "no response"
	}
	return resp.StatusCode
}

// nextEvent reads one event, failing after within.
func nextEvent(t *testing.T, c *websocket.Conn, within time.Duration) wsEvent {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), within)
	defer cancel()
	typ, b, err := c.Read(ctx)
	if err != nil {
		t.Fatalf("read event: %v", err)
	}
	var e wsEvent
	if typ != websocket.MessageText || json.Unmarshal(b, &e) != nil || e.ID == 0 || e.Type == "" || e.CreatedAt.IsZero() {
		t.Fatalf("not an event: %s", b)
	}
	return e
}

// closedWith reads until the socket closes and returns the close code, failing after within or on
// an event.
func closedWith(t *testing.T, c *websocket.Conn, within time.Duration) websocket.StatusCode {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), within)
	defer cancel()
	_, b, err := c.Read(ctx)
	if err == nil {
		t.Fatalf("read %s; want the socket closed", b)
	}
	if ctx.Err() != nil {
		t.Fatalf("the socket stayed open for %s", within)
	}
	return websocket.CloseStatus(err)
}

func (h *harness) appendEvent(userID uuid.UUID, typ domain.EventType, data any) {
	h.t.Helper()
	if err := h.store.AppendUserEventsTx(context.Background(), db.Event{UserID: userID, Key: "test/" + uuid.NewString(), Type: typ, Data: data}); err != nil {
		h.t.Fatal(err)
	}
}

// A socket authenticated in its handshake receives its user's events as they are appended, and
// never another user's.
func TestSocket_HeaderAuthDeliversOwnEventsOnly(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	alice, bob := h.user(domain.RoleClient), h.user(domain.RoleClient)
	ca, cb := mustDialBearer(t, h.srv.URL, alice.token), mustDialBearer(t, h.srv.URL, bob.token)
	time.Sleep(100 * time.Millisecond) // both sockets subscribed
	h.appendEvent(bob.ID, domain.EventTransferReceived, map[string]any{"for": "bob"})
	h.appendEvent(alice.ID, domain.EventNotificationCreated, map[string]any{"for": "alice", "n": 1})
	h.appendEvent(alice.ID, domain.EventAccountFrozen, map[string]any{"for": "alice", "n": 2})
	for i, want := range []domain.EventType{domain.EventNotificationCreated, domain.EventAccountFrozen} {
		e := nextEvent(t, ca, time.Second)
		if e.ID != int64(i+1) || e.Type != want || !strings.Contains(string(e.Data), `"for":"alice"`) {
			t.Fatalf("alice's event %d: %+v %s", i, e, e.Data)
		}
	}
	if e := nextEvent(t, cb, time.Second); e.ID != 1 || e.Type != domain.EventTransferReceived || !strings.Contains(string(e.Data), `"for":"bob"`) {
		t.Fatalf("bob's event: %+v %s", e, e.Data)
	}
	// Nothing of bob's reached alice: her next event is her own.
	h.appendEvent(alice.ID, domain.EventAccountUnfrozen, map[string]any{"for": "alice", "n": 3})
	if e := nextEvent(t, ca, time.Second); e.ID != 3 || !strings.Contains(string(e.Data), `"n":3`) {
		t.Fatalf("alice's third event: %+v %s", e, e.Data)
	}
}

// A client that cannot set headers other than the protocol (or any client) may send the token in
// its first message instead.
func TestSocket_FirstMessageAuth(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	u := h.user(domain.RoleClient)
	c := dialThenAuth(t, h.srv.URL, fmt.Sprintf(`{"type":"auth","token":%q}`, u.token))
	time.Sleep(100 * time.Millisecond)
	h.appendEvent(u.ID, domain.EventTransferCompleted, map[string]any{"x": 1})
	if e := nextEvent(t, c, time.Second); e.Type != domain.EventTransferCompleted {
		t.Fatalf("event: %+v", e)
	}
}

// A socket that does not authenticate in time, or with a bad token, or with a message that is not
// an auth message, is closed with its code.
func TestSocket_FirstMessageAuthRefusals(t *testing.T) {
	t.Parallel()
	h := newHarness(t, func(c *api.Config) { c.SocketAuthTimeout = 300 * time.Millisecond })
	u := h.user(domain.RoleClient)
	start := time.Now()
	if code := closedWith(t, dialThenAuth(t, h.srv.URL, ""), 3*time.Second); code != 4408 {
		t.Fatalf("no auth message: closed with %d; want 4408", code)
	}
	if d := time.Since(start); d < 250*time.Millisecond {
		t.Fatalf("closed after %s, before the auth timeout", d)
	}
	for name, msg := range map[string]string{
		"bad token":     `{"type":"auth","token":"e30.e30.c2ln"}`,
		"refresh token": fmt.Sprintf(`{"type":"auth","token":%q}`, u.refresh),
	} {
		if code := closedWith(t, dialThenAuth(t, h.srv.URL, msg), 3*time.Second); code != 4401 {
			t.Errorf("%s: closed with %d; want 4401", name, code)
		}
	}
	for name, msg := range map[string]string{
		"not json":      `hello`,
		"unknown field": fmt.Sprintf(`{"type":"auth","token":%q,"role":"admin"}`, u.token),
		"resume first":  `{"type":"resume","after":1}`,
	} {
		if code := closedWith(t, dialThenAuth(t, h.srv.URL, msg), 3*time.Second); code != 4400 {
			t.Errorf("%s: closed with %d; want 4400", name, code)
		}
	}
}

// What can be refused before the upgrade is a 4xx problem, never a 101 nor a 500: a bad or expired
// token in the header, a token in the URL, a request that is not a handshake.
func TestSocket_RefusedBeforeTheUpgrade(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	u := h.user(domain.RoleClient)
	problem := func(name string, resp *http.Response, err error, want int) {
		t.Helper()
		if err == nil || resp == nil || resp.StatusCode != want || resp.Header.Get("Content-Type") != "application/problem+json" {
			t.Errorf("%s: %v %v; want a %d problem", name, err, status(resp), want)
		}
	}
	_, resp, err := dialBearer(t, h.srv.URL, "e30.e30.c2ln")
	problem("bad token", resp, err, http.StatusUnauthorized)
	_, resp, err = dialBearer(t, h.srv.URL, u.refresh)
	problem("refresh token", resp, err, http.StatusUnauthorized)
	_, resp, err = dialBearer(t, h.srv.URL, strings.Repeat("a", 5000))
	problem("oversized token", resp, err, http.StatusUnauthorized)

	// A token in the query string is refused, even a valid one, and even with no other credential.
	ctx := context.Background()
	for _, q := range []string{"?access_token=", "?token="} {
		_, resp, err = websocket.Dial(ctx, wsURL(h.srv.URL)+q+u.token, nil)
		problem(q, resp, err, http.StatusUnauthorized)
	}
	// Not a handshake: signed out 401, signed in 426.
	r := h.do("GET", "/v1/ws", "", "")
	requireCode(t, r, http.StatusUnauthorized, domain.CodeUnauthorized)
	r = h.do("GET", "/v1/ws", u.token, "")
	requireCode(t, r, http.StatusUpgradeRequired, domain.CodeUpgradeRequired)
	r = h.do("GET", "/v1/ws", u.token, "", "Connection", "Upgrade", "Upgrade", "websocket", "Sec-WebSocket-Version", "8", "Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==")
	requireCode(t, r, http.StatusUpgradeRequired, domain.CodeUpgradeRequired)
	r = h.do("GET", "/v1/ws", u.token, "", "Connection", "Upgrade", "Upgrade", "websocket", "Sec-WebSocket-Version", "13", "Sec-WebSocket-Key", "short")
	requireCode(t, r, http.StatusUpgradeRequired, domain.CodeUpgradeRequired)
	r = h.do("POST", "/v1/ws", u.token, "")
	requireCode(t, r, http.StatusMethodNotAllowed, domain.CodeMethodNotAllowed)
	// And a valid header still opens it.
	mustDialBearer(t, h.srv.URL, u.token)
}

// A reconnecting client names the last id it saw and receives what it missed, once, in order.
func TestSocket_ResumeAfterReconnect(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	u := h.user(domain.RoleClient)
	c := mustDialBearer(t, h.srv.URL, u.token)
	time.Sleep(100 * time.Millisecond)
	for i := 1; i <= 3; i++ {
		h.appendEvent(u.ID, domain.EventNotificationCreated, map[string]any{"n": i})
	}
	for i := 1; i <= 3; i++ {
		if e := nextEvent(t, c, time.Second); e.ID != int64(i) {
			t.Fatalf("event %d has id %d", i, e.ID)
		}
	}
	c.Close(websocket.StatusNormalClosure, "")
	// Missed while away.
	for i := 4; i <= 6; i++ {
		h.appendEvent(u.ID, domain.EventNotificationCreated, map[string]any{"n": i})
	}

	// In the auth message.
	c = dialThenAuth(t, h.srv.URL, fmt.Sprintf(`{"type":"auth","token":%q,"after":3}`, u.token))
	for i := 4; i <= 6; i++ {
		if e := nextEvent(t, c, time.Second); e.ID != int64(i) || !strings.Contains(string(e.Data), fmt.Sprintf(`"n":%d`, i)) {
			t.Fatalf("resumed event %d: %+v %s", i, e, e.Data)
		}
	}
	c.Close(websocket.StatusNormalClosure, "")

	// In the URL, with the token in the header; a bad position is refused before the upgrade.
	ctx := context.Background()
	c, resp, err := websocket.Dial(ctx, wsURL(h.srv.URL)+"?after=4", &websocket.DialOptions{Subprotocols: []string{"bearer", u.token}})
	if err != nil {
		t.Fatalf("dial with ?after=4: %v (%v)", err, status(resp))
	}
	for i := 5; i <= 6; i++ {
		if e := nextEvent(t, c, time.Second); e.ID != int64(i) {
			t.Fatalf("event after ?after=4 has id %d; want %d", e.ID, i)
		}
	}
	c.Close(websocket.StatusNormalClosure, "")
	for _, bad := range []string{"-1", "x", "1&after=2"} {
		_, resp, err := websocket.Dial(ctx, wsURL(h.srv.URL)+"?after="+bad, &websocket.DialOptions{Subprotocols: []string{"bearer", u.token}})
		if err == nil || resp == nil || resp.StatusCode != http.StatusUnprocessableEntity {
			t.Fatalf("?after=%s: %v %v; want 422", bad, err, status(resp))
		}
	}

	// With a resume message on a socket authenticated by its header, then live events go on.
	c = mustDialBearer(t, h.srv.URL, u.token)
	if err := c.Write(ctx, websocket.MessageText, []byte(`{"type":"resume","after":4}`)); err != nil {
		t.Fatal(err)
	}
	for i := 5; i <= 6; i++ {
		if e := nextEvent(t, c, time.Second); e.ID != int64(i) {
			t.Fatalf("resumed event has id %d; want %d", e.ID, i)
		}
	}
	h.appendEvent(u.ID, domain.EventNotificationCreated, map[string]any{"n": 7})
	if e := nextEvent(t, c, time.Second); e.ID != 7 {
		t.Fatalf("live event after resume has id %d; want 7", e.ID)
	}
	// Resuming again from where the socket is sends nothing twice.
	if err := c.Write(ctx, websocket.MessageText, []byte(`{"type":"resume","after":7}`)); err != nil {
		t.Fatal(err)
	}
	h.appendEvent(u.ID, domain.EventNotificationCreated, map[string]any{"n": 8})
	if e := nextEvent(t, c, time.Second); e.ID != 8 {
		t.Fatalf("next event has id %d; want 8", e.ID)
	}
	// A bad resume closes the socket.
	if err := c.Write(ctx, websocket.MessageText, []byte(`{"type":"resume","after":"x"}`)); err != nil {
		t.Fatal(err)
	}
	if code := closedWith(t, c, 2*time.Second); code != 4400 {
		t.Fatalf("bad resume: closed with %d; want 4400", code)
	}
}

// A user holds at most MaxSocketsPerUser sockets; one more is refused (429 before the upgrade, or
// 4429 after a first-message auth), and closing one frees its place.
func TestSocket_PerUserCap(t *testing.T) {
	t.Parallel()
	h := newHarness(t, func(c *api.Config) { c.MaxSocketsPerUser = 2 })
	u, other := h.user(domain.RoleClient), h.user(domain.RoleClient)
	c1 := mustDialBearer(t, h.srv.URL, u.token)
	mustDialBearer(t, h.srv.URL, u.token)
	_, resp, err := dialBearer(t, h.srv.URL, u.token)
	if err == nil || resp == nil || resp.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("third socket: %v %v; want 429", err, status(resp))
	}
	if code := closedWith(t, dialThenAuth(t, h.srv.URL, fmt.Sprintf(`{"type":"auth","token":%q}`, u.token)), 3*time.Second); code != 4429 {
		t.Fatalf("third socket by message: closed with %d; want 4429", code)
	}
	mustDialBearer(t, h.srv.URL, other.token) // another user's places are their own
	c1.Close(websocket.StatusNormalClosure, "")
	deadline := time.Now().Add(3 * time.Second)
	for {
		c, _, err := dialBearer(t, h.srv.URL, u.token)
		if err == nil {
			c.CloseNow()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the closed socket's place was not freed: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// smallBuffers makes a connection's kernel buffers small, so a client that stops reading blocks
// the server's writes quickly.
type smallBuffers struct{ net.Listener }

func (l smallBuffers) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if tc, ok := c.(*net.TCPConn); ok {
		_ = tc.SetWriteBuffer(4096)
	}
	return c, err
}

func smallReadBuffer(o *websocket.DialOptions) {
	o.HTTPClient = &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := (&net.Dialer{}).DialContext(ctx, network, addr)
		if tc, ok := c.(*net.TCPConn); ok {
			_ = tc.SetReadBuffer(4096)
		}
		return c, err
	}}}
}

// A client that stops reading is dropped once a write outlasts SocketWriteTimeout, and slows no one
// else: another user's socket gets its event at once, and the appends never wait.
func TestSocket_SlowConsumerIsDropped(t *testing.T) {
	t.Parallel()
	h := newHarness(t, func(c *api.Config) {
		c.SocketWriteTimeout = 300 * time.Millisecond
		c.MaxSocketsPerUser = 1
	})
	srv := httptest.NewUnstartedServer(h.handler)
	srv.Listener = smallBuffers{srv.Listener}
	srv.Start()
	t.Cleanup(srv.Close)
	slow, fast := h.user(domain.RoleClient), h.user(domain.RoleClient)
	sc, resp, err := dialBearer(t, srv.URL, slow.token, smallReadBuffer)
	if err != nil {
		t.Fatalf("dial: %v %v", err, status(resp))
	}
	defer sc.CloseNow() // never read
	fc := mustDialBearer(t, srv.URL, fast.token)
	time.Sleep(100 * time.Millisecond)

	pad := strings.Repeat("x", 32<<10)
	start := time.Now()
	for i := 0; i < 60; i++ { // about 2 MB the slow client never reads
		h.appendEvent(slow.ID, domain.EventNotificationCreated, map[string]any{"n": i, "pad": pad})
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("appending took %s: a slow consumer held the writers up", d)
	}
	h.appendEvent(fast.ID, domain.EventTransferReceived, map[string]any{"n": 1})
	if e := nextEvent(t, fc, time.Second); e.Type != domain.EventTransferReceived {
		t.Fatalf("fast client's event: %+v", e)
	}
	// The slow client's socket was dropped: its one place is free again.
	deadline := time.Now().Add(5 * time.Second)
	for {
		c, _, err := dialBearer(t, srv.URL, slow.token)
		if err == nil {
			c.CloseNow()
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the slow client's socket is still held: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// The server pings every SocketPingInterval: a reading client stays connected across many pings,
// and a silent one (no pong) is dropped.
func TestSocket_HeartbeatKeepsReadersAndDropsTheSilent(t *testing.T) {
	t.Parallel()
	h := newHarness(t, func(c *api.Config) {
		c.SocketPingInterval = 100 * time.Millisecond
		c.SocketWriteTimeout = 200 * time.Millisecond
		c.MaxSocketsPerUser = 1
	})
	reader, silent := h.user(domain.RoleClient), h.user(domain.RoleClient)
	rc := mustDialBearer(t, h.srv.URL, reader.token)
	sc := mustDialBearer(t, h.srv.URL, silent.token) // never reads: pings go unanswered
	events := make(chan []byte, 1)
	go func() {
		// The reading client answers pings inside Read.
		_, b, _ := rc.Read(context.Background())
		events <- b
	}()
	time.Sleep(time.Second) // ten pings
	h.appendEvent(reader.ID, domain.EventNotificationCreated, map[string]any{"n": 1})
	select {
	case b := <-events:
		if !strings.Contains(string(b), `"id":1`) {
			t.Fatalf("the reading client got %q; want its event", b)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("the reading client got nothing")
	}
	deadline := time.Now().Add(3 * time.Second)
	for {
		c, _, err := dialBearer(t, h.srv.URL, silent.token)
		if err == nil {
			c.CloseNow()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the silent client was not dropped: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	sc.CloseNow()
}

// A socket closes (4401) when its token expires, when its session ends (logout everywhere, a
// password change) and when its user is disabled.
func TestSocket_ClosesOnExpiryRevocationAndDisable(t *testing.T) {
	t.Parallel()
	h := newHarness(t, func(c *api.Config) { c.SocketSessionCheck = 100 * time.Millisecond })
	admin := h.user(domain.RoleAdmin)
	loggedOut, disabled, bystander := h.user(domain.RoleClient), h.user(domain.RoleClient), h.user(domain.RoleClient)
	c1 := mustDialBearer(t, h.srv.URL, loggedOut.token)
	c2 := mustDialBearer(t, h.srv.URL, disabled.token)
	c3 := mustDialBearer(t, h.srv.URL, bystander.token)
	if r := h.do("POST", "/v1/auth/logout-all", loggedOut.token, ""); r.status != http.StatusNoContent {
		t.Fatalf("logout-all: %d %s", r.status, r.body)
	}
	if code := closedWith(t, c1, 2*time.Second); code != 4401 {
		t.Fatalf("after logout: closed with %d; want 4401", code)
	}
	if r := h.do("POST", "/v1/admin/users/"+disabled.ID.String()+"/disable", admin.token, `{"note":"test"}`); r.status != http.StatusOK {
		t.Fatalf("disable: %d %s", r.status, r.body)
	}
	if code := closedWith(t, c2, 2*time.Second); code != 4401 {
		t.Fatalf("after disable: closed with %d; want 4401", code)
	}
	// The bystander's socket is open still, and delivering.
	h.appendEvent(bystander.ID, domain.EventNotificationCreated, map[string]any{"n": 1})
	if e := nextEvent(t, c3, time.Second); e.ID != 1 {
		t.Fatalf("bystander's event: %+v", e)
	}

	short := newHarness(t, func(c *api.Config) { c.AccessTTL = 1500 * time.Millisecond })
	u := short.user(domain.RoleClient)
	var claims struct{ Exp int64 }
	payload, _ := base64.RawURLEncoding.DecodeString(strings.Split(u.token, ".")[1])
	if err := json.Unmarshal(payload, &claims); err != nil || claims.Exp == 0 {
		t.Fatalf("token payload %s: %v", payload, err)
	}
	c := mustDialBearer(t, short.srv.URL, u.token)
	if code := closedWith(t, c, 5*time.Second); code != 4401 {
		t.Fatalf("at expiry: closed with %d; want 4401", code)
	}
	if now, exp := time.Now(), time.Unix(claims.Exp, 0); now.Before(exp.Add(-50 * time.Millisecond)) {
		t.Fatalf("closed at %s, before the token expired at %s", now, exp)
	}
}

// Every way a socket ends leaves no goroutine behind: the client's close, the server's closes
// (auth timeout, bad message, session ended), a dropped slow client, and the server shutting down.
func TestSocket_NoGoroutineLeftBehind(t *testing.T) {
	// Not parallel: the goroutines of other tests would count. The package's MongoDB server and
	// client (newInbox) live as long as the test binary: started first, they are not this test's.
	newInbox(t)
	opts := []goleak.Option{
		goleak.IgnoreCurrent(),
		// The test's own HTTP calls keep idle keep-alive connections.
		goleak.IgnoreAnyFunction("net/http.(*persistConn).readLoop"),
		goleak.IgnoreAnyFunction("net/http.(*persistConn).writeLoop"),
	}
	t.Cleanup(func() {
		http.DefaultClient.CloseIdleConnections()
		goleak.VerifyNone(t, opts...)
	})
	h := newHarness(t, func(c *api.Config) {
		c.SocketAuthTimeout = 200 * time.Millisecond
		c.SocketSessionCheck = 100 * time.Millisecond
		c.SocketWriteTimeout = 200 * time.Millisecond
		c.SocketPingInterval = 100 * time.Millisecond
	})
	u, gone := h.user(domain.RoleClient), h.user(domain.RoleClient)

	c := mustDialBearer(t, h.srv.URL, u.token)
	h.appendEvent(u.ID, domain.EventNotificationCreated, map[string]any{"n": 1})
	nextEvent(t, c, time.Second)
	c.Close(websocket.StatusNormalClosure, "bye")

	closedWith(t, dialThenAuth(t, h.srv.URL, ""), 2*time.Second)
	closedWith(t, dialThenAuth(t, h.srv.URL, "nope"), 2*time.Second)

	g := mustDialBearer(t, h.srv.URL, gone.token)
	h.do("POST", "/v1/auth/logout-all", gone.token, "")
	closedWith(t, g, 2*time.Second)

	silent := mustDialBearer(t, h.srv.URL, u.token) // dropped by its unanswered pings
	time.Sleep(600 * time.Millisecond)
	silent.CloseNow()

	// Open at the end: the test's end shuts the server's sockets down.
	last := dialThenAuth(t, h.srv.URL, fmt.Sprintf(`{"type":"auth","token":%q}`, u.token))
	go func() { _, _, _ = last.Read(context.Background()) }()
	time.Sleep(100 * time.Millisecond)
}

// A socket delivers the events written by the steps (db.Event through the outbox), whatever wrote
// them, through the PostgreSQL notification: the ids grow by one per user with no gap, and a key
// written twice is one event.
func TestSocket_AppendOnceByKey(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	u := h.user(domain.RoleClient)
	c := mustDialBearer(t, h.srv.URL, u.token)
	time.Sleep(100 * time.Millisecond)
	ctx := context.Background()
	ev := db.Event{UserID: u.ID, Key: "notification/x", Type: domain.EventNotificationCreated, Data: map[string]any{"id": "x"}}
	for i := 0; i < 2; i++ {
		if err := h.store.WriteOutboxTx(ctx, nil, []db.Event{ev}); err != nil {
			t.Fatal(err)
		}
	}
	h.appendEvent(u.ID, domain.EventNotificationCreated, map[string]any{"id": "y"})
	if e := nextEvent(t, c, time.Second); e.ID != 1 || !strings.Contains(string(e.Data), `"x"`) {
		t.Fatalf("first: %+v %s", e, e.Data)
	}
	if e := nextEvent(t, c, time.Second); e.ID != 2 || !strings.Contains(string(e.Data), `"y"`) {
		t.Fatalf("second: %+v %s; the retried key must not be a second event", e, e.Data)
	}
	// A bad event is refused, and nothing is appended.
	if err := h.store.AppendUserEventsTx(ctx, db.Event{UserID: u.ID, Key: "k", Type: "account.deleted", Data: map[string]any{}}); err == nil {
		t.Fatal("an unknown type was appended")
	}
	if last, err := h.store.LastUserEventID(ctx, u.ID); err != nil || last != 2 {
		t.Fatalf("last id %d %v; want 2", last, err)
	}
}

// A notification the API writes itself (here, of a password change) reaches the user's socket as
// it reaches their inbox: a notification.created event with the inbox's view of it, public id
// included, and nothing of the facts its email is written from.
func TestSocket_TellsTheAPIsOwnNotifications(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	alice := h.user(domain.RoleClient)
	c := mustDialBearer(t, h.srv.URL, alice.token)
	time.Sleep(100 * time.Millisecond) // subscribed
	body := `{"current_password":"` + alice.password + `","new_password":"another-Horse-battery-9"}`
	if r := h.do("POST", "/v1/me/password", alice.token, body); r.status != http.StatusNoContent {
		t.Fatalf("change password: %d %s", r.status, r.body)
	}
	e := nextEvent(t, c, 2*time.Second)
	var n struct {
		ID   string                  `json:"id"`
		Kind domain.NotificationKind `json:"kind"`
	}
	if err := json.Unmarshal(e.Data, &n); err != nil || e.Type != domain.EventNotificationCreated || n.Kind != domain.NotificationPasswordChanged {
		t.Fatalf("event %+v %s", e, e.Data)
	}
	notes := h.ofKind(alice, domain.NotificationPasswordChanged)
	if len(notes) != 1 || n.ID != inbox.PublicID(notes[0].ID) {
		t.Fatalf("event's notification %q; the inbox has %+v", n.ID, notes)
	}
	if strings.Contains(strings.ToLower(string(e.Data)), "facts") {
		t.Fatalf("the event carries the email's facts: %s", e.Data)
	}
}
