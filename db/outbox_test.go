package db_test

import (
	"context"
	"errors"
	"math"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/bankforge/bank/db"
	"github.com/bankforge/bank/dev/testenv"
	"github.com/bankforge/bank/domain"
)

// A refused email waits twice as long after each refusal, up to the cap, and is given up at its
// last attempt; then nothing counts against it, marks it sent, or lists it as due.
func TestOutbox_RefusalsBackOffThenGiveUp(t *testing.T) {
	t.Parallel()
	s := testenv.NewStore(t)
	ctx := context.Background()
	u := newUser(t, s)
	if err := s.WriteEmails(ctx, db.OutboxEmail{ID: "e1", UserID: u.ID, Kind: domain.NotificationWelcome.Email(), Facts: `{"currency":"USD","account":"1"}`}); err != nil {
		t.Fatal(err)
	}
	due, err := s.ListDueEmails(ctx, 10)
	if err != nil || len(due) != 1 || due[0].Kind != domain.NotificationWelcome.Email() || due[0].Locale != domain.LocaleEnglish || string(due[0].Data) != `{"account": "1", "currency": "USD"}` {
		t.Fatalf("due %+v, %v", due, err)
	}
	reason := "451 try later"
	wants := []float64{30, 60, 120, 240, 480, 960, 1920, 3600, 3600}
	for i, want := range wants {
		row, err := s.RecordEmailRefusal(ctx, db.RecordEmailRefusalParams{ID: "e1", LastError: &reason,
			RetryBaseSeconds: 30, RetryMaxSeconds: 3600, MaxAttempts: 10})
		if err != nil || row.Attempts != int32(i+1) || row.Failed {
			t.Fatalf("refusal %d: %+v, %v", i+1, row, err)
		}
		var wait float64
		if err := s.Pool().QueryRow(ctx, "SELECT extract(epoch FROM next_attempt_at - now()) FROM emails WHERE id = 'e1'").Scan(&wait); err != nil {
			t.Fatal(err)
		}
		if math.Abs(wait-want) > 5 {
			t.Fatalf("after refusal %d the email waits %.0fs; want %.0fs", i+1, wait, want)
		}
	}
	if due, _ := s.ListDueEmails(ctx, 10); len(due) != 0 {
		t.Fatalf("an email waiting for its next attempt is due: %+v", due)
	}
	row, err := s.RecordEmailRefusal(ctx, db.RecordEmailRefusalParams{ID: "e1", LastError: &reason, RetryBaseSeconds: 30, RetryMaxSeconds: 3600, MaxAttempts: 10})
	if err != nil || row.Attempts != 10 || !row.Failed {
		t.Fatalf("tenth refusal: %+v, %v; want given up", row, err)
	}
	_, err = s.RecordEmailRefusal(ctx, db.RecordEmailRefusalParams{ID: "e1", LastError: &reason, RetryBaseSeconds: 30, RetryMaxSeconds: 3600, MaxAttempts: 10})
	if !errors.Is(err, pgx.ErrNoRows) {
		t.Fatalf("a refusal after giving up: %v; want no row", err)
	}
	if err := s.MarkEmailSent(ctx, "e1"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Pool().Exec(ctx, "UPDATE emails SET next_attempt_at = now() - interval '1 day'"); err != nil {
		t.Fatal(err)
	}
	var sent bool
	if err := s.Pool().QueryRow(ctx, "SELECT sent_at IS NOT NULL FROM emails WHERE id = 'e1'").Scan(&sent); err != nil || sent {
		t.Fatalf("a given-up email was marked sent (%v)", err)
	}
	if due, _ := s.ListDueEmails(ctx, 10); len(due) != 0 {
		t.Fatalf("a given-up email is due: %+v", due)
	}
	failures, err := s.ListUnauditedEmailFailures(ctx, 10)
	if err != nil || len(failures) != 1 || failures[0].Attempts != 10 || *failures[0].LastError != reason {
		t.Fatalf("failures %+v, %v", failures, err)
	}
	if err := s.MarkEmailFailureAudited(ctx, "e1"); err != nil {
		t.Fatal(err)
	}
	if failures, _ := s.ListUnauditedEmailFailures(ctx, 10); len(failures) != 0 {
		t.Fatalf("an audited failure is listed again: %+v", failures)
	}
}

// A permanent refusal gives an email up at once.
func TestOutbox_PermanentRefusalGivesUpAtOnce(t *testing.T) {
	t.Parallel()
	s := testenv.NewStore(t)
	ctx := context.Background()
	u := newUser(t, s)
	if err := s.WriteEmails(ctx, db.OutboxEmail{ID: "e1", UserID: u.ID, Kind: domain.EmailTaken}); err != nil {
		t.Fatal(err)
	}
	reason := "550 no such user"
	row, err := s.RecordEmailRefusal(ctx, db.RecordEmailRefusalParams{ID: "e1", LastError: &reason, Permanent: true,
		RetryBaseSeconds: 30, RetryMaxSeconds: 3600, MaxAttempts: 10})
	if err != nil || row.Attempts != 1 || !row.Failed {
		t.Fatalf("%+v, %v; want given up at the first attempt", row, err)
	}
}

// The outbox takes an email of every kind and refuses one of a kind without templates, facts that are not an object, an email
// both sent and given up, and an audited failure that did not happen.
func TestSeal_OutboxHoldsOnlyWhatCanBeSent(t *testing.T) {
	t.Parallel()
	s := testenv.NewStore(t)
	ctx := context.Background()
	u := newUser(t, s)
	for _, k := range domain.EmailKinds {
		if err := s.WriteEmails(ctx, db.OutboxEmail{ID: "kind/" + string(k), UserID: u.ID, Kind: k}); err != nil {
			t.Fatalf("kind %s: %v", k, err)
		}
	}
	err := s.WriteEmails(ctx, db.OutboxEmail{ID: "postcard", UserID: u.ID, Kind: "postcard"})
	requireCode(t, err, checkViolation, "emails_kind_known")
	err = s.WriteEmails(ctx, db.OutboxEmail{ID: "array", UserID: u.ID, Kind: domain.EmailTaken, Facts: "[1]"})
	requireCode(t, err, checkViolation, "emails_data_object")
	if err := s.WriteEmails(ctx, db.OutboxEmail{ID: "e1", UserID: u.ID, Kind: domain.EmailTaken}); err != nil {
		t.Fatal(err)
	}
	_, err = s.Pool().Exec(ctx, "UPDATE emails SET sent_at = now(), failed_at = now() WHERE id = 'e1'")
	requireCode(t, err, checkViolation, "emails_sent_or_failed")
	_, err = s.Pool().Exec(ctx, "UPDATE emails SET failure_audited_at = now() WHERE id = 'e1'")
	requireCode(t, err, checkViolation, "emails_audited_failure")
	_, err = s.Pool().Exec(ctx, "UPDATE users SET locale = 'fr' WHERE id = $1", u.ID)
	requireCode(t, err, checkViolation, "users_locale_known")
}
