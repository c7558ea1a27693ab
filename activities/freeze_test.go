package activities_test

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/bankforge/bank/activities"
	"github.com/bankforge/bank/audit"
	"github.com/bankforge/bank/db"
	"github.com/bankforge/bank/domain"
	"github.com/bankforge/bank/inbox"
)

const staffNote = "case QX-7731: linked to mule ring"

// recordFreeze records a pending freeze of c's account, as the API does.
func recordFreeze(t *testing.T, f *fixture, admin db.User, c customer, scope domain.FreezeScope, until *time.Time) activities.FreezeRef {
	t.Helper()
	rec, err := f.store.RecordFreezeTx(context.Background(), db.FreezeRequest{
		ID: uuid.New(), AccountID: c.account.ID, Reason: domain.FreezeSuspectedFraud, Note: staffNote, Scope: scope, Until: until,
		RequestedBy: admin.ID, WorkflowID: func(n int32) string { return fmt.Sprintf("freeze-%s-%d", c.account.ID, n) },
	})
	if err != nil {
		t.Fatal(err)
	}
	return activities.FreezeRef{FreezeID: rec.Freeze.ID.String()}
}

func (f *fixture) freezeState(fn any, in any) activities.FreezeState {
	f.t.Helper()
	var out [2]activities.FreezeState
	for i := range out {
		v, err := f.env.ExecuteActivity(fn, in)
		if err != nil {
			f.t.Fatalf("run %d: %v", i+1, err)
		}
		if err := v.Get(&out[i]); err != nil {
			f.t.Fatal(err)
		}
	}
	if out[0].Status != out[1].Status {
		f.t.Fatalf("the second run saw %s after %s", out[1].Status, out[0].Status)
	}
	return out[1]
}

func (f *fixture) emails(prefix string) int {
	f.t.Helper()
	var n int
	if err := f.store.Pool().QueryRow(context.Background(), "SELECT count(*) FROM emails WHERE id LIKE $1", prefix+"%").Scan(&n); err != nil {
		f.t.Fatal(err)
	}
	return n
}

// Each step of a freeze, run twice as a retry after a lost report would, has one effect: the account
// frozen once, each transfer in flight stopped once, one audit event, one notification and one email
// per event; the owner reads the reason's code, never the staff's note.
func TestFreezeSteps_RunTwiceHaveOneEffect(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	admin := newAdmin(t, f.store)
	alice, bob := newCustomer(t, f.store, "USD"), newCustomer(t, f.store, "USD")
	deposit(t, f, alice, 1000)
	held := newTransfer(t, f.store, alice, bob.account, 100)
	for _, step := range []any{f.acts.ValidateTransfer, f.acts.PlaceHold} {
		if _, err := f.env.ExecuteActivity(step, activities.TransferRef{TransferID: held.ID.String()}); err != nil {
			t.Fatal(err)
		}
	}
	unheld := newTransfer(t, f.store, alice, bob.account, 100)
	ref := recordFreeze(t, f, admin, alice, domain.FreezeFull, nil)

	if s := f.freezeState(f.acts.ApplyFreeze, ref); s.Status != domain.FreezeActive || s.FrozenAt == nil {
		t.Fatalf("applied: %+v", s)
	}
	var stopped [2]activities.StoppedTransfers
	for i := range stopped {
		v, err := f.env.ExecuteActivity(f.acts.StopTransfersInFlight, ref)
		if err != nil || v.Get(&stopped[i]) != nil {
			t.Fatalf("stop #%d: %v", i+1, err)
		}
		slices.Sort(stopped[i].TransferIDs)
	}
	want := []string{held.ID.String(), unheld.ID.String()}
	slices.Sort(want)
	if !slices.Equal(stopped[0].TransferIDs, want) || !slices.Equal(stopped[1].TransferIDs, want) {
		t.Fatalf("stopped %v then %v; want %v both times", stopped[0].TransferIDs, stopped[1].TransferIDs, want)
	}
	for tr, status := range map[uuid.UUID]domain.TransferStatus{held.ID: domain.TransferCompensated, unheld.ID: domain.TransferFailed} {
		got, _ := f.store.GetTransfer(ctx, tr)
		if got.Status != status || got.FailureCode == nil || *got.FailureCode != domain.CodeAccountFrozen {
			t.Fatalf("transfer %s ended %s %v; want %s with account_frozen", tr, got.Status, got.FailureCode, status)
		}
		// Its own workflow, arriving late, is refused the same way.
		_, err := f.env.ExecuteActivity(f.acts.ValidateTransfer, activities.TransferRef{TransferID: tr.String()})
		requireRefusal(t, err, domain.CodeAccountFrozen)
	}
	if a, _ := f.store.GetAccount(ctx, alice.account.ID); a.Balance != 1000 || a.OnHold != 0 || a.Status != domain.AccountFrozen {
		t.Fatalf("alice %+v; want 1000, nothing on hold, frozen", a)
	}

	event := activities.FreezeEventInput{FreezeID: ref.FreezeID, Status: domain.FreezeActive, RequestID: "req-freeze-1"}
	if err := f.twice(f.acts.RecordFreezeEvent, event); err != nil {
		t.Fatal(err)
	}
	if n := f.count("audit_events", bson.D{{Key: "type", Value: audit.EventAccountFrozen}, {Key: "subject", Value: ref.FreezeID}, {Key: "request_id", Value: "req-freeze-1"}}); n != 1 {
		t.Fatalf("%d account.frozen events; want 1", n)
	}
	var note inbox.Notification
	if err := f.mongo.Collection("notifications").FindOne(ctx, bson.D{{Key: "user_id", Value: alice.user.ID.String()}, {Key: "kind", Value: domain.NotificationAccountFrozen}}).Decode(&note); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(note.Body, string(domain.FreezeSuspectedFraud)) || strings.Contains(note.Body, "QX-7731") || strings.Contains(note.Body, "mule") {
		t.Fatalf("the owner reads %q; want the reason's code and never the staff's note", note.Body)
	}
	var kind, data string
	if err := f.store.Pool().QueryRow(ctx, "SELECT kind, data::text FROM emails WHERE id = $1", note.ID).Scan(&kind, &data); err != nil ||
		kind != string(domain.NotificationAccountFrozen) || !strings.Contains(data, string(domain.FreezeSuspectedFraud)) ||
		strings.Contains(data, "QX-7731") || strings.Contains(data, "mule") {
		t.Fatalf("email %s %s (%v); want the freeze's kind and reason, never the staff's note", kind, data, err)
	}

	if _, err := f.store.EndFreezeTx(ctx, alice.account.ID, admin.ID, "cleared"); err != nil {
		t.Fatal(err)
	}
	if s := f.freezeState(f.acts.EndDueFreeze, ref); s.Status != domain.FreezeEnded || s.EndedBy != admin.ID.String() {
		t.Fatalf("after the admin's unfreeze: %+v", s)
	}
	if err := f.twice(f.acts.RecordFreezeEvent, activities.FreezeEventInput{FreezeID: ref.FreezeID, Status: domain.FreezeEnded}); err != nil {
		t.Fatal(err)
	}
	for _, kind := range []domain.NotificationKind{domain.NotificationAccountFrozen, domain.NotificationAccountUnfrozen} {
		if n := f.count("notifications", bson.D{{Key: "user_id", Value: alice.user.ID.String()}, {Key: "kind", Value: kind}}); n != 1 {
			t.Fatalf("%d %s notifications; want exactly 1", n, kind)
		}
	}
	if n := f.emails("freeze/" + ref.FreezeID + "/"); n != 2 {
		t.Fatalf("%d freeze emails; want 2", n)
	}
	// Live events: the owner's, once each, with the reason and never the note; the admin's
	// operation ends with the unfreeze.
	if got := eventTypes(t, f, alice.user.ID); len(got) < 4 || !slices.Equal(got[len(got)-4:], []domain.EventType{
		domain.EventAccountFrozen, domain.EventNotificationCreated, domain.EventAccountUnfrozen, domain.EventNotificationCreated,
	}) {
		t.Fatalf("alice's events %v; want her deposit's, then frozen and unfrozen, each with its notification", got)
	}
	for _, e := range userEvents(t, f, alice.user.ID) {
		if strings.Contains(string(e.Data), "mule") || strings.Contains(string(e.Data), "QX-7731") {
			t.Fatalf("an event tells the owner the staff's note: %s", e.Data)
		}
		var d activities.AccountEventData
		if err := json.Unmarshal(e.Data, &d); err != nil {
			t.Fatal(err)
		}
		if e.Type == domain.EventAccountFrozen && (d.Reason != domain.FreezeSuspectedFraud || d.AccountID != alice.account.ID.String() || d.Status != domain.AccountFrozen) {
			t.Fatalf("account.frozen %s; want the reason's code and her account", e.Data)
		}
	}
	var op activities.OperationEventData
	if got := userEvents(t, f, admin.ID); len(got) != 1 || got[0].Type != domain.EventOperationCompleted || json.Unmarshal(got[0].Data, &op) != nil ||
		op.OperationID != ref.FreezeID || op.Status != domain.OperationCompleted || op.Kind != domain.OperationFreeze {
		t.Fatalf("the admin's events %+v; want their freeze's operation completed, once", got)
	}
	if s := f.freezeState(f.acts.LiftFreeze, activities.LiftFreezeInput{FreezeID: ref.FreezeID, Code: domain.CodeInternal}); s.Status != domain.FreezeEnded {
		t.Fatalf("lifting an ended freeze: %+v; want it left ended", s)
	}
}

// A freeze ends by itself once its end has come; one that cannot be carried through is lifted, and
// the owner told; one of a closed account is refused.
func TestFreezeSteps_DueEndLiftAndRefusal(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	admin := newAdmin(t, f.store)
	alice := newCustomer(t, f.store, "USD")

	soon := time.Now().Add(2 * time.Second)
	ref := recordFreeze(t, f, admin, alice, domain.FreezeDebit, &soon)
	f.freezeState(f.acts.ApplyFreeze, ref)
	if s := f.freezeState(f.acts.EndDueFreeze, ref); s.Status != domain.FreezeActive {
		t.Fatalf("before its end: %+v; want active", s)
	}
	time.Sleep(time.Until(soon) + 100*time.Millisecond)
	if s := f.freezeState(f.acts.EndDueFreeze, ref); s.Status != domain.FreezeEnded || s.EndedBy != "" {
		t.Fatalf("after its end: %+v; want ended by itself", s)
	}
	if err := f.twice(f.acts.RecordFreezeEvent, activities.FreezeEventInput{FreezeID: ref.FreezeID, Status: domain.FreezeEnded}); err != nil {
		t.Fatal(err)
	}

	lifted := recordFreeze(t, f, admin, alice, domain.FreezeFull, nil)
	f.freezeState(f.acts.ApplyFreeze, lifted)
	if s := f.freezeState(f.acts.LiftFreeze, activities.LiftFreezeInput{FreezeID: lifted.FreezeID, Code: domain.CodeInternal}); s.Status != domain.FreezeFailed || s.FailureCode != domain.CodeInternal {
		t.Fatalf("lifted: %+v", s)
	}
	if a, _ := f.store.GetAccount(ctx, alice.account.ID); a.Status != domain.AccountActive {
		t.Fatalf("account %s after the lift; want active", a.Status)
	}
	if err := f.twice(f.acts.RecordFreezeEvent, activities.FreezeEventInput{FreezeID: lifted.FreezeID, Status: domain.FreezeFailed}); err != nil {
		t.Fatal(err)
	}
	if n := f.count("audit_events", bson.D{{Key: "type", Value: audit.EventFreezeFailed}}); n != 1 {
		t.Fatalf("%d freeze_failed events; want 1", n)
	}
	if err := f.twice(f.acts.RecordFreezeEvent, activities.FreezeEventInput{FreezeID: lifted.FreezeID, Status: domain.FreezeEnded}); err == nil {
		t.Fatal("an ended event of a failed freeze was recorded")
	}

	closed := recordFreeze(t, f, admin, alice, domain.FreezeFull, nil)
	if _, err := f.store.SetAccountStatus(ctx, db.SetAccountStatusParams{ID: alice.account.ID, Status: domain.AccountClosed}); err != nil {
		t.Fatal(err)
	}
	_, err := f.env.ExecuteActivity(f.acts.ApplyFreeze, closed)
	requireRefusal(t, err, domain.CodeAccountNotActive)
}
