package audit

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// The audit log is a hash chain: each event carries its place (Seq, from 1), the hash of the event
// before it (Prev) and its own hash (Hash), SHA-256 over the canonical encoding of its fields and
// Prev. Editing, deleting or reordering a stored event breaks the chain at that event, and Verify
// names it.
//
// The chain's head (the newest event's place and hash) is kept in a document of its own, read by
// its id: a writer reads it, links its event after it, stores the event and then moves the head
// forward. A unique index on Seq makes concurrent writers take turns: two that read the same head
// race for the same place, one wins and the other links after it. The head document may lag behind
// the events (a writer stopped between storing its event and moving the head): the next writer that
// finds the place taken and the head not moving looks the newest event up and moves the head to
// it. Removing the newest events leaves a shorter chain that still holds, unless the head document
// names a later place: Verify then reports the removal. Whoever can rewrite both can hide it;
// publishing the head elsewhere from time to time is what would show that.

// maxLinkAttempts bounds how often a batch is tried again when other writers take its places first.
const maxLinkAttempts = 100

// maxBatch bounds how many events one insert links.
const maxBatch = 256

// linkTimeout bounds the storing of one batch, which goes on when a writer waiting for it gives up.
const linkTimeout = 30 * time.Second

// headID is the id of the head document.
const headID = "head"

// staleAfter is how many times a writer finds its place taken while the head does not move before
// it looks the newest event up itself.
const staleAfter = 4

// Writers in one process take turns through a queue (group commit, internal/groupcommit): the
// events recorded while a batch is being stored wait, and the next batch links them all at once,
// with one insert and one move of the head however many there are, after the head the process's
// previous batch left (the head document is read only when that is not known, or another process
// wrote since). Under load a process's writers never race each other for a place, and the audit
// log costs a few requests per batch instead of several per event; a lone event is stored as fast
// as before. Writers in other processes (the API and the worker) still race, and the unique index
// on Seq settles it as it always did.

// record links e after the newest event and stores it, once: an event whose id is already stored is
// left as it is. It waits for e's batch, or for ctx; an event whose writer gave up may still be
// stored (a retry then finds it).
func (s *Store) record(ctx context.Context, e Event) error {
	e.At = e.At.UTC().Truncate(time.Millisecond) // what BSON stores
	details, err := roundTrip(e.Details)
	if err != nil {
		return err
	}
	e.Details = details
	return s.queue.Do(ctx, e)
}

// writeBatch stores a batch of the queue's events. The queue calls it from one goroutine at a
// time, so s.head needs no lock.
func (s *Store) writeBatch(ctx context.Context, batch []Event) error {
	head, err := s.link(ctx, s.head, batch)
	s.head = nil
	if err == nil {
		s.head = &head
	}
	return err
}

// link stores batch's events in order after the newest event (known, when known is set, or read
// from the head document), skipping any already stored (a retried write), and returns the new head.
// When another writer takes the next place first, the events not yet stored are linked again after
// it.
func (s *Store) link(ctx context.Context, known *Link, batch []Event) (Link, error) {
	events := slices.Clone(batch)
	var head Link
	if known != nil {
		head = *known
	} else {
		var err error
		if head, err = s.Head(ctx); err != nil {
			return Link{}, err
		}
	}
	stuck := 0
	docs := make([]any, 0, len(events))
	for range maxLinkAttempts {
		docs = docs[:0]
		next := head
		for i := range events {
			e := &events[i]
			e.Seq, e.Prev = next.Seq+1, next.Hash
			e.Hash = e.digest()
			next = Link{Seq: e.Seq, Hash: e.Hash}
			docs = append(docs, *e)
		}
		_, err := s.events.InsertMany(ctx, docs)
		if err == nil {
			return next, s.advance(ctx, next)
		}
		stored, ok := firstFailed(err)
		if !ok {
			return Link{}, fmt.Errorf("insert audit events: %w", err)
		}
		if stored > 0 {
			// The events before the failed one are stored and linked: the head moves to them.
			head = Link{Seq: events[stored-1].Seq, Hash: events[stored-1].Hash}
			if err := s.advance(ctx, head); err != nil {
				return Link{}, err
			}
			events, stuck = events[stored:], 0
		}
		// Either the failed event is stored already (a retried write), or another writer took
		// its place.
		n, err := s.events.CountDocuments(ctx, bson.D{{Key: "_id", Value: events[0].ID}})
		if err != nil {
			return Link{}, fmt.Errorf("look up audit event: %w", err)
		}
		if n > 0 {
			if events = events[1:]; len(events) == 0 {
				return head, nil
			}
			continue
		}
		next, err = s.Head(ctx)
		if err != nil {
			return Link{}, err
		}
		if next.Seq > head.Seq {
			head, stuck = next, 0
			continue
		}
		// The head has not moved: its writer is between storing its events and moving the head,
		// or stopped there.
		if stuck++; stuck < staleAfter {
			select {
			case <-ctx.Done():
				return Link{}, ctx.Err()
			case <-time.After(time.Duration(stuck) * 5 * time.Millisecond):
			}
			continue
		}
		if head, err = s.newest(ctx); err != nil {
			return Link{}, err
		}
		if err := s.advance(ctx, head); err != nil {
			return Link{}, err
		}
		stuck = 0
	}
	return Link{}, fmt.Errorf("audit events %s and after: no place in the chain after %d attempts", events[0].ID, maxLinkAttempts)
}

// firstFailed reads an ordered insert's failure: how many events were stored before the first that
// failed, when it failed on a duplicate key (its id, or its place in the chain).
func firstFailed(err error) (stored int, ok bool) {
	var bwe mongo.BulkWriteException
	if !errors.As(err, &bwe) || bwe.WriteConcernError != nil || len(bwe.WriteErrors) == 0 {
		return 0, false
	}
	first := bwe.WriteErrors[0]
	for _, we := range bwe.WriteErrors {
		if we.Index < first.Index {
			first = we
		}
	}
	if !mongo.IsDuplicateKeyError(first.WriteError) {
		return 0, false
	}
	return first.Index, true
}

// Link is an event's place in the chain.
type Link struct {
	Seq  int64  `bson:"seq" json:"seq"`
	Hash string `bson:"hash" json:"hash"`
}

// Head is the chain's head as its document names it: the newest event's place and hash, or one
// shortly before it; the zero Link when the log is empty. A log without a head document (written
// before it was kept) gets one, from its newest event.
func (s *Store) Head(ctx context.Context) (Link, error) {
	var head Link
	err := s.heads.FindOne(ctx, bson.D{{Key: "_id", Value: headID}}).Decode(&head)
	if err == nil {
		return head, nil
	}
	if !errors.Is(err, mongo.ErrNoDocuments) {
		return Link{}, fmt.Errorf("read audit head: %w", err)
	}
	if head, err = s.newest(ctx); err != nil {
		return Link{}, err
	}
	if _, err := s.heads.InsertOne(ctx, bson.D{{Key: "_id", Value: headID}, {Key: "seq", Value: head.Seq}, {Key: "hash", Value: head.Hash}}); err != nil && !mongo.IsDuplicateKeyError(err) {
		return Link{}, fmt.Errorf("write audit head: %w", err)
	}
	return head, nil
}

// newest is the place and hash of the stored event with the highest place: a read of the events
// themselves, which only a missing or lagging head document needs.
func (s *Store) newest(ctx context.Context) (Link, error) {
	var head Link
	err := s.events.FindOne(ctx, bson.D{{Key: "seq", Value: bson.D{{Key: "$gt", Value: 0}}}},
		options.FindOne().SetSort(bson.D{{Key: "seq", Value: -1}}).SetProjection(bson.D{{Key: "seq", Value: 1}, {Key: "hash", Value: 1}})).Decode(&head)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return Link{}, nil
	} else if err != nil {
		return Link{}, fmt.Errorf("read newest audit event: %w", err)
	}
	return head, nil
}

// advance moves the head document forward to to, writing it when it is missing; a head already at
// or past to stays.
func (s *Store) advance(ctx context.Context, to Link) error {
	_, err := s.heads.UpdateOne(ctx,
		bson.D{{Key: "_id", Value: headID}, {Key: "seq", Value: bson.D{{Key: "$lt", Value: to.Seq}}}},
		bson.D{{Key: "$set", Value: bson.D{{Key: "seq", Value: to.Seq}, {Key: "hash", Value: to.Hash}}}},
		options.UpdateOne().SetUpsert(true))
	if mongo.IsDuplicateKeyError(err) {
		return nil // the head is at or past to: the upsert found no head before it and none missing
	}
	if err != nil {
		return fmt.Errorf("advance audit head: %w", err)
	}
	return nil
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

// Verify walks the chain from its first event and reports the first break, or, when the chain
// holds, newest events removed: a chain that ends before the place its head document named when
// the walk began.
func (s *Store) Verify(ctx context.Context) (Verification, error) {
	var named Link
	if err := s.heads.FindOne(ctx, bson.D{{Key: "_id", Value: headID}}).Decode(&named); err != nil && !errors.Is(err, mongo.ErrNoDocuments) {
		return Verification{}, fmt.Errorf("read audit head: %w", err)
	}
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
	v.Head = prev
	switch {
	case named.Seq > prev.Seq:
		v.Break = &Break{Seq: prev.Seq + 1, Reason: fmt.Sprintf("the chain ends at %d but its head names %d: newer events were removed", prev.Seq, named.Seq)}
		return v, nil
	case named.Seq > 0 && named.Seq == prev.Seq && named.Hash != prev.Hash:
		v.Break = &Break{Seq: prev.Seq, Reason: "the newest event's hash is not the one the head names"}
		return v, nil
	}
	v.OK = true
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
		if err := s.advance(ctx, head); err != nil {
			return head, err
		}
		if progress != nil {
			progress(i + len(batch))
		}
	}
	return head, nil
}
