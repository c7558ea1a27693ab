package main

import (
	"encoding/json"
	"os"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/bankforge/bank/domain"
)

// opKind is what a client asked the bank to do.
type opKind string

const (
	opTransfer   opKind = "transfer"
	opDeposit    opKind = "deposit"
	opWithdrawal opKind = "withdrawal"
	opFreeze     opKind = "freeze"
	opUnfreeze   opKind = "unfreeze"
)

// movesMoney reports whether the operation is a transfer, deposit or withdrawal.
func (k opKind) movesMoney() bool { return k == opTransfer || k == opDeposit || k == opWithdrawal }

// outcome is what the client concluded from the answers it got.
type outcome string

const (
	// outcomeOK: the bank accepted the request (202, or 200 for an unfreeze).
	outcomeOK outcome = "ok"
	// outcomeRefused: the bank refused it for good (a 4xx other than "retry later").
	outcomeRefused outcome = "refused"
	// outcomeInDoubt: no definitive answer before the client gave up: timeouts, resets, 5xx.
	outcomeInDoubt outcome = "in_doubt"
)

// attempt is one request and what came back.
type attempt struct {
	At     time.Time     `json:"at"`
	Took   time.Duration `json:"took"`
	API    int           `json:"api"`
	Key    string        `json:"key,omitempty"`
	Status int           `json:"status,omitempty"` // 0: no answer
	Code   string        `json:"code,omitempty"`   // the problem's code, on an error
	// RetryAfter is whether the answer carried a Retry-After header.
	RetryAfter bool `json:"retry_after,omitempty"`
	Replayed   bool `json:"replayed,omitempty"`
	// Err is the kind of failure when no answer came: timeout, reset, refused or other.
	Err string `json:"err,omitempty"`
	// Lost is an answer that came but that the client dropped, as if it were lost on the way back:
	// the client cannot tell it from a timeout and retries.
	Lost bool `json:"lost,omitempty"`
	// TransferID is the transfer a 202 named; OperationID the operation (a freeze's).
	TransferID  string `json:"transfer_id,omitempty"`
	OperationID string `json:"operation_id,omitempty"`
}

// op is one operation a client meant to do once, with every request it sent for it. Only its
// client's goroutine writes it until it ends.
type op struct {
	ID     int       `json:"id"`
	Client string    `json:"client"`
	Kind   opKind    `json:"kind"`
	Caller uuid.UUID `json:"caller"`
	// From and To are the accounts money leaves and enters (a deposit's From and a withdrawal's To
	// are the cash account, zero here); a freeze's and an unfreeze's account is From.
	From     uuid.UUID `json:"from,omitempty"`
	To       uuid.UUID `json:"to,omitempty"`
	Amount   int64     `json:"amount,omitempty"`
	Currency string    `json:"currency,omitempty"`
	Scope    string    `json:"scope,omitempty"`

	Start    time.Time `json:"start"`
	End      time.Time `json:"end"`
	Keys     []string  `json:"keys,omitempty"`
	Attempts []attempt `json:"attempts"`
	// Reads are the client's reads of the transfer it started, until it ended.
	Reads   []attempt `json:"reads,omitempty"`
	Outcome outcome   `json:"outcome"`
	// Refusal is the code of the answer that refused it.
	Refusal string `json:"refusal,omitempty"`
	// Seen is the last status the client read of the transfer it started, and when.
	Seen   domain.TransferStatus `json:"seen,omitempty"`
	SeenAt time.Time             `json:"seen_at,omitzero"`
	// A freeze's id, the status the client last read of it and, once read active, the commit time
	// of the transaction that put it in force.
	FreezeID       string              `json:"freeze_id,omitempty"`
	FreezeSeen     domain.FreezeStatus `json:"freeze_seen,omitempty"`
	FreezeInForce  time.Time           `json:"freeze_in_force,omitzero"`
	UnfreezeTarget string              `json:"unfreeze_target,omitempty"`
}

// answered returns the 202s' transfer ids, each once.
func (o *op) answered() []string {
	var ids []string
	seen := map[string]bool{}
	for _, a := range o.Attempts {
		if a.TransferID != "" && !a.Lost && !seen[a.TransferID] {
			seen[a.TransferID] = true
			ids = append(ids, a.TransferID)
		}
	}
	return ids
}

// recorder keeps every operation and writes each, once ended, as a JSON line.
type recorder struct {
	mu  sync.Mutex
	ops []*op
	out *os.File
	enc *json.Encoder
}

func newRecorder(path string) (*recorder, error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	return &recorder{out: f, enc: json.NewEncoder(f)}, nil
}

// begin records the start of an operation.
func (r *recorder) begin(o *op) *op {
	r.mu.Lock()
	defer r.mu.Unlock()
	o.ID, o.Start = len(r.ops)+1, time.Now()
	r.ops = append(r.ops, o)
	return o
}

// end records how an operation ended.
func (r *recorder) end(o *op, out outcome) {
	r.mu.Lock()
	defer r.mu.Unlock()
	o.Outcome, o.End = out, time.Now()
	_ = r.enc.Encode(o)
}

// all returns every operation recorded.
func (r *recorder) all() []*op {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]*op(nil), r.ops...)
}

func (r *recorder) close() { _ = r.out.Close() }
