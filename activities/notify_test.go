package activities_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgconn"
	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/bankforge/bank/activities"
	"github.com/bankforge/bank/db"
	"github.com/bankforge/bank/domain"
)

// kindOf counts c's notifications of kind in the inbox, and c's emails of kind in the outbox.
func (f *fixture) kindOf(c customer, kind domain.NotificationKind) (notes int64, emails int) {
	f.t.Helper()
	notes = f.count("notifications", bson.D{{Key: "user_id", Value: c.user.ID.String()}, {Key: "kind", Value: kind}})
	if err := f.store.Pool().QueryRow(context.Background(), "SELECT count(*) FROM emails WHERE user_id = $1 AND kind = $2",
		c.user.ID, string(kind)).Scan(&emails); err != nil {
		f.t.Fatal(err)
	}
	return notes, emails
}

// movement records a transfer of kind from one account to another and runs its steps, each twice as
// a retry after a lost report would; a step refused for good fails the transfer, as the workflow
// does, and the outcome is recorded twice.
func (f *fixture) movement(kind domain.TransferKind, initiator uuid.UUID, from, to db.Account, amount int64) {
	f.t.Helper()
	id := uuid.New()
	tr, err := f.store.CreateTransfer(context.Background(), db.CreateTransferParams{ID: id, Kind: kind, InitiatedBy: initiator,
		FromAccountID: from.ID, ToAccountID: to.ID, Amount: amount, Currency: from.Currency, WorkflowID: "m-" + id.String()})
	if err != nil {
		f.t.Fatal(err)
	}
	ref := activities.TransferRef{TransferID: tr.ID.String()}
	steps := []struct {
		name domain.TransferStep
		fn   any
	}{{domain.StepValidate, f.acts.ValidateTransfer}, {domain.StepPlaceHold, f.acts.PlaceHold}, {domain.StepPost, f.acts.PostTransfer}}
	for _, s := range steps {
		if err := f.twice(s.fn, ref); err != nil {
			if !strings.Contains(err.Error(), string(domain.CodeInsufficientFunds)) {
				f.t.Fatalf("%s: %v", s.name, err)
			}
			if _, err := f.env.ExecuteActivity(f.acts.FailTransfer, activities.FailTransferInput{TransferID: ref.TransferID, Step: s.name, Code: domain.CodeInsufficientFunds}); err != nil {
				f.t.Fatal(err)
			}
			break
		}
	}
	if err := f.twice(f.acts.RecordTransferOutcome, ref); err != nil {
		f.t.Fatal(err)
	}
}

// Every money movement tells each customer involved by its own kind, exactly once in the inbox and
// once by email, however many times its steps ran; the emails go out once each, in each reader's
// language, with the amount written for them and the reason of a failure.
func TestNotify_EachMovementKindIsWrittenOnce(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	alice, bob := newCustomer(t, f.store, "EUR"), newCustomer(t, f.store, "EUR")
	if _, err := f.store.UpdateProfile(ctx, db.UpdateProfileParams{ID: bob.user.ID, FullName: "Bob", Locale: domain.LocaleSpanish}); err != nil {
		t.Fatal(err)
	}
	cash, err := f.store.GetCashAccount(ctx, db.GetCashAccountParams{Kind: domain.AccountCash, Currency: "EUR"})
	if err != nil {
		t.Fatal(err)
	}
	f.movement(domain.KindDeposit, alice.user.ID, cash, alice.account, 1_000_00)
	f.movement(domain.KindTransfer, alice.user.ID, alice.account, bob.account, 400_00)
	f.movement(domain.KindTransfer, alice.user.ID, alice.account, bob.account, 5_000_00) // refused
	f.movement(domain.KindWithdrawal, alice.user.ID, alice.account, cash, 100_00)
	f.movement(domain.KindWithdrawal, alice.user.ID, alice.account, cash, 9_000_00) // refused

	want := []struct {
		c    customer
		kind domain.NotificationKind
	}{
		{alice, domain.NotificationDeposit}, {alice, domain.NotificationTransferSent}, {bob, domain.NotificationTransferReceived},
		{alice, domain.NotificationTransferFailed}, {alice, domain.NotificationWithdrawal}, {alice, domain.NotificationWithdrawalFailed},
	}
	for _, w := range want {
		if n, e := f.kindOf(w.c, w.kind); n != 1 || e != 1 {
			t.Errorf("%s: %d notifications, %d emails; want exactly one each", w.kind, n, e)
		}
	}
	if n, _ := f.kindOf(bob, domain.NotificationTransferFailed); n != 0 {
		t.Errorf("the recipient of a refused transfer was told: %d", n)
	}
	if err := f.twice(f.acts.SendPendingEmails); err != nil {
		t.Fatal(err)
	}
	subjects := map[string]int{}
	for _, m := range f.mail.msgs {
		subjects[m.To+" "+m.Subject]++
		if strings.Contains(m.Subject, "did not go through") && !strings.Contains(m.Text, domain.CodeInsufficientFunds.Message()) {
			t.Errorf("%q lacks its reason:\n%s", m.Subject, m.Text)
		}
	}
	for _, s := range []string{
		alice.user.Email + " Cash deposit of €1,000.00",
		alice.user.Email + " You sent €400.00",
		bob.user.Email + " Recibiste 400,00 €",
		alice.user.Email + " Your transfer of €5,000.00 did not go through",
		alice.user.Email + " You withdrew €100.00",
		alice.user.Email + " Your withdrawal of €9,000.00 did not go through",
	} {
		if subjects[s] != 1 {
			t.Errorf("%q sent %d times; want once (sent: %v)", s, subjects[s], subjects)
		}
	}
	if len(f.mail.msgs) != len(want) {
		t.Errorf("%d emails sent; want %d", len(f.mail.msgs), len(want))
	}
}

// A kind its user switched off is still in the inbox, and writes no email; the other party's
// email, of a kind left on, is written. The database refuses to switch off a security kind.
func TestNotify_SwitchedOffKindWritesNoEmail(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	alice, bob := newCustomer(t, f.store, "USD"), newCustomer(t, f.store, "USD")
	deposit(t, f, alice, 1_000)
	if err := f.store.SetNotificationSettings(ctx, db.SetNotificationSettingsParams{UserID: bob.user.ID,
		Kinds: []string{string(domain.NotificationTransferReceived)}, Emails: []bool{false}}); err != nil {
		t.Fatal(err)
	}
	f.movement(domain.KindTransfer, alice.user.ID, alice.account, bob.account, 300)
	if n, e := f.kindOf(bob, domain.NotificationTransferReceived); n != 1 || e != 0 {
		t.Fatalf("bob, who switched it off: %d notifications, %d emails; want 1 and 0", n, e)
	}
	if n, e := f.kindOf(alice, domain.NotificationTransferSent); n != 1 || e != 1 {
		t.Fatalf("alice: %d notifications, %d emails; want 1 and 1", n, e)
	}
	// Switched on again, the next one is emailed.
	if err := f.store.SetNotificationSettings(ctx, db.SetNotificationSettingsParams{UserID: bob.user.ID,
		Kinds: []string{string(domain.NotificationTransferReceived)}, Emails: []bool{true}}); err != nil {
		t.Fatal(err)
	}
	f.movement(domain.KindTransfer, alice.user.ID, alice.account, bob.account, 200)
	if n, e := f.kindOf(bob, domain.NotificationTransferReceived); n != 2 || e != 1 {
		t.Fatalf("bob, switched on again: %d notifications, %d emails; want 2 and 1", n, e)
	}
	for _, k := range []domain.NotificationKind{domain.NotificationPasswordChanged, domain.NotificationLoginLocked,
		domain.NotificationNewDevice, domain.NotificationStaffInvitation} {
		err := f.store.SetNotificationSettings(ctx, db.SetNotificationSettingsParams{UserID: bob.user.ID, Kinds: []string{string(k)}, Emails: []bool{false}})
		var pgErr *pgconn.PgError
		if !errors.As(err, &pgErr) || pgErr.Code != "23514" {
			t.Errorf("switching off %s: %v; want a check violation (23514)", k, err)
		}
	}
}

// The welcome is written once, as its own kind, whatever the retries.
func TestNotify_WelcomeIsWrittenOnce(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	alice := newCustomer(t, f.store, "USD")
	in := activities.RecordRegistrationInput{RegistrationID: "reg-" + uuid.NewString(), UserID: alice.user.ID.String(), AccountNumber: alice.account.Number, Currency: "USD"}
	if err := f.twice(f.acts.RecordRegistration, in); err != nil {
		t.Fatal(err)
	}
	if n, e := f.kindOf(alice, domain.NotificationWelcome); n != 1 || e != 1 {
		t.Fatalf("welcome: %d notifications, %d emails; want one each", n, e)
	}
}
