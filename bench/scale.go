package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/bankforge/bank/audit"
	"github.com/bankforge/bank/db"
	"github.com/bankforge/bank/dev/bankclient"
	"github.com/bankforge/bank/dev/seedscale"
	"github.com/bankforge/bank/domain"
)

// The scale benchmark: the bank's read paths over a year of data (bankctl seed-scale's), through
// the running API, one request at a time so that each latency is the request's own. Targets are
// the issue's: history page p99 < 20 ms, a day's transactions report < 1 s, a month's < 3 s, the
// account-status report < 1 s, audit queries p99 < 50 ms.

type scaleMeasure struct {
	name   string
	target time.Duration
	// p99: the target is for the 99th percentile; otherwise for the slowest request.
	p99  bool
	lat  latencies
	note string
}

func (m scaleMeasure) met() string {
	if m.target == 0 {
		return "-"
	}
	got := m.lat.Max
	if m.p99 {
		got = m.lat.P99
	}
	if got < m.target {
		return "met"
	}
	return "MISSED"
}

type scaleAccount struct {
	id    uuid.UUID
	email string
}

// runScale seeds the database unless it already has customers, then measures.
func runScale(ctx context.Context, logger *slog.Logger, cfg config, b *bank, stdout io.Writer) error {
	owner, err := db.Connect(ctx, b.ownerURL, 4)
	if err != nil {
		return err
	}
	defer owner.Close()
	ownerStore := db.NewStore(owner)
	// The seeded audit log is kept apart from the API's own: on the development server (FerretDB)
	// every audited request, a login first of all, reads the whole log to find the chain's head, so
	// the API's logins would measure that instead of the reads. The audit queries are measured on
	// the seeded log through audit.Store.Events, the query the API's handler runs.
	mongoURI, auditDB := b.stack.MongoURI, "scale_audit"
	if cfg.scaleMongo != "" {
		mongoURI, auditDB = cfg.scaleMongo, "bank"
	}
	mongo, err := audit.Connect(ctx, mongoURI)
	if err != nil {
		return err
	}
	defer func() { _ = mongo.Disconnect(context.WithoutCancel(ctx)) }()
	events := audit.NewStore(mongo.Database(auditDB))

	var customers int
	if err := owner.QueryRow(ctx, "SELECT count(*) FROM users WHERE role = $1", domain.RoleClient).Scan(&customers); err != nil {
		return err
	}
	var seeded *seedscale.Result
	if customers == 0 {
		logger.Info("seeding", "customers", cfg.scaleCustomers, "postings", cfg.scalePostings, "audit_events", cfg.scaleAudit)
		res, err := seedscale.Run(ctx, owner, events, seedscale.Options{
			Customers: cfg.scaleCustomers, Postings: cfg.scalePostings, AuditEvents: cfg.scaleAudit, Days: 365,
			Seed: cfg.scaleSeed, Password: cfg.seedPassword, Progress: os.Stderr,
		})
		if err != nil {
			return fmt.Errorf("seed: %w", err)
		}
		seeded = &res
	} else {
		logger.Info("the database is seeded already", "customers", customers)
	}

	transport := http.DefaultTransport.(*http.Transport).Clone()
	transport.MaxIdleConnsPerHost = 16
	httpClient := &http.Client{Timeout: 5 * time.Minute, Transport: transport}
	defer transport.CloseIdleConnections()
	anon := &bankclient.Client{Base: b.stack.APIURL, HTTP: httpClient}
	tok, err := anon.Login(ctx, b.adminEmail, b.adminPassword)
	if err != nil {
		return fmt.Errorf("admin login: %w", err)
	}
	admin := anon.As(tok.AccessToken)

	r := rand.New(rand.NewPCG(cfg.scaleSeed, 42))
	random, err := sampleAccounts(ctx, owner, "SELECT a.id, u.email FROM accounts a JOIN users u ON u.id = a.user_id WHERE a.kind = 'customer' ORDER BY random() LIMIT $1", cfg.historyAccounts)
	if err != nil {
		return err
	}
	// Busy accounts: enough postings for the deep page.
	deep, err := sampleAccounts(ctx, owner, fmt.Sprintf(`SELECT a.id, u.email FROM accounts a JOIN users u ON u.id = a.user_id
		WHERE a.kind = 'customer' AND (SELECT count(*) FROM postings p WHERE p.account_id = a.id) >= %d ORDER BY random() LIMIT $1`, 20*cfg.deepPage+1), cfg.deepAccounts)
	if err != nil {
		return err
	}
	var busiest scaleAccount
	if err := owner.QueryRow(ctx, `SELECT a.id, u.email FROM accounts a JOIN users u ON u.id = a.user_id
		JOIN (SELECT account_id, count(*) n FROM postings GROUP BY account_id) p ON p.account_id = a.id
		ORDER BY p.n DESC LIMIT 1`).Scan(&busiest.id, &busiest.email); err != nil {
		return fmt.Errorf("busiest account: %w", err)
	}

	// One login per owner, a few at a time (each is an argon2 check).
	tokens := map[string]string{}
	var mu sync.Mutex
	emails := map[string]bool{}
	for _, a := range append(append(random, deep...), busiest) {
		emails[a.email] = true
	}
	list := make([]string, 0, len(emails))
	for e := range emails {
		list = append(list, e)
	}
	logger.Info("logging in the sampled accounts' owners", "customers", len(list))
	if err := forEach(ctx, len(list), cfg.loginConcurrency, func(ctx context.Context, i int) error {
		t, err := anon.Login(ctx, list[i], cfg.seedPassword)
		if err != nil {
			return fmt.Errorf("login %s: %w", list[i], err)
		}
		mu.Lock()
		tokens[list[i]] = t.AccessToken
		mu.Unlock()
		return nil
	}); err != nil {
		return err
	}

	get := func(c *bankclient.Client, path string, out any) (time.Duration, error) {
		start := time.Now()
		resp, err := c.Do(ctx, http.MethodGet, path, nil, nil)
		took := time.Since(start)
		if err != nil {
			return took, err
		}
		if resp.Status != http.StatusOK {
			return took, fmt.Errorf("GET %s: status %d: %.300s", path, resp.Status, resp.Body)
		}
		if out != nil {
			if err := json.Unmarshal(resp.Body, out); err != nil {
				return took, fmt.Errorf("GET %s: %w", path, err)
			}
		}
		return took, nil
	}
	type page struct {
		Items      []json.RawMessage `json:"items"`
		NextCursor *string           `json:"next_cursor"`
	}
	var measures []scaleMeasure
	measure := func(name string, target time.Duration, p99 bool, n int, one func(i int) (time.Duration, error)) error {
		logger.Info("measuring", "what", name, "requests", n)
		ds := make([]time.Duration, 0, n)
		for i := 0; i < n; i++ {
			d, err := one(i)
			if err != nil {
				return fmt.Errorf("%s: %w", name, err)
			}
			ds = append(ds, d)
		}
		m := scaleMeasure{name: name, target: target, p99: p99, lat: summarise(ds)}
		measures = append(measures, m)
		logger.Info("measured", "what", name, "n", m.lat.N, "p50", m.lat.P50, "p99", m.lat.P99, "max", m.lat.Max, "target", m.met())
		return nil
	}

	if err := measure("history, first page (20)", 20*time.Millisecond, true, len(random), func(i int) (time.Duration, error) {
		a := random[i]
		return get(anon.As(tokens[a.email]), "/v1/accounts/"+a.id.String()+"/transactions?limit=20", nil)
	}); err != nil {
		return err
	}
	if err := measure(fmt.Sprintf("history, page %d by cursor", cfg.deepPage), 20*time.Millisecond, true, len(deep), func(i int) (time.Duration, error) {
		a := deep[i]
		c := anon.As(tokens[a.email])
		path := "/v1/accounts/" + a.id.String() + "/transactions?limit=20"
		var last time.Duration
		for p := 1; p <= cfg.deepPage; p++ {
			var pg page
			d, err := get(c, path, &pg)
			if err != nil {
				return d, err
			}
			last = d
			if pg.NextCursor == nil {
				return d, fmt.Errorf("account %s has no page %d", a.id, p+1)
			}
			path = "/v1/accounts/" + a.id.String() + "/transactions?limit=20&cursor=" + url.QueryEscape(*pg.NextCursor)
		}
		return last, nil
	}); err != nil {
		return err
	}

	yearTo := time.Now().UTC().Truncate(24 * time.Hour)
	yearFrom := yearTo.AddDate(-1, 0, 0)
	// Statements as their owners read them; a staff member's read is the same plus the audit event
	// of the read, written before the answer.
	statementPath := func(prefix string, id uuid.UUID) string {
		return fmt.Sprintf("%s/accounts/%s/statement?from=%s&to=%s", prefix, id, yearFrom.Format(time.RFC3339), yearTo.Format(time.RFC3339))
	}
	stmtAccounts := append([]scaleAccount{}, random[:min(cfg.statements, len(random))]...)
	if err := measure("statement of a year, random account", 0, true, len(stmtAccounts), func(i int) (time.Duration, error) {
		a := stmtAccounts[i]
		return get(anon.As(tokens[a.email]), statementPath("/v1", a.id), nil)
	}); err != nil {
		return err
	}
	var busyEntries int
	if err := measure("statement of a year, the busiest account", 0, false, 3, func(int) (time.Duration, error) {
		var st struct {
			Entries []json.RawMessage `json:"entries"`
		}
		d, err := get(anon.As(tokens[busiest.email]), statementPath("/v1", busiest.id), &st)
		busyEntries = len(st.Entries)
		return d, err
	}); err != nil {
		return err
	}
	measures[len(measures)-1].note = fmt.Sprintf("%d entries", busyEntries)
	report := func(from, to time.Time, interval string) string {
		return fmt.Sprintf("/v1/admin/reports/transactions?from=%s&to=%s&interval=%s&tz=UTC", from.Format(time.RFC3339), to.Format(time.RFC3339), interval)
	}
	if err := measure("transactions report, a day", time.Second, false, 10, func(int) (time.Duration, error) {
		day := yearFrom.AddDate(0, 0, 1+r.IntN(363))
		return get(admin, report(day, day.AddDate(0, 0, 1), "day"), nil)
	}); err != nil {
		return err
	}
	if err := measure("transactions report, a month by day", 3*time.Second, false, 5, func(int) (time.Duration, error) {
		m := time.Date(yearFrom.Year(), yearFrom.Month()+1+time.Month(r.IntN(10)), 1, 0, 0, 0, 0, time.UTC)
		return get(admin, report(m, m.AddDate(0, 1, 0), "day"), nil)
	}); err != nil {
		return err
	}
	if err := measure("transactions report, a month as one period", 3*time.Second, false, 5, func(int) (time.Duration, error) {
		m := time.Date(yearFrom.Year(), yearFrom.Month()+1+time.Month(r.IntN(10)), 1, 0, 0, 0, 0, time.UTC)
		return get(admin, report(m, m.AddDate(0, 1, 0), "month"), nil)
	}); err != nil {
		return err
	}
	if err := measure("account-status report", time.Second, false, 5, func(int) (time.Duration, error) {
		return get(admin, "/v1/admin/reports/accounts", nil)
	}); err != nil {
		return err
	}

	// Audit queries: by a sampled customer, by a random transfer, by a type over a day.
	var transferIDs []uuid.UUID
	rows, err := owner.Query(ctx, "SELECT id FROM transfers ORDER BY random() LIMIT $1", cfg.auditQueries)
	if err != nil {
		return err
	}
	for rows.Next() {
		var id uuid.UUID
		if err := rows.Scan(&id); err != nil {
			return err
		}
		transferIDs = append(transferIDs, id)
	}
	if err := rows.Err(); err != nil {
		return err
	}
	var userIDs []uuid.UUID
	for _, a := range random[:min(cfg.auditQueries, len(random))] {
		var id uuid.UUID
		if err := owner.QueryRow(ctx, "SELECT user_id FROM accounts WHERE id = $1", a.id).Scan(&id); err != nil {
			return err
		}
		userIDs = append(userIDs, id)
	}
	if cfg.auditQueries == 0 {
		transferIDs, userIDs = nil, nil
	}
	events50 := func(f audit.Filter) (time.Duration, error) {
		f.Limit = 50
		start := time.Now()
		_, err := events.Events(ctx, f)
		return time.Since(start), err
	}
	if err := measure("audit events by user (audit.Store)", 50*time.Millisecond, true, len(userIDs), func(i int) (time.Duration, error) {
		return events50(audit.Filter{UserID: userIDs[i].String()})
	}); err != nil {
		return err
	}
	if err := measure("audit events by transfer (audit.Store)", 50*time.Millisecond, true, len(transferIDs), func(i int) (time.Duration, error) {
		return events50(audit.Filter{TransferID: transferIDs[i].String()})
	}); err != nil {
		return err
	}
	if err := measure("audit events by type and day (audit.Store)", 50*time.Millisecond, true, cfg.auditQueries, func(int) (time.Duration, error) {
		day := yearFrom.AddDate(0, 0, 1+r.IntN(363))
		return events50(audit.Filter{Type: audit.EventTransferCompleted, Since: day, Until: day.AddDate(0, 0, 1)})
	}); err != nil {
		return err
	}
	if err := measure("audit chain head, read by every audit write", 0, false, min(3, cfg.auditQueries), func(int) (time.Duration, error) {
		start := time.Now()
		_, err := events.Head(ctx)
		return time.Since(start), err
	}); err != nil {
		return err
	}

	// The plans of the queries behind the slowest answers, on the same data.
	day := yearFrom.AddDate(0, 0, 200)
	month := time.Date(yearFrom.Year(), yearFrom.Month()+6, 1, 0, 0, 0, 0, time.UTC)
	reportArgs := func(from, to time.Time, unit, step string) []any {
		return []any{"UTC", from, step, to, unit, string(domain.KindTransfer), string(domain.TransferCompleted), string(domain.KindDeposit),
			string(domain.KindWithdrawal), string(domain.TransferFailed), string(domain.TransferCompensated), string(domain.AccountCustomer)}
	}
	var deepAt time.Time
	var deepID int64
	if err := owner.QueryRow(ctx, "SELECT created_at, id FROM postings WHERE account_id = $1 ORDER BY created_at DESC, id DESC OFFSET $2 LIMIT 1",
		busiest.id, 20*(cfg.deepPage-1)-1).Scan(&deepAt, &deepID); err != nil {
		return fmt.Errorf("deep cursor: %w", err)
	}
	plans := []struct {
		title string
		query string
		args  []any
	}{
		{"ListAccountHistory, the busiest account, first page", "ListAccountHistory", []any{busiest.id, nil, nil, nil, nil, nil, int32(21)}},
		{fmt.Sprintf("ListAccountHistory, the busiest account, page %d", cfg.deepPage), "ListAccountHistory", []any{busiest.id, nil, nil, nil, deepAt, deepID, int32(21)}},
		{"StatementBounds, the busiest account, a year", "StatementBounds", []any{busiest.id, yearFrom, yearTo}},
		{"ReportTransactions, a day", "ReportTransactions", reportArgs(day, day.AddDate(0, 0, 1), "day", "1 day")},
		{"ReportTransactions, a month by day", "ReportTransactions", reportArgs(month, month.AddDate(0, 1, 0), "day", "1 day")},
		{"ReportAccountsByStatus", "ReportAccountsByStatus", []any{string(domain.AccountCustomer)}},
		{"ReportLedgerTotals", "ReportLedgerTotals", []any{string(domain.AccountCustomer), string(domain.AccountCash)}},
	}
	var explained strings.Builder
	for _, p := range plans {
		plan, err := ownerStore.ExplainAnalyze(ctx, p.query, p.args...)
		if err != nil {
			return err
		}
		fmt.Fprintf(&explained, "--- %s\n%s\n", p.title, plan)
	}

	ledger, err := checkLedger(ctx, b.store)
	if err != nil {
		return err
	}
	printScale(stdout, cfg, b, seeded, measures, explained.String(), ledger)
	if !ledger.OK {
		return errors.New("the ledger check failed")
	}
	return nil
}

func sampleAccounts(ctx context.Context, pool *pgxpool.Pool, query string, n int) ([]scaleAccount, error) {
	rows, err := pool.Query(ctx, query, n)
	if err != nil {
		return nil, fmt.Errorf("sample accounts: %w", err)
	}
	var out []scaleAccount
	for rows.Next() {
		var a scaleAccount
		if err := rows.Scan(&a.id, &a.email); err != nil {
			return nil, fmt.Errorf("sample accounts: %w", err)
		}
		out = append(out, a)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sample accounts: %w", err)
	}
	if len(out) == 0 {
		return nil, errors.New("sample accounts: none found")
	}
	return out, nil
}

func printScale(w io.Writer, cfg config, b *bank, seeded *seedscale.Result, measures []scaleMeasure, plans string, ledger *db.LedgerReport) {
	p := func(format string, args ...any) { fmt.Fprintf(w, format, args...) }
	p("\n==================== bank scale benchmark ====================\n")
	if seeded != nil {
		p("seeded %d customers, %d accounts (%d frozen), %d transfers, %d postings, %d audit events in %s\n",
			seeded.Customers, seeded.Accounts, seeded.FrozenAccounts, seeded.Transfers, seeded.Postings, seeded.AuditEvents, seeded.Took.Round(time.Second))
	} else {
		p("database %s, seeded before this run\n", b.dbName)
	}
	p("one request at a time through the API (%s)\n\n", b.stack.APIURL)
	p("%-44s %6s %9s %9s %9s %9s %9s  %s\n", "read", "n", "p50", "p95", "p99", "max", "target", "")
	for _, m := range measures {
		target := "-"
		if m.target > 0 {
			target = "max " + ms(m.target)
			if m.p99 {
				target = "p99 " + ms(m.target)
			}
		}
		p("%-44s %6d %9s %9s %9s %9s %9s  %s %s\n", m.name, m.lat.N, ms(m.lat.P50), ms(m.lat.P95), ms(m.lat.P99), ms(m.lat.Max), target, m.met(), m.note)
	}
	p("\nledger check: ok=%v %v\n", ledger.OK, ledger.Violations)
	p("\n==================== plans (EXPLAIN ANALYZE, BUFFERS) ====================\n%s", plans)
	if b.keep || b.reused {
		p("kept: database %s, stack state in %s (rerun with -scale -scale-database %s -scale-dir %s)\n", b.dbName, b.dir, b.dbName, b.dir)
	}
}
