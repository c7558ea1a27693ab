// Package inbox keeps the customers' notifications in MongoDB: the messages the app shows and the
// emails carry. Every notification names its id, derived from the workflow and event that wrote it,
// so a step that runs twice stores one notification.
package inbox

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/bankforge/bank/mailtext"
)

// Kind is what a notification is about.
type Kind string

const (
	KindWelcome  Kind = "welcome"
	KindTransfer Kind = "transfer"
	KindFreeze   Kind = "freeze"
)

// WelcomeID is the id of a registration's welcome notification, and of its email.
func WelcomeID(registrationID string) string { return "registration/" + registrationID + "/welcome" }

// Notification is a message for one user, shown in the app and sent by email.
type Notification struct {
	ID     string     `bson:"_id" json:"id"`
	UserID string     `bson:"user_id" json:"user_id"`
	Kind   Kind       `bson:"kind" json:"kind"`
	Title  string     `bson:"title" json:"title"`
	Body   string     `bson:"body" json:"body"`
	At     time.Time  `bson:"at" json:"at"`
	ReadAt *time.Time `bson:"read_at,omitempty" json:"read_at,omitempty"`
	// Email is what the email that carries the notification tells, written from its kind's
	// template when it is sent; nil sends the title and body as they are. The inbox does not keep it.
	Email *mailtext.Email `bson:"-" json:"-"`
}

// Store writes and reads notifications.
type Store struct {
	notifications *mongo.Collection
}

// NewStore returns a Store over the named database.
func NewStore(db *mongo.Database) *Store {
	return &Store{notifications: db.Collection("notifications")}
}

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
		if n.At.IsZero() {
			n.At = now
		}
		docs = append(docs, n)
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

// Notifications returns a user's notifications, newest first.
func (s *Store) Notifications(ctx context.Context, userID string, limit int64) ([]Notification, error) {
	if limit <= 0 || limit > 200 {
		limit = 50
	}
	cur, err := s.notifications.Find(ctx, bson.D{{Key: "user_id", Value: userID}},
		options.Find().SetSort(bson.D{{Key: "at", Value: -1}}).SetLimit(limit))
	if err != nil {
		return nil, fmt.Errorf("find notifications: %w", err)
	}
	out := []Notification{}
	if err := cur.All(ctx, &out); err != nil {
		return nil, fmt.Errorf("read notifications: %w", err)
	}
	return out, nil
}

// EnsureIndexes creates the index the inbox queries use.
func (s *Store) EnsureIndexes(ctx context.Context) error {
	if _, err := s.notifications.Indexes().CreateOne(ctx, mongo.IndexModel{
		Keys: bson.D{{Key: "user_id", Value: 1}, {Key: "at", Value: -1}},
	}); err != nil {
		return fmt.Errorf("create notification indexes: %w", err)
	}
	return nil
}
