package e2e

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"go.temporal.io/api/workflowservice/v1"

	"github.com/bankforge/bank/dev/bankclient"
	"github.com/bankforge/bank/domain"
	"github.com/bankforge/bank/workflows"
)

// staffNote returns a note for a freeze that no workflow history may carry.
func staffNote() string {
	n := "staff-only note " + uuid.NewString()
	addSecret(n)
	return n
}

// freezeAccount freezes an account as the admin and returns the freeze's operation.
func freezeAccount(t *testing.T, adm *bankclient.Client, accountID string, body map[string]any) bankclient.Operation {
	t.Helper()
	var op bankclient.Operation
	resp, err := adm.JSON(context.Background(), "POST", "/v1/admin/accounts/"+accountID+"/freeze", body,
		http.Header{"Idempotency-Key": {"freeze-" + uuid.NewString()}}, &op)
	if err != nil || resp.Status != http.StatusAccepted || op.Kind != domain.OperationFreeze || resp.Header.Get("Location") != "/v1/operations/"+op.ID {
		t.Fatalf("freeze: %+v, %v", op, err)
	}
	return op
}

type staffFreeze struct {
	ID      string              `json:"id"`
	Status  domain.FreezeStatus `json:"status"`
	Note    string              `json:"note"`
	EndedBy *string             `json:"ended_by"`
}

// currentFreeze reads the account's freeze in force, or being applied, as staff see it.
func currentFreeze(t *testing.T, adm *bankclient.Client, accountID string) *staffFreeze {
	t.Helper()
	var detail struct {
		Freeze *staffFreeze `json:"freeze"`
	}
	if _, err := adm.JSON(context.Background(), "GET", "/v1/admin/accounts/"+accountID, nil, nil, &detail); err != nil {
		t.Fatal(err)
	}
	return detail.Freeze
}

// eventually polls cond until it holds or d passes.
func eventually(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("after %s: %s", d, what)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

type ownerAccount struct {
	Status       domain.AccountStatus `json:"status"`
	Balance      int64                `json:"balance"`
	FreezeReason *string              `json:"freeze_reason"`
	FrozenUntil  *time.Time           `json:"frozen_until"`
}

func ownerView(t *testing.T, c customer) ownerAccount {
	t.Helper()
	var a ownerAccount
	if _, err := c.c.JSON(context.Background(), "GET", "/v1/accounts/"+c.account.ID, nil, nil, &a); err != nil {
		t.Fatal(err)
	}
	return a
}

// A freeze with an end, through the real stack: it lands among transfers in flight (each ends
// completed, or refused with account_frozen and nothing moved), the owner sees the account frozen and
// a transfer out refused at once, operators find the freeze by its search attributes and query its
// state. Then the worker and the API are killed while the freeze waits; its end passes with no worker
// running (the account stays frozen), and once the worker is back the durable timer's task unfreezes
// the account by itself, and the owner is told twice, never with the staff's note.
func TestFreeze_TimerSurvivesAWorkerAndAPIRestart(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	alice, bob := register(t, "USD"), register(t, "USD")
	depositTo(t, alice.account, 100_00)
	adm := admin(t)
	note := staffNote()

	var wg sync.WaitGroup
	ids := make(chan string, 20)
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 5 {
				tr, _, err := alice.c.Transfer(ctx, alice.account.ID, bob.account.ID, 1_00, "USD", "inflight-"+uuid.NewString())
				var apiErr *bankclient.Error
				if errors.As(err, &apiErr) && apiErr.Status == http.StatusConflict && strings.Contains(apiErr.Body, string(domain.CodeAccountFrozen)) {
					continue // refused at once: the freeze came first
				} else if err != nil {
					t.Errorf("transfer: %v", err)
					return
				}
				ids <- tr.ID
			}
		}()
	}
	time.Sleep(100 * time.Millisecond)
	until := time.Now().Add(30 * time.Second).UTC().Truncate(time.Second)
	op := freezeAccount(t, adm, alice.account.ID, map[string]any{"reason": "suspected_fraud", "note": note, "until": until.Format(time.RFC3339)})
	wg.Wait()
	close(ids)
	eventually(t, 30*time.Second, "the freeze is not in force", func() bool {
		f := currentFreeze(t, adm, alice.account.ID)
		return f != nil && f.ID == op.ID && f.Status == domain.FreezeActive && f.Note == note
	})

	completed := int64(0)
	for id := range ids {
		tr := waitTransfer(t, alice.c, id)
		switch {
		case tr.Status == domain.TransferCompleted:
			completed++
		case tr.FailureCode != nil && *tr.FailureCode == domain.CodeAccountFrozen:
		default:
			t.Fatalf("transfer %s ended %s (%v); want completed, or refused by the freeze", id, tr.Status, tr.FailureCode)
		}
	}
	view := ownerView(t, alice)
	if view.Status != domain.AccountFrozen || view.FreezeReason == nil || *view.FreezeReason != "suspected_fraud" || view.FrozenUntil == nil ||
		!view.FrozenUntil.Equal(until) || view.Balance != 100_00-completed*1_00 {
		t.Fatalf("the owner's view: %+v after %d transfers completed", view, completed)
	}
	if _, resp, err := alice.c.Transfer(ctx, alice.account.ID, bob.account.ID, 1_00, "USD", "after-"+uuid.NewString()); err == nil || resp.Status != http.StatusConflict {
		t.Fatalf("a transfer out of the frozen account: %v; want 409 account_frozen", err)
	}

	// Operators find it by account and reason, with its end, and ask its state.
	wfID := workflows.FreezeWorkflowID(alice.account.ID, 1)
	eventually(t, 30*time.Second, "the freeze is not found by its search attributes", func() bool {
		res, err := sys.Temporal.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{Query: fmt.Sprintf(
			`BankKind = "freeze" AND BankAccountIds = %q AND BankFreezeReason = "suspected_fraud" AND BankFreezeStatus = "active" AND BankFreezeUntil BETWEEN %q AND %q`,
			alice.account.ID, until.Add(-time.Second).Format(time.RFC3339), until.Add(time.Second).Format(time.RFC3339))})
		return err == nil && len(res.GetExecutions()) == 1 && res.GetExecutions()[0].GetExecution().GetWorkflowId() == wfID
	})
	v, err := sys.Temporal.QueryWorkflow(ctx, wfID, "", workflows.FreezeStateQuery)
	var state workflows.FreezeState
	if err != nil || v.Get(&state) != nil || state.Status != domain.FreezeActive || state.Until == nil || !state.Until.Equal(until) {
		t.Fatalf("state query: %+v, %v", state, err)
	}

	// The worker and the API die while the freeze waits; its end passes with nobody to act on it.
	restartWorker, err := sys.Stack.Kill("worker")
	if err != nil {
		t.Fatal(err)
	}
	restartAPI, err := sys.Stack.Kill("api")
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(time.Until(until) + 3*time.Second)
	var status domain.AccountStatus
	if err := sys.Store.Pool().QueryRow(ctx, "SELECT status FROM accounts WHERE id = $1", alice.account.ID).Scan(&status); err != nil || status != domain.AccountFrozen {
		t.Fatalf("account %s (%v) past the end with no worker; want still frozen", status, err)
	}
	if err := restartAPI(); err != nil {
		t.Fatalf("restart api: %v", err)
	}
	if err := restartWorker(); err != nil {
		t.Fatalf("restart worker: %v", err)
	}
	eventually(t, 60*time.Second, "the api is not back", func() bool {
		resp, err := sys.API.Do(ctx, "GET", "/readyz", nil, nil)
		return err == nil && resp.Status == http.StatusOK
	})

	eventually(t, 60*time.Second, "the account is not unfrozen by the timer", func() bool {
		a := ownerView(t, alice)
		return a.Status == domain.AccountActive && a.FreezeReason == nil && a.FrozenUntil == nil
	})
	done, err := adm.WaitOperation(ctx, op.ID)
	var result workflows.FreezeState
	if err != nil || done.Status != domain.OperationCompleted || json.Unmarshal(done.Result, &result) != nil ||
		result.Status != domain.FreezeEnded || result.EndedBy != "" || result.FrozenAt == nil {
		t.Fatalf("the freeze's operation: %+v (%s), %v", done, done.Result, err)
	}
	if tr, _, err := alice.c.Transfer(ctx, alice.account.ID, bob.account.ID, 1_00, "USD", "unfrozen-"+uuid.NewString()); err != nil || waitTransfer(t, alice.c, tr.ID).Status != domain.TransferCompleted {
		t.Fatalf("a transfer after the end: %v", err)
	}

	var notes struct {
		Items []struct {
			Kind        domain.NotificationKind
			Title, Body string
		} `json:"items"`
	}
	eventually(t, 30*time.Second, "the owner is not told twice", func() bool {
		if _, err := alice.c.JSON(ctx, "GET", "/v1/me/notifications", nil, nil, &notes); err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, it := range notes.Items {
			if it.Kind != domain.NotificationAccountFrozen && it.Kind != domain.NotificationAccountUnfrozen {
				continue
			}
			n++
			if strings.Contains(it.Body, note) || (it.Title == "Account frozen" && !strings.Contains(it.Body, "suspected_fraud")) {
				t.Fatalf("the owner reads %q: want the reason's code, never the staff's note", it.Body)
			}
		}
		return n == 2
	})
	for _, typ := range []string{"account.frozen", "account.unfrozen"} {
		var events struct {
			Items []struct{ Subject string } `json:"items"`
		}
		if _, err := adm.JSON(ctx, "GET", "/v1/admin/audit-events?type="+typ, nil, nil, &events); err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, e := range events.Items {
			if e.Subject == op.ID {
				n++
			}
		}
		if n != 1 {
			t.Fatalf("%d %s events for the freeze; want 1", n, typ)
		}
	}
	requireLedgerOK(t)
}

// A debit freeze without an end lets money in and none out until an admin unfreezes the account;
// freezing it again, or unfreezing an active account, changes nothing; the next freeze is the
// account's second.
func TestFreeze_DebitScopeUntilAnAdminUnfreezes(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	alice, bob := register(t, "USD"), register(t, "USD")
	depositTo(t, alice.account, 50_00)
	depositTo(t, bob.account, 50_00)
	adm := admin(t)

	op := freezeAccount(t, adm, bob.account.ID, map[string]any{"reason": "customer_request", "scope": "debit"})
	eventually(t, 30*time.Second, "the freeze is not in force", func() bool {
		f := currentFreeze(t, adm, bob.account.ID)
		return f != nil && f.Status == domain.FreezeActive
	})
	if resp, err := adm.Do(ctx, "POST", "/v1/admin/accounts/"+bob.account.ID+"/freeze", map[string]any{"reason": "legal_order"},
		http.Header{"Idempotency-Key": {"freeze-" + uuid.NewString()}}); err != nil || resp.Status != http.StatusConflict || !strings.Contains(string(resp.Body), "already_frozen") {
		t.Fatalf("freezing a frozen account: %v", err)
	}
	in, _, err := alice.c.Transfer(ctx, alice.account.ID, bob.account.ID, 10_00, "USD", "in-"+uuid.NewString())
	if err != nil || waitTransfer(t, alice.c, in.ID).Status != domain.TransferCompleted {
		t.Fatalf("money into an account under a debit freeze: %v", err)
	}
	if _, resp, err := bob.c.Transfer(ctx, bob.account.ID, alice.account.ID, 1_00, "USD", "out-"+uuid.NewString()); err == nil || resp.Status != http.StatusConflict {
		t.Fatalf("money out of an account under a debit freeze: %v; want 409", err)
	}

	var ended staffFreeze
	if _, err := adm.JSON(ctx, "POST", "/v1/admin/accounts/"+bob.account.ID+"/unfreeze", map[string]any{"note": "the customer asked"}, nil, &ended); err != nil ||
		ended.ID != op.ID || ended.Status != domain.FreezeEnded || ended.EndedBy == nil {
		t.Fatalf("unfreeze: %+v, %v", ended, err)
	}
	done, err := adm.WaitOperation(ctx, op.ID)
	var result workflows.FreezeState
	if err != nil || done.Status != domain.OperationCompleted || json.Unmarshal(done.Result, &result) != nil || result.EndedBy != *ended.EndedBy {
		t.Fatalf("the freeze's operation: %+v (%s), %v", done, done.Result, err)
	}
	if resp, err := adm.Do(ctx, "POST", "/v1/admin/accounts/"+bob.account.ID+"/unfreeze", map[string]any{"note": "again"}, nil); err != nil ||
		resp.Status != http.StatusConflict || !strings.Contains(string(resp.Body), "not_frozen") {
		t.Fatalf("unfreezing an active account: %v", err)
	}
	if a := ownerView(t, bob); a.Status != domain.AccountActive || a.Balance != 60_00 {
		t.Fatalf("bob after the unfreeze: %+v", a)
	}

	second := freezeAccount(t, adm, bob.account.ID, map[string]any{"reason": "legal_order", "note": staffNote()})
	eventually(t, 30*time.Second, "the second freeze is not in force", func() bool {
		f := currentFreeze(t, adm, bob.account.ID)
		return f != nil && f.ID == second.ID && f.Status == domain.FreezeActive
	})
	if _, err := sys.Temporal.DescribeWorkflow(ctx, workflows.FreezeWorkflowID(bob.account.ID, 2), ""); err != nil {
		t.Fatalf("the second freeze's workflow: %v", err)
	}
	var history struct {
		Items []staffFreeze `json:"items"`
	}
	if _, err := adm.JSON(ctx, "GET", "/v1/admin/accounts/"+bob.account.ID+"/freezes", nil, nil, &history); err != nil ||
		len(history.Items) != 2 || history.Items[0].ID != second.ID || history.Items[1].Status != domain.FreezeEnded {
		t.Fatalf("history: %+v, %v", history.Items, err)
	}
	if _, err := adm.JSON(ctx, "POST", "/v1/admin/accounts/"+bob.account.ID+"/unfreeze", map[string]any{"note": "done"}, nil, nil); err != nil {
		t.Fatalf("unfreeze the second: %v", err)
	}
	requireLedgerOK(t)
}
