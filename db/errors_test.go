package db_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"syscall"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/bankforge/bank/db"
)

// An outage is told from a refusal: what a down, restarting or unreachable server gives is
// unavailable; what a server that answered gives is not.
func TestIsUnavailable(t *testing.T) {
	reset := &net.OpError{Op: "read", Net: "tcp", Err: syscall.ECONNRESET}
	for _, c := range []struct {
		name string
		err  error
		want bool
	}{
		{"nil", nil, false},
		{"connection reset", fmt.Errorf("get transfer: %w", reset), true},
		{"connection dropped mid-message", fmt.Errorf("load session: %w", io.ErrUnexpectedEOF), true},
		{"connect failed", &pgconn.ConnectError{}, true},
		{"server shutting down", &pgconn.PgError{Code: "57P01"}, true},
		{"server crashed", &pgconn.PgError{Code: "57P02"}, true},
		{"server starting up", fmt.Errorf("connect: %w", &pgconn.PgError{Code: "57P03"}), true},
		{"too many connections", &pgconn.PgError{Code: "53300"}, true},
		{"connection failure", &pgconn.PgError{Code: "08006"}, true},
		{"connection closed by the driver", fmt.Errorf("begin: %w", pgconn.ErrConnClosed), true},
		{"unique violation", &pgconn.PgError{Code: "23505"}, false},
		{"serialization failure", &pgconn.PgError{Code: "40001"}, false},
		{"bad password at connect", &pgconn.PgError{Code: "28P01"}, false},
		{"no rows", pgx.ErrNoRows, false},
		{"canceled by the client", context.Canceled, false},
		{"a bug", errors.New("nil map"), false},
	} {
		if got := db.IsUnavailable(c.err); got != c.want {
			t.Errorf("%s: IsUnavailable(%v) = %v, want %v", c.name, c.err, got, c.want)
		}
	}
}
