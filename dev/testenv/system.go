package testenv

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"go.temporal.io/sdk/client"

	"github.com/bankforge/bank/api"
	"github.com/bankforge/bank/db"
	"github.com/bankforge/bank/dev/bankclient"
	"github.com/bankforge/bank/dev/stack"
	"github.com/bankforge/bank/internal/bootstrap"
	"github.com/bankforge/bank/internal/password"
	"github.com/bankforge/bank/internal/payloadcodec"
)

// System is the whole bank running as separate processes for end-to-end tests: the api and worker
// binaries built with -race, a Temporal dev server, a Mongo wire server, a Mailpit SMTP server the
// worker sends every email to, and a fresh database.
type System struct {
	API   *bankclient.Client
	Store *db.Store
	// Temporal reads and writes payloads through Codec, as the api and the worker do.
	Temporal client.Client
	// Codec holds the payload key the api and the worker encrypt with.
	Codec      *payloadcodec.Codec
	Stack      *stack.Stack
	AdminEmail string
	AdminPass  string
	// MailpitURL is the REST API of the SMTP server that receives every email.
	MailpitURL string
	// Logs is the file the api's and worker's output goes to.
	Logs string
	// APIMetricsURL and WorkerMetricsURL are the api's and the worker's /metrics.
	APIMetricsURL    string
	WorkerMetricsURL string
}

// RefusedAddress is an address the test system's SMTP server refuses for good (550 5.1.0), as a
// mailbox that does not exist is refused: any address with a '+' in its local part.
func RefusedAddress(local string) string { return "refused+" + local + "@example.com" }

// StartSystem builds and starts the system; env is added to the api's and worker's environment.
// The returned function stops it and removes everything it made.
func StartSystem(ctx context.Context, env ...string) (*System, func(), error) {
	var cleanups []func()
	cleanup := func() {
		for i := len(cleanups) - 1; i >= 0; i-- {
			cleanups[i]()
		}
	}
	fail := func(err error) (*System, func(), error) {
		cleanup()
		return nil, nil, err
	}
	root, err := stack.RepoRoot()
	if err != nil {
		return fail(err)
	}
	work, err := os.MkdirTemp("", "bank-e2e-")
	if err != nil {
		return fail(err)
	}
	cleanups = append(cleanups, func() { _ = os.RemoveAll(work) })
	bin := filepath.Join(work, "bin")
	if err := os.MkdirAll(bin, 0o755); err != nil {
		return fail(err)
	}
	for _, tool := range []string{"temporal", "mongowire", "mailpit"} {
		src := filepath.Join(root, "bin", tool)
		if _, err := os.Stat(src); err != nil {
			return fail(fmt.Errorf("%s is not installed; run `make tools`", src))
		}
		if err := os.Symlink(src, filepath.Join(bin, tool)); err != nil {
			return fail(err)
		}
	}
	for name, pkg := range map[string]string{"api": "./cmd/api", "worker": "./worker"} {
		cmd := exec.CommandContext(ctx, "go", "build", "-race", "-o", filepath.Join(bin, name), pkg)
		cmd.Dir = root
		if out, err := cmd.CombinedOutput(); err != nil {
			return fail(fmt.Errorf("build %s: %v\n%s", name, err, out))
		}
	}

	// The application's role: the api and the worker run with production's database privileges.
	databaseURL, drop, err := CreateDatabase(ctx)
	if err != nil {
		return fail(err)
	}
	cleanups = append(cleanups, drop)
	pool, err := db.Connect(ctx, databaseURL, 10)
	if err != nil {
		return fail(err)
	}
	cleanups = append(cleanups, pool.Close)
	store := db.NewStore(pool)
	adminEmail, adminPass := "root@e2e.test", "staff-Passphrase-e2e-1"
	if _, err := bootstrap.EnsureAdmin(ctx, store, password.NewHasher(password.DefaultParams), adminEmail, adminPass); err != nil {
		return fail(err)
	}

	// Payloads are encrypted as in production, with a key of this run's own.
	payloadKeys, err := payloadcodec.NewKeySetting("e2e")
	if err != nil {
		return fail(err)
	}
	keys, err := payloadcodec.ParseKeys(payloadKeys)
	if err != nil {
		return fail(err)
	}
	codec, err := payloadcodec.New(keys)
	if err != nil {
		return fail(err)
	}

	ports := make([]int, 9)
	for i := range ports {
		if ports[i], err = stack.FreePort(); err != nil {
			return fail(err)
		}
	}
	logs, err := os.Create(filepath.Join(work, "processes.log"))
	if err != nil {
		return fail(err)
	}
	cleanups = append(cleanups, func() { _ = logs.Close() })
	s, err := stack.Start(ctx, stack.Options{
		Dir: filepath.Join(work, "state"), Bin: bin, DatabaseURL: databaseURL,
		TemporalPort: ports[0], MongoPort: ports[1], APIPort: ports[2], TemporalInMemory: true,
		// The dev server's web UI, as under make dev, for the browser tests that read a workflow
		// there through the API's codec.
		UIPort:          ports[8],
		MailpitSMTPPort: ports[4], MailpitHTTPPort: ports[5], MailpitMax: -1,
		APIMetricsAddr: fmt.Sprintf("127.0.0.1:%d", ports[6]), WorkerMetricsAddr: fmt.Sprintf("127.0.0.1:%d", ports[7]),
		// The SMTP server refuses for good (550) every address with a '+' in it: RefusedAddress.
		MailpitFlags: []string{"--smtp-allowed-recipients", `^[^+]+@[^@]+$`},
		Env: append([]string{
			"MAIL_MODE=smtp", "BANK_NAME=Banco de Pruebas Ñandú",
			"JWT_SECRET=" + randomSecret(),
			"PAYLOAD_CODEC_KEYS=" + payloadKeys,
			// Every test client is 127.0.0.1, and some users move money in bursts.
			"AUTH_RATE_LIMIT_PER_MINUTE=100000", "CLIENT_RATE_LIMIT_PER_MINUTE=10000000",
			"USER_WRITE_RATE_LIMIT_PER_MINUTE=100000", "MAX_WAITS_PER_USER=1000",
			fmt.Sprintf("WORKER_HEALTH_ADDR=127.0.0.1:%d", ports[3]),
			"TRANSFER_MAX_AMOUNT=1000000",
			"MAINTENANCE_INTERVAL=1s", "EMAILS_INTERVAL=1s",
			// The built web app, served as in production.
			"WEB_DIR=" + filepath.Join(root, "web", "dist"),
			// The codec's browser callers: the dev UI's usual origins, and this run's UI.
			fmt.Sprintf("CODEC_CORS_ORIGINS=%s,http://localhost:%d", strings.Join(api.DefaultCodecCORSOrigins, ","), ports[8]),
		}, env...),
		Output: logs,
	})
	if err != nil {
		return fail(fmt.Errorf("%w\n%s", err, Tail(logs.Name(), 40)))
	}
	cleanups = append(cleanups, s.Stop)
	dc := payloadcodec.DataConverter(codec)
	tc, err := client.Dial(client.Options{HostPort: s.TemporalAddress, Logger: quiet{},
		DataConverter: dc, FailureConverter: payloadcodec.FailureConverter(dc)})
	if err != nil {
		return fail(err)
	}
	cleanups = append(cleanups, tc.Close)
	return &System{API: bankclient.New(s.APIURL), Store: store, Temporal: tc, Codec: codec, Stack: s,
		AdminEmail: adminEmail, AdminPass: adminPass, MailpitURL: s.MailpitURL, Logs: logs.Name(),
		APIMetricsURL: s.APIMetricsURL, WorkerMetricsURL: s.WorkerMetricsURL}, cleanup, nil
}

// Tail returns the last n lines of a file.
func Tail(path string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	lines := strings.Split(string(b), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

type quiet struct{}

func (quiet) Debug(string, ...any) {}
func (quiet) Info(string, ...any)  {}
func (quiet) Warn(string, ...any)  {}
func (quiet) Error(string, ...any) {}

// randomSecret returns 48 random bytes in base64, as an operator makes a JWT secret.
func randomSecret() string {
	b := make([]byte, 48)
	_, _ = rand.Read(b)
	return base64.StdEncoding.EncodeToString(b)
}
