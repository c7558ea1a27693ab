package backends

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// StartupWait is how long a process starting waits for its servers: long enough for a server
// restarting beside it (a database recovering, a cluster electing), short enough that a process
// pointed at the wrong place says so within a minute.
const StartupWait = time.Minute

// ConnectWhenUp is Connect, tried again while a server is not up or answers too slowly, for up to
// wait: a process started with its servers, or while one restarts, waits for them instead of
// exiting and leaving its supervisor to restart it in a loop. A configuration that cannot work (a
// malformed database URL, a database not migrated) ends it at once.
func ConnectWhenUp(ctx context.Context, c Config, logger *slog.Logger, t Telemetry, wait time.Duration) (*Backends, func(), error) {
	if _, err := pgxpool.ParseConfig(c.DatabaseURL); err != nil {
		return nil, nil, fmt.Errorf("parse database url: %w", err)
	}
	var (
		b       *Backends
		closeFn func()
	)
	err := untilUp(ctx, logger, wait, func(ctx context.Context) error {
		var err error
		b, closeFn, err = Connect(ctx, c, logger, t)
		return err
	})
	return b, closeFn, err
}

// permanentError is a start-up failure that waiting does not mend.
type permanentError struct{ error }

func (e permanentError) Unwrap() error { return e.error }

// untilUp runs fn until it succeeds, fails permanently, ctx ends or wait has passed, waiting a
// little longer between attempts each time (from a quarter of a second to five).
func untilUp(ctx context.Context, logger *slog.Logger, wait time.Duration, fn func(context.Context) error) error {
	deadline := time.Now().Add(wait)
	delay := 250 * time.Millisecond
	for attempt := 1; ; attempt++ {
		err := fn(ctx)
		if err == nil {
			if attempt > 1 {
				logger.InfoContext(ctx, "servers up", "attempts", attempt)
			}
			return nil
		}
		var permanent permanentError
		if errors.As(err, &permanent) || ctx.Err() != nil || time.Now().Add(delay).After(deadline) {
			return err
		}
		logger.WarnContext(ctx, "a server is not up; trying again", "attempt", attempt, "retry_in", delay.String(), "error", err)
		select {
		case <-ctx.Done():
			return err
		case <-time.After(delay):
		}
		delay = min(2*delay, 5*time.Second)
	}
}
