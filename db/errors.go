package db

import (
	"errors"
	"io"
	"net"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// ErrNotFound is returned for a row that does not exist (or is not visible to the caller).
var ErrNotFound = errors.New("not found")

// Why a user cannot be created with an email: a user has it (final; CreateStaffTx's answer too),
// or the pending user of another registration still running has it, and may yet give it up (try
// again).
var (
	ErrEmailTaken = errors.New("email taken")
	ErrEmailHeld  = errors.New("email held by a registration in progress")
)

// PostgreSQL error codes this service reacts to.
const (
	codeUniqueViolation      = "23505"
	codeCheckViolation       = "23514"
	codeSerializationFailure = "40001"
	codeDeadlockDetected     = "40P01"
	codeUndefinedTable       = "42P01"
)

// NotFound maps pgx's no-rows error to ErrNotFound and leaves every other error as it is.
func NotFound(err error) error {
	if errors.Is(err, pgx.ErrNoRows) {
		return ErrNotFound
	}
	return err
}

// IsUniqueViolation reports whether err is a unique-constraint violation, optionally of one of the
// named constraints.
func IsUniqueViolation(err error, constraints ...string) bool {
	return isCode(err, codeUniqueViolation, constraints...)
}

// IsCheckViolation reports whether err is a CHECK-constraint violation, optionally of one of the
// named constraints.
func IsCheckViolation(err error, constraints ...string) bool {
	return isCode(err, codeCheckViolation, constraints...)
}

// IsCode reports whether err is a PostgreSQL error with the given SQLSTATE.
func IsCode(err error, sqlstate string) bool { return isCode(err, sqlstate) }

// IsUnavailable reports whether err means PostgreSQL could not be reached or dropped the
// connection: the server is down, restarting or still recovering, refuses more connections, or the
// network to it failed or timed out. The failure is the outage's, not the request's; the same
// request may succeed later. An error the server answered (a constraint, a bad password) is not.
func IsUnavailable(err error) bool {
	var pgErr *pgconn.PgError
	var connectErr *pgconn.ConnectError
	var netErr net.Error
	switch {
	case err == nil:
		return false
	case errors.As(err, &pgErr):
		// Class 08, connection exception; 57P01-03, the server shutting down, crashed or starting;
		// 53300, too many connections.
		return strings.HasPrefix(pgErr.Code, "08") || pgErr.Code == "57P01" || pgErr.Code == "57P02" ||
			pgErr.Code == "57P03" || pgErr.Code == "53300"
	case errors.As(err, &connectErr), errors.As(err, &netErr), pgconn.Timeout(err):
		return true
	}
	return errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, pgconn.ErrConnClosed)
}

// IsRetryable reports whether err is a transient conflict that a new transaction may not meet.
func IsRetryable(err error) bool {
	return isCode(err, codeSerializationFailure) || isCode(err, codeDeadlockDetected)
}

func isCode(err error, code string, constraints ...string) bool {
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) || pgErr.Code != code {
		return false
	}
	if len(constraints) == 0 {
		return true
	}
	for _, c := range constraints {
		if pgErr.ConstraintName == c {
			return true
		}
	}
	return false
}
