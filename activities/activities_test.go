package activities_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
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
	"github.com/bankforge/bank/inbox"
	"github.com/bankforge/bank/mail"
	"github.com/bankforge/bank/mailtext"
)

// sentMail is a mail server that accepts every message, or refuses all with fail, or those to an
// address with refuse[address]. It counts every attempt at each message id.
type sentMail struct {
	mu     sync.Mutex
	msgs   []mail.Message
	fail   error
	failOn string // refuse only the message with this id
	refuse map[string]error
	tries  map[string]int
}

func (s *sentMail) Send(_ context.Context, m mail.Message) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.tries == nil {
		s.tries = map[string]int{}
	}
	s.tries[m.ID]++
	if s.fail != nil && (s.failOn == "" || s.failOn == m.ID) {
		return s.fail
	}
	if err := s.refuse[m.To]; err != nil {
		return err
	}
	s.msgs = append(s.msgs, m)
	return nil
}

// sent returns the messages accepted so far.
func (s *sentMail) sent() []mail.Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]mail.Message(nil), s.msgs...)
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
	letters, err := mailtext.New("Test Bank")
	if err != nil {
		t.Fatal(err)
	}
	// Refused emails are due again at once, and given up at their third refusal.
	f.acts = &activities.Activities{Store: store, Audit: audit.NewStore(database), Inbox: inbox.NewStore(database), Mailer: f.mail,
		Letters: letters, EmailRetry: activities.EmailRetry{MaxAttempts: 3}, HoldTTL: time.Minute, Terms: activities.NewTransferTerms()}
	var suite testsuite.WorkflowTestSuite
	f.env = suite.NewTestActivityEnvironment()
	f.env.RegisterActivity(f.acts)
	return f
}

// twice runs an activity two times, as a retry after a lost report would, and returns the errors
// of both runs.
func (f *fixture) twice(fn any, in ...any) error {
	f.t.Helper()
	var errs []error
	for i := range 2 {
		if _, err := f.env.ExecuteActivity(fn, in...); err != nil {
			errs = append(errs, fmt.Errorf("run %d: %w", i+1, err))
		}
	}
	return errors.Join(errs...)
}

// deliver runs SendPendingEmails once, which must not fail, and returns what it did.
func (f *fixture) deliver() activities.DeliveryResult {
	f.t.Helper()
	v, err := f.env.ExecuteActivity(f.acts.SendPendingEmails)
	if err != nil {
		f.t.Fatalf("deliver: %v", err)
	}
	var res activities.DeliveryResult
	if err := v.Get(&res); err != nil {
		f.t.Fatal(err)
	}
	return res
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
		if err := v.Get(&accounts[i]); err != nil {
			t.Fatal(err)
		}
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
	if u.Status != domain.UserActive {
		t.Fatalf("status %s", u.Status)
	}
	if _, err := f.store.GetRegistration(ctx, reg); !errors.Is(db.NotFound(err), db.ErrNotFound) {
		t.Fatal("the registration's password hash was kept")
	}
	if err := f.twice(f.acts.SendPendingEmails); err != nil {
		t.Fatal(err)
	}
	if len(f.mail.msgs) != 1 || f.mail.msgs[0].To != "twice@example.com" {
		t.Fatalf("mails %+v; want one welcome to twice@example.com", f.mail.msgs)
	}
}

// Of two emails, the server accepts one and refuses the other for now: the run counts the refusal,
// and a later run sends only the refused one; each reaches its user once.
func TestSendPendingEmails_RetrySendsOnlyWhatTheServerDidNotAccept(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	alice, bob := newCustomer(t, f.store, "USD"), newCustomer(t, f.store, "USD")
	first, second := writeEmail(t, f, alice), writeEmail(t, f, bob)
	f.mail.fail, f.mail.failOn = &mail.RefusedError{Code: 451, Err: errors.New("451 4.3.0 try again later")}, second.ID
	res := f.deliver()
	if res.Sent != 1 || res.Retrying != 1 || res.Failed != 0 {
		t.Fatalf("run %+v; want one sent and one to retry", res)
	}
	if len(f.mail.msgs) != 1 || f.mail.msgs[0].ID != first.ID {
		t.Fatalf("mails %+v; want the accepted one, past the refused one", f.mail.msgs)
	}
	f.mail.fail = nil
	if err := f.twice(f.acts.SendPendingEmails); err != nil {
		t.Fatal(err)
	}
	got := map[string]int{}
	for _, m := range f.mail.msgs {
		got[m.ID]++
	}
	if len(f.mail.msgs) != 2 || got[first.ID] != 1 || got[second.ID] != 1 {
		t.Fatalf("mails %v; want each of the two once", got)
	}
}

// A mail server that fails after accepting nothing gets the mail again on retry; one that accepted
// it is never asked again.
func TestSendPendingEmails_RetryAfterAFailedSendSendsOnce(t *testing.T) {
	f := newFixture(t)
	alice := newCustomer(t, f.store, "USD")
	n := writeEmail(t, f, alice)
	f.mail.fail = fmt.Errorf("%w: dial tcp: connection refused", mail.ErrUnavailable)
	if _, err := f.env.ExecuteActivity(f.acts.SendPendingEmails); err == nil {
		t.Fatal("SendPendingEmails succeeded with the mail server down")
	}
	f.mail.fail = nil
	if err := f.twice(f.acts.SendPendingEmails); err != nil {
		t.Fatal(err)
	}
	if len(f.mail.msgs) != 1 || f.mail.msgs[0].ID != n.ID || f.mail.msgs[0].To != alice.user.Email || !strings.Contains(f.mail.msgs[0].Text, "the text") {
		t.Fatalf("mails %+v; want exactly one, to %s", f.mail.msgs, alice.user.Email)
	}
}

// A registration of a taken email tells the address's owner by one email, however many times its
// abandonment runs, and leaves nothing of itself.
func TestRegistration_EmailTakenTellsTheOwnerOnce(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	for _, id := range []string{"reg-a", "reg-b"} {
		if err := f.store.CreateRegistration(ctx, db.CreateRegistrationParams{ID: id, Email: "dup@example.com", PasswordHash: "h", FullName: "D", Currency: "USD"}); err != nil {
			t.Fatal(err)
		}
	}
	var owner activities.CreateUserResult
	v, err := f.env.ExecuteActivity(f.acts.CreateUser, activities.RegistrationRef{RegistrationID: "reg-a"})
	if err != nil || v.Get(&owner) != nil {
		t.Fatal(err)
	}
	// While the first registration runs, its pending user holds the email: the second waits.
	_, err = f.env.ExecuteActivity(f.acts.CreateUser, activities.RegistrationRef{RegistrationID: "reg-b"})
	var appErr *temporal.ApplicationError
	if err == nil || (errors.As(err, &appErr) && appErr.NonRetryable()) {
		t.Fatalf("second registration while the first runs: %v; want an error to retry", err)
	}
	if err := f.twice(f.acts.CompleteRegistration, activities.RegistrationRef{RegistrationID: "reg-a", UserID: owner.UserID}); err != nil {
		t.Fatal(err)
	}
	_, err = f.env.ExecuteActivity(f.acts.CreateUser, activities.RegistrationRef{RegistrationID: "reg-b"})
	if !errors.As(err, &appErr) || appErr.Type() != activities.ErrTypeEmailTaken || !appErr.NonRetryable() {
		t.Fatalf("second registration once the first completed: %v; want a non-retryable %s", err, activities.ErrTypeEmailTaken)
	}
	if err := f.twice(f.acts.AbandonRegistration, activities.AbandonRegistrationInput{RegistrationID: "reg-b", EmailTaken: true}); err != nil {
		t.Fatal(err)
	}
	if n := f.count("audit_events", bson.D{{Key: "type", Value: audit.EventRegistrationFailed}, {Key: "details.code", Value: activities.ErrTypeEmailTaken}}); n != 1 {
		t.Fatalf("%d failure events; want 1", n)
	}
	if _, err := f.store.GetRegistration(ctx, "reg-b"); !errors.Is(db.NotFound(err), db.ErrNotFound) {
		t.Fatalf("the registration is still there: %v", err)
	}
	var users int
	if err := f.store.Pool().QueryRow(ctx, "SELECT count(*) FROM users WHERE email = $1", "dup@example.com").Scan(&users); err != nil || users != 1 {
		t.Fatalf("%d users with the email (%v); want 1", users, err)
	}
	if err := f.twice(f.acts.SendPendingEmails); err != nil {
		t.Fatal(err)
	}
	if len(f.mail.msgs) != 1 || f.mail.msgs[0].To != "dup@example.com" || f.mail.msgs[0].ID != "registration/reg-b/email_taken" ||
		!strings.Contains(f.mail.msgs[0].Text, "tried to open an account") {
		t.Fatalf("mails %+v; want one to the owner, telling of the attempt", f.mail.msgs)
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
	for _, step := range []any{f.acts.ValidateTransfer, f.acts.PlaceHold, f.acts.PostTransfer, f.acts.RecordTransferOutcome} {
		if err := f.twice(step, ref); err != nil {
			t.Fatalf("step: %v", err)
		}
	}
	a, _ := f.store.GetAccount(ctx, alice.account.ID)
	b, _ := f.store.GetAccount(ctx, bob.account.ID)
	if a.Balance != 600 || a.OnHold != 0 || b.Balance != 400 {
		t.Fatalf("balances %d/%d on hold %d; want 600/400 on hold 0", a.Balance, b.Balance, a.OnHold)
	}
	if n := f.count("audit_events", bson.D{{Key: "transfer_id", Value: tr.ID.String()}}); n != 1 {
		t.Fatalf("%d audit events for the transfer; want exactly 1", n)
	}
	for _, kind := range []domain.NotificationKind{domain.NotificationDeposit, domain.NotificationTransferSent, domain.NotificationTransferReceived} {
		if n := f.count("notifications", bson.D{{Key: "kind", Value: kind}}); n != 1 {
			t.Fatalf("%d %s notifications; want exactly 1", n, kind)
		}
	}
	report, err := f.store.CheckLedger(ctx)
	if err != nil || !report.OK {
		t.Fatalf("ledger: %+v %v", report, err)
	}
}

// The fault-injection hook runs after the posting has committed and before the step reports: the
// money has moved when it runs, once per run of the step, and never for a posting that failed.
func TestPostTransfer_AfterPostRunsOnceTheMoneyMoved(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	alice, bob := newCustomer(t, f.store, "USD"), newCustomer(t, f.store, "USD")
	deposit(t, f, alice, 1000)
	var seen []int64
	f.acts.AfterPost = func(id uuid.UUID) {
		b, err := f.store.GetAccount(ctx, bob.account.ID)
		if err != nil {
			t.Errorf("read the destination: %v", err)
		}
		seen = append(seen, b.Balance)
	}
	tr := newTransfer(t, f.store, alice, bob.account, 400)
	ref := activities.TransferRef{TransferID: tr.ID.String()}
	for _, step := range []any{f.acts.ValidateTransfer, f.acts.PlaceHold, f.acts.PostTransfer} {
		if err := f.twice(step, ref); err != nil {
			t.Fatalf("step: %v", err)
		}
	}
	if len(seen) != 2 || seen[0] != 400 || seen[1] != 400 {
		t.Fatalf("the hook saw the destination at %v; want 400 twice (after the commit, once per run)", seen)
	}

	unposted := newTransfer(t, f.store, alice, bob.account, 100) // no hold placed: the posting fails
	if _, err := f.env.ExecuteActivity(f.acts.PostTransfer, activities.TransferRef{TransferID: unposted.ID.String()}); err == nil {
		t.Fatal("a transfer without a hold posted")
	}
	if len(seen) != 2 {
		t.Fatalf("the hook ran for a posting that failed")
	}
}

func TestTransferSteps_RefusalsAreTypedAndFinal(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	alice, bob := newCustomer(t, f.store, "USD"), newCustomer(t, f.store, "USD")
	euro := newCustomer(t, f.store, "EUR")
	deposit(t, f, alice, 100)

	_, err := f.env.ExecuteActivity(f.acts.ValidateTransfer, activities.TransferRef{TransferID: newTransfer(t, f.store, alice, euro.account, 10).ID.String()})
	requireRefusal(t, err, domain.CodeCurrencyMismatch)

	notMine := newTransfer(t, f.store, alice, bob.account, 10)
	if _, err := f.store.Pool().Exec(context.Background(), "UPDATE transfers SET initiated_by = $1 WHERE id = $2", bob.user.ID, notMine.ID); err != nil {
		t.Fatal(err)
	}
	_, err = f.env.ExecuteActivity(f.acts.ValidateTransfer, activities.TransferRef{TransferID: notMine.ID.String()})
	requireRefusal(t, err, domain.CodeNotOwner)

	_, err = f.env.ExecuteActivity(f.acts.PlaceHold, activities.TransferRef{TransferID: newTransfer(t, f.store, alice, bob.account, 500).ID.String()})
	requireRefusal(t, err, domain.CodeInsufficientFunds)

	f.acts.Limits.MaxTransfer = 50
	_, err = f.env.ExecuteActivity(f.acts.ValidateTransfer, activities.TransferRef{TransferID: newTransfer(t, f.store, alice, bob.account, 60).ID.String()})
	requireRefusal(t, err, domain.CodeLimitExceeded)
}

func requireRefusal(t *testing.T, err error, code domain.Code) {
	t.Helper()
	var appErr *temporal.ApplicationError
	if !errors.As(err, &appErr) || appErr.Type() != string(code) || !appErr.NonRetryable() {
		t.Fatalf("error %v; want a non-retryable %s", err, code)
	}
}

type customer struct {
	user    db.User
	account db.Account
}

func newCustomer(t *testing.T, s *db.Store, currency string) customer {
	t.Helper()
	id := uuid.New()
	u, err := s.InsertUser(context.Background(), db.InsertUserParams{Status: domain.UserActive, ID: id, Email: id.String() + "@example.com", PasswordHash: "h", FullName: "C", Role: domain.RoleClient})
	if err != nil {
		t.Fatal(err)
	}
	a, err := s.OpenAccountTx(context.Background(), u.ID, currency, "test/"+id.String())
	if err != nil {
		t.Fatal(err)
	}
	return customer{u, a}
}

func newTransfer(t *testing.T, s *db.Store, from customer, to db.Account, amount int64) db.Transfer {
	t.Helper()
	id := uuid.New()
	tr, err := s.CreateTransfer(context.Background(), db.CreateTransferParams{ID: id, Kind: domain.KindTransfer, InitiatedBy: from.user.ID,
		FromAccountID: from.account.ID, ToAccountID: to.ID, Amount: amount, Currency: from.account.Currency, WorkflowID: "t-" + id.String()})
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

func deposit(t *testing.T, f *fixture, to customer, amount int64) {
	t.Helper()
	cash, _ := f.store.GetCashAccount(context.Background(), db.GetCashAccountParams{Kind: domain.AccountCash, Currency: to.account.Currency})
	id := uuid.New()
	tr, err := f.store.CreateTransfer(context.Background(), db.CreateTransferParams{ID: id, Kind: domain.KindDeposit, InitiatedBy: to.user.ID,
		FromAccountID: cash.ID, ToAccountID: to.account.ID, Amount: amount, Currency: to.account.Currency, WorkflowID: "d-" + id.String()})
	if err != nil {
		t.Fatal(err)
	}
	ref := activities.TransferRef{TransferID: tr.ID.String()}
	for _, step := range []any{f.acts.ValidateTransfer, f.acts.PlaceHold, f.acts.PostTransfer, f.acts.RecordTransferOutcome} {
		if _, err := f.env.ExecuteActivity(step, ref); err != nil {
			t.Fatalf("deposit step: %v", err)
		}
	}
}

// A hold past its expiry is voided with its transfer in one pass; a second pass finds nothing, and
// recording the outcome twice writes one event and one notification.
func TestExpireHolds_VoidsOnceAndEndsTheTransfer(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	alice, bob := newCustomer(t, f.store, "USD"), newCustomer(t, f.store, "USD")
	deposit(t, f, alice, 1000)
	tr := newTransfer(t, f.store, alice, bob.account, 300)
	if err := f.store.PlaceHoldTx(ctx, tr, time.Now().Add(-time.Second), db.HoldLimits{}); err != nil {
		t.Fatal(err)
	}
	var runs [2]activities.ExpireHoldsResult
	for i := range runs {
		v, err := f.env.ExecuteActivity(f.acts.ExpireHolds)
		if err != nil {
			t.Fatal(err)
		}
		if err := v.Get(&runs[i]); err != nil {
			t.Fatal(err)
		}
	}
	if len(runs[0].TransferIDs) != 1 || runs[0].TransferIDs[0] != tr.ID.String() || len(runs[1].TransferIDs) != 0 {
		t.Fatalf("passes %+v; want the transfer once", runs)
	}
	got, _ := f.store.GetTransfer(ctx, tr.ID)
	if got.Status != domain.TransferCompensated || got.FailureCode == nil || *got.FailureCode != domain.CodeHoldExpired {
		t.Fatalf("transfer %s %v; want compensated with hold_expired", got.Status, got.FailureCode)
	}
	if a, _ := f.store.GetAccount(ctx, alice.account.ID); a.Balance != 1000 || a.OnHold != 0 {
		t.Fatalf("balance %d on hold %d; want 1000 and 0", a.Balance, a.OnHold)
	}
	if err := f.twice(f.acts.RecordTransferOutcome, activities.TransferRef{TransferID: tr.ID.String()}); err != nil {
		t.Fatal(err)
	}
	if n := f.count("audit_events", bson.D{{Key: "transfer_id", Value: tr.ID.String()}, {Key: "type", Value: audit.EventTransferFailed}}); n != 1 {
		t.Fatalf("%d failure events; want 1", n)
	}
	if n := f.count("notifications", bson.D{{Key: "user_id", Value: alice.user.ID.String()}, {Key: "title", Value: "Transfer not completed"}}); n != 1 {
		t.Fatalf("%d failure notifications; want 1", n)
	}
}

// emailRef names an email written for a test.
type emailRef struct{ ID string }

// writeEmail writes an email to c, as a workflow's outcome step does.
func writeEmail(t *testing.T, f *fixture, c customer) emailRef {
	t.Helper()
	id := "test/" + uuid.NewString()
	if err := f.store.WriteEmails(context.Background(), db.OutboxEmail{
		ID: id, UserID: c.user.ID, Kind: domain.EmailText, Subject: "Subject", Body: "the text",
	}); err != nil {
		t.Fatal(err)
	}
	return emailRef{ID: id}
}
