package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/google/uuid"

	"github.com/bankforge/bank/dev/bankclient"
	"github.com/bankforge/bank/domain"
)

// demoUsers are created by -seed with an opening deposit each; their password is demoPassword.
var demoUsers = []struct {
	email, name, currency string
	deposit               int64
}{
	{"ana@demo.bank.local", "Ana Demo", "USD", 250_000},
	{"luis@demo.bank.local", "Luis Demo", "USD", 100_000},
	{"marta@demo.bank.local", "Marta Demo", "EUR", 180_000},
}

const demoPassword = "demo-password-2026"

// seedDemo registers the demo customers through the API and deposits their opening balances as the
// admin. Users that already exist are left as they are.
func seedDemo(ctx context.Context, c *bankclient.Client, adminEmail, adminPassword string, logger *slog.Logger) error {
	if adminEmail == "" {
		return errors.New("seeding needs the admin's credentials: set BANK_ADMIN_EMAIL and BANK_ADMIN_PASSWORD")
	}
	admin, err := c.Login(ctx, adminEmail, adminPassword)
	if err != nil {
		return fmt.Errorf("admin login: %w", err)
	}
	for _, u := range demoUsers {
		if _, err := c.Login(ctx, u.email, demoPassword); err == nil {
			continue // seeded before
		}
		opID, err := c.Register(ctx, u.email, demoPassword, u.name, u.currency)
		if err != nil {
			return fmt.Errorf("register %s: %w", u.email, err)
		}
		if op, err := c.WaitOperation(ctx, opID); err != nil || op.Status != domain.OperationCompleted {
			return fmt.Errorf("register %s: %s %v", u.email, op.Status, err)
		}
		tok, err := c.Login(ctx, u.email, demoPassword)
		if err != nil {
			return fmt.Errorf("login %s: %w", u.email, err)
		}
		accounts, err := c.As(tok.AccessToken).Accounts(ctx)
		if err != nil || len(accounts) == 0 {
			return fmt.Errorf("accounts of %s: %v", u.email, err)
		}
		if _, err := c.As(admin.AccessToken).Deposit(ctx, accounts[0].ID, u.deposit, u.currency, "seed-"+uuid.NewString()); err != nil {
			return fmt.Errorf("deposit for %s: %w", u.email, err)
		}
		logger.Info("seeded demo customer", "email", u.email, "account", accounts[0].Number)
	}
	fmt.Printf("Demo customers (password %q): ", demoPassword)
	for _, u := range demoUsers {
		fmt.Print(u.email, " ")
	}
	fmt.Println()
	return nil
}
