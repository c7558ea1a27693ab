package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/bankforge/bank/db"
	"github.com/bankforge/bank/dev/bankclient"
	"github.com/bankforge/bank/dev/seedscale"
	"github.com/bankforge/bank/domain"
)

// customer is a seeded customer: their user, their one USD account, and an API client that acts
// as them.
type customer struct {
	userID    uuid.UUID
	accountID uuid.UUID
	email     string
	api       *bankclient.Client
}

// funding says how much money each customer starts with, in minor units; the hot account (customer
// 0 in the hot scenario) gets its own amount.
type funding struct {
	perCustomer int64
	hot         int64
}

// seedResult says how seeding went.
type seedResult struct {
	Customers int
	Took      time.Duration
	Users     time.Duration // users and accounts created in SQL
	Logins    time.Duration // one login per customer through the API
	Deposits  time.Duration // one admin deposit per customer through the API, until completed
}

// seed creates n customers quickly. Registration through the API runs a workflow and an argon2
// hash per customer; instead the users and accounts are created directly in the database, all with
// one password hash computed once. Each customer then logs in through the API (the argon2 check
// there is the slow part, so logins run a few at a time), and the admin deposits their starting
// balance through the API, so that all money enters through the ledger as it does in production
// (none when money is zero).
func seed(ctx context.Context, logger *slog.Logger, b *bank, httpClient *http.Client, n, loginConcurrency int, money funding) ([]customer, seedResult, error) {
	res := seedResult{Customers: n}
	started := time.Now()
	runID := uuid.NewString()[:8]
	pw, err := randomString(24)
	if err != nil {
		return nil, res, err
	}
	hash, err := b.hasher.Hash(pw)
	if err != nil {
		return nil, res, err
	}
	anon := &bankclient.Client{Base: b.stack.APIURL, HTTP: httpClient}

	customers := make([]customer, n)
	err = forEach(ctx, n, 8, func(ctx context.Context, i int) error {
		email := fmt.Sprintf("bench-%s-%d@bench.example", runID, i)
		u, err := b.store.InsertUser(ctx, db.InsertUserParams{Status: domain.UserActive,
			ID: uuid.New(), Email: email, PasswordHash: hash, FullName: fmt.Sprintf("Bench Customer %d", i), Role: domain.RoleClient,
		})
		if err != nil {
			return fmt.Errorf("create user %s: %w", email, err)
		}
		a, err := b.store.OpenAccountTx(ctx, u.ID, "USD", "bench-seed/"+u.ID.String())
		if err != nil {
			return fmt.Errorf("open account for %s: %w", email, err)
		}
		customers[i] = customer{userID: u.ID, accountID: a.ID, email: email}
		return nil
	})
	if err != nil {
		return nil, res, err
	}
	res.Users = time.Since(started)
	logger.Info("created customers in the database", "count", n, "took", res.Users.Round(time.Millisecond))

	loginStart := time.Now()
	err = forEach(ctx, n, loginConcurrency, func(ctx context.Context, i int) error {
		tok, err := anon.Login(ctx, customers[i].email, pw)
		if err != nil {
			return fmt.Errorf("log in %s: %w", customers[i].email, err)
		}
		customers[i].api = anon.As(tok.AccessToken)
		return nil
	})
	if err != nil {
		return nil, res, err
	}
	res.Logins = time.Since(loginStart)
	logger.Info("logged customers in", "count", n, "took", res.Logins.Round(time.Millisecond))

	if money.perCustomer == 0 && money.hot == 0 {
		res.Took = time.Since(started)
		return customers, res, nil // no money to deposit
	}
	depositStart := time.Now()
	tok, err := anon.Login(ctx, b.adminEmail, b.adminPassword)
	if err != nil {
		return nil, res, fmt.Errorf("admin login: %w", err)
	}
	admin := anon.As(tok.AccessToken)
	err = forEach(ctx, n, 16, func(ctx context.Context, i int) error {
		amount := money.perCustomer
		if i == 0 && money.hot > 0 {
			amount = money.hot
		}
		t, err := admin.Deposit(ctx, customers[i].accountID.String(), amount, "USD", "bench-seed-"+uuid.NewString())
		if err != nil {
			return fmt.Errorf("deposit for %s: %w", customers[i].email, err)
		}
		wctx, cancel := context.WithTimeout(ctx, time.Minute)
		defer cancel()
		t, err = admin.WaitTransfer(wctx, t.ID, 5*time.Second)
		if err != nil {
			return fmt.Errorf("wait for deposit %s: %w", t.ID, err)
		}
		if t.Status != domain.TransferCompleted {
			return fmt.Errorf("deposit %s for %s ended %s", t.ID, customers[i].email, t.Status)
		}
		return nil
	})
	if err != nil {
		return nil, res, err
	}
	res.Deposits = time.Since(depositStart)
	res.Took = time.Since(started)
	logger.Info("funded customers", "count", n, "each", money.perCustomer, "hot", money.hot, "took", res.Deposits.Round(time.Millisecond))
	return customers, res, nil
}

// idleResult says how the idle customers were loaded.
type idleResult struct {
	Customers, Accounts int
	Took                time.Duration
}

// seedIdle loads n customers with their accounts (one to three each, empty), with COPY (the scale
// seed without movements or audit events), so that the run's tables and indexes have their size. They never log
// in or move money.
func seedIdle(ctx context.Context, logger *slog.Logger, b *bank, n int) (*idleResult, error) {
	logger.Info("loading idle customers with COPY", "customers", n)
	owner, err := db.Connect(ctx, b.ownerURL, 2)
	if err != nil {
		return nil, err
	}
	defer owner.Close()
	res, err := seedscale.Run(ctx, owner, nil, seedscale.Options{
		Customers: n, Days: 30, Seed: 1, Password: seedscale.DefaultPassword, AllowExisting: true,
	})
	if err != nil {
		return nil, err
	}
	logger.Info("idle customers loaded", "customers", res.Customers, "accounts", res.Accounts, "took", res.Took.Round(time.Millisecond))
	return &idleResult{Customers: res.Customers, Accounts: res.Accounts, Took: res.Took}, nil
}

// forEach runs fn for 0..n-1 with at most conc calls at once and returns the first error, after
// which the remaining calls are skipped.
func forEach(ctx context.Context, n, conc int, fn func(ctx context.Context, i int) error) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(conc, n) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				if ctx.Err() != nil {
					continue
				}
				if err := fn(ctx, i); err != nil {
					cancel(err)
				}
			}
		}()
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
	if err := context.Cause(ctx); err != nil && err != context.Canceled {
		return err
	}
	return ctx.Err()
}
