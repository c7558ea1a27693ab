package api_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/bankforge/bank/api"
	"github.com/bankforge/bank/db"
	"github.com/bankforge/bank/domain"
	"github.com/bankforge/bank/workflows"
)

type transferBody struct {
	ID     string `json:"id"`
	Kind   string `json:"kind"`
	Status string `json:"status"`
	Amount int64  `json:"amount"`
}

func TestTransfer_AcceptedThenReplayedByKey(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	alice, bob := h.user(domain.RoleClient), h.user(domain.RoleClient)
	src := h.account(alice, "USD", 10_000)
	dst := h.account(bob, "USD", 0)
	body := `{"from_account_id":"` + src.ID.String() + `","to_account_number":"` + dst.Number + `","amount":"12.34","currency":"USD","description":"rent"}`

	first := h.do("POST", "/v1/transfers", alice.token, body, "Idempotency-Key", "rent-2026-11-key")
	if first.status != http.StatusAccepted {
		t.Fatalf("status %d: %s", first.status, first.body)
	}
	var tr transferBody
	first.json(t, &tr)
	if tr.Amount != 1234 || tr.Status != "pending" || first.header.Get("Location") != "/v1/transfers/"+tr.ID {
		t.Fatalf("unexpected answer %s", first.body)
	}
	if h.workflows.starts() != 1 || h.workflows.started[0].ID != workflows.TransferWorkflowID(tr.ID) {
		t.Fatalf("workflow starts %+v", h.workflows.started)
	}
	// Its one line in the Temporal UI: the amount with the currency's decimals, the accounts' last
	// four digits.
	if want := "Transfer 12.34 USD from …" + src.Number[len(src.Number)-4:] + " to …" + dst.Number[len(dst.Number)-4:]; h.workflows.started[0].StaticSummary != want {
		t.Fatalf("summary %q; want %q", h.workflows.started[0].StaticSummary, want)
	}

	again := h.do("POST", "/v1/transfers", alice.token, body, "Idempotency-Key", "rent-2026-11-key")
	if again.status != first.status || string(again.body) != string(first.body) || again.header.Get("Idempotent-Replayed") != "true" {
		t.Fatalf("replay: %d %s (replayed=%q)", again.status, again.body, again.header.Get("Idempotent-Replayed"))
	}
	if h.workflows.starts() != 1 {
		t.Fatal("a replay started another workflow")
	}
	other := `{"from_account_id":"` + src.ID.String() + `","to_account_number":"` + dst.Number + `","amount":"99.00","currency":"USD"}`
	requireProblem(t, h.do("POST", "/v1/transfers", alice.token, other, "Idempotency-Key", "rent-2026-11-key"), http.StatusUnprocessableEntity, "")

	// Keys are per user: another user's identical key is a different request.
	bobSrc := h.account(bob, "USD", 100)
	mine := `{"from_account_id":"` + bobSrc.ID.String() + `","to_account_id":"` + src.ID.String() + `","amount":1,"currency":"USD"}`
	if r := h.do("POST", "/v1/transfers", bob.token, mine, "Idempotency-Key", "rent-2026-11-key"); r.status != http.StatusAccepted {
		t.Fatalf("bob's request with the same key: %d %s", r.status, r.body)
	}

	// The initiator sees the pending transfer; the recipient sees nothing of it yet, and a third
	// client never does.
	if r := h.do("GET", "/v1/transfers/"+tr.ID, alice.token, ""); r.status != http.StatusOK {
		t.Fatalf("GET transfer as its initiator: %d", r.status)
	}
	requireProblem(t, h.do("GET", "/v1/transfers/"+tr.ID, bob.token, ""), http.StatusNotFound, "")
	requireProblem(t, h.do("GET", "/v1/transfers/"+tr.ID, h.user(domain.RoleClient).token, ""), http.StatusNotFound, "")
}

// The other party of a transfer sees it only once it completed, and without the initiator's
// timeline; a transfer that failed stays the initiator's business, failure code and all.
func TestTransfer_OtherPartySeesOnlyCompletedTransfersWithoutDetails(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	ctx := t.Context()
	alice, bob := h.user(domain.RoleClient), h.user(domain.RoleClient)
	src, dst := h.account(alice, "USD", 10_000), h.account(bob, "USD", 0)
	send := func(key string, amount int64) transferBody {
		t.Helper()
		body := fmt.Sprintf(`{"from_account_id":%q,"to_account_number":%q,"amount":%d,"currency":"USD"}`, src.ID, dst.Number, amount)
		r := h.do("POST", "/v1/transfers", alice.token, body, "Idempotency-Key", key)
		if r.status != http.StatusAccepted {
			t.Fatalf("transfer: %d %s", r.status, r.body)
		}
		var tr transferBody
		r.json(t, &tr)
		return tr
	}
	paid, refused := send("visibility-paid", 2_500), send("visibility-refused", 5_000)
	id, _ := uuid.Parse(paid.ID)
	row, _ := h.store.GetTransfer(ctx, id)
	if err := h.store.PlaceHoldTx(ctx, row, time.Now().Add(time.Minute), db.HoldLimits{}); err != nil {
		t.Fatal(err)
	}
	if err := h.store.PostTransferTx(ctx, row, "test/"+paid.ID); err != nil {
		t.Fatal(err)
	}
	rid, _ := uuid.Parse(refused.ID)
	if _, err := h.store.FailTransferTx(ctx, rid, domain.StepPlaceHold, domain.CodeInsufficientFunds); err != nil {
		t.Fatal(err)
	}

	var seen struct {
		Status      domain.TransferStatus
		FailureCode *domain.Code `json:"failure_code"`
		Steps       []struct{ Name domain.TransferStep }
	}
	r := h.do("GET", "/v1/transfers/"+paid.ID, bob.token, "")
	r.json(t, &seen)
	if r.status != http.StatusOK || seen.Status != domain.TransferCompleted || len(seen.Steps) != 1 || seen.Steps[0].Name != domain.StepAccept {
		t.Fatalf("recipient's view of a completed transfer: %d %s; want it with the accept step only", r.status, r.body)
	}
	requireProblem(t, h.do("GET", "/v1/transfers/"+refused.ID, bob.token, ""), http.StatusNotFound, "")
	r = h.do("GET", "/v1/transfers/"+refused.ID, alice.token, "")
	r.json(t, &seen)
	if r.status != http.StatusOK || seen.FailureCode == nil || *seen.FailureCode != domain.CodeInsufficientFunds || len(seen.Steps) < 2 {
		t.Fatalf("initiator's view of a refused transfer: %d %s; want the code and the timeline", r.status, r.body)
	}
	var list struct{ Items []struct{ ID string } }
	r = h.do("GET", "/v1/transfers", bob.token, "")
	r.json(t, &list)
	if len(list.Items) != 1 || list.Items[0].ID != paid.ID {
		t.Fatalf("recipient's list %s; want only the completed transfer", r.body)
	}
}

func TestTransfer_TwentyParallelRequestsOneKeyOneEffect(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	alice, bob := h.user(domain.RoleClient), h.user(domain.RoleClient)
	src := h.account(alice, "USD", 10_000)
	dst := h.account(bob, "USD", 0)
	body := `{"from_account_id":"` + src.ID.String() + `","to_account_id":"` + dst.ID.String() + `","amount":500,"currency":"USD"}`
	var wg sync.WaitGroup
	statuses := make(chan int, 20)
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			statuses <- h.do("POST", "/v1/transfers", alice.token, body, "Idempotency-Key", "parallel-key-0001").status
		}()
	}
	wg.Wait()
	close(statuses)
	for s := range statuses {
		if s != http.StatusAccepted && s != http.StatusConflict {
			t.Fatalf("status %d; want 202 or 409", s)
		}
	}
	var n int
	if err := h.store.Pool().QueryRow(t.Context(), "SELECT count(*) FROM transfers WHERE kind = 'transfer'").Scan(&n); err != nil || n != 1 {
		t.Fatalf("%d transfers recorded; want 1 (%v)", n, err)
	}
	if h.workflows.starts() != 1 {
		t.Fatalf("%d workflows started; want 1", h.workflows.starts())
	}
}

func TestTransfer_KeyInFlightIsConflict(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	alice, bob := h.user(domain.RoleClient), h.user(domain.RoleClient)
	src := h.account(alice, "USD", 10_000)
	dst := h.account(bob, "USD", 0)
	body := `{"from_account_id":"` + src.ID.String() + `","to_account_id":"` + dst.ID.String() + `","amount":500,"currency":"USD"}`
	h.workflows.block = make(chan struct{})
	done := make(chan response)
	go func() {
		done <- h.do("POST", "/v1/transfers", alice.token, body, "Idempotency-Key", "in-flight-key-01")
	}()
	time.Sleep(200 * time.Millisecond)
	requireProblem(t, h.do("POST", "/v1/transfers", alice.token, body, "Idempotency-Key", "in-flight-key-01"), http.StatusConflict, "")
	close(h.workflows.block)
	if r := <-done; r.status != http.StatusAccepted {
		t.Fatalf("first request: %d %s", r.status, r.body)
	}
}

func TestTransfer_RejectedRequestDoesNotUseItsKey(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	alice, bob := h.user(domain.RoleClient), h.user(domain.RoleClient)
	src := h.account(alice, "USD", 10_000)
	dst := h.account(bob, "USD", 0)
	base := `{"from_account_id":"` + src.ID.String() + `","to_account_id":"` + dst.ID.String() + `","currency":"USD","amount":`
	requireProblem(t, h.do("POST", "/v1/transfers", alice.token, base+`0}`, "Idempotency-Key", "reused-after-422"), http.StatusUnprocessableEntity, "amount")
	if r := h.do("POST", "/v1/transfers", alice.token, base+`100}`, "Idempotency-Key", "reused-after-422"); r.status != http.StatusAccepted {
		t.Fatalf("valid request after a rejected one: %d %s", r.status, r.body)
	}
}

func TestTransfer_StartFailureIsRetryableWithTheSameKey(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	alice, bob := h.user(domain.RoleClient), h.user(domain.RoleClient)
	src := h.account(alice, "USD", 10_000)
	dst := h.account(bob, "USD", 0)
	body := `{"from_account_id":"` + src.ID.String() + `","to_account_id":"` + dst.ID.String() + `","amount":500,"currency":"USD"}`
	h.workflows.err = errors.New("temporal unavailable")
	requireProblem(t, h.do("POST", "/v1/transfers", alice.token, body, "Idempotency-Key", "retry-after-503"), http.StatusServiceUnavailable, "")
	h.workflows.err = nil
	r := h.do("POST", "/v1/transfers", alice.token, body, "Idempotency-Key", "retry-after-503")
	if r.status != http.StatusAccepted {
		t.Fatalf("retry: %d %s", r.status, r.body)
	}
	var n int
	_ = h.store.Pool().QueryRow(t.Context(), "SELECT count(*) FROM transfers WHERE kind = 'transfer'").Scan(&n)
	if n != 1 {
		t.Fatalf("%d transfers; want 1", n)
	}
}

func TestDeposit_AdminOnlyAndIdempotent(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	admin, alice := h.user(domain.RoleAdmin), h.user(domain.RoleClient)
	acc := h.account(alice, "COP", 0)
	path := "/v1/admin/accounts/" + acc.ID.String() + "/deposits"
	body := `{"amount":"1500.50","currency":"COP","description":"cash"}`
	requireProblem(t, h.do("POST", path, alice.token, body, "Idempotency-Key", "deposit-key-0001"), http.StatusForbidden, "")
	r := h.do("POST", path, admin.token, body, "Idempotency-Key", "deposit-key-0001")
	if r.status != http.StatusAccepted {
		t.Fatalf("deposit: %d %s", r.status, r.body)
	}
	var tr transferBody
	r.json(t, &tr)
	if tr.Kind != "deposit" || tr.Amount != 150050 {
		t.Fatalf("deposit %+v", tr)
	}
	if again := h.do("POST", path, admin.token, body, "Idempotency-Key", "deposit-key-0001"); again.header.Get("Idempotent-Replayed") != "true" {
		t.Fatal("deposit replay not marked")
	}
	// The customer sees the deposit once the money arrived.
	requireProblem(t, h.do("GET", "/v1/transfers/"+tr.ID, alice.token, ""), http.StatusNotFound, "")
	id, _ := uuid.Parse(tr.ID)
	row, _ := h.store.GetTransfer(t.Context(), id)
	if err := h.store.PlaceHoldTx(t.Context(), row, time.Now().Add(time.Minute), db.HoldLimits{}); err != nil {
		t.Fatal(err)
	}
	if err := h.store.PostTransferTx(t.Context(), row, "test/"+tr.ID); err != nil {
		t.Fatal(err)
	}
	if r := h.do("GET", "/v1/transfers/"+tr.ID, alice.token, ""); r.status != http.StatusOK {
		t.Fatalf("customer reads the completed deposit: %d", r.status)
	}
}

func TestAccounts_OpenListAndHistoryPaging(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	alice := h.user(domain.RoleClient)
	r := h.do("POST", "/v1/accounts", alice.token, `{"currency":"EUR"}`, "Idempotency-Key", "open-eur-account")
	if r.status != http.StatusCreated {
		t.Fatalf("open: %d %s", r.status, r.body)
	}
	again := h.do("POST", "/v1/accounts", alice.token, `{"currency":"EUR"}`, "Idempotency-Key", "open-eur-account")
	var a1, a2 struct{ ID, Number string }
	r.json(t, &a1)
	again.json(t, &a2)
	if a1.ID != a2.ID {
		t.Fatal("the same key opened two accounts")
	}
	acc := h.account(alice, "USD", 0)
	// Five deposits, read two at a time, newest first.
	for range 5 {
		h.deposit(acc, 100)
	}
	var seen int
	cursor := ""
	for page := 0; page < 5; page++ {
		path := "/v1/accounts/" + acc.ID.String() + "/transactions?limit=2&direction=incoming"
		if cursor != "" {
			path += "&cursor=" + cursor
		}
		r := h.do("GET", path, alice.token, "")
		var body struct {
			Items []struct {
				BalanceAfter int64  `json:"balance_after"`
				Direction    string `json:"direction"`
			} `json:"items"`
			NextCursor *string `json:"next_cursor"`
		}
		r.json(t, &body)
		for _, it := range body.Items {
			if it.Direction != "incoming" {
				t.Fatalf("direction %s", it.Direction)
			}
			if want := int64(500 - 100*seen); it.BalanceAfter != want {
				t.Fatalf("item %d balance_after %d; want %d (newest first)", seen, it.BalanceAfter, want)
			}
			seen++
		}
		if body.NextCursor == nil {
			break
		}
		cursor = *body.NextCursor
	}
	if seen != 5 {
		t.Fatalf("paged through %d items; want 5", seen)
	}
	if r := h.do("GET", "/v1/accounts/"+acc.ID.String()+"/transactions?direction=outgoing", alice.token, ""); !containsJSON(r.body, `"items":[]`) {
		t.Fatalf("outgoing: %s", r.body)
	}
}

func TestTransfer_WaitHoldsTheAnswerUntilTheTransferEnds(t *testing.T) {
	t.Parallel()
	// The waiting read re-reads only once a minute: an answer before that came from the notification.
	h := newHarness(t, func(c *api.Config) { c.MaxWait, c.WaitRecheck = time.Minute, time.Minute })
	alice, bob := h.user(domain.RoleClient), h.user(domain.RoleClient)
	src := h.account(alice, "USD", 10_000)
	dst := h.account(bob, "USD", 0)
	body := `{"from_account_id":"` + src.ID.String() + `","to_account_id":"` + dst.ID.String() + `","amount":700,"currency":"USD"}`
	r := h.do("POST", "/v1/transfers", alice.token, body, "Idempotency-Key", "wait-for-it-0001")
	var tr transferBody
	r.json(t, &tr)

	// Nothing happens: the wait runs out and the transfer is still pending.
	start := time.Now()
	r = h.do("GET", "/v1/transfers/"+tr.ID+"?wait=300ms", alice.token, "")
	r.json(t, &tr)
	if tr.Status != "pending" || time.Since(start) < 300*time.Millisecond {
		t.Fatalf("status %s after %s", tr.Status, time.Since(start))
	}

	// The transfer ends while a request waits: the answer comes at once, not at the end of the wait.
	go func() {
		time.Sleep(300 * time.Millisecond)
		id, _ := uuid.Parse(tr.ID)
		t2, _ := h.store.GetTransfer(context.Background(), id)
		if err := h.store.PlaceHoldTx(context.Background(), t2, time.Now().Add(time.Minute), db.HoldLimits{}); err != nil {
			t.Error(err)
		}
		if err := h.store.PostTransferTx(context.Background(), t2, "test/"+tr.ID); err != nil {
			t.Error(err)
		}
	}()
	start = time.Now()
	r = h.do("GET", "/v1/transfers/"+tr.ID+"?wait=50s", alice.token, "")
	r.json(t, &tr)
	if tr.Status != "completed" {
		t.Fatalf("status %s", tr.Status)
	}
	if took := time.Since(start); took > 30*time.Second {
		t.Fatalf("the waiting read answered after %s; the notification should wake it", took)
	}
	requireProblem(t, h.do("GET", "/v1/transfers/"+tr.ID+"?wait=later", alice.token, ""), http.StatusUnprocessableEntity, "wait")
}

// Separation of duties: an admin cannot deposit into, or withdraw from, an account of their own,
// and the refused request starts nothing.
func TestCashMovement_StaffCannotMoveMoneyOnTheirOwnAccounts(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	admin := h.user(domain.RoleAdmin)
	own := h.account(admin, "USD", 1_000)
	for _, kind := range []string{"deposits", "withdrawals"} {
		r := h.do("POST", "/v1/admin/accounts/"+own.ID.String()+"/"+kind, admin.token, `{"amount":100,"currency":"USD"}`, "Idempotency-Key", "own-"+kind)
		requireProblem(t, r, http.StatusForbidden, "")
	}
	if n := h.workflows.starts(); n != 0 {
		t.Fatalf("%d workflows started", n)
	}
	if got, _ := h.store.GetAccount(t.Context(), own.ID); got.Balance != 1_000 {
		t.Fatalf("balance %d; want 1000", got.Balance)
	}
}

// A client that gives up on a request (its timeout, a dropped connection) leaves no key behind:
// the request ends on the server all the same, and its key records its answer, or is released
// when it failed, so the client's retry gets that answer or runs again at once, not 409 until the
// key's claim grows stale.
func TestTransfer_KeyOutlivesAClientThatLeft(t *testing.T) {
	t.Parallel()
	for _, fails := range []bool{false, true} {
		h := newHarness(t)
		alice, bob := h.user(domain.RoleClient), h.user(domain.RoleClient)
		src, dst := h.account(alice, "USD", 10_000), h.account(bob, "USD", 0)
		body := `{"from_account_id":"` + src.ID.String() + `","to_account_id":"` + dst.ID.String() + `","amount":500,"currency":"USD"}`
		const key = "client-left-0001"
		h.workflows.block = make(chan struct{})
		if fails {
			h.workflows.err = errors.New("temporal unavailable")
		}
		ctx, cancel := context.WithTimeout(t.Context(), 300*time.Millisecond)
		req, _ := http.NewRequestWithContext(ctx, "POST", h.srv.URL+"/v1/transfers", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+alice.token)
		req.Header.Set("Idempotency-Key", key)
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
			t.Fatalf("the request answered %d before its client left", resp.StatusCode)
		}
		cancel()
		close(h.workflows.block) // the request ends, its client gone

		// The key records the answer, or is gone, within moments.
		deadline := time.Now().Add(5 * time.Second)
		for {
			var answered *int32
			err := h.store.Pool().QueryRow(t.Context(), "SELECT status_code FROM idempotency_keys WHERE key = $1", key).Scan(&answered)
			if (fails && errors.Is(err, pgx.ErrNoRows)) || (!fails && err == nil && answered != nil) {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("failed %v: the key is still claimed, unanswered, after its request ended (%v)", fails, err)
			}
			time.Sleep(20 * time.Millisecond)
		}
		h.workflows.mu.Lock()
		h.workflows.err = nil
		h.workflows.mu.Unlock()
		r := h.do("POST", "/v1/transfers", alice.token, body, "Idempotency-Key", key)
		if replayed := r.header.Get("Idempotent-Replayed") == "true"; r.status != http.StatusAccepted || replayed == fails {
			t.Fatalf("failed %v: the retry answered %d (replayed %v) %s; want 202, replayed only if the first was accepted", fails, r.status, replayed, r.body)
		}
	}
}

// Requests under one key whose first attempts fail and release it: a retry that found the key
// taken, and then gone when it read it, claims it again; none answers 500.
func TestTransfer_KeyReleasedWhileARetryReadsItIsClaimedAgain(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	alice, bob := h.user(domain.RoleClient), h.user(domain.RoleClient)
	src := h.account(alice, "USD", 10_000)
	dst := h.account(bob, "USD", 0)
	body := `{"from_account_id":"` + src.ID.String() + `","to_account_id":"` + dst.ID.String() + `","amount":500,"currency":"USD"}`
	h.workflows.err = errors.New("temporal unavailable") // every start fails, and releases the key
	statuses := map[int]int{}
	var mu sync.Mutex
	for round := range 10 {
		key := fmt.Sprintf("released-key-%04d", round)
		var wg sync.WaitGroup
		for range 20 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				s := h.do("POST", "/v1/transfers", alice.token, body, "Idempotency-Key", key).status
				mu.Lock()
				statuses[s]++
				mu.Unlock()
			}()
		}
		wg.Wait()
	}
	for s, n := range statuses {
		if s != http.StatusServiceUnavailable && s != http.StatusConflict {
			t.Fatalf("answers %v: %d answered %d; want only 503 (the start failed) or 409 (the key in flight)", statuses, n, s)
		}
	}
}
