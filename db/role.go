package db

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// appGrants is everything the application's role may do in the bank's database, applied after every
// migration so that tables added later are covered: read and write the tables, append to the ledger's
// history (never change it; a posting's id and time are the database's), read the currencies and the
// schema version, draw from the sequences. Not granted, so refused: TRUNCATE, REFERENCES, TRIGGER,
// CREATE in the schema, temporary tables (which could shadow a table the ledger's triggers read) and
// ownership, without which no ALTER, DROP or DISABLE TRIGGER. {role} is an identifier. The
// database's own privileges are appDatabaseGrants.
const appGrants = `
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
REVOKE ALL ON ALL TABLES IN SCHEMA public FROM {role};
REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM {role};
REVOKE ALL ON SCHEMA public FROM {role};
GRANT USAGE ON SCHEMA public TO {role};
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {role};
REVOKE INSERT, UPDATE, DELETE ON postings, ledger_transactions, currencies, schema_migrations FROM {role};
GRANT INSERT ON ledger_transactions TO {role};
GRANT INSERT (transaction_id, account_id, amount, currency, balance_after) ON postings TO {role};
GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO {role};
`

// appDatabaseGrants are the application role's privileges on the database itself: connect, and no
// temporary tables. A database created from a template does not copy them.
const appDatabaseGrants = `
REVOKE TEMPORARY ON DATABASE {database} FROM PUBLIC;
REVOKE ALL ON DATABASE {database} FROM {role};
GRANT CONNECT ON DATABASE {database} TO {role};
`

// PostgreSQL error codes of concurrent changes to the cluster's roles.
const (
	codeDuplicateObject = "42710" // CREATE ROLE of a role created meanwhile
	codeInternalError   = "XX000" // "tuple concurrently updated": two ALTER ROLE at once
)

// SetUpAppRole makes role the application's login role with password: it creates the role when the
// cluster lacks it (roles are cluster-wide; concurrent calls from several databases are safe), sets
// its password, and grants it in conn's database only what the application needs (appGrants). conn
// connects as the database's owner, which may create roles. It refuses a role that could act as
// the owner or has any attribute beyond LOGIN.
func SetUpAppRole(ctx context.Context, conn DBTX, role, password string) error {
	if role == "" || password == "" {
		return errors.New("the application's role needs a name and a password")
	}
	var owner, database string
	if err := conn.QueryRow(ctx, "SELECT current_user, current_database()").Scan(&owner, &database); err != nil {
		return fmt.Errorf("look up owner: %w", err)
	}
	if role == owner {
		return fmt.Errorf("the application's role %q must not be the owner that migrates", role)
	}
	for attempt := 1; ; attempt++ {
		err := ensureLoginRole(ctx, conn, role, password)
		if err == nil {
			break
		}
		if attempt == 5 || !(isCode(err, codeDuplicateObject) || isCode(err, codeUniqueViolation) || isCode(err, codeInternalError)) {
			return err
		}
		time.Sleep(time.Duration(attempt) * 50 * time.Millisecond)
	}

	var elevated, actsAsOwner bool
	if err := conn.QueryRow(ctx, `SELECT rolsuper OR rolcreaterole OR rolcreatedb OR rolreplication OR rolbypassrls,
		pg_has_role(rolname, current_user, 'MEMBER')
		FROM pg_roles WHERE rolname = $1`, role).Scan(&elevated, &actsAsOwner); err != nil {
		return fmt.Errorf("look up role %s: %w", role, err)
	}
	if elevated || actsAsOwner {
		return fmt.Errorf("role %s may do more than the application needs (superuser, createrole, createdb, replication, bypassrls or membership of %s): remove that first", role, owner)
	}

	if err := GrantAppDatabase(ctx, conn, database, role); err != nil {
		return err
	}
	grants := strings.ReplaceAll(appGrants, "{role}", pgx.Identifier{role}.Sanitize())
	// One simple-protocol query: its statements run in one transaction.
	if _, err := conn.Exec(ctx, grants); err != nil {
		return fmt.Errorf("grant %s: %w", role, err)
	}
	var owned int
	if err := conn.QueryRow(ctx, `SELECT count(*) FROM pg_class c JOIN pg_roles r ON r.oid = c.relowner
		WHERE c.relnamespace = 'public'::regnamespace AND r.rolname = $1`, role).Scan(&owned); err != nil {
		return fmt.Errorf("look up what %s owns: %w", role, err)
	}
	if owned > 0 {
		return fmt.Errorf("role %s owns %d relations of schema public: reassign them to %s", role, owned, owner)
	}
	return nil
}

// ensureLoginRole creates role, or updates it, as a login role with password. The statement is
// formatted by the server (%I, %L), which quotes the name and the password.
func ensureLoginRole(ctx context.Context, conn DBTX, role, password string) error {
	var exists bool
	if err := conn.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = $1)", role).Scan(&exists); err != nil {
		return fmt.Errorf("look up role %s: %w", role, err)
	}
	format := "ALTER ROLE %I WITH LOGIN PASSWORD %L"
	if !exists {
		format = "CREATE ROLE %I WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS PASSWORD %L"
	}
	var stmt string
	if err := conn.QueryRow(ctx, "SELECT format($1::text, $2::text, $3::text)", format, role, password).Scan(&stmt); err != nil {
		return fmt.Errorf("format role statement: %w", err)
	}
	if _, err := conn.Exec(ctx, stmt); err != nil {
		return fmt.Errorf("set up role %s: %w", role, err)
	}
	return nil
}

// GrantAppDatabase gives role, the application's, its privileges on database itself (see
// SetUpAppRole, which calls it); conn may be connected to any database of the server.
func GrantAppDatabase(ctx context.Context, conn DBTX, database, role string) error {
	grants := strings.NewReplacer("{role}", pgx.Identifier{role}.Sanitize(), "{database}", pgx.Identifier{database}.Sanitize()).Replace(appDatabaseGrants)
	if _, err := conn.Exec(ctx, grants); err != nil {
		return fmt.Errorf("grant %s on database %s: %w", role, database, err)
	}
	return nil
}
