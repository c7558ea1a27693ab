package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bankforge/bank/dev/testenv"
	"github.com/bankforge/bank/internal/bootstrap"
	"github.com/bankforge/bank/internal/password"
)

// make dev always ends with an admin login that works, or says how to get one: on an empty
// database it creates the admin, on a dropped-and-recreated one it replaces the stale saved login,
// and when the saved login does not match it refuses to show it until bankctl reset-admin saved a
// new one.
func TestDevAdmin_AlwaysAWorkingLoginOrHowToGetOne(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	credFile := filepath.Join(dir, "admin-credentials")
	hasher := password.NewHasher(password.DefaultParams)

	first := testenv.NewStore(t)
	email, pw, err := devAdmin(ctx, first, dir)
	if err != nil || email == "" {
		t.Fatalf("empty database: %q, %v; want a new admin", email, err)
	}
	if ok, err := bootstrap.CanLogIn(ctx, first, hasher, email, pw); !ok || err != nil {
		t.Fatalf("the created admin cannot log in: %v", err)
	}
	if again, _, err := devAdmin(ctx, first, dir); err != nil || again != email {
		t.Fatalf("second start: %q, %v; want the saved admin", again, err)
	}

	// The database was dropped, the saved login kept: a new admin replaces it.
	second := testenv.NewStore(t)
	email2, pw2, err := devAdmin(ctx, second, dir)
	if err != nil || email2 == "" || pw2 == pw {
		t.Fatalf("new database: %q, %v; want a new admin with a new password", email2, err)
	}
	saved, _ := os.ReadFile(credFile)
	if strings.TrimSpace(string(saved)) != email2+" "+pw2 {
		t.Fatalf("saved login %q is not the new admin's", saved)
	}

	// The saved login does not match the admin the database has: nothing to show...
	if err := os.WriteFile(credFile, []byte(email2+" wrong-password-entirely\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if shown, _, err := devAdmin(ctx, second, dir); err != nil || shown != "" {
		t.Fatalf("mismatched login: %q, %v; want nothing shown", shown, err)
	}
	// ...until the password is reset and saved, as the message says.
	newPW, err := bootstrap.ResetAdminPassword(ctx, second, hasher, email2)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(credFile, []byte(email2+" "+newPW+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if shown, shownPW, err := devAdmin(ctx, second, dir); err != nil || shown != email2 || shownPW != newPW {
		t.Fatalf("after reset-admin: %q, %v; want the reset login", shown, err)
	}
	if ok, _ := bootstrap.CanLogIn(ctx, second, hasher, email2, pw2); ok {
		t.Fatal("the old password still works after a reset")
	}
}
