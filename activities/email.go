package activities

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"go.temporal.io/sdk/activity"

	"github.com/bankforge/bank/db"
	"github.com/bankforge/bank/inbox"
	"github.com/bankforge/bank/mail"
)

// notify stores notifications in the inbox and, keyed by the same ids, the emails that carry them
// in the PostgreSQL outbox, each once. DeliverEmails sends them.
func (a *Activities) notify(ctx context.Context, notes ...inbox.Notification) error {
	if len(notes) == 0 {
		return nil
	}
	if err := a.Inbox.Notify(ctx, notes...); err != nil {
		return err
	}
	var p db.InsertEmailsParams
	for _, n := range notes {
		userID, err := uuid.Parse(n.UserID)
		if err != nil {
			return internal("notification %s has a bad user id", n.ID)
		}
		p.Ids = append(p.Ids, n.ID)
		p.UserIds = append(p.UserIds, userID)
		p.Subjects = append(p.Subjects, n.Title)
		p.Bodies = append(p.Bodies, n.Body)
	}
	if err := a.Store.InsertEmails(ctx, p); err != nil {
		return fmt.Errorf("write emails: %w", err)
	}
	return nil
}

// DeliveryResult is what one delivery run did.
type DeliveryResult struct {
	Sent   int `json:"sent"`
	Failed int `json:"failed"`
}

// SendPendingEmails sends the emails waiting in the outbox, oldest first, up to 500 a run, each to
// its user's address as it is now, and marks each sent the moment the mail server accepts it: a
// retry sends only the rest, so no mail the server accepted is sent twice. An email the server
// refuses is skipped, not allowed to hold up the others; the run then fails, so its retries show
// in the Temporal UI, and the email waits for them or for the next run.
func (a *Activities) SendPendingEmails(ctx context.Context) (DeliveryResult, error) {
	unsent, err := a.Store.ListUnsentEmails(ctx, 500)
	if err != nil {
		return DeliveryResult{}, fmt.Errorf("list unsent emails: %w", err)
	}
	var res DeliveryResult
	var errs error
	for _, e := range unsent {
		err := a.Mailer.Send(ctx, mail.Message{
			ID:      e.ID,
			To:      e.Email,
			Subject: e.Subject,
			Body:    fmt.Sprintf("Hello %s,\n\n%s\n", e.FullName, e.Body),
		})
		if err != nil {
			res.Failed++
			errs = errors.Join(errs, fmt.Errorf("send email %s: %w", e.ID, err))
			continue
		}
		if err := a.markSent(ctx, e.ID); err != nil {
			return res, err
		}
		res.Sent++
	}
	return res, errs
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
