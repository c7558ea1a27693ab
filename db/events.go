package db

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"github.com/google/uuid"

	"github.com/bankforge/bank/domain"
)

// UserEventsChannel is the notification channel on which a user's id is sent at the commit that
// appends events for them: the API processes wake that user's sockets, which read the events back.
const UserEventsChannel = "user_events"

// Event is a live event to append for one user: its type and what it tells them (a JSON object), keyed
// by what wrote it so that a step run twice appends it once.
type Event struct {
	UserID uuid.UUID
	Key    string
	Type   domain.EventType
	Data   any
}

// AppendUserEventsTx appends events in one transaction; see AppendUserEvents.
func (s *Store) AppendUserEventsTx(ctx context.Context, events ...Event) error {
	if len(events) == 0 {
		return nil
	}
	return s.InTx(ctx, func(q *Queries) error { return q.AppendUserEvents(ctx, events) })
}

// WriteOutboxTx writes emails to the outbox and appends events, in one transaction: the emails and
// the live events of the same notifications commit together, each once.
func (s *Store) WriteOutboxTx(ctx context.Context, emails []OutboxEmail, events []Event) error {
	if len(emails) == 0 && len(events) == 0 {
		return nil
	}
	return s.InTx(ctx, func(q *Queries) error {
		if err := q.WriteEmails(ctx, emails...); err != nil {
			return fmt.Errorf("write emails: %w", err)
		}
		return q.AppendUserEvents(ctx, events)
	})
}

// AppendUserEvents appends each event whose key its user has not had yet, with the next id of
// that user, and notifies UserEventsChannel of each user given one, in two statements whatever the
// number of events and users. It locks the users' sequences in ascending order of user id (no two
// transactions wait on each other in a cycle), and holds them to the commit, so each user's events
// commit in the order of their ids. It must run in a transaction.
func (q *Queries) AppendUserEvents(ctx context.Context, events []Event) error {
	if len(events) == 0 {
		return nil
	}
	p := InsertUserEventsParams{
		Channel: UserEventsChannel,
		UserIds: make([]uuid.UUID, len(events)), Keys: make([]string, len(events)),
		Types: make([]string, len(events)), Datas: make([]string, len(events)),
	}
	users := make([]uuid.UUID, 0, 2)
	for i, e := range events {
		if e.UserID == uuid.Nil || e.Key == "" || !slices.Contains(domain.EventTypes, e.Type) {
			return errors.New("an event needs a user, a key and a known type")
		}
		data, err := json.Marshal(e.Data)
		if err != nil {
			return fmt.Errorf("encode event %s: %w", e.Key, err)
		}
		p.UserIds[i], p.Keys[i], p.Types[i], p.Datas[i] = e.UserID, e.Key, string(e.Type), string(data)
		if !slices.Contains(users, e.UserID) {
			users = append(users, e.UserID)
		}
	}
	if err := q.LockUserEventSeqs(ctx, users); err != nil {
		return fmt.Errorf("lock event sequences: %w", err)
	}
	if err := q.InsertUserEvents(ctx, p); err != nil {
		return fmt.Errorf("insert events: %w", err)
	}
	return nil
}
