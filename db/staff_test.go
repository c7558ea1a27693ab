package db_test

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/google/uuid"

	"github.com/bankforge/bank/db"
	"github.com/bankforge/bank/dev/testenv"
	"github.com/bankforge/bank/domain"
)

// Two admins remove each other at the same moment, by demotion or by disabling: the bank keeps one
// active admin, because the second change is decided after the first.
func TestStaff_TheLastActiveAdminStays(t *testing.T) {
	t.Parallel()
	s := testenv.NewStore(t)
	ctx := context.Background()
	newAdmin := func() uuid.UUID {
		id := uuid.New()
		if _, err := s.InsertUser(ctx, db.InsertUserParams{ID: id, Email: id.String() + "@bank.test", PasswordHash: "x",
			FullName: "Admin", Role: domain.RoleAdmin, Status: domain.UserActive}); err != nil {
			t.Fatal(err)
		}
		return id
	}
	var firstAdmins int
	if err := s.Pool().QueryRow(ctx, "SELECT count(*) FROM users WHERE role = 'admin' AND status = 'active'").Scan(&firstAdmins); err != nil {
		t.Fatal(err)
	}
	if firstAdmins != 0 {
		t.Fatalf("the database starts with %d admins", firstAdmins)
	}
	removals := map[string]func(uuid.UUID) error{
		"demote":  func(id uuid.UUID) error { _, err := s.ChangeRoleTx(ctx, id, domain.RoleClient); return err },
		"disable": func(id uuid.UUID) error { _, err := s.DisableUserTx(ctx, id); return err },
	}
	for name, remove := range removals {
		for round := range 10 {
			a, b := newAdmin(), newAdmin()
			errs := make([]error, 2)
			var wg sync.WaitGroup
			for i, id := range []uuid.UUID{a, b} {
				wg.Add(1)
				go func() { defer wg.Done(); errs[i] = remove(id) }()
			}
			wg.Wait()
			refused := 0
			for _, err := range errs {
				if errors.Is(err, domain.ErrLastAdmin) {
					refused++
				} else if err != nil {
					t.Fatalf("%s round %d: %v", name, round, err)
				}
			}
			if refused != 1 {
				t.Fatalf("%s round %d: %d of 2 removals refused; want exactly 1", name, round, refused)
			}
			// Leave no admin behind for the next round: the survivor is removed by hand.
			if _, err := s.Pool().Exec(ctx, "UPDATE users SET role = 'client' WHERE id = ANY($1)", []uuid.UUID{a, b}); err != nil {
				t.Fatal(err)
			}
		}
	}
}
