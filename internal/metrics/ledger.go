package metrics

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/bankforge/bank/domain"
)

// Ledger counts what the ledger's and the freezes' transactions changed, once each committed,
// however many times the step that ran them was retried: the database tells it (db.Observer).
type Ledger struct {
	transfers *prometheus.CounterVec
	amount    *prometheus.CounterVec
	freezes   *prometheus.CounterVec
}

// NewLedger registers the ledger's families in reg.
func NewLedger(reg prometheus.Registerer) *Ledger {
	l := &Ledger{
		transfers: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "bank_transfers_total",
			Help: "Transfers, deposits and withdrawals that ended, by kind, outcome (completed, failed, compensated) and currency; each counted once, as its end commits.",
		}, []string{"kind", "status", "currency"}),
		amount: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "bank_transfer_amount_minor_units_total",
			Help: "Money moved by completed transfers, deposits and withdrawals, in minor units of each currency (cents for USD, yen for JPY).",
		}, []string{"kind", "currency"}),
		freezes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "bank_freezes_total",
			Help: "Account freezes that came into force (active), ended (an admin's unfreeze or their end), or failed and were lifted; each counted once, as it commits.",
		}, []string{"status"}),
	}
	reg.MustRegister(l.transfers, l.amount, l.freezes)
	for _, s := range []domain.FreezeStatus{domain.FreezeActive, domain.FreezeEnded, domain.FreezeFailed} {
		l.freezes.WithLabelValues(string(s))
	}
	return l
}

// TransferEnded counts a transfer that ended with status, and the money it moved when it completed.
func (l *Ledger) TransferEnded(kind domain.TransferKind, status domain.TransferStatus, currency string, amount int64) {
	if l == nil {
		return
	}
	l.transfers.WithLabelValues(string(kind), string(status), currency).Inc()
	if status == domain.TransferCompleted && amount > 0 {
		l.amount.WithLabelValues(string(kind), currency).Add(float64(amount))
	}
}

// FreezeChanged counts a freeze that became active, ended or failed.
func (l *Ledger) FreezeChanged(status domain.FreezeStatus) {
	if l == nil {
		return
	}
	l.freezes.WithLabelValues(string(status)).Inc()
}
