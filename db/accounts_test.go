package db_test

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"testing"

	"github.com/google/uuid"

	"github.com/bankforge/bank/db"
	"github.com/bankforge/bank/dev/testenv"
	"github.com/bankforge/bank/domain"
)

// Account numbers are 12 digits drawn at random (the last a check digit), so that knowing one
// number says nothing of the others: fifty accounts opened one after another spread over the
// whole range instead of following each other.
func TestOpenAccountTx_NumbersAreTwelveRandomDigits(t *testing.T) {
	t.Parallel()
	s := testenv.NewStore(t)
	u := newUser(t, s)
	shape := regexp.MustCompile(`^[1-9][0-9]{11}$`)
	var bodies []int64
	for range 50 {
		a := newAccount(t, s, u, "USD")
		if !shape.MatchString(a.Number) || !domain.ValidAccountNumber(a.Number) {
			t.Fatalf("account number %q; want 12 digits, the first not 0, the last a check digit", a.Number)
		}
		body, _ := strconv.ParseInt(a.Number[:11], 10, 64)
		bodies = append(bodies, body)
	}
	// Drawn uniformly from 9*10^10 values, fifty numbers all within 10^9 of each other would happen
	// with a probability below 10^-80.
	if spread := slices.Max(bodies) - slices.Min(bodies); spread < 1_000_000_000 {
		t.Fatalf("fifty numbers lie within %d of each other: %v", spread, bodies)
	}
}

// draws returns the numbers in turn, then fresh ones, and counts the draws.
func draws(numbers ...string) (func() (string, error), *int) {
	n := new(int)
	return func() (string, error) {
		*n++
		if *n <= len(numbers) {
			return numbers[*n-1], nil
		}
		return domain.NewAccountNumber(rand.Reader)
	}, n
}

// A drawn number that another account has is drawn again; the account opens with the next free one.
func TestOpenAccountTx_DrawsAgainWhenTheNumberIsTaken(t *testing.T) {
	t.Parallel()
	s := testenv.NewStore(t)
	u := newUser(t, s)
	taken := newAccount(t, s, u, "USD")
	draw, n := draws(taken.Number, taken.Number)
	s.SetAccountNumbers(draw)
	a, err := s.OpenAccountTx(context.Background(), u.ID, "USD", "test/"+uuid.NewString())
	if err != nil {
		t.Fatal(err)
	}
	if a.Number == taken.Number || !domain.ValidAccountNumber(a.Number) || *n != 3 {
		t.Fatalf("opened with %s after %d draws; want a third, free number", a.Number, *n)
	}
	// Opening again under the same key returns the account, whatever the draw.
	again, err := s.OpenAccountTx(context.Background(), u.ID, "USD", *a.OpenedBy)
	if err != nil || again.ID != a.ID {
		t.Fatalf("opening again: %v, %v; want %s", again.ID, err, a.ID)
	}
}

// Inside the transaction that holds a customer to the account limit, a taken number is drawn again
// too: the clash fails no statement, so the transaction goes on.
func TestOpenAccountWithinLimitTx_DrawsAgainWhenTheNumberIsTaken(t *testing.T) {
	t.Parallel()
	s := testenv.NewStore(t)
	u := newUser(t, s)
	taken := newAccount(t, s, u, "USD")
	draw, n := draws(taken.Number)
	s.SetAccountNumbers(draw)
	a, err := s.OpenAccountWithinLimitTx(context.Background(), u.ID, "USD", "test/"+uuid.NewString(), 5)
	if err != nil {
		t.Fatal(err)
	}
	if a.Number == taken.Number || !domain.ValidAccountNumber(a.Number) || *n != 2 {
		t.Fatalf("opened with %s after %d draws; want a second, free number", a.Number, *n)
	}
}

// A source that only ever gives taken numbers fails the opening, after a bounded number of draws,
// and opens nothing.
func TestOpenAccountTx_GivesUpWhenEveryDrawIsTaken(t *testing.T) {
	t.Parallel()
	s := testenv.NewStore(t)
	u := newUser(t, s)
	taken := newAccount(t, s, u, "USD")
	n := 0
	s.SetAccountNumbers(func() (string, error) { n++; return taken.Number, nil })
	if a, err := s.OpenAccountTx(context.Background(), u.ID, "USD", "test/"+uuid.NewString()); err == nil {
		t.Fatalf("opened %s with a taken number", a.Number)
	}
	if n != 5 {
		t.Fatalf("%d draws; want 5", n)
	}
	broken := errors.New("no randomness")
	s.SetAccountNumbers(func() (string, error) { return "", broken })
	if _, err := s.OpenAccountTx(context.Background(), u.ID, "USD", "test/"+uuid.NewString()); !errors.Is(err, broken) {
		t.Fatalf("error %v; want the source's", err)
	}
	if accounts, _ := s.ListUserAccounts(context.Background(), db.ListUserAccountsParams{UserID: &u.ID, PageSize: 10}); len(accounts) != 1 {
		t.Fatalf("%d accounts; want only the first", len(accounts))
	}
}

// The database holds every account number to a shape the bank issues: 12 digits, the first
// accounts' 9, or CASH-<currency> for a cash account.
func TestSeal_AccountNumberOfAnotherShapeIsRefused(t *testing.T) {
	t.Parallel()
	s := testenv.NewStore(t)
	u := newUser(t, s)
	a := newAccount(t, s, u, "USD")
	for _, number := range []string{"100000017", "999999999991"} {
		if _, err := s.Pool().Exec(context.Background(), "UPDATE accounts SET number = $1 WHERE id = $2", number, a.ID); err != nil {
			t.Fatalf("number %s: %v", number, err)
		}
	}
	for _, number := range []string{"18", "000000000018", "1000000000000", "CASH-USD", "48213067594a"} {
		_, err := s.Pool().Exec(context.Background(), "UPDATE accounts SET number = $1 WHERE id = $2", number, a.ID)
		requireCode(t, err, checkViolation, "accounts_number_shape")
	}
}

// Upgrading a database whose accounts were numbered from the sequence keeps every number as it was,
// and the accounts opened afterwards get random ones.
func TestMigrate_SequentialNumbersAreKept(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	owner := testenv.Connect(t, testenv.NewEmptyDatabase(t))
	if err := db.MigrateTo(ctx, owner.Pool(), 7); err != nil {
		t.Fatal(err)
	}
	// What the sequence gave out: 10000001, 10000002, each followed by its Luhn digit. The user is
	// written as that schema had it: the queries of this release read columns it lacks.
	userID := uuid.New()
	if _, err := owner.Pool().Exec(ctx, `INSERT INTO users (id, email, password_hash, full_name)
		VALUES ($1, $2, 'h', 'Legacy')`, userID, userID.String()+"@example.com"); err != nil {
		t.Fatal(err)
	}
	for i, number := range []string{"100000017", "100000025"} {
		var seq int64
		if err := owner.Pool().QueryRow(ctx, "SELECT nextval('account_number_seq')").Scan(&seq); err != nil {
			t.Fatal(err)
		}
		if want := fmt.Sprint(seq); number[:8] != want {
			t.Fatalf("sequence gave %s; want %s", want, number[:8])
		}
		if _, err := owner.Pool().Exec(ctx, `INSERT INTO accounts (id, number, user_id, currency, opened_by)
			VALUES ($1, $2, $3, 'USD', $4)`, uuid.New(), number, userID, fmt.Sprint("legacy/", i)); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := db.Migrate(ctx, owner.Pool()); err != nil {
		t.Fatal(err)
	}
	for _, number := range []string{"100000017", "100000025", "CASH-USD", "CASH-JPY"} {
		a, err := owner.GetAccountByNumber(ctx, number)
		if err != nil {
			t.Fatalf("account %s after the upgrade: %v", number, err)
		}
		if a.Kind == domain.AccountCustomer && !domain.ValidAccountNumber(number) {
			t.Fatalf("%s, kept, is not a valid account number", number)
		}
	}
	err := owner.Pool().QueryRow(ctx, "SELECT nextval('account_number_seq')").Scan(new(int64))
	requireCode(t, err, "42P01", "") // undefined_table: the sequence is gone
	u, err := owner.GetUser(ctx, userID)
	if err != nil {
		t.Fatal(err)
	}
	if a := newAccount(t, owner, u, "USD"); len(a.Number) != domain.AccountNumberDigits {
		t.Fatalf("an account opened after the upgrade has number %s", a.Number)
	}
}
