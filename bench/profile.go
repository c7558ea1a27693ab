package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
)

// profile takes, while a fixed-rate run goes on, a CPU profile of the API and of the worker over
// the run's middle (from 2 s in to 1 s before its end, leaving out the ramp and the drain), then
// their allocation profiles, into cfg.profileDir as <process>.cpu.pprof and <process>.allocs.pprof
// (read them with `go tool pprof -top bin/api DIR/api.cpu.pprof`); the Mongo wire server's too
// (MONGOWIRE_PPROF). The channel it returns yields
// once, when the profiles are written or failed; at once with nil when no -profile was asked for.
func profile(ctx context.Context, logger *slog.Logger, cfg config, b *bank) <-chan error {
	done := make(chan error, 1)
	if cfg.profileDir == "" {
		done <- nil
		return done
	}
	go func() {
		if err := os.MkdirAll(cfg.profileDir, 0o755); err != nil {
			done <- err
			return
		}
		select {
		case <-ctx.Done():
			done <- ctx.Err()
			return
		case <-time.After(2 * time.Second):
		}
		stmts, err := startStatementStats(ctx, b.ownerURL)
		if err != nil {
			logger.Warn("no statement statistics (pg_stat_statements is not in shared_preload_libraries)", "error", err)
		}
		seconds := int((cfg.duration - 3*time.Second).Seconds())
		procs := map[string]string{"api": b.stack.APIMetricsURL, "worker": b.stack.WorkerMetricsURL, "mongowire": b.mongoProfileURL}
		errs := make(chan error, len(procs))
		for name, metricsURL := range procs {
			base := strings.TrimSuffix(metricsURL, "/metrics") + "/debug/pprof/"
			go func() {
				err := fetchProfile(ctx, fmt.Sprintf("%sprofile?seconds=%d", base, seconds), filepath.Join(cfg.profileDir, name+".cpu.pprof"))
				if err == nil {
					err = fetchProfile(ctx, base+"allocs", filepath.Join(cfg.profileDir, name+".allocs.pprof"))
				}
				errs <- err
			}()
		}
		for range procs {
			err = errors.Join(err, <-errs)
		}
		if stmts != nil {
			err = errors.Join(err, stmts(filepath.Join(cfg.profileDir, "pg_statements.txt")))
		}
		if err == nil {
			logger.Info("profiles written", "dir", cfg.profileDir, "cpu_seconds", seconds)
		}
		done <- err
	}()
	return done
}

// startStatementStats resets pg_stat_statements in the run's database and returns the function
// that writes, at the end, the statements that took the most time since, with their calls and
// mean time. It fails where the server does not load the extension.
func startStatementStats(ctx context.Context, ownerURL string) (func(path string) error, error) {
	conn, err := pgx.Connect(ctx, ownerURL)
	if err != nil {
		return nil, err
	}
	if _, err := conn.Exec(ctx, `CREATE EXTENSION IF NOT EXISTS pg_stat_statements`); err != nil {
		conn.Close(ctx)
		return nil, err
	}
	if _, err := conn.Exec(ctx, `SELECT pg_stat_statements_reset()`); err != nil {
		conn.Close(ctx)
		return nil, err
	}
	return func(path string) error {
		defer conn.Close(context.WithoutCancel(ctx))
		rows, err := conn.Query(ctx, `
			SELECT calls, round(total_exec_time::numeric, 1), round(mean_exec_time::numeric, 3), rows,
			       regexp_replace(query, '\s+', ' ', 'g')
			FROM pg_stat_statements
			WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
			ORDER BY total_exec_time DESC LIMIT 40`)
		if err != nil {
			return err
		}
		var out strings.Builder
		fmt.Fprintf(&out, "%8s %10s %9s %8s  %s\n", "calls", "total_ms", "mean_ms", "rows", "query")
		for rows.Next() {
			var calls, nrows int64
			var total, mean pgtype.Numeric
			var query string
			if err := rows.Scan(&calls, &total, &mean, &nrows, &query); err != nil {
				return err
			}
			t, _ := total.Float64Value()
			m, _ := mean.Float64Value()
			fmt.Fprintf(&out, "%8d %10.1f %9.3f %8d  %.200s\n", calls, t.Float64, m.Float64, nrows, query)
		}
		if err := rows.Err(); err != nil {
			return err
		}
		return os.WriteFile(path, []byte(out.String()), 0o644)
	}, nil
}

func fetchProfile(ctx context.Context, url, path string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return fmt.Errorf("%s: %s: %s", url, resp.Status, b)
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, resp.Body); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
