package api

import (
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"strings"
	"time"

	"github.com/bankforge/bank/audit"
	"github.com/bankforge/bank/db"
	"github.com/bankforge/bank/domain"
)

// A statement ("estado de cuenta") is an account's postings over a period with the balance before
// and after: the opening balance plus every posting is the closing balance, to the minor unit. It
// is streamed a batch of postings at a time, as JSON or, for `Accept: text/csv`, as CSV.

// maxStatementSpan bounds a statement's period.
const maxStatementSpan = 366 * 24 * time.Hour

// statementBatch is how many postings are read from the database at a time.
const statementBatch = 500

type statementEntry struct {
	PostedAt                  time.Time `json:"posted_at"`
	TransferID                *string   `json:"transfer_id"`
	Description               string    `json:"description"`
	CounterpartyAccountNumber string    `json:"counterparty_account_number"`
	Amount                    int64     `json:"amount"`
	BalanceAfter              int64     `json:"balance_after"`
}

// getStatement is the caller's own account's statement.
func (s *server) getStatement(w http.ResponseWriter, r *http.Request) error {
	a, err := s.ownAccount(r)
	if err != nil {
		return err
	}
	return s.writeStatement(w, r, a)
}

// staffGetStatement is any account's statement, for staff; the read is audited.
func (s *server) staffGetStatement(w http.ResponseWriter, r *http.Request) error {
	id, ok := parseID(r.PathValue("id"))
	if !ok {
		return newError(domain.CodeAccountNotFound, "No such account.")
	}
	a, err := s.store.GetAccount(r.Context(), id)
	if errors.Is(db.NotFound(err), db.ErrNotFound) {
		return newError(domain.CodeAccountNotFound, "No such account.")
	} else if err != nil {
		return internalError(fmt.Errorf("get account: %w", err))
	}
	read := audit.Event{AccountIDs: []string{a.ID.String()}}
	if a.UserID != nil {
		read.UserID = a.UserID.String()
	}
	s.recordStaffRead(r, read)
	return s.writeStatement(w, r, a)
}

func (s *server) writeStatement(w http.ResponseWriter, r *http.Request, a db.Account) error {
	q := r.URL.Query()
	var v validator
	from, to := timeParam(&v, q.Get("from"), "from"), timeParam(&v, q.Get("to"), "to")
	switch {
	case q.Get("from") == "":
		v.add("from", "is required")
	case q.Get("to") == "":
		v.add("to", "is required")
	case from != nil && to != nil && !to.After(*from):
		v.add("to", "must be after from")
	case from != nil && to != nil && to.Sub(*from) > maxStatementSpan:
		v.add("to", "must be at most 366 days after from")
	}
	if err := v.err(); err != nil {
		return err
	}
	ctx := r.Context()
	bounds, err := s.store.StatementBounds(ctx, db.StatementBoundsParams{AccountID: a.ID, FromTime: *from, ToTime: *to})
	if err != nil {
		return internalError(fmt.Errorf("statement bounds: %w", err))
	}
	end := bounds.EndID
	if end == 0 {
		end = math.MaxInt64 // nothing posted at or after to
	}
	start := bounds.StartID
	if start == 0 {
		start = end // nothing posted at or after from
	}
	opening, err := s.store.BalanceBefore(ctx, db.BalanceBeforeParams{AccountID: a.ID, BeforeID: start})
	if err != nil {
		return internalError(fmt.Errorf("opening balance: %w", err))
	}
	closing, err := s.store.BalanceBefore(ctx, db.BalanceBeforeParams{AccountID: a.ID, BeforeID: end})
	if err != nil {
		return internalError(fmt.Errorf("closing balance: %w", err))
	}
	// Everything that can fail as a request has been checked: from here on the answer streams.
	out := newStatementWriter(w, r, a, s.currencies[a.Currency], *from, *to, opening)
	var totalIn, totalOut int64
	after := start - 1
	for {
		rows, err := s.store.ListStatementEntries(ctx, db.ListStatementEntriesParams{AccountID: a.ID, AfterID: after, EndID: end, Batch: statementBatch})
		if err != nil {
			// The status line is sent: end the body short, so the client sees a broken answer.
			s.logger.ErrorContext(ctx, "statement cut short", "account_id", a.ID, "error", err)
			panic(http.ErrAbortHandler)
		}
		for _, row := range rows {
			e := statementEntry{
				PostedAt: row.CreatedAt.UTC(), Description: row.Description,
				CounterpartyAccountNumber: row.CounterpartyAccountNumber, Amount: row.Amount, BalanceAfter: row.BalanceAfter,
			}
			if row.TransferID != nil {
				e.TransferID = ptr(row.TransferID.String())
			}
			if row.Amount > 0 {
				totalIn += row.Amount
			} else {
				totalOut -= row.Amount
			}
			out.entry(e)
			after = row.ID
		}
		if len(rows) < statementBatch {
			break
		}
	}
	out.end(totalIn, totalOut, closing)
	return nil
}

// statementWriter writes a statement as it is read: JSON, or CSV for a client that asks for it.
type statementWriter struct {
	w        http.ResponseWriter
	csv      *csv.Writer
	exponent int
	entries  int
}

func newStatementWriter(w http.ResponseWriter, r *http.Request, a db.Account, exponent int, from, to time.Time, opening int64) *statementWriter {
	sw := &statementWriter{w: w, exponent: exponent}
	w.Header().Set("Cache-Control", "no-store")
	if wantsCSV(r) {
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="statement-%s-%s-%s.csv"`,
			a.Number, from.UTC().Format("20060102"), to.UTC().Format("20060102")))
		w.WriteHeader(http.StatusOK)
		sw.csv = csv.NewWriter(w)
		_ = sw.csv.Write([]string{"posted_at", "transfer_id", "description", "counterparty_account_number", "amount", "balance_after", "currency"})
		_ = sw.csv.Write([]string{from.UTC().Format(time.RFC3339), "", "Opening balance", "", "", domain.FormatMinor(opening, exponent), a.Currency})
		return sw
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	head, _ := json.Marshal(struct {
		AccountID      string    `json:"account_id"`
		AccountNumber  string    `json:"account_number"`
		Currency       string    `json:"currency"`
		From           time.Time `json:"from"`
		To             time.Time `json:"to"`
		OpeningBalance int64     `json:"opening_balance"`
	}{a.ID.String(), a.Number, a.Currency, from.UTC(), to.UTC(), opening})
	_, _ = w.Write(head[:len(head)-1])
	_, _ = w.Write([]byte(`,"entries":[`))
	return sw
}

func (sw *statementWriter) entry(e statementEntry) {
	if sw.csv != nil {
		transfer := ""
		if e.TransferID != nil {
			transfer = *e.TransferID
		}
		_ = sw.csv.Write([]string{e.PostedAt.Format(time.RFC3339Nano), transfer, csvText(e.Description),
			csvText(e.CounterpartyAccountNumber), domain.FormatMinor(e.Amount, sw.exponent), domain.FormatMinor(e.BalanceAfter, sw.exponent), ""})
		return
	}
	b, _ := json.Marshal(e)
	if sw.entries > 0 {
		_, _ = sw.w.Write([]byte{','})
	}
	_, _ = sw.w.Write(b)
	sw.entries++
}

func (sw *statementWriter) end(totalIn, totalOut, closing int64) {
	if sw.csv != nil {
		_ = sw.csv.Write([]string{"", "", "Total in", "", domain.FormatMinor(totalIn, sw.exponent), "", ""})
		_ = sw.csv.Write([]string{"", "", "Total out", "", domain.FormatMinor(totalOut, sw.exponent), "", ""})
		_ = sw.csv.Write([]string{"", "", "Closing balance", "", "", domain.FormatMinor(closing, sw.exponent), ""})
		sw.csv.Flush()
		return
	}
	_, _ = fmt.Fprintf(sw.w, `],"total_in":%d,"total_out":%d,"closing_balance":%d}`+"\n", totalIn, totalOut, closing)
}

// wantsCSV reports whether the client asks for CSV rather than JSON.
func wantsCSV(r *http.Request) bool {
	for _, part := range strings.Split(r.Header.Get("Accept"), ",") {
		mt, _, _ := strings.Cut(strings.TrimSpace(part), ";")
		if strings.EqualFold(mt, "text/csv") {
			return true
		}
	}
	return false
}

// csvText makes free text safe in a spreadsheet: a cell that a spreadsheet would read as a formula
// (starting with =, +, -, @, a tab or a carriage return) is prefixed with an apostrophe.
func csvText(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}
