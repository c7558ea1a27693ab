package audit

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// The audit log is a hash chain: each event carries its place (Seq, from 1), the hash of the event
// before it (Prev) and its own hash (Hash), SHA-256 over the canonical encoding of its fields and
// Prev. A unique index on Seq makes concurrent writers take turns: two that read the same last
// event race for the same Seq, one wins and the other links after it. Editing, deleting or
// reordering a stored event breaks the chain at that event, and Verify names it. Removing the
// newest events leaves a shorter chain that still holds: publishing the head (Head) elsewhere from
// time to time is what would show that.

// maxLinkAttempts bounds how often Record retries when other writers take the next place first.
const maxLinkAttempts = 100

// record links e after the newest event and stores it, once: an event whose id is already stored is
// left as it is.
func (s *Store) record(ctx context.Context, e Event) error {
	e.At = e.At.UTC().Truncate(time.Millisecond) // what BSON stores
	details, err := roundTrip(e.Details)
	if err != nil {
		return err
	}
	e.Details = details
	for range maxLinkAttempts {
		head, err := s.Head(ctx)
		if err != nil {
			return err
		}
		e.Seq, e.Prev = head.Seq+1, head.Hash
		e.Hash = e.digest()
		_, err = s.events.InsertOne(ctx, e)
		if err == nil {
			return nil
		}
		if !mongo.IsDuplicateKeyError(err) {
			return fmt.Errorf("insert audit event: %w", err)
		}
		// Either this event is stored already (a retried write), or another took the place.
		n, err := s.events.CountDocuments(ctx, bson.D{{Key: "_id", Value: e.ID}})
		if err != nil {
			return fmt.Errorf("look up audit event: %w", err)
		}
		if n > 0 {
			return nil
		}
	}
	return fmt.Errorf("audit event %s: no place in the chain after %d attempts", e.ID, maxLinkAttempts)
}

// Link is an event's place in the chain.
type Link struct {
	Seq  int64  `bson:"seq" json:"seq"`
	Hash string `bson:"hash" json:"hash"`
}

// Head is the newest event's place and hash; the zero Link when the log is empty.
func (s *Store) Head(ctx context.Context) (Link, error) {
	var head Link
	err := s.events.FindOne(ctx, bson.D{{Key: "seq", Value: bson.D{{Key: "$gt", Value: 0}}}},
		options.FindOne().SetSort(bson.D{{Key: "seq", Value: -1}}).SetProjection(bson.D{{Key: "seq", Value: 1}, {Key: "hash", Value: 1}})).Decode(&head)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return Link{}, nil
	} else if err != nil {
		return Link{}, fmt.Errorf("read audit head: %w", err)
	}
	return head, nil
}

// Verification is what walking the chain found: how many events hold, the head, and the first
// event that breaks the chain, if any.
type Verification struct {
	Events int64  `json:"events"`
	Head   Link   `json:"head"`
	OK     bool   `json:"ok"`
	Break  *Break `json:"break"`
}

// Break names the first event at which the chain does not hold, and why.
type Break struct {
	Seq    int64  `json:"seq"`
	ID     string `json:"id"`
	Reason string `json:"reason"`
}

// Verify walks the chain from its first event and reports the first break.
func (s *Store) Verify(ctx context.Context) (Verification, error) {
	cur, err := s.events.Find(ctx, bson.D{}, options.Find().SetSort(bson.D{{Key: "seq", Value: 1}}))
	if err != nil {
		return Verification{}, fmt.Errorf("read audit events: %w", err)
	}
	defer func() { _ = cur.Close(context.WithoutCancel(ctx)) }()
	var v Verification
	var prev Link
	for cur.Next(ctx) {
		var e Event
		if err := cur.Decode(&e); err != nil {
			return v, fmt.Errorf("decode audit event: %w", err)
		}
		reason := ""
		switch {
		case e.Seq != prev.Seq+1:
			reason = fmt.Sprintf("its place is %d; the event before it is at %d", e.Seq, prev.Seq)
		case e.Prev != prev.Hash:
			reason = "it does not name the hash of the event before it"
		case e.Hash != e.digest():
			reason = "its contents do not match its hash"
		}
		if reason != "" {
			v.Break = &Break{Seq: e.Seq, ID: e.ID, Reason: reason}
			v.Head = prev
			return v, nil
		}
		v.Events++
		prev = Link{Seq: e.Seq, Hash: e.Hash}
	}
	if err := cur.Err(); err != nil {
		return v, fmt.Errorf("read audit events: %w", err)
	}
	v.Head, v.OK = prev, true
	return v, nil
}

// digest is the event's hash: SHA-256 over its canonical encoding, which includes Seq and Prev.
func (e Event) digest() string {
	canonical, err := json.Marshal(struct {
		Seq        int64    `json:"seq"`
		Prev       string   `json:"prev"`
		ID         string   `json:"id"`
		Type       string   `json:"type"`
		At         string   `json:"at"`
		ActorID    string   `json:"actor_id"`
		UserID     string   `json:"user_id"`
		Email      string   `json:"email"`
		AccountIDs []string `json:"account_ids"`
		TransferID string   `json:"transfer_id"`
		RequestID  string   `json:"request_id"`
		IP         string   `json:"ip"`
		UserAgent  string   `json:"user_agent"`
		Subject    string   `json:"subject"`
		Details    any      `json:"details"`
	}{e.Seq, e.Prev, e.ID, e.Type, e.At.UTC().Format("2006-01-02T15:04:05.000Z"), e.ActorID, e.UserID, e.Email,
		nonEmpty(e.AccountIDs), e.TransferID, e.RequestID, e.IP, e.UserAgent, e.Subject, canonicalValue(e.Details)})
	if err != nil {
		// Details hold only what BSON decoded; json encodes all of it.
		panic(fmt.Sprintf("encode audit event %s: %v", e.ID, err))
	}
	sum := sha256.Sum256(canonical)
	return hex.EncodeToString(sum[:])
}

// roundTrip gives details the types they will have when read back from the store, so that the hash
// computed before writing is the one Verify computes after reading.
func roundTrip(details map[string]any) (map[string]any, error) {
	if len(details) == 0 {
		return nil, nil
	}
	b, err := bson.Marshal(details)
	if err != nil {
		return nil, fmt.Errorf("encode audit details: %w", err)
	}
	var out map[string]any
	if err := bson.Unmarshal(b, &out); err != nil {
		return nil, fmt.Errorf("decode audit details: %w", err)
	}
	return out, nil
}

// canonicalValue turns decoded BSON into values whose JSON encoding depends only on their content:
// documents become maps (encoded with sorted keys), numbers one JSON number whatever their width,
// times milliseconds in UTC.
func canonicalValue(v any) any {
	switch x := v.(type) {
	case map[string]any:
		if len(x) == 0 {
			return nil
		}
		out := make(map[string]any, len(x))
		for k, val := range x {
			out[k] = canonicalValue(val)
		}
		return out
	case bson.M:
		return canonicalValue(map[string]any(x))
	case bson.D:
		m := make(map[string]any, len(x))
		for _, el := range x {
			m[el.Key] = el.Value
		}
		return canonicalValue(m)
	case bson.A:
		return canonicalValue([]any(x))
	case []any:
		out := make([]any, len(x))
		for i, val := range x {
			out[i] = canonicalValue(val)
		}
		return out
	case bson.DateTime:
		return x.Time().UTC().Format("2006-01-02T15:04:05.000Z")
	case time.Time:
		return x.UTC().Format("2006-01-02T15:04:05.000Z")
	case int32:
		return int64(x)
	case float64:
		if x == float64(int64(x)) {
			return int64(x)
		}
		return x
	default:
		return x
	}
}

// nonEmpty encodes a missing list and an empty one alike, as BSON's omitempty stores them.
func nonEmpty(s []string) []string {
	if len(s) == 0 {
		return nil
	}
	return s
}

// AppendBatchSize is how many events AppendAll stores per request.
const AppendBatchSize = 1000

// AppendAll links n events, in order (event(i) for i from 0), after the newest event and stores
// them in batches: the bulk path of a data load, with one read of the head for the whole run
// instead of one per event. Each event needs an id, a type and a time. It is meant for a log no one
// else writes to meanwhile: if another writer takes a place first, the unique index on the chain's
// places refuses the batch and AppendAll stops with an error, and the events stored before it keep
// the chain whole. progress, when set, is told how many are stored after each batch. It returns
// the new head.
func (s *Store) AppendAll(ctx context.Context, n int, event func(i int) Event, progress func(stored int)) (Link, error) {
	head, err := s.Head(ctx)
	if err != nil {
		return Link{}, err
	}
	batch := make([]any, 0, AppendBatchSize)
	for i := 0; i < n; i += AppendBatchSize {
		batch = batch[:0]
		next := head
		for j := i; j < min(i+AppendBatchSize, n); j++ {
			e := event(j)
			if e.ID == "" || e.Type == "" || e.At.IsZero() {
				return head, errors.New("audit event needs an id, a type and a time")
			}
			e.At = e.At.UTC().Truncate(time.Millisecond)
			if e.Details, err = roundTrip(e.Details); err != nil {
				return head, err
			}
			e.Seq, e.Prev = next.Seq+1, next.Hash
			e.Hash = e.digest()
			next = Link{Seq: e.Seq, Hash: e.Hash}
			batch = append(batch, e)
		}
		if _, err := s.events.InsertMany(ctx, batch); err != nil {
			return head, fmt.Errorf("insert audit events %d to %d: %w", i+1, i+len(batch), err)
		}
		head = next
		if progress != nil {
			progress(i + len(batch))
		}
	}
	return head, nil
}
