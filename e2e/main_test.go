// Package e2e tests the bank as its users meet it: through the REST API of the real api and worker
// processes, a real Temporal dev server, a MongoDB wire-protocol server and PostgreSQL.
package e2e

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/bankforge/bank/db"
	"github.com/bankforge/bank/internal/bankclient"
	"github.com/bankforge/bank/internal/bootstrap"
	"github.com/bankforge/bank/internal/password"
	"github.com/bankforge/bank/internal/stack"
	"github.com/bankforge/bank/internal/testenv"
)

// env is the running system shared by the tests of this package.
type env struct {
	api         *bankclient.Client
	store       *db.Store
	temporal    client.Client
	stack       *stack.Stack
	adminEmail  string
	adminPass   string
	databaseURL string
}

var sys *env

func TestMain(m *testing.M) {
	code, err := run(m)
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		if os.Getenv("CI") == "true" {
			os.Exit(1)
		}
		fmt.Fprintln(os.Stderr, "e2e: skipped (set CI=true to fail instead)")
		os.Exit(0)
	}
	os.Exit(code)
}

func run(m *testing.M) (int, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	root, err := repoRoot()
	if err != nil {
		return 0, err
	}
	work, err := os.MkdirTemp("", "bank-e2e-")
	if err != nil {
		return 0, err
	}
	defer os.RemoveAll(work)
	bin := filepath.Join(work, "bin")
	for _, tool := range []string{"temporal", "mongowire"} {
		src := filepath.Join(root, "bin", tool)
		if _, err := os.Stat(src); err != nil {
			return 0, fmt.Errorf("%s is not installed; run `make tools`", src)
		}
		if err := os.MkdirAll(bin, 0o755); err != nil {
			return 0, err
		}
		if err := os.Symlink(src, filepath.Join(bin, tool)); err != nil {
			return 0, err
		}
	}
	for name, pkg := range map[string]string{"api": "./cmd/api", "worker": "./worker"} {
		cmd := exec.CommandContext(ctx, "go", "build", "-race", "-o", filepath.Join(bin, name), pkg)
		cmd.Dir = root
		if out, err := cmd.CombinedOutput(); err != nil {
			return 0, fmt.Errorf("build %s: %v\n%s", name, err, out)
		}
	}

	databaseURL, drop, err := testenv.CreateDatabase(ctx)
	if err != nil {
		return 0, err
	}
	defer drop()
	pool, err := db.Connect(ctx, databaseURL, 10)
	if err != nil {
		return 0, err
	}
	defer pool.Close()
	store := db.NewStore(pool)
	adminEmail, adminPass := "root@e2e.test", "staff-Passphrase-e2e-1"
	if _, err := bootstrap.EnsureAdmin(ctx, store, password.NewHasher(password.DefaultParams), adminEmail, adminPass); err != nil {
		return 0, err
	}

	ports := make([]int, 3)
	for i := range ports {
		if ports[i], err = stack.FreePort(); err != nil {
			return 0, err
		}
	}
	logs, err := os.Create(filepath.Join(work, "processes.log"))
	if err != nil {
		return 0, err
	}
	defer logs.Close()
	s, err := stack.Start(ctx, stack.Options{
		Dir: filepath.Join(work, "state"), Bin: bin, DatabaseURL: databaseURL,
		TemporalPort: ports[0], MongoPort: ports[1], APIPort: ports[2], TemporalInMemory: true,
		Env: []string{
			"JWT_SECRET=e2e-secret-e2e-secret-e2e-secret-e2e-secret",
			"AUTH_RATE_LIMIT_PER_MINUTE=100000",
			"WORKER_HEALTH_ADDR=127.0.0.1:0",
			"TRANSFER_MAX_AMOUNT=1000000",
			"SWEEP_INTERVAL=1s",
		},
		Output: logs,
	})
	if err != nil {
		dumpLogs(logs.Name())
		return 0, err
	}
	defer s.Stop()
	tc, err := client.Dial(client.Options{HostPort: s.TemporalAddress, Logger: quiet{}})
	if err != nil {
		return 0, err
	}
	defer tc.Close()

	sys = &env{api: bankclient.New(s.APIURL), store: store, temporal: tc, stack: s,
		adminEmail: adminEmail, adminPass: adminPass, databaseURL: databaseURL}
	code := m.Run()
	if code != 0 {
		dumpLogs(logs.Name())
	}
	return code, nil
}

func dumpLogs(path string) {
	b, err := os.ReadFile(path)
	if err != nil {
		return
	}
	lines := strings.Split(string(b), "\n")
	if len(lines) > 80 {
		lines = lines[len(lines)-80:]
	}
	fmt.Fprintln(os.Stderr, "--- last process log lines ---\n"+strings.Join(lines, "\n"))
}

func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("go.mod not found")
		}
		dir = parent
	}
}

type quiet struct{}

func (quiet) Debug(string, ...any) {}
func (quiet) Info(string, ...any)  {}
func (quiet) Warn(string, ...any)  {}
func (quiet) Error(string, ...any) {}
