package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/bankforge/bank/audit"
	"github.com/bankforge/bank/db"
	"github.com/bankforge/bank/domain"
	"github.com/bankforge/bank/workflows"
)

const freezeNote = "case QX-7731: linked to a mule ring"

func (h *harness) freeze(admin user, acc db.Account, body, key string) response {
	h.t.Helper()
	return h.do("POST", "/v1/admin/accounts/"+acc.ID.String()+"/freeze", admin.token, body, "Idempotency-Key", key)
}

// frozen freezes acc through the API and puts the freeze in force as its workflow's first step
// does, and returns the freeze's operation.
func (h *harness) frozen(admin user, acc db.Account, body string) operationBody {
	h.t.Helper()
	r := h.freeze(admin, acc, body, "freeze-"+uuid.NewString())
	var op operationBody
	r.json(h.t, &op)
	if r.status != http.StatusAccepted {
		h.t.Fatalf("freeze: %d %s", r.status, r.body)
	}
	if f, err := h.store.ApplyFreezeTx(context.Background(), uuid.MustParse(op.ID)); err != nil || f.Status != domain.FreezeActive {
		h.t.Fatalf("apply freeze: %+v, %v", f, err)
	}
	return op
}

type accountBody struct {
	ID           string     `json:"id"`
	Status       string     `json:"status"`
	FreezeReason *string    `json:"freeze_reason"`
	FrozenUntil  *time.Time `json:"frozen_until"`
}

// A freeze is recorded pending and answered 202 with the admin's operation of kind freeze; its
// workflow starts as freeze-<account>-1 with the reason but never the note; a retry with the key
// replays the answer; the operation is its admin's only.
func TestFreeze_AcceptedAsTheAdminsOperation(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	admin, other, alice := h.user(domain.RoleAdmin), h.user(domain.RoleAdmin), h.user(domain.RoleClient)
	acc := h.account(alice, "USD", 5_000)
	until := time.Now().Add(72 * time.Hour).UTC().Truncate(time.Second)
	body := fmt.Sprintf(`{"reason":"legal_order","note":%q,"until":%q,"scope":"debit"}`, freezeNote, until.Format(time.RFC3339))

	r := h.freeze(admin, acc, body, "freeze-key-0001")
	var op operationBody
	r.json(t, &op)
	if r.status != http.StatusAccepted || op.Kind != "freeze" || op.Status != "running" || r.header.Get("Location") != "/v1/operations/"+op.ID {
		t.Fatalf("freeze: %d %s (Location %q)", r.status, r.body, r.header.Get("Location"))
	}
	f, err := h.store.GetFreeze(t.Context(), uuid.MustParse(op.ID))
	if err != nil || f.Status != domain.FreezePending || f.Reason != domain.FreezeLegalOrder || f.Scope != domain.FreezeDebit ||
		f.Note != freezeNote || f.FrozenBy != admin.ID || f.Until == nil || !f.Until.Equal(until) || f.Seq != 1 {
		t.Fatalf("freeze %+v, %v", f, err)
	}
	wfID := workflows.FreezeWorkflowID(acc.ID.String(), 1)
	row, err := h.store.GetOperation(t.Context(), op.ID)
	if err != nil || row.UserID == nil || *row.UserID != admin.ID || row.WorkflowID != wfID || row.Kind != domain.OperationFreeze {
		t.Fatalf("operation %+v, %v; want the admin's, of the freeze's workflow", row, err)
	}
	h.workflows.mu.Lock()
	started, args := h.workflows.started[0], h.workflows.args[0]
	h.workflows.mu.Unlock()
	in, ok := args.(workflows.FreezeInput)
	if !ok || started.ID != wfID || in.FreezeID != op.ID || in.Reason != domain.FreezeLegalOrder || in.Until == nil || !in.Until.Equal(until) {
		t.Fatalf("started %s with %+v", started.ID, args)
	}
	if reason, _ := started.TypedSearchAttributes.GetKeyword(workflows.FreezeReasonKey); reason != "legal_order" {
		t.Fatalf("BankFreezeReason %q", reason)
	}
	if raw, _ := json.Marshal(in); strings.Contains(string(raw), "QX-7731") {
		t.Fatalf("the workflow's input carries the staff's note: %s", raw)
	}

	again := h.freeze(admin, acc, body, "freeze-key-0001")
	if again.header.Get("Idempotent-Replayed") != "true" || string(again.body) != string(r.body) {
		t.Fatalf("replay: %d %s", again.status, again.body)
	}
	if r := h.do("GET", "/v1/operations/"+op.ID, admin.token, ""); r.status != http.StatusOK || !containsJSON(r.body, `"kind":"freeze"`) {
		t.Fatalf("the admin polls the operation: %d %s", r.status, r.body)
	}
	for name, token := range map[string]string{"another admin": other.token, "the owner": "", "anonymous": ""} {
		if r := h.do("GET", "/v1/operations/"+op.ID, token, ""); r.status != http.StatusNotFound {
			t.Fatalf("%s polls the admin's freeze: %d; want 404", name, r.status)
		}
	}

	// A second freeze, while the first is being applied, records nothing.
	before := h.counts()
	requireCode(t, h.freeze(other, acc, `{"reason":"suspected_fraud"}`, "freeze-key-0002"), http.StatusConflict, domain.CodeAlreadyFrozen)
	if after := h.counts(); !equalCounts(before, after) {
		t.Fatalf("a refused freeze changed state: %v -> %v", before, after)
	}
}

// Bad freezes and unfreezes are refused with a 4xx naming what is wrong, before anything is recorded
// or started.
func TestFreeze_BadInput(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	admin, alice := h.user(domain.RoleAdmin), h.user(domain.RoleClient)
	acc := h.account(alice, "USD", 100)
	own := h.account(admin, "USD", 0)
	cash, err := h.store.GetCashAccount(t.Context(), db.GetCashAccountParams{Kind: domain.AccountCash, Currency: "USD"})
	if err != nil {
		t.Fatal(err)
	}
	path := "/v1/admin/accounts/" + acc.ID.String()
	key := []string{"Idempotency-Key", "bad-freeze-key-1"}
	soon := func(d time.Duration) string { return time.Now().Add(d).UTC().Format(time.RFC3339) }
	cases := []struct {
		name, path, body string
		headers          []string
		status           int
		field            string
	}{
		{"no reason", path + "/freeze", `{}`, key, 422, "reason"},
		{"unknown reason", path + "/freeze", `{"reason":"bored"}`, key, 422, "reason"},
		{"other without a note", path + "/freeze", `{"reason":"other"}`, key, 422, "note"},
		{"other with a blank note", path + "/freeze", `{"reason":"other","note":"   "}`, key, 422, "note"},
		{"long note", path + "/freeze", `{"reason":"legal_order","note":"` + strings.Repeat("n", 501) + `"}`, key, 422, "note"},
		{"unknown scope", path + "/freeze", `{"reason":"legal_order","scope":"credit"}`, key, 422, "scope"},
		{"malformed until", path + "/freeze", `{"reason":"legal_order","until":"next week"}`, key, 422, "until"},
		{"until in the past", path + "/freeze", `{"reason":"legal_order","until":"` + soon(-time.Minute) + `"}`, key, 422, "until"},
		{"until too far", path + "/freeze", `{"reason":"legal_order","until":"` + soon(11*365*24*time.Hour) + `"}`, key, 422, "until"},
		{"unknown field", path + "/freeze", `{"reason":"legal_order","amount":1}`, key, 422, "amount"},
		{"no key", path + "/freeze", `{"reason":"legal_order"}`, nil, 400, ""},
		{"malformed account", "/v1/admin/accounts/nope/freeze", `{"reason":"legal_order"}`, key, 404, ""},
		{"unknown account", "/v1/admin/accounts/00000000-0000-4000-8000-000000000000/freeze", `{"reason":"legal_order"}`, key, 404, ""},
		{"the cash account", "/v1/admin/accounts/" + cash.ID.String() + "/freeze", `{"reason":"legal_order"}`, key, 404, ""},
		{"own account", "/v1/admin/accounts/" + own.ID.String() + "/freeze", `{"reason":"legal_order"}`, key, 403, ""},
		{"unfreeze without a note", path + "/unfreeze", `{}`, nil, 422, "note"},
		{"unfreeze with a blank note", path + "/unfreeze", `{"note":" "}`, nil, 422, "note"},
		{"unfreeze unknown account", "/v1/admin/accounts/00000000-0000-4000-8000-000000000000/unfreeze", `{"note":"ok"}`, nil, 404, ""},
		{"unfreeze own account", "/v1/admin/accounts/" + own.ID.String() + "/unfreeze", `{"note":"ok"}`, nil, 403, ""},
		{"unfreeze an active account", path + "/unfreeze", `{"note":"ok"}`, nil, 409, ""},
		{"history of no account", "/v1/admin/accounts/00000000-0000-4000-8000-000000000000/freezes", "", nil, 404, ""},
		{"history bad cursor", path + "/freezes?cursor=abc", "", nil, 422, "cursor"},
		{"history absurd limit", path + "/freezes?limit=0", "", nil, 422, "limit"},
	}
	before := h.counts()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			method := "POST"
			if c.body == "" {
				method = "GET"
			}
			requireProblem(t, h.do(method, c.path, admin.token, c.body, c.headers...), c.status, c.field)
		})
	}
	if after := h.counts(); !equalCounts(before, after) {
		t.Fatalf("bad input changed state:\nbefore %v\nafter  %v", before, after)
	}
	if n := h.workflows.starts(); n != 0 {
		t.Fatalf("bad input started %d workflows", n)
	}
	requireCode(t, h.do("POST", path+"/unfreeze", admin.token, `{"note":"ok"}`), http.StatusConflict, domain.CodeNotFrozen)
}

// The owner sees their account frozen, with the reason's code and the end, never the note; a transfer
// out of it is refused at once with 409 account_frozen and nothing is recorded, as is a withdrawal;
// one into it is accepted, for the workflow to refuse at its posting.
func TestFreeze_CustomersViewAndTheRefusalAtTransfers(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	admin, alice, bob := h.user(domain.RoleAdmin), h.user(domain.RoleClient), h.user(domain.RoleClient)
	acc, other := h.account(alice, "USD", 5_000), h.account(alice, "USD", 0)
	bobs := h.account(bob, "USD", 5_000)
	until := time.Now().Add(48 * time.Hour).UTC().Truncate(time.Second)
	h.frozen(admin, acc, fmt.Sprintf(`{"reason":"suspected_fraud","note":%q,"until":%q}`, freezeNote, until.Format(time.RFC3339)))

	var one accountBody
	r := h.do("GET", "/v1/accounts/"+acc.ID.String(), alice.token, "")
	r.json(t, &one)
	if r.status != http.StatusOK || one.Status != "frozen" || one.FreezeReason == nil || *one.FreezeReason != "suspected_fraud" ||
		one.FrozenUntil == nil || !one.FrozenUntil.Equal(until) {
		t.Fatalf("the owner's account: %d %s", r.status, r.body)
	}
	var list struct{ Items []accountBody }
	r = h.do("GET", "/v1/accounts", alice.token, "")
	r.json(t, &list)
	seen := 0
	for _, a := range list.Items {
		switch a.ID {
		case acc.ID.String():
			seen++
			if a.Status != "frozen" || a.FreezeReason == nil || *a.FreezeReason != "suspected_fraud" || a.FrozenUntil == nil {
				t.Fatalf("the frozen account in the list: %+v", a)
			}
		case other.ID.String():
			seen++
			if a.Status != "active" || a.FreezeReason != nil || a.FrozenUntil != nil {
				t.Fatalf("the other account in the list: %+v", a)
			}
		}
	}
	if seen != 2 || strings.Contains(string(r.body), "QX-7731") {
		t.Fatalf("the owner's accounts: %s", r.body)
	}

	before := h.counts()
	starts := h.workflows.starts()
	out := h.do("POST", "/v1/transfers", alice.token, fmt.Sprintf(`{"from_account_id":%q,"to_account_id":%q,"amount":100,"currency":"USD"}`, acc.ID, bobs.ID),
		"Idempotency-Key", "out-of-a-frozen-account")
	requireCode(t, out, http.StatusConflict, domain.CodeAccountFrozen)
	requireProblem(t, out, http.StatusConflict, "from_account_id")
	requireCode(t, h.cash(admin, acc, "withdrawals", 100, "withdraw-frozen-1"), http.StatusConflict, domain.CodeAccountFrozen)
	if after := h.counts(); !equalCounts(before, after) || h.workflows.starts() != starts {
		t.Fatalf("a refused transfer changed state: %v -> %v", before, after)
	}
	in := h.do("POST", "/v1/transfers", bob.token, fmt.Sprintf(`{"from_account_id":%q,"to_account_id":%q,"amount":100,"currency":"USD"}`, bobs.ID, acc.ID),
		"Idempotency-Key", "into-a-frozen-account")
	if in.status != http.StatusAccepted {
		t.Fatalf("a transfer into a frozen account: %d %s; want it accepted, for the posting to refuse", in.status, in.body)
	}
	requireCode(t, h.freeze(admin, acc, `{"reason":"legal_order"}`, "freeze-again-0001"), http.StatusConflict, domain.CodeAlreadyFrozen)
}

// An admin's unfreeze ends the freeze in force in the database and tells its workflow, starting it
// when none runs; unfreezing again changes nothing and answers not_frozen, and tells the workflow
// again only for the admin who unfroze it (a retry after a 503).
func TestUnfreeze_EndsTheFreezeAndTellsItsWorkflow(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	admin, other, alice := h.user(domain.RoleAdmin), h.user(domain.RoleAdmin), h.user(domain.RoleClient)
	acc := h.account(alice, "USD", 100)
	op := h.frozen(admin, acc, `{"reason":"customer_request"}`)

	r := h.do("POST", "/v1/admin/accounts/"+acc.ID.String()+"/unfreeze", admin.token, `{"note":"the customer found their card"}`)
	var f struct {
		ID, Status, EndNote string
		EndedBy             *string `json:"ended_by"`
	}
	r.json(t, &f)
	if r.status != http.StatusOK || f.ID != op.ID || f.Status != "ended" || f.EndedBy == nil || *f.EndedBy != admin.ID.String() {
		t.Fatalf("unfreeze: %d %s", r.status, r.body)
	}
	if a, _ := h.store.GetAccount(t.Context(), acc.ID); a.Status != domain.AccountActive {
		t.Fatalf("account %s after the unfreeze; want active", a.Status)
	}
	sent := h.workflows.sent()
	wfID := workflows.FreezeWorkflowID(acc.ID.String(), 1)
	if len(sent) != 1 || sent[0].workflowID != wfID || sent[0].name != workflows.FreezeEndedSignal || sent[0].start.ID != wfID {
		t.Fatalf("signals %+v; want the freeze's workflow told, with its start options", sent)
	}

	requireCode(t, h.do("POST", "/v1/admin/accounts/"+acc.ID.String()+"/unfreeze", other.token, `{"note":"again"}`), http.StatusConflict, domain.CodeNotFrozen)
	if n := len(h.workflows.sent()); n != 1 {
		t.Fatalf("%d signals after another admin's unfreeze of an active account; want 1", n)
	}
	requireCode(t, h.do("POST", "/v1/admin/accounts/"+acc.ID.String()+"/unfreeze", admin.token, `{"note":"the customer found their card"}`), http.StatusConflict, domain.CodeNotFrozen)
	if n := len(h.workflows.sent()); n != 2 {
		t.Fatalf("%d signals after the unfreezing admin's retry; want 2", n)
	}
	// A new freeze is the account's second.
	second := h.frozen(admin, acc, `{"reason":"legal_order"}`)
	if row, _ := h.store.GetOperation(t.Context(), second.ID); row.WorkflowID != workflows.FreezeWorkflowID(acc.ID.String(), 2) {
		t.Fatalf("second freeze's workflow %s", row.WorkflowID)
	}
}

// Support and admins read an account's freeze history, notes included, each read audited; the
// account's page shows the freeze in force.
func TestFreezes_StaffReadTheHistoryAndTheCurrentFreeze(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	admin, support, alice := h.user(domain.RoleAdmin), h.user(domain.RoleSupport), h.user(domain.RoleClient)
	acc := h.account(alice, "USD", 100)
	first := h.frozen(admin, acc, fmt.Sprintf(`{"reason":"other","note":%q}`, freezeNote))

	var detail struct {
		Status       string
		FreezeReason *string `json:"freeze_reason"`
		Freeze       *struct {
			ID, Status, Reason, Note, Scope string
			BalanceAtFreeze                 *int64 `json:"balance_at_freeze"`
		}
	}
	r := h.do("GET", "/v1/admin/accounts/"+acc.ID.String(), support.token, "")
	r.json(t, &detail)
	if r.status != http.StatusOK || detail.Status != "frozen" || detail.Freeze == nil || detail.Freeze.ID != first.ID || detail.Freeze.Status != "active" ||
		detail.Freeze.Note != freezeNote || detail.Freeze.Scope != "full" || *detail.Freeze.BalanceAtFreeze != 100 || detail.FreezeReason == nil {
		t.Fatalf("the account's page: %d %s", r.status, r.body)
	}
	if _, err := h.store.EndFreezeTx(t.Context(), acc.ID, admin.ID, "cleared"); err != nil {
		t.Fatal(err)
	}
	second := h.frozen(admin, acc, `{"reason":"legal_order","scope":"debit"}`)

	reads := len(h.audit.ofType(audit.EventStaffRead))
	var history struct {
		Items []struct {
			ID, Status, Note string
			EndedBy          *string `json:"ended_by"`
		}
		NextCursor *string `json:"next_cursor"`
	}
	r = h.do("GET", "/v1/admin/accounts/"+acc.ID.String()+"/freezes?limit=1", support.token, "")
	r.json(t, &history)
	if r.status != http.StatusOK || len(history.Items) != 1 || history.Items[0].ID != second.ID || history.NextCursor == nil {
		t.Fatalf("first page: %d %s", r.status, r.body)
	}
	r = h.do("GET", "/v1/admin/accounts/"+acc.ID.String()+"/freezes?limit=1&cursor="+*history.NextCursor, admin.token, "")
	r.json(t, &history)
	if r.status != http.StatusOK || len(history.Items) != 1 || history.Items[0].ID != first.ID || history.Items[0].Status != "ended" ||
		history.Items[0].Note != freezeNote || history.Items[0].EndedBy == nil || history.NextCursor != nil {
		t.Fatalf("second page: %d %s", r.status, r.body)
	}
	events := h.audit.ofType(audit.EventStaffRead)
	if last := events[len(events)-1]; len(events) != reads+2 || !slices.Equal(last.AccountIDs, []string{acc.ID.String()}) || last.ActorID != admin.ID.String() {
		t.Fatalf("staff reads audited: %d events after %d; want 2 more, naming the account", len(events), reads)
	}
}

// A transfer or withdrawal accepted before its account was frozen is the same one when retried
// after the freeze: the retry gets the first answer, not a refusal the first request passed, whether
// that answer was stored (replayed) or lost with the process that was giving it (the key's stale
// claim taken over). Only a new request is refused. Found by the fault-injection test (chaos/): a
// client told "account_frozen" about a transfer that went on to move its money.
func TestFreeze_RetryOfAnAcceptedRequestGetsItsAnswer(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	admin, alice, bob := h.user(domain.RoleAdmin), h.user(domain.RoleClient), h.user(domain.RoleClient)
	from, to := h.account(alice, "USD", 5_000), h.account(bob, "USD", 0)
	transfer := `{"from_account_id":"` + from.ID.String() + `","to_account_id":"` + to.ID.String() + `","amount":100,"currency":"USD"}`
	send := func(key string) response {
		return h.do("POST", "/v1/transfers", alice.token, transfer, "Idempotency-Key", key)
	}
	stored, lost := send("before-freeze-stored"), send("before-freeze-lost")
	withdrawal := h.cash(admin, from, "withdrawals", 200, "withdrawal-before-freeze")
	for _, r := range []response{stored, lost, withdrawal} {
		if r.status != http.StatusAccepted {
			t.Fatalf("before the freeze: %d %s", r.status, r.body)
		}
	}
	// The process answering the second died before it stored its answer: the key is claimed, long ago.
	if _, err := h.store.Pool().Exec(t.Context(), `UPDATE idempotency_keys SET status_code = NULL, response_body = NULL,
		location = NULL, locked_at = now() - interval '1 hour' WHERE key = 'before-freeze-lost'`); err != nil {
		t.Fatal(err)
	}
	h.frozen(admin, from, `{"reason":"suspected_fraud"}`)
	before := h.counts()

	if r := send("before-freeze-stored"); r.status != http.StatusAccepted || r.header.Get("Idempotent-Replayed") != "true" || string(r.body) != string(stored.body) {
		t.Fatalf("retry of a stored answer: %d %s (replayed %q); want the first 202 again", r.status, r.body, r.header.Get("Idempotent-Replayed"))
	}
	var first, again struct{ ID string }
	lost.json(t, &first)
	if r := send("before-freeze-lost"); r.status != http.StatusAccepted {
		t.Fatalf("retry of a lost answer: %d %s; want 202 naming the transfer", r.status, r.body)
	} else if r.json(t, &again); again.ID != first.ID {
		t.Fatalf("retry of a lost answer names transfer %s; the first was %s", again.ID, first.ID)
	}
	if r := h.cash(admin, from, "withdrawals", 200, "withdrawal-before-freeze"); r.status != http.StatusAccepted || string(r.body) != string(withdrawal.body) {
		t.Fatalf("retry of a withdrawal: %d %s; want the first 202 again", r.status, r.body)
	}
	if after := h.counts(); after["transfers"] != before["transfers"] {
		t.Fatalf("the retries recorded %d new transfers", after["transfers"]-before["transfers"])
	}

	requireCode(t, send("after-freeze"), http.StatusConflict, domain.CodeAccountFrozen)
	requireCode(t, h.cash(admin, from, "withdrawals", 200, "withdrawal-after-freeze"), http.StatusConflict, domain.CodeAccountFrozen)
}
