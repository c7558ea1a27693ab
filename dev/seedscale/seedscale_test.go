package seedscale

import (
	"context"
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/bankforge/bank/audit"
	"github.com/bankforge/bank/db"
	"github.com/bankforge/bank/dev/testenv"
	"github.com/bankforge/bank/domain"
)

const testPassword = "Scale-seed-Password-2026"

var testNow = time.Date(2026, 3, 15, 12, 0, 0, 0, time.UTC)

type seeded struct {
	app, owner *db.Store
	events     *audit.Store
	res        Result
	// foreignKeys is how many foreign keys the loaded tables had before the seed.
	foreignKeys int
	// indexes is how many indexes they had.
	indexes int
}

func countIndexes(t *testing.T, owner *db.Store) int {
	t.Helper()
	var n int
	require.NoError(t, owner.Pool().QueryRow(context.Background(), `SELECT count(*) FROM pg_index x JOIN pg_class t ON t.oid = x.indrelid
		WHERE x.indisvalid AND t.relname = ANY($1)`, loadedTables).Scan(&n))
	return n
}

// seedTiny seeds a fresh database and audit log at a tiny size.
func seedTiny(t *testing.T) seeded {
	t.Helper()
	ctx := context.Background()
	app, owner := testenv.NewStores(t)
	client, err := audit.Connect(ctx, testenv.Mongo(t))
	require.NoError(t, err)
	t.Cleanup(func() { _ = client.Disconnect(context.Background()) })
	events := audit.NewStore(client.Database("bank"))
	var keys int
	require.NoError(t, owner.Pool().QueryRow(ctx, `SELECT count(*) FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid
		WHERE c.contype = 'f' AND t.relname = ANY($1)`, loadedTables).Scan(&keys))
	require.Greater(t, keys, 10)
	indexes := countIndexes(t, owner)
	res, err := Run(ctx, owner.Pool(), events, Options{
		Customers: 50, Postings: 2000, AuditEvents: 300, Days: 365, Now: testNow, Seed: 7, Password: testPassword,
	})
	require.NoError(t, err)
	return seeded{app: app, owner: owner, events: events, res: res, foreignKeys: keys, indexes: indexes}
}

// One tiny seed, read by each subtest; none of them changes it (the checks' test rolls back).
func TestRun_TinySeed(t *testing.T) {
	s := seedTiny(t)
	t.Run("KeepsTheLedgerAndTheAuditChain", func(t *testing.T) { keepsTheLedgerAndTheAuditChain(t, s) })
	t.Run("ReportsAgreeWithTheLedger", func(t *testing.T) { reportsAgreeWithTheLedger(t, s) })
	t.Run("ChecksCatchWhatTheTriggersWouldRefuse", func(t *testing.T) { checksCatchWhatTheTriggersWouldRefuse(t, s) })
}

func keepsTheLedgerAndTheAuditChain(t *testing.T, s seeded) {
	ctx := context.Background()
	if s.res.Customers != 50 || s.res.Postings != 2000 || s.res.AuditEvents != 300 || s.res.FrozenAccounts < 1 {
		t.Fatalf("seeded %+v; want 50 customers, 2000 postings, 300 audit events and a frozen account", s.res)
	}
	report, err := s.app.CheckLedger(ctx)
	require.NoError(t, err)
	if !report.OK {
		t.Fatalf("ledger check after seeding: %v", report.Violations)
	}
	v, err := s.events.Verify(ctx)
	require.NoError(t, err)
	if !v.OK || v.Events != 300 || v.Head != s.res.AuditHead {
		t.Fatalf("audit chain after seeding: %+v; want 300 events that verify, head %+v", v, s.res.AuditHead)
	}

	// Balances match postings, account by account, read independently of the checks above.
	var mismatched, accounts, currencies int
	err = s.owner.Pool().QueryRow(ctx, `SELECT
		(SELECT count(*) FROM accounts a WHERE a.balance <> COALESCE((SELECT sum(amount) FROM postings p WHERE p.account_id = a.id), 0)),
		(SELECT count(*) FROM accounts WHERE kind = 'customer'),
		(SELECT count(DISTINCT currency) FROM accounts WHERE kind = 'customer')`).Scan(&mismatched, &accounts, &currencies)
	require.NoError(t, err)
	if mismatched != 0 || accounts != s.res.Accounts || currencies < 3 {
		t.Errorf("%d accounts disagree with their postings; %d customer accounts in %d currencies (want %d in at least 3)",
			mismatched, accounts, currencies, s.res.Accounts)
	}

	// The foreign keys are back, as many as the schema has on a fresh database.
	var keys int
	require.NoError(t, s.owner.Pool().QueryRow(ctx, `SELECT count(*) FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid
		WHERE c.contype = 'f' AND c.convalidated AND t.relname = ANY($1)`, loadedTables).Scan(&keys))
	if keys != s.foreignKeys {
		t.Errorf("%d validated foreign keys on the loaded tables after seeding; %d before", keys, s.foreignKeys)
	}
	if indexes := countIndexes(t, s.owner); indexes != s.indexes {
		t.Errorf("%d valid indexes on the loaded tables after seeding; %d before", indexes, s.indexes)
	}

	// The seals are on again: each trigger the load turned off is enabled.
	for _, tr := range rowCheckTriggers {
		var enabled string
		require.NoError(t, s.owner.Pool().QueryRow(ctx, "SELECT tgenabled FROM pg_trigger WHERE tgname = $1", tr.trigger).Scan(&enabled))
		if enabled != "O" {
			t.Errorf("trigger %s is %q after seeding, not enabled", tr.trigger, enabled)
		}
	}

	// The movements spread over the year: every month has some.
	var months int
	require.NoError(t, s.owner.Pool().QueryRow(ctx, "SELECT count(DISTINCT date_trunc('month', created_at)) FROM postings").Scan(&months))
	if months < 12 {
		t.Errorf("postings fall in %d months; want the year's 12 at least", months)
	}
}

// The reports read by staff, over the seeded data, agree with the ledger to the minor unit.
func reportsAgreeWithTheLedger(t *testing.T, s seeded) {
	ctx := context.Background()

	// What the ledger says moved, per kind and currency: the credited legs of completed movements.
	moved := map[string]int64{}
	rows, err := s.owner.Pool().Query(ctx, `SELECT t.kind || '/' || p.currency, sum(p.amount)::bigint
		FROM postings p JOIN ledger_transactions lt ON lt.id = p.transaction_id JOIN transfers t ON t.id = lt.transfer_id
		WHERE p.amount > 0 GROUP BY 1`)
	require.NoError(t, err)
	for rows.Next() {
		var key string
		var sum int64
		require.NoError(t, rows.Scan(&key, &sum))
		moved[key] = sum
	}
	require.NoError(t, rows.Err())

	params := func(from, to time.Time, interval, step string) db.ReportTransactionsParams {
		return db.ReportTransactionsParams{Tz: "UTC", FromTime: from, ToTime: to, Unit: interval, Step: step,
			Transfer: string(domain.KindTransfer), Deposit: string(domain.KindDeposit), Withdrawal: string(domain.KindWithdrawal),
			Completed: string(domain.TransferCompleted), Failed: string(domain.TransferFailed),
			Compensated: string(domain.TransferCompensated), Customer: string(domain.AccountCustomer)}
	}
	byMonth, err := s.app.TransactionsReportTx(ctx, params(s.res.From, s.res.To, "month", "1 month"))
	require.NoError(t, err)
	reported := map[string]int64{}
	net := map[string]int64{}
	for _, r := range byMonth {
		reported["transfer/"+r.Currency] += r.TransferVolume
		reported["deposit/"+r.Currency] += r.DepositVolume
		reported["withdrawal/"+r.Currency] += r.WithdrawalVolume
		net[r.Currency] += r.DepositVolume - r.WithdrawalVolume
	}
	for key, sum := range moved {
		if reported[key] != sum {
			t.Errorf("transactions report: %s volume %d; the ledger moved %d", key, reported[key], sum)
		}
	}
	if len(moved) == 0 {
		t.Fatal("the ledger moved nothing")
	}

	// A month cut by day sums to the month.
	month := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	byDay, err := s.app.TransactionsReportTx(ctx, params(month, month.AddDate(0, 1, 0), "day", "1 day"))
	require.NoError(t, err)
	days := map[string]int64{}
	for _, r := range byDay {
		days[r.Currency] += r.TransferVolume + r.DepositVolume + r.WithdrawalVolume
	}
	for _, r := range byMonth {
		if r.StartAt.Equal(month) && days[r.Currency] != r.TransferVolume+r.DepositVolume+r.WithdrawalVolume {
			t.Errorf("January %s: the days sum to %d, the month says %d", r.Currency, days[r.Currency], r.TransferVolume+r.DepositVolume+r.WithdrawalVolume)
		}
	}

	// The account-status report: by status, totals and the cash account agree, and money in minus
	// money out is what customers hold.
	byStatus, err := s.app.ReportAccountsByStatus(ctx, domain.AccountCustomer)
	require.NoError(t, err)
	totals, err := s.app.ReportLedgerTotals(ctx, db.ReportLedgerTotalsParams{Customer: domain.AccountCustomer, Cash: domain.AccountCash})
	require.NoError(t, err)
	held := map[string]int64{}
	var frozen int64
	for _, r := range byStatus {
		held[r.Currency] += r.Balance
		if r.Status == domain.AccountFrozen {
			frozen += r.Accounts
		}
	}
	for _, r := range totals {
		if r.CustomerBalance != held[r.Currency] || r.CustomerBalance != -r.CashBalance || r.CustomerBalance != net[r.Currency] {
			t.Errorf("%s: customers hold %d (by status %d), cash %d, deposits minus withdrawals %d",
				r.Currency, r.CustomerBalance, held[r.Currency], r.CashBalance, net[r.Currency])
		}
	}
	list, err := s.app.ReportFrozenAccounts(ctx, domain.FreezeActive)
	require.NoError(t, err)
	if int(frozen) != s.res.FrozenAccounts || len(list) != s.res.FrozenAccounts {
		t.Errorf("%d accounts frozen by status and %d in the frozen list; seeded %d", frozen, len(list), s.res.FrozenAccounts)
	}

	// Each account's statement of the year: the opening balance plus its entries is the closing
	// balance, which is the account's balance.
	ids, err := s.owner.Pool().Query(ctx, "SELECT id, balance FROM accounts WHERE kind = 'customer'")
	require.NoError(t, err)
	balances, err := pgx.CollectRows(ids, pgx.RowToStructByPos[struct {
		ID      uuid.UUID
		Balance int64
	}])
	require.NoError(t, err)
	for _, a := range balances {
		bounds, err := s.app.StatementBounds(ctx, db.StatementBoundsParams{AccountID: a.ID, FromTime: s.res.From, ToTime: s.res.To})
		require.NoError(t, err)
		end, start := bounds.EndID, bounds.StartID
		if end == 0 {
			end = math.MaxInt64
		}
		if start == 0 {
			start = end
		}
		opening, err := s.app.BalanceBefore(ctx, db.BalanceBeforeParams{AccountID: a.ID, BeforeID: start})
		require.NoError(t, err)
		closing, err := s.app.BalanceBefore(ctx, db.BalanceBeforeParams{AccountID: a.ID, BeforeID: end})
		require.NoError(t, err)
		entries, err := s.app.ListStatementEntries(ctx, db.ListStatementEntriesParams{AccountID: a.ID, AfterID: start - 1, EndID: end, Batch: 100_000})
		require.NoError(t, err)
		sum := opening
		for _, e := range entries {
			sum += e.Amount
		}
		if opening != 0 || sum != closing || closing != a.Balance {
			t.Errorf("account %s: statement opens at %d, its entries sum to %d, closes at %d; balance %d", a.ID, opening, sum, closing, a.Balance)
		}
	}
}

// A database that has customers is refused, and with AllowExisting a second seed continues the
// cash accounts' chains and the audit chain.
func TestRun_RefusesCustomersUnlessAllowed(t *testing.T) {
	s := seedTiny(t)
	ctx := context.Background()
	o := Options{Customers: 10, Postings: 200, AuditEvents: 20, Days: 30, Now: testNow, Seed: 8, Password: testPassword}
	if _, err := Run(ctx, s.owner.Pool(), s.events, o); !errors.Is(err, ErrHasCustomers) {
		t.Fatalf("second seed without AllowExisting: %v; want ErrHasCustomers", err)
	}
	var users int
	require.NoError(t, s.owner.Pool().QueryRow(ctx, "SELECT count(*) FROM users WHERE role = 'client'").Scan(&users))
	require.Equal(t, 50, users, "the refused seed wrote customers")

	o.AllowExisting = true
	res, err := Run(ctx, s.owner.Pool(), s.events, o)
	require.NoError(t, err)
	if res.AdminCreated || res.Customers != 10 {
		t.Errorf("second seed: %+v; want 10 customers and the first seed's admin", res)
	}
	report, err := s.app.CheckLedger(ctx)
	require.NoError(t, err)
	if !report.OK {
		t.Fatalf("ledger check after a second seed: %v", report.Violations)
	}
	v, err := s.events.Verify(ctx)
	require.NoError(t, err)
	if !v.OK || v.Events != 320 {
		t.Fatalf("audit chain after a second seed: %+v; want 320 events that verify", v)
	}
}

// The load's own checks catch what the triggers it turns off would have refused: a posting whose
// balance_after does not follow its account's chain, and an unbalanced transaction.
func checksCatchWhatTheTriggersWouldRefuse(t *testing.T, s seeded) {
	ctx := context.Background()
	for name, tc := range map[string]struct {
		amounts []int64
		want    string
	}{
		"chain":      {[]int64{-1, 1}, "balance_after"},
		"unbalanced": {[]int64{-1, 2}, "sums to"},
	} {
		t.Run(name, func(t *testing.T) {
			tx, err := s.owner.Pool().Begin(ctx)
			require.NoError(t, err)
			defer func() { _ = tx.Rollback(ctx) }()
			require.NoError(t, setTriggers(ctx, tx, false))
			var from, to uuid.UUID
			var cur string
			require.NoError(t, tx.QueryRow(ctx, `SELECT a.id, b.id, a.currency FROM accounts a JOIN accounts b ON b.currency = a.currency AND b.id <> a.id
				WHERE a.kind = 'customer' AND b.kind = 'customer' AND a.balance > 0 AND a.status = 'active' AND b.status = 'active' LIMIT 1`).Scan(&from, &to, &cur))
			txID := uuid.New()
			_, err = tx.Exec(ctx, "INSERT INTO ledger_transactions (id, operation_id) VALUES ($1, $2)", txID, "test/"+txID.String())
			require.NoError(t, err)
			// balance_after as an honest writer would not compute it: the account's balance unchanged.
			for i, acc := range []uuid.UUID{from, to} {
				_, err = tx.Exec(ctx, `INSERT INTO postings (transaction_id, account_id, amount, currency, balance_after)
					SELECT $1, id, $3::bigint, currency, balance + CASE WHEN $4::boolean THEN $3::bigint ELSE 0 END FROM accounts WHERE id = $2`,
					txID, acc, tc.amounts[i], name == "unbalanced")
				require.NoError(t, err)
			}
			if name == "unbalanced" {
				_, err = tx.Exec(ctx, "UPDATE accounts a SET balance = a.balance + d.amount FROM postings d WHERE d.transaction_id = $1 AND d.account_id = a.id", txID)
				require.NoError(t, err)
			}
			err = check(ctx, tx, newProgress(nil))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("check = %v; want an error about %q", err, tc.want)
			}
		})
	}
}
