package main

import (
	"context"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/bankforge/bank/dev/composefile"
)

func TestMigrate_RefusesAnApplicationRoleItCannotSetUp(t *testing.T) {
	const owner = "postgres://postgres@127.0.0.1:5432/bank"
	for app, want := range map[string]string{
		"postgres://bank_app@127.0.0.1:5432/bank":          "no password",
		"postgres://bank_app:pw@127.0.0.1:5432/other":      "names database",
		"postgres://postgres:pw@127.0.0.1:5432/bank":       "its own role",
		"postgres://bank_app:pw@127.0.0.1:5432/bank?x=%zz": "DATABASE_URL",
	} {
		code, err := migrate(context.Background(), owner, app)
		if code != 2 || err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("migrate with DATABASE_URL %s = %d, %v; want 2 and an error with %q", app, code, err, want)
		}
	}
}

// The compose stack migrates as the owner, once, before the api and the worker start, and those
// connect as the role the migration sets up.
func TestCompose_MigrateService(t *testing.T) {
	f, err := composefile.Load(filepath.Join("..", "..", "docker-compose.yml"))
	if err != nil {
		t.Fatal(err)
	}
	m, ok := f.Services["migrate"]
	if !ok {
		t.Fatal("no migrate service")
	}
	if len(m.Command) != 1 || m.Command[0] != "migrate" {
		t.Errorf("migrate service runs %v; want [migrate]", m.Command)
	}
	if m.DependsOn["postgres"]["condition"] != "service_healthy" {
		t.Error("migrate does not wait for postgres to be healthy")
	}
	// Compose substitutes ${...} from the operator's environment.
	substitute := regexp.MustCompile(`\$\{[^}]*\}`).ReplaceAllString
	owner, err := pgx.ParseConfig(substitute(m.Environment["MIGRATE_DATABASE_URL"], "secret"))
	if err != nil {
		t.Fatalf("MIGRATE_DATABASE_URL: %v", err)
	}
	app, err := pgx.ParseConfig(substitute(m.Environment["DATABASE_URL"], "secret"))
	if err != nil {
		t.Fatalf("DATABASE_URL: %v", err)
	}
	if owner.User != "postgres" || app.User == owner.User || app.Password == "" || app.Database != owner.Database {
		t.Errorf("migrate connects as %s and sets up %s on %s/%s; want the owner postgres and another role with a password on one database",
			owner.User, app.User, owner.Database, app.Database)
	}
	for _, name := range []string{"api-1", "api-2", "worker-1", "worker-2"} {
		svc := f.Services[name]
		if svc.Environment["DATABASE_URL"] != m.Environment["DATABASE_URL"] {
			t.Errorf("%s connects with %q, not the role migrate sets up", name, svc.Environment["DATABASE_URL"])
		}
		if svc.DependsOn["migrate"]["condition"] != "service_completed_successfully" {
			t.Errorf("%s does not wait for the migration to succeed", name)
		}
	}
}

// seed-scale refuses flags it cannot use before it connects to anything.
func TestSeedScale_RefusesBadFlags(t *testing.T) {
	for _, args := range [][]string{{"-customers", "many"}, {"-postings"}, {"extra"}, {"-nope"}} {
		var out, errOut strings.Builder
		code, err := seedScale(context.Background(), args, "postgres://nobody@127.0.0.1:1/none", "mongodb://127.0.0.1:1/", "bank", &out, &errOut)
		if code != 2 || err == nil {
			t.Errorf("seed-scale %v = %d, %v; want 2 and an error", args, code, err)
		}
	}
}
