package main

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/bankforge/bank/db"
)

// cluster is a PostgreSQL cluster of the run's own, in a temporary directory, so that it can be
// crashed and started again without touching the machine's server. PostgreSQL refuses to run as
// root: when this program is root, initdb and pg_ctl run as the postgres OS user.
type cluster struct {
	bin   string // the directory of initdb and pg_ctl
	base  string // the cluster's directory: its data directory, log and password file
	dir   string // the data directory
	port  int
	owner string // the owner's password (the superuser, postgres)
	runAs string // the OS user that runs the server, when not this process's
	// uid and gid are runAs's ids (nil when the server runs as this process's user).
	uid, gid *uint32
	log      string

	mu   sync.Mutex
	done chan struct{} // closed when the server's process ends
}

// findPGBin returns the directory of initdb, pg_ctl and postgres: bin when given, else that of the
// pg_ctl on PATH (links followed), else Debian's /usr/lib/postgresql/*/bin.
func findPGBin(bin string) (string, error) {
	if bin != "" {
		return bin, nil
	}
	if p, err := exec.LookPath("pg_ctl"); err == nil {
		if real, err := filepath.EvalSymlinks(p); err == nil {
			p = real
		}
		return filepath.Dir(p), nil
	}
	matches, _ := filepath.Glob("/usr/lib/postgresql/*/bin/pg_ctl")
	if len(matches) > 0 {
		return filepath.Dir(matches[len(matches)-1]), nil
	}
	return "", errors.New("pg_ctl not found: install PostgreSQL's server binaries or pass -pg-bin")
}

// newCluster creates a cluster in a fresh temporary directory (of the server's user, which must
// reach it), listening on 127.0.0.1:port.
func newCluster(ctx context.Context, bin string, port int) (*cluster, error) {
	c := &cluster{bin: bin, port: port, owner: randomToken(24)}
	if os.Geteuid() == 0 {
		c.runAs = "postgres"
	}
	base, err := os.MkdirTemp("", "bank-chaos-pg-")
	if err != nil {
		return nil, err
	}
	c.base, c.dir, c.log = base, filepath.Join(base, "data"), filepath.Join(base, "postgres.log")
	pwfile := filepath.Join(base, "pwfile")
	if err := os.WriteFile(pwfile, []byte(c.owner+"\n"), 0o600); err != nil {
		return nil, err
	}
	if c.runAs != "" {
		u, err := user.Lookup(c.runAs)
		if err != nil {
			return nil, fmt.Errorf("PostgreSQL refuses root and there is no %s user: %w", c.runAs, err)
		}
		uid, _ := strconv.ParseUint(u.Uid, 10, 32)
		gid, _ := strconv.ParseUint(u.Gid, 10, 32)
		c.uid, c.gid = ptr(uint32(uid)), ptr(uint32(gid))
		for _, p := range []string{base, pwfile} {
			if err := os.Chown(p, int(uid), int(gid)); err != nil {
				return nil, err
			}
		}
	}
	if out, err := c.run(ctx, "initdb", "-D", c.dir, "-U", "postgres", "--pwfile", pwfile,
		"-A", "scram-sha-256", "--no-sync", "-E", "UTF8", "--locale", "C"); err != nil {
		return nil, fmt.Errorf("initdb: %w\n%s", err, out)
	}
	return c, nil
}

// run runs one of the cluster's programs as the server's user.
func (c *cluster) run(ctx context.Context, name string, args ...string) ([]byte, error) {
	path := filepath.Join(c.bin, name)
	var cmd *exec.Cmd
	if c.runAs != "" {
		cmd = exec.CommandContext(ctx, "runuser", append([]string{"-u", c.runAs, "--", path}, args...)...)
	} else {
		cmd = exec.CommandContext(ctx, path, args...)
	}
	return cmd.CombinedOutput()
}

// start starts the server as a child of this program, which it dies with, and waits until it
// accepts connections. Commit timestamps are kept: the checker orders postings against freezes by
// them.
func (c *cluster) start(ctx context.Context) error {
	out, err := os.OpenFile(c.log, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	defer out.Close()
	cmd := exec.Command(filepath.Join(c.bin, "postgres"), "-D", c.dir,
		"-p", strconv.Itoa(c.port), "-k", c.dir, "-c", "listen_addresses=127.0.0.1",
		"-c", "track_commit_timestamp=on", "-c", "max_connections=200",
		// A crash here is the server's process dying, never the machine's: what it wrote is in the
		// OS page cache either way, so skipping fsync loses nothing and spares a shared disk.
		"-c", "fsync=off", "-c", "full_page_writes=off")
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = serverAttr(c.uid, c.gid)
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start postgres: %w", err)
	}
	done := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		close(done)
	}()
	c.mu.Lock()
	c.done = done
	c.mu.Unlock()
	deadline := time.Now().Add(60 * time.Second)
	for {
		conn, err := pgx.Connect(ctx, c.ownerURL("postgres"))
		if err == nil {
			_ = conn.Close(ctx)
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("postgres not ready after a minute: %w\n%s", err, tail(c.log, 10))
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-done:
			return fmt.Errorf("postgres exited at start:\n%s", tail(c.log, 10))
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// crash stops the server at once, as a crash would (`pg_ctl stop -m immediate`): no checkpoint,
// every connection cut; the next start recovers from the WAL.
func (c *cluster) crash(ctx context.Context) error {
	out, err := c.run(ctx, "pg_ctl", "-D", c.dir, "-m", "immediate", "-w", "stop")
	if err != nil {
		return fmt.Errorf("pg_ctl stop -m immediate: %w\n%s", err, out)
	}
	c.wait()
	return nil
}

// stop shuts the server down cleanly.
func (c *cluster) stop() {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := c.run(ctx, "pg_ctl", "-D", c.dir, "-m", "fast", "-w", "stop"); err != nil {
		_, _ = c.run(ctx, "pg_ctl", "-D", c.dir, "-m", "immediate", "-w", "stop")
	}
	c.wait()
}

// wait waits for the server's process to end.
func (c *cluster) wait() {
	c.mu.Lock()
	done := c.done
	c.mu.Unlock()
	if done != nil {
		<-done
	}
}

// ownerURL is the URL of database name for the cluster's superuser, who owns the bank's tables.
func (c *cluster) ownerURL(name string) string {
	return dbURL(url.UserPassword("postgres", c.owner), "127.0.0.1:"+strconv.Itoa(c.port), name)
}

func dbURL(user *url.Userinfo, hostport, name string) string {
	u := url.URL{Scheme: "postgres", User: user, Host: hostport, Path: "/" + name, RawQuery: "sslmode=disable"}
	return u.String()
}

// setUpBank does what `bankctl migrate` does: it creates the bank's database, applies the
// migrations as the owner and makes role the application's login role with password.
func setUpBank(ctx context.Context, ownerURL, role, password string) error {
	if _, err := db.CreateDatabaseIfMissing(ctx, ownerURL); err != nil {
		return err
	}
	pool, err := db.Connect(ctx, ownerURL, 2)
	if err != nil {
		return err
	}
	defer pool.Close()
	if _, err := db.Migrate(ctx, pool); err != nil {
		return err
	}
	return db.SetUpAppRole(ctx, pool, role, password)
}

func ptr[T any](v T) *T { return &v }
