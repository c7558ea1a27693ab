package api

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"time"

	"github.com/google/uuid"

	"github.com/bankforge/bank/db"
	"github.com/bankforge/bank/domain"
)

// idempotencyKeyRe bounds Idempotency-Key values in length and characters.
var idempotencyKeyRe = regexp.MustCompile(`^[A-Za-z0-9_.:-]{8,128}$`)

// staleClaim is how long a claimed key may go unanswered (its request's process died) before a
// retry may take it over.
const staleClaim = 30 * time.Second

// keyWriteTimeout bounds the write of a request's answer or release to its key, which goes on
// when the request's client has gone.
const keyWriteTimeout = 5 * time.Second

// idempotencyKey reads and checks the Idempotency-Key header.
func idempotencyKey(r *http.Request) (string, error) {
	key := r.Header.Get("Idempotency-Key")
	if !idempotencyKeyRe.MatchString(key) {
		return "", newError(domain.CodeIdempotencyKey, "Send an Idempotency-Key header of 8 to 128 letters, digits or _ . : - (a UUID is a good choice).")
	}
	return key, nil
}

// idempotentResponse is what a money-moving handler answers; it is stored under the key and
// replayed to retries.
type idempotentResponse struct {
	status   int
	body     any
	location string
}

// idempotent runs do once per (caller, key). The request is identified by its method, path and
// canonical body: the same key with another request is refused (422), a retry while the first is
// still running gets 409, and a retry after it answered gets the same status and body again with
// Idempotent-Replayed: true. A request that fails (4xx or 5xx) releases its key.
func (s *server) idempotent(w http.ResponseWriter, r *http.Request, key string, request any, do func() (idempotentResponse, error)) error {
	ctx := r.Context()
	userID := caller(ctx).UserID
	canonical, err := json.Marshal(request)
	if err != nil {
		return internalError(fmt.Errorf("encode request: %w", err))
	}
	sum := sha256.Sum256(append([]byte(r.Method+" "+r.URL.Path+"\n"), canonical...))
	hash := sum[:]

	if err := s.claimKey(ctx, w, userID, key, hash); err != nil {
		if errors.Is(err, errReplayed) {
			s.metrics.Replayed(routePattern(r))
			return nil
		}
		return err
	}

	resp, err := do()
	// What the request did is recorded under its key even when its client has gone meanwhile: the
	// client's retry must find the answer, or the key free, not a claim left to go stale.
	keep, cancel := context.WithTimeout(context.WithoutCancel(ctx), keyWriteTimeout)
	defer cancel()
	if err != nil {
		if rerr := s.store.ReleaseIdempotencyKey(keep, db.ReleaseIdempotencyKeyParams{UserID: userID, Key: key}); rerr != nil {
			s.logger.ErrorContext(ctx, "release idempotency key", "error", rerr)
		}
		return err
	}
	body, err := json.Marshal(resp.body)
	if err != nil {
		return internalError(fmt.Errorf("encode response: %w", err))
	}
	body = append(body, '\n')
	var location *string
	if resp.location != "" {
		location = &resp.location
		w.Header().Set("Location", resp.location)
	}
	if err := s.store.CompleteIdempotencyKey(keep, db.CompleteIdempotencyKeyParams{
		UserID: userID, Key: key, StatusCode: ptr(int32(resp.status)), ResponseBody: body, Location: location,
	}); err != nil {
		// The effect is in place and keyed by the request itself; a retry finds it again.
		s.logger.ErrorContext(ctx, "store idempotent response", "error", err)
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(resp.status)
	_, _ = w.Write(body)
	return nil
}

// errReplayed tells idempotent that claimKey answered with the key's stored response.
var errReplayed = errors.New("replayed")

// claimKey claims the caller's key for the request whose hash is given. When the key is taken it
// replays the stored answer (errReplayed), refuses another request under it (422) or one still
// running (409), or takes over a claim gone stale. A key released between the claim that found it
// taken and the read of it (the request that held it failed meanwhile) is claimed again.
func (s *server) claimKey(ctx context.Context, w http.ResponseWriter, userID uuid.UUID, key string, hash []byte) error {
	for attempt := 1; ; attempt++ {
		_, err := s.store.ClaimIdempotencyKey(ctx, db.ClaimIdempotencyKeyParams{UserID: userID, Key: key, RequestHash: hash})
		switch err = db.NotFound(err); {
		case err == nil:
			return nil
		case !errors.Is(err, db.ErrNotFound):
			return internalError(fmt.Errorf("claim idempotency key: %w", err))
		}
		prior, err := s.store.GetIdempotencyKey(ctx, db.GetIdempotencyKeyParams{UserID: userID, Key: key})
		if err = db.NotFound(err); errors.Is(err, db.ErrNotFound) {
			if attempt < 3 {
				continue
			}
			// Claimed and released again and again: other requests under the key are busy with it.
			return newError(domain.CodeIdempotencyInFlight, "Another request with this key is running; retry in a moment.")
		} else if err != nil {
			return internalError(fmt.Errorf("get idempotency key: %w", err))
		}
		if string(prior.RequestHash) != string(hash) {
			return newError(domain.CodeIdempotencyReused, "This Idempotency-Key was already used for a different request; use a new key.")
		}
		if prior.StatusCode != nil {
			if prior.Location != nil {
				w.Header().Set("Location", *prior.Location)
			}
			w.Header().Set("Idempotent-Replayed", "true")
			w.Header().Set("Content-Type", "application/json")
			w.Header().Set("Cache-Control", "no-store")
			w.WriteHeader(int(*prior.StatusCode))
			_, _ = w.Write(prior.ResponseBody)
			return errReplayed
		}
		n, err := s.store.TakeOverStaleIdempotencyKey(ctx, db.TakeOverStaleIdempotencyKeyParams{
			UserID: userID, Key: key, RequestHash: hash, StaleBefore: s.now().Add(-staleClaim),
		})
		if err != nil {
			return internalError(fmt.Errorf("take over idempotency key: %w", err))
		}
		if n == 0 {
			return newError(domain.CodeIdempotencyInFlight, "The first request with this key has not answered yet; retry in a moment.")
		}
		return nil
	}
}

// idempotentID derives a stable id from the caller and their key: the same request retried names
// the same transfer and so the same workflow.
func idempotentID(userID uuid.UUID, key string) uuid.UUID {
	return uuid.NewSHA1(uuid.NameSpaceOID, []byte("bank/idempotency/"+userID.String()+"/"+key))
}

// recordedUnder reports whether an earlier request under the caller's key recorded its transfer or
// cash approval. Its retry must get the first answer, whatever changed since, never a refusal the
// first request passed: a check of the account's state (frozen since) applies to new requests only.
func (s *server) recordedUnder(ctx context.Context, userID uuid.UUID, key string) (bool, error) {
	id := idempotentID(userID, key)
	_, err := s.store.GetTransfer(ctx, id)
	if err = db.NotFound(err); !errors.Is(err, db.ErrNotFound) {
		return err == nil, err
	}
	_, err = s.store.GetCashApproval(ctx, id)
	if err = db.NotFound(err); !errors.Is(err, db.ErrNotFound) {
		return err == nil, err
	}
	return false, nil
}
