package activities_test

import (
	"errors"
	"maps"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/bankforge/bank/activities"
	"github.com/bankforge/bank/domain"
	"github.com/bankforge/bank/internal/metrics"
	"github.com/bankforge/bank/mail"
)

// Each email is counted once, when the server accepts it or when it is given up, however many
// delivery runs see it.
func TestSendPendingEmails_CountsEachEmailOnce(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	reg := prometheus.NewRegistry()
	f.acts.Emails = metrics.NewMail(reg)
	alice, bob := newCustomer(t, f.store, "USD"), newCustomer(t, f.store, "USD")
	writeEmail(t, f, alice)
	writeEmail(t, f, alice)
	writeEmail(t, f, bob)
	f.mail.refuse = map[string]error{bob.user.Email: &mail.RefusedError{Code: 550, Permanent: true, Err: errors.New("550 5.1.1 no such user")}}
	for range 3 {
		f.deliver()
	}
	if err := f.twice(f.acts.SendPendingEmails); err != nil {
		t.Fatal(err)
	}
	text := map[string]string{"kind": string(domain.EmailText)}
	sent, failed := counter(t, reg, "bank_emails_sent_total", text), counter(t, reg, "bank_emails_failed_total", text)
	if sent != 2 || failed != 1 {
		t.Fatalf("counted %v sent and %v given up; want alice's 2 and bob's 1", sent, failed)
	}
}

// Each transfer's end is counted once as it commits, by the store the steps run on, however many
// times its step runs; a step that is refused counts nothing.
func TestTransferSteps_CountEachEndOnce(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	reg := prometheus.NewRegistry()
	ledger := metrics.NewLedger(reg)
	alice, bob := newCustomer(t, f.store, "USD"), newCustomer(t, f.store, "USD")
	deposit(t, f, alice, 1000) // on the unobserved store: not counted
	acts := *f.acts
	acts.Store = f.store.Observed(ledger)
	f.env.RegisterActivity(&acts) // the steps by name are now these

	paid := activities.TransferRef{TransferID: newTransfer(t, f.store, alice, bob.account, 300).ID.String()}
	for _, step := range []any{acts.ValidateTransfer, acts.PlaceHold, acts.PostTransfer, acts.RecordTransferOutcome} {
		if err := f.twice(step, paid); err != nil {
			t.Fatal(err)
		}
	}
	refused := activities.TransferRef{TransferID: newTransfer(t, f.store, alice, bob.account, 5000).ID.String()}
	if err := f.twice(acts.PlaceHold, refused); err == nil {
		t.Fatal("held more than alice has")
	}
	if err := f.twice(acts.FailTransfer, activities.FailTransferInput{TransferID: refused.TransferID, Step: domain.StepPlaceHold, Code: domain.CodeInsufficientFunds}); err != nil {
		t.Fatal(err)
	}

	for status, want := range map[domain.TransferStatus]float64{domain.TransferCompleted: 1, domain.TransferFailed: 1} {
		labels := map[string]string{"kind": string(domain.KindTransfer), "status": string(status), "currency": "USD"}
		if got := counter(t, reg, "bank_transfers_total", labels); got != want {
			t.Errorf("bank_transfers_total%v = %v; want %v", labels, got, want)
		}
	}
	if got := counter(t, reg, "bank_transfers_total", map[string]string{"kind": string(domain.KindDeposit), "status": string(domain.TransferCompleted), "currency": "USD"}); got != 0 {
		t.Errorf("the unobserved deposit counted %v", got)
	}
	if got := counter(t, reg, "bank_transfer_amount_minor_units_total", map[string]string{"kind": string(domain.KindTransfer), "currency": "USD"}); got != 300 {
		t.Errorf("amount moved %v; want 300", got)
	}
}

// counter reads the series of the counter family name with exactly these labels from reg; an
// absent one reads zero.
func counter(t *testing.T, reg *prometheus.Registry, name string, labels map[string]string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			got := map[string]string{}
			for _, l := range m.GetLabel() {
				got[l.GetName()] = l.GetValue()
			}
			if maps.Equal(got, labels) {
				return m.GetCounter().GetValue()
			}
		}
	}
	return 0
}
