// Package seedscale fills a throwaway bank with a year of data at scale, for benchmarks: customers
// with accounts in several currencies, some frozen, completed and refused transfers, deposits and
// withdrawals spread over a year's days and hours, their double-entry postings, and an audit log.
//
// It writes as the database's owner, in one transaction, with bulk COPY, and commits only what the
// database's own rules accept:
//
//   - The ledger's triggers check one posting at a time (each posting's balance_after follows its
//     account's previous posting and is the account's balance at that moment; a transaction's legs
//     balance; no money crosses a freeze). A bulk load cannot satisfy "the account's balance at that
//     moment" row by row, so inside its transaction the load turns those triggers off, writes, runs
//     the same rules over the whole tables at once (the Check... queries of package db), and turns
//     the triggers back on before it commits.
//   - Foreign keys, checked row by row, are most of a bulk load's time: the load drops them and adds
//     them back, as they were defined, after writing, and PostgreSQL checks every row as it adds them.
//   - Indexes that enforce nothing are dropped and built again after writing, as they were.
//   - CHECK constraints, NOT NULL and unique indexes stay on throughout.
//
// Nothing of this is visible to other sessions: the load holds the tables' exclusive locks, so
// they wait and then see the schema as it was, with data that passes it. A failed check rolls
// everything back. The application's role can do none of this (it owns no table).
//
// The audit events are appended to the audit log's hash chain after its newest event, so that the
// whole log still verifies.
package seedscale

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/bankforge/bank/audit"
	"github.com/bankforge/bank/db"
	"github.com/bankforge/bank/domain"
	"github.com/bankforge/bank/internal/password"
)

// Options say how much to seed.
type Options struct {
	Customers   int
	Postings    int // rounded down to an even number: two per completed movement
	AuditEvents int
	// Days is how far back from Now the movements start.
	Days int
	Now  time.Time
	// Seed makes the data set reproducible.
	Seed uint64
	// Password is every seeded user's password (the customers', and the admin's when one is
	// created).
	Password string
	// AllowExisting seeds a database that already has customers; without it Run refuses.
	AllowExisting bool
	// Progress, when set, receives a progress bar.
	Progress io.Writer
}

// Result says what was seeded.
type Result struct {
	Tag            string        `json:"tag"`
	Customers      int           `json:"customers"`
	Accounts       int           `json:"accounts"`
	FrozenAccounts int           `json:"frozen_accounts"`
	Transfers      int           `json:"transfers"`
	Postings       int           `json:"postings"`
	AuditEvents    int           `json:"audit_events"`
	AdminEmail     string        `json:"admin_email"`
	AdminCreated   bool          `json:"admin_created"`
	From           time.Time     `json:"from"`
	To             time.Time     `json:"to"`
	AuditHead      audit.Link    `json:"audit_head"`
	Took           time.Duration `json:"took_ns"`
}

// ErrHasCustomers is Run's refusal to seed a database that already has customers.
var ErrHasCustomers = errors.New("the database already has customers: seed-scale is for throwaway databases (allow it explicitly to add to them)")

// DefaultPassword is every seeded user's password unless the options name another: the data is for
// throwaway databases, and the scale benchmark logs in as the seeded customers with it.
const DefaultPassword = "Scale-seed-Password-2026"

// AdminEmail is the admin Run creates when the database has no active admin.
const AdminEmail = "scale-admin@scale.example"

// Run seeds the database that owner connects to (as its owner) and the audit log events.
func Run(ctx context.Context, owner *pgxpool.Pool, events *audit.Store, o Options) (Result, error) {
	started := time.Now()
	switch {
	case o.Customers < 1:
		return Result{}, errors.New("customers must be at least 1")
	case o.Postings < 0 || o.AuditEvents < 0:
		return Result{}, errors.New("postings and audit events cannot be negative")
	case o.Days < 1:
		return Result{}, errors.New("days must be at least 1")
	case o.Password == "":
		return Result{}, errors.New("a password for the seeded users is required")
	}
	if msg := password.Check(o.Password, AdminEmail); msg != "" {
		return Result{}, fmt.Errorf("password %s", msg)
	}
	if o.Now.IsZero() {
		o.Now = time.Now()
	}
	o.Now = o.Now.UTC().Truncate(time.Microsecond)
	bar := newProgress(o.Progress)
	hash, err := password.NewHasher(password.DefaultParams).Hash(o.Password)
	if err != nil {
		return Result{}, err
	}

	conn, err := owner.Acquire(ctx)
	if err != nil {
		return Result{}, fmt.Errorf("acquire connection: %w", err)
	}
	defer conn.Release()
	tx, err := conn.Begin(ctx)
	if err != nil {
		return Result{}, fmt.Errorf("begin: %w", err)
	}
	defer func() { _ = tx.Rollback(context.WithoutCancel(ctx)) }()

	// No one else writes these tables until the load commits.
	if _, err := tx.Exec(ctx, "LOCK TABLE users, accounts, transfers, ledger_transactions, postings, freezes IN ACCESS EXCLUSIVE MODE"); err != nil {
		return Result{}, fmt.Errorf("lock tables: %w", err)
	}
	var customers int64
	if err := tx.QueryRow(ctx, "SELECT count(*) FROM users WHERE role = $1", domain.RoleClient).Scan(&customers); err != nil {
		return Result{}, fmt.Errorf("count customers: %w", err)
	}
	if customers > 0 && !o.AllowExisting {
		return Result{}, fmt.Errorf("%w: it has %d", ErrHasCustomers, customers)
	}
	res := Result{AdminEmail: AdminEmail}
	admin, err := ensureAdmin(ctx, tx, hash, o.Now, &res)
	if err != nil {
		return res, err
	}
	cash, lastPosting, err := readCash(ctx, tx)
	if err != nil {
		return res, err
	}

	bar.begin("planning", 1)
	p, err := newPlan(o, cash, admin)
	if err != nil {
		return res, err
	}
	bar.add(1)
	bar.end()
	res.Tag, res.From, res.To = p.tag, time.UnixMicro(p.start).UTC(), time.UnixMicro(p.end).UTC()

	if err := setTriggers(ctx, tx, false); err != nil {
		return res, err
	}
	keys, err := dropForeignKeys(ctx, tx)
	if err != nil {
		return res, err
	}
	indexes, err := dropPlainIndexes(ctx, tx)
	if err != nil {
		return res, err
	}
	if err := p.load(ctx, tx, hash, lastPosting, bar, &res); err != nil {
		return res, err
	}
	if _, err := tx.Exec(ctx, "SET LOCAL maintenance_work_mem = '512MB'"); err != nil {
		return res, err
	}
	bar.begin("indexes", len(indexes))
	for _, def := range indexes {
		if _, err := tx.Exec(ctx, def); err != nil {
			return res, fmt.Errorf("%s: %w", def, err)
		}
		bar.add(1)
	}
	bar.end()
	// PostgreSQL checks every row against each foreign key as it adds it back.
	bar.begin("foreign keys", len(keys))
	for _, k := range keys {
		stmt := fmt.Sprintf("ALTER TABLE %s ADD CONSTRAINT %s %s", pgx.Identifier{k.Table}.Sanitize(), pgx.Identifier{k.Name}.Sanitize(), k.Definition)
		if _, err := tx.Exec(ctx, stmt); err != nil {
			return res, fmt.Errorf("foreign key %s: %w", k.Name, err)
		}
		bar.add(1)
	}
	bar.end()
	bar.begin("checking the ledger's rules", 6)
	if err := check(ctx, tx, bar); err != nil {
		return res, err
	}
	bar.end()
	if err := setTriggers(ctx, tx, true); err != nil {
		return res, err
	}
	if err := tx.Commit(ctx); err != nil {
		return res, fmt.Errorf("commit: %w", err)
	}
	// Fresh statistics and visibility maps, so that the planner and index-only scans see the data.
	bar.begin("vacuum analyze", 1)
	if _, err := conn.Exec(ctx, "VACUUM ANALYZE users, accounts, transfers, ledger_transactions, postings, freezes"); err != nil {
		return res, fmt.Errorf("vacuum analyze: %w", err)
	}
	bar.add(1)
	bar.end()

	if o.AuditEvents > 0 {
		if err := events.EnsureIndexes(ctx); err != nil {
			return res, err
		}
		slots := p.auditSlots(o.AuditEvents)
		bar.begin("audit events", len(slots))
		done := 0
		head, err := events.AppendAll(ctx, len(slots), func(i int) audit.Event { return p.auditEvent(slots, i) },
			func(stored int) { bar.add(stored - done); done = stored })
		bar.end()
		if err != nil {
			return res, err
		}
		res.AuditEvents, res.AuditHead = len(slots), head
	}
	res.Took = time.Since(started)
	return res, nil
}

// loadedTables are the tables the load writes to.
var loadedTables = []string{"users", "accounts", "transfers", "ledger_transactions", "postings", "freezes"}

type foreignKey struct{ Table, Name, Definition string }

// dropForeignKeys drops the foreign keys of the loaded tables and returns them as they were
// defined, to be added back (and so checked over every row at once) after the load: checking them
// row by row as COPY writes is most of a bulk load's time.
func dropForeignKeys(ctx context.Context, tx pgx.Tx) ([]foreignKey, error) {
	rows, err := tx.Query(ctx, `SELECT t.relname, c.conname, pg_get_constraintdef(c.oid)
		FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid
		WHERE c.contype = 'f' AND t.relnamespace = 'public'::regnamespace AND t.relname = ANY($1)
		ORDER BY t.relname, c.conname`, loadedTables)
	if err != nil {
		return nil, fmt.Errorf("read foreign keys: %w", err)
	}
	keys, err := pgx.CollectRows(rows, pgx.RowToStructByPos[foreignKey])
	if err != nil {
		return nil, fmt.Errorf("read foreign keys: %w", err)
	}
	for _, k := range keys {
		if _, err := tx.Exec(ctx, fmt.Sprintf("ALTER TABLE %s DROP CONSTRAINT %s", pgx.Identifier{k.Table}.Sanitize(), pgx.Identifier{k.Name}.Sanitize())); err != nil {
			return nil, fmt.Errorf("drop foreign key %s: %w", k.Name, err)
		}
	}
	return keys, nil
}

// dropPlainIndexes drops the indexes of the loaded tables that enforce nothing (not unique, not a
// constraint's) and returns the statements that create them again: one sorted build after the
// load is far cheaper than millions of inserts at random places.
func dropPlainIndexes(ctx context.Context, tx pgx.Tx) ([]string, error) {
	rows, err := tx.Query(ctx, `SELECT i.relname, pg_get_indexdef(x.indexrelid)
		FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid
		WHERE t.relnamespace = 'public'::regnamespace AND t.relname = ANY($1) AND NOT x.indisunique
		  AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid)
		ORDER BY t.relname, i.relname`, loadedTables)
	if err != nil {
		return nil, fmt.Errorf("read indexes: %w", err)
	}
	type index struct{ Name, Definition string }
	found, err := pgx.CollectRows(rows, pgx.RowToStructByPos[index])
	if err != nil {
		return nil, fmt.Errorf("read indexes: %w", err)
	}
	defs := make([]string, 0, len(found))
	for _, ix := range found {
		if _, err := tx.Exec(ctx, "DROP INDEX "+pgx.Identifier{ix.Name}.Sanitize()); err != nil {
			return nil, fmt.Errorf("drop index %s: %w", ix.Name, err)
		}
		defs = append(defs, ix.Definition)
	}
	return defs, nil
}

// The ledger's triggers that check each row against the rows before it. The load turns them off
// inside its transaction and check runs their rules over the whole tables instead.
var rowCheckTriggers = []struct{ table, trigger string }{
	{"postings", "postings_follow_history"},
	{"postings", "postings_balanced"},
	{"postings", "postings_respect_freeze"},
	{"accounts", "accounts_balance_follows_postings"},
	{"accounts", "accounts_open_with_postings"},
	{"accounts", "accounts_freeze_status"},
	{"freezes", "freezes_account_status"},
}

func setTriggers(ctx context.Context, tx pgx.Tx, enable bool) error {
	verb := "DISABLE"
	if enable {
		verb = "ENABLE"
	}
	for _, t := range rowCheckTriggers {
		stmt := fmt.Sprintf("ALTER TABLE %s %s TRIGGER %s", pgx.Identifier{t.table}.Sanitize(), verb, pgx.Identifier{t.trigger}.Sanitize())
		if _, err := tx.Exec(ctx, stmt); err != nil {
			return fmt.Errorf("%s trigger %s: %w", verb, t.trigger, err)
		}
	}
	return nil
}

// check runs the rules of rowCheckTriggers over the whole tables; any row that breaks one fails
// the load.
func check(ctx context.Context, tx pgx.Tx, bar *progress) error {
	q := db.New(tx)
	if _, err := tx.Exec(ctx, "SET LOCAL work_mem = '256MB'"); err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, "ANALYZE users, accounts, transfers, ledger_transactions, postings, freezes"); err != nil {
		return fmt.Errorf("analyze: %w", err)
	}
	bar.add(1)
	// Every posting is read: one pass over the table and a sort beat an index walk that visits the
	// table's pages in account order, each many times.
	if _, err := tx.Exec(ctx, "SET LOCAL enable_indexscan = off"); err != nil {
		return err
	}
	chains, err := q.CheckPostingChains(ctx)
	if err != nil {
		return fmt.Errorf("check posting chains: %w", err)
	}
	if _, err := tx.Exec(ctx, "SET LOCAL enable_indexscan = on"); err != nil {
		return err
	}
	if len(chains) > 0 {
		c := chains[0]
		return fmt.Errorf("posting %d of account %s has balance_after %d, its chain gives %d (%d such postings at least)", c.ID, c.AccountID, c.BalanceAfter, c.Expected, len(chains))
	}
	bar.add(1)
	balances, err := q.CheckBalancesFollowLatestPosting(ctx)
	if err != nil {
		return fmt.Errorf("check balances: %w", err)
	}
	if len(balances) > 0 {
		b := balances[0]
		return fmt.Errorf("account %s has balance %d, its postings end at %d", b.Number, b.Balance, b.Posted)
	}
	bar.add(1)
	unbalanced, err := q.CheckUnbalancedTransactions(ctx)
	if err != nil {
		return fmt.Errorf("check transactions: %w", err)
	}
	if len(unbalanced) > 0 {
		u := unbalanced[0]
		return fmt.Errorf("ledger transaction %s sums to %d %s", u.TransactionID, u.Total, u.Currency)
	}
	bar.add(1)
	frozen, err := q.CheckFrozenAccountsMatchFreezes(ctx, db.CheckFrozenAccountsMatchFreezesParams{Frozen: domain.AccountFrozen, Active: domain.FreezeActive})
	if err != nil {
		return fmt.Errorf("check freezes: %w", err)
	}
	if len(frozen) > 0 {
		return fmt.Errorf("account %s is %s, and its freezes say otherwise", frozen[0].Number, frozen[0].Status)
	}
	bar.add(1)
	crossed, err := q.CheckPostingsRespectFreezes(ctx, db.CheckPostingsRespectFreezesParams{Active: domain.FreezeActive, StopsCredits: domain.FreezeFull})
	if err != nil {
		return fmt.Errorf("check postings against freezes: %w", err)
	}
	if len(crossed) > 0 {
		return fmt.Errorf("posting %d of %d on account %s crosses its %s freeze", crossed[0].ID, crossed[0].Amount, crossed[0].AccountID, crossed[0].Scope)
	}
	bar.add(1)
	return nil
}

// ensureAdmin returns the oldest active admin, or creates one with the seed's password.
func ensureAdmin(ctx context.Context, tx pgx.Tx, hash string, now time.Time, res *Result) (uuid.UUID, error) {
	var id uuid.UUID
	var email string
	err := tx.QueryRow(ctx, "SELECT id, email FROM users WHERE role = $1 AND status = $2 ORDER BY created_at, id LIMIT 1",
		domain.RoleAdmin, domain.UserActive).Scan(&id, &email)
	if err == nil {
		res.AdminEmail = email
		return id, nil
	}
	if !errors.Is(err, pgx.ErrNoRows) {
		return id, fmt.Errorf("look up an admin: %w", err)
	}
	id = uuid.New()
	if _, err := tx.Exec(ctx, `INSERT INTO users (id, email, password_hash, full_name, role, status, created_at, updated_at)
		VALUES ($1, $2, $3, 'Scale Administrator', $4, $5, $6, $6)`, id, AdminEmail, hash, domain.RoleAdmin, domain.UserActive, now); err != nil {
		return id, fmt.Errorf("create admin: %w", err)
	}
	res.AdminCreated = true
	return id, nil
}

// readCash reads the cash accounts with their balances, and the id of the last posting.
func readCash(ctx context.Context, tx pgx.Tx) ([]account, int64, error) {
	rows, err := tx.Query(ctx, "SELECT id, number, currency, balance FROM accounts WHERE kind = $1 ORDER BY currency", domain.AccountCash)
	if err != nil {
		return nil, 0, fmt.Errorf("read cash accounts: %w", err)
	}
	var cash []account
	for rows.Next() {
		var a account
		var code string
		if err := rows.Scan(&a.id, &a.number, &code, &a.start); err != nil {
			return nil, 0, fmt.Errorf("read cash accounts: %w", err)
		}
		a.user = -1
		a.balance = a.start
		found := false
		for i, c := range seedCurrencies {
			if c.code == code {
				a.cur, found = uint8(i), true
			}
		}
		if found {
			cash = append(cash, a)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, 0, fmt.Errorf("read cash accounts: %w", err)
	}
	var last int64
	if err := tx.QueryRow(ctx, "SELECT COALESCE(max(id), 0) FROM postings").Scan(&last); err != nil {
		return nil, 0, fmt.Errorf("read last posting: %w", err)
	}
	return cash, last, nil
}
