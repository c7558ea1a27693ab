package activities_test

import (
	"context"
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/google/uuid"
	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/bankforge/bank/activities"
	"github.com/bankforge/bank/db"
	"github.com/bankforge/bank/domain"
)

func newAdmin(t *testing.T, s *db.Store) db.User {
	t.Helper()
	id := uuid.New()
	u, err := s.InsertUser(context.Background(), db.InsertUserParams{Status: domain.UserActive, ID: id, Email: id.String() + "@bank.example", PasswordHash: "h", FullName: "A", Role: domain.RoleAdmin})
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// Each step of an approved cash approval, run twice, has one effect: one transfer, one audit event
// per status.
func TestCashApprovalSteps_RunTwiceHaveOneEffect(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	requester, approver := newAdmin(t, f.store), newAdmin(t, f.store)
	alice := newCustomer(t, f.store, "USD")
	cash, err := f.store.GetCashAccount(ctx, db.GetCashAccountParams{Kind: domain.AccountCash, Currency: "USD"})
	if err != nil {
		t.Fatal(err)
	}
	id := uuid.New()
	rec, err := f.store.RecordCashRequestTx(ctx, db.CashRequest{
		ID: id, Kind: domain.KindWithdrawal, Account: alice.account, Cash: cash, Amount: 5_000, RequestedBy: requester.ID,
		NeedsApproval: true, ApprovalWorkflowID: "cash-approval-" + id.String(), ApprovalTTL: time.Hour,
		DailyLimit: 1_000_000, DayStart: time.Now().UTC().Truncate(24 * time.Hour),
	})
	if err != nil {
		t.Fatal(err)
	}
	ref := activities.CashApprovalRef{ApprovalID: rec.Approval.ID.String()}
	requested := activities.CashApprovalEventInput{ApprovalID: ref.ApprovalID, Status: domain.ApprovalPending}
	if err := f.twice(f.acts.RecordCashApprovalEvent, requested); err != nil {
		t.Fatal(err)
	}

	var state activities.CashApprovalState
	v, err := f.env.ExecuteActivity(f.acts.SettleCashApproval, ref)
	if err != nil || v.Get(&state) != nil || state.Status != domain.ApprovalPending {
		t.Fatalf("settled before a decision and before the expiry: %+v, %v", state, err)
	}
	if _, err := f.store.DecideCashApproval(ctx, db.DecideCashApprovalParams{ID: rec.Approval.ID, Decision: domain.ApprovalApproved, AdminID: approver.ID, Pending: domain.ApprovalPending}); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		v, err := f.env.ExecuteActivity(f.acts.SettleCashApproval, ref)
		if err != nil || v.Get(&state) != nil || state.Status != domain.ApprovalApproved {
			t.Fatalf("settled after the approval: %+v, %v", state, err)
		}
	}

	transferID := uuid.NewString()
	in := activities.RecordApprovedCashTransferInput{ApprovalID: ref.ApprovalID, TransferID: transferID, WorkflowID: "transfer-" + transferID}
	var got [2]activities.ApprovedCashTransfer
	for i := range got {
		v, err := f.env.ExecuteActivity(f.acts.RecordApprovedCashTransfer, in)
		if err != nil {
			t.Fatal(err)
		}
		if err := v.Get(&got[i]); err != nil {
			t.Fatal(err)
		}
	}
	want := activities.ApprovedCashTransfer{
		TransferID: transferID, Kind: domain.KindWithdrawal, FromAccountID: alice.account.ID.String(), ToAccountID: cash.ID.String(),
		FromAccountNumber: alice.account.Number, ToAccountNumber: cash.Number,
		UserIDs: []string{requester.ID.String(), alice.user.ID.String()}, Amount: 5_000, Currency: "USD", Exponent: 2,
	}
	if !reflect.DeepEqual(got[0], want) || !reflect.DeepEqual(got[1], want) {
		t.Fatalf("recorded %+v; want %+v twice", got, want)
	}
	var n int
	_ = f.store.Pool().QueryRow(ctx, "SELECT count(*) FROM transfers WHERE from_account_id = $1", alice.account.ID).Scan(&n)
	if n != 1 {
		t.Fatalf("%d transfers; want 1", n)
	}

	if err := f.twice(f.acts.RecordCashApprovalEvent, activities.CashApprovalEventInput{ApprovalID: ref.ApprovalID, Status: domain.ApprovalApproved, RequestID: "req-approve-1"}); err != nil {
		t.Fatal(err)
	}
	for status, user := range map[string]uuid.UUID{"requested": requester.ID, "approved": approver.ID} {
		if c := f.count("audit_events", bson.D{{Key: "subject", Value: ref.ApprovalID}, {Key: "type", Value: "cash_approval." + status}, {Key: "actor_id", Value: user.String()}}); c != 1 {
			t.Fatalf("%d %s events by %s; want 1", c, status, user)
		}
	}
	// The requesting admin's operation ended, told once, with the transfer it started; the
	// approver and the owner started no operation.
	var op activities.OperationEventData
	if got := userEvents(t, f, requester.ID); len(got) != 1 || got[0].Type != domain.EventOperationCompleted || json.Unmarshal(got[0].Data, &op) != nil ||
		op != (activities.OperationEventData{OperationID: ref.ApprovalID, Kind: domain.OperationCashApproval, Status: domain.OperationCompleted, TransferID: transferID}) {
		t.Fatalf("the requester's events %+v (%+v)", got, op)
	}
	if got := userEvents(t, f, approver.ID); len(got) != 0 {
		t.Fatalf("the approver's events %+v; want none", got)
	}
	// An event for a status the approval never reached is not written.
	if _, err := f.env.ExecuteActivity(f.acts.RecordCashApprovalEvent, activities.CashApprovalEventInput{ApprovalID: ref.ApprovalID, Status: domain.ApprovalRejected}); err == nil {
		t.Fatal("a rejection event was written for an approved approval")
	}
}
