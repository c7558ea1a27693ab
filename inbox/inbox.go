// Package inbox keeps the customers' notifications in MongoDB: the messages the app shows and the
// emails carry. Every notification names its id, derived from the workflow or request and the event
// that wrote it, so a step that runs twice stores one notification.
package inbox

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/bankforge/bank/db"
	"github.com/bankforge/bank/domain"
	"github.com/bankforge/bank/internal/groupcommit"
	"github.com/bankforge/bank/mailtext"
)

// WelcomeID is the id of a registration's welcome notification, and of its email.
func WelcomeID(registrationID string) string { return "registration/" + registrationID + "/welcome" }

// StaffInvitationID is the id of a staff member's invitation notification, and of its email.
func StaffInvitationID(userID string) string { return "staff-invitation/" + userID }

// Notification is a message for one user, shown in the app and sent by email.
type Notification struct {
	ID     string                  `bson:"_id"`
	UserID string                  `bson:"user_id"`
	Kind   domain.NotificationKind `bson:"kind"`
	Title  string                  `bson:"title"`
	Body   string                  `bson:"body"`
	At     time.Time               `bson:"at"`
	ReadAt *time.Time              `bson:"read_at,omitempty"`
	// Facts are what the email that carries the notification tells, written from its kind's
	// template (Kind.Email()) when it is sent. The inbox keeps them as Details, less the secret.
	Facts mailtext.Facts `bson:"-"`
	// Details are Facts as stored and shown; Notify sets them. A notification stored before they
	// were kept has none.
	Details *Details `bson:"details,omitempty"`
}

// Details are what a notification is about, its email's facts but for the one secret among them
// (a staff invitation's one-time link): with the notification's kind, a client writes it in its
// reader's language, as the email is written in theirs.
type Details struct {
	// An amount in minor units of Currency.
	Amount       int64               `json:"amount,omitempty" bson:"amount,omitempty"`
	Currency     string              `json:"currency,omitempty" bson:"currency,omitempty"`
	Account      string              `json:"account,omitempty" bson:"account,omitempty"`
	Counterparty string              `json:"counterparty,omitempty" bson:"counterparty,omitempty"`
	FailureCode  domain.Code         `json:"failure_code,omitempty" bson:"failure_code,omitempty"`
	Role         domain.Role         `json:"role,omitempty" bson:"role,omitempty"`
	ValidHours   int                 `json:"valid_hours,omitempty" bson:"valid_hours,omitempty"`
	FreezeReason domain.FreezeReason `json:"freeze_reason,omitempty" bson:"freeze_reason,omitempty"`
	StopsCredits bool                `json:"stops_credits,omitempty" bson:"stops_credits,omitempty"`
	Until        *time.Time          `json:"until,omitempty" bson:"until,omitempty"`
	At           *time.Time          `json:"at,omitempty" bson:"at,omitempty"`
	Device       string              `json:"device,omitempty" bson:"device,omitempty"`
	Network      string              `json:"network,omitempty" bson:"network,omitempty"`
}

// detailsOf are f as a notification shows them: every fact but the link. Nil when f tells nothing.
func detailsOf(f mailtext.Facts) *Details {
	d := Details{
		Amount: f.Amount, Currency: f.Currency, Account: f.Account, Counterparty: f.Counterparty,
		FailureCode: f.FailureCode, Role: f.Role, ValidHours: f.ValidHours,
		FreezeReason: f.FreezeReason, StopsCredits: f.StopsCredits, Until: utc(f.Until), At: utc(f.At),
		Device: f.Device, Network: f.Network,
	}
	if d == (Details{}) {
		return nil
	}
	return &d
}

func utc(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

// details are n's Details, or those of its facts before Notify set them.
func (n Notification) details() *Details {
	if n.Details != nil {
		return n.Details
	}
	return detailsOf(n.Facts)
}

// View is a notification as its user reads it, in the API and in its live event. id is its public
// id (PublicID): safe in a URL's path. Its details are its email's facts but the secret link.
type View struct {
	ID     string                  `json:"id"`
	UserID string                  `json:"user_id"`
	Kind   domain.NotificationKind `json:"kind"`
	Title  string                  `json:"title"`
	Body   string                  `json:"body"`
	// Details are what it is about, for writing it in the reader's language; absent on a
	// notification stored before they were kept, whose title and body then stand alone.
	Details *Details   `json:"details,omitempty"`
	At      time.Time  `json:"at"`
	ReadAt  *time.Time `json:"read_at"`
}

// View is n as its user reads it.
func (n Notification) View() View {
	v := View{ID: PublicID(n.ID), UserID: n.UserID, Kind: n.Kind, Title: n.Title, Body: n.Body, Details: n.details(), At: n.At.UTC()}
	if n.ReadAt != nil {
		at := n.ReadAt.UTC()
		v.ReadAt = &at
	}
	return v
}

// Event is n's notification.created live event for its user (GET /v1/ws): n as they read it,
// keyed by n's id, so n written twice is one event.
func (n Notification) Event() (db.Event, error) {
	userID, err := uuid.Parse(n.UserID)
	if err != nil {
		return db.Event{}, fmt.Errorf("notification %s has a bad user id", n.ID)
	}
	return db.Event{UserID: userID, Key: "notification/" + n.ID, Type: domain.EventNotificationCreated, Data: n.View()}, nil
}

// OutboxEmail is the email that carries n, under n's id, for the PostgreSQL outbox.
func (n Notification) OutboxEmail() (db.OutboxEmail, error) {
	userID, err := uuid.Parse(n.UserID)
	if err != nil {
		return db.OutboxEmail{}, fmt.Errorf("notification %s has a bad user id", n.ID)
	}
	if !n.Kind.Valid() {
		return db.OutboxEmail{}, fmt.Errorf("notification %s has no known kind", n.ID)
	}
	return db.OutboxEmail{ID: n.ID, UserID: userID, Kind: n.Kind.Email(), Facts: n.Facts.JSON()}, nil
}

// PublicID is the id clients name a notification by: its id, which holds slashes, made safe for a
// URL's path. It is the id's own encoding, so a retried write has the same one.
func PublicID(id string) string { return base64.RawURLEncoding.EncodeToString([]byte(id)) }

// ParsePublicID reads a PublicID back; ok is false for anything PublicID does not write.
func ParsePublicID(s string) (id string, ok bool) {
	if s == "" || len(s) > 512 {
		return "", false
	}
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || len(b) == 0 || base64.RawURLEncoding.EncodeToString(b) != s {
		return "", false
	}
	return string(b), true
}

// ErrNotFound is the answer for a notification the user does not have.
var ErrNotFound = errors.New("notification not found")

// Store writes and reads notifications.
type Store struct {
	notifications *mongo.Collection
	// queue lets the writers of one process share inserts (group commit): the notifications given
	// while an insert is under way are stored by the next, however many writers gave them.
	queue *groupcommit.Queue[[]any]
}

// NewStore returns a Store over the named database.
func NewStore(db *mongo.Database) *Store {
	s := &Store{notifications: db.Collection("notifications")}
	s.queue = groupcommit.New(maxBatch, insertTimeout, s.insert)
	return s
}

// maxBatch bounds how many writers' notifications one insert stores.
const maxBatch = 256

// insertTimeout bounds one insert, which goes on when a writer waiting for it gives up.
const insertTimeout = 30 * time.Second

// Notify stores notifications, each once: one whose id is already stored is left as it is.
func (s *Store) Notify(ctx context.Context, ns ...Notification) error {
	if len(ns) == 0 {
		return nil
	}
	docs := make([]any, 0, len(ns))
	now := time.Now().UTC()
	for _, n := range ns {
		if n.ID == "" || n.UserID == "" {
			return errors.New("notification needs an id and a user")
		}
		if !n.Kind.Valid() {
			return fmt.Errorf("notification %s has no known kind", n.ID)
		}
		if n.At.IsZero() {
			n.At = now
		}
		n.Details = n.details()
		docs = append(docs, n)
	}
	return s.queue.Do(ctx, docs) // when ctx ends first, the notifications may still be stored: a retry finds them
}

// insert stores the notifications of a batch of writers, in one request.
func (s *Store) insert(ctx context.Context, batch [][]any) error {
	var docs []any
	for _, d := range batch {
		docs = append(docs, d...)
	}
	// Unordered: a duplicate (a retried write) does not stop the others.
	_, err := s.notifications.InsertMany(ctx, docs, options.InsertMany().SetOrdered(false))
	if err != nil && !onlyDuplicates(err) {
		return fmt.Errorf("insert notifications: %w", err)
	}
	return nil
}

// onlyDuplicates reports whether every write error of a bulk insert is a duplicate key.
func onlyDuplicates(err error) bool {
	var bwe mongo.BulkWriteException
	if !errors.As(err, &bwe) || bwe.WriteConcernError != nil || len(bwe.WriteErrors) == 0 {
		return mongo.IsDuplicateKeyError(err)
	}
	for _, we := range bwe.WriteErrors {
		if !mongo.IsDuplicateKeyError(we) {
			return false
		}
	}
	return true
}

// Query selects a page of a user's notifications.
type Query struct {
	// Unread keeps only the notifications not marked read.
	Unread bool
	// Limit is how many to return (at most 201).
	Limit int64
	// After is where the previous page ended: the time and id of its last notification.
	AfterAt *time.Time
	AfterID string
}

// List returns a user's notifications, newest first (ties by id, descending): a stable order, so a
// page that starts after the last one shown misses none and repeats none.
func (s *Store) List(ctx context.Context, userID string, q Query) ([]Notification, error) {
	if q.Limit <= 0 || q.Limit > 201 {
		q.Limit = 50
	}
	filter := bson.D{{Key: "user_id", Value: userID}}
	if q.Unread {
		filter = append(filter, bson.E{Key: "read_at", Value: bson.D{{Key: "$exists", Value: false}}})
	}
	if q.AfterAt != nil {
		at := q.AfterAt.UTC()
		filter = append(filter, bson.E{Key: "$or", Value: bson.A{
			bson.D{{Key: "at", Value: bson.D{{Key: "$lt", Value: at}}}},
			bson.D{{Key: "at", Value: at}, {Key: "_id", Value: bson.D{{Key: "$lt", Value: q.AfterID}}}},
		}})
	}
	cur, err := s.notifications.Find(ctx, filter,
		options.Find().SetSort(bson.D{{Key: "at", Value: -1}, {Key: "_id", Value: -1}}).SetLimit(q.Limit))
	if err != nil {
		return nil, fmt.Errorf("find notifications: %w", err)
	}
	out := []Notification{}
	if err := cur.All(ctx, &out); err != nil {
		return nil, fmt.Errorf("read notifications: %w", err)
	}
	return out, nil
}

// UnreadCount is how many of a user's notifications are not marked read.
func (s *Store) UnreadCount(ctx context.Context, userID string) (int64, error) {
	n, err := s.notifications.CountDocuments(ctx, bson.D{
		{Key: "user_id", Value: userID}, {Key: "read_at", Value: bson.D{{Key: "$exists", Value: false}}},
	})
	if err != nil {
		return 0, fmt.Errorf("count unread notifications: %w", err)
	}
	return n, nil
}

// MarkRead marks a user's notification read at at, and returns it. One already read keeps the time
// it was first read. A notification the user does not have is ErrNotFound, whoever has it.
func (s *Store) MarkRead(ctx context.Context, userID, id string, at time.Time) (Notification, error) {
	mine := bson.D{{Key: "_id", Value: id}, {Key: "user_id", Value: userID}}
	unread := append(mine[:len(mine):len(mine)], bson.E{Key: "read_at", Value: bson.D{{Key: "$exists", Value: false}}})
	if _, err := s.notifications.UpdateOne(ctx, unread,
		bson.D{{Key: "$set", Value: bson.D{{Key: "read_at", Value: at.UTC()}}}}); err != nil {
		return Notification{}, fmt.Errorf("mark notification read: %w", err)
	}
	var n Notification
	err := s.notifications.FindOne(ctx, mine).Decode(&n)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return Notification{}, ErrNotFound
	} else if err != nil {
		return Notification{}, fmt.Errorf("find notification: %w", err)
	}
	return n, nil
}

// MarkAllRead marks read, at at, every notification of the user not read yet that is no newer than
// at, and returns how many it marked.
func (s *Store) MarkAllRead(ctx context.Context, userID string, at time.Time) (int64, error) {
	res, err := s.notifications.UpdateMany(ctx, bson.D{
		{Key: "user_id", Value: userID},
		{Key: "read_at", Value: bson.D{{Key: "$exists", Value: false}}},
		{Key: "at", Value: bson.D{{Key: "$lte", Value: at.UTC()}}},
	}, bson.D{{Key: "$set", Value: bson.D{{Key: "read_at", Value: at.UTC()}}}})
	if err != nil {
		return 0, fmt.Errorf("mark notifications read: %w", err)
	}
	return res.ModifiedCount, nil
}

// EnsureIndexes creates the index the inbox queries use: a user's notifications newest first, in
// the order pages walk them (its prefix serves the unread count). One index per request: FerretDB
// (the development server) fails a createIndexes request of several indexes that already exist.
func (s *Store) EnsureIndexes(ctx context.Context) error {
	if _, err := s.notifications.Indexes().CreateOne(ctx, mongo.IndexModel{
		Keys: bson.D{{Key: "user_id", Value: 1}, {Key: "at", Value: -1}, {Key: "_id", Value: -1}},
	}); err != nil {
		return fmt.Errorf("create notification indexes: %w", err)
	}
	return nil
}
