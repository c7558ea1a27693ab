package db_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/bankforge/bank/db"
	"github.com/bankforge/bank/dev/testenv"
	"github.com/bankforge/bank/domain"
)

func newUser(t *testing.T, s *db.Store) db.User {
	t.Helper()
	id := uuid.New()
	u, err := s.InsertUser(context.Background(), db.InsertUserParams{Status: domain.UserActive,
		ID: id, Email: id.String() + "@example.com", PasswordHash: "x", FullName: "Test", Role: domain.RoleClient,
	})
	if err != nil {
		t.Fatalf("create user: %v", err)
	}
	return u
}

func newAccount(t *testing.T, s *db.Store, u db.User, currency string) db.Account {
	t.Helper()
	a, err := s.OpenAccountTx(context.Background(), u.ID, currency, "test/"+uuid.NewString())
	if err != nil {
		t.Fatalf("open account: %v", err)
	}
	return a
}

func newTransfer(t *testing.T, s *db.Store, kind domain.TransferKind, by uuid.UUID, from, to db.Account, amount int64) db.Transfer {
	t.Helper()
	id := uuid.New()
	tr, err := s.CreateTransfer(context.Background(), db.CreateTransferParams{
		ID: id, Kind: kind, InitiatedBy: by, FromAccountID: from.ID, ToAccountID: to.ID,
		Amount: amount, Currency: from.Currency, WorkflowID: "test-" + id.String(),
	})
	if err != nil {
		t.Fatalf("create transfer: %v", err)
	}
	return tr
}

// move runs reserve and post as the transfer workflow does.
func move(ctx context.Context, s *db.Store, tr db.Transfer) error {
	if err := s.PlaceHoldTx(ctx, tr, time.Now().Add(time.Minute), db.HoldLimits{}); err != nil {
		return err
	}
	err := s.PostTransferTx(ctx, tr, "transfer/"+tr.ID.String()+"/post")
	return err
}

func deposit(t *testing.T, s *db.Store, by db.User, to db.Account, amount int64) {
	t.Helper()
	cash, err := s.GetCashAccount(context.Background(), db.GetCashAccountParams{Kind: domain.AccountCash, Currency: to.Currency})
	if err != nil {
		t.Fatal(err)
	}
	if err := move(context.Background(), s, newTransfer(t, s, domain.KindDeposit, by.ID, cash, to, amount)); err != nil {
		t.Fatalf("deposit: %v", err)
	}
}

// fundedPair gives a customer an account holding amount USD and another customer an empty one.
func fundedPair(t *testing.T, s *db.Store, amount int64) (db.User, db.Account, db.Account) {
	t.Helper()
	u := newUser(t, s)
	src, dst := newAccount(t, s, u, "USD"), newAccount(t, s, newUser(t, s), "USD")
	deposit(t, s, u, src, amount)
	return u, src, dst
}

func balance(t *testing.T, s *db.Store, a db.Account) db.Account {
	t.Helper()
	got, err := s.GetAccount(context.Background(), a.ID)
	if err != nil {
		t.Fatal(err)
	}
	return got
}

func requireLedgerOK(t *testing.T, s *db.Store) {
	t.Helper()
	report, err := s.CheckLedger(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if !report.OK {
		t.Fatalf("ledger violations: %v", report.Violations)
	}
}

func TestMigrate_SecondRunAppliesNothing(t *testing.T) {
	t.Parallel()
	_, owner := testenv.NewStores(t)
	applied, err := db.Migrate(context.Background(), owner.Pool())
	if err != nil || len(applied) != 0 {
		t.Fatalf("second migrate applied %v, %v", applied, err)
	}
}

func TestLedger_FiftyConcurrentDebitsOfTenFromHundred(t *testing.T) {
	t.Parallel()
	s := testenv.NewStore(t)
	ctx := context.Background()
	u, src, dst := fundedPair(t, s, 100)

	var ok, refused atomic.Int32
	var wg sync.WaitGroup
	for range 50 {
		tr := newTransfer(t, s, domain.KindTransfer, u.ID, src, dst, 10)
		wg.Add(1)
		go func() {
			defer wg.Done()
			switch err := move(ctx, s, tr); {
			case err == nil:
				ok.Add(1)
			case errors.Is(err, domain.ErrInsufficientFunds):
				refused.Add(1)
			default:
				t.Errorf("unexpected error: %v", err)
			}
		}()
	}
	wg.Wait()
	if ok.Load() != 10 || refused.Load() != 40 {
		t.Fatalf("succeeded %d, refused %d; want 10 and 40", ok.Load(), refused.Load())
	}
	if got := balance(t, s, src); got.Balance != 0 || got.OnHold != 0 {
		t.Fatalf("source balance %d held %d; want 0 and 0", got.Balance, got.OnHold)
	}
	if got := balance(t, s, dst); got.Balance != 100 {
		t.Fatalf("destination balance %d; want 100", got.Balance)
	}
	requireLedgerOK(t, s)
}

func TestLedger_OppositeTransfersDoNotDeadlock(t *testing.T) {
	t.Parallel()
	s := testenv.NewStore(t)
	ctx := context.Background()
	ua, ub := newUser(t, s), newUser(t, s)
	a, b := newAccount(t, s, ua, "EUR"), newAccount(t, s, ub, "EUR")
	deposit(t, s, ua, a, 1000)
	deposit(t, s, ub, b, 1000)

	var wg sync.WaitGroup
	for i := range 40 {
		from, to, by := a, b, ua
		if i%2 == 1 {
			from, to, by = b, a, ub
		}
		tr := newTransfer(t, s, domain.KindTransfer, by.ID, from, to, 7)
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := move(ctx, s, tr); err != nil {
				t.Errorf("transfer %s: %v", tr.ID, err)
			}
		}()
	}
	wg.Wait()
	if got := balance(t, s, a).Balance + balance(t, s, b).Balance; got != 2000 {
		t.Fatalf("a+b = %d; want 2000", got)
	}
	requireLedgerOK(t, s)
}

func TestLedger_StepsRunTwiceHaveOneEffect(t *testing.T) {
	t.Parallel()
	s := testenv.NewStore(t)
	ctx := context.Background()
	u, src, dst := fundedPair(t, s, 500)
	tr := newTransfer(t, s, domain.KindTransfer, u.ID, src, dst, 200)

	for range 2 {
		if err := s.PlaceHoldTx(ctx, tr, time.Now().Add(time.Minute), db.HoldLimits{}); err != nil {
			t.Fatalf("place hold: %v", err)
		}
	}
	if got := balance(t, s, src); got.OnHold != 200 {
		t.Fatalf("held %d after two reserves; want 200", got.OnHold)
	}
	for range 2 {
		if err := s.PostTransferTx(ctx, tr, "transfer/"+tr.ID.String()+"/post"); err != nil {
			t.Fatalf("post: %v", err)
		}
	}
	// A reserve retried after the posting is still a no-op.
	if err := s.PlaceHoldTx(ctx, tr, time.Now().Add(time.Minute), db.HoldLimits{}); err != nil {
		t.Fatalf("place hold after post: %v", err)
	}
	if got := balance(t, s, src); got.Balance != 300 || got.OnHold != 0 {
		t.Fatalf("source balance %d held %d; want 300 and 0", got.Balance, got.OnHold)
	}
	if got := balance(t, s, dst); got.Balance != 200 {
		t.Fatalf("destination balance %d; want 200", got.Balance)
	}
	got, _ := s.GetTransfer(ctx, tr.ID)
	if got.Status != domain.TransferCompleted {
		t.Fatalf("status %s; want completed", got.Status)
	}
	requireLedgerOK(t, s)
}

func TestLedger_FrozenDestinationIsCompensated(t *testing.T) {
	t.Parallel()
	s := testenv.NewStore(t)
	ctx := context.Background()
	u, src, dst := fundedPair(t, s, 500)
	tr := newTransfer(t, s, domain.KindTransfer, u.ID, src, dst, 200)
	if err := s.PlaceHoldTx(ctx, tr, time.Now().Add(time.Minute), db.HoldLimits{}); err != nil {
		t.Fatal(err)
	}
	freeze(t, s, dst, domain.FreezeFull)
	if err := s.PostTransferTx(ctx, tr, "transfer/"+tr.ID.String()+"/post"); !errors.Is(err, domain.ErrAccountFrozen) {
		t.Fatalf("post to frozen account: %v; want ErrAccountFrozen", err)
	}
	if got := balance(t, s, src); got.Balance != 500 || got.OnHold != 200 {
		t.Fatalf("after refused post: balance %d held %d; want 500 and 200", got.Balance, got.OnHold)
	}
	// A transfer that still holds funds cannot be declared failed.
	if _, err := s.FailTransferTx(ctx, tr.ID, domain.StepPost, domain.CodeAccountFrozen); err == nil {
		t.Fatal("FailTransferTx succeeded with an active hold")
	}
	for i, want := range []bool{true, false} {
		if voided, err := s.VoidHoldTx(ctx, tr.ID); err != nil || voided != want {
			t.Fatalf("void #%d = %v, %v; want %v", i+1, voided, err, want)
		}
	}
	if status, err := s.FailTransferTx(ctx, tr.ID, domain.StepPost, domain.CodeAccountFrozen); err != nil || status != domain.TransferCompensated {
		t.Fatalf("FailTransferTx = %s, %v; want compensated", status, err)
	}
	if got := balance(t, s, src); got.Balance != 500 || got.OnHold != 0 {
		t.Fatalf("after void: balance %d held %d; want 500 and 0", got.Balance, got.OnHold)
	}
	got, _ := s.GetTransfer(ctx, tr.ID)
	if got.Status != domain.TransferCompensated {
		t.Fatalf("status %s; want compensated", got.Status)
	}
	// Money never moves for a transfer that ended.
	if err := s.PostTransferTx(ctx, tr, "transfer/"+tr.ID.String()+"/post"); err == nil {
		t.Fatal("posted a compensated transfer")
	}
	requireLedgerOK(t, s)
}

func TestLedger_ExpiredHoldIsVoidedWithItsTransfer(t *testing.T) {
	t.Parallel()
	s := testenv.NewStore(t)
	ctx := context.Background()
	u, src, dst := fundedPair(t, s, 500)
	tr := newTransfer(t, s, domain.KindTransfer, u.ID, src, dst, 200)
	if err := s.PlaceHoldTx(ctx, tr, time.Now().Add(-time.Second), db.HoldLimits{}); err != nil {
		t.Fatal(err)
	}
	for i, want := range []bool{true, false} {
		if expired, err := s.ExpireHoldTx(ctx, tr.ID, time.Now()); err != nil || expired != want {
			t.Fatalf("expire #%d = %v, %v; want %v", i+1, expired, err, want)
		}
	}
	if got := balance(t, s, src); got.OnHold != 0 {
		t.Fatalf("held %d; want 0", got.OnHold)
	}
	if err := s.PostTransferTx(ctx, tr, "transfer/"+tr.ID.String()+"/post"); err == nil {
		t.Fatal("posted a transfer whose hold expired")
	}
	got, _ := s.GetTransfer(ctx, tr.ID)
	if got.Status != domain.TransferCompensated || got.FailureCode == nil || *got.FailureCode != domain.CodeHoldExpired {
		t.Fatalf("status %s code %v; want compensated with hold_expired", got.Status, got.FailureCode)
	}
	requireLedgerOK(t, s)
}

// A hold not yet expired is left alone.
func TestLedger_HoldBeforeItsExpiryStays(t *testing.T) {
	s := testenv.NewStore(t)
	ctx := context.Background()
	u, src, dst := fundedPair(t, s, 500)
	tr := newTransfer(t, s, domain.KindTransfer, u.ID, src, dst, 200)
	if err := s.PlaceHoldTx(ctx, tr, time.Now().Add(time.Minute), db.HoldLimits{}); err != nil {
		t.Fatal(err)
	}
	if expired, err := s.ExpireHoldTx(ctx, tr.ID, time.Now()); err != nil || expired {
		t.Fatalf("expire = %v, %v; want false", expired, err)
	}
	if got := balance(t, s, src); got.OnHold != 200 {
		t.Fatalf("on hold %d; want 200", got.OnHold)
	}
}

func TestLedger_DailyLimit(t *testing.T) {
	t.Parallel()
	s := testenv.NewStore(t)
	ctx := context.Background()
	u, src, dst := fundedPair(t, s, 1000)
	limits := db.HoldLimits{DailyMax: 300, DayStart: time.Now().Add(-time.Hour)}
	first := newTransfer(t, s, domain.KindTransfer, u.ID, src, dst, 200)
	if err := s.PlaceHoldTx(ctx, first, time.Now().Add(time.Minute), limits); err != nil {
		t.Fatal(err)
	}
	second := newTransfer(t, s, domain.KindTransfer, u.ID, src, dst, 150)
	if err := s.PlaceHoldTx(ctx, second, time.Now().Add(time.Minute), limits); !errors.Is(err, domain.ErrLimitExceeded) {
		t.Fatalf("second hold: %v; want ErrLimitExceeded", err)
	}
}

func TestLedger_DatabaseRefusesNegativeBalance(t *testing.T) {
	t.Parallel()
	s := testenv.NewStore(t)
	ctx := context.Background()
	a := newAccount(t, s, newUser(t, s), "USD")
	if _, err := s.Pool().Exec(ctx, "UPDATE accounts SET balance = -1 WHERE id = $1", a.ID); !db.IsCheckViolation(err) {
		t.Fatalf("negative balance: %v; want a check violation", err)
	}
}

// The checker must be able to fail: corrupt a balance behind the ledger's back (as the owner, with
// the database's own check switched off) and expect it caught.
func TestCheckLedger_DetectsCorruption(t *testing.T) {
	t.Parallel()
	s, owner := testenv.NewStores(t)
	ctx := context.Background()
	u := newUser(t, s)
	a := newAccount(t, s, u, "USD")
	deposit(t, s, u, a, 100)
	if _, err := owner.Pool().Exec(ctx, `ALTER TABLE accounts DISABLE TRIGGER accounts_balance_follows_postings;
		UPDATE accounts SET balance = balance + 5 WHERE id = '`+a.ID.String()+`';
		ALTER TABLE accounts ENABLE TRIGGER accounts_balance_follows_postings`); err != nil {
		t.Fatal(err)
	}
	report, err := s.CheckLedger(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if report.OK || len(report.Violations) != 2 { // conservation and ledger = balance
		t.Fatalf("report %+v; want the two violations", report)
	}
}

func TestPostings_AreAppendOnlyAndBalanced(t *testing.T) {
	t.Parallel()
	s, owner := testenv.NewStores(t)
	ctx := context.Background()
	u := newUser(t, s)
	a := newAccount(t, s, u, "USD")
	deposit(t, s, u, a, 100)
	for _, stmt := range []string{"UPDATE postings SET amount = amount * 2", "DELETE FROM postings"} {
		// The application's role may not even try; the owner's is stopped by the trigger.
		if _, err := s.Pool().Exec(ctx, stmt); !db.IsCode(err, "42501") { // insufficient_privilege
			t.Fatalf("%s as the application: %v; want insufficient_privilege (42501)", stmt, err)
		}
		if _, err := owner.Pool().Exec(ctx, stmt); !db.IsCode(err, "23001") { // restrict_violation
			t.Fatalf("%s as the owner: %v; want restrict_violation (23001)", stmt, err)
		}
	}
	// A one-legged transaction is refused at commit.
	tx, err := s.Pool().Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = tx.Rollback(ctx) }()
	txID := uuid.New()
	if _, err := tx.Exec(ctx, "INSERT INTO ledger_transactions (id, operation_id) VALUES ($1, 'test/one-leg')", txID); err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(ctx, "UPDATE accounts SET balance = balance + 5 WHERE id = $1", a.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(ctx, "INSERT INTO postings (transaction_id, account_id, amount, currency, balance_after) VALUES ($1, $2, 5, 'USD', 105)", txID, a.ID); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(ctx); !db.IsCheckViolation(err) {
		t.Fatalf("commit of a one-legged transaction: %v; want check_violation (23514)", err)
	}
}

// Ten registrations of one email at once make one user. Until it completes, its pending user holds
// the email and the others are told to try again (ErrEmailHeld); once it has, the email is taken.
func TestRegistration_IdempotentAndEmailUnique(t *testing.T) {
	t.Parallel()
	s := testenv.NewStore(t)
	ctx := context.Background()
	const email = "same@example.com"
	var ids []string
	for i := range 10 {
		id := fmt.Sprintf("reg-%d", i)
		ids = append(ids, id)
		if err := s.CreateRegistration(ctx, db.CreateRegistrationParams{ID: id, Email: email, PasswordHash: "h", FullName: "N", Currency: "USD"}); err != nil {
			t.Fatal(err)
		}
	}
	var created, held atomic.Int32
	var winner atomic.Value
	var wg sync.WaitGroup
	for _, id := range ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			u1, err := s.CreateUserFromRegistrationTx(ctx, id)
			switch {
			case errors.Is(err, db.ErrEmailHeld):
				held.Add(1)
				return
			case err != nil:
				t.Errorf("create user: %v", err)
				return
			}
			u2, err := s.CreateUserFromRegistrationTx(ctx, id) // the activity ran twice
			if err != nil || u2.ID != u1.ID {
				t.Errorf("second run: %v, %v; want the same user", u2.ID, err)
			}
			created.Add(1)
			winner.Store([2]any{id, u1.ID})
		}()
	}
	wg.Wait()
	if created.Load() != 1 || held.Load() != 9 {
		t.Fatalf("created %d, held off %d; want 1 and 9", created.Load(), held.Load())
	}
	w := winner.Load().([2]any)
	if err := s.CompleteRegistrationTx(ctx, w[0].(string), w[1].(uuid.UUID)); err != nil {
		t.Fatal(err)
	}
	for _, id := range ids {
		if id == w[0] {
			continue
		}
		if _, err := s.CreateUserFromRegistrationTx(ctx, id); !errors.Is(err, db.ErrEmailTaken) {
			t.Fatalf("registration %s after the first completed: %v; want ErrEmailTaken", id, err)
		}
	}
}

// A registration held off by another's pending user creates its own once the other is abandoned.
func TestRegistration_HeldEmailIsFreedByAbandoning(t *testing.T) {
	t.Parallel()
	s := testenv.NewStore(t)
	ctx := context.Background()
	for _, id := range []string{"reg-first", "reg-second"} {
		if err := s.CreateRegistration(ctx, db.CreateRegistrationParams{ID: id, Email: "held@example.com", PasswordHash: "h", FullName: "H", Currency: "USD"}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.CreateUserFromRegistrationTx(ctx, "reg-first"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateUserFromRegistrationTx(ctx, "reg-second"); !errors.Is(err, db.ErrEmailHeld) {
		t.Fatalf("second registration: %v; want ErrEmailHeld", err)
	}
	if err := s.AbandonRegistrationTx(ctx, "reg-first"); err != nil {
		t.Fatal(err)
	}
	u, err := s.CreateUserFromRegistrationTx(ctx, "reg-second")
	if err != nil || u.RegistrationID == nil || *u.RegistrationID != "reg-second" {
		t.Fatalf("second registration after the first was abandoned: %+v, %v", u, err)
	}
}

// A pending user that no registration created (one who has not yet set a password, say) takes the
// email for good: a registration of it is not held off waiting for a registration that is not there.
func TestRegistration_PendingUserOfNoRegistrationTakesTheEmail(t *testing.T) {
	t.Parallel()
	s := testenv.NewStore(t)
	ctx := context.Background()
	if _, err := s.InsertUser(ctx, db.InsertUserParams{ID: uuid.New(), Email: "invited@example.com", PasswordHash: "h",
		FullName: "I", Role: domain.RoleSupport, Status: domain.UserPending}); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateRegistration(ctx, db.CreateRegistrationParams{ID: "reg-i", Email: "invited@example.com", PasswordHash: "h", FullName: "I", Currency: "USD"}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateUserFromRegistrationTx(ctx, "reg-i"); !errors.Is(err, db.ErrEmailTaken) {
		t.Fatalf("registration of a pending user's email: %v; want ErrEmailTaken", err)
	}
}

func TestRegistration_AbandonLeavesNothing(t *testing.T) {
	t.Parallel()
	s := testenv.NewStore(t)
	ctx := context.Background()
	if err := s.CreateRegistration(ctx, db.CreateRegistrationParams{ID: "reg-x", Email: "x@example.com", PasswordHash: "h", FullName: "X", Currency: "USD"}); err != nil {
		t.Fatal(err)
	}
	u, err := s.CreateUserFromRegistrationTx(ctx, "reg-x")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.OpenAccountTx(ctx, u.ID, "USD", "register-reg-x/open-account"); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if err := s.AbandonRegistrationTx(ctx, "reg-x"); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.GetUserByEmail(ctx, "x@example.com"); !errors.Is(db.NotFound(err), db.ErrNotFound) {
		t.Fatalf("user still there: %v", err)
	}
}

// A customer's balance never passes domain.MaxBalance (2^53 - 1, exact in a JavaScript number): a
// credit that would is refused with its code and moves nothing, and the database refuses it too.
func TestLedger_BalanceStaysASafeInteger(t *testing.T) {
	t.Parallel()
	s := testenv.NewStore(t)
	ctx := context.Background()
	u := newUser(t, s)
	a := newAccount(t, s, u, "USD")
	for range 9 {
		deposit(t, s, u, a, domain.MaxAmount)
	}
	room := domain.MaxBalance - 9*domain.MaxAmount
	cash, err := s.GetCashAccount(ctx, db.GetCashAccountParams{Kind: domain.AccountCash, Currency: "USD"})
	if err != nil {
		t.Fatal(err)
	}
	if err := move(ctx, s, newTransfer(t, s, domain.KindDeposit, u.ID, cash, a, room+1)); !errors.Is(err, domain.ErrBalanceLimit) {
		t.Fatalf("a credit past the limit: %v; want %v", err, domain.ErrBalanceLimit)
	}
	if got := balance(t, s, a).Balance; got != 9*domain.MaxAmount {
		t.Fatalf("balance %d after a refused credit; want %d", got, 9*domain.MaxAmount)
	}
	deposit(t, s, u, a, room)
	if got := balance(t, s, a).Balance; got != domain.MaxBalance {
		t.Fatalf("balance %d; want exactly %d", got, domain.MaxBalance)
	}
	_, err = s.Pool().Exec(ctx, "UPDATE accounts SET balance = balance + 1 WHERE id = $1", a.ID)
	requireCode(t, err, checkViolation, "accounts_customer_balance_safe_integer")
}
