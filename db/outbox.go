package db

import (
	"context"

	"github.com/google/uuid"

	"github.com/bankforge/bank/domain"
)

// OutboxEmail is an email to write to the outbox: its kind and what it tells (Facts, JSON), or for
// a text email its subject and body. DeliverEmails renders and sends it.
type OutboxEmail struct {
	ID      string
	UserID  uuid.UUID
	Kind    domain.EmailKind
	Facts   string
	Subject string
	Body    string
}

// WriteEmails writes emails to the outbox, each once by its id.
func (q *Queries) WriteEmails(ctx context.Context, emails ...OutboxEmail) error {
	if len(emails) == 0 {
		return nil
	}
	var p InsertEmailsParams
	for _, e := range emails {
		facts := e.Facts
		if facts == "" {
			facts = "{}"
		}
		p.Ids = append(p.Ids, e.ID)
		p.UserIds = append(p.UserIds, e.UserID)
		p.Kinds = append(p.Kinds, string(e.Kind))
		p.Data = append(p.Data, facts)
		p.Subjects = append(p.Subjects, e.Subject)
		p.Bodies = append(p.Bodies, e.Body)
	}
	return q.InsertEmails(ctx, p)
}
