package api_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/prometheus/client_golang/prometheus"
	"go.mongodb.org/mongo-driver/v2/mongo"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"

	"github.com/bankforge/bank/api"
	"github.com/bankforge/bank/audit"
	"github.com/bankforge/bank/db"
	"github.com/bankforge/bank/dev/testenv"
	"github.com/bankforge/bank/domain"
	"github.com/bankforge/bank/inbox"
	"github.com/bankforge/bank/internal/metrics"
	"github.com/bankforge/bank/internal/password"
	"github.com/bankforge/bank/internal/payloadcodec"
)

// fakeWorkflows records workflow starts; it is the only fake here: the database is real.
type fakeWorkflows struct {
	mu      sync.Mutex
	started []client.StartWorkflowOptions
	args    []any
	err     error
	block   chan struct{} // when set, starts wait on it
	signals []signal
	results map[string]any // completed workflows' results, by workflow id
}

// complete makes the workflow id completed with result.
func (f *fakeWorkflows) complete(id string, result any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.results == nil {
		f.results = map[string]any{}
	}
	f.results[id] = result
}

func (f *fakeWorkflows) result(id string) any {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.results[id]
}

var _ api.Workflows = (*fakeWorkflows)(nil)

func (f *fakeWorkflows) ExecuteWorkflow(ctx context.Context, o client.StartWorkflowOptions, _ any, args ...any) (client.WorkflowRun, error) {
	if f.block != nil {
		<-f.block
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return nil, f.err
	}
	f.started = append(f.started, o)
	f.args = append(f.args, args...)
	return fakeRun{id: o.ID}, nil
}

func (f *fakeWorkflows) DescribeWorkflow(ctx context.Context, id, _ string) (*client.WorkflowExecutionDescription, error) {
	status := enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING
	if f.result(id) != nil {
		status = enumspb.WORKFLOW_EXECUTION_STATUS_COMPLETED
	}
	return &client.WorkflowExecutionDescription{WorkflowExecutionMetadata: client.WorkflowExecutionMetadata{
		Status: status,
	}}, nil
}

func (f *fakeWorkflows) GetWorkflow(ctx context.Context, id, _ string) client.WorkflowRun {
	return fakeRun{id: id, result: f.result(id)}
}

// signal is a signal the API sent, starting the workflow when it was not running.
type signal struct {
	workflowID, name string
	arg              any
	start            client.StartWorkflowOptions
}

func (f *fakeWorkflows) SignalWithStartWorkflow(ctx context.Context, workflowID, signalName string, signalArg any, o client.StartWorkflowOptions, _ any, _ ...any) (client.WorkflowRun, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return nil, f.err
	}
	f.signals = append(f.signals, signal{workflowID: workflowID, name: signalName, arg: signalArg, start: o})
	return fakeRun{id: workflowID}, nil
}

func (f *fakeWorkflows) sent() []signal {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]signal(nil), f.signals...)
}

func (f *fakeWorkflows) starts() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.started)
}

type fakeRun struct {
	id     string
	result any // nil while running
}

func (r fakeRun) GetID() string                  { return r.id }
func (r fakeRun) GetRunID() string               { return "run" }
func (r fakeRun) GetFirstExecutionRunID() string { return "run" }
func (r fakeRun) Get(ctx context.Context, v any) error {
	if r.result == nil {
		<-ctx.Done()
		return ctx.Err()
	}
	if v == nil {
		return nil
	}
	b, err := json.Marshal(r.result)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, v)
}
func (r fakeRun) GetWithOptions(ctx context.Context, v any, _ client.WorkflowRunGetOptions) error {
	return r.Get(ctx, v)
}

// sharedMongo is the MongoDB wire server of the package's tests, started by the first harness and
// stopped by TestMain; each harness has its own database on it.
var sharedMongo struct {
	once   sync.Once
	client *mongo.Client
	err    error
	stop   func()
}

func TestMain(m *testing.M) {
	code := m.Run()
	if sharedMongo.client != nil {
		_ = sharedMongo.client.Disconnect(context.Background())
	}
	if sharedMongo.stop != nil {
		sharedMongo.stop()
	}
	os.Exit(code)
}

// newInbox returns an empty inbox of its own on the package's MongoDB wire server.
func newInbox(t *testing.T) *inbox.Store {
	t.Helper()
	bin := testenv.Tool(t, "mongowire")
	sharedMongo.once.Do(func() {
		dir, err := os.MkdirTemp("", "api-mongo-")
		if err != nil {
			sharedMongo.err = err
			return
		}
		uri, stop, err := testenv.StartMongo(bin, dir)
		if err != nil {
			sharedMongo.err = err
			return
		}
		sharedMongo.stop = func() { stop(); _ = os.RemoveAll(dir) }
		sharedMongo.client, sharedMongo.err = audit.Connect(context.Background(), uri)
	})
	if sharedMongo.err != nil {
		t.Fatalf("mongo: %v", sharedMongo.err)
	}
	store := inbox.NewStore(sharedMongo.client.Database("api_" + strings.ReplaceAll(uuid.NewString(), "-", "")[:16]))
	if err := store.EnsureIndexes(context.Background()); err != nil {
		t.Fatal(err)
	}
	return store
}

// memAudit keeps audit events in memory.
type memAudit struct {
	mu     sync.Mutex
	events []audit.Event
}

func (m *memAudit) Record(_ context.Context, e audit.Event) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.events = append(m.events, e)
	return nil
}

func (m *memAudit) Events(context.Context, audit.Filter) ([]audit.Event, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]audit.Event(nil), m.events...), nil
}

func (m *memAudit) Verify(context.Context) (audit.Verification, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return audit.Verification{Events: int64(len(m.events)), OK: true}, nil
}

func (m *memAudit) ofType(typ string) []audit.Event {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []audit.Event
	for _, e := range m.events {
		if e.Type == typ {
			out = append(out, e)
		}
	}
	return out
}

const testSecret = "test-secret-that-is-long-enough-for-hs256!!"

type harness struct {
	t         *testing.T
	store     *db.Store
	srv       *httptest.Server
	mux       http.Handler // the API's router, for listing its routes
	handler   http.Handler // the API, every exchange checked against the OpenAPI document
	workflows *fakeWorkflows
	audit     *memAudit
	inbox     *inbox.Store
	hasher    *password.Hasher
	codec     *payloadcodec.Codec // the Temporal payloads' codec, behind /codec
	cfg       api.Config
	// metrics is the registry the API counts into, of this harness alone.
	metrics *prometheus.Registry
}

// testHashParams make hashing cheap, still argon2id.
var testHashParams = password.Params{Memory: 1024, Time: 1, Threads: 1, KeyLen: 32, SaltLen: 16}

func newHarness(t *testing.T, tweak ...func(*api.Config)) *harness {
	t.Helper()
	return newHarnessHashing(t, testHashParams, tweak...)
}

// newHarnessHashing is newHarness with passwords hashed by p.
func newHarnessHashing(t *testing.T, p password.Params, tweak ...func(*api.Config)) *harness {
	t.Helper()
	return newHarnessOn(t, testenv.NewDatabase(t), p, tweak...)
}

// newHarnessOn is newHarnessHashing on the database at url.
func newHarnessOn(t *testing.T, url string, p password.Params, tweak ...func(*api.Config)) *harness {
	t.Helper()
	pool, err := db.Connect(context.Background(), url, 20)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	listenCtx, stopListening := context.WithCancel(context.Background())
	t.Cleanup(stopListening)
	finished := db.NewListener(url, db.TransferFinishedChannel, slog.New(slog.NewJSONHandler(io.Discard, nil)))
	go finished.Run(listenCtx)
	userEvents := db.NewListener(url, db.UserEventsChannel, slog.New(slog.NewJSONHandler(io.Discard, nil)))
	go userEvents.Run(listenCtx)
	sessionChanges := db.NewListener(url, db.SessionChangesChannel, slog.New(slog.NewJSONHandler(io.Discard, nil)))
	go sessionChanges.Run(listenCtx)
	h := &harness{
		t:         t,
		store:     db.NewStore(pool),
		workflows: &fakeWorkflows{},
		audit:     &memAudit{},
		inbox:     newInbox(t),
		hasher:    password.NewHasher(p),
		metrics:   prometheus.NewRegistry(),
		codec:     testCodec(t),
		cfg: api.Config{
			JWTSecret: []byte(testSecret), Issuer: "bank", Audience: "bank-api",
			AccessTTL: 15 * time.Minute, RefreshTTL: 24 * time.Hour, DefaultCurrency: "USD",
			TaskQueue: "bank", AuthRateLimit: 10_000, LockThreshold: 5, LockBase: time.Minute, LockMax: time.Hour,
			MaxWait: 50 * time.Millisecond, ClientRateLimit: 1_000_000, WriteRateLimit: 1_000_000, MaxWaitsPerUser: 100,
		},
	}
	for _, f := range tweak {
		f(&h.cfg)
	}
	// The sockets close when the test ends.
	handler, err := api.New(listenCtx, h.cfg, api.Deps{
		Store: h.store, Workflows: h.workflows, Audit: h.audit, Inbox: h.inbox, Hasher: h.hasher, TransferFinished: finished, UserEvents: userEvents, SessionChanges: sessionChanges,
		Codec:   h.codec,
		Logger:  slog.New(slog.NewJSONHandler(io.Discard, nil)),
		Ready:   map[string]func(context.Context) error{"postgres": h.store.Ping},
		Metrics: metrics.NewAPI(h.metrics),
	})
	if err != nil {
		t.Fatal(err)
	}
	h.mux = handler
	h.handler = conform(t, handler)
	h.srv = httptest.NewServer(h.handler)
	t.Cleanup(h.srv.Close)
	return h
}

// conform checks every exchange with handler against the OpenAPI document (conformance_test.go),
// failing t on each disagreement.
func conform(t *testing.T, handler http.Handler) http.Handler {
	t.Helper()
	c, err := loadConformance()
	if err != nil {
		t.Fatal(err)
	}
	return c.wrap(handler, func(method, path string, status int, err error) {
		t.Errorf("%s %s answered %d against the OpenAPI document:\n%v", method, path, status, err)
	})
}

type response struct {
	status int
	header http.Header
	body   []byte
}

func (r response) json(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("decode %s: %v", r.body, err)
	}
}

// do sends a request; body is sent as is (a string) and marked JSON unless headers say otherwise.
func (h *harness) do(method, path, token, body string, headers ...string) response {
	h.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, h.srv.URL+path, rd)
	if err != nil {
		h.t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return response{status: resp.StatusCode, header: resp.Header, body: b}
}

type user struct {
	db.User
	password string
	token    string
	refresh  string
}

// user creates an active user with role and logs them in.
func (h *harness) user(role domain.Role) user {
	h.t.Helper()
	pw := "correct-Horse-" + uuid.NewString()[:8]
	hash, err := h.hasher.Hash(pw)
	if err != nil {
		h.t.Fatal(err)
	}
	u, err := h.store.InsertUser(context.Background(), db.InsertUserParams{Status: domain.UserActive,
		ID: uuid.New(), Email: uuid.NewString()[:8] + "@example.com", PasswordHash: hash, FullName: "Test " + string(role), Role: role,
	})
	if err != nil {
		h.t.Fatal(err)
	}
	out := user{User: u, password: pw}
	out.token, out.refresh = h.login(u.Email, pw)
	return out
}

func (h *harness) login(email, pw string) (string, string) {
	h.t.Helper()
	r := h.do("POST", "/v1/auth/login", "", `{"email":"`+email+`","password":"`+pw+`"}`)
	if r.status != http.StatusOK {
		h.t.Fatalf("login %s: %d %s", email, r.status, r.body)
	}
	var tok struct{ AccessToken, RefreshToken string }
	var raw map[string]any
	r.json(h.t, &raw)
	tok.AccessToken, _ = raw["access_token"].(string)
	tok.RefreshToken, _ = raw["refresh_token"].(string)
	return tok.AccessToken, tok.RefreshToken
}

func (h *harness) account(u user, currency string, balance int64) db.Account {
	h.t.Helper()
	ctx := context.Background()
	a, err := h.store.OpenAccountTx(ctx, u.ID, currency, "test/"+uuid.NewString())
	if err != nil {
		h.t.Fatal(err)
	}
	if balance > 0 {
		h.deposit(a, balance)
	}
	a, _ = h.store.GetAccount(ctx, a.ID)
	return a
}

// counts returns the number of rows of every table a request could change.
func (h *harness) counts() map[string]int {
	h.t.Helper()
	out := map[string]int{}
	for _, table := range []string{"users", "registrations", "operations", "accounts", "transfers", "holds",
		"postings", "idempotency_keys", "sessions", "refresh_tokens", "cash_approvals", "freezes"} {
		var n int
		if err := h.store.Pool().QueryRow(context.Background(), "SELECT count(*) FROM "+table).Scan(&n); err != nil {
			h.t.Fatal(err)
		}
		out[table] = n
	}
	var state string
	_ = h.store.Pool().QueryRow(context.Background(),
		"SELECT string_agg(id::text || full_name || coalesce(phone,'') || role || status || locale || password_hash, ',' ORDER BY id) FROM users").Scan(&state)
	out["users_state_"+state] = 1
	return out
}

func requireProblem(t *testing.T, r response, status int, field string) {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d; want %d: %s", r.status, status, r.body)
	}
	if ct := r.header.Get("Content-Type"); ct != "application/problem+json" {
		t.Fatalf("content type %q; want application/problem+json", ct)
	}
	var p api.Problem
	r.json(t, &p)
	if p.Status != status || p.Code == "" || p.Title == "" {
		t.Fatalf("problem %+v is incomplete", p)
	}
	if field != "" {
		for _, e := range p.Errors {
			if e.Field == field {
				return
			}
		}
		t.Fatalf("problem %s names no field %q", r.body, field)
	}
}

// deposit credits a with amount straight through the ledger.
func (h *harness) deposit(a db.Account, amount int64) {
	h.t.Helper()
	ctx := context.Background()
	cash, _ := h.store.GetCashAccount(ctx, db.GetCashAccountParams{Kind: domain.AccountCash, Currency: a.Currency})
	id := uuid.New()
	tr, err := h.store.CreateTransfer(ctx, db.CreateTransferParams{ID: id, Kind: domain.KindDeposit, InitiatedBy: *a.UserID,
		FromAccountID: cash.ID, ToAccountID: a.ID, Amount: amount, Currency: a.Currency, WorkflowID: "seed-" + id.String()})
	if err != nil {
		h.t.Fatal(err)
	}
	if err := h.store.PlaceHoldTx(ctx, tr, time.Now().Add(time.Minute), db.HoldLimits{}); err != nil {
		h.t.Fatal(err)
	}
	if err := h.store.PostTransferTx(ctx, tr, "seed/"+id.String()); err != nil {
		h.t.Fatal(err)
	}
	time.Sleep(2 * time.Millisecond) // distinct timestamps keep "newest first" unambiguous
}
