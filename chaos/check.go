package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.temporal.io/api/workflowservice/v1"

	"github.com/bankforge/bank/audit"
	"github.com/bankforge/bank/domain"
)

// violation is one way the bank broke its promises.
type violation struct {
	Inv    string `json:"inv"`
	Detail string `json:"detail"`
}

// dbTransfer, dbAccount and dbFreeze are the final database's rows the checker reads.
type dbTransfer struct {
	ID          uuid.UUID
	Kind        domain.TransferKind
	InitiatedBy uuid.UUID
	From, To    uuid.UUID
	Amount      int64
	Currency    string
	Status      domain.TransferStatus
}

type dbAccount struct {
	ID       uuid.UUID
	Kind     domain.AccountKind
	Currency string
	Balance  int64
	OnHold   int64
}

type dbFreeze struct {
	ID       uuid.UUID
	Account  uuid.UUID
	Status   domain.FreezeStatus
	Scope    domain.FreezeScope
	FrozenAt *time.Time
	EndedAt  *time.Time
}

// dbPosting is a posting on an account that was frozen at some point, with its commit time.
type dbPosting struct {
	Account   uuid.UUID
	Amount    int64
	Committed time.Time
	Transfer  *uuid.UUID
}

// finalState is the database at rest, read in one snapshot, and the audit log.
type finalState struct {
	transfers map[uuid.UUID]dbTransfer
	ledgerTxs map[uuid.UUID]int // ledger transactions per transfer
	holds     map[uuid.UUID]domain.HoldStatus
	accounts  map[uuid.UUID]dbAccount
	freezes   map[uuid.UUID]dbFreeze
	postings  []dbPosting
	emails    []string // outbox email ids of transfers
	ledger    []string // the ledger check's violations
	// events are the audit log's outcome events; chain its hash chain's verification.
	events []auditEvent
	chain  audit.Verification
}

type auditEvent struct {
	ID         string         `bson:"_id"`
	Type       string         `bson:"type"`
	TransferID string         `bson:"transfer_id"`
	Subject    string         `bson:"subject"`
	Details    map[string]any `bson:"details"`
}

// readFinal reads the final state: the database as its owner, in one repeatable-read snapshot, and
// the audit log.
func readFinal(ctx context.Context, sys *system) (*finalState, error) {
	st := &finalState{
		transfers: map[uuid.UUID]dbTransfer{}, ledgerTxs: map[uuid.UUID]int{}, holds: map[uuid.UUID]domain.HoldStatus{},
		accounts: map[uuid.UUID]dbAccount{}, freezes: map[uuid.UUID]dbFreeze{},
	}
	report, err := sys.ownerStore.CheckLedger(ctx)
	if err != nil {
		return nil, fmt.Errorf("ledger check: %w", err)
	}
	st.ledger = report.Violations
	tx, err := sys.owner.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return nil, err
	}
	defer func() { _ = tx.Rollback(context.WithoutCancel(ctx)) }()
	rows, _ := tx.Query(ctx, `SELECT id, kind, initiated_by, from_account_id, to_account_id, amount, currency::text, status FROM transfers`)
	transfers, err := pgx.CollectRows(rows, pgx.RowToStructByPos[dbTransfer])
	if err != nil {
		return nil, fmt.Errorf("read transfers: %w", err)
	}
	for _, t := range transfers {
		st.transfers[t.ID] = t
	}
	rows, _ = tx.Query(ctx, `SELECT transfer_id, count(*)::int FROM ledger_transactions WHERE transfer_id IS NOT NULL GROUP BY 1`)
	var id uuid.UUID
	var n int
	if _, err := pgx.ForEachRow(rows, []any{&id, &n}, func() error { st.ledgerTxs[id] = n; return nil }); err != nil {
		return nil, fmt.Errorf("read ledger transactions: %w", err)
	}
	var hold domain.HoldStatus
	rows, _ = tx.Query(ctx, `SELECT transfer_id, status FROM holds`)
	if _, err := pgx.ForEachRow(rows, []any{&id, &hold}, func() error { st.holds[id] = hold; return nil }); err != nil {
		return nil, fmt.Errorf("read holds: %w", err)
	}
	rows, _ = tx.Query(ctx, `SELECT id, kind, currency::text, balance, on_hold FROM accounts`)
	accounts, err := pgx.CollectRows(rows, pgx.RowToStructByPos[dbAccount])
	if err != nil {
		return nil, fmt.Errorf("read accounts: %w", err)
	}
	for _, a := range accounts {
		st.accounts[a.ID] = a
	}
	rows, _ = tx.Query(ctx, `SELECT id, account_id, status, scope, frozen_at, ended_at FROM freezes`)
	freezes, err := pgx.CollectRows(rows, pgx.RowToStructByPos[dbFreeze])
	if err != nil {
		return nil, fmt.Errorf("read freezes: %w", err)
	}
	for _, f := range freezes {
		st.freezes[f.ID] = f
	}
	rows, _ = tx.Query(ctx, `SELECT p.account_id, p.amount, pg_xact_commit_timestamp(p.xmin), lt.transfer_id
		FROM postings p JOIN ledger_transactions lt ON lt.id = p.transaction_id
		WHERE p.account_id IN (SELECT account_id FROM freezes)`)
	if st.postings, err = pgx.CollectRows(rows, pgx.RowToStructByPos[dbPosting]); err != nil {
		return nil, fmt.Errorf("read postings: %w", err)
	}
	rows, _ = tx.Query(ctx, `SELECT id FROM emails WHERE id LIKE 'transfer/%'`)
	if st.emails, err = pgx.CollectRows(rows, pgx.RowTo[string]); err != nil {
		return nil, fmt.Errorf("read emails: %w", err)
	}

	client, err := audit.Connect(ctx, sys.mongoURI)
	if err != nil {
		return nil, err
	}
	defer func() { _ = client.Disconnect(context.WithoutCancel(ctx)) }()
	database := client.Database("bank")
	cur, err := database.Collection("audit_events").Find(ctx, bson.D{{Key: "type", Value: bson.D{{Key: "$in", Value: bson.A{
		audit.EventTransferCompleted, audit.EventTransferFailed, audit.EventAccountFrozen, audit.EventAccountUnfrozen, audit.EventFreezeFailed,
	}}}}})
	if err != nil {
		return nil, fmt.Errorf("read audit events: %w", err)
	}
	if err := cur.All(ctx, &st.events); err != nil {
		return nil, fmt.Errorf("read audit events: %w", err)
	}
	if st.chain, err = audit.NewStore(database).Verify(ctx); err != nil {
		return nil, fmt.Errorf("verify audit chain: %w", err)
	}
	return st, nil
}

// quiesce waits until the system is at rest: no transfer pending, no hold active, no freeze
// pending, and no transfer or freeze workflow running.
func quiesce(ctx context.Context, sys *system, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	tc, err := sys.temporalClient(ctx)
	if err != nil {
		return err
	}
	defer tc.Close()
	state := "unknown"
	for {
		var pending, holds, freezes int
		err := sys.owner.QueryRow(ctx, `SELECT (SELECT count(*) FROM transfers WHERE status = 'pending'),
			(SELECT count(*) FROM holds WHERE status = 'active'),
			(SELECT count(*) FROM freezes WHERE status IN ('pending', 'active'))`).Scan(&pending, &holds, &freezes)
		if err == nil {
			var running *workflowservice.CountWorkflowExecutionsResponse
			running, err = tc.CountWorkflow(ctx, &workflowservice.CountWorkflowExecutionsRequest{
				Query: "ExecutionStatus = 'Running' AND (WorkflowType = 'Transfer' OR WorkflowType = 'Freeze')",
			})
			if err == nil {
				state = fmt.Sprintf("%d transfers pending, %d holds active, %d freezes open, %d workflows running",
					pending, holds, freezes, running.GetCount())
				if pending+holds+freezes == 0 && running.GetCount() == 0 {
					return nil
				}
			}
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%w after %s: %s (last error: %v)", errNotQuiet, timeout, state, err)
		case <-time.After(500 * time.Millisecond):
		}
	}
}

// report is the verdict's figures.
type report struct {
	Seed     uint64
	Duration time.Duration
	Took     time.Duration

	Tried, OK, Refused int
	// Doubted are the operations a client was in doubt about at some point (no answer, an answer
	// lost, a 5xx, its key still in flight); of those, RetryResolved got a definitive answer to a
	// retry, Resolved were settled by the database at rest, and InDoubt never had an answer.
	Doubted, RetryResolved, Resolved, InDoubt int
	Lost                                      int // answers the clients dropped on purpose
	ByKind                                    map[opKind]int
	Ended                                     map[domain.TransferStatus]int
	Faults, Missed                            map[faultKind]int
	FiveXX                                    []string
	Answers                                   map[string]int
	Snapshots, SnapshotsFailed                int
	FreezesChecked                            int
	// KilledAfterPost are the transfers whose worker died right after their posting committed;
	// LateAttempts the step attempts that outlived their timeout (step-timeout).
	KilledAfterPost []uuid.UUID
	LateAttempts    int
	Exits           []string
	Violations      []violation
}

func (r *report) add(inv, format string, args ...any) {
	r.Violations = append(r.Violations, violation{Inv: inv, Detail: fmt.Sprintf(format, args...)})
}

// check compares what the clients were told with the final state, and the final state with the
// invariants of RELIABILITY.md.
func check(w *workload, st *finalState, r *report) {
	ops := w.rec.all()
	// Which operation and key each transfer and freeze in the database came from.
	type origin struct {
		op  *op
		key string
	}
	byID := map[uuid.UUID]origin{}
	for _, o := range ops {
		for _, k := range o.Keys {
			byID[transferIDOf(o.Caller, k)] = origin{o, k}
		}
	}
	r.ByKind, r.Ended = map[opKind]int{}, map[domain.TransferStatus]int{}

	for _, o := range ops {
		r.Tried++
		r.ByKind[o.Kind]++
		switch o.Outcome {
		case outcomeOK:
			r.OK++
		case outcomeRefused:
			r.Refused++
		case outcomeInDoubt:
			r.InDoubt++
		}
		doubted := false
		for _, a := range o.Attempts {
			if a.Lost {
				r.Lost++
			}
			doubted = doubted || a.Lost || a.Err != "" || a.Status >= 500 || a.Code == string(domain.CodeIdempotencyInFlight)
		}
		if doubted {
			r.Doubted++
			if o.Outcome != outcomeInDoubt {
				r.RetryResolved++
			}
		}
		switch {
		case o.Kind.movesMoney():
			checkMoneyOp(o, st, r)
		case o.Kind == opFreeze:
			checkFreezeOp(o, st, r)
		case o.Kind == opUnfreeze && o.Outcome == outcomeOK:
			// A 200 said the freeze ended.
			if id, err := uuid.Parse(o.UnfreezeTarget); err == nil && st.freezes[id].Status != domain.FreezeEnded {
				r.add("INV-10", "unfreeze %d answered 200, but freeze %s is %q", o.ID, id, st.freezes[id].Status)
			}
		}
	}

	// Every movement of money in the database was asked for by a client, and matches what it asked.
	// The cash that entered and left each currency, for INV-1.
	cash := map[string]*cashFlow{}
	for _, c := range currencies {
		cash[c] = &cashFlow{seeded: w.seeded[c]}
	}
	for _, t := range st.transfers {
		r.Ended[t.Status]++
		o, ok := byID[t.ID]
		if !ok {
			r.add("INV-10", "transfer %s (%s of %d %s) was asked for by no client", t.ID, t.Kind, t.Amount, t.Currency)
			continue
		}
		if f := cash[t.Currency]; f != nil && t.Status == domain.TransferCompleted {
			switch {
			case t.Kind == domain.KindDeposit && o.op.Client == seedClient:
				f.seedDeposits += t.Amount
			case t.Kind == domain.KindDeposit:
				f.deposits += t.Amount
			case t.Kind == domain.KindWithdrawal:
				f.withdrawals += t.Amount
			}
		}
		want := dbTransfer{ID: t.ID, Kind: domain.TransferKind(o.op.Kind), InitiatedBy: o.op.Caller, Amount: o.op.Amount,
			Currency: o.op.Currency, Status: t.Status, From: t.From, To: t.To}
		if o.op.Kind != opDeposit {
			want.From = o.op.From
		}
		if o.op.Kind != opWithdrawal {
			want.To = o.op.To
		}
		if t != want {
			r.add("INV-10", "transfer %s is %+v, but its client asked for %+v", t.ID, t, want)
		}
		// At most once, and acknowledged means durable: one ledger transaction per completed
		// transfer, none for the others.
		switch n := st.ledgerTxs[t.ID]; {
		case t.Status == domain.TransferCompleted && n != 1:
			r.add("INV-4", "completed transfer %s has %d ledger transactions", t.ID, n)
		case t.Status != domain.TransferCompleted && n != 0:
			r.add("INV-5", "%s transfer %s has %d ledger transactions: a failure that moved money", t.Status, t.ID, n)
		}
		// Every outcome resolves, and every hold ended as its transfer did.
		hold, held := st.holds[t.ID]
		switch {
		case t.Status == domain.TransferPending:
			r.add("INV-6", "transfer %s is still pending at rest", t.ID)
		case t.Status == domain.TransferCompleted && hold != domain.HoldCaptured:
			r.add("INV-6", "completed transfer %s has its hold %q, not captured", t.ID, hold)
		case t.Status == domain.TransferCompensated && hold != domain.HoldVoided:
			r.add("INV-6", "compensated transfer %s has its hold %q, not voided", t.ID, hold)
		case t.Status == domain.TransferFailed && held && hold != domain.HoldVoided:
			r.add("INV-6", "failed transfer %s has its hold %q", t.ID, hold)
		}
	}
	for id, h := range st.holds {
		if h == domain.HoldActive {
			r.add("INV-6", "the hold of transfer %s is still active at rest", id)
		}
	}

	checkBalances(st, cash, r)
	for _, id := range r.KilledAfterPost {
		if t, ok := st.transfers[id]; !ok || t.Status != domain.TransferCompleted || st.ledgerTxs[id] != 1 {
			r.add("INV-5", "transfer %s posted just before its worker was killed: it ended %q with %d ledger transactions, not completed once",
				id, t.Status, st.ledgerTxs[id])
		}
	}
	checkFreezes(ops, st, r)
	checkAudit(st, r)
	for _, v := range st.ledger {
		r.add("ledger", "%s", v)
	}
	for b, n := range w.answers.bad {
		r.add("5xx", "%s, %d times from %s: an outage must be a 503 with Retry-After, never a 500",
			b, n, w.answers.firstBad[b].Format(time.TimeOnly))
	}
	w.snaps.mu.Lock()
	r.Snapshots, r.SnapshotsFailed = w.snaps.taken, w.snaps.failed
	for _, v := range w.snaps.violations {
		r.add("snapshot", "%s", v)
	}
	w.snaps.mu.Unlock()
	sort.SliceStable(r.Violations, func(i, j int) bool { return r.Violations[i].Inv < r.Violations[j].Inv })
}

// checkMoneyOp checks one transfer, deposit or withdrawal against what its client was told.
func checkMoneyOp(o *op, st *finalState, r *report) {
	var completed []string
	for _, k := range o.Keys {
		id := transferIDOf(o.Caller, k)
		if t, ok := st.transfers[id]; ok && t.Status == domain.TransferCompleted {
			completed = append(completed, id.String())
		}
	}
	if len(completed) > 1 {
		r.add("INV-4", "%s %d of client %s (%d %s) moved money %d times: transfers %s", o.Kind, o.ID, o.Client, o.Amount, o.Currency,
			len(completed), strings.Join(completed, ", "))
	}
	accepted := o.answered()
	for _, a := range o.Attempts {
		if a.TransferID == "" {
			continue
		}
		if want := transferIDOf(o.Caller, a.Key).String(); a.TransferID != want {
			r.add("INV-10", "%s %d: a 202 named transfer %s, but its key names %s", o.Kind, o.ID, a.TransferID, want)
		}
	}
	for _, id := range accepted {
		t, ok := st.transfers[uuid.MustParse(id)]
		if !ok {
			r.add("INV-5", "%s %d was accepted (202, transfer %s), but the transfer does not exist", o.Kind, o.ID, id)
			continue
		}
		if o.Seen.Ended() && o.Seen != "" && t.Status != o.Seen {
			r.add("INV-10", "%s %d: the client read transfer %s %s, but it ended %s", o.Kind, o.ID, id, o.Seen, t.Status)
		}
	}
	if o.Outcome == outcomeRefused && len(accepted) == 0 && len(completed) > 0 {
		r.add("INV-10", "%s %d was refused (%s), but transfer %s moved the money", o.Kind, o.ID, o.Refusal, completed[0])
	}
	if o.Outcome == outcomeInDoubt {
		// The client never learnt what became of it; at rest, the database says.
		resolved := true
		for _, k := range o.Keys {
			if t, ok := st.transfers[transferIDOf(o.Caller, k)]; ok && !t.Status.Ended() {
				resolved = false
			}
		}
		if resolved {
			r.Resolved++
		}
	}
}

// checkFreezeOp checks a freeze against what its admin was told.
func checkFreezeOp(o *op, st *finalState, r *report) {
	for _, k := range o.Keys {
		id := transferIDOf(o.Caller, k)
		f, ok := st.freezes[id]
		switch {
		case o.Outcome == outcomeOK && !ok && o.FreezeID == id.String():
			r.add("INV-5", "freeze %d was accepted (operation %s), but no freeze %s exists", o.ID, o.FreezeID, id)
		case o.Outcome == outcomeRefused && ok:
			r.add("INV-10", "freeze %d was refused (%s), but freeze %s was recorded (%s)", o.ID, o.Refusal, id, f.Status)
		case ok && o.FreezeSeen == domain.FreezeActive && f.FrozenAt == nil:
			r.add("INV-10", "freeze %s was read active, but it never came into force", id)
		}
		if o.FreezeID != "" && o.FreezeID != id.String() {
			r.add("INV-10", "freeze %d: the 202 named operation %s, but its key names %s", o.ID, o.FreezeID, id)
		}
	}
}

// cashFlow is the money that entered and left one currency through completed movements: the
// seeding deposits (which must add up to what was seeded), the later deposits and the withdrawals.
type cashFlow struct {
	seeded, seedDeposits, deposits, withdrawals int64
}

// checkBalances checks the accounts at rest: per currency, customers and cash sum to zero, and the
// customers hold the known seeded total plus what was deposited since less what was withdrawn
// (INV-1); no balance is negative (INV-2).
func checkBalances(st *finalState, cash map[string]*cashFlow, r *report) {
	customers, cashHeld := map[string]int64{}, map[string]int64{}
	for _, a := range st.accounts {
		if a.Kind == domain.AccountCash {
			cashHeld[a.Currency] += a.Balance
			continue
		}
		customers[a.Currency] += a.Balance
		if a.Balance < 0 || a.Balance-a.OnHold < 0 {
			r.add("INV-2", "account %s has balance %d with %d on hold", a.ID, a.Balance, a.OnHold)
		}
	}
	for _, c := range currencies {
		f := cash[c]
		if customers[c]+cashHeld[c] != 0 {
			r.add("INV-1", "%s: customers hold %d and cash %d; they must sum to 0", c, customers[c], cashHeld[c])
		}
		if f.seedDeposits != f.seeded {
			r.add("INV-1", "%s: the seeding deposits moved %d, but %d was seeded", c, f.seedDeposits, f.seeded)
		}
		if want := f.seeded + f.deposits - f.withdrawals; customers[c] != want {
			r.add("INV-1", "%s: customers hold %d, but %d was seeded, %d deposited since and %d withdrawn: %d",
				c, customers[c], f.seeded, f.deposits, f.withdrawals, want)
		}
	}
}

// checkFreezes checks INV-7: no posting takes money out of an account (or, under a full freeze,
// puts any in) after the freeze committed and before its end did. A freeze's start is the commit
// time the admin read while it was in force; its end is the start of the transaction that ended it
// (ended_at, no later than that transaction's commit), so a posting between is a violation for sure.
func checkFreezes(ops []*op, st *finalState, r *report) {
	for _, o := range ops {
		if o.Kind != opFreeze || o.FreezeInForce.IsZero() {
			continue
		}
		f, ok := st.freezes[uuid.MustParse(o.FreezeID)]
		if !ok {
			continue
		}
		r.FreezesChecked++
		for _, p := range st.postings {
			if p.Account != f.Account || !p.Committed.After(o.FreezeInForce) || (f.EndedAt != nil && !p.Committed.Before(*f.EndedAt)) {
				continue
			}
			if p.Amount < 0 || f.Scope == domain.FreezeFull {
				r.add("INV-7", "account %s: a posting of %d (transfer %v) committed at %s, after its %s freeze %s came into force at %s",
					p.Account, p.Amount, p.Transfer, p.Committed.Format(time.RFC3339Nano), f.Scope, f.ID, o.FreezeInForce.Format(time.RFC3339Nano))
			}
		}
	}
}

// checkAudit checks INV-8, each transfer's outcome and each freeze's steps in the audit log once,
// and the chain whole; and INV-9, each transfer's emails written for the status it ended with.
func checkAudit(st *finalState, r *report) {
	outcomes := map[string][]auditEvent{}
	byFreeze := map[string]map[string]int{}
	for _, e := range st.events {
		switch e.Type {
		case audit.EventTransferCompleted, audit.EventTransferFailed:
			outcomes[e.TransferID] = append(outcomes[e.TransferID], e)
		default:
			if byFreeze[e.Subject] == nil {
				byFreeze[e.Subject] = map[string]int{}
			}
			byFreeze[e.Subject][e.Type]++
		}
	}
	for id, t := range st.transfers {
		if !t.Status.Ended() {
			continue
		}
		evs := outcomes[id.String()]
		switch {
		case len(evs) != 1:
			r.add("INV-8", "%s transfer %s has %d outcome events in the audit log", t.Status, id, len(evs))
		case fmt.Sprint(evs[0].Details["status"]) != string(t.Status):
			r.add("INV-8", "transfer %s ended %s, but its audit event says %v", id, t.Status, evs[0].Details["status"])
		}
		delete(outcomes, id.String())
	}
	for id := range outcomes {
		r.add("INV-8", "the audit log has an outcome of transfer %s, which has not ended", id)
	}
	for id, f := range st.freezes {
		got := byFreeze[id.String()]
		want := map[string]int{}
		if f.FrozenAt != nil {
			want[audit.EventAccountFrozen] = 1
		}
		switch f.Status {
		case domain.FreezeEnded:
			want[audit.EventAccountUnfrozen] = 1
		case domain.FreezeFailed:
			want[audit.EventFreezeFailed] = 1
		}
		for typ, n := range want {
			if got[typ] != n {
				r.add("INV-8", "%s freeze %s has %d %s events in the audit log", f.Status, id, got[typ], typ)
			}
		}
	}
	if !st.chain.OK {
		r.add("INV-8", "the audit chain breaks at event %d (%s): %s", st.chain.Break.Seq, st.chain.Break.ID, st.chain.Break.Reason)
	}
	for _, id := range st.emails {
		// transfer/<id>/<status>/<user>: written for the status the transfer ended with.
		parts := strings.Split(id, "/")
		if len(parts) != 4 {
			continue
		}
		tid, err := uuid.Parse(parts[1])
		t, ok := st.transfers[tid]
		if err != nil || !ok || string(t.Status) != parts[2] {
			r.add("INV-9", "email %s does not match its transfer's end (%s)", id, t.Status)
		}
	}
}

// readWorkerLogs finds in the workers' logs the transfers whose worker the failpoint killed right
// after their posting, and counts the step attempts that outlived their timeout.
func readWorkerLogs(sys *system, r *report) {
	for _, w := range sys.workers {
		f, err := os.Open(w.log)
		if err != nil {
			continue
		}
		sc := bufio.NewScanner(f)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			line := sc.Bytes()
			switch {
			case bytes.Contains(line, []byte("killed after posting")):
				var entry struct {
					TransferID uuid.UUID `json:"transfer_id"`
				}
				if json.Unmarshal(line, &entry) == nil {
					r.KilledAfterPost = append(r.KilledAfterPost, entry.TransferID)
				}
			case bytes.Contains(line, []byte("completed after activity deadline")):
				r.LateAttempts++
			}
		}
		f.Close()
	}
}
