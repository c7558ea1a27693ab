package api_test

import (
	"context"
	"encoding/csv"
	"math/rand/v2"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/bankforge/bank/db"
	"github.com/bankforge/bank/domain"
)

// move posts amount from one account to another as the transfer workflow would, with a description.
func (h *harness) move(kind domain.TransferKind, by uuid.UUID, from, to db.Account, amount int64, desc string) uuid.UUID {
	h.t.Helper()
	ctx := context.Background()
	id := uuid.New()
	tr, err := h.store.CreateTransfer(ctx, db.CreateTransferParams{ID: id, Kind: kind, InitiatedBy: by,
		FromAccountID: from.ID, ToAccountID: to.ID, Amount: amount, Currency: from.Currency, Description: desc, WorkflowID: "test-" + id.String()})
	if err != nil {
		h.t.Fatal(err)
	}
	if err := h.store.PlaceHoldTx(ctx, tr, time.Now().Add(time.Minute), db.HoldLimits{}); err != nil {
		h.t.Fatal(err)
	}
	if err := h.store.PostTransferTx(ctx, tr, "test/"+id.String()); err != nil {
		h.t.Fatal(err)
	}
	return id
}

type statementBody struct {
	OpeningBalance int64 `json:"opening_balance"`
	ClosingBalance int64 `json:"closing_balance"`
	TotalIn        int64 `json:"total_in"`
	TotalOut       int64 `json:"total_out"`
	Entries        []struct {
		PostedAt     time.Time `json:"posted_at"`
		Amount       int64     `json:"amount"`
		BalanceAfter int64     `json:"balance_after"`
	} `json:"entries"`
}

// On a random history, every statement's opening balance plus its postings is its closing balance,
// each posting's balance follows the one before, and the whole history's statement ends at the
// account's balance.
func TestStatement_OpeningPlusPostingsIsClosingOnRandomHistories(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	ana, ben := h.user(domain.RoleClient), h.user(domain.RoleClient)
	acc, other := h.account(ana, "USD", 0), h.account(ben, "USD", 1_000_000)
	ctx := context.Background()
	cash, err := h.store.GetCashAccount(ctx, db.GetCashAccountParams{Kind: domain.AccountCash, Currency: "USD"})
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(7, 11))
	start := time.Now().Add(-time.Second)
	var times []time.Time
	balance := int64(0)
	for range 40 {
		amount := 1 + rng.Int64N(5_000)
		switch op := rng.IntN(4); {
		case op == 0 || balance < amount:
			h.move(domain.KindDeposit, ana.ID, cash, acc, amount, "cash in")
			balance += amount
		case op == 1:
			h.move(domain.KindTransfer, ben.ID, other, acc, amount, "from ben")
			balance += amount
		case op == 2:
			h.move(domain.KindTransfer, ana.ID, acc, other, amount, "to ben")
			balance -= amount
		default:
			h.move(domain.KindWithdrawal, ana.ID, acc, cash, amount, "cash out")
			balance -= amount
		}
		times = append(times, time.Now())
	}
	end := time.Now().Add(time.Second)

	read := func(from, to time.Time) statementBody {
		t.Helper()
		r := h.do("GET", "/v1/accounts/"+acc.ID.String()+"/statement?from="+from.UTC().Format(time.RFC3339Nano)+"&to="+to.UTC().Format(time.RFC3339Nano), ana.token, "")
		if r.status != http.StatusOK {
			t.Fatalf("statement %s..%s: %d %s", from, to, r.status, r.body)
		}
		var s statementBody
		r.json(t, &s)
		return s
	}
	check := func(s statementBody) {
		t.Helper()
		running := s.OpeningBalance
		for i, e := range s.Entries {
			running += e.Amount
			if e.BalanceAfter != running {
				t.Fatalf("entry %d's balance %d; the opening and the postings before it make %d", i, e.BalanceAfter, running)
			}
		}
		if running != s.ClosingBalance || s.OpeningBalance+s.TotalIn-s.TotalOut != s.ClosingBalance {
			t.Fatalf("opening %d + postings = %d, in %d out %d; closing %d", s.OpeningBalance, running, s.TotalIn, s.TotalOut, s.ClosingBalance)
		}
	}
	whole := read(start, end)
	check(whole)
	if whole.OpeningBalance != 0 || whole.ClosingBalance != balance || len(whole.Entries) != 40 {
		t.Fatalf("the whole history: opening %d closing %d entries %d; want 0, %d, 40", whole.OpeningBalance, whole.ClosingBalance, len(whole.Entries), balance)
	}
	for range 60 {
		a, b := times[rng.IntN(len(times))], times[rng.IntN(len(times))]
		if !b.After(a) {
			a, b = b, a.Add(time.Millisecond)
		}
		check(read(a, b))
	}
	// A period with no posting in it: opening and closing are the balance at that time.
	after := read(end, end.Add(time.Hour))
	if len(after.Entries) != 0 || after.OpeningBalance != balance || after.ClosingBalance != balance {
		t.Fatalf("an empty later period: %+v; want %d throughout", after, balance)
	}
}

// The CSV statement has a header row, amounts as decimal strings in the currency's units, and text
// a spreadsheet would run as a formula made inert; commas, quotes and line breaks survive.
func TestStatement_CSVIsSafeAndExact(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	ana, ben := h.user(domain.RoleClient), h.user(domain.RoleClient)
	acc, other := h.account(ana, "USD", 0), h.account(ben, "USD", 100_000)
	from := time.Now().Add(-time.Second)
	h.move(domain.KindTransfer, ben.ID, other, acc, 123_45, `=HYPERLINK("http://evil.example","click")`)
	h.move(domain.KindTransfer, ben.ID, other, acc, 5, "rent, \"May\"\nsecond line")
	to := time.Now().Add(time.Second)
	r := h.do("GET", "/v1/accounts/"+acc.ID.String()+"/statement?from="+from.UTC().Format(time.RFC3339Nano)+"&to="+to.UTC().Format(time.RFC3339Nano), ana.token, "", "Accept", "text/csv")
	if r.status != http.StatusOK || !strings.HasPrefix(r.header.Get("Content-Type"), "text/csv") {
		t.Fatalf("csv: %d %s %s", r.status, r.header.Get("Content-Type"), r.body)
	}
	rows, err := csv.NewReader(strings.NewReader(string(r.body))).ReadAll()
	if err != nil {
		t.Fatalf("not RFC 4180: %v\n%s", err, r.body)
	}
	if strings.Join(rows[0], ",") != "posted_at,transfer_id,description,counterparty_account_number,amount,balance_after,currency" {
		t.Fatalf("header %v", rows[0])
	}
	if rows[1][2] != "Opening balance" || rows[1][5] != "0.00" {
		t.Fatalf("opening row %v", rows[1])
	}
	if rows[2][2] != `'=HYPERLINK("http://evil.example","click")` || rows[2][4] != "123.45" || rows[2][5] != "123.45" {
		t.Fatalf("first entry %v", rows[2])
	}
	if rows[3][2] != "rent, \"May\"\nsecond line" || rows[3][4] != "0.05" || rows[3][5] != "123.50" {
		t.Fatalf("second entry %v", rows[3])
	}
	if last := rows[len(rows)-1]; last[2] != "Closing balance" || last[5] != "123.50" {
		t.Fatalf("closing row %v", last)
	}
	for _, bad := range []string{"", "?from=2026-01-01T00:00:00Z", "?from=2026-02-01T00:00:00Z&to=2026-01-01T00:00:00Z", "?from=2024-01-01T00:00:00Z&to=2026-01-01T00:00:00Z"} {
		requireProblem(t, h.do("GET", "/v1/accounts/"+acc.ID.String()+"/statement"+bad, ana.token, ""), http.StatusUnprocessableEntity, "")
	}
}
