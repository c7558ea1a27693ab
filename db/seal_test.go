package db_test

import (
	"context"
	"errors"
	"testing"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/bankforge/bank/db"
	"github.com/bankforge/bank/dev/testenv"
	"github.com/bankforge/bank/domain"
)

// SQLSTATEs the sealed ledger answers with.
const (
	foreignKeyViolation   = "23503"
	checkViolation        = "23514"
	restrictViolation     = "23001"
	insufficientPrivilege = "42501"
	uniqueViolation       = "23505"
)

// requireCode fails unless err is a PostgreSQL error with code and, when given, that constraint name.
func requireCode(t *testing.T, err error, code, constraint string) {
	t.Helper()
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) {
		t.Fatalf("error %v; want SQLSTATE %s", err, code)
	}
	if pgErr.Code != code || (constraint != "" && pgErr.ConstraintName != constraint) {
		t.Fatalf("SQLSTATE %s (constraint %q): %s; want %s (constraint %q)", pgErr.Code, pgErr.ConstraintName, pgErr.Message, code, constraint)
	}
}

// sealed is a database whose customer account holds 100 USD, deposited from the cash account.
type sealed struct {
	app, owner *db.Store
	account    db.Account
	cash       db.Account
}

func newSealed(t *testing.T) sealed {
	t.Helper()
	app, owner := testenv.NewStores(t)
	u := newUser(t, app)
	a := newAccount(t, app, u, "USD")
	deposit(t, app, u, a, 100)
	cash, err := app.GetCashAccount(context.Background(), db.GetCashAccountParams{Kind: domain.AccountCash, Currency: "USD"})
	if err != nil {
		t.Fatal(err)
	}
	return sealed{app: app, owner: owner, account: balance(t, app, a), cash: cash}
}

// inTx runs statements as the application's role in one transaction and returns the first error,
// the commit's included.
func (s sealed) inTx(t *testing.T, fn func(ctx context.Context, tx pgx.Tx) error) error {
	t.Helper()
	ctx := context.Background()
	tx, err := s.app.Pool().Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = tx.Rollback(ctx) }()
	if err := fn(ctx, tx); err != nil {
		return err
	}
	return tx.Commit(ctx)
}

func (s sealed) ledgerTransaction(ctx context.Context, tx pgx.Tx) (uuid.UUID, error) {
	id := uuid.New()
	_, err := tx.Exec(ctx, "INSERT INTO ledger_transactions (id, operation_id) VALUES ($1, $2)", id, "test/"+id.String())
	return id, err
}

func insertPosting(ctx context.Context, tx pgx.Tx, txID uuid.UUID, a db.Account, amount int64, currency string, balanceAfter int64) error {
	_, err := tx.Exec(ctx, `INSERT INTO postings (transaction_id, account_id, amount, currency, balance_after)
		VALUES ($1, $2, $3, $4, $5)`, txID, a.ID, amount, currency, balanceAfter)
	return err
}

func TestSeal_PostingInAnotherCurrencyIsRefused(t *testing.T) {
	s := newSealed(t)
	err := s.inTx(t, func(ctx context.Context, tx pgx.Tx) error {
		id, err := s.ledgerTransaction(ctx, tx)
		if err != nil {
			return err
		}
		// The balance moves and balance_after follows it: only the currency is wrong.
		if _, err := tx.Exec(ctx, "UPDATE accounts SET balance = balance + 5 WHERE id = $1", s.account.ID); err != nil {
			return err
		}
		return insertPosting(ctx, tx, id, s.account, 5, "EUR", s.account.Balance+5)
	})
	requireCode(t, err, foreignKeyViolation, "postings_account_currency_fkey")
}

func TestSeal_PostingWhoseBalanceAfterDisagreesIsRefused(t *testing.T) {
	s := newSealed(t)
	err := s.inTx(t, func(ctx context.Context, tx pgx.Tx) error {
		id, err := s.ledgerTransaction(ctx, tx)
		if err != nil {
			return err
		}
		// The balance and balance_after agree with each other, not with the posting's amount: only the
		// history check can tell.
		if _, err := tx.Exec(ctx, "UPDATE accounts SET balance = balance + 6 WHERE id = $1", s.account.ID); err != nil {
			return err
		}
		return insertPosting(ctx, tx, id, s.account, 5, "USD", s.account.Balance+6)
	})
	requireCode(t, err, checkViolation, "postings_follow_history")
}

func TestSeal_BalanceChangedWithoutPostingIsRefusedAtCommit(t *testing.T) {
	s := newSealed(t)
	err := s.inTx(t, func(ctx context.Context, tx pgx.Tx) error {
		_, err := tx.Exec(ctx, "UPDATE accounts SET balance = balance + 100 WHERE id = $1", s.account.ID)
		if err != nil {
			t.Fatalf("the update itself: %v; the refusal belongs to the commit", err)
		}
		return nil
	})
	requireCode(t, err, checkViolation, "accounts_balance_follows_postings")
	if got := balance(t, s.app, s.account); got.Balance != 100 {
		t.Fatalf("balance %d after the refused commit; want 100", got.Balance)
	}
}

func TestSeal_PostingWithoutBalanceUpdateIsRefused(t *testing.T) {
	s := newSealed(t)
	err := s.inTx(t, func(ctx context.Context, tx pgx.Tx) error {
		id, err := s.ledgerTransaction(ctx, tx)
		if err != nil {
			return err
		}
		// A balanced transaction whose postings follow each account's history: only the stored
		// balances were left behind.
		if err := insertPosting(ctx, tx, id, s.account, -30, "USD", s.account.Balance-30); err != nil {
			return err
		}
		return insertPosting(ctx, tx, id, s.cash, 30, "USD", s.cash.Balance+30)
	})
	requireCode(t, err, checkViolation, "accounts_balance_follows_postings")
}

func TestSeal_ApplicationCannotTruncateTheLedger(t *testing.T) {
	s := newSealed(t)
	ctx := context.Background()
	for _, stmt := range []string{"TRUNCATE postings", "TRUNCATE ledger_transactions, postings"} {
		_, err := s.app.Pool().Exec(ctx, stmt)
		requireCode(t, err, insufficientPrivilege, "")
	}
	// Nor can the owner: the triggers refuse it.
	_, err := s.owner.Pool().Exec(ctx, "TRUNCATE postings")
	requireCode(t, err, restrictViolation, "postings_no_truncate")
	_, err = s.owner.Pool().Exec(ctx, "TRUNCATE ledger_transactions, postings")
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) || pgErr.Code != restrictViolation ||
		(pgErr.ConstraintName != "postings_no_truncate" && pgErr.ConstraintName != "ledger_transactions_no_truncate") {
		t.Fatalf("owner's TRUNCATE ledger_transactions, postings: %v; want 23001 from a no_truncate trigger", err)
	}
	requireLedgerOK(t, s.app)
}

func TestSeal_LedgerHistoryIsNeverRewritten(t *testing.T) {
	s := newSealed(t)
	ctx := context.Background()
	for _, stmt := range []string{
		"UPDATE postings SET amount = amount * 2",
		"DELETE FROM postings",
		"UPDATE ledger_transactions SET description = 'rewritten'",
		"DELETE FROM ledger_transactions",
		// A posting's id is the database's: one from the future would break the order of history.
		"INSERT INTO postings (id, transaction_id, account_id, amount, currency, balance_after) SELECT 1000000, transaction_id, account_id, amount, currency, balance_after FROM postings LIMIT 1",
	} {
		_, err := s.app.Pool().Exec(ctx, stmt)
		requireCode(t, err, insufficientPrivilege, "")
	}
	// The owner may, by privilege, and the triggers refuse.
	_, err := s.owner.Pool().Exec(ctx, "UPDATE ledger_transactions SET description = 'rewritten'")
	requireCode(t, err, restrictViolation, "ledger_transactions_immutable")
	_, err = s.owner.Pool().Exec(ctx, "DELETE FROM ledger_transactions WHERE NOT EXISTS (SELECT 1 FROM postings WHERE transaction_id = ledger_transactions.id)")
	if err != nil {
		t.Fatalf("deleting nothing: %v", err) // every transaction has postings; the trigger only sees rows
	}
	_, err = s.owner.Pool().Exec(ctx, "DELETE FROM postings")
	requireCode(t, err, restrictViolation, "") // postings_immutable, of 000002, names no constraint
}

// The application's role cannot switch the seals off: every way is refused for lack of privilege.
func TestSeal_ApplicationCannotSwitchTheSealsOff(t *testing.T) {
	s := newSealed(t)
	ctx := context.Background()
	for _, stmt := range []string{
		"ALTER TABLE postings DISABLE TRIGGER ALL",
		"ALTER TABLE postings DISABLE TRIGGER postings_immutable",
		"ALTER TABLE accounts DISABLE TRIGGER accounts_balance_follows_postings",
		"SET session_replication_role = replica",
		"DROP TABLE postings",
		"DROP TRIGGER postings_follow_history ON postings",
		"ALTER TABLE accounts DROP CONSTRAINT accounts_customer_balance_non_negative",
		"ALTER TABLE postings DROP CONSTRAINT postings_account_currency_fkey",
		"CREATE OR REPLACE FUNCTION postings_follow_history() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN RETURN NEW; END$$",
		"CREATE TABLE shadow (id int)",
		"CREATE TEMP TABLE postings (account_id uuid, id bigint, balance_after bigint)",
	} {
		_, err := s.app.Pool().Exec(ctx, stmt)
		var pgErr *pgconn.PgError
		if !errors.As(err, &pgErr) || pgErr.Code != insufficientPrivilege {
			t.Errorf("%s: %v; want SQLSTATE %s", stmt, err, insufficientPrivilege)
		}
	}
}

func TestSeal_SecondPostingOfATransferIsRefused(t *testing.T) {
	s := newSealed(t)
	ctx := context.Background()
	// The deposit that funded the account is a transfer with its one ledger transaction.
	var transferID uuid.UUID
	if err := s.app.Pool().QueryRow(ctx, `SELECT lt.transfer_id FROM ledger_transactions lt
		JOIN postings p ON p.transaction_id = lt.id WHERE p.account_id = $1`, s.account.ID).Scan(&transferID); err != nil {
		t.Fatal(err)
	}
	err := s.inTx(t, func(ctx context.Context, tx pgx.Tx) error {
		// Balanced and following history, under an operation id of its own: only the transfer repeats.
		id := uuid.New()
		if _, err := tx.Exec(ctx, "INSERT INTO ledger_transactions (id, operation_id, transfer_id) VALUES ($1, $2, $3)",
			id, "again/"+transferID.String(), transferID); err != nil {
			return err
		}
		for _, leg := range []struct {
			a      db.Account
			amount int64
		}{{s.cash, 100}, {s.account, -100}} {
			if _, err := tx.Exec(ctx, "UPDATE accounts SET balance = balance + $1 WHERE id = $2", leg.amount, leg.a.ID); err != nil {
				return err
			}
			if err := insertPosting(ctx, tx, id, leg.a, leg.amount, "USD", balance(t, s.app, leg.a).Balance+leg.amount); err != nil {
				return err
			}
		}
		return nil
	})
	requireCode(t, err, uniqueViolation, "ledger_transactions_one_per_transfer")
	if got := balance(t, s.app, s.account); got.Balance != 100 {
		t.Fatalf("balance %d after the refused posting; want 100", got.Balance)
	}
}
