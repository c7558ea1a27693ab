package backends

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"testing"
	"time"
)

var discard = slog.New(slog.NewTextHandler(io.Discard, nil))

func TestUntilUp_RetriesUntilTheServersAnswer(t *testing.T) {
	calls := 0
	err := untilUp(context.Background(), discard, 10*time.Second, func(context.Context) error {
		calls++
		if calls < 3 {
			return errors.New("connection refused")
		}
		return nil
	})
	if err != nil || calls != 3 {
		t.Fatalf("untilUp: %v after %d calls; want success on the third", err, calls)
	}
}

func TestUntilUp_StopsAtOnceOnAPermanentFailure(t *testing.T) {
	calls := 0
	notMigrated := errors.New("the database is not migrated")
	err := untilUp(context.Background(), discard, 10*time.Second, func(context.Context) error {
		calls++
		return permanentError{notMigrated}
	})
	if !errors.Is(err, notMigrated) || calls != 1 {
		t.Fatalf("untilUp: %v after %d calls; want the permanent failure after one", err, calls)
	}
}

func TestUntilUp_GivesUpAfterItsWait(t *testing.T) {
	calls := 0
	start := time.Now()
	err := untilUp(context.Background(), discard, 600*time.Millisecond, func(context.Context) error {
		calls++
		return errors.New("connection refused")
	})
	if err == nil || calls < 2 {
		t.Fatalf("untilUp: %v after %d calls; want the last failure after a few", err, calls)
	}
	if elapsed := time.Since(start); elapsed > 5*time.Second {
		t.Fatalf("untilUp gave up after %s; its wait was 600ms", elapsed)
	}
}

func TestConnectWhenUp_RefusesAMalformedDatabaseURLAtOnce(t *testing.T) {
	start := time.Now()
	_, _, err := ConnectWhenUp(context.Background(), Config{DatabaseURL: "postgres://%zz"}, discard, Telemetry{}, time.Minute)
	if err == nil || time.Since(start) > 5*time.Second {
		t.Fatalf("ConnectWhenUp: %v after %s; want a refusal at once", err, time.Since(start))
	}
}
