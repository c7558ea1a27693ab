package api_test

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/google/uuid"

	"github.com/bankforge/bank/api"
	"github.com/bankforge/bank/domain"
)

// A destination account number is checked for the shape of a number the bank issues, check digit
// included, before anything is looked up: a number that cannot exist is a field error, never a 404
// that would say which numbers do.
func TestTransfer_DestinationNumberIsCheckedBeforeAnyLookup(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	alice := h.user(domain.RoleClient)
	src := h.account(alice, "USD", 10_000)
	before := h.counts()
	for i, number := range []string{
		"18",                  // a correct check digit, but no account number is 2 digits long
		"1234567897",          // 10 digits, check digit correct
		"1000000000000000009", // 19 digits, check digit correct
		"000000000018",        // 12 digits, check digit correct, but a leading zero
		"482130675946",        // 12 digits, wrong check digit (482130675945 is right)
		"100000018",           // 9 digits, the first numbers' length, wrong check digit (100000017 is right)
		"4821 3067 5945",
		" 482130675945",
		"CASH-USD",
		"١٢٣٤٥٦٧٨٩٠١٢",
	} {
		t.Run(number, func(t *testing.T) {
			body := fmt.Sprintf(`{"from_account_id":%q,"to_account_number":%q,"amount":100,"currency":"USD"}`, src.ID, number)
			r := h.do("POST", "/v1/transfers", alice.token, body, "Idempotency-Key", fmt.Sprintf("bad-number-%02d", i))
			requireFieldError(t, r, http.StatusUnprocessableEntity, "to_account_number", "is not a valid account number")
		})
	}
	if after := h.counts(); !equalCounts(before, after) {
		t.Fatalf("state changed: %v -> %v", before, after)
	}
	if n := h.workflows.starts(); n != 0 {
		t.Fatalf("%d workflows started", n)
	}
}

// The accounts opened while numbers were drawn from a sequence keep their 9-digit numbers, and
// money still reaches them by number.
func TestTransfer_ToANineDigitNumberOfTheFirstAccounts(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	alice, bob := h.user(domain.RoleClient), h.user(domain.RoleClient)
	src, dst := h.account(alice, "USD", 10_000), h.account(bob, "USD", 0)
	if _, err := h.store.Pool().Exec(t.Context(), "UPDATE accounts SET number = '100000017' WHERE id = $1", dst.ID); err != nil {
		t.Fatal(err)
	}
	body := fmt.Sprintf(`{"from_account_id":%q,"to_account_number":"100000017","amount":100,"currency":"USD"}`, src.ID)
	r := h.do("POST", "/v1/transfers", alice.token, body, "Idempotency-Key", "to-a-first-account")
	if r.status != http.StatusAccepted {
		t.Fatalf("transfer to 100000017: %d %s", r.status, r.body)
	}
	var tr transferBody
	r.json(t, &tr)
	if got, err := h.store.GetTransfer(t.Context(), uuid.MustParse(tr.ID)); err != nil || got.ToAccountID != dst.ID {
		t.Fatalf("the transfer goes to %s (%v); want %s", got.ToAccountID, err, dst.ID)
	}
}

// requireFieldError fails unless r is a problem with status that gives field exactly message.
func requireFieldError(t *testing.T, r response, status int, field, message string) {
	t.Helper()
	requireProblem(t, r, status, field)
	var p api.Problem
	r.json(t, &p)
	for _, e := range p.Errors {
		if e.Field == field && e.Message == message {
			return
		}
	}
	t.Fatalf("problem %s does not give %s %q", r.body, field, message)
}
