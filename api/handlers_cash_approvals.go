package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/google/uuid"
	"go.temporal.io/api/serviceerror"

	"github.com/bankforge/bank/db"
	"github.com/bankforge/bank/domain"
	"github.com/bankforge/bank/workflows"
)

// Four eyes on large cash. A deposit or withdrawal at or above its currency's approval threshold is
// recorded as a pending approval (cashMovement); another admin, who neither asked for it nor owns
// its account, approves or rejects it here. The decision is taken in PostgreSQL with one
// conditional UPDATE from pending, then the approval's workflow is told, and it starts the transfer.

// DefaultCashApprovalTTL is how long an approval waits for its decision unless configured otherwise.
const DefaultCashApprovalTTL = 24 * time.Hour

// DefaultCashApprovalThresholds are the amounts, in minor units, from which a deposit or withdrawal
// waits for a second admin: about 10,000 US dollars in each currency, the amount from which US banks
// report a cash transaction.
func DefaultCashApprovalThresholds() map[string]int64 {
	return map[string]int64{"USD": 1_000_000, "EUR": 1_000_000, "COP": 4_000_000_000, "JPY": 1_500_000}
}

// DefaultAdminDailyCashLimits are the most one admin's deposits and withdrawals of a UTC day may add
// up to, in minor units: about 100,000 US dollars in each currency.
func DefaultAdminDailyCashLimits() map[string]int64 {
	return map[string]int64{"USD": 10_000_000, "EUR": 10_000_000, "COP": 40_000_000_000, "JPY": 15_000_000}
}

// checkCash fills the cash settings left unset with their defaults and refuses a supported currency
// without a positive threshold or daily limit: a cash movement in it would have no rule to follow.
func (c *Config) checkCash(currencies map[string]int) error {
	if c.CashApprovalThresholds == nil {
		c.CashApprovalThresholds = DefaultCashApprovalThresholds()
	}
	if c.AdminDailyCashLimits == nil {
		c.AdminDailyCashLimits = DefaultAdminDailyCashLimits()
	}
	if c.CashApprovalTTL <= 0 {
		c.CashApprovalTTL = DefaultCashApprovalTTL
	}
	var problems []string
	for code := range currencies {
		if c.CashApprovalThresholds[code] <= 0 {
			problems = append(problems, "no cash approval threshold for "+code+" (CASH_APPROVAL_THRESHOLDS)")
		}
		if c.AdminDailyCashLimits[code] <= 0 {
			problems = append(problems, "no daily cash limit for "+code+" (ADMIN_DAILY_CASH_LIMITS)")
		}
	}
	// A currency the bank does not support is a typo that would leave a real one at its default.
	for setting, amounts := range map[string]map[string]int64{"CASH_APPROVAL_THRESHOLDS": c.CashApprovalThresholds, "ADMIN_DAILY_CASH_LIMITS": c.AdminDailyCashLimits} {
		for code := range amounts {
			if _, ok := currencies[code]; !ok {
				problems = append(problems, setting+" names "+code+", a currency the bank does not support")
			}
		}
	}
	if len(problems) > 0 {
		sort.Strings(problems)
		return fmt.Errorf("cash settings: %s", strings.Join(problems, "; "))
	}
	return nil
}

type cashApprovalResponse struct {
	ID            string                    `json:"id"`
	Kind          domain.TransferKind       `json:"kind"`
	Status        domain.CashApprovalStatus `json:"status"`
	AccountID     string                    `json:"account_id"`
	AccountNumber string                    `json:"account_number"`
	Amount        int64                     `json:"amount"`
	Currency      string                    `json:"currency"`
	Description   string                    `json:"description"`
	RequestedBy   string                    `json:"requested_by"`
	DecidedBy     *string                   `json:"decided_by"`
	TransferID    *string                   `json:"transfer_id"`
	CreatedAt     time.Time                 `json:"created_at"`
	ExpiresAt     time.Time                 `json:"expires_at"`
	DecidedAt     *time.Time                `json:"decided_at"`
}

func toCashApprovalResponse(ap db.GetCashApprovalViewRow) cashApprovalResponse {
	out := cashApprovalResponse{
		ID: ap.ID.String(), Kind: ap.Kind, Status: ap.Status, AccountID: ap.AccountID.String(), AccountNumber: ap.AccountNumber,
		Amount: ap.Amount, Currency: ap.Currency, Description: ap.Description, RequestedBy: ap.RequestedBy.String(),
		CreatedAt: ap.CreatedAt.UTC(), ExpiresAt: ap.ExpiresAt.UTC(),
	}
	if ap.DecidedBy != nil {
		out.DecidedBy = ptr(ap.DecidedBy.String())
	}
	if ap.TransferID != nil {
		out.TransferID = ptr(ap.TransferID.String())
	}
	if ap.DecidedAt != nil {
		out.DecidedAt = ptr(ap.DecidedAt.UTC())
	}
	return out
}

// cashApprovalInput is what the approval's workflow starts with.
func cashApprovalInput(ap db.CashApproval, accountNumber string, owner *uuid.UUID, exponent int) workflows.CashApprovalInput {
	users := []string{ap.RequestedBy.String()}
	if owner != nil {
		users = append(users, owner.String())
	}
	return workflows.CashApprovalInput{
		ApprovalID: ap.ID.String(), Kind: ap.Kind, AccountID: ap.AccountID.String(), AccountNumber: accountNumber,
		UserIDs: users, Amount: ap.Amount, Currency: ap.Currency, Exponent: exponent, ExpiresAt: ap.ExpiresAt.UTC(),
	}
}

// startCashApproval starts the approval's workflow; one that exists already is left as it is.
func (s *server) startCashApproval(ctx context.Context, in workflows.CashApprovalInput) error {
	_, err := s.workflows.ExecuteWorkflow(ctx, workflows.CashApprovalStartOptions(in, s.cfg.TaskQueue), workflows.CashApproval, in)
	var started *serviceerror.WorkflowExecutionAlreadyStarted
	if err != nil && !errors.As(err, &started) {
		return &apiError{code: domain.CodeUnavailable, detail: "The request is recorded but its approval could not start; retry with the same Idempotency-Key.", cause: fmt.Errorf("start cash approval workflow: %w", err)}
	}
	return nil
}

// listCashApprovals is the approvers' queue: the approvals still pending, oldest (the soonest to
// expire) first, one page at a time.
func (s *server) listCashApprovals(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	var v validator
	params := db.ListPendingCashApprovalsParams{Pending: domain.ApprovalPending, PageSize: pageSize(&v, q.Get("limit"))}
	params.AfterCreatedAt, params.AfterID = cursorParam(&v, q.Get("cursor"))
	if err := v.err(); err != nil {
		return err
	}
	params.PageSize++
	rows, err := s.store.ListPendingCashApprovals(r.Context(), params)
	if err != nil {
		return internalError(fmt.Errorf("list cash approvals: %w", err))
	}
	items := make([]cashApprovalResponse, 0, len(rows))
	var next *string
	for i, ap := range rows {
		if i == int(params.PageSize)-1 {
			prev := rows[i-1]
			next = ptr(encodeCursor(prev.CreatedAt, prev.ID.String()))
			break
		}
		items = append(items, toCashApprovalResponse(db.GetCashApprovalViewRow(ap)))
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": items, "next_cursor": next})
	return nil
}

func (s *server) approveCashApproval(w http.ResponseWriter, r *http.Request) error {
	return s.decideCashApproval(w, r, domain.ApprovalApproved)
}

func (s *server) rejectCashApproval(w http.ResponseWriter, r *http.Request) error {
	return s.decideCashApproval(w, r, domain.ApprovalRejected)
}

// decideCashApproval approves or rejects a pending approval, once: the caller must be another admin
// than the one who asked, and must not own the account (403 approver_not_independent). The
// decision is one conditional UPDATE from pending; an approval no longer pending (decided, or
// expired) answers 409 approval_already_decided, except to the admin who took this very decision,
// who gets the same answer again: a retry after a lost answer or a 503. Then the approval's workflow
// is told (and started, if it never was).
func (s *server) decideCashApproval(w http.ResponseWriter, r *http.Request, decision domain.CashApprovalStatus) error {
	id, ok := parseID(r.PathValue("id"))
	if !ok {
		return newError(domain.CodeNotFound, "No such cash approval.")
	}
	ctx := r.Context()
	me := caller(ctx).UserID
	read := func() (db.GetCashApprovalViewRow, error) {
		ap, err := s.store.GetCashApprovalView(ctx, id)
		if errors.Is(db.NotFound(err), db.ErrNotFound) {
			return ap, newError(domain.CodeNotFound, "No such cash approval.")
		} else if err != nil {
			return ap, internalError(fmt.Errorf("get cash approval: %w", err))
		}
		return ap, nil
	}
	ap, err := read()
	if err != nil {
		return err
	}
	if ap.RequestedBy == me {
		return newError(domain.CodeApproverNotIndependent, "You asked for this cash movement; another admin must approve or reject it.")
	}
	if ap.AccountUserID != nil && *ap.AccountUserID == me {
		return newError(domain.CodeApproverNotIndependent, "The account is yours; another admin must approve or reject this cash movement.")
	}
	_, err = s.store.DecideCashApproval(ctx, db.DecideCashApprovalParams{ID: id, Decision: decision, AdminID: me, Pending: domain.ApprovalPending})
	if err != nil && !errors.Is(db.NotFound(err), db.ErrNotFound) {
		return internalError(fmt.Errorf("decide cash approval: %w", err))
	}
	if ap, err = read(); err != nil {
		return err
	}
	if ap.Status != decision || ap.DecidedBy == nil || *ap.DecidedBy != me {
		return alreadyDecided(ap)
	}
	decided, err := s.store.GetCashApproval(ctx, id)
	if err != nil {
		return internalError(fmt.Errorf("get cash approval: %w", db.NotFound(err)))
	}
	in := cashApprovalInput(decided, ap.AccountNumber, ap.AccountUserID, s.currencies[decided.Currency])
	_, err = s.workflows.SignalWithStartWorkflow(ctx, workflows.CashApprovalWorkflowID(in.ApprovalID), workflows.CashApprovalDecisionSignal,
		workflows.CashApprovalDecision{Status: decision, DecidedBy: me.String(), RequestID: requestID(ctx)},
		workflows.CashApprovalStartOptions(in, s.cfg.TaskQueue), workflows.CashApproval, in)
	var started *serviceerror.WorkflowExecutionAlreadyStarted
	if err != nil && !errors.As(err, &started) { // a completed workflow has settled the approval already
		return &apiError{code: domain.CodeUnavailable, detail: "The decision is recorded, but the cash movement could not be told of it yet; send the same request again.", cause: fmt.Errorf("signal cash approval: %w", err)}
	}
	writeJSON(w, http.StatusOK, toCashApprovalResponse(ap))
	return nil
}

// alreadyDecided is the conflict of a decision on an approval that is no longer pending.
func alreadyDecided(ap db.GetCashApprovalViewRow) error {
	detail := "This cash movement was already " + string(ap.Status) + "; an approval is decided once."
	if ap.Status == domain.ApprovalPending || ap.Status == domain.ApprovalExpired {
		detail = "This cash movement expired before anyone approved it; ask for it again if it is still needed."
	}
	return newError(domain.CodeApprovalDecided, detail)
}
