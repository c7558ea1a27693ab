package db_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/bankforge/bank/db"
	"github.com/bankforge/bank/dev/testenv"
	"github.com/bankforge/bank/domain"
)

// BenchmarkTransfer measures the database work behind one transfer: its transfer row, the hold and
// the posting (two legs, the hold captured), between two accounts, seals included.
func BenchmarkTransfer(b *testing.B) {
	s := testenv.NewStore(b)
	ctx := context.Background()
	id := uuid.New()
	u, err := s.InsertUser(ctx, db.InsertUserParams{
		ID: id, Email: id.String() + "@example.com", PasswordHash: "x", FullName: "Bench", Role: domain.RoleClient, Status: domain.UserActive,
	})
	if err != nil {
		b.Fatal(err)
	}
	src, err := s.OpenAccountTx(ctx, u.ID, "USD", "bench/src")
	if err != nil {
		b.Fatal(err)
	}
	dst, err := s.OpenAccountTx(ctx, u.ID, "USD", "bench/dst")
	if err != nil {
		b.Fatal(err)
	}
	cash, err := s.GetCashAccount(ctx, db.GetCashAccountParams{Kind: domain.AccountCash, Currency: "USD"})
	if err != nil {
		b.Fatal(err)
	}
	transfer := func(kind domain.TransferKind, from, to db.Account, amount int64) {
		id := uuid.New()
		tr, err := s.CreateTransfer(ctx, db.CreateTransferParams{
			ID: id, Kind: kind, InitiatedBy: u.ID, FromAccountID: from.ID, ToAccountID: to.ID,
			Amount: amount, Currency: "USD", WorkflowID: "bench-" + id.String(),
		})
		if err != nil {
			b.Fatal(err)
		}
		if err := s.PlaceHoldTx(ctx, tr, time.Now().Add(time.Minute), db.HoldLimits{}); err != nil {
			b.Fatal(err)
		}
		if err := s.PostTransferTx(ctx, tr, "bench/"+id.String()+"/post"); err != nil {
			b.Fatal(err)
		}
	}
	transfer(domain.KindDeposit, cash, src, int64(b.N)+1)
	b.ResetTimer()
	for range b.N {
		transfer(domain.KindTransfer, src, dst, 1)
	}
}
