// Command devstack runs the whole bank on one machine for development: it prepares the PostgreSQL
// database, starts a Temporal dev server with its web UI, a MongoDB wire-protocol server and a
// Mailpit SMTP server (each keeping its state under .dev/), then the worker, which sends its emails
// to Mailpit, and the API; it serves a page to read those emails, and stops everything on Ctrl-C.
package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/bankforge/bank/db"
	"github.com/bankforge/bank/dev/bankclient"
	"github.com/bankforge/bank/dev/mailbox"
	"github.com/bankforge/bank/dev/stack"
	"github.com/bankforge/bank/domain"
	"github.com/bankforge/bank/internal/bootstrap"
	"github.com/bankforge/bank/internal/envconfig"
	"github.com/bankforge/bank/internal/password"
	"github.com/bankforge/bank/internal/payloadcodec"
)

func main() {
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, logger, os.Args[1:]); err != nil {
		logger.Error("devstack stopped", "error", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, logger *slog.Logger, args []string) error {
	fs := flag.NewFlagSet("devstack", flag.ContinueOnError)
	dir := fs.String("dir", ".dev", "directory for the dev servers' state")
	bin := fs.String("bin", "bin", "directory of the executables")
	seed := fs.Bool("seed", os.Getenv("BANK_SEED_DEMO") != "", "create demo customers with balances (also BANK_SEED_DEMO=1)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := os.MkdirAll(*dir, 0o700); err != nil {
		return err
	}

	// The database, migrated by `bankctl migrate` as the owner (MIGRATE_DATABASE_URL), which also
	// sets up the application's role: the API and the worker connect as that role (DATABASE_URL;
	// by default bank_app with a password generated into the state directory, as production would
	// have one even where the local server trusts every connection).
	ownerURL := envOr("MIGRATE_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/bank?sslmode=disable")
	databaseURL := os.Getenv("DATABASE_URL")
	if databaseURL == "" {
		var err error
		if databaseURL, err = devAppURL(ownerURL, *dir); err != nil {
			return err
		}
	}
	migrate := exec.CommandContext(ctx, filepath.Join(*bin, "bankctl"), "migrate")
	migrate.Env = append(os.Environ(), "MIGRATE_DATABASE_URL="+ownerURL, "DATABASE_URL="+databaseURL)
	migrate.Stdout, migrate.Stderr = os.Stdout, os.Stderr
	if err := migrate.Run(); err != nil {
		return fmt.Errorf("bankctl migrate (is PostgreSQL running? set MIGRATE_DATABASE_URL): %w", err)
	}
	pool, err := db.Connect(ctx, databaseURL, 4)
	if err != nil {
		return err
	}

	// The first admin: from BANK_ADMIN_EMAIL/BANK_ADMIN_PASSWORD (the API creates it), or generated
	// here once and printed.
	adminEmail, adminPassword := os.Getenv("BANK_ADMIN_EMAIL"), os.Getenv("BANK_ADMIN_PASSWORD")
	if adminEmail == "" {
		adminEmail, adminPassword, err = devAdmin(ctx, db.NewStore(pool), *dir)
		if err != nil {
			pool.Close()
			return err
		}
	}
	pool.Close()

	secret, err := devSecret(*dir)
	if err != nil {
		return err
	}
	var env []string
	if os.Getenv("JWT_SECRET") == "" { // the caller's own secret wins
		env = append(env, "JWT_SECRET="+secret)
	}
	// Payloads are encrypted under make dev as in production, with a key kept beside the Temporal
	// server's state: the histories it keeps stay readable from one run to the next.
	if os.Getenv("PAYLOAD_CODEC_KEYS") == "" { // the caller's own keys win
		keys, err := devPayloadKeys(*dir)
		if err != nil {
			return err
		}
		env = append(env, "PAYLOAD_CODEC_KEYS="+keys)
	}
	// The worker sends its emails to Mailpit, unless MAIL_MODE=log asks for the log.
	env = append(env, "MAIL_MODE="+envOr("MAIL_MODE", "smtp"))
	if os.Getenv("MAIL_LOG_BODIES") == "" {
		// Development only: the worker's log shows each email whole, so a developer can read it.
		env = append(env, "MAIL_LOG_BODIES=true")
	}

	// Transfers start eagerly: the API runs their first workflow task itself (the fastest safe
	// configuration, docs/benchmark.md); the worker runs everything else and whatever an API process
	// did not finish. TRANSFER_EAGER_START=false in the environment turns it off.
	env = append(env, "TRANSFER_EAGER_START="+envOr("TRANSFER_EAGER_START", "true"))

	s, err := stack.Start(ctx, stack.Options{
		Dir:          *dir,
		Bin:          *bin,
		DatabaseURL:  databaseURL,
		MongoURI:     os.Getenv("MONGO_URI"),
		TemporalPort: 7233,
		UIPort:       8233,
		MongoPort:    27017,
		APIPort:      8080,
		// Mailpit: SMTP on 1025 and its REST API on 8025, as in docker-compose.yml.
		MailpitSMTPPort: 1025,
		MailpitHTTPPort: 8025,
		// Each process's metrics, at the binaries' defaults.
		APIMetricsAddr:    "127.0.0.1:9091",
		WorkerMetricsAddr: "127.0.0.1:9092",
		Env:               env,
		Output:            os.Stdout,
	})
	if err != nil {
		return err
	}
	defer s.Stop()

	// The page to read the development emails (Mailpit's own web pages are not built in).
	box, err := serveMailbox(ctx, "127.0.0.1:8026", s.MailpitURL, logger)
	if err != nil {
		return err
	}
	defer box.Close()

	if *seed {
		c := bankclient.New(s.APIURL)
		if err := seedDemo(ctx, c, adminEmail, adminPassword, logger); err != nil {
			logger.Error("seeding demo data failed", "error", err)
		}
	}

	fmt.Printf(`
The bank is running. Ctrl-C stops everything; state is kept in %s.
  Web app          %s/   (customers sign up there; staff sign in to the console)
  API              %s   (contract: %s/openapi.yaml)
  Temporal web UI  %s   (payloads are encrypted; staff signed in to the web app decode them through %s: README, Payload encryption)
  Temporal         %s
  MongoDB          %s
  PostgreSQL       %s
  Emails           http://localhost:8026   (every email the bank sent; Mailpit's SMTP %s, API %s/api/v1/messages)
  Metrics          %s   (the API's; the worker's: %s)
`, *dir, strings.Replace(s.APIURL, "127.0.0.1", "localhost", 1), s.APIURL, s.APIURL, s.UIURL, s.CodecURL, s.TemporalAddress, s.MongoURI, envconfig.MaskURL(databaseURL), s.SMTPAddr, s.MailpitURL,
		s.APIMetricsURL, s.WorkerMetricsURL)
	if adminEmail != "" && os.Getenv("BANK_ADMIN_EMAIL") == "" {
		fmt.Printf("  Admin            %s (password in %s)\n", adminEmail, filepath.Join(*dir, "admin-credentials"))
	}

	select {
	case <-ctx.Done():
		fmt.Println("\nstopping...")
		return nil
	case err := <-s.Exited():
		return err
	}
}

// devAdmin makes sure `make dev` ends with an admin login it can show. The login is kept in
// dir/admin-credentials. With no admin in the database, it creates admin@bank.local with a random
// password (replacing a stale file, say after the database was dropped). When an admin exists but
// the saved login does not work, or none is saved, it says so and how to reset the password; the
// returned email is then empty.
func devAdmin(ctx context.Context, store *db.Store, dir string) (string, string, error) {
	credFile := filepath.Join(dir, "admin-credentials")
	hasher := password.NewHasher(password.DefaultParams)
	saved := ""
	if b, err := os.ReadFile(credFile); err == nil {
		saved = strings.TrimSpace(string(b))
	}
	if email, pw, ok := strings.Cut(saved, " "); ok {
		works, err := bootstrap.CanLogIn(ctx, store, hasher, email, pw)
		if err != nil {
			return "", "", err
		}
		if works {
			return email, pw, nil
		}
	}
	admin, err := store.GetFirstUserWithRole(ctx, db.GetFirstUserWithRoleParams{Role: domain.RoleAdmin, Status: domain.UserActive})
	if err == nil {
		why := "none is saved in " + credFile
		if saved != "" {
			why = "the login saved in " + credFile + " does not work on this database"
		}
		fmt.Printf("\nThe database has an admin (%s), but %s. To set a new password and save it there:\n"+
			"  bin/bankctl reset-admin -credentials %s %s\n\n", admin.Email, why, credFile, admin.Email)
		return "", "", nil
	}
	if !errors.Is(db.NotFound(err), db.ErrNotFound) {
		return "", "", fmt.Errorf("look up admin: %w", err)
	}
	email := "admin@bank.local"
	pw, err := bootstrap.GeneratePassword()
	if err != nil {
		return "", "", err
	}
	if _, err := bootstrap.EnsureAdmin(ctx, store, hasher, email, pw); err != nil {
		return "", "", err
	}
	if works, err := bootstrap.CanLogIn(ctx, store, hasher, email, pw); err != nil || !works {
		// admin@bank.local exists as another kind of user: nothing to show.
		return "", "", errors.Join(err, fmt.Errorf("%s exists but is not an active admin", email))
	}
	if err := os.WriteFile(credFile, []byte(email+" "+pw+"\n"), 0o600); err != nil {
		return "", "", err
	}
	fmt.Printf("\nCreated the first admin (a copy is in %s):\n  email:    %s\n  password: %s\n\n", credFile, email, pw)
	return email, pw, nil
}

// devAppURL is ownerURL's database for the application's role bank_app, with a password generated
// on first run and kept in dir.
func devAppURL(ownerURL, dir string) (string, error) {
	u, err := url.Parse(ownerURL)
	if err != nil {
		return "", fmt.Errorf("MIGRATE_DATABASE_URL: %w", err)
	}
	path := filepath.Join(dir, "app-db-password")
	password := ""
	if b, err := os.ReadFile(path); err == nil {
		password = strings.TrimSpace(string(b))
	} else if !errors.Is(err, os.ErrNotExist) {
		return "", err
	}
	if password == "" {
		b := make([]byte, 24)
		if _, err := rand.Read(b); err != nil {
			return "", err
		}
		password = base64.RawURLEncoding.EncodeToString(b)
		if err := os.WriteFile(path, []byte(password+"\n"), 0o600); err != nil {
			return "", err
		}
	}
	u.User = url.UserPassword("bank_app", password)
	return u.String(), nil
}

// devSecret returns the development JWT secret, generated on first run and kept so that tokens
// survive restarts.
func devSecret(dir string) (string, error) {
	path := filepath.Join(dir, "jwt-secret")
	if b, err := os.ReadFile(path); err == nil && len(strings.TrimSpace(string(b))) >= 32 {
		return strings.TrimSpace(string(b)), nil
	} else if err != nil && !errors.Is(err, os.ErrNotExist) {
		return "", err
	}
	b := make([]byte, 48)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	secret := base64.RawURLEncoding.EncodeToString(b)
	return secret, os.WriteFile(path, []byte(secret+"\n"), 0o600)
}

// devPayloadKeys returns the development payload key, generated on first run into
// dir/payload-codec-keys and kept: Temporal's state in dir holds payloads encrypted with it. To try
// a rotation, put a new key first in that file, the old one after it.
func devPayloadKeys(dir string) (string, error) {
	path := filepath.Join(dir, "payload-codec-keys")
	if b, err := os.ReadFile(path); err == nil {
		keys := strings.TrimSpace(string(b))
		if _, err := payloadcodec.ParseKeys(keys); err != nil {
			return "", fmt.Errorf("%s: %w", path, err)
		}
		return keys, nil
	} else if !errors.Is(err, os.ErrNotExist) {
		return "", err
	}
	keys, err := payloadcodec.NewKeySetting("dev-1")
	if err != nil {
		return "", err
	}
	return keys, os.WriteFile(path, []byte(keys+"\n"), 0o600)
}

// serveMailbox serves the development mailbox page on addr until ctx ends.
func serveMailbox(ctx context.Context, addr, mailpitURL string, logger *slog.Logger) (*http.Server, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("mailbox page: %w", err)
	}
	srv := &http.Server{Handler: mailbox.New(mailpitURL), ReadHeaderTimeout: 5 * time.Second}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			logger.Error("mailbox page stopped", "error", err)
		}
	}()
	context.AfterFunc(ctx, func() { _ = srv.Close() })
	return srv, nil
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}
