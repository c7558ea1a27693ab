package workflows_test

import (
	"encoding/base64"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"go.temporal.io/sdk/worker"

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
