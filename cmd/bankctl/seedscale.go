package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/bankforge/bank/audit"
	"github.com/bankforge/bank/db"
	"github.com/bankforge/bank/dev/seedscale"
)

// seedScale fills a throwaway database (as its owner, ownerURL) and the audit log with a year of
// data, then checks the ledger and the audit chain as ledger-check and audit-verify do.
func seedScale(ctx context.Context, args []string, ownerURL, mongoURI, mongoDatabase string, stdout, stderr io.Writer) (int, error) {
	fs := flag.NewFlagSet("seed-scale", flag.ContinueOnError)
	fs.SetOutput(stderr)
	o := seedscale.Options{Now: time.Now()}
	fs.IntVar(&o.Customers, "customers", 1000, "customers, each with one to four accounts in distinct currencies")
	fs.IntVar(&o.Postings, "postings", 100_000, "postings (two per completed deposit, withdrawal or transfer)")
	fs.IntVar(&o.AuditEvents, "audit-events", 10_000, "audit events")
	fs.IntVar(&o.Days, "days", 365, "days back from now over which the movements spread")
	fs.Uint64Var(&o.Seed, "seed", 1, "random seed: the same seed and sizes give the same data")
	fs.StringVar(&o.Password, "password", seedscale.DefaultPassword, "every seeded user's password")
	fs.BoolVar(&o.AllowExisting, "allow-existing", false, "seed even though the database already has customers")
	verifyAudit := fs.Bool("verify-audit", true, "walk the whole audit chain afterwards")
	if err := fs.Parse(args); err != nil {
		return 2, err
	}
	if fs.NArg() > 0 {
		return 2, fmt.Errorf("seed-scale: unexpected arguments %v", fs.Args())
	}
	o.Progress = stderr

	pool, err := db.Connect(ctx, ownerURL, 2)
	if err != nil {
		return 1, err
	}
	defer pool.Close()
	if err := db.CheckMigrated(ctx, pool); err != nil {
		return 1, err
	}
	client, err := audit.Connect(ctx, mongoURI)
	if err != nil {
		return 1, err
	}
	defer func() { _ = client.Disconnect(context.WithoutCancel(ctx)) }()
	events := audit.NewStore(client.Database(mongoDatabase))

	res, err := seedscale.Run(ctx, pool, events, o)
	if errors.Is(err, seedscale.ErrHasCustomers) {
		return 2, err
	}
	if err != nil {
		return 1, fmt.Errorf("seed-scale: %w", err)
	}
	report, err := db.NewStore(pool).CheckLedger(ctx)
	if err != nil {
		return 1, err
	}
	out := struct {
		seedscale.Result
		Ledger db.LedgerReport     `json:"ledger"`
		Audit  *audit.Verification `json:"audit,omitempty"`
	}{Result: res, Ledger: report}
	if *verifyAudit {
		v, err := events.Verify(ctx)
		if err != nil {
			return 1, err
		}
		out.Audit = &v
	}
	b, _ := json.MarshalIndent(out, "", "  ")
	fmt.Fprintln(stdout, string(b))
	switch {
	case !report.OK:
		return 1, fmt.Errorf("%d ledger invariant violations after seeding", len(report.Violations))
	case out.Audit != nil && !out.Audit.OK:
		return 1, fmt.Errorf("the audit log's chain breaks at event %d after seeding", out.Audit.Break.Seq)
	}
	return 0, nil
}
