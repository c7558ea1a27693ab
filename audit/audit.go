// Package audit keeps the bank's audit log in MongoDB: who did what, when, from where.
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
	EventUserRegistered       = "user.registered"
	EventRegistrationFailed   = "user.registration_failed"
	EventLoginSucceeded       = "auth.login_succeeded"
	EventLoginFailed          = "auth.login_failed"
	EventRefreshReuse         = "auth.refresh_token_reused"
	EventPasswordChanged      = "auth.password_changed"
	EventPasswordChangeFailed = "auth.password_change_failed"
	EventTransferCompleted    = "transfer.completed"
	EventTransferFailed       = "transfer.failed"
	EventInternalError        = "system.error"
	// EventStaffRead is a staff member reading customers' data: who (UserID), what (Subject, the
	// object read, when one was), through which route and filters (Details).
	EventStaffRead = "staff.read"
	// Staff actions on a user: UserID is the actor, Subject the user, Details the user's state
	// before and after, the request id and any note.
	EventRoleChanged   = "user.role_changed"
	EventUserDisabled  = "user.disabled"
	EventUserEnabled   = "user.enabled"
	EventLoginUnlocked = "user.login_unlocked"
	EventStaffCreated  = "user.staff_created"
	EventPasswordSet   = "auth.password_set"
	EventWelcomeResent = "user.welcome_resent"
)

// Events of cash movements that need a second admin's approval.
const (
	EventCashApprovalRequested = "cash_approval.requested"
	EventCashApprovalApproved  = "cash_approval.approved"
	EventCashApprovalRejected  = "cash_approval.rejected"
	EventCashApprovalExpired   = "cash_approval.expired"
)

// Events of account freezes: Subject is the freeze, UserID the admin who froze or unfroze the account
// (none when the freeze's end came by itself).
const (
	EventAccountFrozen   = "account.frozen"
	EventAccountUnfrozen = "account.unfrozen"
	EventFreezeFailed    = "account.freeze_failed"
)

// EventTypes lists every event type, for validating filters and documenting them.
var EventTypes = []string{
	EventUserRegistered, EventRegistrationFailed, EventLoginSucceeded, EventLoginFailed, EventRefreshReuse,
	EventPasswordChanged, EventPasswordChangeFailed, EventTransferCompleted, EventTransferFailed, EventInternalError,
	EventStaffRead, EventRoleChanged, EventUserDisabled, EventUserEnabled, EventLoginUnlocked, EventStaffCreated,
	EventPasswordSet, EventWelcomeResent,
	EventCashApprovalRequested, EventCashApprovalApproved, EventCashApprovalRejected, EventCashApprovalExpired,
	EventAccountFrozen, EventAccountUnfrozen, EventFreezeFailed,
}

// Event is one entry of the audit log. It never carries a password, hash or token.
type Event struct {
	ID        string         `bson:"_id" json:"id"`
	Type      string         `bson:"type" json:"type"`
	At        time.Time      `bson:"at" json:"at"`
	UserID    string         `bson:"user_id,omitempty" json:"user_id,omitempty"`
	Email     string         `bson:"email,omitempty" json:"email,omitempty"`
	IP        string         `bson:"ip,omitempty" json:"ip,omitempty"`
	UserAgent string         `bson:"user_agent,omitempty" json:"user_agent,omitempty"`
	Subject   string         `bson:"subject,omitempty" json:"subject,omitempty"`
	Details   map[string]any `bson:"details,omitempty" json:"details,omitempty"`
}

// Store writes and reads the audit log.
type Store struct {
	events *mongo.Collection
}

// NewStore returns a Store over the named database.
func NewStore(db *mongo.Database) *Store {
	return &Store{events: db.Collection("audit_events")}
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

// EnsureIndexes creates the indexes the audit queries use. Each is created by its own request:
// FerretDB 1.24 (the development server, tools/mongowire) panics on a createIndexes request of
// several indexes that already exist, and one at a time is as cheap at start-up.
func (s *Store) EnsureIndexes(ctx context.Context) error {
	for _, keys := range []bson.D{
		{{Key: "at", Value: -1}},
		{{Key: "type", Value: 1}, {Key: "at", Value: -1}},
		{{Key: "user_id", Value: 1}, {Key: "at", Value: -1}},
	} {
		if _, err := s.events.Indexes().CreateOne(ctx, mongo.IndexModel{Keys: keys}); err != nil {
			return fmt.Errorf("create audit index: %w", err)
		}
	}
	return nil
}
