package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/coder/websocket"

	"github.com/bankforge/bank/db"
	"github.com/bankforge/bank/domain"
)

// socketResult is what the live events load check measured.
type socketResult struct {
	Sockets, Users int
	OpenTook       time.Duration
	// RSS of the API process before the sockets opened and with all of them open, in bytes.
	RSSBefore, RSSOpen int64
	// AppendTook is how long the events took to commit, one transaction per user, 16 at once.
	AppendTook time.Duration
	Delivered  int
	// Latencies from each event's commit to its socket's receipt.
	P50, P99, Max time.Duration
	// AllWithin is from the first event's append to the last socket's receipt.
	AllWithin time.Duration
}

// socketLoad opens perUser live event sockets (GET /v1/ws) per customer on the running stack,
// appends one event per customer as the worker's steps do (db.Event: a transaction that appends it and
// notifies), and measures how long each takes to reach its socket and what the open sockets cost
// the API process in memory.
func socketLoad(ctx context.Context, logger *slog.Logger, b *bank, customers []customer, perUser int) (socketResult, error) {
	res := socketResult{Sockets: len(customers) * perUser, Users: len(customers)}
	// A fresh API process, so that what the logins' password hashes left in its memory does not
	// count: the sessions are in the database, the tokens stay valid.
	restart, err := b.stack.Kill("api")
	if err != nil {
		return res, err
	}
	if err := restart(); err != nil {
		return res, fmt.Errorf("restart api: %w", err)
	}
	if err := waitReady(ctx, b.stack.APIURL+"/readyz"); err != nil {
		return res, err
	}
	time.Sleep(time.Second)
	apiPID := childPID("api")
	res.RSSBefore = rss(apiPID)

	type socket struct {
		conn *websocket.Conn
		got  chan time.Time
	}
	sockets := make([]socket, res.Sockets) // socket i is customer i / perUser's
	url := "ws" + strings.TrimPrefix(b.stack.APIURL, "http") + "/v1/ws"
	dialer := &http.Client{Transport: &http.Transport{}}
	openStart := time.Now()
	err = forEach(ctx, len(sockets), 32, func(ctx context.Context, i int) error {
		c, _, err := websocket.Dial(ctx, url, &websocket.DialOptions{
			HTTPClient: dialer, Subprotocols: []string{"bearer", customers[i/perUser].api.Token},
		})
		if err != nil {
			return fmt.Errorf("open socket %d: %w", i, err)
		}
		sockets[i] = socket{conn: c, got: make(chan time.Time, 1)}
		return nil
	})
	defer func() {
		for _, s := range sockets {
			if s.conn != nil {
				s.conn.CloseNow()
			}
		}
	}()
	if err != nil {
		return res, err
	}
	res.OpenTook = time.Since(openStart)
	logger.Info("sockets open", "count", len(sockets), "took", res.OpenTook.Round(time.Millisecond))

	var readers sync.WaitGroup
	readCtx, stopReading := context.WithCancel(ctx)
	defer func() {
		stopReading()
		readers.Wait()
	}()
	for _, s := range sockets {
		readers.Add(1)
		go func() {
			defer readers.Done()
			for {
				if _, _, err := s.conn.Read(readCtx); err != nil {
					return
				}
				select {
				case s.got <- time.Now():
				default:
				}
			}
		}()
	}
	time.Sleep(2 * time.Second) // every socket subscribed; the heap settles
	res.RSSOpen = rss(apiPID)

	committed := make([]time.Time, len(customers))
	appendStart := time.Now()
	err = forEach(ctx, len(customers), 16, func(ctx context.Context, i int) error {
		err := b.store.AppendUserEventsTx(ctx, db.Event{
			UserID: customers[i].userID, Key: "bench/" + customers[i].userID.String(), Type: domain.EventNotificationCreated,
			Data: map[string]any{"id": "bench", "kind": "bench", "title": "Load check", "body": "One event per socket."},
		})
		committed[i] = time.Now()
		return err
	})
	if err != nil {
		return res, fmt.Errorf("append events: %w", err)
	}
	res.AppendTook = time.Since(appendStart)

	var latencies []time.Duration
	deadline := time.After(30 * time.Second)
	var last time.Time
	for i, s := range sockets {
		select {
		case at := <-s.got:
			latencies = append(latencies, max(at.Sub(committed[i/perUser]), 0))
			if at.After(last) {
				last = at
			}
		case <-deadline:
		case <-ctx.Done():
			return res, ctx.Err()
		}
	}
	res.Delivered = len(latencies)
	if res.Delivered < len(sockets) {
		return res, fmt.Errorf("%d of %d sockets received their event within 30 s", res.Delivered, len(sockets))
	}
	slices.Sort(latencies)
	res.P50, res.P99, res.Max = latencies[len(latencies)/2], latencies[len(latencies)*99/100], latencies[len(latencies)-1]
	res.AllWithin = last.Sub(appendStart)
	return res, nil
}

func (r socketResult) print(w io.Writer) {
	fmt.Fprintf(w, "Live events (GET /v1/ws): %d sockets of %d users, on one API process\n", r.Sockets, r.Users)
	fmt.Fprintf(w, "  opened in            %s\n", r.OpenTook.Round(time.Millisecond))
	fmt.Fprintf(w, "  API RSS              %.1f MiB before, %.1f MiB with every socket open\n", mib(r.RSSBefore), mib(r.RSSOpen))
	if r.Sockets > 0 && r.RSSOpen > 0 {
		fmt.Fprintf(w, "  memory per socket    %.1f KiB (RSS growth / sockets)\n", float64(r.RSSOpen-r.RSSBefore)/1024/float64(r.Sockets))
	}
	fmt.Fprintf(w, "  events appended in   %s (one per user, each its own transaction, 16 at once)\n", r.AppendTook.Round(time.Millisecond))
	fmt.Fprintf(w, "  delivered            %d of %d\n", r.Delivered, r.Sockets)
	fmt.Fprintf(w, "  commit -> socket     p50 %s, p99 %s, max %s\n", r.P50.Round(time.Millisecond), r.P99.Round(time.Millisecond), r.Max.Round(time.Millisecond))
	fmt.Fprintf(w, "  first append -> last receipt  %s\n", r.AllWithin.Round(time.Millisecond))
}

func mib(b int64) float64 { return float64(b) / (1 << 20) }

// childPID returns the pid of this process's child named comm, or 0.
func childPID(comm string) int {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return 0
	}
	self := os.Getpid()
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		raw, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		s := string(raw)
		open, end := strings.IndexByte(s, '('), strings.LastIndexByte(s, ')')
		if open < 0 || end < open {
			continue
		}
		fields := strings.Fields(s[end+1:])
		if len(fields) < 2 {
			continue
		}
		if ppid, _ := strconv.Atoi(fields[1]); ppid == self && s[open+1:end] == comm {
			return pid
		}
	}
	return 0
}

// rss is a process's resident memory in bytes (VmRSS in /proc/<pid>/status), or 0 where unknown.
func rss(pid int) int64 {
	if pid == 0 {
		return 0
	}
	raw, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(raw), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return kb * 1024
		}
	}
	return 0
}

// waitReady polls url until it answers 200, for at most a minute.
func waitReady(ctx context.Context, url string) error {
	deadline := time.Now().Add(time.Minute)
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return err
		}
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s did not become ready", url)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}
