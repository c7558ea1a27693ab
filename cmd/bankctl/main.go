// Command bankctl runs operator tasks against the bank's database.
//
//	bankctl migrate         create the database if missing and apply the migrations
//	bankctl ledger-check    verify the ledger's invariants; exits 1 on any violation
//	bankctl create-admin    create an admin from BANK_ADMIN_EMAIL and BANK_ADMIN_PASSWORD
//
// The database is DATABASE_URL (default: the local server's "bank" database).
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"

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
	if len(args) != 1 {
		return 2, errors.New("usage: bankctl migrate | ledger-check | create-admin")
	}
	databaseURL := os.Getenv("DATABASE_URL")
	if databaseURL == "" {
		databaseURL = "postgres://postgres@127.0.0.1:5432/bank?sslmode=disable"
	}
	if args[0] == "migrate" {
		if _, err := db.CreateDatabaseIfMissing(ctx, databaseURL); err != nil {
			return 1, err
		}
	}
	pool, err := db.Connect(ctx, databaseURL, 2)
	if err != nil {
		return 1, err
	}
	defer pool.Close()
	store := db.NewStore(pool)

	switch args[0] {
	case "migrate":
		applied, err := db.Migrate(ctx, pool)
		if err != nil {
			return 1, err
		}
		fmt.Printf("applied %d migrations %v\n", len(applied), applied)
		return 0, nil
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
	default:
		return 2, fmt.Errorf("unknown command %q", args[0])
	}
}
