package e2e

import (
	"context"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/bankforge/bank/dev/testenv"
)

// TestBrowser runs the web app's browser tests (web/e2e, Node's test runner driving Chromium
// through playwright-core) against this system: the API serves the built app (web/dist) as it does
// in production, and the Temporal dev server its web UI, which decodes through the API's codec.
// Without Chromium, Node or a built app the test skips, and fails under CI.
func TestBrowser(t *testing.T) {
	root := testenv.RepoRoot(t)
	web := filepath.Join(root, "web")
	chromium := os.Getenv("CHROMIUM")
	if chromium == "" {
		chromium = "/usr/bin/chromium"
	}
	if _, err := os.Stat(chromium); err != nil {
		testenv.Unavailable(t, "Chromium is not installed at %s (apt-get install chromium): %v", chromium, err)
	}
	node, err := exec.LookPath("node")
	if err != nil {
		testenv.Unavailable(t, "Node.js is not installed: %v", err)
	}
	for _, need := range []string{"dist/index.html", "node_modules/playwright-core"} {
		if _, err := os.Stat(filepath.Join(web, need)); err != nil {
			testenv.Unavailable(t, "web/%s is missing: run `make web` (npm ci and vite build): %v", need, err)
		}
	}
	supportEmail, supportLink := inviteStaff(t, "support")
	supportPass := "staff-Passphrase-" + uuid.NewString()[:8]
	addSecret(supportPass)

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	shots := os.Getenv("SCREENSHOT_DIR")
	if shots == "" {
		shots = filepath.Join(web, "test-results", "screenshots")
	}
	cmd := exec.CommandContext(ctx, node, "--test", "--test-concurrency=1", "--test-reporter=spec", "e2e/")
	cmd.Dir = web
	cmd.Env = append(os.Environ(),
		"BASE_URL="+sys.Stack.APIURL, "CHROMIUM="+chromium, "SCREENSHOT_DIR="+shots,
		"ADMIN_EMAIL="+sys.AdminEmail, "ADMIN_PASSWORD="+sys.AdminPass,
		"SUPPORT_EMAIL="+supportEmail, "SUPPORT_PASSWORD="+supportPass, "SUPPORT_INVITATION="+supportLink,
		"MAILPIT_URL="+sys.MailpitURL,
		// The Temporal web UI of the dev server, and the codec it calls from the browser.
		"TEMPORAL_UI_URL="+sys.Stack.UIURL, "CODEC_URL="+sys.Stack.CodecURL,
	)
	out, err := cmd.CombinedOutput()
	t.Logf("browser tests:\n%s", out)
	if err != nil {
		t.Fatalf("browser tests failed: %v", err)
	}
}

// inviteStaff has the admin invite a staff member of role, and returns their email and the
// password link of the invitation the email carries (the browser tests follow it).
func inviteStaff(t *testing.T, role string) (email, link string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	tok, err := sys.API.Login(ctx, sys.AdminEmail, sys.AdminPass)
	if err != nil {
		t.Fatal(err)
	}
	email = role + "-" + uuid.NewString()[:8] + "@bank.example"
	body := map[string]any{"email": email, "full_name": "Sofía Soporte", "role": role}
	if _, err := sys.API.As(tok.AccessToken).JSON(ctx, http.MethodPost, "/v1/admin/users", body, nil, nil); err != nil {
		t.Fatalf("invite %s: %v", role, err)
	}
	linkRE := regexp.MustCompile(`https?://[^\s"<>]*/set-password#token=([A-Za-z0-9_-]+)`)
	var token string
	deadline := time.Now().Add(45 * time.Second)
	for token == "" && time.Now().Before(deadline) {
		var found struct{ Messages []struct{ ID string } }
		mailpitGet(t, "/api/v1/search?query=to:"+email, &found)
		for _, m := range found.Messages {
			var full mailpitMessage
			mailpitGet(t, "/api/v1/message/"+m.ID, &full)
			if mm := linkRE.FindStringSubmatch(full.Text); mm != nil {
				link, token = mm[0], mm[1]
			}
		}
		time.Sleep(250 * time.Millisecond)
	}
	if token == "" {
		t.Fatalf("no invitation with a password link reached %s", email)
	}
	addSecret(token)
	return strings.ToLower(email), link
}
