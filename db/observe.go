package db

import "github.com/bankforge/bank/domain"

// Observer is told what the ledger's and the freezes' transactions changed, once each has
// committed: every transfer that ended, and every freeze that came into force, ended or failed. A
// transaction run again that changes nothing tells nothing, so each effect is told once, however
// many times the step that ran it was retried. Its methods run on the caller's goroutine and must
// not block.
type Observer interface {
	TransferEnded(kind domain.TransferKind, status domain.TransferStatus, currency string, amount int64)
	FreezeChanged(status domain.FreezeStatus)
}

// Observed returns a store over the same pool whose transactions tell o what they changed.
func (s *Store) Observed(o Observer) *Store {
	c := *s
	c.observer = o
	return &c
}

// endedTransfer is a transfer a transaction ended, told to the observer once it has committed.
type endedTransfer struct {
	t      Transfer
	status domain.TransferStatus
}

// tellEnded tells the observer of the transfer a committed transaction ended; nil tells nothing.
func (s *Store) tellEnded(e *endedTransfer) {
	if e != nil && s.observer != nil {
		s.observer.TransferEnded(e.t.Kind, e.status, e.t.Currency, e.t.Amount)
	}
}

// tellFreeze tells the observer of the status a committed transaction gave a freeze; "" tells
// nothing.
func (s *Store) tellFreeze(status domain.FreezeStatus) {
	if status != "" && s.observer != nil {
		s.observer.FreezeChanged(status)
	}
}
