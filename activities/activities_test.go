package activities_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"

	"github.com/bankforge/bank/activities"
	"github.com/bankforge/bank/audit"
	"github.com/bankforge/bank/db"
	"github.com/bankforge/bank/dev/testenv"
	"github.com/bankforge/bank/domain"
	"github.com/bankforge/bank/mail"
)

type sentMail struct {
	mu   sync.Mutex
	msgs []mail.Message
}

func (s *sentMail) Send(_ context.Context, m mail.Message) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.msgs = append(s.msgs, m)
	return nil
}

type fixture struct {
	t     *testing.T
	store *db.Store
	mongo *mongo.Database
	mail  *sentMail
	acts  *activities.Activities
	env   *testsuite.TestActivityEnvironment
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	store := testenv.NewStore(t)
	client, err := audit.Connect(context.Background(), testenv.Mongo(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = client.Disconnect(context.Background()) })
	database := client.Database("bank_test")
	f := &fixture{t: t, store: store, mongo: database, mail: &sentMail{}}
	f.acts = &activities.Activities{Store: store, Audit: audit.NewStore(database), Mailer: f.mail, HoldTTL: time.Minute}
	var suite testsuite.WorkflowTestSuite
	f.env = suite.NewTestActivityEnvironment()
	f.env.RegisterActivity(f.acts)
	return f
}

// twice runs an activity two times, as a retry after a lost report would, and returns the last error.
func (f *fixture) twice(fn any, in any) error {
	f.t.Helper()
	var err error
	for range 2 {
		_, err = f.env.ExecuteActivity(fn, in)
	}
	return err
}

func (f *fixture) count(collection string, filter bson.D) int64 {
	f.t.Helper()
	n, err := f.mongo.Collection(collection).CountDocuments(context.Background(), filter)
	if err != nil {
		f.t.Fatal(err)
	}
	return n
}

func TestRegistrationSteps_RunTwiceHaveOneEffect(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	const reg = "reg-twice"
	if err := f.store.CreateRegistration(ctx, db.CreateRegistrationParams{ID: reg, Email: "twice@example.com", PasswordHash: "h", FullName: "Twice", Currency: "USD"}); err != nil {
		t.Fatal(err)
	}
	var users [2]activities.CreateUserResult
	for i := range users {
		v, err := f.env.ExecuteActivity(f.acts.CreateUser, activities.RegistrationRef{RegistrationID: reg})
		if err != nil {
			t.Fatal(err)
		}
		if err := v.Get(&users[i]); err != nil {
			t.Fatal(err)
		}
	}
	if users[0] != users[1] {
		t.Fatalf("two users: %v", users)
	}
	open := activities.OpenAccountInput{UserID: users[0].UserID, Currency: "USD", OperationID: "register-" + reg + "/open-account"}
	var accounts [2]activities.OpenAccountResult
	for i := range accounts {
		v, err := f.env.ExecuteActivity(f.acts.OpenAccount, open)
		if err != nil {
			t.Fatal(err)
		}
		_ = v.Get(&accounts[i])
	}
	if accounts[0] != accounts[1] {
		t.Fatalf("two accounts: %v", accounts)
	}
	record := activities.RecordRegistrationInput{RegistrationID: reg, UserID: users[0].UserID, AccountNumber: accounts[0].Number, Currency: "USD"}
	if err := f.twice(f.acts.RecordRegistration, record); err != nil {
		t.Fatal(err)
	}
	if n := f.count("audit_events", bson.D{{Key: "type", Value: audit.EventUserRegistered}}); n != 1 {
		t.Fatalf("%d registration audit events; want 1", n)
	}
	if n := f.count("notifications", bson.D{{Key: "user_id", Value: users[0].UserID}}); n != 1 {
		t.Fatalf("%d welcome notifications; want 1", n)
	}
	if err := f.twice(f.acts.CompleteRegistration, activities.RegistrationRef{RegistrationID: reg, UserID: users[0].UserID}); err != nil {
		t.Fatal(err)
	}
	u, _ := f.store.GetUserByEmail(ctx, "twice@example.com")
	if u.Status != "active" {
		t.Fatalf("status %s", u.Status)
	}
	if _, err := f.store.GetRegistration(ctx, reg); !errors.Is(db.NotFound(err), db.ErrNotFound) {
		t.Fatal("the registration's password hash was kept")
	}
	if err := f.twice(f.acts.SendWelcomeEmail, record); err != nil {
		t.Fatal(err)
	}
	if len(f.mail.msgs) != 2 || f.mail.msgs[0].ID != f.mail.msgs[1].ID {
		t.Fatalf("a resent welcome must carry the same message id: %+v", f.mail.msgs)
	}
}

func TestRegistration_EmailTakenIsARefusal(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	for _, id := range []string{"reg-a", "reg-b"} {
		if err := f.store.CreateRegistration(ctx, db.CreateRegistrationParams{ID: id, Email: "dup@example.com", PasswordHash: "h", FullName: "D", Currency: "USD"}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := f.env.ExecuteActivity(f.acts.CreateUser, activities.RegistrationRef{RegistrationID: "reg-a"}); err != nil {
		t.Fatal(err)
	}
	_, err := f.env.ExecuteActivity(f.acts.CreateUser, activities.RegistrationRef{RegistrationID: "reg-b"})
	requireRefusal(t, err, domain.ErrTypeEmailTaken)
	if err := f.twice(f.acts.AbandonRegistration, activities.AbandonRegistrationInput{RegistrationID: "reg-b", Reason: domain.ErrTypeEmailTaken}); err != nil {
		t.Fatal(err)
	}
	if n := f.count("audit_events", bson.D{{Key: "type", Value: audit.EventRegistrationFailed}}); n != 1 {
		t.Fatalf("%d failure events; want 1", n)
	}
}

func TestTransferSteps_RunTwiceHaveOneEffect(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	alice, bob := newCustomer(t, f.store, "USD"), newCustomer(t, f.store, "USD")
	deposit(t, f, alice, 1000)

	tr := newTransfer(t, f.store, alice, bob.account, 400)
	ref := activities.TransferRef{TransferID: tr.ID.String()}
	for _, step := range []any{f.acts.ValidateTransfer, f.acts.ReserveFunds, f.acts.PostTransfer, f.acts.RecordTransferOutcome} {
		if err := f.twice(step, ref); err != nil {
			t.Fatalf("step: %v", err)
		}
	}
	a, _ := f.store.GetAccount(ctx, alice.account.ID)
	b, _ := f.store.GetAccount(ctx, bob.account.ID)
	if a.Balance != 600 || a.Held != 0 || b.Balance != 400 {
		t.Fatalf("balances %d/%d held %d; want 600/400 held 0", a.Balance, b.Balance, a.Held)
	}
	if n := f.count("audit_events", bson.D{{Key: "subject", Value: tr.ID.String()}}); n != 1 {
		t.Fatalf("%d audit events for the transfer; want exactly 1", n)
	}
	if n := f.count("notifications", bson.D{{Key: "kind", Value: "transfer"}}); n != 3 { // deposit (1) + both parties (2)
		t.Fatalf("%d transfer notifications; want 3", n)
	}
	report, err := f.store.CheckLedger(ctx)
	if err != nil || !report.OK {
		t.Fatalf("ledger: %+v %v", report, err)
	}
}

func TestTransferSteps_RefusalsAreTypedAndFinal(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	alice, bob := newCustomer(t, f.store, "USD"), newCustomer(t, f.store, "USD")
	euro := newCustomer(t, f.store, "EUR")
	deposit(t, f, alice, 100)

	_, err := f.env.ExecuteActivity(f.acts.ValidateTransfer, activities.TransferRef{TransferID: newTransfer(t, f.store, alice, euro.account, 10).ID.String()})
	requireRefusal(t, err, domain.ErrTypeCurrencyMismatch)

	notMine := newTransfer(t, f.store, alice, bob.account, 10)
	if _, err := f.store.Pool().Exec(context.Background(), "UPDATE transfers SET initiated_by = $1 WHERE id = $2", bob.user.ID, notMine.ID); err != nil {
		t.Fatal(err)
	}
	_, err = f.env.ExecuteActivity(f.acts.ValidateTransfer, activities.TransferRef{TransferID: notMine.ID.String()})
	requireRefusal(t, err, domain.ErrTypeNotOwner)

	_, err = f.env.ExecuteActivity(f.acts.ReserveFunds, activities.TransferRef{TransferID: newTransfer(t, f.store, alice, bob.account, 500).ID.String()})
	requireRefusal(t, err, domain.ErrTypeInsufficientFunds)

	f.acts.Limits.MaxTransfer = 50
	_, err = f.env.ExecuteActivity(f.acts.ValidateTransfer, activities.TransferRef{TransferID: newTransfer(t, f.store, alice, bob.account, 60).ID.String()})
	requireRefusal(t, err, domain.ErrTypeLimitExceeded)
}

func requireRefusal(t *testing.T, err error, errType string) {
	t.Helper()
	var appErr *temporal.ApplicationError
	if !errors.As(err, &appErr) || appErr.Type() != errType || !appErr.NonRetryable() {
		t.Fatalf("error %v; want a non-retryable %s", err, errType)
	}
}

type customer struct {
	user    db.User
	account db.Account
}

func newCustomer(t *testing.T, s *db.Store, currency string) customer {
	t.Helper()
	id := uuid.New()
	u, err := s.CreateActiveUser(context.Background(), db.CreateActiveUserParams{ID: id, Email: id.String() + "@example.com", PasswordHash: "h", FullName: "C", Role: "client"})
	if err != nil {
		t.Fatal(err)
	}
	a, err := s.OpenAccount(context.Background(), u.ID, currency, "test/"+id.String())
	if err != nil {
		t.Fatal(err)
	}
	return customer{u, a}
}

func newTransfer(t *testing.T, s *db.Store, from customer, to db.Account, amount int64) db.Transfer {
	t.Helper()
	id := uuid.New()
	tr, err := s.CreateTransfer(context.Background(), db.CreateTransferParams{ID: id, Kind: "transfer", InitiatedBy: from.user.ID,
		FromAccountID: from.account.ID, ToAccountID: to.ID, Amount: amount, Currency: from.account.Currency, WorkflowID: "t-" + id.String()})
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

func deposit(t *testing.T, f *fixture, to customer, amount int64) {
	t.Helper()
	cash, _ := f.store.GetCashAccount(context.Background(), to.account.Currency)
	id := uuid.New()
	tr, err := f.store.CreateTransfer(context.Background(), db.CreateTransferParams{ID: id, Kind: "deposit", InitiatedBy: to.user.ID,
		FromAccountID: cash.ID, ToAccountID: to.account.ID, Amount: amount, Currency: to.account.Currency, WorkflowID: "d-" + id.String()})
	if err != nil {
		t.Fatal(err)
	}
	ref := activities.TransferRef{TransferID: tr.ID.String()}
	for _, step := range []any{f.acts.ValidateTransfer, f.acts.ReserveFunds, f.acts.PostTransfer, f.acts.RecordTransferOutcome} {
		if _, err := f.env.ExecuteActivity(step, ref); err != nil {
			t.Fatalf("deposit step: %v", err)
		}
	}
}
