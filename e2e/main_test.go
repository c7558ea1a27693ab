// Package e2e tests the bank as its users meet it: through the REST API of the real api and worker
// processes, a real Temporal dev server, a MongoDB wire-protocol server and PostgreSQL.
package e2e

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/bankforge/bank/dev/testenv"
)

// sys is the running system shared by the tests of this package.
var sys *testenv.System

func TestMain(m *testing.M) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	s, stop, err := testenv.StartSystem(ctx)
	cancel()
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		if os.Getenv("CI") == "true" {
			os.Exit(1)
		}
		fmt.Fprintln(os.Stderr, "e2e: skipped (set CI=true to fail instead)")
		os.Exit(0)
	}
	sys = s
	code := m.Run()
	if code != 0 {
		fmt.Fprintln(os.Stderr, "--- last process log lines ---\n"+testenv.Tail(s.Logs, 80))
	}
	stop()
	os.Exit(code)
}
