// Package testenv gives tests real servers: a fresh migrated PostgreSQL database per test (used
// with the application's database role, as in production), a MongoDB
// wire-protocol server, and the paths of the repository's tools. When a server is missing, a test
// skips on a developer's machine and fails under CI=true.
package testenv

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/bankforge/bank/db"
	"github.com/bankforge/bank/dev/stack"
)

// Unavailable skips the test, or fails it under CI, because a server it needs is missing.
func Unavailable(t testing.TB, format string, args ...any) {
	t.Helper()
	msg := fmt.Sprintf(format, args...)
	if os.Getenv("CI") == "true" {
		t.Fatalf("required server missing under CI: %s", msg)
	}
	t.Skipf("server missing (set CI=true to fail instead): %s", msg)
}

// ServerURL is the PostgreSQL server tests create their databases on (TEST_DATABASE_URL, default
// the local server). Its user owns the test databases and may create roles.
func ServerURL() string {
	if u := os.Getenv("TEST_DATABASE_URL"); u != "" {
		return u
	}
	return "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
}

// The role tests' stores connect as: the application's privileges, as in production. It is
// cluster-wide and shared by every test database; its own name keeps tests from changing the
// password of a development server's bank_app.
const (
	appRole     = "bank_test_app"
	appPassword = "bank-test-app-password"
)

// templateLockID keys the advisory lock, taken on the server's maintenance database, under which
// one test process builds the template database while the others wait.
const templateLockID = 72_016_002

// NewDatabase creates a fresh, migrated database for t, dropped when t ends, and returns its URL for
// the application's role (OwnerURL gives the owner's).
func NewDatabase(t testing.TB) string {
	t.Helper()
	url, drop, err := CreateDatabase(context.Background())
	if errors.Is(err, ErrNoServer) {
		Unavailable(t, "%v", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(drop)
	return url
}

// ErrNoServer means the PostgreSQL server is not reachable.
var ErrNoServer = errors.New("PostgreSQL server not reachable")

// CreateDatabase creates a fresh, migrated database on ServerURL and returns its URL for the
// application's role and a function that drops it. The database is a copy of a template migrated
// once per set of migrations (and kept for later runs), which is much faster than migrating each.
func CreateDatabase(ctx context.Context) (string, func(), error) {
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	cfg, err := pgx.ParseConfig(ServerURL())
	if err != nil {
		return "", nil, fmt.Errorf("parse TEST_DATABASE_URL: %w", err)
	}
	admin, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return "", nil, fmt.Errorf("%w at %s: %v", ErrNoServer, cfg.Host, err)
	}
	defer admin.Close(context.Background())
	template, err := ensureTemplate(ctx, admin, cfg)
	if err != nil {
		return "", nil, err
	}
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	name := "bank_test_" + hex.EncodeToString(b)
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+name+" TEMPLATE "+template); err != nil {
		return "", nil, fmt.Errorf("create test database: %w", err)
	}
	drop := func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		conn, err := pgx.ConnectConfig(ctx, cfg)
		if err != nil {
			return
		}
		defer conn.Close(ctx)
		_, _ = conn.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
	}
	if err := db.GrantAppDatabase(ctx, admin, name, appRole); err != nil { // not copied from the template
		drop()
		return "", nil, err
	}
	return databaseURL(cfg, url.UserPassword(appRole, appPassword), name), drop, nil
}

// NewEmptyDatabase creates a database with nothing in it for t, dropped when t ends, and returns its
// URL for its owner: for tests of the migrations themselves.
func NewEmptyDatabase(t testing.TB) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cfg, err := pgx.ParseConfig(ServerURL())
	if err != nil {
		t.Fatalf("parse TEST_DATABASE_URL: %v", err)
	}
	admin, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		Unavailable(t, "%v at %s: %v", ErrNoServer, cfg.Host, err)
	}
	defer admin.Close(context.Background())
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	name := "bank_test_" + hex.EncodeToString(b)
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatalf("create empty database: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if conn, err := pgx.ConnectConfig(ctx, cfg); err == nil {
			defer conn.Close(ctx)
			_, _ = conn.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
		}
	})
	return databaseURL(cfg, userOf(cfg), name)
}

// ensureTemplate returns the name of the template database of the embedded migrations, building it
// first if no test process has. A template is complete once marked IS_TEMPLATE; one left half-built
// by a process that died is built again.
func ensureTemplate(ctx context.Context, admin *pgx.Conn, cfg *pgx.ConnConfig) (string, error) {
	digest, err := db.SchemaDigest()
	if err != nil {
		return "", err
	}
	name := "bank_template_" + digest[:16]
	if _, err := admin.Exec(ctx, "SELECT pg_advisory_lock($1)", templateLockID); err != nil {
		return "", fmt.Errorf("lock template: %w", err)
	}
	defer func() {
		_, _ = admin.Exec(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock($1)", templateLockID)
	}()
	var complete bool
	err = admin.QueryRow(ctx, "SELECT datistemplate FROM pg_database WHERE datname = $1", name).Scan(&complete)
	switch {
	case err == nil && complete:
		return name, nil
	case err == nil:
		if _, err := admin.Exec(ctx, "DROP DATABASE "+name+" WITH (FORCE)"); err != nil {
			return "", fmt.Errorf("drop incomplete template: %w", err)
		}
	case !errors.Is(err, pgx.ErrNoRows):
		return "", fmt.Errorf("look up template: %w", err)
	}
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		return "", fmt.Errorf("create template database: %w", err)
	}
	if err := migrateAndGrant(ctx, databaseURL(cfg, userOf(cfg), name)); err != nil {
		return "", fmt.Errorf("prepare template database: %w", err)
	}
	if _, err := admin.Exec(ctx, "ALTER DATABASE "+name+" WITH IS_TEMPLATE true ALLOW_CONNECTIONS false"); err != nil {
		return "", fmt.Errorf("mark template: %w", err)
	}
	return name, nil
}

// migrateAndGrant does what `bankctl migrate` does, as the owner: the migrations, then the
// application role's grants.
func migrateAndGrant(ctx context.Context, ownerURL string) error {
	pool, err := db.Connect(ctx, ownerURL, 1)
	if err != nil {
		return err
	}
	defer pool.Close()
	if _, err := db.Migrate(ctx, pool); err != nil {
		return err
	}
	return db.SetUpAppRole(ctx, pool, appRole, appPassword)
}

// OwnerURL is the URL of the same database as appURL for its owner, the server's user: for tests
// that must reach behind the application's back.
func OwnerURL(appURL string) string {
	cfg, err := pgx.ParseConfig(ServerURL())
	if err != nil {
		panic(err)
	}
	app, err := pgx.ParseConfig(appURL)
	if err != nil {
		panic(err)
	}
	return databaseURL(cfg, userOf(cfg), app.Database)
}

func userOf(cfg *pgx.ConnConfig) *url.Userinfo {
	if cfg.Password != "" {
		return url.UserPassword(cfg.User, cfg.Password)
	}
	return url.User(cfg.User)
}

func databaseURL(cfg *pgx.ConnConfig, user *url.Userinfo, name string) string {
	u := url.URL{Scheme: "postgres", User: user, Host: net.JoinHostPort(cfg.Host, strconv.Itoa(int(cfg.Port))),
		Path: "/" + name, RawQuery: "sslmode=disable"}
	return u.String()
}

// NewStore returns a store over a fresh, migrated database, connected as the application's role.
func NewStore(t testing.TB) *db.Store {
	t.Helper()
	return Connect(t, NewDatabase(t))
}

// NewStores returns two stores over one fresh database: app connects as the application's role,
// owner as the owner of its tables.
func NewStores(t testing.TB) (app, owner *db.Store) {
	t.Helper()
	url := NewDatabase(t)
	return Connect(t, url), Connect(t, OwnerURL(url))
}

// Connect returns a store over url, closed when t ends.
func Connect(t testing.TB, url string) *db.Store {
	t.Helper()
	pool, err := db.Connect(context.Background(), url, 20)
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	t.Cleanup(pool.Close)
	return db.NewStore(pool)
}

// RepoRoot is the repository's root directory.
func RepoRoot(t testing.TB) string {
	t.Helper()
	dir, err := stack.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

// Tool returns the path of an executable in the repository's bin/ (installed by `make tools`).
func Tool(t testing.TB, name string) string {
	t.Helper()
	p := filepath.Join(RepoRoot(t), "bin", name)
	if _, err := os.Stat(p); err != nil {
		Unavailable(t, "%s not installed; run `make tools`", p)
	}
	return p
}

// Mongo starts a MongoDB wire-protocol server for t and returns its URI.
func Mongo(t testing.TB) string {
	t.Helper()
	bin := Tool(t, "mongowire")
	uri, stop, err := StartMongo(bin, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stop)
	return uri
}

// StartMongo starts the MongoDB wire-protocol server bin, keeping its data in dir, and returns its
// URI and the function that stops it: for a server shared by a test package's tests, stopped in
// its TestMain.
func StartMongo(bin, dir string) (string, func(), error) {
	port, err := stack.FreePort()
	if err != nil {
		return "", nil, err
	}
	addr := "127.0.0.1:" + strconv.Itoa(port)
	cmd := exec.Command(bin, "-listen", addr, "-sqlite-dir", dir)
	cmd.SysProcAttr = procAttr()
	out, err := cmd.StdoutPipe()
	if err != nil {
		return "", nil, err
	}
	if err := cmd.Start(); err != nil {
		return "", nil, fmt.Errorf("start mongowire: %w", err)
	}
	stop := func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		_ = cmd.Wait()
	}
	ready := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if strings.HasPrefix(sc.Text(), "mongowire ready") {
				close(ready)
			}
		}
	}()
	select {
	case <-ready:
	case <-time.After(30 * time.Second):
		stop()
		return "", nil, errors.New("mongowire did not start")
	}
	return "mongodb://" + addr + "/", stop, nil
}
