package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/google/uuid"
	"go.temporal.io/api/workflowservice/v1"

	"github.com/bankforge/bank/dev/bankclient"
	"github.com/bankforge/bank/domain"
	"github.com/bankforge/bank/internal/bootstrap"
	"github.com/bankforge/bank/internal/password"
	"github.com/bankforge/bank/workflows"
)

// A deposit at the approval threshold (10,000.00 USD by default) waits for a second admin: nothing
// moves until another admin approves it from the queue; then the requester's operation completes
// with the deposit's transfer, the money arrives once, and approving again moves nothing more. A
// rejected withdrawal fails its operation and moves nothing.
func TestCashApproval_SecondAdminApprovesAndMoneyMovesOnce(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	alice := register(t, "USD")
	requester := admin(t)
	email, pw := "checker-"+uuid.NewString()[:8]+"@e2e.test", "second-Admin-pass-"+uuid.NewString()[:8]
	addSecret(pw)
	if _, err := bootstrap.EnsureAdmin(ctx, sys.Store, password.NewHasher(password.DefaultParams), email, pw); err != nil {
		t.Fatal(err)
	}
	tok, err := sys.API.Login(ctx, email, pw)
	if err != nil {
		t.Fatalf("second admin login: %v", err)
	}
	approver := sys.API.As(tok.AccessToken)

	var op bankclient.Operation
	resp, err := requester.JSON(ctx, "POST", "/v1/admin/accounts/"+alice.account.ID+"/deposits",
		map[string]any{"amount": "10000.00", "currency": "USD", "description": "large cash"},
		http.Header{"Idempotency-Key": {"large-" + uuid.NewString()}}, &op)
	if err != nil || resp.Status != http.StatusAccepted || op.Kind != domain.OperationCashApproval || op.Status != domain.OperationRunning ||
		resp.Header.Get("Location") != "/v1/operations/"+op.ID {
		t.Fatalf("large deposit: %+v, %v", op, err)
	}
	if a := balanceOf(t, alice.c, alice.account.ID); a.Balance != 0 {
		t.Fatalf("balance %d before any approval; want 0", a.Balance)
	}
	if r, _ := requester.Do(ctx, "POST", "/v1/admin/cash-approvals/"+op.ID+"/approve", nil, nil); r.Status != http.StatusForbidden {
		t.Fatalf("the requester approves their own request: %d %s; want 403", r.Status, r.Body)
	}

	var queue struct {
		Items []struct {
			ID     string `json:"id"`
			Amount int64  `json:"amount"`
		} `json:"items"`
	}
	if _, err := approver.JSON(ctx, "GET", "/v1/admin/cash-approvals?limit=100", nil, nil, &queue); err != nil {
		t.Fatal(err)
	}
	found := false
	for _, it := range queue.Items {
		found = found || (it.ID == op.ID && it.Amount == 1_000_000)
	}
	if !found {
		t.Fatalf("the queue %+v lacks the request %s", queue.Items, op.ID)
	}
	approve := func() string {
		t.Helper()
		var ap struct{ Status string }
		if _, err := approver.JSON(ctx, "POST", "/v1/admin/cash-approvals/"+op.ID+"/approve", nil, nil, &ap); err != nil || ap.Status != "approved" {
			t.Fatalf("approve: %+v, %v", ap, err)
		}
		return ap.Status
	}
	approve()

	done, err := requester.WaitOperation(ctx, op.ID)
	if err != nil || done.Status != domain.OperationCompleted {
		t.Fatalf("the approval's operation ended %+v, %v", done, err)
	}
	var result struct {
		TransferID string `json:"transfer_id"`
	}
	if err := json.Unmarshal(done.Result, &result); err != nil || result.TransferID == "" {
		t.Fatalf("result %s: %v", done.Result, err)
	}
	tr := waitTransfer(t, requester, result.TransferID)
	if tr.Status != domain.TransferCompleted || tr.Kind != domain.KindDeposit || tr.Amount != 1_000_000 {
		t.Fatalf("the approved deposit: %+v", tr)
	}

	approve() // the approver's retry: the same answer, nothing more
	time.Sleep(2 * time.Second)
	runs, err := sys.Temporal.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{
		Query: fmt.Sprintf("WorkflowId = %q", workflows.CashApprovalWorkflowID(op.ID)),
	})
	if err != nil || len(runs.GetExecutions()) != 1 {
		t.Fatalf("%d runs of the approval's workflow (%v); want 1: telling a closed workflow starts no new run", len(runs.GetExecutions()), err)
	}
	if a := balanceOf(t, alice.c, alice.account.ID); a.Balance != 1_000_000 {
		t.Fatalf("balance %d; want 1000000, moved once", a.Balance)
	}
	var deposits int
	if err := sys.Store.Pool().QueryRow(ctx, "SELECT count(*) FROM transfers WHERE to_account_id = $1", alice.account.ID).Scan(&deposits); err != nil || deposits != 1 {
		t.Fatalf("%d transfers into the account (%v); want 1", deposits, err)
	}

	// Rejected: the operation fails with the refusal's code, and nothing moves.
	resp, err = requester.JSON(ctx, "POST", "/v1/admin/accounts/"+alice.account.ID+"/withdrawals",
		map[string]any{"amount": "10000.00", "currency": "USD"}, http.Header{"Idempotency-Key": {"large-" + uuid.NewString()}}, &op)
	if err != nil || resp.Status != http.StatusAccepted || op.Kind != domain.OperationCashApproval {
		t.Fatalf("large withdrawal: %+v, %v", op, err)
	}
	if _, err := approver.JSON(ctx, "POST", "/v1/admin/cash-approvals/"+op.ID+"/reject", nil, nil, nil); err != nil {
		t.Fatalf("reject: %v", err)
	}
	done, err = requester.WaitOperation(ctx, op.ID)
	var problem struct{ Code domain.Code }
	_ = json.Unmarshal(done.Error, &problem)
	if err != nil || done.Status != domain.OperationFailed || problem.Code != domain.CodeApprovalRejected {
		t.Fatalf("the rejected withdrawal's operation: %+v, %v", done, err)
	}
	if a := balanceOf(t, alice.c, alice.account.ID); a.Balance != 1_000_000 {
		t.Fatalf("balance %d after a rejected withdrawal; want 1000000", a.Balance)
	}
	requireLedgerOK(t)
}
