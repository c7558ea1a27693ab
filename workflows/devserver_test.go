package workflows_test

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"
	historypb "go.temporal.io/api/history/v1"
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

// devServer is the bank's workflows on a real Temporal dev server (testenv.Temporal, with the
// bank's search attributes registered), run by a worker whose activities are stand-ins:
// what Temporal stores, indexes and answers is real, what the activities would do in PostgreSQL is
// what each test makes its stand-ins answer.
type devServer struct {
	tc    client.Client
	queue string
}

func newDevServer(t *testing.T, acts *standIns) *devServer {
	t.Helper()
	s := &devServer{tc: dialDevServer(t), queue: "bank-test-" + uuid.NewString()[:8]}
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

// dialDevServer starts a dev server for t and returns a client of it.
func dialDevServer(t *testing.T) client.Client {
	t.Helper()
	tc, err := client.Dial(client.Options{HostPort: testenv.Temporal(t), Logger: tlog.NewStructuredLogger(slog.New(slog.DiscardHandler))})
	require.NoError(t, err)
	t.Cleanup(tc.Close)
	return tc
}

// run starts a workflow with opts on the test's task queue and waits for its result.
func (s *devServer) run(t *testing.T, opts client.StartWorkflowOptions, wf any, in any, result any) error {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	opts.TaskQueue = s.queue
	run, err := s.tc.ExecuteWorkflow(ctx, opts, wf, in)
	require.NoError(t, err)
	err = run.Get(ctx, result)
	record(t, s.tc, opts.ID)
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

func (s *standIns) CreateUser(context.Context, activities.RegistrationRef) (activities.CreateUserResult, error) {
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

// A transfer refused at its posting, after its hold: compensated, which the workflow completes with.
func TestDevServer_TransferCompensated(t *testing.T) {
	t.Parallel()
	acts := &standIns{post: func(activities.TransferRef) error {
		return temporal.NewNonRetryableApplicationError(domain.CodeAccountFrozen.Message(), string(domain.CodeAccountFrozen), nil)
	}}
	s := newDevServer(t, acts)
	in := sampleTransfer()
	var res workflows.TransferResult
	require.NoError(t, s.run(t, workflows.TransferStartOptions(in, s.queue), workflows.Transfer, in, &res))
	require.Equal(t, domain.TransferCompensated, res.Status)
	require.Equal(t, domain.CodeAccountFrozen, res.FailureCode)
}

// A registration whose account cannot be opened fails for good: abandoned, and failed for an
// operator.
func TestDevServer_RegistrationFailed(t *testing.T) {
	t.Parallel()
	acts := &standIns{openAccount: func(activities.OpenAccountInput) (activities.OpenAccountResult, error) {
		return activities.OpenAccountResult{}, temporal.NewNonRetryableApplicationError("no such currency", string(domain.CodeInternal), nil)
	}}
	s := newDevServer(t, acts)
	opID := uuid.NewString()
	err := s.run(t, workflows.RegisterStartOptions(opID, s.queue), workflows.Register,
		workflows.RegisterInput{RegistrationID: opID, Currency: "EUR"}, nil)
	var appErr *temporal.ApplicationError
	require.ErrorAs(t, err, &appErr)
	require.Equal(t, string(domain.CodeInternal), appErr.Type())
}

// sampleTransfer is a transfer of 12.50 EUR between two accounts with made-up ids and numbers.
func sampleTransfer() workflows.TransferInput {
	return workflows.TransferInput{
		TransferID: uuid.NewString(), Kind: domain.KindTransfer,
		FromAccountID: uuid.NewString(), ToAccountID: uuid.NewString(),
		FromAccountNumber: "400000001234", ToAccountNumber: "400000005678",
		UserIDs: []string{uuid.NewString(), uuid.NewString()}, Amount: 1250, Currency: "EUR",
	}
}
