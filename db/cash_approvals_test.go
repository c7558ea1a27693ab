package db_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/bankforge/bank/db"
	"github.com/bankforge/bank/dev/testenv"
	"github.com/bankforge/bank/domain"
)

func newAdmin(t *testing.T, s *db.Store) db.User {
	t.Helper()
	id := uuid.New()
	u, err := s.InsertUser(context.Background(), db.InsertUserParams{Status: domain.UserActive,
		ID: id, Email: id.String() + "@bank.example", PasswordHash: "x", FullName: "Admin", Role: domain.RoleAdmin,
	})
	if err != nil {
		t.Fatalf("create admin: %v", err)
	}
	return u
}

// cashRequest is a deposit of amount into account by admin, needing approval or not, within limit.
func cashRequest(t *testing.T, s *db.Store, admin db.User, account db.Account, amount int64, needsApproval bool, limit int64) db.CashRequest {
	t.Helper()
	cash, err := s.GetCashAccount(context.Background(), db.GetCashAccountParams{Kind: domain.AccountCash, Currency: account.Currency})
	if err != nil {
		t.Fatal(err)
	}
	id := uuid.New()
	return db.CashRequest{
		ID: id, Kind: domain.KindDeposit, Account: account, Cash: cash, Amount: amount, RequestedBy: admin.ID,
		NeedsApproval: needsApproval, TransferWorkflowID: "transfer-" + id.String(), ApprovalWorkflowID: "cash-approval-" + id.String(),
		ApprovalTTL: time.Hour, DailyLimit: limit, DayStart: time.Now().UTC().Truncate(24 * time.Hour),
	}
}

func requestApproval(t *testing.T, s *db.Store, admin db.User, account db.Account, amount int64, ttl time.Duration) db.CashApproval {
	t.Helper()
	req := cashRequest(t, s, admin, account, amount, true, 1_000_000)
	req.ApprovalTTL = ttl
	rec, err := s.RecordCashRequestTx(context.Background(), req)
	if err != nil || rec.Approval == nil {
		t.Fatalf("request approval: %+v, %v", rec, err)
	}
	return *rec.Approval
}

// Twenty requests of 10 at once by one admin with a daily limit of 100, half of them needing
// approval: exactly ten are recorded, the others refused with nothing written.
func TestCashRequest_DailyLimitHoldsUnderConcurrency(t *testing.T) {
	t.Parallel()
	s := testenv.NewStore(t)
	admin := newAdmin(t, s)
	account := newAccount(t, s, newUser(t, s), "USD")
	var wg sync.WaitGroup
	var mu sync.Mutex
	recorded, refused := 0, 0
	for i := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := s.RecordCashRequestTx(context.Background(), cashRequest(t, s, admin, account, 10, i%2 == 0, 100))
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				recorded++
			case errors.Is(err, domain.ErrDailyLimitExceeded):
				refused++
			default:
				t.Errorf("request %d: %v", i, err)
			}
		}()
	}
	wg.Wait()
	if recorded != 10 || refused != 10 {
		t.Fatalf("%d recorded, %d refused; want 10 and 10", recorded, refused)
	}
	var transfers, approvals int
	_ = s.Pool().QueryRow(context.Background(), "SELECT count(*) FROM transfers WHERE initiated_by = $1", admin.ID).Scan(&transfers)
	_ = s.Pool().QueryRow(context.Background(), "SELECT count(*) FROM cash_approvals WHERE requested_by = $1", admin.ID).Scan(&approvals)
	if transfers+approvals != 10 {
		t.Fatalf("%d transfers and %d approvals written; want 10 in all", transfers, approvals)
	}
	// Another admin has a day of their own.
	if _, err := s.RecordCashRequestTx(context.Background(), cashRequest(t, s, newAdmin(t, s), account, 100, false, 100)); err != nil {
		t.Fatalf("another admin: %v", err)
	}
}

// The same id records once: a retry returns what the first recorded, even once the limit is spent,
// and a different request under that id is refused.
func TestCashRequest_OneIDOneRecord(t *testing.T) {
	t.Parallel()
	s := testenv.NewStore(t)
	admin := newAdmin(t, s)
	account := newAccount(t, s, newUser(t, s), "USD")
	for _, needsApproval := range []bool{false, true} {
		req := cashRequest(t, s, admin, account, 50, needsApproval, 100)
		first, err := s.RecordCashRequestTx(context.Background(), req)
		if err != nil {
			t.Fatal(err)
		}
		again, err := s.RecordCashRequestTx(context.Background(), req)
		if err != nil {
			t.Fatalf("retry (approval %v): %v", needsApproval, err)
		}
		if needsApproval {
			if again.Approval == nil || again.Approval.ID != first.Approval.ID || again.Operation.ID != first.Operation.ID {
				t.Fatalf("retry recorded %+v; want %+v", again, first)
			}
			if first.Operation.UserID == nil || *first.Operation.UserID != admin.ID || first.Operation.Kind != domain.OperationCashApproval {
				t.Fatalf("operation %+v is not the requesting admin's cash approval", first.Operation)
			}
		} else if again.Transfer == nil || again.Transfer.ID != first.Transfer.ID {
			t.Fatalf("retry recorded %+v; want %+v", again, first)
		}
		req.Amount = 1
		if _, err := s.RecordCashRequestTx(context.Background(), req); !errors.Is(err, db.ErrIDReused) {
			t.Fatalf("another request under the same id: %v; want ErrIDReused", err)
		}
	}
}

// An approval is decided once, by an admin who neither asked for it nor owns its account; a
// rejected or expired approval no longer counts toward the daily limit.
func TestCashApproval_DecidedOnceByAnIndependentAdmin(t *testing.T) {
	t.Parallel()
	s := testenv.NewStore(t)
	ctx := context.Background()
	requester, approver, third, owner := newAdmin(t, s), newAdmin(t, s), newAdmin(t, s), newAdmin(t, s)
	account := newAccount(t, s, owner, "USD")
	ap := requestApproval(t, s, requester, account, 60, time.Hour)

	decide := func(by db.User, decision domain.CashApprovalStatus) error {
		_, err := s.DecideCashApproval(ctx, db.DecideCashApprovalParams{ID: ap.ID, Decision: decision, AdminID: by.ID, Pending: domain.ApprovalPending})
		return db.NotFound(err)
	}
	for name, by := range map[string]db.User{"the requester": requester, "the owner": owner} {
		if err := decide(by, domain.ApprovalApproved); !errors.Is(err, db.ErrNotFound) {
			t.Fatalf("%s approved: %v; want no row", name, err)
		}
	}
	// 60 of 100 used: 50 more is over the limit while the approval is pending.
	if _, err := s.RecordCashRequestTx(ctx, cashRequest(t, s, requester, account, 50, false, 100)); !errors.Is(err, domain.ErrDailyLimitExceeded) {
		t.Fatalf("over the limit with a pending approval: %v", err)
	}
	if err := decide(approver, domain.ApprovalRejected); err != nil {
		t.Fatalf("the approver rejects: %v", err)
	}
	if err := decide(third, domain.ApprovalApproved); !errors.Is(err, db.ErrNotFound) {
		t.Fatalf("a second decision: %v; want no row", err)
	}
	if got, _ := s.GetCashApproval(ctx, ap.ID); got.Status != domain.ApprovalRejected || *got.DecidedBy != approver.ID {
		t.Fatalf("approval %+v; want rejected by the approver", got)
	}
	if _, err := s.RecordCashRequestTx(ctx, cashRequest(t, s, requester, account, 50, false, 100)); err != nil {
		t.Fatalf("the rejected approval still counts: %v", err)
	}

	// Expired: no decision is taken, and the expiry is recorded once.
	late := requestApproval(t, s, requester, account, 10, 500*time.Millisecond)
	if got, err := s.ExpireDueCashApproval(ctx, late.ID); err != nil || got.Status != domain.ApprovalPending {
		t.Fatalf("before its expiry: %+v, %v", got, err)
	}
	time.Sleep(600 * time.Millisecond)
	ap = late
	if err := decide(approver, domain.ApprovalApproved); !errors.Is(err, db.ErrNotFound) {
		t.Fatalf("approving an expired approval: %v; want no row", err)
	}
	for range 2 {
		if got, err := s.ExpireDueCashApproval(ctx, late.ID); err != nil || got.Status != domain.ApprovalExpired || got.DecidedBy != nil {
			t.Fatalf("after its expiry: %+v, %v", got, err)
		}
	}
}

// The transfer of an approved approval is recorded once, however many times the step runs, and
// never for an approval that is not approved.
func TestCashApproval_ApprovedTransferRecordedOnce(t *testing.T) {
	t.Parallel()
	s := testenv.NewStore(t)
	ctx := context.Background()
	requester, approver := newAdmin(t, s), newAdmin(t, s)
	account := newAccount(t, s, newUser(t, s), "USD")
	ap := requestApproval(t, s, requester, account, 500, time.Hour)
	transferID := uuid.New()
	if _, err := s.RecordApprovedCashTransferTx(ctx, ap.ID, transferID, "transfer-"+transferID.String()); !errors.Is(err, db.ErrNotApproved) {
		t.Fatalf("a pending approval's transfer: %v; want ErrNotApproved", err)
	}
	if _, err := s.DecideCashApproval(ctx, db.DecideCashApprovalParams{ID: ap.ID, Decision: domain.ApprovalApproved, AdminID: approver.ID, Pending: domain.ApprovalPending}); err != nil {
		t.Fatal(err)
	}
	var ids []uuid.UUID
	for range 2 {
		tr, err := s.RecordApprovedCashTransferTx(ctx, ap.ID, transferID, "transfer-"+transferID.String())
		if err != nil {
			t.Fatal(err)
		}
		if tr.Kind != domain.KindDeposit || tr.ToAccountID != account.ID || tr.Amount != 500 || tr.InitiatedBy != requester.ID || tr.Status != domain.TransferPending {
			t.Fatalf("transfer %+v", tr)
		}
		ids = append(ids, tr.ID)
	}
	var n int
	_ = s.Pool().QueryRow(ctx, "SELECT count(*) FROM transfers WHERE to_account_id = $1", account.ID).Scan(&n)
	got, _ := s.GetCashApproval(ctx, ap.ID)
	if ids[0] != transferID || ids[1] != transferID || n != 1 || got.TransferID == nil || *got.TransferID != transferID {
		t.Fatalf("transfers %v (%d rows), linked %v; want one, %s", ids, n, got.TransferID, transferID)
	}
}

// What no code path may do, the database refuses, even to a raw statement of the application's role.
func TestCashApproval_DatabaseRefusesWhatNoCodePathMayDo(t *testing.T) {
	t.Parallel()
	s := testenv.NewStore(t)
	ctx := context.Background()
	requester, approver, client := newAdmin(t, s), newAdmin(t, s), newUser(t, s)
	owner := newAdmin(t, s)
	account := newAccount(t, s, owner, "USD")
	pending := requestApproval(t, s, requester, account, 70, time.Hour)
	decided := requestApproval(t, s, requester, account, 80, time.Hour)
	if _, err := s.DecideCashApproval(ctx, db.DecideCashApprovalParams{ID: decided.ID, Decision: domain.ApprovalRejected, AdminID: approver.ID, Pending: domain.ApprovalPending}); err != nil {
		t.Fatal(err)
	}
	transfer := newTransfer(t, s, domain.KindTransfer, client.ID, account, newAccount(t, s, client, "USD"), 1)
	exec := func(sql string, args ...any) error {
		return pgx.BeginFunc(ctx, s.Pool(), func(tx pgx.Tx) error {
			_, err := tx.Exec(ctx, sql, args...)
			return err
		})
	}
	decideAs := "UPDATE cash_approvals SET status = 'approved', decided_by = $2, decided_at = now() WHERE id = $1"
	for _, c := range []struct {
		name, sql        string
		args             []any
		code, constraint string
	}{
		{"the requester decides", decideAs, []any{pending.ID, requester.ID}, checkViolation, "cash_approvals_four_eyes"},
		{"the account's owner decides", decideAs, []any{pending.ID, owner.ID}, checkViolation, "cash_approvals_decider_independent"},
		{"a client decides", decideAs, []any{pending.ID, client.ID}, checkViolation, "cash_approvals_decider_independent"},
		{"a decision without its decider", "UPDATE cash_approvals SET status = 'approved', decided_at = now() WHERE id = $1", []any{pending.ID}, checkViolation, "cash_approvals_decision"},
		{"a pending approval starts a transfer", "UPDATE cash_approvals SET transfer_id = $2 WHERE id = $1", []any{pending.ID, transfer.ID}, checkViolation, "cash_approvals_transfer_only_when_approved"},
		{"the amount changes", "UPDATE cash_approvals SET amount = amount + 1 WHERE id = $1", []any{pending.ID}, checkViolation, "cash_approvals_final"},
		{"the expiry moves", "UPDATE cash_approvals SET expires_at = expires_at + interval '1 day' WHERE id = $1", []any{pending.ID}, checkViolation, "cash_approvals_final"},
		{"a rejection becomes an approval", "UPDATE cash_approvals SET status = 'approved' WHERE id = $1", []any{decided.ID}, checkViolation, "cash_approvals_final"},
		{"the decider changes", "UPDATE cash_approvals SET decided_by = $2 WHERE id = $1", []any{decided.ID, owner.ID}, checkViolation, "cash_approvals_final"},
		{"an approval is deleted", "DELETE FROM cash_approvals WHERE id = $1", []any{decided.ID}, restrictViolation, "cash_approvals_no_delete"},
		{"a currency other than the account's", `INSERT INTO cash_approvals (id, kind, account_id, amount, currency, requested_by, workflow_id, expires_at)
			VALUES ($1, 'deposit', $2, 1, 'EUR', $3, $4, now() + interval '1 hour')`, []any{uuid.New(), account.ID, requester.ID, uuid.NewString()}, foreignKeyViolation, "cash_approvals_account_currency_fkey"},
	} {
		t.Run(c.name, func(t *testing.T) {
			requireCode(t, exec(c.sql, c.args...), c.code, c.constraint)
		})
	}
	if got, _ := s.GetCashApproval(ctx, pending.ID); got.Status != domain.ApprovalPending || got.Amount != 70 {
		t.Fatalf("the pending approval changed: %+v", got)
	}
}
