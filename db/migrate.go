package db

import (
	"context"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"sort"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

//go:embed migrations/*.up.sql
var migrations embed.FS

// migrateLockID keys the advisory lock that serialises migrators (`bankctl migrate`, run by
// deployments and the development stack).
const migrateLockID = 72_016_001

type migration struct {
	version int
	name    string
	sql     string
}

func loadMigrations() ([]migration, error) {
	entries, err := fs.Glob(migrations, "migrations/*.up.sql")
	if err != nil {
		return nil, fmt.Errorf("list migrations: %w", err)
	}
	out := make([]migration, 0, len(entries))
	for _, path := range entries {
		name := strings.TrimPrefix(path, "migrations/")
		prefix, _, ok := strings.Cut(name, "_")
		if !ok || len(prefix) != 6 {
			return nil, fmt.Errorf("migration %q: name must start with a six-digit version", name)
		}
		version, err := strconv.Atoi(prefix)
		if err != nil {
			return nil, fmt.Errorf("migration %q: %w", name, err)
		}
		body, err := migrations.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("read migration %q: %w", name, err)
		}
		out = append(out, migration{version: version, name: name, sql: string(body)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].version < out[j].version })
	for i, m := range out {
		if m.version != i+1 {
			return nil, fmt.Errorf("migration %q: expected version %06d", m.name, i+1)
		}
	}
	return out, nil
}

// Migrate applies the embedded migrations that the database lacks, each in its own transaction, and
// returns the names of those it applied.
func Migrate(ctx context.Context, pool *pgxpool.Pool) ([]string, error) {
	return migrate(ctx, pool, 0)
}

// migrate applies the embedded migrations that the database lacks up to version upTo, or all of
// them when upTo is 0.
func migrate(ctx context.Context, pool *pgxpool.Pool, upTo int) ([]string, error) {
	all, err := loadMigrations()
	if err != nil {
		return nil, err
	}
	if upTo > 0 && upTo < len(all) {
		all = all[:upTo]
	}
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return nil, fmt.Errorf("acquire connection: %w", err)
	}
	defer conn.Release()

	if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock($1)", migrateLockID); err != nil {
		return nil, fmt.Errorf("lock migrations: %w", err)
	}
	defer func() {
		// A fresh context: the lock must be released even when ctx is done.
		_, _ = conn.Exec(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock($1)", migrateLockID)
	}()

	if _, err := conn.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version integer PRIMARY KEY,
		name text NOT NULL,
		applied_at timestamptz NOT NULL DEFAULT now())`); err != nil {
		return nil, fmt.Errorf("create schema_migrations: %w", err)
	}
	var current int
	if err := conn.QueryRow(ctx, "SELECT COALESCE(max(version), 0) FROM schema_migrations").Scan(&current); err != nil {
		return nil, fmt.Errorf("read schema version: %w", err)
	}
	if current > len(all) {
		return nil, fmt.Errorf("database schema version %d is newer than this binary's %d", current, len(all))
	}

	var applied []string
	for _, m := range all[current:] {
		err := pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, m.sql); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, "INSERT INTO schema_migrations (version, name) VALUES ($1, $2)", m.version, m.name)
			return err
		})
		if err != nil {
			return applied, fmt.Errorf("apply migration %s: %w", m.name, err)
		}
		applied = append(applied, m.name)
	}
	return applied, nil
}

// CheckMigrated returns an error unless the database has every migration this binary embeds: the
// application does not migrate (its role may not), `bankctl migrate` does, before it starts. A
// newer schema is accepted, so that a migration can run before the binaries it serves are rolled out.
func CheckMigrated(ctx context.Context, conn DBTX) error {
	all, err := loadMigrations()
	if err != nil {
		return err
	}
	var current int
	err = conn.QueryRow(ctx, "SELECT COALESCE(max(version), 0) FROM schema_migrations").Scan(&current)
	if isCode(err, codeUndefinedTable) {
		return errors.New("the database is not migrated: run `bankctl migrate`")
	}
	if err != nil {
		return fmt.Errorf("read schema version: %w", err)
	}
	if current < len(all) {
		return fmt.Errorf("the database schema is at version %d, this binary needs %d: run `bankctl migrate`", current, len(all))
	}
	return nil
}

// SchemaDigest identifies what Migrate and SetUpAppRole make of a database: the embedded migrations
// and the application role's grants. Tests key their template database on it.
func SchemaDigest() (string, error) {
	all, err := loadMigrations()
	if err != nil {
		return "", err
	}
	h := sha256.New()
	for _, m := range all {
		fmt.Fprintf(h, "%s\x00%s\x00", m.name, m.sql)
	}
	h.Write([]byte(appGrants + appDatabaseGrants))
	return hex.EncodeToString(h.Sum(nil)), nil
}

// CreateDatabaseIfMissing connects to the server's maintenance database and creates the database
// that databaseURL names, when it does not exist yet.
func CreateDatabaseIfMissing(ctx context.Context, databaseURL string) (created bool, err error) {
	cfg, err := pgx.ParseConfig(databaseURL)
	if err != nil {
		return false, fmt.Errorf("parse database url: %w", err)
	}
	name := cfg.Database
	if name == "" {
		return false, fmt.Errorf("database url names no database")
	}
	cfg.Database = "postgres"
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return false, fmt.Errorf("connect to server: %w", err)
	}
	defer conn.Close(context.WithoutCancel(ctx))

	var exists bool
	if err := conn.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", name).Scan(&exists); err != nil {
		return false, fmt.Errorf("look up database: %w", err)
	}
	if exists {
		return false, nil
	}
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		if IsUniqueViolation(err) { // created meanwhile by another process
			return false, nil
		}
		return false, fmt.Errorf("create database %s: %w", name, err)
	}
	return true, nil
}
