package e2e

import (
	"context"
	"encoding/json"
	"net/http"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/workflowservice/v1"

	"github.com/bankforge/bank/dev/bankclient"
	"github.com/bankforge/bank/domain"
	"github.com/bankforge/bank/workflows"
)

type customer struct {
	email, password string
	c               *bankclient.Client
	account         bankclient.Account
}

// registeredResult is what every completed registration answers, whether its email was new or taken.
const registeredResult = `{"next":"log_in"}`

// register signs a customer up through the API, as a person would, and logs them in.
func register(t *testing.T, currency string) customer {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	email := "c-" + uuid.NewString()[:8] + "@example.com"
	pw := "a-Long-passphrase-" + uuid.NewString()[:6]
	addSecret(pw)
	opID, err := sys.API.Register(ctx, email, pw, "Customer "+email, currency)
	if err != nil {
		t.Fatalf("register: %v", err)
	}
	op, err := sys.API.WaitOperation(ctx, opID)
	if err != nil || op.Status != domain.OperationCompleted {
		t.Fatalf("registration ended %s (%s): %v", op.Status, op.Error, err)
	}
	if string(op.Result) != registeredResult {
		t.Fatalf("registration result %s; want %s", op.Result, registeredResult)
	}
	tok, err := sys.API.Login(ctx, email, pw)
	if err != nil {
		t.Fatalf("login: %v", err)
	}
	c := sys.API.As(tok.AccessToken)
	accounts, err := c.Accounts(ctx)
	if err != nil || len(accounts) != 1 || accounts[0].Currency != currency {
		t.Fatalf("accounts after registration: %+v, %v", accounts, err)
	}
	return customer{email: email, password: pw, c: c, account: accounts[0]}
}

func admin(t *testing.T) *bankclient.Client {
	t.Helper()
	tok, err := sys.API.Login(context.Background(), sys.AdminEmail, sys.AdminPass)
	if err != nil {
		t.Fatalf("admin login: %v", err)
	}
	return sys.API.As(tok.AccessToken)
}

func depositTo(t *testing.T, a bankclient.Account, amount int64) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	adm := admin(t)
	tr, err := adm.Deposit(ctx, a.ID, amount, a.Currency, "dep-"+uuid.NewString())
	if err != nil {
		t.Fatalf("deposit: %v", err)
	}
	if got, err := adm.WaitTransfer(ctx, tr.ID, 5*time.Second); err != nil || got.Status != domain.TransferCompleted {
		t.Fatalf("deposit ended %s: %v", got.Status, err)
	}
}

func waitTransfer(t *testing.T, c *bankclient.Client, id string) bankclient.Transfer {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	tr, err := c.WaitTransfer(ctx, id, 5*time.Second)
	if err != nil {
		t.Fatalf("wait transfer: %v", err)
	}
	return tr
}

func balanceOf(t *testing.T, c *bankclient.Client, id string) bankclient.Account {
	t.Helper()
	a, err := c.Account(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func requireLedgerOK(t *testing.T) {
	t.Helper()
	report, err := sys.Store.CheckLedger(context.Background())
	if err != nil || !report.OK {
		t.Fatalf("ledger check: %+v, %v", report, err)
	}
}

func TestRegistration_LoginProfileAuditAndWorkflow(t *testing.T) {
	ctx := context.Background()
	c := register(t, "USD")
	var me struct {
		Email, Role, Status string
	}
	if _, err := c.c.JSON(ctx, "GET", "/v1/me", nil, nil, &me); err != nil {
		t.Fatal(err)
	}
	if me.Email != c.email || me.Role != "client" || me.Status != "active" {
		t.Fatalf("me = %+v", me)
	}
	// The registration's audit event is in MongoDB, read back through the admin endpoint.
	var events struct {
		Items []struct{ Type, Email string } `json:"items"`
	}
	if _, err := admin(t).JSON(ctx, "GET", "/v1/admin/audit-events?type=user.registered&email="+c.email, nil, nil, &events); err != nil {
		t.Fatal(err)
	}
	if len(events.Items) != 1 {
		t.Fatalf("registration audit events: %+v; want exactly one", events.Items)
	}
	// Registering the same email again reads like the first: accepted, then completed with the same
	// result. Nothing is created; the address's owner is told by email.
	addSecret("another-Passphrase-99")
	opID, err := sys.API.Register(ctx, strings.ToUpper(c.email), "another-Passphrase-99", "Again", "")
	if err != nil {
		t.Fatalf("second registration: %v; want it accepted", err)
	}
	op, err := sys.API.WaitOperation(ctx, opID)
	if err != nil || op.Status != domain.OperationCompleted || string(op.Result) != registeredResult {
		t.Fatalf("second registration ended %s with %s (%s): %v; want it to read like the first", op.Status, op.Result, op.Error, err)
	}
	var users, told int
	if err := sys.Store.Pool().QueryRow(ctx, "SELECT count(*) FROM users WHERE email = $1", c.email).Scan(&users); err != nil || users != 1 {
		t.Fatalf("%d users with the email (%v); want 1", users, err)
	}
	if err := sys.Store.Pool().QueryRow(ctx, "SELECT count(*) FROM emails e JOIN users u ON u.id = e.user_id WHERE u.email = $1 AND e.id = $2",
		c.email, "registration/"+opID+"/email_taken").Scan(&told); err != nil || told != 1 {
		t.Fatalf("%d emails telling the owner (%v); want 1", told, err)
	}
	if _, err := sys.API.Login(ctx, c.email, "another-Passphrase-99"); err == nil {
		t.Fatal("the second registration's password logs in")
	}
}

// Registrations of one email at once make one user; every one of them reads completed alike, and
// the owner is told of each of the others.
func TestRegistration_ConcurrentSameEmailMakesOneUser(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	email := "race-" + uuid.NewString()[:8] + "@example.com"
	var wg sync.WaitGroup
	results := make(chan string, 5)
	for range 5 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			opID, err := sys.API.Register(ctx, email, "a-Long-passphrase-race", "Race", "USD")
			if err != nil {
				results <- "refused: " + err.Error()
				return
			}
			op, err := sys.API.WaitOperation(ctx, opID)
			if err != nil {
				results <- "error: " + err.Error()
				return
			}
			results <- string(op.Status) + " " + string(op.Result)
		}()
	}
	wg.Wait()
	close(results)
	for r := range results {
		if r != string(domain.OperationCompleted)+" "+registeredResult {
			t.Fatalf("a registration ended %s; want every one completed with %s", r, registeredResult)
		}
	}
	var users, told int
	if err := sys.Store.Pool().QueryRow(ctx, "SELECT count(*) FROM users WHERE email = $1", email).Scan(&users); err != nil || users != 1 {
		t.Fatalf("%d users with the email (%v); want 1", users, err)
	}
	if err := sys.Store.Pool().QueryRow(ctx, "SELECT count(*) FROM emails e JOIN users u ON u.id = e.user_id WHERE u.email = $1 AND e.id LIKE '%/email_taken'",
		email).Scan(&told); err != nil || told != 4 {
		t.Fatalf("%d emails telling the owner of another registration (%v); want 4", told, err)
	}
}

func TestTransfer_DepositTransferHistoriesAndTemporal(t *testing.T) {
	ctx := context.Background()
	alice, bob := register(t, "USD"), register(t, "USD")
	depositTo(t, alice.account, 100_00)

	key := "pay-bob-" + uuid.NewString()
	tr, resp, err := alice.c.Transfer(ctx, alice.account.ID, bob.account.ID, 25_50, "USD", key)
	if err != nil || resp.Status != http.StatusAccepted {
		t.Fatalf("transfer: %v", err)
	}
	done := waitTransfer(t, alice.c, tr.ID)
	if done.Status != domain.TransferCompleted {
		t.Fatalf("transfer ended %s (%v)", done.Status, done.FailureReason)
	}
	var names []string
	for _, s := range done.Steps {
		names = append(names, string(s.Name))
	}
	if strings.Join(names, ",") != "accept,validate,place_hold,post" {
		t.Fatalf("timeline %v", names)
	}
	// The same request retried with its key moves the money once.
	again, resp, err := alice.c.Transfer(ctx, alice.account.ID, bob.account.ID, 25_50, "USD", key)
	if err != nil || again.ID != tr.ID || resp.Header.Get("Idempotent-Replayed") != "true" {
		t.Fatalf("retry: %+v %v", again, err)
	}
	// Even once its key is forgotten (after 48 hours), the request names the same transfer, whose
	// workflow is never run a second time.
	if _, err := sys.Store.Pool().Exec(ctx, "DELETE FROM idempotency_keys WHERE key = $1", key); err != nil {
		t.Fatal(err)
	}
	late, resp, err := alice.c.Transfer(ctx, alice.account.ID, bob.account.ID, 25_50, "USD", key)
	if err != nil || late.ID != tr.ID || late.Status != domain.TransferCompleted || resp.Status != http.StatusAccepted {
		t.Fatalf("late retry: %+v %v", late, err)
	}
	runs, err := sys.Temporal.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{
		Query: `WorkflowId = "` + workflows.TransferWorkflowID(tr.ID) + `"`,
	})
	if err != nil || len(runs.Executions) != 1 {
		t.Fatalf("the transfer's workflow ran %d times (%v); want once", len(runs.GetExecutions()), err)
	}
	if a := balanceOf(t, alice.c, alice.account.ID); a.Balance != 74_50 || a.AvailableBalance != 74_50 {
		t.Fatalf("alice %+v", a)
	}
	if b := balanceOf(t, bob.c, bob.account.ID); b.Balance != 25_50 {
		t.Fatalf("bob %+v", b)
	}
	// Both histories show the movement, from each side.
	for _, side := range []struct {
		c   *bankclient.Client
		acc string
		dir string
	}{{alice.c, alice.account.ID, "outgoing"}, {bob.c, bob.account.ID, "incoming"}} {
		var page struct {
			Items []struct {
				TransferID *string `json:"transfer_id"`
				Direction  string  `json:"direction"`
				Amount     int64   `json:"amount"`
			} `json:"items"`
		}
		if _, err := side.c.JSON(ctx, "GET", "/v1/accounts/"+side.acc+"/transactions?direction="+side.dir, nil, nil, &page); err != nil {
			t.Fatal(err)
		}
		if len(page.Items) != 1 || *page.Items[0].TransferID != tr.ID || page.Items[0].Amount != 25_50 {
			t.Fatalf("%s history %+v", side.dir, page.Items)
		}
	}
	// Operators find the workflow by transfer id in Temporal's visibility. The transfer completes
	// in PostgreSQL at its posting; its workflow closes once the outcome is recorded after it.
	wf := workflows.TransferWorkflowID(tr.ID)
	var result workflows.TransferResult
	if err := sys.Temporal.GetWorkflow(ctx, wf, "").Get(ctx, &result); err != nil || result.Status != domain.TransferCompleted {
		t.Fatalf("workflow %s ended %+v: %v", wf, result, err)
	}
	desc, err := sys.Temporal.DescribeWorkflow(ctx, wf, "")
	if err != nil {
		t.Fatalf("workflow %s: %v", wf, err)
	}
	if desc.Status != enumspb.WORKFLOW_EXECUTION_STATUS_COMPLETED {
		t.Fatalf("workflow %s: %v", wf, desc.Status)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		list, err := sys.Temporal.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{
			Query: `BankTransferId = "` + tr.ID + `" AND BankTransferStatus = "completed"`,
		})
		if err == nil && len(list.Executions) == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("workflow not found by search attributes: %v", err)
		}
		time.Sleep(200 * time.Millisecond)
	}
	requireLedgerOK(t)
}

// Refused transfers move nothing, say why with their code, and name the step that refused them.
// (A failure after the hold is placed, and the hold voided, is proved in db/ledger_test.go and,
// at every activity position, in workflows/transfer_test.go.)
func TestTransfer_RefusalsMoveNothingAndSayWhy(t *testing.T) {
	ctx := context.Background()
	alice, bob := register(t, "USD"), register(t, "USD")
	euro := register(t, "EUR")
	depositTo(t, alice.account, 50_00)

	cases := []struct {
		name, to   string
		amount     int64
		prepare    func()
		wantCode   domain.Code
		wantReason string
		wantStep   domain.TransferStep
	}{
		{"other currency", euro.account.ID, 10_00, nil, domain.CodeCurrencyMismatch, "same currency", domain.StepValidate},
		{"insufficient funds", bob.account.ID, 80_00, nil, domain.CodeInsufficientFunds, "enough available balance", domain.StepPlaceHold},
		{"frozen destination", bob.account.ID, 10_00, func() {
			freezeAccount(t, admin(t), bob.account.ID, map[string]any{"reason": "legal_order", "note": staffNote()})
			eventually(t, 30*time.Second, "the freeze is not in force", func() bool {
				f := currentFreeze(t, admin(t), bob.account.ID)
				return f != nil && f.Status == domain.FreezeActive
			})
		}, domain.CodeAccountFrozen, "frozen", domain.StepValidate},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if c.prepare != nil {
				c.prepare()
			}
			tr, _, err := alice.c.Transfer(ctx, alice.account.ID, c.to, c.amount, "USD", "fail-"+uuid.NewString())
			if err != nil {
				t.Fatalf("transfer: %v", err)
			}
			done := waitTransfer(t, alice.c, tr.ID)
			if done.Status != domain.TransferFailed && done.Status != domain.TransferCompensated {
				t.Fatalf("ended %s; want failed", done.Status)
			}
			if done.FailureCode == nil || *done.FailureCode != c.wantCode || !strings.Contains(*done.FailureReason, c.wantReason) {
				t.Fatalf("failure %v %v; want %s", done.FailureCode, done.FailureReason, c.wantCode)
			}
			last := done.Steps[len(done.Steps)-1]
			if last.Name != c.wantStep || last.Status != domain.StepFailed {
				t.Fatalf("last step %s %s; want %s failed", last.Name, last.Status, c.wantStep)
			}
			if a := balanceOf(t, alice.c, alice.account.ID); a.Balance != 50_00 || a.AvailableBalance != 50_00 {
				t.Fatalf("money not back: %+v", a)
			}
		})
	}
	requireLedgerOK(t)
}

func TestTransfer_ConcurrentRetriesOfOneKeyMoveMoneyOnce(t *testing.T) {
	ctx := context.Background()
	alice, bob := register(t, "USD"), register(t, "USD")
	depositTo(t, alice.account, 10_00)
	key := "once-" + uuid.NewString()
	var wg sync.WaitGroup
	ids := make(chan string, 10)
	for range 10 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				tr, resp, err := alice.c.Transfer(ctx, alice.account.ID, bob.account.ID, 3_00, "USD", key)
				if resp != nil && resp.Status == http.StatusConflict {
					time.Sleep(20 * time.Millisecond) // the first is still answering: retry
					continue
				}
				if err != nil {
					t.Errorf("transfer: %v", err)
					return
				}
				ids <- tr.ID
				return
			}
		}()
	}
	wg.Wait()
	close(ids)
	first := ""
	for id := range ids {
		if first == "" {
			first = id
		} else if id != first {
			t.Fatalf("one key gave two transfers: %s and %s", first, id)
		}
	}
	waitTransfer(t, alice.c, first)
	if a := balanceOf(t, alice.c, alice.account.ID); a.Balance != 7_00 {
		t.Fatalf("alice balance %d; want 700", a.Balance)
	}
	requireLedgerOK(t)
}

func TestAccounts_AreVisibleOnlyToTheirOwner(t *testing.T) {
	alice, mallory := register(t, "USD"), register(t, "USD")
	// Alice's account and transfers are not Mallory's to read.
	_, err := mallory.c.Account(context.Background(), alice.account.ID)
	if e, ok := err.(*bankclient.Error); !ok || e.Status != http.StatusNotFound {
		t.Fatalf("foreign account read: %v; want 404", err)
	}
	var problem struct{ Code string }
	resp, _ := mallory.c.Do(context.Background(), "GET", "/v1/accounts/"+alice.account.ID+"/transactions", nil, nil)
	_ = json.Unmarshal(resp.Body, &problem)
	if resp.Status != http.StatusNotFound || problem.Code != "not_found" {
		t.Fatalf("foreign history: %d %s", resp.Status, resp.Body)
	}
}

func TestWithdrawal_DebitsToCashAndRefusesOverdraft(t *testing.T) {
	ctx := context.Background()
	alice := register(t, "COP")
	depositTo(t, alice.account, 500_000_00)
	adm := admin(t)
	path := "/v1/admin/accounts/" + alice.account.ID + "/withdrawals"
	for _, c := range []struct {
		amount any
		want   domain.TransferStatus
	}{{"600000.00", domain.TransferFailed}, {"150000.50", domain.TransferCompleted}} {
		var tr bankclient.Transfer
		if _, err := adm.JSON(ctx, "POST", path, map[string]any{"amount": c.amount, "currency": "COP", "description": "cash out"},
			http.Header{"Idempotency-Key": {"wd-" + uuid.NewString()}}, &tr); err != nil {
			t.Fatalf("withdrawal: %v", err)
		}
		if got := waitTransfer(t, adm, tr.ID); got.Status != c.want {
			t.Fatalf("withdrawal of %v ended %s; want %s", c.amount, got.Status, c.want)
		}
	}
	if a := balanceOf(t, alice.c, alice.account.ID); a.Balance != 349_999_50 {
		t.Fatalf("balance %d; want 34999950", a.Balance)
	}
	// The customer is told about each movement: welcome, deposit, refused and completed withdrawal.
	// They are written just after the money moves (so in no fixed order between movements that
	// end close together): poll briefly and compare them as a set.
	const want = "Money received|Money sent|Transfer not completed|Welcome to the bank"
	got := ""
	for deadline := time.Now().Add(10 * time.Second); got != want && time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		var notes struct {
			Items []struct{ Title string } `json:"items"`
		}
		if _, err := alice.c.JSON(ctx, "GET", "/v1/me/notifications", nil, nil, &notes); err != nil {
			t.Fatal(err)
		}
		var titles []string
		for _, n := range notes.Items {
			titles = append(titles, n.Title)
		}
		sort.Strings(titles)
		got = strings.Join(titles, "|")
	}
	if got != want {
		t.Fatalf("notifications %s; want %s", got, want)
	}
	requireLedgerOK(t)
}

// A transfer recorded but never started (the API stopped in between) is started by the worker.
func TestTransfer_RecordedButNotStartedIsResumed(t *testing.T) {
	ctx := context.Background()
	alice, bob := register(t, "USD"), register(t, "USD")
	depositTo(t, alice.account, 10_00)
	var owner string
	if err := sys.Store.Pool().QueryRow(ctx, "SELECT user_id FROM accounts WHERE id = $1", alice.account.ID).Scan(&owner); err != nil {
		t.Fatal(err)
	}
	id := uuid.New()
	if _, err := sys.Store.Pool().Exec(ctx, `INSERT INTO transfers
		(id, kind, initiated_by, from_account_id, to_account_id, amount, currency, workflow_id, created_at)
		VALUES ($1, 'transfer', $2, $3, $4, 400, 'USD', $5, now() - interval '2 minutes')`,
		id, owner, alice.account.ID, bob.account.ID, workflows.TransferWorkflowID(id.String())); err != nil {
		t.Fatal(err)
	}
	if got := waitTransfer(t, alice.c, id.String()); got.Status != domain.TransferCompleted {
		t.Fatalf("stalled transfer ended %s", got.Status)
	}
	if b := balanceOf(t, bob.c, bob.account.ID); b.Balance != 4_00 {
		t.Fatalf("bob %d; want 400", b.Balance)
	}
}

// The chores run from one Temporal schedule, whatever the number of workers, and each run is a
// workflow operators can open in the web UI.
func TestMaintenance_RunsOnOneSchedule(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	h := sys.Temporal.ScheduleClient().GetHandle(ctx, workflows.MaintenanceScheduleID)
	for {
		desc, err := h.Describe(ctx)
		if err != nil {
			t.Fatalf("describe schedule %s: %v", workflows.MaintenanceScheduleID, err)
		}
		if n := len(desc.Info.RecentActions); n > 0 {
			run := desc.Info.RecentActions[n-1].StartWorkflowResult
			if _, err := sys.Temporal.DescribeWorkflow(ctx, run.WorkflowID, run.FirstExecutionRunID); err != nil {
				t.Fatalf("the schedule's run %s: %v", run.WorkflowID, err)
			}
			return
		}
		select {
		case <-ctx.Done():
			t.Fatal("the maintenance schedule has not run")
		case <-time.After(500 * time.Millisecond):
		}
	}
}

// Every email the workflows wrote to the outbox leaves it: the bank-emails schedule sends each
// and marks it sent.
func TestEmails_OutboxIsDelivered(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c := register(t, "USD") // writes a welcome email
	var userID string
	if err := sys.Store.Pool().QueryRow(ctx, "SELECT id FROM users WHERE email = $1", c.email).Scan(&userID); err != nil {
		t.Fatal(err)
	}
	for {
		var written, unsent int
		if err := sys.Store.Pool().QueryRow(ctx,
			"SELECT count(*), count(*) FILTER (WHERE sent_at IS NULL) FROM emails WHERE user_id = $1", userID).Scan(&written, &unsent); err != nil {
			t.Fatal(err)
		}
		if written > 0 && unsent == 0 {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("%d of %d emails still unsent", unsent, written)
		case <-time.After(250 * time.Millisecond):
		}
	}
}
