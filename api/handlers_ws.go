package api

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/coder/websocket"

	"github.com/bankforge/bank/db"
	"github.com/bankforge/bank/domain"
)

// The live events socket, GET /v1/ws. A client authenticates with its access token, never in the
// URL: in the Sec-WebSocket-Protocol header (`bearer, <token>`; the server selects `bearer`) or in
// a first message, {"type":"auth","token":...}, within SocketAuthTimeout. The server then sends the
// user's events ({id, type, created_at, data}) as they are appended (db.Event); a client that
// reconnects names the last id it saw (?after=id, "after" in its auth message, or later
// {"type":"resume","after":id}) and receives what it missed. Events live in PostgreSQL and each append is announced on
// a notification channel, so every API process behind a load balancer delivers every event.

// Close codes a client reads when the server ends its socket.
const (
	// closeBadMessage: a message the server does not take (not JSON, unknown type or field).
	closeBadMessage websocket.StatusCode = 4400
	// closeUnauthorized: the token is not valid, has expired, or its session ended (logout,
	// password change, the user disabled). Refresh the token, or log in, and reconnect.
	closeUnauthorized websocket.StatusCode = 4401
	// closeAuthTimeout: no auth message came in time.
	closeAuthTimeout websocket.StatusCode = 4408
	// closeTooManySockets: the user already holds MaxSocketsPerUser sockets on this process.
	closeTooManySockets websocket.StatusCode = 4429
)

// socketEvent is one event as the client reads it.
type socketEvent struct {
	ID        int64            `json:"id"`
	Type      domain.EventType `json:"type"`
	CreatedAt time.Time        `json:"created_at"`
	Data      json.RawMessage  `json:"data"`
}

// socketMessage is what a client may send: auth (first, when the header carried no token) and
// resume.
type socketMessage struct {
	Type  string `json:"type"`
	Token string `json:"token,omitempty"`
	After *int64 `json:"after,omitempty"`
}

const (
	// socketBatch bounds the events read from the database at once.
	socketBatch = 100
	// socketReadLimit bounds one message from a client (an auth message carries a token).
	socketReadLimit = maxTokenBytes + 256
	// socketMessagesPerMinute bounds what a client may send; past it the socket is closed.
	socketMessagesPerMinute = 30
)

// socketTokenParams are the query parameter names a token would travel under in a URL (where
// proxies and logs keep it): refused with 401, never read.
var socketTokenParams = []string{"access_token", "token", "bearer", "jwt", "auth"}

// refuseTokenInQuery answers 401 to a request that puts a token in its URL, before anything reads it.
func (s *server) refuseTokenInQuery(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		for _, name := range socketTokenParams {
			if q.Has(name) {
				s.writeError(w, r, newError(domain.CodeUnauthorized,
					"A token is never taken from the URL: send it in the Sec-WebSocket-Protocol header (bearer, <token>) or in the first message."))
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

// handshakeProblem says what keeps r from being a WebSocket handshake, or nil.
func handshakeProblem(w http.ResponseWriter, r *http.Request) error {
	hasToken := func(key, token string) bool {
		for _, v := range r.Header.Values(key) {
			for _, t := range strings.Split(v, ",") {
				if strings.EqualFold(strings.TrimSpace(t), token) {
					return true
				}
			}
		}
		return false
	}
	upgrade := func(detail string) error {
		w.Header().Set("Upgrade", "websocket")
		w.Header().Set("Connection", "Upgrade")
		w.Header().Set("Sec-WebSocket-Version", "13")
		return newError(domain.CodeUpgradeRequired, detail)
	}
	if !r.ProtoAtLeast(1, 1) || !hasToken("Connection", "upgrade") || !hasToken("Upgrade", "websocket") {
		return upgrade("Open a WebSocket: this route takes an HTTP/1.1 upgrade (Connection: Upgrade, Upgrade: websocket).")
	}
	if r.Header.Get("Sec-WebSocket-Version") != "13" {
		return upgrade("Only WebSocket version 13 is supported (Sec-WebSocket-Version: 13).")
	}
	keys := r.Header.Values("Sec-WebSocket-Key")
	if len(keys) != 1 {
		return upgrade("Send one Sec-WebSocket-Key header.")
	}
	if k, err := base64.StdEncoding.DecodeString(strings.TrimSpace(keys[0])); err != nil || len(k) != 16 {
		return upgrade("Sec-WebSocket-Key must be 16 bytes in base64.")
	}
	return nil
}

// headerToken returns the access token of the handshake's headers, if any: the element after
// `bearer` in Sec-WebSocket-Protocol (which browsers can set), or an Authorization bearer token
// (which other clients can), and whether it came in the protocol header.
func headerToken(r *http.Request) (tok string, inProtocol, ok bool) {
	var protocols []string
	for _, v := range r.Header.Values("Sec-WebSocket-Protocol") {
		for _, p := range strings.Split(v, ",") {
			protocols = append(protocols, strings.TrimSpace(p))
		}
	}
	for i, p := range protocols {
		if strings.EqualFold(p, "bearer") && i+1 < len(protocols) {
			return protocols[i+1], true, true
		}
	}
	if scheme, t, found := strings.Cut(r.Header.Get("Authorization"), " "); found && strings.EqualFold(scheme, "Bearer") && t != "" {
		return t, false, true
	}
	return "", false, false
}

// openSocket authenticates and upgrades GET /v1/ws, then serves the socket until it ends. What
// can be refused before the upgrade (a bad token in the header, a request that is no handshake, a
// user at their socket limit) is a 4xx problem; after it, a close code (closeUnauthorized...).
func (s *server) openSocket(w http.ResponseWriter, r *http.Request) error {
	var after *int64
	if q := r.URL.Query(); q.Has("after") {
		n, err := strconv.ParseInt(q.Get("after"), 10, 64)
		if err != nil || n < 0 || len(q["after"]) > 1 {
			var v validator
			v.add("after", "must be one event id, an integer from 0")
			return v.err()
		}
		after = &n
	}
	tok, inProtocol, hasToken := headerToken(r)
	var p principal
	if hasToken {
		var err error
		if p, err = s.tokenPrincipal(r.Context(), tok); err != nil {
			w.Header().Set("WWW-Authenticate", `Bearer realm="bank"`)
			return err
		}
	}
	if err := handshakeProblem(w, r); err != nil {
		if !hasToken {
			w.Header().Set("WWW-Authenticate", `Bearer realm="bank"`)
			return newError(domain.CodeUnauthorized, "Open a WebSocket and authenticate with an access token: in the Sec-WebSocket-Protocol header (bearer, <token>) or in the first message.")
		}
		return err
	}
	var release func()
	var start *int64
	if hasToken {
		var ok bool
		if release, ok = s.sockets.enter(p.UserID.String()); !ok {
			return newError(domain.CodeRateLimited, fmt.Sprintf("You have %d live sockets open already; close one first.", s.cfg.MaxSocketsPerUser))
		}
		defer release()
		// The socket's position is taken before the upgrade: every event committed after the
		// client reads the 101 reaches it.
		last, err := s.store.LastUserEventID(r.Context(), p.UserID)
		if err != nil {
			return &apiError{code: domain.CodeUnavailable, detail: "Live events are not available right now; reconnect later.", cause: fmt.Errorf("last event id: %w", err)}
		}
		start = &last
	}
	opts := &websocket.AcceptOptions{
		// The token travels in the handshake or the first message, never in a cookie: a page of
		// another origin cannot open an authenticated socket on its visitor's behalf, so any
		// origin may connect (the web app is served from elsewhere, APP_URL).
		InsecureSkipVerify: true,
		CompressionMode:    websocket.CompressionDisabled,
	}
	if inProtocol {
		opts.Subprotocols = []string{"bearer"}
	}
	conn, err := websocket.Accept(w, r, opts)
	if err != nil {
		// Accept answered the client itself; the handshake was checked above, so this is rare.
		s.logger.WarnContext(r.Context(), "websocket upgrade failed", "error", err)
		return nil
	}
	defer conn.CloseNow()
	defer s.metrics.SocketOpened()()
	conn.SetReadLimit(socketReadLimit)
	sock := &socket{s: s, conn: conn}
	sock.serve(r.Context(), p, start, after)
	return nil
}

// socket is one open connection.
type socket struct {
	s    *server
	conn *websocket.Conn
	user principal
	// cursor is the highest id sent on this socket; every id in (sentFrom, cursor] was sent or
	// was before the client's position when it connected.
	cursor, sentFrom int64
}

// serve runs the socket from start, the user's last event id when it was authenticated (nil: not
// yet, the first message carries the token): authentication by first message if needed, then
// delivery until the client leaves, the token expires, the session ends, the client is too slow,
// or the server shuts down. It returns once every goroutine it started has ended. The socket's
// context keeps the request's values (its id and span, for the log lines and queries of the socket),
// but ends when the process shuts down, not with the request's.
func (k *socket) serve(reqCtx context.Context, p principal, start, after *int64) {
	s := k.s
	ctx, cancel := context.WithCancel(context.WithoutCancel(reqCtx))
	defer cancel()
	defer context.AfterFunc(s.life, cancel)()

	// The reader has its own context: canceling a read closes the connection, and a shutdown
	// closes it with its code first.
	readCtx, stopReading := context.WithCancel(context.Background())
	messages := make(chan socketMessage, 1)
	readErr := make(chan error, 1)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		readErr <- k.readLoop(readCtx, messages)
	}()
	defer func() {
		cancel()
		k.conn.CloseNow()
		stopReading()
		wg.Wait()
	}()

	if start == nil { // not authenticated yet
		timer := time.NewTimer(s.cfg.SocketAuthTimeout)
		defer timer.Stop()
		select {
		case m := <-messages:
			if m.Type != "auth" || m.Token == "" {
				k.close(closeBadMessage, "the first message must be {\"type\":\"auth\",\"token\":...}")
				return
			}
			var err error
			if p, err = s.tokenPrincipal(ctx, m.Token); err != nil {
				k.close(closeUnauthorized, "the access token is not valid or its session has ended")
				return
			}
			release, ok := s.sockets.enter(p.UserID.String())
			if !ok {
				k.close(closeTooManySockets, "too many live sockets for this user")
				return
			}
			defer release()
			if m.After != nil {
				after = m.After
			}
		case <-timer.C:
			k.close(closeAuthTimeout, "no auth message in time")
			return
		case <-readErr:
			return
		case <-ctx.Done():
			k.close(websocket.StatusGoingAway, "the server is shutting down")
			return
		}
	}
	k.user = p

	if start == nil {
		last, err := s.store.LastUserEventID(ctx, p.UserID)
		if err != nil {
			s.logger.ErrorContext(ctx, "socket could not start", "error", err, "user_id", p.UserID.String())
			k.close(websocket.StatusTryAgainLater, "the service is unavailable; reconnect later")
			return
		}
		start = &last
	}
	k.cursor, k.sentFrom = *start, *start
	var bf backfill
	if after != nil {
		k.resume(&bf, *after)
	}

	expiry := time.NewTimer(time.Until(p.Expires))
	defer expiry.Stop()
	ping := time.NewTicker(s.cfg.SocketPingInterval)
	defer ping.Stop()
	check := time.NewTicker(s.cfg.SocketSessionCheck)
	defer check.Stop()

	var woken <-chan struct{}
	unsubscribe := func() {}
	defer func() { unsubscribe() }()
	poll := time.NewTicker(time.Second)
	defer poll.Stop()
	if s.userEvents != nil {
		poll.Stop() // notifications wake the socket; without a listener it reads every second
	}
	for {
		if woken == nil && s.userEvents != nil {
			// Subscribe before reading, so an event committed in between is not missed.
			woken, unsubscribe = s.userEvents.Subscribe(p.UserID.String())
		}
		if bf.on {
			if err := k.sendBackfill(ctx, &bf); err != nil {
				k.drop(ctx, err)
				return
			}
		}
		more, err := k.sendNew(ctx)
		if err != nil {
			k.drop(ctx, err)
			return
		}
		if more || bf.on {
			continue
		}
		select {
		case <-woken:
			woken = nil
			unsubscribe()
		case m := <-messages:
			if m.Type != "resume" || m.After == nil || m.Token != "" {
				k.close(closeBadMessage, "expected {\"type\":\"resume\",\"after\":id}")
				return
			}
			k.resume(&bf, *m.After)
		case <-poll.C:
		case <-readErr:
			return // the client closed the socket, or broke the protocol
		case <-expiry.C:
			k.close(closeUnauthorized, "the access token expired: refresh it and reconnect")
			return
		case <-check.C:
			if !k.sessionLive(ctx) {
				k.close(closeUnauthorized, "the session has ended: log in again")
				return
			}
		case <-ping.C:
			pctx, pcancel := context.WithTimeout(ctx, s.cfg.SocketWriteTimeout)
			err := k.conn.Ping(pctx)
			pcancel()
			if err != nil {
				k.drop(ctx, errSlowOrGone{fmt.Errorf("ping: %w", err)})
				return
			}
			// A missed notification (the listener reconnecting) costs at most a heartbeat.
			woken = nil
			unsubscribe()
		case <-ctx.Done():
			k.close(websocket.StatusGoingAway, "the server is shutting down")
			return
		}
	}
}

// backfill is a range of events (lo, hi] a resume asked for below those the socket had sent.
type backfill struct {
	lo, hi int64
	on     bool
}

// resume moves the socket to the client's position, after: the events above it that this socket
// has not sent are sent (those below what it sent, as a backfill), and none twice.
func (k *socket) resume(bf *backfill, after int64) {
	after = max(after, 0)
	switch {
	case after > k.cursor:
		// The client saw more than this socket sent (on another socket): skip to there.
		k.cursor, k.sentFrom, bf.on = after, after, false
	case after < k.sentFrom:
		if !bf.on {
			*bf = backfill{lo: after, hi: k.sentFrom, on: true}
		}
		bf.lo = min(bf.lo, after)
		k.sentFrom = after
	}
}

// sendNew sends the events after the cursor, a batch at a time, and reports whether more may wait.
func (k *socket) sendNew(ctx context.Context) (more bool, err error) {
	events, err := k.events(ctx, k.cursor)
	if err != nil {
		return false, err
	}
	for _, e := range events {
		if err := k.write(ctx, e); err != nil {
			return false, err
		}
		k.cursor = e.ID
	}
	return len(events) == socketBatch, nil
}

// sendBackfill sends one batch of a backfill, and ends it once done.
func (k *socket) sendBackfill(ctx context.Context, bf *backfill) error {
	events, err := k.events(ctx, bf.lo)
	if err != nil {
		return err
	}
	for _, e := range events {
		if e.ID > bf.hi {
			bf.on = false
			return nil
		}
		if err := k.write(ctx, e); err != nil {
			return err
		}
		bf.lo = e.ID
	}
	if len(events) < socketBatch || bf.lo >= bf.hi {
		bf.on = false
	}
	return nil
}

func (k *socket) events(ctx context.Context, after int64) ([]db.ListUserEventsAfterRow, error) {
	events, err := k.s.store.ListUserEventsAfter(ctx, db.ListUserEventsAfterParams{UserID: k.user.UserID, AfterID: after, MaxRows: socketBatch})
	if err != nil {
		return nil, fmt.Errorf("read events: %w", err)
	}
	return events, nil
}

// write sends one event within SocketWriteTimeout: a client that does not read it in time is
// dropped, and blocks no one else.
func (k *socket) write(ctx context.Context, e db.ListUserEventsAfterRow) error {
	b, err := json.Marshal(socketEvent{ID: e.ID, Type: e.Type, CreatedAt: e.CreatedAt.UTC(), Data: e.Data})
	if err != nil {
		return fmt.Errorf("encode event: %w", err)
	}
	wctx, cancel := context.WithTimeout(ctx, k.s.cfg.SocketWriteTimeout)
	defer cancel()
	if err := k.conn.Write(wctx, websocket.MessageText, b); err != nil {
		return errSlowOrGone{err}
	}
	return nil
}

// errSlowOrGone is a write that failed: the client stopped reading, or left.
type errSlowOrGone struct{ err error }

func (e errSlowOrGone) Error() string { return "write event: " + e.err.Error() }
func (e errSlowOrGone) Unwrap() error { return e.err }

// readLoop reads the client's messages until the socket ends, passing each on; a malformed one,
// or too many, closes the socket.
func (k *socket) readLoop(ctx context.Context, out chan<- socketMessage) error {
	window, count := time.Now(), 0
	for {
		typ, b, err := k.conn.Read(ctx)
		if err != nil {
			return err
		}
		if now := time.Now(); now.Sub(window) >= time.Minute {
			window, count = now, 0
		}
		if count++; count > socketMessagesPerMinute {
			k.close(websocket.StatusPolicyViolation, "too many messages")
			return errors.New("too many messages")
		}
		var m socketMessage
		if typ != websocket.MessageText || decodeStrict(b, &m) != nil {
			k.close(closeBadMessage, "messages are JSON objects: auth or resume")
			return errors.New("bad message")
		}
		select {
		case out <- m:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// sessionLive reports whether the socket's session is still live and its user active. A database
// that does not answer keeps the socket open: the next check asks again.
func (k *socket) sessionLive(ctx context.Context) bool {
	_, err := k.s.store.GetSessionPrincipal(ctx, db.GetSessionPrincipalParams{SessionID: k.user.SessionID, UserID: k.user.UserID, Active: domain.UserActive})
	if errors.Is(db.NotFound(err), db.ErrNotFound) {
		return false
	}
	if err != nil && ctx.Err() == nil {
		k.s.logger.WarnContext(ctx, "socket session check failed", "error", err, "user_id", k.user.UserID.String())
	}
	return true
}

// close ends the socket with a code and reason, the closing handshake bounded by the write timeout.
func (k *socket) close(code websocket.StatusCode, reason string) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = k.conn.Close(code, reason)
	}()
	select {
	case <-done:
	case <-time.After(k.s.cfg.SocketWriteTimeout):
		k.conn.CloseNow()
		<-done
	}
}

// drop ends a socket whose client is too slow or gone, at once; or, when the events could not be
// read, with 1013 (try again later).
func (k *socket) drop(ctx context.Context, err error) {
	var slow errSlowOrGone
	if errors.As(err, &slow) || errors.Is(err, context.Canceled) {
		k.s.logger.InfoContext(ctx, "socket dropped", "reason", "slow_or_gone", "user_id", k.user.UserID.String())
		k.conn.CloseNow()
		return
	}
	k.s.logger.WarnContext(ctx, "socket dropped", "error", err, "user_id", k.user.UserID.String())
	k.close(websocket.StatusTryAgainLater, "the service is unavailable; reconnect later")
}
