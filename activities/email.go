package activities

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"go.temporal.io/sdk/activity"

	"github.com/bankforge/bank/audit"
	"github.com/bankforge/bank/db"
	"github.com/bankforge/bank/inbox"
	"github.com/bankforge/bank/mail"
	"github.com/bankforge/bank/mailtext"
)

// EmailRetry bounds how long an email the mail server refuses is tried again.
type EmailRetry struct {
	// MaxAttempts is how many refused attempts give an email up; a permanent refusal (SMTP 5xx)
	// gives it up at once.
	MaxAttempts int
	// First is the wait after the first refusal, doubling after each one up to Max.
	First time.Duration
	Max   time.Duration
}

// DefaultEmailRetry tries an email ten times over about three hours.
var DefaultEmailRetry = EmailRetry{MaxAttempts: 10, First: 30 * time.Second, Max: time.Hour}

// notify stores notifications in the inbox and, keyed by the same ids, the emails that carry them
// in the PostgreSQL outbox, each once; an email of a kind its user switched off is not written
// (db.InsertEmails), the inbox entry always is. DeliverEmails sends them, each written from its
// notification's kind and facts. Each notification is also a notification.created live event for
// its user (GET /v1/ws), whatever their email settings.
func (a *Activities) notify(ctx context.Context, notes ...inbox.Notification) error {
	return a.notifyWith(ctx, nil, notes...)
}

// notifyWith is notify with more live events: the emails, the notifications' events and these
// commit in one transaction, after the inbox has the notifications, each once by its key.
func (a *Activities) notifyWith(ctx context.Context, events []db.Event, notes ...inbox.Notification) error {
	if len(notes) == 0 && len(events) == 0 {
		return nil
	}
	emails := make([]db.OutboxEmail, len(notes))
	now := time.Now().UTC()
	for i, n := range notes {
		e, err := n.OutboxEmail()
		if err != nil {
			return internal("%v", err)
		}
		if n.At.IsZero() {
			notes[i].At, n.At = now, now
		}
		ev, err := n.Event()
		if err != nil {
			return internal("%v", err)
		}
		emails[i] = e
		events = append(events, ev)
	}
	if err := a.Inbox.Notify(ctx, notes...); err != nil {
		return err
	}
	if err := a.Store.WriteOutboxTx(ctx, emails, events); err != nil {
		return fmt.Errorf("write emails and events: %w", err)
	}
	return nil
}

func outboxEmail(id string, userID uuid.UUID, e mailtext.Email) db.OutboxEmail {
	return db.OutboxEmail{ID: id, UserID: userID, Kind: e.Kind, Facts: e.Facts.JSON(), Subject: e.Subject, Body: e.Body}
}

// DeliveryResult is what one delivery run did.
type DeliveryResult struct {
	Sent int `json:"sent"`
	// Retrying counts the emails the server refused for now: each waits for its next attempt.
	Retrying int `json:"retrying"`
	// Failed counts the emails given up in this run.
	Failed int `json:"failed"`
}

// SendPendingEmails sends the emails due in the outbox, oldest first, up to 500 a run, each rendered
// in its user's language and sent to their address as they are now, and marks each sent the moment
// the mail server accepts it: a retry sends only the rest, so no mail the server accepted is sent
// twice. An email the server refuses does not hold up the others: it waits for its next attempt,
// with backoff, and after EmailRetry.MaxAttempts refusals, or one permanent refusal, it is given up,
// marked failed and audited. A mail server that cannot be reached stops the run with an error, so
// its retries show in the Temporal UI, and counts against no email. None of it touches the money
// movement an email tells of: that committed, in its own workflow, before the email was written.
func (a *Activities) SendPendingEmails(ctx context.Context) (DeliveryResult, error) {
	defer keepAlive(ctx)()
	due, err := a.Store.ListDueEmails(ctx, 500)
	if err != nil {
		return DeliveryResult{}, fmt.Errorf("list due emails: %w", err)
	}
	var res DeliveryResult
	var stopped error
	deadline, hasDeadline := ctx.Deadline()
	for _, e := range due {
		if hasDeadline && time.Until(deadline) < sendMargin {
			break // the next run sends the rest
		}
		msg, err := a.render(e)
		if err == nil {
			err = a.Mailer.Send(ctx, msg)
		}
		if ctx.Err() != nil {
			stopped = ctx.Err()
			break
		}
		if err == nil {
			if err := a.markSent(ctx, e.ID); err != nil {
				return res, err
			}
			res.Sent++
			a.Emails.Sent(e.Kind)
			continue
		}
		if errors.Is(err, mail.ErrUnavailable) {
			stopped = fmt.Errorf("send email %s: %w", e.ID, err)
			break
		}
		failed, err := a.recordRefusal(ctx, e.ID, err)
		if err != nil {
			return res, err
		}
		if failed {
			res.Failed++
			a.Emails.Failed(e.Kind)
		} else {
			res.Retrying++
		}
	}
	if err := a.auditEmailFailures(ctx); err != nil {
		return res, errors.Join(stopped, err)
	}
	return res, stopped
}

// sendMargin is what a delivery run leaves of its attempt's time when it takes no more emails, so
// that the one it sends last has time to be accepted and marked sent.
const sendMargin = 20 * time.Second

// render writes an outbox email for its recipient. An email that cannot be written (facts its kind
// lacks) is refused for good: sending it again would not help.
func (a *Activities) render(e db.ListDueEmailsRow) (mail.Message, error) {
	facts, err := mailtext.ParseFacts(e.Data)
	if err == nil {
		var r mailtext.Rendered
		r, err = a.Letters.Render(mailtext.Email{Kind: e.Kind, Facts: facts, Subject: e.Subject, Body: e.Body},
			mailtext.Recipient{Name: e.FullName, Locale: e.Locale})
		if err == nil {
			return mail.Message{ID: e.ID, To: e.Email, ToName: e.FullName, Subject: r.Subject, Text: r.Text, HTML: r.HTML}, nil
		}
	}
	return mail.Message{}, &mail.RefusedError{Permanent: true, Err: fmt.Errorf("render email: %w", err)}
}

// recordRefusal counts a refused attempt at the email id and reports whether it is now given up.
func (a *Activities) recordRefusal(ctx context.Context, id string, refusal error) (bool, error) {
	retry := a.EmailRetry
	if retry.MaxAttempts <= 0 {
		retry = DefaultEmailRetry
	}
	reason := refusal.Error()
	if len(reason) > 1000 {
		reason = reason[:1000]
	}
	row, err := a.Store.RecordEmailRefusal(ctx, db.RecordEmailRefusalParams{
		ID: id, LastError: &reason, Permanent: mail.IsPermanent(refusal), MaxAttempts: int32(retry.MaxAttempts),
		RetryBaseSeconds: retry.First.Seconds(), RetryMaxSeconds: retry.Max.Seconds(),
	})
	if err != nil {
		return false, fmt.Errorf("record refused email: %w", db.NotFound(err))
	}
	code := 0
	var r *mail.RefusedError
	if errors.As(refusal, &r) {
		code = r.Code
	}
	// The refusal's text may name the recipient: the outbox keeps it, the log does not.
	activity.GetLogger(ctx).Warn("email refused", "notification_id", id, "attempts", row.Attempts,
		"permanent", mail.IsPermanent(refusal), "smtp_code", code, "given_up", row.Failed)
	return row.Failed, nil
}

// auditEmailFailures writes an audit event for each email given up whose failure the audit log does
// not have yet (this run's, or one whose event a crash kept from being written), once each.
func (a *Activities) auditEmailFailures(ctx context.Context) error {
	for {
		failures, err := a.Store.ListUnauditedEmailFailures(ctx, 100)
		if err != nil {
			return fmt.Errorf("list email failures: %w", err)
		}
		for _, f := range failures {
			details := map[string]any{"kind": string(f.Kind), "attempts": f.Attempts}
			if f.LastError != nil {
				details["last_error"] = *f.LastError
			}
			if f.FailedAt != nil {
				details["failed_at"] = f.FailedAt.UTC()
			}
			if err := a.Audit.Record(ctx, audit.Event{
				ID: "email/" + f.ID + "/failed", Type: audit.EventEmailFailed,
				UserID: f.UserID.String(), Email: f.Email, Subject: f.ID, Details: details,
			}); err != nil {
				return err
			}
			if err := a.Store.MarkEmailFailureAudited(ctx, f.ID); err != nil {
				return fmt.Errorf("mark email failure audited: %w", err)
			}
		}
		if len(failures) < 100 {
			return nil
		}
	}
}

// markSent records that the server accepted the email id, trying on through a short outage
// rather than failing the attempt, whose retry would send it again.
func (a *Activities) markSent(ctx context.Context, id string) error {
	for attempt := 0; ; attempt++ {
		err := a.Store.MarkEmailSent(ctx, id)
		if err == nil {
			return nil
		}
		if attempt == 20 || ctx.Err() != nil {
			activity.GetLogger(ctx).Error("email sent but not recorded; a retry may send it again",
				"notification_id", id, "error", err)
			return fmt.Errorf("record sent email: %w", err)
		}
		select {
		case <-ctx.Done():
		case <-time.After(250 * time.Millisecond):
		}
	}
}
