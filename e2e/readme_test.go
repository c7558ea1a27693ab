package e2e

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// The README's "Try it" walk-through, run as a newcomer pastes it: every shell block in order, in
// one bash, from a folder whose .dev/admin-credentials holds the admin's login as `make dev` writes
// it. Each step's answer is checked, so the README cannot drift from the product.
func TestReadme_WalkThroughRunsAsWritten(t *testing.T) {
	if _, err := exec.LookPath("jq"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("jq is missing; the README's walk-through needs it")
		}
		t.Skip("jq is missing; the README's walk-through needs it")
	}
	readme, err := os.ReadFile(filepath.Join("..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	script := walkThrough(t, string(readme))

	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, ".dev"), 0o700); err != nil {
		t.Fatal(err)
	}
	creds := sys.AdminEmail + " " + sys.AdminPass + "\n"
	if err := os.WriteFile(filepath.Join(dir, ".dev", "admin-credentials"), []byte(creds), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", "-euo", "pipefail", "-c", script)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "BANK="+sys.API.Base, "MAILPIT="+sys.MailpitURL)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("walk-through failed: %v\nstdout:\n%s\nstderr:\n%s", err, out, stderr.String())
	}
	want := []string{
		`^Ana: \{"status":"completed","result":\{"next":"log_in"\}\}$`,
		`^Ben: \{"status":"completed","result":\{"next":"log_in"\}\}$`,
		`^Again: \{"status":"completed","result":\{"next":"log_in"\}\}$`,
		`^\{"email":"ana-\d+@example\.com","role":"client"\}$`,
		`^Ana: \d{2,19}$`,
		`^Ben: \d{2,19}$`,
		`^completed$`,
		`^\{"status":"completed","steps":\["accept","validate","place_hold","post"\]\}$`,
		`^\{"balance":7450,"available_balance":7450\}$`,
		`^\[\{"amount":2550,"description":"dinner"\}\]$`,
		`^\{"status":"failed","failure_code":"insufficient_funds"\}$`,
		`^\{"kinds":\["transfer_received","welcome"\],"unread_count":2\}$`,
		`^1$`,
		`^\["transfer_received"\]$`,
		`^notification_email_required$`,
		`^\{"role":"client","accounts":1\}$`,
		`^freeze$`,
		`^\{"status":"frozen","freeze_reason":"suspected_fraud"\}$`,
		`^409$`,
		`^ended$`,
		`^support$`,
		`^200$`,
		`^disabled$`,
		`^401$`,
		`^pending$`,
		`^204$`,
		`^support$`,
		`^\[.*"account.frozen".*"account.unfrozen".*"staff.read".*"user.disabled".*"user.role_changed".*"user.staff_created".*\]$`,
		`^true$`,
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(lines) != len(want) {
		t.Fatalf("walk-through printed %d lines; want %d:\n%s", len(lines), len(want), out)
	}
	for i, pattern := range want {
		if !regexp.MustCompile(pattern).MatchString(lines[i]) {
			t.Errorf("step %d printed %q; want %s", i+1, lines[i], pattern)
		}
	}
}

// walkThrough returns the shell blocks of the README's "Try it" section, joined in order.
func walkThrough(t *testing.T, readme string) string {
	t.Helper()
	_, section, ok := strings.Cut(readme, "### Try it\n")
	if !ok {
		t.Fatal(`the README has no "### Try it" section`)
	}
	if end := strings.Index(section, "\n## "); end >= 0 {
		section = section[:end]
	}
	var blocks []string
	for _, m := range regexp.MustCompile("(?s)```sh\n(.*?)```").FindAllStringSubmatch(section, -1) {
		blocks = append(blocks, m[1])
	}
	if len(blocks) == 0 {
		t.Fatal("the walk-through has no shell blocks")
	}
	return strings.Join(blocks, "\n")
}
