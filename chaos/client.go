package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/google/uuid"
)

// actor is a user the program acts as: a customer, or the admin. Each has its own random stream, so
// that what it asks for follows from the seed.
type actor struct {
	name     string
	userID   uuid.UUID
	email    string
	password string
	rnd      *rand.Rand
	http     *http.Client

	mu    sync.Mutex
	token string
}

// answer is an HTTP answer, or why none came.
type answer struct {
	status     int
	header     http.Header
	body       []byte
	err        error
	api        int
	took       time.Duration
	retryAfter time.Duration
}

// problem is the part of a problem document the clients read.
type problem struct {
	Code string `json:"code"`
}

func (a answer) code() string {
	var p problem
	_ = json.Unmarshal(a.body, &p)
	return p.Code
}

// errKind names a transport failure: timeout, reset, refused or other.
func errKind(err error) string {
	var ne net.Error
	switch {
	case err == nil:
		return ""
	case errors.Is(err, context.DeadlineExceeded) || errors.As(err, &ne) && ne.Timeout() || errors.Is(err, os.ErrDeadlineExceeded):
		return "timeout"
	case errors.Is(err, syscall.ECONNREFUSED):
		return "refused"
	case errors.Is(err, syscall.ECONNRESET) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, syscall.EPIPE):
		return "reset"
	default:
		return "other"
	}
}

// apis are the API processes' base URLs; clients spread their requests across them.
type apis []string

// send sends one request to a random API as a (anonymously when a is nil) and reads the answer.
func send(ctx context.Context, base apis, a *actor, rnd *rand.Rand, method, path string, body any, header http.Header, timeout time.Duration) answer {
	i := rnd.IntN(len(base))
	var rd io.Reader
	if body != nil {
		raw, err := json.Marshal(body)
		if err != nil {
			return answer{err: err, api: i}
		}
		rd = bytes.NewReader(raw)
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, base[i]+path, rd)
	if err != nil {
		return answer{err: err, api: i}
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, vs := range header {
		req.Header[k] = vs
	}
	hc := http.DefaultClient
	if a != nil {
		req.Header.Set("Authorization", "Bearer "+a.currentToken())
		hc = a.http
	}
	start := time.Now()
	resp, err := hc.Do(req)
	if err != nil {
		return answer{err: err, api: i, took: time.Since(start)}
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	out := answer{status: resp.StatusCode, header: resp.Header, body: raw, api: i, took: time.Since(start)}
	if err != nil {
		return answer{err: err, api: i, took: time.Since(start)}
	}
	if ra := resp.Header.Get("Retry-After"); ra != "" {
		if secs, err := strconv.Atoi(ra); err == nil {
			out.retryAfter = time.Duration(secs) * time.Second
		}
	}
	return out
}

// fork returns the same user acting on another stream of choices, with connections of its own:
// one actor's choices are drawn by one goroutine at a time.
func (a *actor) fork(name string, rnd *rand.Rand) *actor {
	return &actor{name: name, userID: a.userID, email: a.email, password: a.password, rnd: rnd, http: newHTTPClient(), token: a.currentToken()}
}

func (a *actor) currentToken() string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.token
}

// login signs the actor in through the APIs, retrying through faults until ctx ends.
func (a *actor) login(ctx context.Context, base apis) error {
	var last string
	for {
		ans := send(ctx, base, nil, a.rnd, http.MethodPost, "/v1/auth/login",
			map[string]string{"email": a.email, "password": a.password}, nil, 30*time.Second)
		if ans.status == http.StatusOK {
			var t struct {
				AccessToken string `json:"access_token"`
			}
			if err := json.Unmarshal(ans.body, &t); err != nil {
				return fmt.Errorf("login %s: %w", a.email, err)
			}
			a.mu.Lock()
			a.token = t.AccessToken
			a.mu.Unlock()
			return nil
		}
		if ans.status >= 400 && ans.status < 500 && ans.status != http.StatusTooManyRequests {
			return fmt.Errorf("login %s: status %d: %s", a.email, ans.status, ans.body)
		}
		last = fmt.Sprintf("status %d %v", ans.status, ans.err)
		select {
		case <-ctx.Done():
			return fmt.Errorf("login %s: %w (last: %s)", a.email, ctx.Err(), last)
		case <-time.After(500 * time.Millisecond):
		}
	}
}

// newKey returns a fresh Idempotency-Key drawn from rnd.
func newKey(rnd *rand.Rand) string {
	return fmt.Sprintf("chaos-%016x%016x", rnd.Uint64(), rnd.Uint64())
}

// transferIDOf is the id the API gives the transfer, deposit, withdrawal or freeze a user asks
// for under an Idempotency-Key (api's idempotentID): the checker finds by it what each key did,
// whatever answers were lost. A 202 naming another id is reported.
func transferIDOf(userID uuid.UUID, key string) uuid.UUID {
	return uuid.NewSHA1(uuid.NameSpaceOID, []byte("bank/idempotency/"+userID.String()+"/"+key))
}

func newHTTPClient() *http.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = 4
	return &http.Client{Transport: tr}
}
