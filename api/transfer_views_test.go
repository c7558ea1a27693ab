package api_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/bankforge/bank/db"
	"github.com/bankforge/bank/domain"
)

// A transfer to another customer shows the sender that customer's account by its number only: the
// 202, its replay, the transfer and the list never carry the destination's id, which would let the
// sender address the account in ways its number does not. The recipient likewise sees the sender's
// account by number. Between one's own accounts, both ids are shown.
func TestTransfer_PartiesSeeEachOthersAccountByNumberOnly(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	alice, bob := h.user(domain.RoleClient), h.user(domain.RoleClient)
	src, dst := h.account(alice, "USD", 10_000), h.account(bob, "USD", 0)
	body := fmt.Sprintf(`{"from_account_id":%q,"to_account_number":%q,"amount":250,"currency":"USD"}`, src.ID, dst.Number)
	posted := h.do("POST", "/v1/transfers", alice.token, body, "Idempotency-Key", "alice-pays-bob")
	if posted.status != http.StatusAccepted {
		t.Fatalf("transfer: %d %s", posted.status, posted.body)
	}
	var tr transferBody
	posted.json(t, &tr)
	replayed := h.do("POST", "/v1/transfers", alice.token, body, "Idempotency-Key", "alice-pays-bob")
	pending := h.do("GET", "/v1/transfers/"+tr.ID, alice.token, "")
	complete(t, h, tr.ID)

	views := []struct {
		name     string
		r        response
		own      db.Account // the viewer's account, shown by id
		other    db.Account // the other party's, shown by number only
		ownField string
	}{
		{"the sender's 202", posted, src, dst, "from"},
		{"the sender's replayed 202", replayed, src, dst, "from"},
		{"the sender's pending transfer", pending, src, dst, "from"},
		{"the sender's completed transfer", h.do("GET", "/v1/transfers/"+tr.ID, alice.token, ""), src, dst, "from"},
		{"the sender's waited-for transfer", h.do("GET", "/v1/transfers/"+tr.ID+"?wait=1s", alice.token, ""), src, dst, "from"},
		{"the sender's list", h.do("GET", "/v1/transfers", alice.token, ""), src, dst, "from"},
		{"the recipient's transfer", h.do("GET", "/v1/transfers/"+tr.ID, bob.token, ""), dst, src, "to"},
		{"the recipient's list", h.do("GET", "/v1/transfers", bob.token, ""), dst, src, "to"},
	}
	for _, v := range views {
		if v.r.status != http.StatusOK && v.r.status != http.StatusAccepted {
			t.Fatalf("%s: %d %s", v.name, v.r.status, v.r.body)
		}
		if strings.Contains(string(v.r.body), v.other.ID.String()) {
			t.Errorf("%s carries the other party's account id %s: %s", v.name, v.other.ID, v.r.body)
		}
		otherField := map[string]string{"from": "to", "to": "from"}[v.ownField]
		for _, want := range []string{
			fmt.Sprintf(`"%s_account_id":%q`, v.ownField, v.own.ID),
			fmt.Sprintf(`"%s_account_number":%q`, v.ownField, v.own.Number),
			fmt.Sprintf(`"%s_account_id":null`, otherField),
			fmt.Sprintf(`"%s_account_number":%q`, otherField, v.other.Number),
		} {
			if !containsJSON(v.r.body, want) {
				t.Errorf("%s lacks %s: %s", v.name, want, v.r.body)
			}
		}
	}

	// A deposit shows the customer the cash account by its number.
	if r := h.do("GET", "/v1/transfers", alice.token, ""); !containsJSON(r.body, `"from_account_id":null,"from_account_number":"CASH-USD"`) {
		t.Errorf("alice's list shows her deposit without the cash account's number: %s", r.body)
	}

	// Between the caller's own accounts, both are the caller's to see by id.
	savings := h.account(alice, "USD", 0)
	own := h.do("POST", "/v1/transfers", alice.token,
		fmt.Sprintf(`{"from_account_id":%q,"to_account_id":%q,"amount":100,"currency":"USD"}`, src.ID, savings.ID),
		"Idempotency-Key", "alice-saves")
	for _, want := range []string{fmt.Sprintf(`"from_account_id":%q`, src.ID), fmt.Sprintf(`"to_account_id":%q`, savings.ID)} {
		if own.status != http.StatusAccepted || !containsJSON(own.body, want) {
			t.Errorf("a transfer between one's own accounts: %d %s; want %s", own.status, own.body, want)
		}
	}
}

// complete holds and posts a transfer as its workflow would.
func complete(t *testing.T, h *harness, transferID string) {
	t.Helper()
	id, err := uuid.Parse(transferID)
	if err != nil {
		t.Fatal(err)
	}
	row, err := h.store.GetTransfer(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	if err := h.store.PlaceHoldTx(t.Context(), row, time.Now().Add(time.Minute), db.HoldLimits{}); err != nil {
		t.Fatal(err)
	}
	if err := h.store.PostTransferTx(t.Context(), row, "test/"+transferID); err != nil {
		t.Fatal(err)
	}
}
