// Command mongowire serves the MongoDB wire protocol for development and tests.
//
// It embeds FerretDB, storing documents in SQLite files under a directory (the default) or in a
// PostgreSQL database, so the audit log and notifications survive restarts without a MongoDB server.
// It lives in a module of its own so that FerretDB's dependencies never mix with the service's.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/pprof"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/FerretDB/FerretDB/ferretdb"
)

func main() {
	logger := slog.New(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	if err := run(logger, os.Args[1:]); err != nil {
		logger.Error("mongowire stopped", "error", err)
		os.Exit(1)
	}
}

func run(logger *slog.Logger, args []string) error {
	fs := flag.NewFlagSet("mongowire", flag.ContinueOnError)
	listen := fs.String("listen", "127.0.0.1:27017", "TCP address to serve the MongoDB wire protocol on")
	dir := fs.String("sqlite-dir", ".dev/mongo", "directory of the SQLite files (sqlite handler)")
	pgURL := fs.String("postgresql-url", "", "store in this PostgreSQL database instead of SQLite")
	// NORMAL: a commit writes the SQLite write-ahead log without waiting for the disk, which it
	// syncs at checkpoints. A crash of the process loses nothing; a crash of the machine may lose the
	// last writes, as MongoDB's default write concern (a journal flush every 100 ms) and the
	// Temporal development server's SQLite store may. FULL syncs every commit.
	synchronous := fs.String("sqlite-synchronous", "normal", "SQLite's synchronous setting: normal or full")
	if err := fs.Parse(args); err != nil {
		return err
	}

	cfg := ferretdb.Config{
		Listener: ferretdb.ListenerConfig{TCP: *listen},
		Logger:   logger,
	}
	if *pgURL != "" {
		cfg.Handler = "postgresql"
		cfg.PostgreSQLURL = *pgURL
	} else {
		abs, err := filepath.Abs(*dir)
		if err != nil {
			return fmt.Errorf("sqlite dir: %w", err)
		}
		if err := os.MkdirAll(abs, 0o700); err != nil {
			return fmt.Errorf("sqlite dir: %w", err)
		}
		if *synchronous != "normal" && *synchronous != "full" {
			return fmt.Errorf("-sqlite-synchronous must be normal or full, not %q", *synchronous)
		}
		cfg.Handler = "sqlite"
		cfg.SQLiteURL = "file:" + abs + "/?_pragma=synchronous(" + *synchronous + ")"
	}

	// MONGOWIRE_PPROF=host:port serves Go's runtime profiles there, for profiling under load.
	if addr := os.Getenv("MONGOWIRE_PPROF"); addr != "" {
		mux := http.NewServeMux()
		mux.HandleFunc("/debug/pprof/", pprof.Index)
		mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
		go func() {
			srv := &http.Server{Addr: addr, Handler: mux, ReadHeaderTimeout: 5 * time.Second}
			logger.Warn("profiles served", "addr", addr, "error", srv.ListenAndServe())
		}()
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	f, err := ferretdb.New(&cfg)
	if err != nil {
		return fmt.Errorf("start ferretdb: %w", err)
	}
	done := make(chan error, 1)
	go func() { done <- f.Run(ctx) }()
	// MongoDBURI waits for the listener, so the line below means "ready".
	fmt.Fprintf(os.Stdout, "mongowire ready %s\n", f.MongoDBURI())
	if err := <-done; err != nil && !errors.Is(err, context.Canceled) {
		return err
	}
	return nil
}
