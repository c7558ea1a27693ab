package db_test

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/bankforge/bank/db"
	"github.com/bankforge/bank/dev/testenv"
	"github.com/bankforge/bank/domain"
)

// A read whose connection PostgreSQL dropped (its backend terminated, as a restart or a cut network
// does) is answered from another connection; the same read sent straight to the pool fails, which
// is what the store's retry spares its callers.
func TestStore_ReadOnADroppedConnectionIsRetriedOnce(t *testing.T) {
	ctx := context.Background()
	url := testenv.NewDatabase(t)
	owner := testenv.Connect(t, testenv.OwnerURL(url))
	// One connection, so the second read is certain to meet the terminated one.
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		t.Fatal(err)
	}
	cfg.MaxConns = 1
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	store := db.NewStore(pool)
	cashParams := db.GetCashAccountParams{Kind: domain.AccountCash, Currency: "USD"}

	dropConnection := func() {
		t.Helper()
		var pid int32
		if err := pool.QueryRow(ctx, "SELECT pg_backend_pid()").Scan(&pid); err != nil {
			t.Fatal(err)
		}
		var done bool
		if err := owner.Pool().QueryRow(ctx, "SELECT pg_terminate_backend($1)", pid).Scan(&done); err != nil || !done {
			t.Fatalf("terminate backend %d: %v %v", pid, done, err)
		}
	}

	// The control: the pool itself hands the dead connection to the next statement, which fails.
	dropConnection()
	if _, err := pool.Exec(ctx, "SELECT 1"); err == nil || !db.IsUnavailable(err) {
		t.Fatalf("a statement on the terminated connection: %v; want a dropped connection", err)
	}

	dropConnection()
	cash, err := store.GetCashAccount(ctx, cashParams)
	if err != nil {
		t.Fatalf("a read on the terminated connection: %v; want it answered on another", err)
	}
	if cash.Currency != "USD" {
		t.Fatalf("read %+v", cash)
	}

	// A read of many rows too.
	dropConnection()
	currencies, err := store.ListCurrencies(ctx)
	if err != nil || len(currencies) == 0 {
		t.Fatalf("a list on the terminated connection: %d rows, %v; want it answered on another", len(currencies), err)
	}
}
