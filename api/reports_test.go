package api_test

import (
	"context"
	"encoding/csv"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/bankforge/bank/db"
	"github.com/bankforge/bank/domain"
)

type reportRow struct {
	Period          string    `json:"period"`
	StartAt         time.Time `json:"start_at"`
	EndAt           time.Time `json:"end_at"`
	Currency        string    `json:"currency"`
	Deposits        int64     `json:"deposits"`
	DepositVolume   int64     `json:"deposit_volume"`
	Transfers       int64     `json:"transfers"`
	TransferVolume  int64     `json:"transfer_volume"`
	Failed          int64     `json:"failed"`
	ActiveCustomers int64     `json:"active_customers"`
}

// Periods follow the time zone's calendar across a daylight-saving change, the first is clamped to
// from, every period and currency appears, and a movement counts in the local day it happened.
func TestReportTransactions_PeriodsFollowTheTimeZonesCalendar(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	support := h.user(domain.RoleSupport)
	ana, ben := h.user(domain.RoleClient), h.user(domain.RoleClient)
	acc, other := h.account(ana, "USD", 0), h.account(ben, "USD", 0)
	ctx := context.Background()
	cash, err := h.store.GetCashAccount(ctx, db.GetCashAccountParams{Kind: domain.AccountCash, Currency: "USD"})
	if err != nil {
		t.Fatal(err)
	}
	at := func(id uuid.UUID, when string) {
		t.Helper()
		if _, err := h.store.Pool().Exec(ctx, "UPDATE transfers SET created_at = $2 WHERE id = $1", id, when); err != nil {
			t.Fatal(err)
		}
	}
	// New York moves its clocks forward on 2026-03-08: that local day has 23 hours.
	at(h.move(domain.KindDeposit, ana.ID, cash, acc, 100, ""), "2026-03-07T06:00:00Z")   // before from: left out
	at(h.move(domain.KindDeposit, ana.ID, cash, acc, 200, ""), "2026-03-08T04:30:00Z")   // 7 March, 23:30 EST
	at(h.move(domain.KindDeposit, ben.ID, cash, other, 300, ""), "2026-03-09T03:30:00Z") // 8 March, 23:30 EDT
	at(h.move(domain.KindTransfer, ana.ID, acc, other, 50, ""), "2026-03-09T04:30:00Z")  // 9 March, 00:30 EDT
	failed := uuid.New()
	if _, err := h.store.CreateTransfer(ctx, db.CreateTransferParams{ID: failed, Kind: domain.KindTransfer, InitiatedBy: ana.ID,
		FromAccountID: acc.ID, ToAccountID: other.ID, Amount: 1_000_000, Currency: "USD", WorkflowID: "test-" + failed.String()}); err != nil {
		t.Fatal(err)
	}
	if _, err := h.store.FailTransferTx(ctx, failed, domain.StepValidate, domain.CodeInsufficientFunds); err != nil {
		t.Fatal(err)
	}
	at(failed, "2026-03-09T05:00:00Z")

	r := h.do("GET", "/v1/admin/reports/transactions?from=2026-03-07T12:00:00Z&to=2026-03-10T04:00:00Z&interval=day&tz=America/New_York", support.token, "")
	if r.status != http.StatusOK {
		t.Fatalf("report: %d %s", r.status, r.body)
	}
	var body struct{ Items []reportRow }
	r.json(t, &body)
	usd := map[string]reportRow{}
	currencies := map[string]int{}
	for _, it := range body.Items {
		currencies[it.Currency]++
		if it.Currency == "USD" {
			usd[it.Period] = it
		}
	}
	for c, n := range currencies {
		if n != 3 {
			t.Errorf("%s appears in %d periods; want 3", c, n)
		}
	}
	day7, day8, day9 := usd["2026-03-07T00:00:00"], usd["2026-03-08T00:00:00"], usd["2026-03-09T00:00:00"]
	if !day7.StartAt.Equal(time.Date(2026, 3, 7, 12, 0, 0, 0, time.UTC)) || day7.Deposits != 1 || day7.DepositVolume != 200 {
		t.Errorf("7 March %+v; want from 12:00Z, one deposit of 200", day7)
	}
	if d := day8.EndAt.Sub(day8.StartAt); d != 23*time.Hour || day8.Deposits != 1 || day8.DepositVolume != 300 {
		t.Errorf("8 March %+v (%s long); want 23 hours and one deposit of 300", day8, d)
	}
	if day9.Transfers != 1 || day9.TransferVolume != 50 || day9.Failed != 1 || day9.ActiveCustomers != 2 {
		t.Errorf("9 March %+v; want one transfer of 50, one failed, two active customers", day9)
	}

	c := h.do("GET", "/v1/admin/reports/transactions?from=2026-03-01T00:00:00Z&to=2026-04-01T00:00:00Z&interval=month", support.token, "", "Accept", "text/csv")
	rows, err := csv.NewReader(strings.NewReader(string(c.body))).ReadAll()
	if err != nil || c.status != http.StatusOK {
		t.Fatalf("csv: %d %v\n%s", c.status, err, c.body)
	}
	for _, row := range rows[1:] {
		if row[3] == "USD" && (row[5] != "0.50" || row[7] != "6.00") {
			t.Fatalf("March in USD %v; want transfer volume 0.50 and deposit volume 6.00", row)
		}
	}
	for _, bad := range []string{
		"from=2026-03-01T00:00:00Z&to=2026-04-01T00:00:00Z&tz=Mars/Olympus",
		"from=2026-03-01T00:00:00Z&to=2026-04-01T00:00:00Z&tz=%2B05:00",
		"from=2026-03-01T00:00:00Z&to=2026-04-01T00:00:00Z&interval=year",
		"from=2026-04-01T00:00:00Z&to=2026-03-01T00:00:00Z",
		"from=2020-01-01T00:00:00Z&to=2026-01-01T00:00:00Z&interval=day",
		"to=2026-04-01T00:00:00Z",
	} {
		requireProblem(t, h.do("GET", "/v1/admin/reports/transactions?"+bad, support.token, ""), http.StatusUnprocessableEntity, "")
	}
}

// The account-status report adds up to the ledger: each currency's customer balance is minus its
// cash account's, and the frozen accounts are listed with their reason and end.
func TestReportAccounts_MatchesTheLedger(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	admin := h.user(domain.RoleAdmin)
	ana, ben := h.user(domain.RoleClient), h.user(domain.RoleClient)
	a := h.account(ana, "USD", 12_345)
	h.account(ben, "USD", 655)
	h.account(ben, "EUR", 1_000)
	ctx := context.Background()
	until := time.Now().Add(24 * time.Hour).UTC().Truncate(time.Second)
	rec, err := h.store.RecordFreezeTx(ctx, db.FreezeRequest{ID: uuid.New(), AccountID: a.ID, Reason: domain.FreezeLegalOrder,
		Scope: domain.FreezeDebit, Until: &until, RequestedBy: admin.ID, WorkflowID: func(n int32) string { return "freeze-test-" + uuid.NewString() }})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.store.ApplyFreezeTx(ctx, rec.Freeze.ID); err != nil {
		t.Fatal(err)
	}
	var report struct {
		ByStatus []struct {
			Currency, Status string
			Accounts         int64
			Balance          int64
		} `json:"by_status"`
		Totals []struct {
			Currency        string
			CustomerBalance int64 `json:"customer_balance"`
			CashBalance     int64 `json:"cash_balance"`
		}
		Frozen []struct {
			Number string
			Reason string
			Until  *time.Time
		}
	}
	r := h.do("GET", "/v1/admin/reports/accounts", admin.token, "")
	if r.status != http.StatusOK {
		t.Fatalf("report: %d %s", r.status, r.body)
	}
	r.json(t, &report)
	want := map[string]int64{"USD/active": 655, "USD/frozen": 12_345, "EUR/active": 1_000}
	if len(report.ByStatus) != len(want) {
		t.Fatalf("by status %+v; want %v", report.ByStatus, want)
	}
	for _, row := range report.ByStatus {
		if want[row.Currency+"/"+row.Status] != row.Balance || row.Accounts != 1 {
			t.Errorf("%s %s: %d accounts, %d; want 1, %d", row.Currency, row.Status, row.Accounts, row.Balance, want[row.Currency+"/"+row.Status])
		}
	}
	report2, err := h.store.CheckLedger(ctx)
	if err != nil || !report2.OK {
		t.Fatalf("ledger check: %+v %v", report2, err)
	}
	for _, tot := range report.Totals {
		if tot.CustomerBalance != -tot.CashBalance {
			t.Errorf("%s: customers hold %d, the cash account %d; want opposites", tot.Currency, tot.CustomerBalance, tot.CashBalance)
		}
	}
	if len(report.Frozen) != 1 || report.Frozen[0].Number != a.Number || report.Frozen[0].Reason != "legal_order" || report.Frozen[0].Until == nil || !report.Frozen[0].Until.Equal(until) {
		t.Fatalf("frozen %+v", report.Frozen)
	}
	c := h.do("GET", "/v1/admin/reports/accounts", admin.token, "", "Accept", "text/csv")
	rows, err := csv.NewReader(strings.NewReader(string(c.body))).ReadAll()
	if err != nil || len(rows) < 2 || rows[0][0] != "section" {
		t.Fatalf("csv: %v\n%s", err, c.body)
	}
}
