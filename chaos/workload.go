package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/bankforge/bank/db"
	"github.com/bankforge/bank/domain"
	"github.com/bankforge/bank/internal/bootstrap"
	"github.com/bankforge/bank/internal/password"
)

// currencies are the currencies the customers hold, half of them each.
var currencies = []string{"USD", "EUR"}

// seedClient is the client name of the deposits that give the customers their starting balances.
const seedClient = "seed"

// customer is a seeded customer with one account.
type customer struct {
	*actor
	account  uuid.UUID
	currency string
}

// workload runs the clients: customers moving money between their accounts, and the admin
// depositing, withdrawing, freezing and unfreezing, every request recorded.
type workload struct {
	sys       *system
	apis      apis
	rec       *recorder
	admin     *actor
	customers []*customer
	// seeded is how much money entered each currency by the seeding deposits.
	seeded map[string]int64
	// breakIdempotency retries a request whose answer did not come with a new Idempotency-Key: the
	// negative control.
	breakIdempotency bool
	// lossRate is the share of 202 answers a client drops, as if lost on the way back.
	lossRate float64
	logf     func(string, ...any)

	answers tally
	snaps   snapshotLog
}

// seed creates the admin and n customers (their users and accounts directly in the database, as
// the benchmark does, with one password hash), signs them in through the API and deposits each
// one's starting balance through the API, as production money enters.
func seed(ctx context.Context, w *workload, n int, balance int64, seedValue uint64) error {
	hasher := password.NewHasher(password.DefaultParams)
	stream := func(i uint64) *rand.Rand { return rand.New(rand.NewPCG(seedValue, 1000+i)) }
	adminPW := "Pw-" + randomToken(18)
	adminEmail := "admin@chaos.example"
	if _, err := bootstrap.EnsureAdmin(ctx, w.sys.app, hasher, adminEmail, adminPW); err != nil {
		return fmt.Errorf("create admin: %w", err)
	}
	admin, err := w.sys.app.GetUserByEmail(ctx, adminEmail)
	if err != nil {
		return fmt.Errorf("read admin: %w", err)
	}
	w.admin = &actor{name: "admin", userID: admin.ID, email: adminEmail, password: adminPW, rnd: stream(0), http: newHTTPClient()}

	pw := "Pw-" + randomToken(18)
	hash, err := hasher.Hash(pw)
	if err != nil {
		return err
	}
	for i := range n {
		email := fmt.Sprintf("customer-%02d@chaos.example", i)
		u, err := w.sys.app.InsertUser(ctx, db.InsertUserParams{
			ID: uuid.New(), Email: email, PasswordHash: hash, FullName: fmt.Sprintf("Chaos Customer %d", i),
			Role: domain.RoleClient, Status: domain.UserActive,
		})
		if err != nil {
			return fmt.Errorf("create customer %s: %w", email, err)
		}
		currency := currencies[i%len(currencies)]
		a, err := w.sys.app.OpenAccountTx(ctx, u.ID, currency, "chaos-seed/"+u.ID.String())
		if err != nil {
			return fmt.Errorf("open account for %s: %w", email, err)
		}
		w.customers = append(w.customers, &customer{
			actor:   &actor{name: fmt.Sprintf("customer-%02d", i), userID: u.ID, email: email, password: pw, rnd: stream(uint64(i + 1)), http: newHTTPClient()},
			account: a.ID, currency: currency,
		})
	}
	actors := []*actor{w.admin}
	for _, c := range w.customers {
		actors = append(actors, c.actor)
	}
	if err := forEach(ctx, len(actors), 4, func(i int) error { return actors[i].login(ctx, w.apis) }); err != nil {
		return err
	}
	w.seeded = map[string]int64{}
	var mu sync.Mutex
	err = forEach(ctx, len(w.customers), 4, func(i int) error {
		c := w.customers[i]
		admin := w.admin.fork(seedClient, stream(uint64(2000+i)))
		o := w.rec.begin(&op{Client: seedClient, Kind: opDeposit, Caller: w.admin.userID, To: c.account, Amount: balance, Currency: c.currency})
		w.money(ctx, admin, o, "/v1/admin/accounts/"+c.account.String()+"/deposits",
			map[string]any{"amount": balance, "currency": c.currency, "description": "starting balance"})
		if o.Outcome != outcomeOK || o.Seen != domain.TransferCompleted {
			return fmt.Errorf("seed deposit into %s ended %s/%s", c.name, o.Outcome, o.Seen)
		}
		mu.Lock()
		w.seeded[c.currency] += balance
		mu.Unlock()
		return nil
	})
	return err
}

// forEach runs fn for 0..n-1 with at most par at once and returns the first error.
func forEach(ctx context.Context, n, par int, fn func(i int) error) error {
	sem := make(chan struct{}, par)
	errc := make(chan error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			if ctx.Err() != nil {
				errc <- ctx.Err()
				return
			}
			errc <- fn(i)
		}()
	}
	wg.Wait()
	close(errc)
	for err := range errc {
		if err != nil {
			return err
		}
	}
	return nil
}

// run runs the clients until stopNew closes; each then finishes the operation it is in, retrying
// until it has an answer or ctx ends.
func (w *workload) run(ctx context.Context, stopNew <-chan struct{}) {
	var wg sync.WaitGroup
	loop := func(a *actor, step func(ctx context.Context)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stopNew:
					return
				default:
				}
				if ctx.Err() != nil {
					return
				}
				step(ctx)
				time.Sleep(time.Duration(a.rnd.IntN(40)) * time.Millisecond)
			}
		}()
	}
	for _, c := range w.customers {
		loop(c.actor, func(ctx context.Context) { w.transfer(ctx, c) })
	}
	// The admin: one stream of cash movements, one of freezes and unfreezes.
	cash := w.admin.fork("admin-cash", rand.New(rand.NewPCG(w.admin.rnd.Uint64(), 1)))
	freezes := w.admin.fork("admin-freezes", rand.New(rand.NewPCG(w.admin.rnd.Uint64(), 2)))
	loop(cash, func(ctx context.Context) { w.cashMovement(ctx, cash) })
	loop(freezes, func(ctx context.Context) { w.freezeCycle(ctx, freezes, stopNew) })
	wg.Wait()
}

// transfer sends money from c's account to another customer's account of its currency.
func (w *workload) transfer(ctx context.Context, c *customer) {
	var peers []*customer
	for _, p := range w.customers {
		if p != c && p.currency == c.currency {
			peers = append(peers, p)
		}
	}
	to := peers[c.rnd.IntN(len(peers))]
	amount := 1 + c.rnd.Int64N(2_000)
	if c.rnd.IntN(10) == 0 {
		amount = 30_000 + c.rnd.Int64N(50_000) // often more than the account has
	}
	o := w.rec.begin(&op{Client: c.name, Kind: opTransfer, Caller: c.userID, From: c.account, To: to.account, Amount: amount, Currency: c.currency})
	w.money(ctx, c.actor, o, "/v1/transfers", map[string]any{
		"from_account_id": c.account.String(), "to_account_id": to.account.String(), "amount": amount, "currency": c.currency,
	})
	if o.Refusal == string(domain.CodeAccountFrozen) {
		// A customer whose account is frozen tries again a little later, not at once.
		time.Sleep(time.Duration(300+c.rnd.IntN(700)) * time.Millisecond)
	}
}

// cashMovement deposits into or withdraws from a random customer's account.
func (w *workload) cashMovement(ctx context.Context, a *actor) {
	c := w.customers[a.rnd.IntN(len(w.customers))]
	amount := 100 + a.rnd.Int64N(10_000)
	body := map[string]any{"amount": amount, "currency": c.currency, "description": "chaos"}
	if a.rnd.IntN(2) == 0 {
		o := w.rec.begin(&op{Client: a.name, Kind: opDeposit, Caller: a.userID, To: c.account, Amount: amount, Currency: c.currency})
		w.money(ctx, a, o, "/v1/admin/accounts/"+c.account.String()+"/deposits", body)
		return
	}
	o := w.rec.begin(&op{Client: a.name, Kind: opWithdrawal, Caller: a.userID, From: c.account, Amount: amount, Currency: c.currency})
	w.money(ctx, a, o, "/v1/admin/accounts/"+c.account.String()+"/withdrawals", body)
}

// retryable reports whether an answer says to send the same request again: no answer, one lost,
// a key still in flight, a rate limit, or a server error.
func retryable(ans answer) bool {
	return ans.err != nil || ans.status >= 500 || ans.status == http.StatusTooManyRequests ||
		(ans.status == http.StatusConflict && ans.code() == string(domain.CodeIdempotencyInFlight))
}

// money sends a request that moves money, under an Idempotency-Key, until the bank accepts or
// refuses it or ctx ends; a request whose answer did not come is sent again with the same key (with
// a new one under -break-idempotency). Once accepted, it follows the transfer to its end.
func (w *workload) money(ctx context.Context, a *actor, o *op, path string, body any) {
	key := newKey(a.rnd)
	o.Keys = append(o.Keys, key)
	route := "POST " + routeOf(path)
	for try := 0; ; try++ {
		if ctx.Err() != nil {
			w.rec.end(o, outcomeInDoubt)
			return
		}
		ans := send(ctx, w.apis, a, a.rnd, http.MethodPost, path, body, http.Header{"Idempotency-Key": {key}}, 10*time.Second)
		w.answers.add(route, ans)
		at := attemptOf(ans, key)
		if ans.status == http.StatusUnauthorized {
			o.Attempts = append(o.Attempts, at)
			_ = a.login(ctx, w.apis)
			continue
		}
		if ans.status == http.StatusAccepted {
			var t struct {
				ID string `json:"id"`
			}
			_ = json.Unmarshal(ans.body, &t)
			at.TransferID = t.ID
			if a.rnd.Float64() < w.lossRate {
				at.Lost = true
			}
		}
		o.Attempts = append(o.Attempts, at)
		switch {
		case ans.status == http.StatusAccepted && !at.Lost:
			w.rec.end(o, outcomeOK)
			w.follow(ctx, a, o, at.TransferID)
			return
		case at.Lost || ans.err != nil:
			if w.breakIdempotency {
				key = newKey(a.rnd)
				o.Keys = append(o.Keys, key)
			}
		case retryable(ans):
		default:
			o.Refusal = at.Code
			w.rec.end(o, outcomeRefused)
			return
		}
		pause(ctx, a.rnd, try, ans.retryAfter)
	}
}

// follow reads the transfer until it ends, for a while; what the client last read is recorded.
func (w *workload) follow(ctx context.Context, a *actor, o *op, id string) {
	deadline := time.Now().Add(45 * time.Second)
	for try := 0; time.Now().Before(deadline) && ctx.Err() == nil; try++ {
		ans := send(ctx, w.apis, a, a.rnd, http.MethodGet, "/v1/transfers/"+id+"?wait=5s", nil, nil, 15*time.Second)
		w.answers.add("GET /v1/transfers/{id}", ans)
		o.Reads = append(o.Reads, attemptOf(ans, ""))
		switch ans.status {
		case http.StatusOK:
			var t struct {
				Status domain.TransferStatus `json:"status"`
			}
			if err := json.Unmarshal(ans.body, &t); err == nil && t.Status != "" {
				o.Seen, o.SeenAt = t.Status, time.Now()
				if t.Status.Ended() {
					return
				}
				continue
			}
		case http.StatusUnauthorized:
			_ = a.login(ctx, w.apis)
			continue
		}
		pause(ctx, a.rnd, try, ans.retryAfter)
	}
}

// freezeCycle freezes a random customer account, keeps it frozen a moment while transfers go on,
// then unfreezes it.
func (w *workload) freezeCycle(ctx context.Context, a *actor, stopNew <-chan struct{}) {
	c := w.customers[a.rnd.IntN(len(w.customers))]
	scope := []string{"full", "debit"}[a.rnd.IntN(2)]
	o := w.rec.begin(&op{Client: a.name, Kind: opFreeze, Caller: a.userID, From: c.account, Scope: scope})
	w.freeze(ctx, a, o)
	if o.Outcome != outcomeOK {
		return
	}
	select {
	case <-stopNew:
	case <-ctx.Done():
	case <-time.After(time.Duration(500+a.rnd.IntN(3000)) * time.Millisecond):
	}
	w.unfreeze(ctx, a, c.account, o.FreezeID)
}

// freeze asks for a freeze and, once accepted, watches it come into force.
func (w *workload) freeze(ctx context.Context, a *actor, o *op) {
	key := newKey(a.rnd)
	o.Keys = append(o.Keys, key)
	path := "/v1/admin/accounts/" + o.From.String() + "/freeze"
	body := map[string]string{"reason": "suspected_fraud", "scope": o.Scope}
	for try := 0; ; try++ {
		if ctx.Err() != nil {
			w.rec.end(o, outcomeInDoubt)
			return
		}
		ans := send(ctx, w.apis, a, a.rnd, http.MethodPost, path, body, http.Header{"Idempotency-Key": {key}}, 10*time.Second)
		w.answers.add("POST /v1/admin/accounts/{id}/freeze", ans)
		at := attemptOf(ans, key)
		if ans.status == http.StatusAccepted {
			var opr struct {
				ID string `json:"id"`
			}
			_ = json.Unmarshal(ans.body, &opr)
			at.OperationID = opr.ID
		}
		o.Attempts = append(o.Attempts, at)
		switch {
		case ans.status == http.StatusUnauthorized:
			_ = a.login(ctx, w.apis)
			continue
		case ans.status == http.StatusAccepted:
			o.FreezeID = at.OperationID
			w.rec.end(o, outcomeOK)
			w.watchFreeze(ctx, o)
			return
		case retryable(ans):
		default:
			o.Refusal = at.Code
			w.rec.end(o, outcomeRefused)
			return
		}
		pause(ctx, a.rnd, try, ans.retryAfter)
	}
}

// watchFreeze reads the freeze from the database until it is in force or failed, and records the
// commit time of the transaction that put it in force: from then on no money may leave the account.
// The row's xmin is that transaction's while the freeze is active (only its end changes it again).
func (w *workload) watchFreeze(ctx context.Context, o *op) {
	id, err := uuid.Parse(o.FreezeID)
	if err != nil {
		return
	}
	deadline := time.Now().Add(45 * time.Second)
	for time.Now().Before(deadline) && ctx.Err() == nil {
		var status domain.FreezeStatus
		var committed *time.Time
		err := w.sys.owner.QueryRow(ctx, `SELECT status, pg_xact_commit_timestamp(xmin) FROM freezes WHERE id = $1`, id).Scan(&status, &committed)
		if err == nil {
			o.FreezeSeen = status
			if status == domain.FreezeActive && committed != nil {
				o.FreezeInForce = *committed
				return
			}
			if status != domain.FreezePending {
				return
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// unfreeze ends the freeze on account, retrying until the bank says it has no freeze in force
// any more or ctx ends. A 409 not_frozen after an attempt that got no answer is that attempt's work.
func (w *workload) unfreeze(ctx context.Context, a *actor, account uuid.UUID, freezeID string) {
	o := w.rec.begin(&op{Client: a.name, Kind: opUnfreeze, Caller: a.userID, From: account, UnfreezeTarget: freezeID})
	path := "/v1/admin/accounts/" + account.String() + "/unfreeze"
	for try := 0; ; try++ {
		if ctx.Err() != nil {
			w.rec.end(o, outcomeInDoubt)
			return
		}
		ans := send(ctx, w.apis, a, a.rnd, http.MethodPost, path, map[string]string{"note": "end of a fault-injection freeze"}, nil, 10*time.Second)
		w.answers.add("POST /v1/admin/accounts/{id}/unfreeze", ans)
		at := attemptOf(ans, "")
		o.Attempts = append(o.Attempts, at)
		switch {
		case ans.status == http.StatusUnauthorized:
			_ = a.login(ctx, w.apis)
			continue
		case ans.status == http.StatusOK:
			w.rec.end(o, outcomeOK)
			return
		case ans.status == http.StatusConflict && at.Code == string(domain.CodeNotFrozen):
			// Not in force: already unfrozen (by an earlier attempt), or never put in force (the
			// freeze failed, or is still being applied: then wait for it).
			if w.freezePending(ctx, account) {
				break
			}
			o.Refusal = at.Code
			w.rec.end(o, outcomeRefused)
			return
		case retryable(ans):
		default:
			o.Refusal = at.Code
			w.rec.end(o, outcomeRefused)
			return
		}
		pause(ctx, a.rnd, try, ans.retryAfter)
	}
}

// freezePending reports whether the account has a freeze still being applied.
func (w *workload) freezePending(ctx context.Context, account uuid.UUID) bool {
	var n int
	err := w.sys.owner.QueryRow(ctx, `SELECT count(*) FROM freezes WHERE account_id = $1 AND status = 'pending'`, account).Scan(&n)
	return err != nil || n > 0
}

// unfreezeAll ends every freeze still in force, so that the system can come to rest: the freezes
// the admin's stream left behind, and any other the database holds.
func (w *workload) unfreezeAll(ctx context.Context) error {
	for {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		rows, err := w.sys.owner.Query(ctx, `SELECT account_id, id, status FROM freezes WHERE status IN ('pending', 'active')`)
		if err != nil {
			time.Sleep(500 * time.Millisecond)
			continue
		}
		type open struct {
			account, id uuid.UUID
			status      domain.FreezeStatus
		}
		opens, err := pgx.CollectRows(rows, pgx.RowToStructByPos[open])
		if err != nil {
			time.Sleep(500 * time.Millisecond)
			continue
		}
		if len(opens) == 0 {
			return nil
		}
		for _, f := range opens {
			if f.status == domain.FreezeActive {
				w.unfreeze(ctx, w.admin, f.account, f.id.String())
			}
		}
		time.Sleep(300 * time.Millisecond)
	}
}

// pause waits before a retry: Retry-After when the answer gave one (at most 2s), else a backoff
// from 50ms doubling to 1s, with jitter.
func pause(ctx context.Context, rnd *rand.Rand, try int, retryAfter time.Duration) {
	d := retryAfter
	if d <= 0 || d > 2*time.Second {
		d = min(time.Second, 50*time.Millisecond<<min(try, 5))
	}
	d = d/2 + time.Duration(rnd.Int64N(int64(d)/2+1))
	select {
	case <-ctx.Done():
	case <-time.After(d):
	}
}

func attemptOf(ans answer, key string) attempt {
	at := attempt{At: time.Now().Add(-ans.took), Took: ans.took, API: ans.api, Key: key, Status: ans.status,
		Err: errKind(ans.err), RetryAfter: ans.header.Get("Retry-After") != "", Replayed: ans.header.Get("Idempotent-Replayed") == "true"}
	if ans.status >= 400 {
		at.Code = ans.code()
	}
	return at
}

// routeOf names a path by its route, ids replaced.
func routeOf(path string) string {
	parts := strings.Split(path, "/")
	for i, p := range parts {
		if _, err := uuid.Parse(p); err == nil {
			parts[i] = "{id}"
		}
	}
	return strings.Join(parts, "/")
}

// tally counts the answers by route and status, and keeps the server errors.
type tally struct {
	mu      sync.Mutex
	counts  map[string]int // "503", "timeout", ...
	byRoute map[string]int // "POST /v1/transfers 503"
	// bad counts the answers the bank must never give, a 500 or a 503 without Retry-After, by
	// route and code; firstBad is when each was first seen.
	bad      map[string]int
	firstBad map[string]time.Time
}

func (t *tally) add(route string, ans answer) {
	kind := errKind(ans.err)
	if ans.err == nil {
		kind = fmt.Sprint(ans.status)
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.counts == nil {
		t.counts, t.byRoute = map[string]int{}, map[string]int{}
	}
	t.counts[kind]++
	t.byRoute[route+" "+kind]++
	bad := ""
	switch {
	case ans.status == http.StatusInternalServerError:
		bad = fmt.Sprintf("%s answered 500 %s", route, ans.code())
	case ans.status == http.StatusServiceUnavailable && ans.header.Get("Retry-After") == "":
		bad = fmt.Sprintf("%s answered 503 %s without Retry-After", route, ans.code())
	}
	if bad != "" {
		if t.bad == nil {
			t.bad, t.firstBad = map[string]int{}, map[string]time.Time{}
		}
		if t.bad[bad] == 0 {
			t.firstBad[bad] = time.Now()
		}
		t.bad[bad]++
	}
}

// fiveXX returns the 5xx answers by route and status.
func (t *tally) fiveXX() []string {
	t.mu.Lock()
	defer t.mu.Unlock()
	var out []string
	for k, n := range t.byRoute {
		if strings.HasSuffix(k, " 500") || strings.HasSuffix(k, " 502") || strings.HasSuffix(k, " 503") || strings.HasSuffix(k, " 504") {
			out = append(out, fmt.Sprintf("%s: %d", k, n))
		}
	}
	sort.Strings(out)
	return out
}

// snapshotLog is what the one-snapshot reads of every balance found.
type snapshotLog struct {
	mu         sync.Mutex
	taken      int
	failed     int
	violations []string
}

// snapshots reads every balance in one snapshot, every interval, until ctx ends; see snapshot.
func (w *workload) snapshots(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		v, err := w.snapshot(ctx)
		w.snaps.mu.Lock()
		if err != nil {
			w.snaps.failed++
		} else {
			w.snaps.taken++
			w.snaps.violations = append(w.snaps.violations, v...)
		}
		w.snaps.mu.Unlock()
	}
}

// snapshot reads, in one repeatable-read transaction as the owner, every account's balance and the
// deposits and withdrawals completed so far, and checks: per currency, customers and cash sum to
// zero, and the customers hold what was deposited less what was withdrawn (INV-1); no customer's
// balance or available balance is negative (INV-2).
func (w *workload) snapshot(ctx context.Context) ([]string, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	tx, err := w.sys.owner.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return nil, err
	}
	defer func() { _ = tx.Rollback(context.WithoutCancel(ctx)) }()
	type sums struct{ customers, cash, deposited, withdrawn, negative int64 }
	by := map[string]*sums{}
	get := func(c string) *sums {
		if by[c] == nil {
			by[c] = &sums{}
		}
		return by[c]
	}
	rows, err := tx.Query(ctx, `SELECT currency::text, kind, sum(balance)::bigint,
		count(*) FILTER (WHERE kind = 'customer' AND (balance < 0 OR balance - on_hold < 0))
		FROM accounts GROUP BY 1, 2`)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var currency, kind string
		var total, negative int64
		if err := rows.Scan(&currency, &kind, &total, &negative); err != nil {
			return nil, err
		}
		s := get(currency)
		if kind == string(domain.AccountCash) {
			s.cash += total
		} else {
			s.customers += total
		}
		s.negative += negative
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows, err = tx.Query(ctx, `SELECT currency::text, kind, sum(amount)::bigint FROM transfers
		WHERE status = 'completed' AND kind IN ('deposit', 'withdrawal') GROUP BY 1, 2`)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var currency, kind string
		var total int64
		if err := rows.Scan(&currency, &kind, &total); err != nil {
			return nil, err
		}
		if kind == string(domain.KindDeposit) {
			get(currency).deposited += total
		} else {
			get(currency).withdrawn += total
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	at := time.Now().Format(time.TimeOnly)
	var v []string
	for c, s := range by {
		if s.customers+s.cash != 0 {
			v = append(v, fmt.Sprintf("INV-1 at %s: %s customers hold %d and cash %d: they do not sum to 0", at, c, s.customers, s.cash))
		}
		if s.customers != s.deposited-s.withdrawn {
			v = append(v, fmt.Sprintf("INV-1 at %s: %s customers hold %d, but deposits less withdrawals are %d", at, c, s.customers, s.deposited-s.withdrawn))
		}
		if s.negative > 0 {
			v = append(v, fmt.Sprintf("INV-2 at %s: %d %s customer accounts have a negative (available) balance", at, s.negative, c))
		}
	}
	return v, nil
}

var errNotQuiet = errors.New("the system did not come to rest")
