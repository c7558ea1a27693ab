package activities

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"go.temporal.io/sdk/activity"

	"github.com/bankforge/bank/db"
	"github.com/bankforge/bank/inbox"
	"github.com/bankforge/bank/mail"
)

// Emails names the emails (by the notifications they carry) that a workflow sends next, by
// SendEmails.
type Emails struct {
	NotificationIDs []string
}

// notify stores notifications in the inbox and, keyed by the same ids, the emails that carry them
// in PostgreSQL, each once. It returns the emails for SendEmails.
func (a *Activities) notify(ctx context.Context, notes ...inbox.Notification) (Emails, error) {
	if len(notes) == 0 {
		return Emails{}, nil
	}
	if err := a.Inbox.Notify(ctx, notes...); err != nil {
		return Emails{}, err
	}
	var p db.InsertEmailsParams
	for _, n := range notes {
		userID, err := uuid.Parse(n.UserID)
		if err != nil {
			return Emails{}, internal("notification %s has a bad user id", n.ID)
		}
		p.Ids = append(p.Ids, n.ID)
		p.UserIds = append(p.UserIds, userID)
		p.Subjects = append(p.Subjects, n.Title)
		p.Bodies = append(p.Bodies, n.Body)
	}
	if err := a.Store.InsertEmails(ctx, p); err != nil {
		return Emails{}, fmt.Errorf("write emails: %w", err)
	}
	return Emails{NotificationIDs: p.Ids}, nil
}

// SendEmails sends the named emails that are not sent yet, each to its user's address as it is
// now, and marks each sent the moment the mail server accepts it: a retry sends only the rest, so no
// mail the server accepted is sent twice. Neither the address nor the text enters a workflow's
// history. It runs as its own activity, so a mail server that is down shows as retries of this step
// in the Temporal UI and holds up nothing else.
func (a *Activities) SendEmails(ctx context.Context, in Emails) error {
	if len(in.NotificationIDs) == 0 {
		return nil
	}
	unsent, err := a.Store.ListUnsentEmails(ctx, in.NotificationIDs)
	if err != nil {
		return fmt.Errorf("list unsent emails: %w", err)
	}
	for _, e := range unsent {
		if err := a.Mailer.Send(ctx, mail.Message{
			ID:      e.ID,
			To:      e.Email,
			Subject: e.Subject,
			Body:    fmt.Sprintf("Hello %s,\n\n%s\n", e.FullName, e.Body),
		}); err != nil {
			return fmt.Errorf("send email: %w", err)
		}
		if err := a.markSent(ctx, e.ID); err != nil {
			return err
		}
	}
	return nil
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
