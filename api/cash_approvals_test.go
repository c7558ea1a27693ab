package api_test

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/bankforge/bank/api"
	"github.com/bankforge/bank/db"
	"github.com/bankforge/bank/domain"
	"github.com/bankforge/bank/workflows"
)

// cashRules sets USD's approval threshold, daily cash limit and the approvals' lifetime, keeping the
// other currencies' defaults.
func cashRules(threshold, limit int64, ttl time.Duration) func(*api.Config) {
	return func(c *api.Config) {
		c.CashApprovalThresholds = api.DefaultCashApprovalThresholds()
		c.CashApprovalThresholds["USD"] = threshold
		c.AdminDailyCashLimits = api.DefaultAdminDailyCashLimits()
		c.AdminDailyCashLimits["USD"] = limit
		c.CashApprovalTTL = ttl
	}
}

type operationBody struct {
	ID     string       `json:"id"`
	Kind   string       `json:"kind"`
	Status string       `json:"status"`
	Error  *api.Problem `json:"error"`
}

type approvalBody struct {
	ID            string  `json:"id"`
	Kind          string  `json:"kind"`
	Status        string  `json:"status"`
	AccountNumber string  `json:"account_number"`
	Amount        int64   `json:"amount"`
	RequestedBy   string  `json:"requested_by"`
	DecidedBy     *string `json:"decided_by"`
	DecidedAt     *string `json:"decided_at"`
}

// cash asks, as admin, to deposit into or withdraw from acc ("deposits" or "withdrawals").
func (h *harness) cash(admin user, acc db.Account, kind string, amount int64, key string) response {
	h.t.Helper()
	return h.do("POST", "/v1/admin/accounts/"+acc.ID.String()+"/"+kind, admin.token,
		fmt.Sprintf(`{"amount":%d,"currency":%q}`, amount, acc.Currency), "Idempotency-Key", key)
}

// requestApproval asks for a movement that needs approval and returns its operation.
func (h *harness) requestApproval(admin user, acc db.Account, amount int64, key string) operationBody {
	h.t.Helper()
	r := h.cash(admin, acc, "deposits", amount, key)
	var op operationBody
	r.json(h.t, &op)
	if r.status != http.StatusAccepted || op.Kind != string(domain.OperationCashApproval) {
		h.t.Fatalf("request approval: %d %s", r.status, r.body)
	}
	return op
}

func (h *harness) decide(admin user, approvalID, decision string) response {
	h.t.Helper()
	return h.do("POST", "/v1/admin/cash-approvals/"+approvalID+"/"+decision, admin.token, "")
}

func (h *harness) approval(id string) db.CashApproval {
	h.t.Helper()
	ap, err := h.store.GetCashApproval(context.Background(), uuid.MustParse(id))
	if err != nil {
		h.t.Fatal(err)
	}
	return ap
}

func requireCode(t *testing.T, r response, status int, code domain.Code) {
	t.Helper()
	requireProblem(t, r, status, "")
	var p api.Problem
	r.json(t, &p)
	if p.Code != code {
		t.Fatalf("code %s; want %s: %s", p.Code, code, r.body)
	}
}

// Below the threshold a deposit starts its transfer at once; at the threshold, a deposit or a
// withdrawal is recorded as a pending approval, answered with the operation to poll, and its
// workflow waits: no transfer yet. A retry with the key answers the same.
func TestCashMovement_AtTheThresholdWaitsForASecondAdmin(t *testing.T) {
	t.Parallel()
	h := newHarness(t, cashRules(10_000, 1_000_000, time.Hour))
	admin, alice := h.user(domain.RoleAdmin), h.user(domain.RoleClient)
	acc := h.account(alice, "USD", 50_000)

	below := h.cash(admin, acc, "deposits", 9_999, "below-threshold-1")
	var tr transferBody
	below.json(t, &tr)
	if below.status != http.StatusAccepted || tr.Kind != "deposit" || below.header.Get("Location") != "/v1/transfers/"+tr.ID {
		t.Fatalf("below the threshold: %d %s", below.status, below.body)
	}

	transfersBefore := h.counts()["transfers"]
	for i, kind := range []string{"deposits", "withdrawals"} {
		key := fmt.Sprintf("at-threshold-%d", i)
		r := h.cash(admin, acc, kind, 10_000, key)
		var op operationBody
		r.json(t, &op)
		if r.status != http.StatusAccepted || op.Kind != "cash_approval" || op.Status != "running" || r.header.Get("Location") != "/v1/operations/"+op.ID {
			t.Fatalf("%s at the threshold: %d %s (Location %q)", kind, r.status, r.body, r.header.Get("Location"))
		}
		ap := h.approval(op.ID)
		if ap.Status != domain.ApprovalPending || ap.RequestedBy != admin.ID || ap.Amount != 10_000 || ap.AccountID != acc.ID ||
			ap.Kind != domain.TransferKind(kind[:len(kind)-1]) || ap.ExpiresAt.Before(time.Now().Add(50*time.Minute)) {
			t.Fatalf("approval %+v", ap)
		}
		opRow, err := h.store.GetOperation(t.Context(), op.ID)
		if err != nil || opRow.UserID == nil || *opRow.UserID != admin.ID || opRow.WorkflowID != workflows.CashApprovalWorkflowID(op.ID) {
			t.Fatalf("operation %+v, %v; want the requesting admin's", opRow, err)
		}
		again := h.cash(admin, acc, kind, 10_000, key)
		if again.header.Get("Idempotent-Replayed") != "true" || string(again.body) != string(r.body) {
			t.Fatalf("replay: %d %s", again.status, again.body)
		}
	}
	if n := h.counts()["transfers"]; n != transfersBefore {
		t.Fatalf("%d transfers recorded before any approval", n-transfersBefore)
	}
	h.workflows.mu.Lock()
	defer h.workflows.mu.Unlock()
	if len(h.workflows.started) != 3 {
		t.Fatalf("%d workflows started; want the transfer and two approvals", len(h.workflows.started))
	}
	in, ok := h.workflows.args[1].(workflows.CashApprovalInput)
	if !ok || in.Amount != 10_000 || in.AccountNumber != acc.Number || in.Kind != domain.KindDeposit ||
		!slices.Equal(in.UserIDs, []string{admin.ID.String(), alice.ID.String()}) ||
		h.workflows.started[1].ID != workflows.CashApprovalWorkflowID(in.ApprovalID) {
		t.Fatalf("approval workflow %s started with %+v", h.workflows.started[1].ID, h.workflows.args[1])
	}
	if s := h.workflows.started[1].StaticSummary; !strings.HasPrefix(s, "Approval of a deposit of 100.00 USD into …"+acc.Number[len(acc.Number)-4:]+", expires ") {
		t.Fatalf("approval's summary %q", s)
	}
}

// The approval's operation belongs to the admin who asked: they read it; another admin, a client
// and an anonymous caller get 404, as for an operation that does not exist.
func TestCashApproval_OperationIsItsRequestersOnly(t *testing.T) {
	t.Parallel()
	h := newHarness(t, cashRules(10_000, 1_000_000, time.Hour))
	admin, other, alice := h.user(domain.RoleAdmin), h.user(domain.RoleAdmin), h.user(domain.RoleClient)
	op := h.requestApproval(admin, h.account(alice, "USD", 0), 10_000, "owner-visibility")

	r := h.do("GET", "/v1/operations/"+op.ID, admin.token, "")
	var got operationBody
	r.json(t, &got)
	if r.status != http.StatusOK || got.ID != op.ID || got.Kind != "cash_approval" || got.Status != "running" {
		t.Fatalf("the requester reads the operation: %d %s", r.status, r.body)
	}
	for name, token := range map[string]string{"another admin": other.token, "the customer": alice.token, "anonymous": ""} {
		t.Run(name, func(t *testing.T) {
			requireCode(t, h.do("GET", "/v1/operations/"+op.ID, token, ""), http.StatusNotFound, domain.CodeNotFound)
		})
	}
}

// Four eyes: the admin who asked and an admin who owns the account are refused with 403
// approver_not_independent, staff who are not admins with 403 forbidden, and nothing changes; then
// another admin approves, and the workflow is told.
func TestCashApproval_ApproverMustBeAnotherAdminWhoDoesNotOwnTheAccount(t *testing.T) {
	t.Parallel()
	h := newHarness(t, cashRules(10_000, 1_000_000, time.Hour))
	requester, owner, approver := h.user(domain.RoleAdmin), h.user(domain.RoleAdmin), h.user(domain.RoleAdmin)
	support, client := h.user(domain.RoleSupport), h.user(domain.RoleClient)
	op := h.requestApproval(requester, h.account(owner, "USD", 0), 10_000, "four-eyes-0001")

	before := h.counts()
	for _, decision := range []string{"approve", "reject"} {
		requireCode(t, h.decide(requester, op.ID, decision), http.StatusForbidden, domain.CodeApproverNotIndependent)
		requireCode(t, h.decide(owner, op.ID, decision), http.StatusForbidden, domain.CodeApproverNotIndependent)
		requireCode(t, h.decide(support, op.ID, decision), http.StatusForbidden, domain.CodeForbidden)
		requireCode(t, h.decide(client, op.ID, decision), http.StatusForbidden, domain.CodeForbidden)
	}
	if after := h.counts(); !equalCounts(before, after) {
		t.Fatalf("refused decisions changed state: %v -> %v", before, after)
	}
	if ap := h.approval(op.ID); ap.Status != domain.ApprovalPending || ap.DecidedBy != nil || len(h.workflows.sent()) != 0 {
		t.Fatalf("after refused decisions: %+v, %d signals", ap, len(h.workflows.sent()))
	}

	r := h.decide(approver, op.ID, "approve")
	var got approvalBody
	r.json(t, &got)
	if r.status != http.StatusOK || got.Status != "approved" || got.DecidedBy == nil || *got.DecidedBy != approver.ID.String() || got.RequestedBy != requester.ID.String() {
		t.Fatalf("the approver approves: %d %s", r.status, r.body)
	}
	sent := h.workflows.sent()
	if len(sent) != 1 || sent[0].workflowID != workflows.CashApprovalWorkflowID(op.ID) || sent[0].name != workflows.CashApprovalDecisionSignal ||
		sent[0].arg != (workflows.CashApprovalDecision{Status: domain.ApprovalApproved, DecidedBy: approver.ID.String(), RequestID: r.header.Get("X-Request-Id")}) ||
		sent[0].start.ID != workflows.CashApprovalWorkflowID(op.ID) {
		t.Fatalf("signals %+v; want the decision, once, to the approval's workflow", sent)
	}
}

// An approval is decided once: after it was approved, another approval or a rejection is 409
// approval_already_decided; the approver repeating their own decision gets the same answer and the
// workflow is told again; a rejected or expired approval cannot be approved.
func TestCashApproval_SecondDecisionIsAConflict(t *testing.T) {
	t.Parallel()
	h := newHarness(t, cashRules(10_000, 1_000_000, time.Hour))
	requester, first, second := h.user(domain.RoleAdmin), h.user(domain.RoleAdmin), h.user(domain.RoleAdmin)
	acc := h.account(h.user(domain.RoleClient), "USD", 0)
	op := h.requestApproval(requester, acc, 10_000, "decided-once-01")

	approved := h.decide(first, op.ID, "approve")
	if approved.status != http.StatusOK {
		t.Fatalf("approve: %d %s", approved.status, approved.body)
	}
	decidedAt := h.approval(op.ID).DecidedAt
	requireCode(t, h.decide(second, op.ID, "approve"), http.StatusConflict, domain.CodeApprovalDecided)
	requireCode(t, h.decide(second, op.ID, "reject"), http.StatusConflict, domain.CodeApprovalDecided)
	requireCode(t, h.decide(first, op.ID, "reject"), http.StatusConflict, domain.CodeApprovalDecided)
	again := h.decide(first, op.ID, "approve")
	if again.status != http.StatusOK || string(again.body) != string(approved.body) {
		t.Fatalf("the approver repeats the approval: %d %s; want %s", again.status, again.body, approved.body)
	}
	if ap := h.approval(op.ID); ap.Status != domain.ApprovalApproved || *ap.DecidedBy != first.ID || !ap.DecidedAt.Equal(*decidedAt) {
		t.Fatalf("approval %+v; want approved once, by the first", ap)
	}
	if n := len(h.workflows.sent()); n != 2 {
		t.Fatalf("%d signals; want the decision and its repeat", n)
	}

	rejected := h.requestApproval(requester, acc, 10_000, "decided-once-02")
	if r := h.decide(first, rejected.ID, "reject"); r.status != http.StatusOK || !containsJSON(r.body, `"status":"rejected"`) {
		t.Fatalf("reject: %d %s", r.status, r.body)
	}
	requireCode(t, h.decide(second, rejected.ID, "approve"), http.StatusConflict, domain.CodeApprovalDecided)

	short := newHarness(t, cashRules(10_000, 1_000_000, 300*time.Millisecond))
	requester, approver := short.user(domain.RoleAdmin), short.user(domain.RoleAdmin)
	expired := short.requestApproval(requester, short.account(short.user(domain.RoleClient), "USD", 0), 10_000, "decided-once-03")
	time.Sleep(400 * time.Millisecond)
	requireCode(t, short.decide(approver, expired.ID, "approve"), http.StatusConflict, domain.CodeApprovalDecided)
	if ap := short.approval(expired.ID); ap.DecidedBy != nil || len(short.workflows.sent()) != 0 {
		t.Fatalf("an expired approval was decided: %+v", ap)
	}

	requireCode(t, h.decide(first, uuid.NewString(), "approve"), http.StatusNotFound, domain.CodeNotFound)
}

// An admin's cash of the UTC day, approvals awaiting a decision included, stays within their daily
// limit: the request that would pass it is refused with 422 daily_limit_exceeded, records nothing,
// starts nothing and does not use its key up. Other admins and other currencies have limits of
// their own, and a rejected approval stops counting.
func TestCashMovement_DailyLimitRefusesAndChangesNothing(t *testing.T) {
	t.Parallel()
	h := newHarness(t, cashRules(20_000, 50_000, time.Hour))
	admin, other := h.user(domain.RoleAdmin), h.user(domain.RoleAdmin)
	alice := h.user(domain.RoleClient)
	acc := h.account(alice, "USD", 100_000)

	if r := h.cash(admin, acc, "deposits", 15_000, "limit-key-0001"); r.status != http.StatusAccepted || !containsJSON(r.body, `"kind":"deposit"`) {
		t.Fatalf("deposit: %d %s", r.status, r.body)
	}
	pending := h.requestApproval(admin, acc, 25_000, "limit-key-0002") // 40,000 of 50,000

	before, starts := h.counts(), h.workflows.starts()
	for _, kind := range []string{"deposits", "withdrawals"} {
		r := h.cash(admin, acc, kind, 10_001, "limit-key-0003")
		requireCode(t, r, http.StatusUnprocessableEntity, domain.CodeDailyLimitExceeded)
		if !containsJSON(r.body, "500.00 USD") {
			t.Fatalf("the refusal does not name the limit: %s", r.body)
		}
	}
	if after := h.counts(); !equalCounts(before, after) || h.workflows.starts() != starts {
		t.Fatalf("a refused request changed state:\nbefore %v\nafter  %v\nworkflows %d -> %d", before, after, starts, h.workflows.starts())
	}

	if r := h.cash(other, acc, "deposits", 10_001, "limit-key-0003"); r.status != http.StatusAccepted {
		t.Fatalf("another admin: %d %s", r.status, r.body)
	}
	if r := h.cash(admin, h.account(alice, "EUR", 0), "deposits", 10_001, "limit-key-0004"); r.status != http.StatusAccepted {
		t.Fatalf("another currency: %d %s", r.status, r.body)
	}
	if r := h.cash(admin, acc, "withdrawals", 10_000, "limit-key-0005"); r.status != http.StatusAccepted {
		t.Fatalf("up to the limit exactly: %d %s", r.status, r.body)
	}
	requireCode(t, h.cash(admin, acc, "deposits", 1, "limit-key-0006"), http.StatusUnprocessableEntity, domain.CodeDailyLimitExceeded)

	if r := h.decide(other, pending.ID, "reject"); r.status != http.StatusOK {
		t.Fatalf("reject: %d %s", r.status, r.body)
	}
	if r := h.cash(admin, acc, "deposits", 10_001, "limit-key-0003"); r.status != http.StatusAccepted {
		t.Fatalf("after the rejection, with the key the refusal left unused: %d %s", r.status, r.body)
	}
}

// The approvers' queue lists what is pending, oldest first, a page at a time; a decided approval
// leaves it.
func TestCashApprovals_ListPendingOldestFirstPaged(t *testing.T) {
	t.Parallel()
	h := newHarness(t, cashRules(10_000, 1_000_000, time.Hour))
	requester, approver := h.user(domain.RoleAdmin), h.user(domain.RoleAdmin)
	acc := h.account(h.user(domain.RoleClient), "USD", 0)
	var ids []string
	for i := range 3 {
		ids = append(ids, h.requestApproval(requester, acc, int64(10_000+i), fmt.Sprintf("queue-key-%04d", i)).ID)
		time.Sleep(2 * time.Millisecond)
	}
	type page struct {
		Items      []approvalBody `json:"items"`
		NextCursor *string        `json:"next_cursor"`
	}
	var seen []string
	path := "/v1/admin/cash-approvals?limit=2"
	for range 3 {
		r := h.do("GET", path, approver.token, "")
		var p page
		r.json(t, &p)
		if r.status != http.StatusOK {
			t.Fatalf("list: %d %s", r.status, r.body)
		}
		for _, it := range p.Items {
			if it.Status != "pending" || it.AccountNumber != acc.Number || it.RequestedBy != requester.ID.String() || it.Kind != "deposit" {
				t.Fatalf("item %+v", it)
			}
			seen = append(seen, it.ID)
		}
		if p.NextCursor == nil {
			break
		}
		path = "/v1/admin/cash-approvals?limit=2&cursor=" + *p.NextCursor
	}
	if !slices.Equal(seen, ids) {
		t.Fatalf("listed %v; want %v, oldest first", seen, ids)
	}
	if r := h.decide(approver, ids[0], "approve"); r.status != http.StatusOK {
		t.Fatalf("approve: %d %s", r.status, r.body)
	}
	r := h.do("GET", "/v1/admin/cash-approvals", approver.token, "")
	var p page
	r.json(t, &p)
	if len(p.Items) != 2 || p.Items[0].ID != ids[1] || p.NextCursor != nil {
		t.Fatalf("after a decision: %s", r.body)
	}
}

// The API does not start with a supported currency lacking a threshold or a daily limit, or with
// one for a currency the bank does not support (a typo that would leave a real one at its default).
func TestConfig_EveryCurrencyHasItsCashRules(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	for name, c := range map[string]struct {
		tweak func(*api.Config)
		want  string
	}{
		"no threshold for EUR": {func(c *api.Config) { c.CashApprovalThresholds = map[string]int64{"USD": 1, "COP": 1, "JPY": 1} }, "no cash approval threshold for EUR"},
		"no limit for JPY": {func(c *api.Config) {
			c.AdminDailyCashLimits = api.DefaultAdminDailyCashLimits()
			delete(c.AdminDailyCashLimits, "JPY")
		}, "no daily cash limit for JPY"},
		"an unknown currency": {func(c *api.Config) {
			c.CashApprovalThresholds = api.DefaultCashApprovalThresholds()
			c.CashApprovalThresholds["UDS"] = 5
		}, "CASH_APPROVAL_THRESHOLDS names UDS"},
	} {
		cfg := h.cfg
		c.tweak(&cfg)
		_, err := api.New(t.Context(), cfg, api.Deps{Store: h.store, Workflows: h.workflows, Audit: h.audit, Inbox: h.inbox, Hasher: h.hasher})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v; want an error saying %q", name, err, c.want)
		}
	}
}
