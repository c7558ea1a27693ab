package workflows_test

import (
	"encoding/base64"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	tlog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/bankforge/bank/workflows"
)

// Histories recorded from real runs replay against today's code: a change that would break running
// workflows (non-determinism) fails here. The end-to-end tests write the history of every workflow
// they ran with `BANK_RECORD_HISTORIES=dir go test ./e2e/`; copy the ones to keep into testdata/.
func TestReplay_StoredHistories(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob("testdata/*.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("no stored histories: %v", err)
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			t.Parallel()
			r := worker.NewWorkflowReplayer()
			r.RegisterWorkflow(workflows.Register)
			r.RegisterWorkflow(workflows.Transfer)
			r.RegisterWorkflow(workflows.Maintenance)
			r.RegisterWorkflow(workflows.DeliverEmails)
			r.RegisterWorkflow(workflows.CashApproval)
			r.RegisterWorkflow(workflows.Freeze)
			if err := r.ReplayWorkflowHistoryFromJSONFile(nil, f); err != nil {
				t.Fatalf("replay: %v", err)
			}
		})
	}
}

// The version guard of Register's end tag is what lets registrations started by the previous release
// replay: without it, every history recorded before the tag existed (a registration completed, one
// whose email was taken, one that failed) is non-deterministic against today's code. The guard's
// replay is TestReplay_StoredHistories; this is its negative control.
func TestReplay_RegistrationTagNeedsItsVersionGuard(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob("testdata/register_*.json")
	if err != nil {
		t.Fatal(err)
	}
	// Histories recorded before the tag existed: Register's only version marker is the tag's.
	var before []string
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(raw), `"markerName":"Version"`) {
			before = append(before, f)
		}
	}
	if len(before) < 3 {
		t.Fatalf("%d registration histories recorded before the tag; want the completed, email-taken and failed ones", len(before))
	}
	for _, f := range before {
		t.Run(filepath.Base(f), func(t *testing.T) {
			t.Parallel()
			r := worker.NewWorkflowReplayer()
			r.RegisterWorkflowWithOptions(workflows.RegisterWithoutVersionGuard, workflow.RegisterOptions{Name: "Register"})
			err := r.ReplayWorkflowHistoryFromJSONFile(tlog.NewStructuredLogger(slog.New(slog.DiscardHandler)), f)
			if err == nil || !strings.Contains(err.Error(), "nondeterministic") {
				t.Fatalf("replayed without the version guard: %v; want a non-determinism error", err)
			}
		})
	}
}

var dataField = regexp.MustCompile(`"data":\s*"`)

// No stored workflow history carries a password or its hash. (The end-to-end tests check the
// histories of every workflow they ran the same way.)
func TestReplay_HistoriesCarryNoSecrets(t *testing.T) {
	t.Parallel()
	files, _ := filepath.Glob("testdata/*.json")
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		text := strings.ToLower(string(raw))
		for _, field := range dataField.Split(string(raw), -1)[1:] {
			if b, err := base64.StdEncoding.DecodeString(field[:strings.Index(field, "\"")]); err == nil {
				text += strings.ToLower(string(b))
			}
		}
		for _, secret := range []string{"argon2", "password", "giraffe", "refresh_token"} {
			if strings.Contains(text, secret) {
				t.Errorf("%s carries %q", f, secret)
			}
		}
	}
}
