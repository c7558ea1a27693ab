package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/google/uuid"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	tlog "go.temporal.io/sdk/log"

	"github.com/bankforge/bank/db"
	"github.com/bankforge/bank/dev/bankclient"
	"github.com/bankforge/bank/dev/composefile"
	"github.com/bankforge/bank/dev/stack"
	"github.com/bankforge/bank/dev/testenv"
	"github.com/bankforge/bank/domain"
	"github.com/bankforge/bank/internal/backends"
	"github.com/bankforge/bank/internal/bankworker"
	"github.com/bankforge/bank/internal/logctx"
	"github.com/bankforge/bank/internal/password"
	"github.com/bankforge/bank/workflows"
)

// One transfer, asked for with a W3C traceparent and an X-Request-Id, through the API this command
// serves, on a real Temporal dev server, PostgreSQL and the Mongo wire server: every span is in the
// caller's trace, chained from the request to the workflow's start, its run, each activity and
// their queries; the request's and the activities' log lines carry the request id and the trace.
// The workflow runs on a worker wired as the worker binary wires it, or on the API's own worker
// when it starts transfers eagerly. Untraced, the log lines still carry the request id.
func TestTransfer_OneTraceAndCorrelatedLogs(t *testing.T) {
	dbURL := testenv.NewDatabase(t)
	mongoURI := testenv.Mongo(t)
	temporalAddr := testenv.Temporal(t)
	store := testenv.Connect(t, dbURL)
	alice, alicePass := customer(t, store)
	bob, _ := customer(t, store)
	from := openAccount(t, store, alice, 100_00)
	to := openAccount(t, store, bob, 0)
	tc, err := client.Dial(client.Options{HostPort: temporalAddr, Logger: tlog.NewStructuredLogger(slog.New(slog.DiscardHandler))})
	if err != nil {
		t.Fatal(err)
	}
	defer tc.Close()

	for _, mode := range []struct {
		name          string
		eager, traced bool
	}{{"worker", false, true}, {"eager", true, true}, {"untraced", false, false}} {
		eager := mode.eager
		t.Run(mode.name, func(t *testing.T) {
			port, err := stack.FreePort()
			if err != nil {
				t.Fatal(err)
			}
			cfg, err := loadConfig((&composefile.Recorder{Env: map[string]string{
				"DATABASE_URL": dbURL, "MONGO_URI": mongoURI, "TEMPORAL_ADDRESS": temporalAddr,
				"HTTP_ADDR": "127.0.0.1:" + strconv.Itoa(port), "JWT_SECRET": randomLookingSecret, "PAYLOAD_CODEC_KEYS": payloadKeys,
				"TRANSFER_EAGER_START": strconv.FormatBool(eager), "LOG_LEVEL": "debug", "WEB_DIR": t.TempDir(),
				"METRICS_ADDR": "127.0.0.1:0",
			}}).Lookup)
			if err != nil {
				t.Fatal(err)
			}
			spans := tracetest.NewInMemoryExporter()
			var tp trace.TracerProvider // nil: tracing off, as main has it without an OTLP endpoint
			if mode.traced {
				tp = sdktrace.NewTracerProvider(sdktrace.WithSyncer(spans))
			}
			logs := &syncBuffer{}
			logger := slog.New(logctx.NewHandler(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})))
			if !eager {
				startWorker(t, cfg, logger, tp)
			}
			base := startAPI(t, cfg, logger, tp)
			c := bankclient.New(base)
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			tok, err := c.Login(ctx, alice.Email, alicePass)
			if err != nil {
				t.Fatal(err)
			}
			checkTransferTrace(t, c.As(tok.AccessToken), tc, from, to, mode.traced, spans, logs)
			if mode.traced {
				checkSocketTraced(t, base, tok.AccessToken, spans)
			}
		})
	}
}

// startAPI serves the API of cfg until t ends and returns its URL once it answers.
func startAPI(t *testing.T, cfg config, logger *slog.Logger, tp trace.TracerProvider) string {
	t.Helper()
	ctx, stop := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- serve(ctx, cfg, logger, tp) }()
	t.Cleanup(func() {
		stop()
		if err := <-served; err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	base := "http://" + cfg.HTTPAddr
	waitHealthy(t, base, served)
	return base
}

// startWorker runs a bank worker until t ends, connected as the worker binary connects.
func startWorker(t *testing.T, cfg config, logger *slog.Logger, tp trace.TracerProvider) {
	t.Helper()
	b, closeBackends, err := backends.Connect(context.Background(), cfg.Backends, logger, backends.Telemetry{Tracer: tp})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(closeBackends)
	w, err := bankworker.New(b.Temporal, cfg.API.TaskQueue, cfg.Worker, b.Store, b.Audit, b.Inbox, nil, logger)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(w.Stop)
}

// checkTransferTrace moves money from one account to the other as c, and checks the spans (when
// traced) and the log lines of the transfer.
func checkTransferTrace(t *testing.T, c *bankclient.Client, tc client.Client, from, to db.Account, traced bool, spans *tracetest.InMemoryExporter, logs *syncBuffer) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	// The caller's trace, which the request joins.
	callerTrace, callerSpan := trace.TraceID(uuid.New()).String(), "00f067aa0ba902b7"
	requestID := "trace-test-" + uuid.NewString()[:8]
	var tr bankclient.Transfer
	resp, err := c.JSON(ctx, http.MethodPost, "/v1/transfers",
		map[string]any{"from_account_id": from.ID.String(), "to_account_id": to.ID.String(), "amount": 25_00, "currency": "USD"},
		http.Header{
			"Idempotency-Key": {uuid.NewString()},
			"Traceparent":     {"00-" + callerTrace + "-" + callerSpan + "-01"},
			"X-Request-Id":    {requestID},
		}, &tr)
	if err != nil {
		t.Fatal(err)
	}
	if got := resp.Header.Get("X-Request-Id"); got != requestID {
		t.Fatalf("X-Request-Id %q; want %q", got, requestID)
	}
	if tr, err = c.WaitTransfer(ctx, tr.ID, 10*time.Second); err != nil {
		t.Fatal(err)
	} else if tr.Status != domain.TransferCompleted {
		t.Fatalf("transfer %s; want completed", tr.Status)
	}
	// The workflow's start carries the request id in its header, and the trace only when traced.
	started, err := tc.GetWorkflowHistory(ctx, workflows.TransferWorkflowID(tr.ID), "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT).Next()
	if err != nil {
		t.Fatal(err)
	}
	header := started.GetWorkflowExecutionStartedEventAttributes().GetHeader().GetFields()
	if _, ok := header["bank-request-id"]; !ok {
		t.Errorf("the workflow's header %v has no request id", header)
	}
	if _, ok := header["_tracer-data"]; ok != traced {
		t.Errorf("the workflow's header %v: trace %t; want %t", header, ok, traced)
	}

	isRequestLine := func(l map[string]any) bool {
		return l["msg"] == "request" && l["method"] == "POST" && l["path"] == "/v1/transfers"
	}
	isActivityLine := func(l map[string]any) bool {
		return l["msg"] == "transfer outcome recorded" && l["transfer_id"] == tr.ID
	}
	if !traced {
		for _, line := range []map[string]any{waitLine(t, logs, isRequestLine), waitLine(t, logs, isActivityLine)} {
			if line[logctx.RequestIDKey] != requestID || line[logctx.TraceIDKey] != nil || line[logctx.SpanIDKey] != nil {
				t.Errorf("untraced line %v; want request_id %s and no trace", line, requestID)
			}
		}
		return
	}

	activities := []string{"ValidateTransfer", "PlaceHold", "PostTransfer", "RecordTransferOutcome"}
	// Spans are exported as they end: the workflow's run ends once its last step has reported.
	byName := waitSpans(t, spans, callerTrace, append([]string{"POST /v1/transfers", "StartWorkflow:Transfer", "RunWorkflow:Transfer"},
		prefixed("RunActivity:", activities)...))

	t.Run("one trace from the request to each activity and query", func(t *testing.T) {
		request := one(t, byName, "POST /v1/transfers")
		if request.Parent.SpanID().String() != callerSpan || request.SpanKind != trace.SpanKindServer {
			t.Errorf("request span's parent %s, kind %s; want the caller's %s, server", request.Parent.SpanID(), request.SpanKind, callerSpan)
		}
		if route := attr(request, "http.route"); route != "/v1/transfers" {
			t.Errorf("request span's http.route %q; want /v1/transfers", route)
		}
		start := childOf(t, byName, "StartWorkflow:Transfer", request)
		run := childOf(t, byName, "RunWorkflow:Transfer", start)
		for _, name := range activities {
			scheduled := childOf(t, byName, "StartActivity:"+name, run)
			childOf(t, byName, "RunActivity:"+name, scheduled)
		}
		// The request's own queries, and the ledger's in the activity that posts.
		childOf(t, byName, "GetUserAccount", request)
		posting := one(t, byName, "RunActivity:PostTransfer")
		var queries int
		for _, s := range spans.GetSpans() {
			if s.Parent.SpanID() == posting.SpanContext.SpanID() && attr(s, "db.system.name") == "postgresql" {
				queries++
			}
		}
		if queries == 0 {
			t.Errorf("no query span under RunActivity:PostTransfer")
		}
		// Queries carry their SQL, never the values bound to it.
		for _, s := range spans.GetSpans() {
			if attr(s, "db.system.name") != "postgresql" {
				continue
			}
			for _, kv := range s.Attributes {
				if v := kv.Value.String(); strings.Contains(v, from.ID.String()) || strings.Contains(v, to.ID.String()) {
					t.Errorf("query span %s carries an argument in %s: %s", s.Name, kv.Key, v)
				}
			}
		}
		// No span of the transfer is outside the caller's trace.
		for _, s := range spans.GetSpans() {
			if strings.HasSuffix(s.Name, ":Transfer") || strings.HasPrefix(s.Name, "RunActivity:") {
				if got := s.SpanContext.TraceID().String(); got != callerTrace {
					t.Errorf("span %s in trace %s; want %s", s.Name, got, callerTrace)
				}
			}
		}
	})

	t.Run("log lines carry the request id and the trace", func(t *testing.T) {
		request := one(t, byName, "POST /v1/transfers")
		line := waitLine(t, logs, isRequestLine)
		wantFields(t, line, requestID, callerTrace, request.SpanContext.SpanID().String())

		outcome := one(t, byName, "RunActivity:RecordTransferOutcome")
		line = waitLine(t, logs, isActivityLine)
		wantFields(t, line, requestID, callerTrace, outcome.SpanContext.SpanID().String())
		if line["ActivityType"] != "RecordTransferOutcome" {
			t.Errorf("activity line %v; want Temporal's ActivityType tag too", line)
		}
	})
}

// checkSocketTraced opens and closes a live event socket through the traced API: the upgrade
// reaches the connection through the tracing's response writer, and the socket's span, named by
// its route, ends when it closes.
func checkSocketTraced(t *testing.T, base, token string, spans *tracetest.InMemoryExporter) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(base, "http")+"/v1/ws",
		&websocket.DialOptions{Subprotocols: []string{"bearer", token}})
	if err != nil {
		t.Fatalf("socket through the traced API: %v", err)
	}
	if err := conn.Close(websocket.StatusNormalClosure, ""); err != nil {
		t.Fatal(err)
	}
	for {
		for _, s := range spans.GetSpans() {
			if s.Name == "GET /v1/ws" {
				return
			}
		}
		select {
		case <-ctx.Done():
			t.Fatal("no span GET /v1/ws ended")
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// syncBuffer is a log destination written by many goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// lines returns the JSON log lines written so far.
func (b *syncBuffer) lines(t *testing.T) []map[string]any {
	t.Helper()
	b.mu.Lock()
	raw := append([]byte(nil), b.buf.Bytes()...)
	b.mu.Unlock()
	var out []map[string]any
	sc := bufio.NewScanner(bytes.NewReader(raw))
	sc.Buffer(make([]byte, 64<<10), 4<<20)
	for sc.Scan() {
		var l map[string]any
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			t.Fatalf("log line is not JSON: %s", sc.Text())
		}
		out = append(out, l)
	}
	return out
}

// waitLine returns the first log line that matches, waiting for it to be written.
func waitLine(t *testing.T, logs *syncBuffer, match func(map[string]any) bool) map[string]any {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		lines := logs.lines(t)
		for _, l := range lines {
			if match(l) {
				return l
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no such log line among %d", len(lines))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func wantFields(t *testing.T, line map[string]any, requestID, traceID, spanID string) {
	t.Helper()
	for k, want := range map[string]string{logctx.RequestIDKey: requestID, logctx.TraceIDKey: traceID, logctx.SpanIDKey: spanID} {
		if got, _ := line[k].(string); got != want {
			t.Errorf("%s %q; want %q in %v", k, got, want, line)
		}
	}
}

// waitSpans waits until the spans named names of traceID have ended and returns every span of
// the trace by name.
func waitSpans(t *testing.T, spans *tracetest.InMemoryExporter, traceID string, names []string) map[string][]tracetest.SpanStub {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		byName := map[string][]tracetest.SpanStub{}
		for _, s := range spans.GetSpans() {
			if s.SpanContext.TraceID().String() == traceID {
				byName[s.Name] = append(byName[s.Name], s)
			}
		}
		var missing []string
		for _, n := range names {
			if len(byName[n]) == 0 {
				missing = append(missing, n)
			}
		}
		if len(missing) == 0 {
			return byName
		}
		if time.Now().After(deadline) {
			var got []string
			for n := range byName {
				got = append(got, n)
			}
			t.Fatalf("spans %v never ended in trace %s; it has %v", missing, traceID, got)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// one returns the span named name; a workflow run replayed on another worker may have more than
// one, all alike.
func one(t *testing.T, byName map[string][]tracetest.SpanStub, name string) tracetest.SpanStub {
	t.Helper()
	if len(byName[name]) == 0 {
		t.Fatalf("no span %s", name)
	}
	return byName[name][0]
}

// childOf returns the span named name whose parent is parent.
func childOf(t *testing.T, byName map[string][]tracetest.SpanStub, name string, parent tracetest.SpanStub) tracetest.SpanStub {
	t.Helper()
	for _, s := range byName[name] {
		if s.Parent.SpanID() == parent.SpanContext.SpanID() {
			return s
		}
	}
	t.Fatalf("no span %s is a child of %s (%d spans of that name)", name, parent.Name, len(byName[name]))
	return tracetest.SpanStub{}
}

func attr(s tracetest.SpanStub, key string) string {
	for _, kv := range s.Attributes {
		if string(kv.Key) == key {
			return kv.Value.String()
		}
	}
	return ""
}

func prefixed(prefix string, names []string) []string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = prefix + n
	}
	return out
}

func waitHealthy(t *testing.T, base string, served <-chan error) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		if resp, err := http.Get(base + "/healthz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		select {
		case err := <-served:
			t.Fatalf("api stopped: %v", err)
		case <-time.After(100 * time.Millisecond):
		}
	}
	t.Fatal("api not healthy after 60s")
}

// customer creates an active customer and returns it with its password.
func customer(t *testing.T, store *db.Store) (db.User, string) {
	t.Helper()
	pw := "correct-Horse-" + uuid.NewString()[:8]
	hash, err := password.NewHasher(password.DefaultParams).Hash(pw)
	if err != nil {
		t.Fatal(err)
	}
	u, err := store.InsertUser(context.Background(), db.InsertUserParams{ID: uuid.New(), Email: uuid.NewString()[:8] + "@example.com",
		PasswordHash: hash, FullName: "Trace Test", Role: domain.RoleClient, Status: domain.UserActive})
	if err != nil {
		t.Fatal(err)
	}
	return u, pw
}

// openAccount opens a USD account for u holding balance, deposited straight through the ledger.
func openAccount(t *testing.T, store *db.Store, u db.User, balance int64) db.Account {
	t.Helper()
	ctx := context.Background()
	a, err := store.OpenAccountTx(ctx, u.ID, "USD", "test/"+uuid.NewString())
	if err != nil {
		t.Fatal(err)
	}
	if balance == 0 {
		return a
	}
	cash, err := store.GetCashAccount(ctx, db.GetCashAccountParams{Kind: domain.AccountCash, Currency: "USD"})
	if err != nil {
		t.Fatal(err)
	}
	id := uuid.New()
	tr, err := store.CreateTransfer(ctx, db.CreateTransferParams{ID: id, Kind: domain.KindDeposit, InitiatedBy: u.ID,
		FromAccountID: cash.ID, ToAccountID: a.ID, Amount: balance, Currency: "USD", WorkflowID: "seed-" + id.String()})
	if err == nil {
		err = store.PlaceHoldTx(ctx, tr, time.Now().Add(time.Minute), db.HoldLimits{})
	}
	if err == nil {
		err = store.PostTransferTx(ctx, tr, "seed/"+id.String())
	}
	if err != nil {
		t.Fatalf("deposit: %v", err)
	}
	return a
}
