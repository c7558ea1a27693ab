// Command bankctl runs operator tasks against the bank's database.
//
//	bankctl migrate         create the database if missing, apply the migrations and set up the
//	                        application's role; run it before the api and the worker start
//	bankctl ledger-check    verify the ledger's invariants; exits 1 on any violation
//	bankctl create-admin    create an admin from BANK_ADMIN_EMAIL and BANK_ADMIN_PASSWORD
//	bankctl reset-admin [-credentials FILE] EMAIL
//	                        give the admin EMAIL a new random password, clear a login lockout and end
//	                        the admin's sessions; print the password, or write "EMAIL PASSWORD" to FILE
//	bankctl audit-verify    walk the audit log's hash chain; exits 1 at the first broken event
//	bankctl seed-scale [-customers N] [-postings N] [-audit-events N] [-days N] [-seed N]
//	                   [-password PW] [-allow-existing]
//	                        fill a throwaway database with a year of data at scale, for benchmarks
//	                        (see dev/seedscale); refuses a database that has customers unless
//	                        -allow-existing; checks the ledger and the audit chain afterwards
//
// Two database URLs, one per role:
//
//	DATABASE_URL          the application's: what the api and the worker connect with (default
//	                      postgres://bank_app@127.0.0.1:5432/bank). ledger-check and create-admin
//	                      use it too. Its user and password name the application's role, which
//	                      migrate creates or updates (a password is required).
//	MIGRATE_DATABASE_URL  the owner's, for migrate and seed-scale only (default
//	                      postgres://postgres@127.0.0.1:5432/bank): it owns the tables, runs the
//	                      migrations and may create roles.
//
// audit-verify and seed-scale reach the audit log at MONGO_URI (default mongodb://127.0.0.1:27017/),
// database MONGO_DATABASE (default bank).
//
// The application's role is a LOGIN role with SELECT, INSERT, UPDATE and DELETE on the tables (only
// SELECT and INSERT on the ledger's history), USAGE on the sequences, and nothing more: it owns
// nothing, cannot create in the schema, so cannot ALTER, DROP or TRUNCATE a table, switch off a
// trigger or set session_replication_role. Roles are cluster-wide, grants per database: migrate
// re-applies the grants every run, so tables added by a migration are covered.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/jackc/pgx/v5"

	"github.com/bankforge/bank/audit"
	"github.com/bankforge/bank/db"
	"github.com/bankforge/bank/internal/bootstrap"
	"github.com/bankforge/bank/internal/password"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	code, err := run(ctx, os.Args[1:])
	if err != nil {
		fmt.Fprintln(os.Stderr, "bankctl:", err)
	}
	os.Exit(code)
}

func run(ctx context.Context, args []string) (int, error) {
	if len(args) == 0 || (args[0] != "reset-admin" && args[0] != "seed-scale" && len(args) != 1) {
		return 2, errors.New("usage: bankctl migrate | ledger-check | audit-verify | create-admin | reset-admin [-credentials FILE] EMAIL | seed-scale [flags]")
	}
	databaseURL := envOr("DATABASE_URL", "postgres://bank_app@127.0.0.1:5432/bank?sslmode=disable")
	ownerURL := envOr("MIGRATE_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/bank?sslmode=disable")
	mongoURI, mongoDatabase := envOr("MONGO_URI", "mongodb://127.0.0.1:27017/"), envOr("MONGO_DATABASE", "bank")
	switch args[0] {
	case "audit-verify":
		return auditVerify(ctx, mongoURI, mongoDatabase)
	case "migrate":
		return migrate(ctx, ownerURL, databaseURL)
	case "seed-scale":
		return seedScale(ctx, args[1:], ownerURL, mongoURI, mongoDatabase, os.Stdout, os.Stderr)
	}
	pool, err := db.Connect(ctx, databaseURL, 2)
	if err != nil {
		return 1, err
	}
	defer pool.Close()
	store := db.NewStore(pool)

	switch args[0] {
	case "ledger-check":
		report, err := store.CheckLedger(ctx)
		if err != nil {
			return 1, err
		}
		out, _ := json.MarshalIndent(report, "", "  ")
		fmt.Println(string(out))
		if !report.OK {
			return 1, fmt.Errorf("%d ledger invariant violations", len(report.Violations))
		}
		return 0, nil
	case "create-admin":
		email, pw := os.Getenv("BANK_ADMIN_EMAIL"), os.Getenv("BANK_ADMIN_PASSWORD")
		if email == "" || pw == "" {
			return 2, errors.New("set BANK_ADMIN_EMAIL and BANK_ADMIN_PASSWORD")
		}
		created, err := bootstrap.EnsureAdmin(ctx, store, password.NewHasher(password.DefaultParams), email, pw)
		if err != nil {
			return 1, err
		}
		fmt.Println(map[bool]string{true: "admin created", false: "a user with that email already exists"}[created])
		return 0, nil
	case "reset-admin":
		fs := flag.NewFlagSet("reset-admin", flag.ContinueOnError)
		credentials := fs.String("credentials", "", "write \"EMAIL PASSWORD\" to this file (mode 0600) instead of printing the password")
		if err := fs.Parse(args[1:]); err != nil || fs.NArg() != 1 {
			return 2, errors.New("usage: bankctl reset-admin [-credentials FILE] EMAIL")
		}
		email := fs.Arg(0)
		pw, err := bootstrap.ResetAdminPassword(ctx, store, password.NewHasher(password.DefaultParams), email)
		if err != nil {
			return 1, err
		}
		if *credentials != "" {
			if err := os.WriteFile(*credentials, []byte(email+" "+pw+"\n"), 0o600); err != nil {
				return 1, err
			}
			fmt.Printf("new password for %s written to %s; its sessions have ended\n", email, *credentials)
			return 0, nil
		}
		fmt.Printf("new password for %s: %s\nits sessions have ended\n", email, pw)
		return 0, nil
	default:
		return 2, fmt.Errorf("unknown command %q", args[0])
	}
}

// migrate creates the database if missing and migrates it as the owner (ownerURL), then makes the
// user of appURL the application's role, with appURL's password.
func migrate(ctx context.Context, ownerURL, appURL string) (int, error) {
	owner, err := pgx.ParseConfig(ownerURL)
	if err != nil {
		return 2, fmt.Errorf("MIGRATE_DATABASE_URL: %w", err)
	}
	app, err := pgx.ParseConfig(appURL)
	if err != nil {
		return 2, fmt.Errorf("DATABASE_URL: %w", err)
	}
	switch {
	case app.Password == "":
		return 2, fmt.Errorf("DATABASE_URL names no password for the application's role %s", app.User)
	case app.Database != owner.Database:
		return 2, fmt.Errorf("DATABASE_URL names database %q, MIGRATE_DATABASE_URL %q", app.Database, owner.Database)
	case app.User == owner.User:
		return 2, fmt.Errorf("DATABASE_URL and MIGRATE_DATABASE_URL both connect as %s: the application needs its own role", app.User)
	}
	if created, err := db.CreateDatabaseIfMissing(ctx, ownerURL); err != nil {
		return 1, err
	} else if created {
		fmt.Printf("created database %s\n", owner.Database)
	}
	pool, err := db.Connect(ctx, ownerURL, 2)
	if err != nil {
		return 1, err
	}
	defer pool.Close()
	applied, err := db.Migrate(ctx, pool)
	if err != nil {
		return 1, err
	}
	fmt.Printf("applied %d migrations %v\n", len(applied), applied)
	if err := db.SetUpAppRole(ctx, pool, app.User, app.Password); err != nil {
		return 1, err
	}
	fmt.Printf("role %s may use database %s as the application\n", app.User, owner.Database)
	return 0, nil
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

// auditVerify walks the audit log's hash chain and exits 1 at the first event that breaks it.
func auditVerify(ctx context.Context, uri, database string) (int, error) {
	client, err := audit.Connect(ctx, uri)
	if err != nil {
		return 1, err
	}
	defer func() { _ = client.Disconnect(context.WithoutCancel(ctx)) }()
	v, err := audit.NewStore(client.Database(database)).Verify(ctx)
	if err != nil {
		return 1, err
	}
	out, _ := json.MarshalIndent(v, "", "  ")
	fmt.Println(string(out))
	if !v.OK {
		return 1, fmt.Errorf("the audit log's chain breaks at event %d (%s): %s", v.Break.Seq, v.Break.ID, v.Break.Reason)
	}
	return 0, nil
}
