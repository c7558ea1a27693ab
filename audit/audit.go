// Package audit keeps the bank's audit log and the customers' notifications in MongoDB.
//
// Every write names its document id. Ids of events that workflows write derive from the workflow id
// and step, so an activity that runs twice stores one event.
package audit

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// Event types written to the audit log.
const (
	EventUserRegistered     = "user.registered"
	EventRegistrationFailed = "user.registration_failed"
	EventLoginSucceeded     = "auth.login_succeeded"
	EventLoginFailed        = "auth.login_failed"
	EventRefreshReuse       = "auth.refresh_token_reused"
	EventPasswordChanged    = "auth.password_changed"
	EventTransferCompleted  = "transfer.completed"
	EventTransferFailed     = "transfer.failed"
	EventInternalError      = "system.error"
)

// Event is one entry of the audit log. It never carries a password, hash or token.
type Event struct {
	ID        string            `bson:"_id" json:"id"`
	Type      string            `bson:"type" json:"type"`
	At        time.Time         `bson:"at" json:"at"`
	UserID    string            `bson:"user_id,omitempty" json:"user_id,omitempty"`
	Email     string            `bson:"email,omitempty" json:"email,omitempty"`
	IP        string            `bson:"ip,omitempty" json:"ip,omitempty"`
	UserAgent string            `bson:"user_agent,omitempty" json:"user_agent,omitempty"`
	Subject   string            `bson:"subject,omitempty" json:"subject,omitempty"`
	Details   map[string]string `bson:"details,omitempty" json:"details,omitempty"`
}

// Notification is a message for one user, shown in the app and sent by email.
type Notification struct {
	ID     string     `bson:"_id" json:"id"`
	UserID string     `bson:"user_id" json:"user_id"`
	Kind   string     `bson:"kind" json:"kind"`
	Title  string     `bson:"title" json:"title"`
	Body   string     `bson:"body" json:"body"`
	At     time.Time  `bson:"at" json:"at"`
	ReadAt *time.Time `bson:"read_at,omitempty" json:"read_at,omitempty"`
}

// Store writes and reads the audit log and notifications.
type Store struct {
	events        *mongo.Collection
	notifications *mongo.Collection
}

// NewStore returns a Store over the named database.
func NewStore(db *mongo.Database) *Store {
	return &Store{events: db.Collection("audit_events"), notifications: db.Collection("notifications")}
}

// Connect opens a client for uri and checks that the server answers.
func Connect(ctx context.Context, uri string) (*mongo.Client, error) {
	client, err := mongo.Connect(options.Client().ApplyURI(uri).SetServerSelectionTimeout(5 * time.Second))
	if err != nil {
		return nil, fmt.Errorf("connect mongo: %w", err)
	}
	if err := client.Ping(ctx, nil); err != nil {
		_ = client.Disconnect(context.WithoutCancel(ctx))
		return nil, fmt.Errorf("ping mongo: %w", err)
	}
	return client, nil
}

// Record stores e once: an event whose id is already stored is left as it is.
func (s *Store) Record(ctx context.Context, e Event) error {
	if e.ID == "" || e.Type == "" {
		return errors.New("audit event needs an id and a type")
	}
	if e.At.IsZero() {
		e.At = time.Now().UTC()
	}
	return insertOnce(ctx, s.events, e)
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

func insertOnce(ctx context.Context, c *mongo.Collection, doc any) error {
	if _, err := c.InsertOne(ctx, doc); err != nil && !mongo.IsDuplicateKeyError(err) {
		return fmt.Errorf("insert into %s: %w", c.Name(), err)
	}
	return nil
}

// Filter selects audit events; zero fields select everything.
type Filter struct {
	Type   string
	UserID string
	Email  string
	Since  time.Time
	Until  time.Time
	Limit  int64
}

// Events returns the events that match f, newest first.
func (s *Store) Events(ctx context.Context, f Filter) ([]Event, error) {
	q := bson.D{}
	if f.Type != "" {
		q = append(q, bson.E{Key: "type", Value: f.Type})
	}
	if f.UserID != "" {
		q = append(q, bson.E{Key: "user_id", Value: f.UserID})
	}
	if f.Email != "" {
		q = append(q, bson.E{Key: "email", Value: f.Email})
	}
	at := bson.D{}
	if !f.Since.IsZero() {
		at = append(at, bson.E{Key: "$gte", Value: f.Since})
	}
	if !f.Until.IsZero() {
		at = append(at, bson.E{Key: "$lt", Value: f.Until})
	}
	if len(at) > 0 {
		q = append(q, bson.E{Key: "at", Value: at})
	}
	limit := f.Limit
	if limit <= 0 || limit > 500 {
		limit = 100
	}
	cur, err := s.events.Find(ctx, q, options.Find().SetSort(bson.D{{Key: "at", Value: -1}}).SetLimit(limit))
	if err != nil {
		return nil, fmt.Errorf("find audit events: %w", err)
	}
	out := []Event{}
	if err := cur.All(ctx, &out); err != nil {
		return nil, fmt.Errorf("read audit events: %w", err)
	}
	return out, nil
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

// EnsureIndexes creates the indexes the audit queries use.
func (s *Store) EnsureIndexes(ctx context.Context) error {
	if _, err := s.events.Indexes().CreateMany(ctx, []mongo.IndexModel{
		{Keys: bson.D{{Key: "at", Value: -1}}},
		{Keys: bson.D{{Key: "type", Value: 1}, {Key: "at", Value: -1}}},
		{Keys: bson.D{{Key: "user_id", Value: 1}, {Key: "at", Value: -1}}},
	}); err != nil {
		return fmt.Errorf("create audit indexes: %w", err)
	}
	if _, err := s.notifications.Indexes().CreateOne(ctx, mongo.IndexModel{
		Keys: bson.D{{Key: "user_id", Value: 1}, {Key: "at", Value: -1}},
	}); err != nil {
		return fmt.Errorf("create notification indexes: %w", err)
	}
	return nil
}
