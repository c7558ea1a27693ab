package metrics

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/bankforge/bank/domain"
)

// Mail counts the outbox's deliveries: each email the mail server accepted, and each given up.
type Mail struct {
	sent   *prometheus.CounterVec
	failed *prometheus.CounterVec
}

// NewMail registers the mail families in reg, with a zero for every kind of email.
func NewMail(reg prometheus.Registerer) *Mail {
	m := &Mail{
		sent: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "bank_emails_sent_total",
			Help: "Emails the mail server accepted, by kind.",
		}, []string{"kind"}),
		failed: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "bank_emails_failed_total",
			Help: "Emails given up (refused for good, or too many times), by kind; each is also an email.failed audit event.",
		}, []string{"kind"}),
	}
	reg.MustRegister(m.sent, m.failed)
	for _, k := range domain.EmailKinds {
		m.sent.WithLabelValues(string(k))
		m.failed.WithLabelValues(string(k))
	}
	return m
}

// Sent counts an email of kind the server accepted.
func (m *Mail) Sent(kind domain.EmailKind) {
	if m == nil {
		return
	}
	m.sent.WithLabelValues(string(kind)).Inc()
}

// Failed counts an email of kind given up.
func (m *Mail) Failed(kind domain.EmailKind) {
	if m == nil {
		return
	}
	m.failed.WithLabelValues(string(kind)).Inc()
}
