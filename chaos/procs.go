package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"go.temporal.io/sdk/client"
)

// proc is one process of the system under test. It can be killed with SIGKILL and started again
// with the same command; its output goes to one log file across its lives.
type proc struct {
	name  string
	path  string
	args  []string
	env   []string
	log   string
	ready func(ctx context.Context) error
	// exited receives the name of a process that ended without being told to.
	exited chan<- string

	mu       sync.Mutex
	cmd      *exec.Cmd
	done     chan struct{}
	expected bool
	// starting is set while start runs: a life that ends then is start's to retry, not reported on
	// exited, so that one restart never turns into several at once.
	starting bool
}

// start launches the process and waits until it is ready. A process that exits before it is ready
// (a dependency it needs at start is down) is launched again until timeout.
func (p *proc) start(ctx context.Context, timeout time.Duration) error {
	p.mu.Lock()
	p.starting = true
	p.mu.Unlock()
	defer p.started()
	deadline := time.Now().Add(timeout)
	for {
		err := p.launch()
		if err == nil {
			err = p.waitReady(ctx, deadline)
		}
		if err == nil {
			return nil
		}
		p.kill()
		if time.Now().After(deadline) || ctx.Err() != nil {
			return fmt.Errorf("%s: %w", p.name, err)
		}
		select {
		case <-ctx.Done():
		case <-time.After(500 * time.Millisecond):
		}
	}
}

// started ends a start: a life that ended unexpectedly after it was found ready, and before now,
// is reported as any other.
func (p *proc) started() {
	p.mu.Lock()
	p.starting = false
	done, expected := p.done, p.expected
	p.mu.Unlock()
	if done == nil || expected || p.exited == nil {
		return
	}
	select {
	case <-done:
		select {
		case p.exited <- p.name:
		default:
		}
	default:
	}
}

func (p *proc) launch() error {
	out, err := os.OpenFile(p.log, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	defer out.Close()
	cmd := exec.Command(p.path, p.args...)
	p.mu.Lock()
	cmd.Env = p.env
	p.mu.Unlock()
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = procAttr()
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start %s: %w", p.name, err)
	}
	done := make(chan struct{})
	p.mu.Lock()
	p.cmd, p.done, p.expected = cmd, done, false
	p.mu.Unlock()
	go func() {
		_ = cmd.Wait()
		p.mu.Lock()
		expected, starting := p.expected, p.starting
		p.mu.Unlock()
		close(done)
		if !expected && !starting && p.exited != nil {
			select {
			case p.exited <- p.name:
			default:
			}
		}
	}()
	return nil
}

func (p *proc) waitReady(ctx context.Context, deadline time.Time) error {
	p.mu.Lock()
	done := p.done
	p.mu.Unlock()
	var last error
	for time.Now().Before(deadline) {
		rctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		last = p.ready(rctx)
		cancel()
		if last == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-done:
			return fmt.Errorf("exited before it was ready (last check: %v)", last)
		case <-time.After(200 * time.Millisecond):
		}
	}
	return fmt.Errorf("not ready in time: %v", last)
}

// setEnv sets the environment of the process's next start.
func (p *proc) setEnv(env []string) {
	p.mu.Lock()
	p.env = env
	p.mu.Unlock()
}

// running reports whether the process is alive.
func (p *proc) running() bool {
	p.mu.Lock()
	done := p.done
	p.mu.Unlock()
	if done == nil {
		return false
	}
	select {
	case <-done:
		return false
	default:
		return true
	}
}

// kill ends the process at once with SIGKILL and waits for it.
func (p *proc) kill() { p.signal(syscall.SIGKILL, 0) }

// stop asks the process to end (SIGTERM) and kills it after a grace period.
func (p *proc) stop() { p.signal(syscall.SIGTERM, 15*time.Second) }

func (p *proc) signal(sig syscall.Signal, grace time.Duration) {
	p.mu.Lock()
	cmd, done := p.cmd, p.done
	p.expected = true
	p.mu.Unlock()
	if cmd == nil {
		return
	}
	_ = cmd.Process.Signal(sig)
	if grace > 0 {
		select {
		case <-done:
			return
		case <-time.After(grace):
			_ = cmd.Process.Kill()
		}
	}
	<-done
}

// withEnv returns env with the given NAME=value pairs set, replacing earlier values.
func withEnv(env []string, pairs ...string) []string {
	out := slices.Clone(env)
	for _, kv := range pairs {
		name, _, _ := strings.Cut(kv, "=")
		out = slices.DeleteFunc(out, func(e string) bool { return strings.HasPrefix(e, name+"=") })
		out = append(out, kv)
	}
	return out
}

func httpReady(url string) func(context.Context) error {
	return func(ctx context.Context) error {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return err
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return err
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("%s: status %d", url, resp.StatusCode)
		}
		return nil
	}
}

func tcpReady(addr string) func(context.Context) error {
	return func(ctx context.Context) error {
		var d net.Dialer
		c, err := d.DialContext(ctx, "tcp", addr)
		if err != nil {
			return err
		}
		return c.Close()
	}
}

func temporalReady(addr string) func(context.Context) error {
	return func(ctx context.Context) error {
		c, err := client.DialContext(ctx, client.Options{HostPort: addr, Logger: quietLogger{}})
		if err != nil {
			return err
		}
		defer c.Close()
		_, err = c.CheckHealth(ctx, &client.CheckHealthRequest{})
		return err
	}
}

type quietLogger struct{}

func (quietLogger) Debug(string, ...any) {}
func (quietLogger) Info(string, ...any)  {}
func (quietLogger) Warn(string, ...any)  {}
func (quietLogger) Error(string, ...any) {}
