package activities_test

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/bankforge/bank/activities"
	"github.com/bankforge/bank/audit"
	"github.com/bankforge/bank/db"
	"github.com/bankforge/bank/domain"
	"github.com/bankforge/bank/mail"
)

// outboxRow is an email's delivery state in the outbox.
type outboxRow struct {
	attempts  int
	lastError string
	sent      bool
	failed    bool
}

func (f *fixture) outbox(id string) outboxRow {
	f.t.Helper()
	var r outboxRow
	var lastError *string
	err := f.store.Pool().QueryRow(context.Background(),
		`SELECT attempts, last_error, sent_at IS NOT NULL, failed_at IS NOT NULL FROM emails WHERE id = $1`, id).
		Scan(&r.attempts, &lastError, &r.sent, &r.failed)
	if err != nil {
		f.t.Fatalf("email %s: %v", id, err)
	}
	if lastError != nil {
		r.lastError = *lastError
	}
	return r
}

func (f *fixture) emailFailures(id string) int64 {
	f.t.Helper()
	return f.count("audit_events", bson.D{{Key: "type", Value: audit.EventEmailFailed}, {Key: "subject", Value: id}})
}

// A mail the server refuses for good (550) is given up at its first attempt and audited once; one
// it refuses for now (451) is given up at its last attempt and audited once; one that cannot be
// written is given up at once. None is tried again, every other email still goes, and the transfer
// they tell of stays as it committed.
func TestSendPendingEmails_GivesUpRefusedEmailsWithoutTouchingTheMoney(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	alice, bob, carol := newCustomer(t, f.store, "USD"), newCustomer(t, f.store, "USD"), newCustomer(t, f.store, "USD")
	deposit(t, f, alice, 1000)
	tr := newTransfer(t, f.store, alice, bob.account, 400)
	ref := activities.TransferRef{TransferID: tr.ID.String()}
	for _, step := range []any{f.acts.ValidateTransfer, f.acts.PlaceHold, f.acts.PostTransfer, f.acts.RecordTransferOutcome} {
		if _, err := f.env.ExecuteActivity(step, ref); err != nil {
			t.Fatal(err)
		}
	}
	received := "transfer/" + tr.ID.String() + "/completed/" + bob.user.ID.String()
	later := writeEmail(t, f, carol).ID
	unwritable := "test/unwritable"
	if err := f.store.WriteEmails(ctx, db.OutboxEmail{ID: unwritable, UserID: alice.user.ID, Kind: domain.NotificationTransferSent.Email()}); err != nil {
		t.Fatal(err)
	}
	f.mail.refuse = map[string]error{
		bob.user.Email:   &mail.RefusedError{Code: 550, Permanent: true, Err: errors.New("550 5.1.1 no such user")},
		carol.user.Email: &mail.RefusedError{Code: 451, Err: errors.New("451 4.3.0 try again later")},
	}

	res := f.deliver()
	if res.Sent != 2 || res.Failed != 2 || res.Retrying != 1 {
		t.Fatalf("first run %+v; want alice's two sent, bob's and the unwritable given up, carol's to retry", res)
	}
	for range 4 {
		f.deliver()
	}
	if got := f.outbox(received); got.attempts != 1 || !got.failed || got.sent || !strings.Contains(got.lastError, "550") {
		t.Fatalf("bob's email %+v; want given up after its one attempt, with the 550", got)
	}
	if got := f.outbox(later); got.attempts != 3 || !got.failed || !strings.Contains(got.lastError, "451") {
		t.Fatalf("carol's email %+v; want given up after 3 attempts, with the 451", got)
	}
	if got := f.outbox(unwritable); got.attempts != 1 || !got.failed || !strings.Contains(got.lastError, "counterparty") {
		t.Fatalf("the unwritable email %+v; want given up at once, saying what it lacks", got)
	}
	if f.mail.tries[received] != 1 || f.mail.tries[later] != 3 || f.mail.tries[unwritable] != 0 {
		t.Fatalf("attempts at the server %v; want 1 for bob's, 3 for carol's, none for the unwritable", f.mail.tries)
	}
	for _, id := range []string{received, later, unwritable} {
		if n := f.emailFailures(id); n != 1 {
			t.Fatalf("%d audit events for the failure of %s; want 1", n, id)
		}
	}
	var sentTo []string
	for _, m := range f.mail.sent() {
		sentTo = append(sentTo, m.To)
	}
	if len(sentTo) != 2 || sentTo[0] != alice.user.Email || sentTo[1] != alice.user.Email {
		t.Fatalf("sent to %v; want alice's deposit and transfer", sentTo)
	}

	// Another email still goes, and the money stays where the transfer put it.
	next := writeEmail(t, f, alice).ID
	if res := f.deliver(); res.Sent != 1 || f.outbox(next).sent != true {
		t.Fatalf("run after the failures %+v; want the new email sent", res)
	}
	got, err := f.store.GetTransfer(ctx, tr.ID)
	if err != nil || got.Status != domain.TransferCompleted {
		t.Fatalf("transfer %s (%v); want completed", got.Status, err)
	}
	a, _ := f.store.GetAccount(ctx, alice.account.ID)
	b, _ := f.store.GetAccount(ctx, bob.account.ID)
	if a.Balance != 600 || b.Balance != 400 {
		t.Fatalf("balances %d/%d; want 600/400", a.Balance, b.Balance)
	}
	if report, err := f.store.CheckLedger(ctx); err != nil || !report.OK {
		t.Fatalf("ledger: %+v %v", report, err)
	}
}

// failingAudit refuses to record while fail is set.
type failingAudit struct {
	activities.AuditLog
	fail atomic.Bool
}

func (a *failingAudit) Record(ctx context.Context, e audit.Event) error {
	if a.fail.Load() {
		return errors.New("mongo is down")
	}
	return a.AuditLog.Record(ctx, e)
}

// An email given up while the audit log cannot be written is audited by a later run, once.
func TestSendPendingEmails_AuditsAGivenUpEmailOnceTheLogIsBack(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	log := &failingAudit{AuditLog: f.acts.Audit}
	f.acts.Audit = log
	alice := newCustomer(t, f.store, "USD")
	id := writeEmail(t, f, alice).ID
	f.mail.refuse = map[string]error{alice.user.Email: &mail.RefusedError{Code: 554, Permanent: true, Err: errors.New("554 5.7.1 rejected")}}
	log.fail.Store(true)
	if _, err := f.env.ExecuteActivity(f.acts.SendPendingEmails); err == nil {
		t.Fatal("the run succeeded with its failure unaudited")
	}
	if got := f.outbox(id); !got.failed || f.emailFailures(id) != 0 {
		t.Fatalf("email %+v, %d events; want given up and not yet audited", got, f.emailFailures(id))
	}
	log.fail.Store(false)
	if err := f.twice(f.acts.SendPendingEmails); err != nil {
		t.Fatal(err)
	}
	if n := f.emailFailures(id); n != 1 || f.mail.tries[id] != 1 {
		t.Fatalf("%d events, %d attempts; want one of each", n, f.mail.tries[id])
	}
}

// A mail server that cannot be reached fails the run and counts against no email: when it is back,
// every email goes.
func TestSendPendingEmails_AnUnreachableServerCountsAgainstNoEmail(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	alice, bob := newCustomer(t, f.store, "USD"), newCustomer(t, f.store, "USD")
	first, second := writeEmail(t, f, alice).ID, writeEmail(t, f, bob).ID
	f.mail.fail = &unreachable{}
	for range 5 {
		if _, err := f.env.ExecuteActivity(f.acts.SendPendingEmails); !errors.Is(err, mail.ErrUnavailable) && !strings.Contains(err.Error(), "unavailable") {
			t.Fatalf("run with the server down: %v; want it to fail as unavailable", err)
		}
	}
	if a, b := f.outbox(first), f.outbox(second); a.attempts != 0 || b.attempts != 0 || a.failed || b.failed {
		t.Fatalf("outbox %+v %+v; want no attempt counted", a, b)
	}
	if f.mail.tries[second] != 0 {
		t.Fatalf("the second email was tried %d times while the server was down; want the run to stop at the first", f.mail.tries[second])
	}
	f.mail.fail = nil
	if res := f.deliver(); res.Sent != 2 {
		t.Fatalf("run with the server back %+v; want both sent", res)
	}
}

type unreachable struct{}

func (unreachable) Error() string {
	return "mail server unavailable: dial tcp 127.0.0.1:1025: connection refused"
}
func (unreachable) Unwrap() error { return mail.ErrUnavailable }

// Each email is written when it is sent, in its recipient's language and name as they are then,
// with the amount as they write it.
func TestSendPendingEmails_WritesInTheRecipientsLanguage(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	rosa, ann := newCustomer(t, f.store, "EUR"), newCustomer(t, f.store, "USD")
	deposit(t, f, rosa, 123456)
	deposit(t, f, ann, 123456)
	// Rosa changes her name and language after the deposit, before the email goes.
	if _, err := f.store.UpdateProfile(ctx, db.UpdateProfileParams{ID: rosa.user.ID, FullName: "Rosa Muñoz", Locale: domain.LocaleSpanish}); err != nil {
		t.Fatal(err)
	}
	if res := f.deliver(); res.Sent != 2 {
		t.Fatalf("run %+v; want both deposits' emails sent", res)
	}
	byTo := map[string]mail.Message{}
	for _, m := range f.mail.sent() {
		byTo[m.To] = m
	}
	es, en := byTo[rosa.user.Email], byTo[ann.user.Email]
	if es.Subject != "Depósito en efectivo de 1.234,56 €" || !strings.HasPrefix(es.Text, "Hola, Rosa Muñoz:\n") ||
		es.ToName != "Rosa Muñoz" || !strings.Contains(es.HTML, `lang="es"`) || !strings.Contains(es.Text, "Test Bank") {
		t.Fatalf("Spanish email %+v", es)
	}
	if en.Subject != "Cash deposit of $1,234.56" || !strings.HasPrefix(en.Text, "Hello C,\n") || !strings.Contains(en.HTML, `lang="en"`) {
		t.Fatalf("English email %+v", en)
	}
	if !strings.HasPrefix(es.ID, "transfer/") || !strings.HasPrefix(en.ID, "transfer/") {
		t.Fatalf("message ids %q %q; want the outbox ids", es.ID, en.ID)
	}
}

// A run that has little time left takes no more emails: each one it starts has time to be accepted
// and marked sent, and the next run sends the rest.
func TestSendPendingEmails_LeavesTheRestWhenItsTimeRunsShort(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	alice := newCustomer(t, f.store, "USD")
	id := writeEmail(t, f, alice).ID
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	res, err := f.acts.SendPendingEmails(ctx)
	if err != nil || res.Sent != 0 || f.mail.tries[id] != 0 {
		t.Fatalf("run with 10 s left: %+v, %v, %d attempts; want nothing tried", res, err, f.mail.tries[id])
	}
	if res := f.deliver(); res.Sent != 1 {
		t.Fatalf("the next run %+v; want the email sent", res)
	}
}
