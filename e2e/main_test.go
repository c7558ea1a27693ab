// Package e2e tests the bank as its users meet it: through the REST API of the real api and worker
// processes, a real Temporal dev server, a MongoDB wire-protocol server and PostgreSQL.
package e2e

import (
	"context"
	"flag"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/bankforge/bank/audit"
	"github.com/bankforge/bank/dev/testenv"
)

// sys is the running system shared by the tests of this package.
var sys *testenv.System

// startErr is why the system could not start; the run then reports TestSystem_Unavailable as
// skipped and runs nothing else.
var startErr error

// secrets are the passwords the tests used; no workflow history may carry one.
var secrets = struct {
	sync.Mutex
	list []string
}{list: []string{"$argon2", "password_hash", "refresh_token"}}

func addSecret(s string) {
	secrets.Lock()
	defer secrets.Unlock()
	secrets.list = append(secrets.list, s)
}

func TestMain(m *testing.M) {
	flag.Parse()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	s, stop, err := testenv.StartSystem(ctx)
	cancel()
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		if os.Getenv("CI") == "true" {
			os.Exit(1)
		}
		startErr = err
		_ = flag.Set("test.run", "^TestSystem_Unavailable$")
		os.Exit(m.Run())
	}
	sys = s
	code := m.Run()
	if code == 0 {
		hctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		if err := checkHistories(hctx, s.Temporal, s.Codec, append(secrets.list, s.AdminPass)); err != nil {
			fmt.Fprintln(os.Stderr, "FAIL: workflow histories:", err)
			code = 1
		}
		if err := checkAuditChain(hctx, s.Stack.MongoURI); err != nil {
			fmt.Fprintln(os.Stderr, "FAIL: audit log:", err)
			code = 1
		}
		cancel()
	}
	if code != 0 {
		fmt.Fprintln(os.Stderr, "--- last process log lines ---\n"+testenv.Tail(s.Logs, 80))
	}
	stop()
	os.Exit(code)
}

// TestSystem_Unavailable stands for the whole suite when the system could not start outside CI:
// the run reports a skip, never a pass.
func TestSystem_Unavailable(t *testing.T) {
	if startErr != nil {
		t.Skipf("the system could not start (set CI=true to fail instead): %v", startErr)
	}
	t.Skip("the system started; the other tests ran")
}

// checkAuditChain verifies the hash chain of the audit log that every test's API and worker
// wrote at once.
func checkAuditChain(ctx context.Context, mongoURI string) error {
	client, err := audit.Connect(ctx, mongoURI)
	if err != nil {
		return err
	}
	defer func() { _ = client.Disconnect(context.WithoutCancel(ctx)) }()
	v, err := audit.NewStore(client.Database("bank")).Verify(ctx)
	if err != nil {
		return err
	}
	if !v.OK {
		return fmt.Errorf("the chain breaks at event %d (%s): %s", v.Break.Seq, v.Break.ID, v.Break.Reason)
	}
	if v.Events == 0 {
		return fmt.Errorf("the audit log is empty; every test run writes to it")
	}
	fmt.Fprintf(os.Stderr, "e2e: the audit log's %d events form one unbroken chain\n", v.Events)
	return nil
}
