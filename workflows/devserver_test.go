package workflows_test

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	tlog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/worker"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/bankforge/bank/activities"
	"github.com/bankforge/bank/dev/testenv"
	"github.com/bankforge/bank/domain"
	"github.com/bankforge/bank/workflows"
)

// devServer is a real Temporal dev server (testenv.Temporal, with the bank's search attributes
// registered) on which the bank's workflows run, each test's on its own task
// queue, with stand-in activities: what Temporal stores, indexes and answers is real, what the
// activities would do in PostgreSQL is what each test makes its stand-ins answer.
type devServer struct {
	tc    client.Client
	queue string
}

// TestDevServer runs its subtests on one dev server.
func TestDevServer(t *testing.T) {
	t.Parallel()
	tc, err := client.Dial(client.Options{HostPort: testenv.Temporal(t), Logger: tlog.NewStructuredLogger(slog.New(slog.DiscardHandler))})
	require.NoError(t, err)
	t.Cleanup(tc.Close)
	for name, test := range map[string]func(*testing.T, client.Client){
		"TransferCompensated":      testTransferCompensated,
		"TransferStateMidFlight":   testTransferStateMidFlight,
		"FreezeStateWhileItStands": testFreezeStateWhileItStands,
		"RegistrationFailed":       testRegistrationFailed,
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			test(t, tc)
		})
	}
}

// newWorker starts a worker of the bank's workflows with acts for activities, on a task queue of
// its own.
func newWorker(t *testing.T, tc client.Client, acts *standIns) *devServer {
	t.Helper()
	s := &devServer{tc: tc, queue: "bank-test-" + uuid.NewString()[:8]}
	w := worker.New(s.tc, s.queue, worker.Options{})
	w.RegisterWorkflow(workflows.Register)
	w.RegisterWorkflow(workflows.Transfer)
	w.RegisterWorkflow(workflows.Freeze)
	w.RegisterWorkflow(workflows.CashApproval)
	// Registered under the real activities' names, the stand-ins run in their place.
	w.RegisterActivity(acts)
	require.NoError(t, w.Start())
	t.Cleanup(w.Stop)
	return s
}

// start starts a workflow with opts on the worker's task queue.
func (s *devServer) start(t *testing.T, opts client.StartWorkflowOptions, wf any, in any) client.WorkflowRun {
	t.Helper()
	opts.TaskQueue = s.queue
	run, err := s.tc.ExecuteWorkflow(context.Background(), opts, wf, in)
	require.NoError(t, err)
	return run
}

// query asks the workflow id's state query, and decodes the answer into state.
func (s *devServer) query(t *testing.T, id string, state any) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	v, err := s.tc.QueryWorkflow(ctx, id, "", workflows.StateQuery)
	require.NoError(t, err)
	require.NoError(t, v.Get(state))
}

// run starts a workflow with opts on the worker's task queue and waits for its result.
func (s *devServer) run(t *testing.T, opts client.StartWorkflowOptions, wf any, in any, result any) error {
	t.Helper()
	return s.wait(t, s.start(t, opts, wf, in), result)
}

// wait waits for the workflow's result, and records its history when asked to.
func (s *devServer) wait(t *testing.T, run client.WorkflowRun, result any) error {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	err := run.Get(ctx, result)
	record(t, s.tc, run.GetID())
	return err
}

// record writes the history of the workflow id to $BANK_RECORD_HISTORIES/<id>.json, when set: the
// way to keep histories of today's code for the replay tests (testdata/).
func record(t *testing.T, tc client.Client, id string) {
	t.Helper()
	dir := os.Getenv("BANK_RECORD_HISTORIES")
	if dir == "" {
		return
	}
	var h historypb.History
	events := tc.GetWorkflowHistory(context.Background(), id, "", false, 0)
	for events.HasNext() {
		e, err := events.Next()
		require.NoError(t, err)
		h.Events = append(h.Events, e)
	}
	raw, err := protojson.Marshal(&h)
	require.NoError(t, err)
	name := strings.NewReplacer("/", "_").Replace(id) + ".json"
	require.NoError(t, os.WriteFile(filepath.Join(dir, name), raw, 0o644))
}

// standIns answer for the activities, each as its test says (a nil field: success with nothing
// to report). Their methods bear the real activities' names and signatures.
type standIns struct {
	post        func(activities.TransferRef) error
	createUser  func(activities.RegistrationRef) (activities.CreateUserResult, error)
	openAccount func(activities.OpenAccountInput) (activities.OpenAccountResult, error)
	applyFreeze func(activities.FreezeRef) (activities.FreezeState, error)
}

func (s *standIns) ValidateTransfer(context.Context, activities.TransferRef) error { return nil }
func (s *standIns) PlaceHold(context.Context, activities.TransferRef) error        { return nil }
func (s *standIns) VoidHold(context.Context, activities.TransferRef) error         { return nil }
func (s *standIns) RecordTransferOutcome(context.Context, activities.TransferRef) error {
	return nil
}

func (s *standIns) PostTransfer(_ context.Context, ref activities.TransferRef) error {
	if s.post != nil {
		return s.post(ref)
	}
	return nil
}

// FailTransfer ends the transfer compensated: every stand-in transfer that fails had its hold
// placed.
func (s *standIns) FailTransfer(context.Context, activities.FailTransferInput) (activities.FailTransferResult, error) {
	return activities.FailTransferResult{Status: domain.TransferCompensated}, nil
}

func (s *standIns) CreateUser(_ context.Context, ref activities.RegistrationRef) (activities.CreateUserResult, error) {
	if s.createUser != nil {
		return s.createUser(ref)
	}
	return activities.CreateUserResult{UserID: uuid.NewString()}, nil
}

func (s *standIns) OpenAccount(_ context.Context, in activities.OpenAccountInput) (activities.OpenAccountResult, error) {
	if s.openAccount != nil {
		return s.openAccount(in)
	}
	return activities.OpenAccountResult{AccountID: uuid.NewString(), Number: "400000000006"}, nil
}

func (s *standIns) RecordRegistration(context.Context, activities.RecordRegistrationInput) error {
	return nil
}
func (s *standIns) CompleteRegistration(context.Context, activities.RegistrationRef) error {
	return nil
}
func (s *standIns) AbandonRegistration(context.Context, activities.AbandonRegistrationInput) error {
	return nil
}

func (s *standIns) ApplyFreeze(_ context.Context, ref activities.FreezeRef) (activities.FreezeState, error) {
	if s.applyFreeze != nil {
		return s.applyFreeze(ref)
	}
	now := time.Now()
	return activities.FreezeState{Status: domain.FreezeActive, FrozenAt: &now}, nil
}

func (s *standIns) StopTransfersInFlight(context.Context, activities.FreezeRef) (activities.StoppedTransfers, error) {
	return activities.StoppedTransfers{}, nil
}
func (s *standIns) RecordFreezeEvent(context.Context, activities.FreezeEventInput) error { return nil }
func (s *standIns) EndDueFreeze(context.Context, activities.FreezeRef) (activities.FreezeState, error) {
	now := time.Now()
	return activities.FreezeState{Status: domain.FreezeEnded, EndedAt: &now}, nil
}
func (s *standIns) LiftFreeze(_ context.Context, in activities.LiftFreezeInput) (activities.FreezeState, error) {
	return activities.FreezeState{Status: domain.FreezeFailed, FailureCode: in.Code}, nil
}

// A transfer refused at its posting, after its hold, is compensated, and the README's operator
// search for an account's compensated transfers of the day finds it, and not the account's
// transfer that completed. Its summary is what the web UI's list shows; closed, it still answers
// its state query.
func testTransferCompensated(t *testing.T, tc client.Client) {
	today := time.Now().UTC().Format(time.DateOnly)
	in, completed := sampleTransfer(), sampleTransfer()
	completed.FromAccountID = in.FromAccountID
	acts := &standIns{post: func(ref activities.TransferRef) error {
		if ref.TransferID != in.TransferID {
			return nil
		}
		return temporal.NewNonRetryableApplicationError(domain.CodeAccountFrozen.Message(), string(domain.CodeAccountFrozen), nil)
	}}
	s := newWorker(t, tc, acts)
	var res workflows.TransferResult
	require.NoError(t, s.run(t, workflows.TransferStartOptions(in, s.queue), workflows.Transfer, in, &res))
	require.Equal(t, domain.TransferCompensated, res.Status)
	require.Equal(t, domain.CodeAccountFrozen, res.FailureCode)
	require.NoError(t, s.run(t, workflows.TransferStartOptions(completed, s.queue), workflows.Transfer, completed, &res))
	require.Equal(t, domain.TransferCompleted, res.Status)

	id, other := workflows.TransferWorkflowID(in.TransferID), workflows.TransferWorkflowID(completed.TransferID)
	waitClosed(t, tc, id, other)
	requireFinds(t, tc, readmeSearch(t, "the compensated transfers of an account today",
		"<account id>", in.FromAccountID, "<today>", today), id)
	requireFinds(t, tc, readmeSearch(t, "the transfers refused for a reason today",
		"<code>", string(domain.CodeAccountFrozen), "<today>", today), id)

	// Its summary, as the web UI's list shows it, and its details.
	desc, err := tc.DescribeWorkflow(context.Background(), id, "")
	require.NoError(t, err)
	summary, err := desc.GetStaticSummary()
	require.NoError(t, err)
	require.Equal(t, "Transfer 12.50 EUR from …1234 to …5678", summary)
	details, err := desc.GetStaticDetails()
	require.NoError(t, err)
	require.Contains(t, details, "state query")

	// Closed, it answers its query with how it ended (a worker replays its history to answer).
	var st workflows.TransferState
	s.query(t, id, &st)
	require.Equal(t, workflows.TransferState{TransferID: in.TransferID, Kind: domain.KindTransfer, Status: domain.TransferCompensated,
		Step: domain.StepVoidHold, FailureCode: domain.CodeAccountFrozen, Recorded: true}, st)
}

// A registration whose account cannot be opened fails for good: abandoned, and failed for an
// operator. The README's search for the week's failed registrations finds it, and neither the one
// that completed nor the one whose email was taken.
func testRegistrationFailed(t *testing.T, tc client.Client) {
	now := time.Now().UTC()
	monday := now.AddDate(0, 0, -(int(now.Weekday())+6)%7).Format(time.DateOnly)
	taken := workflows.RegisterInput{RegistrationID: uuid.NewString(), Currency: "EUR"}
	acts := &standIns{
		// The account of a JPY registration cannot be opened.
		openAccount: func(in activities.OpenAccountInput) (activities.OpenAccountResult, error) {
			if in.Currency == "JPY" {
				return activities.OpenAccountResult{}, temporal.NewNonRetryableApplicationError("no such currency", string(domain.CodeInternal), nil)
			}
			return activities.OpenAccountResult{AccountID: uuid.NewString(), Number: "400000000006"}, nil
		},
		createUser: func(ref activities.RegistrationRef) (activities.CreateUserResult, error) {
			if ref.RegistrationID == taken.RegistrationID {
				return activities.CreateUserResult{}, temporal.NewNonRetryableApplicationError("a user has the registration's email", activities.ErrTypeEmailTaken, nil)
			}
			return activities.CreateUserResult{UserID: uuid.NewString()}, nil
		},
	}
	s := newWorker(t, tc, acts)
	failed := workflows.RegisterInput{RegistrationID: uuid.NewString(), Currency: "JPY"}
	err := s.run(t, workflows.RegisterStartOptions(failed, s.queue), workflows.Register, failed, nil)
	var appErr *temporal.ApplicationError
	require.ErrorAs(t, err, &appErr)
	require.Equal(t, string(domain.CodeInternal), appErr.Type())
	completed := workflows.RegisterInput{RegistrationID: uuid.NewString(), Currency: "USD"}
	var res workflows.RegisterResult
	require.NoError(t, s.run(t, workflows.RegisterStartOptions(completed, s.queue), workflows.Register, completed, &res))
	require.Equal(t, workflows.Registered(), res)
	require.NoError(t, s.run(t, workflows.RegisterStartOptions(taken, s.queue), workflows.Register, taken, &res))
	require.Equal(t, workflows.Registered(), res, "a taken email completes as any registration")

	id := workflows.RegisterWorkflowID(failed.RegistrationID)
	waitClosed(t, tc, id, workflows.RegisterWorkflowID(completed.RegistrationID), workflows.RegisterWorkflowID(taken.RegistrationID))
	requireFinds(t, tc, readmeSearch(t, "the failed registrations of this week", "<monday>", monday), id)
}

// sampleTransfer is a transfer of 12.50 EUR between two accounts with made-up ids and numbers.
func sampleTransfer() workflows.TransferInput {
	return workflows.TransferInput{
		TransferID: uuid.NewString(), Kind: domain.KindTransfer,
		FromAccountID: uuid.NewString(), ToAccountID: uuid.NewString(),
		FromAccountNumber: "400000001234", ToAccountNumber: "400000005678",
		UserIDs: []string{uuid.NewString(), uuid.NewString()}, Amount: 1250, Currency: "EUR", Exponent: 2,
	}
}

// A transfer whose posting keeps failing (PostgreSQL down) answers its state query between the
// attempts: once its backoff outgrows a workflow task's timeout, the workflow waits on a timer, and
// the query is answered at once. (While an attempt runs, the answer waits for it to end.)
func testTransferStateMidFlight(t *testing.T, tc client.Client) {
	acts := &standIns{post: func(activities.TransferRef) error { return errors.New("connection refused") }}
	s := newWorker(t, tc, acts)
	in := sampleTransfer()
	run := s.start(t, workflows.TransferStartOptions(in, s.queue), workflows.Transfer, in)
	var st workflows.TransferState
	require.Eventually(t, func() bool {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		v, err := tc.QueryWorkflow(ctx, run.GetID(), "", workflows.StateQuery)
		return err == nil && v.Get(&st) == nil
	}, time.Minute, 100*time.Millisecond, "the retrying transfer answers its query")
	require.Equal(t, workflows.TransferState{TransferID: in.TransferID, Kind: domain.KindTransfer,
		Status: domain.TransferPending, Step: domain.StepPost}, st)
	// The next attempt, the database back, would come some 13 s later: not worth the wait here.
	require.NoError(t, tc.TerminateWorkflow(context.Background(), run.GetID(), "", "test over"))
}

// A freeze in force answers its state query with its status and end while it waits; an admin's
// unfreeze ends it.
func testFreezeStateWhileItStands(t *testing.T, tc client.Client) {
	s := newWorker(t, tc, &standIns{})
	until := time.Now().Add(time.Hour).UTC().Truncate(time.Second)
	in := workflows.FreezeInput{
		FreezeID: uuid.NewString(), AccountID: uuid.NewString(), AccountNumber: "400000001234", Seq: 1,
		UserIDs: []string{uuid.NewString(), uuid.NewString()}, Reason: domain.FreezeLegalOrder, Scope: domain.FreezeDebit,
		Until: &until,
	}
	run := s.start(t, workflows.FreezeStartOptions(in, s.queue), workflows.Freeze, in)
	var st workflows.FreezeState
	require.Eventually(t, func() bool {
		s.query(t, run.GetID(), &st)
		return st.Status == domain.FreezeActive
	}, 30*time.Second, 100*time.Millisecond, "the freeze comes into force")
	require.Equal(t, in.FreezeID, st.FreezeID)
	require.Equal(t, domain.FreezeLegalOrder, st.Reason)
	require.Equal(t, domain.FreezeDebit, st.Scope)
	require.NotNil(t, st.Until)
	require.True(t, until.Equal(*st.Until), "the query answers the freeze's end: %v", st.Until)
	require.NotNil(t, st.FrozenAt)

	// The README's search for the open freezes finds it while it stands, and no longer once ended.
	open := readmeSearch(t, "the open freezes")
	require.Eventually(t, func() bool { return slices.Equal(list(t, tc, open), []string{run.GetID()}) },
		30*time.Second, 100*time.Millisecond, "%s finds the freeze in force", open)

	require.NoError(t, tc.SignalWorkflow(context.Background(), run.GetID(), "", workflows.FreezeEndedSignal, workflows.FreezeEnded{EndedBy: uuid.NewString()}))
	require.NoError(t, s.wait(t, run, &st))
	require.Equal(t, domain.FreezeEnded, st.Status)
	waitClosed(t, tc, run.GetID())
	requireFinds(t, tc, open)
}

// readmeSearch is the README's operator search for what: the query in its row of the table under
// "### Operator searches", with each placeholder of replace (pairs: "<account id>", id) filled in.
func readmeSearch(t *testing.T, what string, replace ...string) string {
	t.Helper()
	readme, err := os.ReadFile(filepath.Join(testenv.RepoRoot(t), "README.md"))
	require.NoError(t, err)
	_, section, ok := strings.Cut(string(readme), "\n### Operator searches\n")
	require.True(t, ok, "the README has no operator searches")
	if end := strings.Index(section, "\n#"); end >= 0 {
		section = section[:end]
	}
	for _, line := range strings.Split(section, "\n") {
		cells := strings.Split(line, "|")
		if len(cells) == 4 && strings.TrimSpace(cells[1]) == what {
			query := strings.Trim(strings.TrimSpace(cells[2]), "`")
			query = strings.NewReplacer(replace...).Replace(query)
			require.NotContains(t, query, "<", "a placeholder of %q is left", query)
			return query
		}
	}
	t.Fatalf("the README's operator searches have no row %q", what)
	return ""
}

// list returns the ids of the workflows query finds, sorted.
func list(t *testing.T, tc client.Client, query string) []string {
	t.Helper()
	resp, err := tc.ListWorkflow(context.Background(), &workflowservice.ListWorkflowExecutionsRequest{Query: query})
	require.NoError(t, err, query)
	var ids []string
	for _, e := range resp.GetExecutions() {
		ids = append(ids, e.GetExecution().GetWorkflowId())
	}
	slices.Sort(ids)
	return ids
}

// waitClosed waits until the visibility store has the workflows ids closed, with the search
// attributes they ended with.
func waitClosed(t *testing.T, tc client.Client, ids ...string) {
	t.Helper()
	query := `ExecutionStatus != "Running" AND WorkflowId IN ("` + strings.Join(ids, `", "`) + `")`
	require.Eventually(t, func() bool { return len(list(t, tc, query)) == len(ids) },
		30*time.Second, 100*time.Millisecond, "%v closed in the visibility store", ids)
}

// requireFinds checks that query finds exactly the workflows want.
func requireFinds(t *testing.T, tc client.Client, query string, want ...string) {
	t.Helper()
	slices.Sort(want)
	require.Equal(t, want, list(t, tc, query), query)
}
