package seedscale

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"sort"

	"github.com/bankforge/bank/audit"
	"github.com/bankforge/bank/domain"
)

// The seeded audit log: events spread over the year in time order, of the kinds a bank's staff
// search (transfers requested and ended, logins, staff reads, profile changes, accounts opened,
// registrations, freezes), about the seeded customers, accounts and transfers.

type auditSlot struct {
	at   int64
	kind uint8
	ref  int32 // a movement, a user or a frozen account, by kind
}

const (
	evTransferRequested uint8 = iota
	evTransferEnded
	evLoginSucceeded
	evLoginFailed
	evStaffRead
	evProfileChanged
	evAccountOpened
	evRegistered
	evAccountFrozen
)

var userAgents = []string{"Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X)", "Mozilla/5.0 (Windows NT 10.0; Win64; x64)",
	"Mozilla/5.0 (X11; Linux x86_64)", "BankForge-Android/3.2.1", "BankForge-iOS/3.2.0"}

// auditSlots draws n events' times and kinds, in time order; one account.frozen per frozen
// account is among them, at its freeze.
func (p *plan) auditSlots(n int) []auditSlot {
	r := rand.New(rand.NewPCG(p.seed^0xa0d17, p.seed))
	slots := make([]auditSlot, 0, n)
	for i, a := range p.accounts {
		if a.frozenAt != 0 && len(slots) < n {
			slots = append(slots, auditSlot{at: a.frozenAt, kind: evAccountFrozen, ref: int32(i)})
		}
	}
	for len(slots) < n {
		s := auditSlot{at: p.start + r.Int64N(p.end-p.start)}
		switch x := r.Float64(); {
		case x < 0.30 && len(p.moves) > 0:
			s.kind = evTransferRequested
		case x < 0.55 && len(p.moves) > 0:
			s.kind = evTransferEnded
		case x < 0.75:
			s.kind, s.ref = evLoginSucceeded, int32(busy(r, len(p.users)))
		case x < 0.80:
			s.kind, s.ref = evLoginFailed, int32(r.IntN(len(p.users)))
		case x < 0.88:
			s.kind, s.ref = evStaffRead, int32(r.IntN(len(p.users)))
		case x < 0.93:
			s.kind, s.ref = evProfileChanged, int32(r.IntN(len(p.users)))
		case x < 0.97:
			s.kind, s.ref = evAccountOpened, int32(r.IntN(len(p.users)))
		default:
			s.kind, s.ref = evRegistered, int32(r.IntN(len(p.users)))
		}
		if s.kind == evTransferRequested || s.kind == evTransferEnded {
			// The movement requested nearest after this time, and the event at its time.
			i := sort.Search(len(p.moves), func(i int) bool { return p.moves[i].at >= s.at })
			s.ref = int32(min(i, len(p.moves)-1))
			s.at = p.moves[s.ref].at
			if s.kind == evTransferEnded {
				s.at += postedAfter.Microseconds()
			}
		}
		slots = append(slots, s)
	}
	slices.SortStableFunc(slots, func(a, b auditSlot) int {
		switch {
		case a.at < b.at:
			return -1
		case a.at > b.at:
			return 1
		}
		return 0
	})
	return slots
}

// auditEvent is the i-th seeded event.
func (p *plan) auditEvent(slots []auditSlot, i int) audit.Event {
	s := slots[i]
	x := splitmix(p.seed ^ idRequest<<56 ^ uint64(i))
	e := audit.Event{
		ID:        fmt.Sprintf("seed/%s/%07d", p.tag, i+1),
		At:        micro(s.at),
		RequestID: fmt.Sprintf("req-%016x", x),
		IP:        fmt.Sprintf("10.%d.%d.%d", byte(x>>8), byte(x>>16), byte(x>>24)),
		UserAgent: userAgents[x%uint64(len(userAgents))],
	}
	userOf := func(u int32) {
		e.UserID, e.Email = p.users[u].id.String(), p.users[u].email
	}
	switch s.kind {
	case evTransferRequested, evTransferEnded:
		m := p.moves[s.ref]
		from, to := p.accounts[m.from], p.accounts[m.to]
		e.TransferID = p.transferID(int(s.ref)).String()
		e.AccountIDs = []string{from.id.String(), to.id.String()}
		e.UserID = p.admin.String()
		if m.kind == mvTransfer {
			e.UserID = p.users[from.user].id.String()
		}
		e.Details = map[string]any{"kind": string(moveKinds[m.kind]), "amount": m.amount, "currency": seedCurrencies[from.cur].code}
		switch {
		case s.kind == evTransferRequested:
			e.Type = audit.EventTransferRequested
		case m.status == stCompleted:
			e.Type = audit.EventTransferCompleted
		default:
			e.Type = audit.EventTransferFailed
			e.Details["status"] = string(moveStatuses[m.status])
		}
	case evLoginSucceeded:
		e.Type = audit.EventLoginSucceeded
		userOf(s.ref)
	case evLoginFailed:
		e.Type = audit.EventLoginFailed
		userOf(s.ref)
		e.Details = map[string]any{"reason": "invalid_credentials"}
	case evStaffRead:
		e.Type, e.ActorID = audit.EventStaffRead, p.admin.String()
		e.UserID, e.Subject = p.users[s.ref].id.String(), p.users[s.ref].id.String()
		e.Details = map[string]any{"route": "GET /v1/admin/users/{id}"}
	case evProfileChanged:
		e.Type = audit.EventProfileChanged
		userOf(s.ref)
		e.Details = map[string]any{"fields": []string{"phone"}}
	case evAccountOpened:
		e.Type = audit.EventAccountOpened
		userOf(s.ref)
	case evRegistered:
		e.Type = audit.EventUserRegistered
		userOf(s.ref)
	case evAccountFrozen:
		a := p.accounts[s.ref]
		e.Type, e.ActorID = audit.EventAccountFrozen, p.admin.String()
		e.UserID, e.AccountIDs = p.users[a.user].id.String(), []string{a.id.String()}
		scope := domain.FreezeFull
		if a.debitOnly {
			scope = domain.FreezeDebit
		}
		e.Details = map[string]any{"reason": string(a.reason), "scope": string(scope), "note": "seeded freeze"}
	}
	return e
}
