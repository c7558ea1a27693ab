package api

import (
	"encoding/csv"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"time"

	"github.com/bankforge/bank/db"
	"github.com/bankforge/bank/domain"
)

// Reports for staff, computed in SQL over the transfers and the ledger: JSON, or CSV for
// `Accept: text/csv`.

// maxReportPeriods bounds how many periods one report may cut.
const maxReportPeriods = 1000

// tzName is an IANA time zone name such as America/Bogota, or UTC.
var tzName = regexp.MustCompile(`^(UTC|[A-Za-z]+(/[A-Za-z0-9_+-]+)+)$`)

type transactionsPeriod struct {
	Period           string    `json:"period"`
	StartAt          time.Time `json:"start_at"`
	EndAt            time.Time `json:"end_at"`
	Currency         string    `json:"currency"`
	Transfers        int64     `json:"transfers"`
	TransferVolume   int64     `json:"transfer_volume"`
	Deposits         int64     `json:"deposits"`
	DepositVolume    int64     `json:"deposit_volume"`
	Withdrawals      int64     `json:"withdrawals"`
	WithdrawalVolume int64     `json:"withdrawal_volume"`
	Failed           int64     `json:"failed"`
	Compensated      int64     `json:"compensated"`
	ActiveCustomers  int64     `json:"active_customers"`
}

// reportTransactions counts and sums the money movements of each period and currency.
func (s *server) reportTransactions(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	var v validator
	from, to := timeParam(&v, q.Get("from"), "from"), timeParam(&v, q.Get("to"), "to")
	if q.Get("from") == "" {
		v.add("from", "is required")
	}
	if q.Get("to") == "" {
		v.add("to", "is required")
	}
	interval := q.Get("interval")
	if interval == "" {
		interval = "day"
	}
	step := map[string]string{"day": "1 day", "week": "7 days", "month": "1 month"}[interval]
	if step == "" {
		v.add("interval", "must be day, week or month")
	}
	tz := q.Get("tz")
	if tz == "" {
		tz = "UTC"
	}
	loc, err := time.LoadLocation(tz)
	if err != nil || !tzName.MatchString(tz) {
		v.add("tz", "must be an IANA time zone name such as America/Bogota, or UTC")
	}
	if from != nil && to != nil && step != "" && loc != nil {
		switch n := countPeriods(*from, *to, interval, loc); {
		case !to.After(*from):
			v.add("to", "must be after from")
		case n > maxReportPeriods:
			v.add("to", fmt.Sprintf("must be at most %d periods of a %s after from", maxReportPeriods, interval))
		}
	}
	if err := v.err(); err != nil {
		return err
	}
	rows, err := s.store.TransactionsReportTx(r.Context(), db.ReportTransactionsParams{
		Tz: tz, FromTime: *from, ToTime: *to, Unit: interval, Step: step,
		Transfer: string(domain.KindTransfer), Deposit: string(domain.KindDeposit), Withdrawal: string(domain.KindWithdrawal),
		Completed: string(domain.TransferCompleted), Failed: string(domain.TransferFailed),
		Compensated: string(domain.TransferCompensated), Customer: string(domain.AccountCustomer),
	})
	if err != nil {
		return internalError(fmt.Errorf("transactions report: %w", err))
	}
	items := make([]transactionsPeriod, 0, len(rows))
	for _, row := range rows {
		items = append(items, transactionsPeriod{
			Period: row.LocalStart, StartAt: row.StartAt.UTC(), EndAt: row.EndAt.UTC(), Currency: row.Currency,
			Transfers: row.Transfers, TransferVolume: row.TransferVolume, Deposits: row.Deposits, DepositVolume: row.DepositVolume,
			Withdrawals: row.Withdrawals, WithdrawalVolume: row.WithdrawalVolume, Failed: row.Failed, Compensated: row.Compensated,
			ActiveCustomers: row.ActiveCustomers,
		})
	}
	if !wantsCSV(r) {
		writeJSON(w, http.StatusOK, map[string]any{"from": from.UTC(), "to": to.UTC(), "interval": interval, "tz": tz, "items": items})
		return nil
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="transactions-%s-%s.csv"`, from.UTC().Format("20060102"), to.UTC().Format("20060102")))
	w.WriteHeader(http.StatusOK)
	out := csv.NewWriter(w)
	_ = out.Write([]string{"period", "start_at", "end_at", "currency", "transfers", "transfer_volume", "deposits", "deposit_volume",
		"withdrawals", "withdrawal_volume", "failed", "compensated", "active_customers"})
	for _, it := range items {
		exp := s.currencies[it.Currency]
		n := func(v int64) string { return strconv.FormatInt(v, 10) }
		_ = out.Write([]string{it.Period, it.StartAt.Format(time.RFC3339), it.EndAt.Format(time.RFC3339), it.Currency,
			n(it.Transfers), domain.FormatMinor(it.TransferVolume, exp), n(it.Deposits), domain.FormatMinor(it.DepositVolume, exp),
			n(it.Withdrawals), domain.FormatMinor(it.WithdrawalVolume, exp), n(it.Failed), n(it.Compensated), n(it.ActiveCustomers)})
	}
	out.Flush()
	return nil
}

// countPeriods is how many periods of the interval, cut on loc's calendar, [from, to) spans.
func countPeriods(from, to time.Time, interval string, loc *time.Location) int {
	t := from.In(loc)
	switch interval {
	case "day":
		t = time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, loc)
	case "week":
		t = time.Date(t.Year(), t.Month(), t.Day()-(int(t.Weekday())+6)%7, 0, 0, 0, 0, loc)
	case "month":
		t = time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, loc)
	}
	n := 0
	for ; t.Before(to) && n <= maxReportPeriods; n++ {
		switch interval {
		case "day":
			t = t.AddDate(0, 0, 1)
		case "week":
			t = t.AddDate(0, 0, 7)
		case "month":
			t = t.AddDate(0, 1, 0)
		}
	}
	return n
}

type accountsReport struct {
	ByStatus []accountsByStatus `json:"by_status"`
	Totals   []currencyTotals   `json:"totals"`
	Frozen   []frozenAccount    `json:"frozen"`
}

type accountsByStatus struct {
	Currency string               `json:"currency"`
	Status   domain.AccountStatus `json:"status"`
	Accounts int64                `json:"accounts"`
	Balance  int64                `json:"balance"`
	OnHold   int64                `json:"on_hold"`
}

type currencyTotals struct {
	Currency        string `json:"currency"`
	CustomerBalance int64  `json:"customer_balance"`
	CustomerOnHold  int64  `json:"customer_on_hold"`
	CashBalance     int64  `json:"cash_balance"`
}

type frozenAccount struct {
	AccountID string              `json:"account_id"`
	Number    string              `json:"number"`
	Currency  string              `json:"currency"`
	Balance   int64               `json:"balance"`
	Reason    domain.FreezeReason `json:"reason"`
	Scope     domain.FreezeScope  `json:"scope"`
	Since     *time.Time          `json:"since"`
	Until     *time.Time          `json:"until"`
}

// reportAccounts is the state of the bank's accounts now: customer accounts by currency and status
// with their balances, each currency's totals (the customers' balance is minus the cash account's,
// as `bankctl ledger-check` checks), and the frozen accounts with why and until when. JSON, or for
// `Accept: text/csv` one table whose first column names the section of each row.
func (s *server) reportAccounts(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	var out accountsReport
	byStatus, err := s.store.ReportAccountsByStatus(ctx, domain.AccountCustomer)
	if err != nil {
		return internalError(fmt.Errorf("accounts by status: %w", err))
	}
	out.ByStatus = make([]accountsByStatus, 0, len(byStatus))
	for _, row := range byStatus {
		out.ByStatus = append(out.ByStatus, accountsByStatus(row))
	}
	totals, err := s.store.ReportLedgerTotals(ctx, db.ReportLedgerTotalsParams{Customer: domain.AccountCustomer, Cash: domain.AccountCash})
	if err != nil {
		return internalError(fmt.Errorf("ledger totals: %w", err))
	}
	out.Totals = make([]currencyTotals, 0, len(totals))
	for _, row := range totals {
		out.Totals = append(out.Totals, currencyTotals(row))
	}
	frozen, err := s.store.ReportFrozenAccounts(ctx, domain.FreezeActive)
	if err != nil {
		return internalError(fmt.Errorf("frozen accounts: %w", err))
	}
	out.Frozen = make([]frozenAccount, 0, len(frozen))
	for _, f := range frozen {
		out.Frozen = append(out.Frozen, frozenAccount{AccountID: f.AccountID.String(), Number: f.Number, Currency: f.Currency,
			Balance: f.Balance, Reason: f.Reason, Scope: f.Scope, Since: utc(f.FrozenAt), Until: utc(f.Until)})
	}
	if !wantsCSV(r) {
		writeJSON(w, http.StatusOK, out)
		return nil
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Content-Disposition", `attachment; filename="accounts.csv"`)
	w.WriteHeader(http.StatusOK)
	c := csv.NewWriter(w)
	_ = c.Write([]string{"section", "currency", "status", "accounts", "balance", "on_hold", "cash_balance", "account_number", "reason", "scope", "since", "until"})
	for _, row := range out.ByStatus {
		exp := s.currencies[row.Currency]
		_ = c.Write([]string{"by_status", row.Currency, string(row.Status), strconv.FormatInt(row.Accounts, 10),
			domain.FormatMinor(row.Balance, exp), domain.FormatMinor(row.OnHold, exp), "", "", "", "", "", ""})
	}
	for _, row := range out.Totals {
		exp := s.currencies[row.Currency]
		_ = c.Write([]string{"totals", row.Currency, "", "", domain.FormatMinor(row.CustomerBalance, exp),
			domain.FormatMinor(row.CustomerOnHold, exp), domain.FormatMinor(row.CashBalance, exp), "", "", "", "", ""})
	}
	stamp := func(t *time.Time) string {
		if t == nil {
			return ""
		}
		return t.Format(time.RFC3339)
	}
	for _, f := range out.Frozen {
		_ = c.Write([]string{"frozen", f.Currency, string(domain.AccountFrozen), "", domain.FormatMinor(f.Balance, s.currencies[f.Currency]),
			"", "", f.Number, string(f.Reason), string(f.Scope), stamp(f.Since), stamp(f.Until)})
	}
	c.Flush()
	return nil
}
