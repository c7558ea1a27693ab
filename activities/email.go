package activities

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"go.temporal.io/sdk/activity"

	"github.com/bankforge/bank/inbox"
	"github.com/bankforge/bank/mail"
)

// EmailInput names the notification to send by email. The notification (in the inbox) holds the
// text and the user; the address is read from the user at send time, so neither the address nor
// the text enters a workflow's history.
type EmailInput struct {
	NotificationID string
}

// SendEmail emails a notification to its user, once: the send is recorded under the notification's
// id, and a retry that finds it recorded sends nothing. It runs as its own activity, so a mail
// server that is down shows as retries of this step in the Temporal UI and holds up nothing else.
func (a *Activities) SendEmail(ctx context.Context, in EmailInput) error {
	sent, err := a.Store.EmailSent(ctx, in.NotificationID)
	if err != nil {
		return fmt.Errorf("check sent email: %w", err)
	}
	if sent {
		return nil
	}
	n, err := a.Inbox.Get(ctx, in.NotificationID)
	if errors.Is(err, inbox.ErrNotFound) {
		return internal("notification %s not found", in.NotificationID)
	} else if err != nil {
		return err
	}
	userID, err := uuid.Parse(n.UserID)
	if err != nil {
		return internal("notification %s has a bad user id", in.NotificationID)
	}
	u, err := a.user(ctx, userID.String())
	if err != nil {
		return err
	}
	if err := a.Mailer.Send(ctx, mail.Message{
		ID:      n.ID,
		To:      u.Email,
		Subject: n.Title,
		Body:    fmt.Sprintf("Hello %s,\n\n%s\n", u.FullName, n.Body),
	}); err != nil {
		return fmt.Errorf("send email: %w", err)
	}
	// The server accepted the mail: record it, trying on through a short outage rather than failing
	// the attempt, whose retry would send it again.
	for attempt := 0; ; attempt++ {
		err := a.Store.RecordEmailSent(ctx, n.ID)
		if err == nil {
			return nil
		}
		if attempt == 20 || ctx.Err() != nil {
			activity.GetLogger(ctx).Error("email sent but not recorded; a retry may send it again",
				"notification_id", n.ID, "error", err)
			return fmt.Errorf("record sent email: %w", err)
		}
		select {
		case <-ctx.Done():
		case <-time.After(250 * time.Millisecond):
		}
	}
}
