package workflows_test

import (
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.temporal.io/sdk/worker"

	"github.com/bankforge/bank/workflows"
)

// Histories recorded from real runs replay against today's code: a change that would break running
// workflows (non-determinism) fails here. Record a new history with
// `bin/temporal workflow show -w <workflow id> -o json > workflows/testdata/<name>.json`.
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
			if err := r.ReplayWorkflowHistoryFromJSONFile(nil, f); err != nil {
				t.Fatalf("replay: %v", err)
			}
		})
	}
}

// No workflow history carries a password or its hash.
func TestReplay_HistoriesCarryNoSecrets(t *testing.T) {
	t.Parallel()
	files, _ := filepath.Glob("testdata/*.json")
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		text := strings.ToLower(string(raw))
		for _, field := range strings.Split(string(raw), "\"data\": \"")[1:] {
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
