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

	"github.com/bankforge/bank/internal/groupcommit"
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

// EventEmailFailed is an email given up: the mail server refused it for good, or too many times.
// Subject is the outbox email's id, UserID and Email its recipient, Details its kind, attempts and
// the last refusal.
const EventEmailFailed = "email.failed"

// Events of account freezes: Subject is the freeze, ActorID the admin who froze or unfroze the
// account (none when the freeze's end came by itself), UserID its owner.
const (
	EventAccountFrozen   = "account.frozen"
	EventAccountUnfrozen = "account.unfrozen"
	EventFreezeFailed    = "account.freeze_failed"
)

// Events of a customer's own doings that staff may need to trace. A profile change names the fields
// that changed, never their values; a lockout is the failed attempt that locked the login.
const (
	EventProfileChanged    = "user.profile_changed"
	EventLoginLocked       = "auth.login_locked"
	EventAccountOpened     = "account.opened"
	EventTransferRequested = "transfer.requested"
)

// EventTypes lists every event type, for validating filters and documenting them.
var EventTypes = []string{
	EventUserRegistered, EventRegistrationFailed, EventLoginSucceeded, EventLoginFailed, EventRefreshReuse,
	EventPasswordChanged, EventPasswordChangeFailed, EventTransferCompleted, EventTransferFailed, EventInternalError,
	EventStaffRead, EventRoleChanged, EventUserDisabled, EventUserEnabled, EventLoginUnlocked, EventStaffCreated,
	EventPasswordSet, EventWelcomeResent,
	EventCashApprovalRequested, EventCashApprovalApproved, EventCashApprovalRejected, EventCashApprovalExpired,
	EventEmailFailed,
	EventAccountFrozen, EventAccountUnfrozen, EventFreezeFailed,
	EventProfileChanged, EventLoginLocked, EventAccountOpened, EventTransferRequested,
}

// Event is one entry of the audit log. It never carries a password, hash or token.
type Event struct {
	ID   string    `bson:"_id" json:"id"`
	Type string    `bson:"type" json:"type"`
	At   time.Time `bson:"at" json:"at"`
	// ActorID is who did it when that is not the user it is about: the staff member of a staff
	// action. UserID is the user it is about.
	ActorID string `bson:"actor_id,omitempty" json:"actor_id,omitempty"`
	UserID  string `bson:"user_id,omitempty" json:"user_id,omitempty"`
	Email   string `bson:"email,omitempty" json:"email,omitempty"`
	// The accounts and the transfer it concerns, and the API request that caused it.
	AccountIDs []string `bson:"account_ids,omitempty" json:"account_ids,omitempty"`
	TransferID string   `bson:"transfer_id,omitempty" json:"transfer_id,omitempty"`
	RequestID  string   `bson:"request_id,omitempty" json:"request_id,omitempty"`
	IP         string   `bson:"ip,omitempty" json:"ip,omitempty"`
	UserAgent  string   `bson:"user_agent,omitempty" json:"user_agent,omitempty"`
	// Subject is the object it is about, when no field above names it: a session, an approval.
	Subject string         `bson:"subject,omitempty" json:"subject,omitempty"`
	Details map[string]any `bson:"details,omitempty" json:"details,omitempty"`

	// The event's place in the audit log's hash chain (see chain.go), set by Record.
	Seq  int64  `bson:"seq" json:"seq"`
	Prev string `bson:"prev" json:"prev"`
	Hash string `bson:"hash" json:"hash"`
}

// Store writes and reads the audit log.
type Store struct {
	events *mongo.Collection
	// heads holds one document, the chain's head (see chain.go).
	heads *mongo.Collection
	// queue holds the events being recorded, so that they are linked in batches (writeBatch).
	queue *groupcommit.Queue[Event]
	// head is where this process's last batch left the chain, the place the next batch links
	// after unless another process wrote since (its insert then finds the place taken, and reads
	// the head document); nil until then, and after a batch that failed. Only writeBatch uses it.
	head *Link
}

// NewStore returns a Store over the named database.
func NewStore(db *mongo.Database) *Store {
	s := &Store{events: db.Collection("audit_events"), heads: db.Collection("audit_head")}
	s.queue = groupcommit.New(maxBatch, linkTimeout, s.writeBatch)
	return s
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

// Record links e at the end of the audit log's hash chain and stores it, once: an event whose id is
// already stored is left as it is. The store's indexes (EnsureIndexes) must exist.
func (s *Store) Record(ctx context.Context, e Event) error {
	if e.ID == "" || e.Type == "" {
		return errors.New("audit event needs an id and a type")
	}
	if e.At.IsZero() {
		e.At = time.Now().UTC()
	}
	return s.record(ctx, e)
}

// Filter selects audit events; zero fields select everything.
type Filter struct {
	Type       string
	ActorID    string
	UserID     string
	AccountID  string
	TransferID string
	RequestID  string
	Email      string
	Since      time.Time
	Until      time.Time
	Limit      int64
	// Before continues a listing after the last event of the previous page.
	Before *Cursor
}

// Cursor is an event's position in the newest-first order: its time, then its place in the chain.
// New events come after every cursor already handed out, so pages stay stable while they arrive.
type Cursor struct {
	At  time.Time
	Seq int64
}

// Events returns the events that match f, newest first.
func (s *Store) Events(ctx context.Context, f Filter) ([]Event, error) {
	q := bson.D{}
	for _, eq := range []struct{ key, value string }{
		{"type", f.Type}, {"actor_id", f.ActorID}, {"user_id", f.UserID}, {"account_ids", f.AccountID},
		{"transfer_id", f.TransferID}, {"request_id", f.RequestID}, {"email", f.Email},
	} {
		if eq.value != "" {
			q = append(q, bson.E{Key: eq.key, Value: eq.value})
		}
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
	if c := f.Before; c != nil {
		q = append(q, bson.E{Key: "$or", Value: bson.A{
			bson.D{{Key: "at", Value: bson.D{{Key: "$lt", Value: c.At}}}},
			bson.D{{Key: "at", Value: c.At}, {Key: "seq", Value: bson.D{{Key: "$lt", Value: c.Seq}}}},
		}})
	}
	limit := f.Limit
	if limit <= 0 || limit > 500 {
		limit = 100
	}
	cur, err := s.events.Find(ctx, q, options.Find().SetSort(bson.D{{Key: "at", Value: -1}, {Key: "seq", Value: -1}}).SetLimit(limit))
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
	newest := bson.D{{Key: "at", Value: -1}, {Key: "seq", Value: -1}}
	for _, keys := range []bson.D{
		newest,
		append(bson.D{{Key: "type", Value: 1}}, newest...),
		append(bson.D{{Key: "actor_id", Value: 1}}, newest...),
		append(bson.D{{Key: "user_id", Value: 1}}, newest...),
		append(bson.D{{Key: "account_ids", Value: 1}}, newest...),
		append(bson.D{{Key: "transfer_id", Value: 1}}, newest...),
		append(bson.D{{Key: "request_id", Value: 1}}, newest...),
	} {
		if _, err := s.events.Indexes().CreateOne(ctx, mongo.IndexModel{Keys: keys}); err != nil {
			return fmt.Errorf("create audit index: %w", err)
		}
	}
	// The chain's places: unique, so that two writers never link after the same event.
	if _, err := s.events.Indexes().CreateOne(ctx, mongo.IndexModel{
		Keys: bson.D{{Key: "seq", Value: 1}}, Options: options.Index().SetUnique(true),
	}); err != nil {
		return fmt.Errorf("create audit chain index: %w", err)
	}
	return nil
}
