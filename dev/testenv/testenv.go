// Package testenv gives tests real servers: a fresh migrated PostgreSQL database per test, a MongoDB
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
// the local server).
func ServerURL() string {
	if u := os.Getenv("TEST_DATABASE_URL"); u != "" {
		return u
	}
	return "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
}

// NewDatabase creates a fresh, migrated database for t, dropped when t ends, and returns its URL.
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

// CreateDatabase creates a fresh, migrated database on ServerURL and returns its URL and a function
// that drops it.
func CreateDatabase(ctx context.Context) (string, func(), error) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
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
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	name := "bank_test_" + hex.EncodeToString(b)
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+name); err != nil {
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
	u := *cfg
	url := fmt.Sprintf("postgres://%s@%s:%d/%s?sslmode=disable", u.User, u.Host, u.Port, name)
	if u.Password != "" {
		url = fmt.Sprintf("postgres://%s:%s@%s:%d/%s?sslmode=disable", u.User, u.Password, u.Host, u.Port, name)
	}
	pool, err := db.Connect(ctx, url, 2)
	if err != nil {
		drop()
		return "", nil, fmt.Errorf("connect test database: %w", err)
	}
	defer pool.Close()
	if _, err := db.Migrate(ctx, pool); err != nil {
		drop()
		return "", nil, fmt.Errorf("migrate test database: %w", err)
	}
	return url, drop, nil
}

// NewStore returns a store over a fresh, migrated database.
func NewStore(t testing.TB) *db.Store {
	t.Helper()
	url := NewDatabase(t)
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
	dir, err := repoRoot()
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
	port, err := stack.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	addr := "127.0.0.1:" + strconv.Itoa(port)
	cmd := exec.Command(bin, "-listen", addr, "-sqlite-dir", t.TempDir())
	cmd.SysProcAttr = procAttr()
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start mongowire: %v", err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		_ = cmd.Wait()
	})
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
		t.Fatal("mongowire did not start")
	}
	return "mongodb://" + addr + "/"
}
