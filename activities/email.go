package activities

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/google/uuid"
	"go.temporal.io/sdk/activity"

	"github.com/bankforge/bank/mail"
)

// SendEmails emails each named notification to its user, once: each send is recorded under the
// notification's id as soon as the server accepts it, and a retry sends only the ones not recorded.
// The text comes from the inbox and the address from the user at send time, so neither enters a
// workflow's history. It runs as its own activity, so a mail server that is down shows as retries of
// this step in the Temporal UI and holds up nothing else.
func (a *Activities) SendEmails(ctx context.Context, in Emails) error {
	if len(in.NotificationIDs) == 0 {
		return nil
	}
	sent, err := a.Store.ListSentEmails(ctx, in.NotificationIDs)
	if err != nil {
		return fmt.Errorf("check sent emails: %w", err)
	}
	var pending []string
	for _, id := range in.NotificationIDs {
		if !slices.Contains(sent, id) {
			pending = append(pending, id)
		}
	}
	if len(pending) == 0 {
		return nil
	}
	notes, err := a.Inbox.Get(ctx, pending...)
	if err != nil {
		return err
	}
	if len(notes) != len(pending) {
		return internal("%d of the notifications %v not found", len(pending)-len(notes), pending)
	}
	for _, n := range notes {
		userID, err := uuid.Parse(n.UserID)
		if err != nil {
			return internal("notification %s has a bad user id", n.ID)
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
		if err := a.recordSent(ctx, n.ID); err != nil {
			return err
		}
	}
	return nil
}

// recordSent records that the server accepted the email id, trying on through a short outage
// rather than failing the attempt, whose retry would send it again.
func (a *Activities) recordSent(ctx context.Context, id string) error {
	for attempt := 0; ; attempt++ {
		err := a.Store.RecordEmailSent(ctx, id)
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
