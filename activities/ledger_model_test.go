package activities_test

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"pgregory.net/rapid"

	tlog "go.temporal.io/sdk/log"

	"github.com/bankforge/bank/activities"
	"github.com/bankforge/bank/db"
	"github.com/bankforge/bank/dev/testenv"
	"github.com/bankforge/bank/domain"
)

// The ledger's model-based test. Each check draws a few customer accounts in a currency of its own
// and a random sequence of steps: transfers, deposits and withdrawals recorded as the API records
// them, each workflow step run through its activity (validate, place the hold, post, void the hold,
// fail), the sweep that voids expired holds, freezes in full or of debits recorded, applied, lifted
// and ended, admins' unfreezes, and retries of any step that ran, as Temporal may run a step again
// after a lost report or a timed-out attempt, at any later point. A small in-memory model of the
// ledger predicts each step's answer and effect; after every step the database must agree with it
// (check). rapid shrinks a failing sequence to a shorter one, for up to -rapid.shrinktime.
//
// By default it runs rapid's 100 checks of about 30 steps; to run it longer (rapid stops early, with
// fewer checks passed, at the test's deadline):
//
//	go test ./activities -run TestLedgerModel -rapid.checks=1000 -rapid.steps=200 -timeout 2h

func TestLedgerModel(t *testing.T) {
	t.Parallel()
	lab := newLedgerLab(t)
	rapid.Check(t, lab.property)
	// Every check's currency at once, by the ledger's own check.
	report, err := lab.store.CheckLedger(t.Context())
	if err != nil || !report.OK {
		t.Fatalf("ledger after every check: %+v %v", report, err)
	}
}

// The negative control: with every retried posting posted once more by raw SQL, which the
// application's database role may write (a second ledger transaction under another operation id,
// balanced, each leg with its balance; the database refuses a second one for the same transfer, so it
// names none), the property must fail, on the balances the model did not expect.
func TestLedgerModel_CatchesADoublePosting(t *testing.T) {
	lab := newLedgerLab(t)
	lab.postAgainOnRetry = true
	// Checks enough that a sequence retrying a posting comes (the first failure ends the run), no
	// fail file for a failure that is the point, and a short shrink.
	setRapidFlag(t, "rapid.checks", "1000")
	setRapidFlag(t, "rapid.nofailfile", "true")
	setRapidFlag(t, "rapid.shrinktime", "5s")
	out := checkRecorded(t, lab.property)
	if lab.postedAgain == 0 {
		t.Fatalf("no posting could be repeated behind the ledger (does the database refuse it now? then break the model instead):\n%s", out.log)
	}
	if !out.failed {
		t.Fatal("the property held although retried postings were posted twice: the check cannot fail")
	}
	if !strings.Contains(out.log, "; the model's: ") {
		t.Fatalf("the property failed, but not on the double posting:\n%s", out.log)
	}
	t.Logf("the property failed, as it must:\n%s", out.log)
}

// ledgerLab is what every check of one test shares: a database, the activities over it, an admin.
type ledgerLab struct {
	store *db.Store
	owner *db.Store
	// long places holds that outlive the test; short places holds that expire at once, for the
	// sweep to void. Two environments: one registers the activities of one value.
	long, short         *testsuite.TestActivityEnvironment
	longActs, shortActs *activities.Activities
	admin               db.User
	currencies          int
	// postAgainOnRetry breaks the ledger for the negative control: a retried PostTransfer is
	// followed by a second posting of the transfer, written behind the ledger's back.
	postAgainOnRetry bool
	postedAgain      int // how many such postings the database took
}

func newLedgerLab(t *testing.T) *ledgerLab {
	t.Helper()
	app, owner := testenv.NewStores(t)
	lab := &ledgerLab{store: app, owner: owner, admin: newAdmin(t, app)}
	lab.longActs = &activities.Activities{Store: app, HoldTTL: time.Hour, Terms: activities.NewTransferTerms()}
	lab.shortActs = &activities.Activities{Store: app, HoldTTL: time.Microsecond}
	var suite testsuite.WorkflowTestSuite
	suite.SetLogger(tlog.NewStructuredLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	lab.long, lab.short = suite.NewTestActivityEnvironment(), suite.NewTestActivityEnvironment()
	lab.long.RegisterActivity(lab.longActs)
	lab.short.RegisterActivity(lab.shortActs)
	return lab
}

// newCurrency adds a currency of its own for one check, with its cash account: the check's money is
// then exactly what its model knows, and conservation is exact per currency.
func (lab *ledgerLab) newCurrency(t *rapid.T) (string, uuid.UUID) {
	ctx := context.Background()
	for lab.currencies < 26*26*26 {
		n := lab.currencies
		lab.currencies++
		code := string([]byte{byte('A' + n/676), byte('A' + n/26%26), byte('A' + n%26)})
		tag, err := lab.owner.Pool().Exec(ctx, "INSERT INTO currencies (code, exponent) VALUES ($1, 2) ON CONFLICT DO NOTHING", code)
		if err != nil {
			t.Fatalf("add currency: %v", err)
		}
		if tag.RowsAffected() == 0 {
			continue // one of the bank's own
		}
		var cash uuid.UUID
		if err := lab.owner.Pool().QueryRow(ctx, "INSERT INTO accounts (id, number, kind, currency) VALUES ($1, $2, $3, $4) RETURNING id",
			uuid.New(), "CASH-"+code, domain.AccountCash, code).Scan(&cash); err != nil {
			t.Fatalf("open cash account: %v", err)
		}
		return code, cash
	}
	t.Fatalf("every three-letter currency code is taken: run fewer checks per test")
	return "", uuid.UUID{}
}

// property is one check: a fresh currency and customers, then a random sequence of steps, each
// followed by the comparison of the database with the model.
func (lab *ledgerLab) property(t *rapid.T) {
	ctx := context.Background()
	currency, cashID := lab.newCurrency(t)
	w := &ledgerWorld{lab: lab, currency: currency, cash: &mAccount{name: "cash", id: cashID, kind: domain.AccountCash}}
	for i := range rapid.IntRange(2, 4).Draw(t, "customers") {
		id := uuid.New()
		u, err := lab.store.InsertUser(ctx, db.InsertUserParams{Status: domain.UserActive, ID: id, Email: id.String() + "@example.com",
			PasswordHash: "h", FullName: "C", Role: domain.RoleClient})
		if err != nil {
			t.Fatal(err)
		}
		a, err := lab.store.OpenAccountTx(ctx, u.ID, currency, "model/"+id.String())
		if err != nil {
			t.Fatal(err)
		}
		w.customers = append(w.customers, &mAccount{name: string(rune('A' + i)), id: a.ID, kind: domain.AccountCustomer, owner: u.ID})
	}
	t.Repeat(map[string]func(*rapid.T){
		"open":          w.open,
		"advance":       w.advance,
		"retry":         w.retry,
		"freeze":        w.requestFreeze,
		"advanceFreeze": w.advanceFreeze,
		"unfreeze":      w.unfreeze,
		"expireHolds":   w.expireHolds,
		"":              w.check,
	})
}

// The model.

// mAccount is an account as the model knows it.
type mAccount struct {
	name    string
	id      uuid.UUID
	kind    domain.AccountKind
	owner   uuid.UUID // the customer; zero for the cash account
	balance int64
	onHold  int64
	open    *mFreeze // the account's freeze pending or in force
}

// GoString names the account in rapid's log of what it drew.
func (a *mAccount) GoString() string { return a.name }

// frozen is the freeze in force on the account, or nil.
func (a *mAccount) frozen() *mFreeze {
	if a.open != nil && a.open.status == domain.FreezeActive {
		return a.open
	}
	return nil
}

func (a *mAccount) status() domain.AccountStatus {
	if a.frozen() != nil {
		return domain.AccountFrozen
	}
	return domain.AccountActive
}

// movable is what the ledger answers to money leaving the account (out) or reaching it.
func (a *mAccount) movable(out bool) outcome {
	if f := a.frozen(); f != nil && (out || f.scope.StopsCredits()) {
		return outcome(domain.CodeAccountFrozen)
	}
	return outcomeOK
}

// The stages of a transfer's workflow (workflows.Transfer): the step it runs next.
type transferStage int

const (
	stageValidate transferStage = iota
	stagePlaceHold
	stagePost
	stageVoidHold // the saga's compensation, after a refusal once the hold was placed
	stageFail
	stageDone
)

// mTransfer is a transfer as the model knows it, with the state of its workflow.
type mTransfer struct {
	name      string
	id        uuid.UUID
	kind      domain.TransferKind
	from, to  *mAccount
	amount    int64
	initiator uuid.UUID
	short     bool // its hold expires at once
	status    domain.TransferStatus
	code      domain.Code       // why it failed
	endedAt   int               // the model's clock when it ended
	hold      domain.HoldStatus // "" until placed
	posted    bool

	stage    transferStage
	failStep domain.TransferStep // the step the workflow failed at, and why
	failCode domain.Code
}

// The stages of a freeze's workflow (workflows.Freeze).
type freezeStage int

const (
	freezeApply freezeStage = iota
	freezeStop
	freezeStanding // waiting for its end or an admin's unfreeze
	freezeDone
)

// mFreeze is a freeze as the model knows it, with the state of its workflow.
type mFreeze struct {
	name     string
	id       uuid.UUID
	account  *mAccount
	scope    domain.FreezeScope
	due      bool // its end has come as soon as it is in force
	status   domain.FreezeStatus
	frozenAt int // the model's clock when it came into force; 0 before
	stage    freezeStage
}

// outcome is a step's answer: ok, the code of a non-retryable error (a refusal, or internal_error),
// or outcomeRetry for any other error, which Temporal would retry.
type outcome string

const (
	outcomeOK    outcome = "ok"
	outcomeRetry outcome = "retryable error"
)

func outcomeOf(err error) outcome {
	if err == nil {
		return outcomeOK
	}
	var appErr *temporal.ApplicationError
	if errors.As(err, &appErr) && appErr.NonRetryable() {
		return outcome(appErr.Type())
	}
	return outcomeRetry
}

// step is one step that ran, to run again: run runs it, compares its answer with the model's and
// applies its effect to the model.
type step struct {
	label string
	run   func(t *rapid.T) outcome
}

// ledgerWorld is one check: the model, the workflows in flight and the steps that ran.
type ledgerWorld struct {
	lab       *ledgerLab
	currency  string
	cash      *mAccount
	customers []*mAccount
	transfers []*mTransfer
	freezes   []*mFreeze
	ran       []step
	clock     int
}

// tick advances the model's clock: one per transaction that ends a transfer or applies a freeze.
func (w *ledgerWorld) tick() int {
	w.clock++
	return w.clock
}

// expect fails the check when a step's answer is not the model's.
func expect(t *rapid.T, label string, got, want outcome, err error) {
	t.Helper()
	if got != want {
		t.Fatalf("%s: %s (%v); the model expects %s", label, got, err, want)
	}
	t.Logf("%s: %s", label, got)
}

func (w *ledgerWorld) do(t *rapid.T, s step) outcome {
	w.ran = append(w.ran, s)
	return s.run(t)
}

// exec runs an activity in env with its input, if it has one, and decodes its result into out.
func exec(t *rapid.T, env *testsuite.TestActivityEnvironment, fn, out any, in ...any) (outcome, error) {
	v, err := env.ExecuteActivity(fn, in...)
	if err == nil && out != nil {
		if err := v.Get(out); err != nil {
			t.Fatalf("decode result: %v", err)
		}
	}
	return outcomeOf(err), err
}

// open records a transfer, deposit or withdrawal pending, as the API does before starting its
// workflow.
func (w *ledgerWorld) open(t *rapid.T) {
	tr := &mTransfer{
		name: fmt.Sprintf("t%d", len(w.transfers)+1), id: uuid.New(), status: domain.TransferPending,
		kind: rapid.SampledFrom(domain.TransferKinds).Draw(t, "kind"), initiator: w.lab.admin.ID,
	}
	customer := rapid.SampledFrom(w.customers)
	switch tr.kind {
	case domain.KindDeposit:
		tr.from, tr.to = w.cash, customer.Draw(t, "to")
		tr.amount = rapid.Int64Range(1, 1000).Draw(t, "amount")
	case domain.KindWithdrawal:
		tr.from, tr.to = customer.Draw(t, "from"), w.cash
		tr.amount = rapid.Int64Range(1, 400).Draw(t, "amount")
	default:
		tr.from = customer.Draw(t, "from")
		tr.to = customer.Filter(func(a *mAccount) bool { return a != tr.from }).Draw(t, "to")
		tr.amount = rapid.Int64Range(1, 400).Draw(t, "amount")
		tr.initiator = tr.from.owner
		if rapid.IntRange(1, 10).Draw(t, "stranger") == 10 {
			tr.initiator = tr.to.owner // someone else's money: not_owner
		}
	}
	tr.short = rapid.Bool().Draw(t, "short hold")
	if _, err := w.lab.store.CreateTransfer(context.Background(), db.CreateTransferParams{
		ID: tr.id, Kind: tr.kind, InitiatedBy: tr.initiator, FromAccountID: tr.from.id, ToAccountID: tr.to.id,
		Amount: tr.amount, Currency: w.currency, WorkflowID: "model-" + tr.id.String(),
	}); err != nil {
		t.Fatalf("record transfer: %v", err)
	}
	w.transfers = append(w.transfers, tr)
	t.Logf("open %s: %s of %d from %s to %s (short hold: %v)", tr.name, tr.kind, tr.amount, tr.from.name, tr.to.name, tr.short)
}

// advance runs the next one to three steps of a transfer's workflow.
func (w *ledgerWorld) advance(t *rapid.T) {
	var running []*mTransfer
	for _, tr := range w.transfers {
		if tr.stage != stageDone {
			running = append(running, tr)
		}
	}
	if len(running) == 0 {
		t.Skip("no transfer in flight")
	}
	tr := running[rapid.IntRange(0, len(running)-1).Draw(t, "transfer")]
	for n := rapid.IntRange(1, 3).Draw(t, "steps"); n > 0 && tr.stage != stageDone; n-- {
		w.advanceTransfer(t, tr)
	}
}

// advanceTransfer runs the step the transfer's workflow is at and moves it on as workflows.Transfer
// does: a retryable error keeps it at the step (Temporal retries it), a non-retryable one fails the
// transfer, voiding its hold first once one was placed.
func (w *ledgerWorld) advanceTransfer(t *rapid.T, tr *mTransfer) {
	fail := func(at domain.TransferStep, got outcome, placed bool) {
		tr.failStep, tr.failCode = at, domain.Code(got)
		tr.stage = stageFail
		if placed {
			tr.stage = stageVoidHold
		}
	}
	switch tr.stage {
	case stageValidate:
		switch got := w.do(t, w.validate(tr)); got {
		case outcomeOK:
			tr.stage = stagePlaceHold
		case outcomeRetry:
		default:
			fail(domain.StepValidate, got, false)
		}
	case stagePlaceHold:
		switch got := w.do(t, w.placeHold(tr)); got {
		case outcomeOK:
			tr.stage = stagePost
		case outcomeRetry:
		default:
			fail(domain.StepPlaceHold, got, false)
		}
	case stagePost:
		switch got := w.do(t, w.post(tr)); got {
		case outcomeOK:
			tr.stage = stageDone
		case outcomeRetry:
		default:
			fail(domain.StepPost, got, true)
		}
	case stageVoidHold:
		if got := w.do(t, w.voidHold(tr)); got == outcomeOK {
			tr.stage = stageFail
		}
	case stageFail:
		if got := w.do(t, w.failTransfer(tr, tr.failStep, tr.failCode)); got == outcomeOK {
			tr.stage = stageDone
		}
	}
}

// retry runs a step that ran before once more, now.
func (w *ledgerWorld) retry(t *rapid.T) {
	if len(w.ran) == 0 {
		t.Skip("no step ran yet")
	}
	s := w.ran[rapid.IntRange(0, len(w.ran)-1).Draw(t, "step")]
	t.Logf("retry of %s", s.label)
	s.run(t)
}

func ref(tr *mTransfer) activities.TransferRef {
	return activities.TransferRef{TransferID: tr.id.String()}
}

// ended is what a step answers for a transfer that has ended: its refusal, or internal_error.
func (tr *mTransfer) ended() outcome {
	if tr.code.IsRefusal() {
		return outcome(tr.code)
	}
	return outcome(domain.CodeInternal)
}

func (w *ledgerWorld) end(tr *mTransfer, status domain.TransferStatus, code domain.Code) {
	tr.status, tr.code, tr.endedAt = status, code, w.tick()
}

func (w *ledgerWorld) validate(tr *mTransfer) step {
	label := "validate " + tr.name
	return step{label, func(t *rapid.T) outcome {
		want := func() outcome {
			if tr.status.Ended() {
				return tr.ended()
			}
			if tr.kind == domain.KindTransfer && tr.initiator != tr.from.owner {
				return outcome(domain.CodeNotOwner)
			}
			if o := tr.from.movable(true); o != outcomeOK {
				return o
			}
			return tr.to.movable(false)
		}()
		got, err := exec(t, w.lab.long, w.lab.longActs.ValidateTransfer, nil, ref(tr))
		expect(t, label, got, want, err)
		return got
	}}
}

func (w *ledgerWorld) placeHold(tr *mTransfer) step {
	label := "place hold " + tr.name
	return step{label, func(t *rapid.T) outcome {
		want := func() outcome {
			switch tr.hold {
			case domain.HoldVoided:
				return outcome(domain.CodeHoldExpired)
			case domain.HoldActive, domain.HoldCaptured:
				return outcomeOK
			}
			if tr.status.Ended() { // a freeze stopped it, or its workflow failed it
				return tr.ended()
			}
			if o := tr.from.movable(true); o != outcomeOK {
				return o
			}
			if tr.from.kind == domain.AccountCustomer && tr.from.balance-tr.from.onHold < tr.amount {
				return outcome(domain.CodeInsufficientFunds)
			}
			return outcomeOK
		}()
		env, acts := w.lab.long, w.lab.longActs
		if tr.short {
			env, acts = w.lab.short, w.lab.shortActs
		}
		placed := tr.hold != ""
		got, err := exec(t, env, acts.PlaceHold, nil, ref(tr))
		expect(t, label, got, want, err)
		if got == outcomeOK && !placed {
			tr.hold = domain.HoldActive
			tr.from.onHold += tr.amount
		}
		return got
	}}
}

func (w *ledgerWorld) post(tr *mTransfer) step {
	label := "post " + tr.name
	return step{label, func(t *rapid.T) outcome {
		retried := tr.posted
		want := func() outcome {
			switch {
			case tr.posted:
				return outcomeOK
			case tr.from.movable(true) != outcomeOK:
				return tr.from.movable(true)
			case tr.to.movable(false) != outcomeOK:
				return tr.to.movable(false)
			case tr.hold != domain.HoldActive:
				return outcome(domain.CodeHoldExpired)
			case tr.status.Ended():
				return outcomeRetry // db.ErrTransferEnded: a step out of order
			}
			return outcomeOK
		}()
		got, err := exec(t, w.lab.long, w.lab.longActs.PostTransfer, nil, ref(tr))
		expect(t, label, got, want, err)
		if got == outcomeOK && !retried {
			tr.posted, tr.hold = true, domain.HoldCaptured
			tr.from.onHold -= tr.amount
			tr.from.balance -= tr.amount
			tr.to.balance += tr.amount
			w.end(tr, domain.TransferCompleted, "")
		}
		if retried && w.lab.postAgainOnRetry {
			w.postBehindTheLedger(t, tr)
		}
		return got
	}}
}

func (w *ledgerWorld) voidHold(tr *mTransfer) step {
	label := "void hold " + tr.name
	return step{label, func(t *rapid.T) outcome {
		got, err := exec(t, w.lab.long, w.lab.longActs.VoidHold, nil, ref(tr))
		expect(t, label, got, outcomeOK, err)
		if tr.hold == domain.HoldActive {
			tr.hold = domain.HoldVoided
			tr.from.onHold -= tr.amount
		}
		return got
	}}
}

func (w *ledgerWorld) failTransfer(tr *mTransfer, at domain.TransferStep, code domain.Code) step {
	label := fmt.Sprintf("fail %s at %s with %s", tr.name, at, code)
	return step{label, func(t *rapid.T) outcome {
		wantStatus := tr.status
		want := outcomeOK
		switch {
		case tr.status.Ended():
		case tr.hold == domain.HoldActive || tr.hold == domain.HoldCaptured:
			want = outcomeRetry // it still holds funds: the workflow voids the hold first
		case tr.hold == domain.HoldVoided:
			wantStatus = domain.TransferCompensated
		default:
			wantStatus = domain.TransferFailed
		}
		var res activities.FailTransferResult
		got, err := exec(t, w.lab.long, w.lab.longActs.FailTransfer, &res, activities.FailTransferInput{TransferID: tr.id.String(), Step: at, Code: code})
		expect(t, label, got, want, err)
		if got == outcomeOK {
			if res.Status != wantStatus {
				t.Fatalf("%s: ended %s; the model expects %s", label, res.Status, wantStatus)
			}
			if !tr.status.Ended() {
				w.end(tr, wantStatus, code)
			}
		}
		return got
	}}
}

// expireHolds runs the sweep until a pass finds nothing, as its schedule does: every hold placed to
// expire at once and still active is voided, with its transfer ended compensated if pending; the
// others stay. It runs when there is such a hold (and again as a retry).
func (w *ledgerWorld) expireHolds(t *rapid.T) {
	if !slices.ContainsFunc(w.transfers, func(tr *mTransfer) bool { return tr.short && tr.hold == domain.HoldActive }) {
		t.Skip("no hold to expire")
	}
	s := step{"expire holds", func(t *rapid.T) outcome {
		var want []string
		for _, tr := range w.transfers {
			if tr.short && tr.hold == domain.HoldActive {
				want = append(want, tr.id.String())
			}
		}
		mine := map[string]bool{}
		for _, tr := range w.transfers {
			mine[tr.id.String()] = true
		}
		var got []string
		for pass := 0; ; pass++ {
			var res activities.ExpireHoldsResult
			o, err := exec(t, w.lab.long, w.lab.longActs.ExpireHolds, &res)
			if o != outcomeOK || res.Failed > 0 {
				t.Fatalf("expire holds: %s (%v), %d failed", o, err, res.Failed)
			}
			if len(res.TransferIDs) == 0 {
				break
			}
			if pass == 10 {
				t.Fatalf("expire holds: still voiding after %d passes", pass)
			}
			for _, id := range res.TransferIDs {
				if mine[id] { // earlier checks' holds expire too
					got = append(got, id)
				}
			}
		}
		slices.Sort(want)
		slices.Sort(got)
		if !slices.Equal(got, want) {
			t.Fatalf("expire holds voided %v; the model expects %v", got, want)
		}
		for _, tr := range w.transfers {
			if tr.short && tr.hold == domain.HoldActive {
				tr.hold = domain.HoldVoided
				tr.from.onHold -= tr.amount
				if !tr.status.Ended() {
					w.end(tr, domain.TransferCompensated, domain.CodeHoldExpired)
				}
			}
		}
		t.Logf("expire holds: %d voided", len(got))
		return outcomeOK
	}}
	w.do(t, s)
}

// Freezes.

// requestFreeze records a freeze of a customer account pending, as the API does before starting
// its workflow.
func (w *ledgerWorld) requestFreeze(t *rapid.T) {
	a := rapid.SampledFrom(w.customers).Draw(t, "account")
	f := &mFreeze{
		name: fmt.Sprintf("f%d", len(w.freezes)+1), id: uuid.New(), account: a, status: domain.FreezePending,
		scope: rapid.SampledFrom(domain.FreezeScopes).Draw(t, "scope"), due: rapid.Bool().Draw(t, "due"),
	}
	var until *time.Time
	if f.due {
		now := time.Now()
		until = &now
	}
	req := db.FreezeRequest{
		ID: f.id, AccountID: a.id, Reason: domain.FreezeSuspectedFraud, Scope: f.scope, Until: until, RequestedBy: w.lab.admin.ID,
		WorkflowID: func(seq int32) string { return fmt.Sprintf("model-freeze-%s-%d", a.id, seq) },
	}
	label := fmt.Sprintf("record %s: %s freeze of %s (due: %v)", f.name, f.scope, a.name, f.due)
	recorded := false
	w.do(t, step{label, func(t *rapid.T) outcome {
		want := outcomeOK
		if !recorded && a.open != nil {
			want = outcome(domain.CodeAlreadyFrozen)
		}
		rec, err := w.lab.store.RecordFreezeTx(context.Background(), req)
		got := outcomeOK
		if code, refused := domain.RefusalCode(err); refused {
			got = outcome(code)
		} else if err != nil {
			got = outcomeRetry
		}
		expect(t, label, got, want, err)
		if got == outcomeOK && !recorded {
			if rec.Freeze.ID != f.id || rec.Freeze.Status != domain.FreezePending {
				t.Fatalf("%s: recorded %+v", label, rec.Freeze)
			}
			recorded = true
			a.open = f
			w.freezes = append(w.freezes, f)
		}
		return got
	}})
}

// advanceFreeze runs the next step of a freeze's workflow: apply, stop the transfers in flight, then
// end it once due; before it is told, a failure or a cancellation lifts it instead.
func (w *ledgerWorld) advanceFreeze(t *rapid.T) {
	var running []*mFreeze
	for _, f := range w.freezes {
		if f.stage != freezeDone {
			running = append(running, f)
		}
	}
	if len(running) == 0 {
		t.Skip("no freeze in flight")
	}
	f := running[rapid.IntRange(0, len(running)-1).Draw(t, "freeze")]
	// Rarely: rapid draws small numbers more often than large ones.
	if f.stage != freezeStanding && rapid.IntRange(1, 10).Draw(t, "canceled") == 10 {
		if w.do(t, w.liftFreeze(f)) == outcomeOK {
			f.stage = freezeDone
		}
		return
	}
	switch f.stage {
	case freezeApply:
		if w.do(t, w.applyFreeze(f)) == outcomeOK {
			f.stage = freezeStop
			if f.status != domain.FreezeActive {
				f.stage = freezeDone
			}
		}
	case freezeStop:
		if w.do(t, w.stopTransfers(f)) == outcomeOK {
			f.stage = freezeStanding
		}
	case freezeStanding:
		if w.do(t, w.endDueFreeze(f)) == outcomeOK && f.status != domain.FreezeActive {
			f.stage = freezeDone
		}
	}
}

// freezeStep runs a freeze activity that answers the freeze's state and compares that with the
// model's status.
func (w *ledgerWorld) freezeStep(t *rapid.T, label string, fn, in any, want outcome, status domain.FreezeStatus) outcome {
	var st activities.FreezeState
	got, err := exec(t, w.lab.long, fn, &st, in)
	expect(t, label, got, want, err)
	if got == outcomeOK && st.Status != status {
		t.Fatalf("%s: freeze %s; the model expects %s", label, st.Status, status)
	}
	return got
}

func (w *ledgerWorld) applyFreeze(f *mFreeze) step {
	label := "apply " + f.name
	return step{label, func(t *rapid.T) outcome {
		apply := f.status == domain.FreezePending
		want, status := outcomeOK, f.status
		if apply {
			status = domain.FreezeActive
		}
		got := w.freezeStep(t, label, w.lab.longActs.ApplyFreeze, activities.FreezeRef{FreezeID: f.id.String()}, want, status)
		if got == outcomeOK && apply {
			f.status, f.frozenAt = domain.FreezeActive, w.tick()
		}
		return got
	}}
}

func (w *ledgerWorld) stopTransfers(f *mFreeze) step {
	label := "stop transfers of " + f.name
	return step{label, func(t *rapid.T) outcome {
		want := outcomeOK
		if f.frozenAt == 0 {
			want = outcome(domain.CodeInternal) // never in force
		}
		var res activities.StoppedTransfers
		got, err := exec(t, w.lab.long, w.lab.longActs.StopTransfersInFlight, &res, activities.FreezeRef{FreezeID: f.id.String()})
		expect(t, label, got, want, err)
		if got != outcomeOK {
			return got
		}
		a := f.account
		if f.status == domain.FreezeActive {
			for _, tr := range w.transfers {
				caught := tr.from == a || (tr.to == a && f.scope.StopsCredits())
				if !caught || tr.status.Ended() {
					continue
				}
				status := domain.TransferFailed
				if tr.hold != "" {
					status = domain.TransferCompensated
				}
				if tr.hold == domain.HoldActive {
					tr.hold = domain.HoldVoided
					tr.from.onHold -= tr.amount
				}
				w.end(tr, status, domain.CodeAccountFrozen)
			}
		}
		// Every transfer of the account that ended account_frozen since the freeze came into force.
		var want2 []string
		for _, tr := range w.transfers {
			if (tr.from == a || tr.to == a) && tr.code == domain.CodeAccountFrozen && tr.endedAt >= f.frozenAt {
				want2 = append(want2, tr.id.String())
			}
		}
		stopped := slices.Clone(res.TransferIDs)
		slices.Sort(stopped)
		slices.Sort(want2)
		if !slices.Equal(stopped, want2) {
			t.Fatalf("%s: named %v; the model expects %v", label, stopped, want2)
		}
		return got
	}}
}

func (w *ledgerWorld) liftFreeze(f *mFreeze) step {
	label := "lift " + f.name
	return step{label, func(t *rapid.T) outcome {
		lift := f.status.Open()
		status := f.status
		if lift {
			status = domain.FreezeFailed
		}
		got := w.freezeStep(t, label, w.lab.longActs.LiftFreeze, activities.LiftFreezeInput{FreezeID: f.id.String(), Code: domain.CodeCanceled}, outcomeOK, status)
		if got == outcomeOK && lift {
			f.status, f.account.open = domain.FreezeFailed, nil
		}
		return got
	}}
}

func (w *ledgerWorld) endDueFreeze(f *mFreeze) step {
	label := "end " + f.name + " if due"
	return step{label, func(t *rapid.T) outcome {
		end := f.status == domain.FreezeActive && f.due
		status := f.status
		if end {
			status = domain.FreezeEnded
		}
		got := w.freezeStep(t, label, w.lab.longActs.EndDueFreeze, activities.FreezeRef{FreezeID: f.id.String()}, outcomeOK, status)
		if got == outcomeOK && end {
			f.status, f.account.open = domain.FreezeEnded, nil
		}
		return got
	}}
}

// unfreeze is an admin's unfreeze, through the API's transaction, of an account with a freeze
// pending (not yet in force: not_frozen) or in force. It is not retried here: the API's
// Idempotency-Key answers a repeated request with the first answer.
func (w *ledgerWorld) unfreeze(t *rapid.T) {
	var open []*mAccount // frozen, or about to be
	for _, a := range w.customers {
		if a.open != nil {
			open = append(open, a)
		}
	}
	if len(open) == 0 {
		t.Skip("no freeze to end")
	}
	a := rapid.SampledFrom(open).Draw(t, "account")
	label := "unfreeze " + a.name
	f := a.frozen()
	want := outcome(domain.CodeNotFrozen)
	if f != nil {
		want = outcomeOK
	}
	ended, err := w.lab.store.EndFreezeTx(context.Background(), a.id, w.lab.admin.ID, "cleared")
	got := outcomeOK
	switch {
	case errors.Is(err, db.ErrNotFrozen):
		got = outcome(domain.CodeNotFrozen)
	case err != nil:
		got = outcomeRetry
	}
	expect(t, label, got, want, err)
	if got == outcomeOK {
		if ended.ID != f.id || ended.Status != domain.FreezeEnded {
			t.Fatalf("%s: ended %s (%s); the model expects %s ended", label, ended.ID, ended.Status, f.name)
		}
		f.status, a.open = domain.FreezeEnded, nil
	}
}

// postBehindTheLedger posts tr a second time as nothing in the bank may: a ledger transaction of its
// own under another operation id, with both legs and their balances, each as the ledger's triggers
// want it. It names no transfer: the database refuses a second ledger transaction for one
// (ledger_transactions_one_per_transfer). The database lets the application's role write the rest;
// the negative control expects the property to catch it. A leg the database refuses (a customer's
// balance below zero, a frozen account) leaves nothing.
func (w *ledgerWorld) postBehindTheLedger(t *rapid.T, tr *mTransfer) {
	ctx := context.Background()
	err := pgx.BeginFunc(ctx, w.lab.store.Pool(), func(tx pgx.Tx) error {
		txID := uuid.New()
		if _, err := tx.Exec(ctx, "INSERT INTO ledger_transactions (id, operation_id) VALUES ($1, $2)",
			txID, "again/"+tr.id.String()); err != nil {
			return err
		}
		for _, leg := range []struct {
			account uuid.UUID
			amount  int64
		}{{tr.from.id, -tr.amount}, {tr.to.id, tr.amount}} {
			var balance int64
			if err := tx.QueryRow(ctx, "UPDATE accounts SET balance = balance + $1 WHERE id = $2 RETURNING balance", leg.amount, leg.account).Scan(&balance); err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, "INSERT INTO postings (transaction_id, account_id, amount, currency, balance_after) VALUES ($1, $2, $3, $4, $5)",
				txID, leg.account, leg.amount, w.currency, balance); err != nil {
				return err
			}
		}
		return nil
	})
	if err == nil {
		w.lab.postedAgain++
	}
	t.Logf("posted %s again behind the ledger: %v", tr.name, err)
}

// The comparison.

// check compares the database with the model, and checks the ledger's invariants in the check's
// currency, after every step. It reports every disagreement at once.
func (w *ledgerWorld) check(t *rapid.T) {
	t.Helper()
	ctx := context.Background()
	var bad []string
	add := func(format string, args ...any) { bad = append(bad, fmt.Sprintf(format, args...)) }
	pool := w.lab.store.Pool()

	// The check's accounts are those of its currency; every query below goes by their ids.
	ids := []uuid.UUID{w.cash.id}
	for _, a := range w.customers {
		ids = append(ids, a.id)
	}

	// Transfers, their postings and holds. First, as the negative control looks for it.
	transfers := map[uuid.UUID]*mTransfer{}
	for _, tr := range w.transfers {
		transfers[tr.id] = tr
	}
	// The ledger transactions that moved money on the check's accounts, by transfer (found through
	// the accounts' postings, which are indexed; the whole ledger is checked once at the end).
	rows, err := pool.Query(ctx, `
		SELECT t.id, t.status, COALESCE(t.failure_code, ''), COALESCE(l.transactions, 0), COALESCE(l.legs, 0),
		       COALESCE(h.status, ''), COALESCE(h.amount, 0), h.account_id
		FROM transfers t
		LEFT JOIN holds h ON h.transfer_id = t.id
		LEFT JOIN (SELECT lt.transfer_id, count(DISTINCT lt.id) AS transactions, count(*) AS legs
		           FROM postings p JOIN ledger_transactions lt ON lt.id = p.transaction_id
		           WHERE p.account_id = ANY($1) GROUP BY lt.transfer_id) l ON l.transfer_id = t.id
		WHERE t.from_account_id = ANY($1) OR t.to_account_id = ANY($1)`, ids)
	if err != nil {
		t.Fatal(err)
	}
	seen := 0
	for rows.Next() {
		var (
			id                 uuid.UUID
			status             domain.TransferStatus
			code               domain.Code
			transactions, legs int
			hold               domain.HoldStatus
			holdAmount         int64
			holdAccount        *uuid.UUID
		)
		if err := rows.Scan(&id, &status, &code, &transactions, &legs, &hold, &holdAmount, &holdAccount); err != nil {
			t.Fatal(err)
		}
		tr := transfers[id]
		if tr == nil {
			add("transfer %s is not the model's", id)
			continue
		}
		seen++
		want := 0
		if tr.posted {
			want = 1
		}
		if transactions != want || legs != 2*want {
			add("transfer %s (%s) has %d ledger transactions; want %d (and %d postings, not %d)", tr.name, status, transactions, want, 2*want, legs)
		}
		if status != tr.status || code != tr.code {
			add("transfer %s is %s %q; the model's is %s %q", tr.name, status, code, tr.status, tr.code)
		}
		if hold != tr.hold || (hold != "" && (holdAmount != tr.amount || *holdAccount != tr.from.id)) {
			add("transfer %s has hold %q of %d; the model's is %q of %d on %s", tr.name, hold, holdAmount, tr.hold, tr.amount, tr.from.name)
		}
		if hold == domain.HoldActive && status.Ended() {
			add("transfer %s has ended %s with its hold still active", tr.name, status)
		}
		if (status == domain.TransferCompleted) != (hold == domain.HoldCaptured) {
			add("transfer %s is %s with hold %q", tr.name, status, hold)
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if seen != len(w.transfers) {
		add("%d of the model's %d transfers are in the database", seen, len(w.transfers))
	}

	// Accounts: balances, holds, statuses, each balance the sum of its postings, conservation.
	accounts := map[uuid.UUID]*mAccount{w.cash.id: w.cash}
	for _, a := range w.customers {
		accounts[a.id] = a
	}
	rows, err = pool.Query(ctx, `
		SELECT a.id, a.status, a.balance, a.on_hold,
		       COALESCE((SELECT sum(p.amount) FROM postings p WHERE p.account_id = a.id), 0)::bigint,
		       COALESCE((SELECT sum(h.amount) FROM transfers t JOIN holds h ON h.transfer_id = t.id
		                 WHERE t.from_account_id = a.id AND h.account_id = a.id AND h.status = $2), 0)::bigint
		FROM accounts a WHERE a.currency = $1`, w.currency, domain.HoldActive)
	if err != nil {
		t.Fatal(err)
	}
	var total int64
	seen = 0
	for rows.Next() {
		var (
			id                              uuid.UUID
			status                          domain.AccountStatus
			balance, onHold, posted, active int64
		)
		if err := rows.Scan(&id, &status, &balance, &onHold, &posted, &active); err != nil {
			t.Fatal(err)
		}
		total += balance
		a := accounts[id]
		if a == nil {
			add("account %s is not the model's", id)
			continue
		}
		seen++
		if balance != a.balance || onHold != a.onHold || status != a.status() {
			add("account %s: balance %d, on hold %d, %s; the model's: %d, %d, %s", a.name, balance, onHold, status, a.balance, a.onHold, a.status())
		}
		if balance != posted {
			add("account %s: balance %d, but its postings sum to %d", a.name, balance, posted)
		}
		if onHold != active {
			add("account %s: %d on hold, but its active holds sum to %d", a.name, onHold, active)
		}
		if a.kind == domain.AccountCustomer && (balance < 0 || balance-onHold < 0) {
			add("account %s: balance %d with %d on hold is negative", a.name, balance, onHold)
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if seen != len(accounts) {
		add("%d of the model's %d accounts are in the database", seen, len(accounts))
	}
	if total != 0 {
		add("conservation: the %s accounts sum to %d, not 0", w.currency, total)
	}

	// Freezes, and no debit (nor, in full, credit) posted while one was in force.
	freezes := map[uuid.UUID]*mFreeze{}
	for _, f := range w.freezes {
		freezes[f.id] = f
	}
	rows, err = pool.Query(ctx, `
		SELECT f.id, f.status FROM freezes f WHERE f.account_id = ANY($1)`, ids)
	if err != nil {
		t.Fatal(err)
	}
	seen = 0
	for rows.Next() {
		var (
			id     uuid.UUID
			status domain.FreezeStatus
		)
		if err := rows.Scan(&id, &status); err != nil {
			t.Fatal(err)
		}
		f := freezes[id]
		if f == nil {
			add("freeze %s is not the model's", id)
			continue
		}
		seen++
		if status != f.status {
			add("freeze %s is %s; the model's is %s", f.name, status, f.status)
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if seen != len(w.freezes) {
		add("%d of the model's %d freezes are in the database", seen, len(w.freezes))
	}
	rows, err = pool.Query(ctx, `
		SELECT p.account_id, p.amount, f.id FROM postings p
		JOIN freezes f ON f.account_id = p.account_id AND f.frozen_at IS NOT NULL
		     AND p.created_at >= f.frozen_at AND (f.ended_at IS NULL OR p.created_at < f.ended_at)
		WHERE p.account_id = ANY($1) AND (p.amount < 0 OR f.scope = $2)`, ids, domain.FreezeFull)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var (
			account, freeze uuid.UUID
			amount          int64
		)
		if err := rows.Scan(&account, &amount, &freeze); err != nil {
			t.Fatal(err)
		}
		add("INV-7: a posting of %d on account %s while freeze %s was in force", amount, accounts[account].name, freezes[freeze].name)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}

	if len(bad) > 0 {
		t.Fatalf("the database and the model disagree:\n\t%s", strings.Join(bad, "\n\t"))
	}
}

// Running a property to see it fail.

// setRapidFlag sets one of rapid's command-line flags for t, and restores it when t ends. Rapid
// reads its flags while a check runs: t must not be parallel (parallel tests wait until it ended).
func setRapidFlag(t *testing.T, name, value string) {
	t.Helper()
	f := flag.Lookup(name)
	if f == nil {
		t.Fatalf("rapid has no flag %s", name)
	}
	old := f.Value.String()
	if err := f.Value.Set(value); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = f.Value.Set(old) })
}

// recordedCheck is what rapid told a test that ran a property.
type recordedCheck struct {
	failed bool
	log    string
}

// checkRecorded runs rapid.Check on prop with a recording test in place of t, so that a failure is
// captured rather than failing t.
func checkRecorded(t *testing.T, prop func(*rapid.T)) recordedCheck {
	t.Helper()
	rec := &recordingTB{name: t.Name(), ctx: t.Context()}
	done := make(chan struct{})
	go func() {
		defer close(done)
		rapid.Check(rec, prop)
	}()
	<-done
	rec.mu.Lock()
	defer rec.mu.Unlock()
	return recordedCheck{failed: rec.failed, log: rec.log.String()}
}

// recordingTB is a rapid.TB that records what is logged and whether the test failed; FailNow and
// SkipNow end the goroutine, as they end a test's.
type recordingTB struct {
	name   string
	ctx    context.Context
	mu     sync.Mutex
	log    strings.Builder
	failed bool
}

var _ rapid.TB = (*recordingTB)(nil)

func (r *recordingTB) Helper()                  {}
func (r *recordingTB) Name() string             { return r.name }
func (r *recordingTB) Context() context.Context { return r.ctx }
func (r *recordingTB) Logf(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	fmt.Fprintf(&r.log, format+"\n", args...)
}
func (r *recordingTB) Log(args ...any) { r.Logf("%s", fmt.Sprint(args...)) }
func (r *recordingTB) Errorf(format string, args ...any) {
	r.Logf(format, args...)
	r.Fail()
}
func (r *recordingTB) Error(args ...any) { r.Errorf("%s", fmt.Sprint(args...)) }
func (r *recordingTB) Fatalf(format string, args ...any) {
	r.Errorf(format, args...)
	r.FailNow()
}
func (r *recordingTB) Fatal(args ...any) { r.Fatalf("%s", fmt.Sprint(args...)) }
func (r *recordingTB) Fail() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.failed = true
}
func (r *recordingTB) FailNow() {
	r.Fail()
	runtime.Goexit()
}
func (r *recordingTB) Failed() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.failed
}
func (r *recordingTB) Skipf(format string, args ...any) {
	r.Logf(format, args...)
	r.SkipNow()
}
func (r *recordingTB) Skip(args ...any) { r.Skipf("%s", fmt.Sprint(args...)) }
func (r *recordingTB) SkipNow()         { runtime.Goexit() }
