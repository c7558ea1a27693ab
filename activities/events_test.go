package activities_test

import (
	"context"
	"encoding/json"
	"slices"
	"testing"

	"github.com/google/uuid"

	"github.com/bankforge/bank/activities"
	"github.com/bankforge/bank/db"
	"github.com/bankforge/bank/domain"
)

func userEvents(t *testing.T, f *fixture, userID uuid.UUID) []db.ListUserEventsAfterRow {
	t.Helper()
	events, err := f.store.ListUserEventsAfter(context.Background(), db.ListUserEventsAfterParams{UserID: userID, MaxRows: 1000})
	if err != nil {
		t.Fatal(err)
	}
	for i, e := range events {
		if e.ID != int64(i+1) {
			t.Fatalf("event %d of %s has id %d: ids grow by one", i+1, userID, e.ID)
		}
	}
	return events
}

func eventTypes(t *testing.T, f *fixture, userID uuid.UUID) []domain.EventType {
	t.Helper()
	var out []domain.EventType
	for _, e := range userEvents(t, f, userID) {
		out = append(out, e.Type)
	}
	return out
}

// A transfer's end appends, once however often its step runs, each party's events beside their
// notifications: the sender's completed or failed, the recipient's received (only once completed),
// each naming the reader's own account and only the other party's number.
func TestRecordTransferOutcome_EventsOncePerParty(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	alice, bob := newCustomer(t, f.store, "USD"), newCustomer(t, f.store, "USD")
	deposit(t, f, alice, 1000) // alice: notification.created, transfer.received
	if got := eventTypes(t, f, alice.user.ID); !slices.Equal(got, []domain.EventType{domain.EventTransferReceived, domain.EventNotificationCreated}) &&
		!slices.Equal(got, []domain.EventType{domain.EventNotificationCreated, domain.EventTransferReceived}) {
		t.Fatalf("alice's events after the deposit: %v", got)
	}

	tr := newTransfer(t, f.store, alice, bob.account, 400)
	ref := activities.TransferRef{TransferID: tr.ID.String()}
	for _, step := range []any{f.acts.ValidateTransfer, f.acts.PlaceHold, f.acts.PostTransfer, f.acts.RecordTransferOutcome} {
		if err := f.twice(step, ref); err != nil {
			t.Fatalf("step: %v", err)
		}
	}
	// A refused one: alice is told it failed and why; bob, who received nothing, nothing.
	refused := newTransfer(t, f.store, alice, bob.account, 5000)
	rref := activities.TransferRef{TransferID: refused.ID.String()}
	if _, err := f.env.ExecuteActivity(f.acts.PlaceHold, rref); err == nil {
		t.Fatal("the hold of 5000 out of 600 was placed")
	}
	if _, err := f.env.ExecuteActivity(f.acts.FailTransfer, activities.FailTransferInput{TransferID: refused.ID.String(), Step: domain.StepPlaceHold, Code: domain.CodeInsufficientFunds}); err != nil {
		t.Fatal(err)
	}
	if err := f.twice(f.acts.RecordTransferOutcome, rref); err != nil {
		t.Fatal(err)
	}

	byType := func(u uuid.UUID) map[domain.EventType][]activities.TransferEventData {
		out := map[domain.EventType][]activities.TransferEventData{}
		for _, e := range userEvents(t, f, u) {
			if e.Type == domain.EventNotificationCreated {
				out[e.Type] = append(out[e.Type], activities.TransferEventData{})
				continue
			}
			var d activities.TransferEventData
			if err := json.Unmarshal(e.Data, &d); err != nil {
				t.Fatal(err)
			}
			out[e.Type] = append(out[e.Type], d)
		}
		return out
	}
	a, b := byType(alice.user.ID), byType(bob.user.ID)
	if len(a[domain.EventNotificationCreated]) != 3 || len(a[domain.EventTransferReceived]) != 1 ||
		len(a[domain.EventTransferCompleted]) != 1 || len(a[domain.EventTransferFailed]) != 1 || len(a) != 4 {
		t.Fatalf("alice's events %v; want 3 notifications, the deposit received, one completed, one failed", a)
	}
	sent := a[domain.EventTransferCompleted][0]
	if sent.TransferID != tr.ID.String() || sent.Amount != 400 || sent.Currency != "USD" || sent.AccountID != alice.account.ID.String() ||
		sent.AccountNumber != alice.account.Number || sent.CounterpartyAccountNumber != bob.account.Number || sent.FailureCode != "" {
		t.Fatalf("alice's transfer.completed %+v", sent)
	}
	if failed := a[domain.EventTransferFailed][0]; failed.TransferID != refused.ID.String() || failed.FailureCode != domain.CodeInsufficientFunds || failed.AccountID != alice.account.ID.String() {
		t.Fatalf("alice's transfer.failed %+v", failed)
	}
	if len(b[domain.EventNotificationCreated]) != 1 || len(b[domain.EventTransferReceived]) != 1 || len(b) != 2 {
		t.Fatalf("bob's events %v; want one notification and one received, nothing of the refused transfer", b)
	}
	got := b[domain.EventTransferReceived][0]
	if got.TransferID != tr.ID.String() || got.AccountID != bob.account.ID.String() || got.AccountNumber != bob.account.Number ||
		got.CounterpartyAccountNumber != alice.account.Number || got.Amount != 400 {
		t.Fatalf("bob's transfer.received %+v: his own account, alice's number only", got)
	}
}
