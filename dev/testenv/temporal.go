package testenv

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"go.temporal.io/api/operatorservice/v1"
	"go.temporal.io/sdk/client"

	"github.com/bankforge/bank/dev/stack"
	"github.com/bankforge/bank/workflows"
)

// Temporal starts a Temporal dev server for t, its state in memory, with the search attributes the
// bank's workflows set registered on its default namespace, and returns its address. It stops when
// t ends.
func Temporal(t testing.TB) string {
	t.Helper()
	bin := Tool(t, "temporal")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	addr, stop, err := StartTemporal(ctx, bin, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stop)
	return addr
}

// StartTemporal starts the Temporal dev server bin (the temporal CLI), logging into dir, and
// returns its address once it answers and has the bank's search attributes, and the function that
// stops it.
func StartTemporal(ctx context.Context, bin, dir string) (string, func(), error) {
	port, err := stack.FreePort()
	if err != nil {
		return "", nil, err
	}
	addr := "127.0.0.1:" + strconv.Itoa(port)
	logFile, err := os.Create(filepath.Join(dir, "temporal.log"))
	if err != nil {
		return "", nil, err
	}
	defer logFile.Close()
	cmd := exec.Command(bin, "server", "start-dev", "--headless", "--ip", "127.0.0.1", "--port", strconv.Itoa(port),
		"--log-level", "warn")
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.SysProcAttr = procAttr()
	if err := cmd.Start(); err != nil {
		return "", nil, fmt.Errorf("start temporal: %w", err)
	}
	done := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		close(done)
	}()
	stop := func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-done:
		case <-time.After(15 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
	}
	if err := prepareTemporal(ctx, addr, done); err != nil {
		stop()
		return "", nil, fmt.Errorf("temporal at %s: %w\n%s", addr, err, Tail(logFile.Name(), 20))
	}
	return addr, stop, nil
}

// prepareTemporal waits for the server at addr to answer, then registers the search attributes.
func prepareTemporal(ctx context.Context, addr string, exited <-chan struct{}) error {
	var last error
	for {
		c, err := client.DialContext(ctx, client.Options{HostPort: addr, Logger: quiet{}})
		if err == nil {
			_, err = c.OperatorService().AddSearchAttributes(ctx, &operatorservice.AddSearchAttributesRequest{
				Namespace: "default", SearchAttributes: workflows.SearchAttributes(),
			})
			c.Close()
			if err == nil {
				return nil
			}
		}
		last = err
		select {
		case <-ctx.Done():
			return errors.Join(ctx.Err(), last)
		case <-exited:
			return fmt.Errorf("exited: %v", last)
		case <-time.After(200 * time.Millisecond):
		}
	}
}
