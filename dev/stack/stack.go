// Package stack starts the bank's whole system as separate processes on one machine: a Temporal dev
// server, a MongoDB wire-protocol server (unless a MongoDB is given), a Mailpit SMTP server (when
// asked for), the worker and the API. The development command and the end-to-end tests both use it.
package stack

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/operatorservice/v1"
	"go.temporal.io/sdk/client"

	"github.com/bankforge/bank/workflows"
)

// Options say what to start and where.
type Options struct {
	// Dir holds the state of the Temporal and Mongo servers and their logs.
	Dir string
	// Bin holds the executables: temporal, mongowire, api and worker.
	Bin string
	// DatabaseURL is the bank's PostgreSQL database for the application's role; it must be migrated
	// (`bankctl migrate`).
	DatabaseURL string
	// MongoURI, when set, is used instead of starting the wire server.
	MongoURI string
	// TemporalPort is the Temporal frontend port; UIPort 0 runs the server headless. The web UI is
	// served at UIPort through a proxy that has it include cross-origin credentials in its calls
	// to the API's codec (the bank_codec cookie); the dev server's own UI listens on a free port.
	TemporalPort int
	UIPort       int
	// TemporalInMemory keeps Temporal's state in memory instead of a file in Dir.
	TemporalInMemory bool
	MongoPort        int
	APIPort          int
	// MailpitSMTPPort, when set, starts Mailpit with its SMTP server on that port and its REST API
	// on MailpitHTTPPort, and points the worker's SMTP_ADDR at it (MAIL_MODE is the caller's to set).
	MailpitSMTPPort int
	MailpitHTTPPort int
	// MailpitMax is how many messages Mailpit keeps: its default (500) when zero, all when negative.
	MailpitMax int
	// MailpitFlags are more of Mailpit's command-line flags.
	MailpitFlags []string
	// APIMetricsAddr and WorkerMetricsAddr, when set, are where the API and the worker serve
	// /metrics (METRICS_ADDR; "off" serves none); unset, each takes its own default.
	APIMetricsAddr    string
	WorkerMetricsAddr string
	// Env is added to the environment of the API and the worker.
	Env []string
	// Output receives the API's and worker's logs, each line prefixed with its process.
	Output io.Writer
}

// Stack is a running system.
type Stack struct {
	APIURL          string
	TemporalAddress string
	MongoURI        string
	UIURL           string
	// CodecURL is the API's payload codec as the Temporal web UI calls it from the browser, when
	// the UI runs.
	CodecURL string
	// SMTPAddr and MailpitURL are Mailpit's SMTP server and REST API, when it runs.
	SMTPAddr   string
	MailpitURL string
	// APIMetricsURL and WorkerMetricsURL are the API's and the worker's /metrics, when the options
	// named their addresses.
	APIMetricsURL    string
	WorkerMetricsURL string

	// bin and apiEnv start more API processes (StartAPI).
	bin    string
	apiEnv []string
	apiOut io.Writer

	// uiProxy serves the dev server's web UI at UIURL.
	uiProxy *http.Server

	mu     sync.Mutex
	procs  []*proc
	exited chan error
}

type proc struct {
	name string
	cmd  *exec.Cmd
	out  io.Writer
	done chan struct{}
	err  error
	// expected is set before a deliberate kill, so that its exit is not reported as a failure.
	expected bool
}

// Start launches the system and returns once the API answers /readyz. On error, whatever started is
// stopped again.
func Start(ctx context.Context, o Options) (_ *Stack, err error) {
	if err := os.MkdirAll(o.Dir, 0o700); err != nil {
		return nil, fmt.Errorf("create %s: %w", o.Dir, err)
	}
	for _, name := range []string{"temporal", "api", "worker"} {
		if _, err := os.Stat(filepath.Join(o.Bin, name)); err != nil {
			return nil, fmt.Errorf("missing executable %s in %s (run `make tools build`): %w", name, o.Bin, err)
		}
	}
	s := &Stack{
		APIURL:          "http://127.0.0.1:" + strconv.Itoa(o.APIPort),
		TemporalAddress: "127.0.0.1:" + strconv.Itoa(o.TemporalPort),
		MongoURI:        o.MongoURI,
		exited:          make(chan error, 8),
	}
	defer func() {
		if err != nil {
			s.Stop()
		}
	}()

	temporalArgs := append([]string{"server", "start-dev",
		"--ip", "127.0.0.1", "--port", strconv.Itoa(o.TemporalPort),
		"--log-level", "warn",
	}, DevServerFlags()...)
	temporalArgs = append(temporalArgs,
		// Eager activities: an activity scheduled by a workflow task (a transfer's emails) is
		// handed back to the same worker with that task's completion, saving a poll round trip.
		"--dynamic-config-value", "system.enableActivityEagerExecution=true",
	)
	if !o.TemporalInMemory {
		temporalArgs = append(temporalArgs, "--db-filename", filepath.Join(o.Dir, "temporal.db"))
	}
	if o.UIPort > 0 {
		// The UI decodes the bank's encrypted payloads through the API's codec, from the browser:
		// the API's address as the browser reaches it (the codec's default CORS origins are the
		// dev UI's).
		s.CodecURL = "http://localhost:" + strconv.Itoa(o.APIPort) + "/codec"
		// The dev server's UI on a port of its own, behind the proxy at UIPort, which sets the
		// UI's include-credentials setting: the dev server has no flag for it.
		l, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(o.UIPort))
		if err != nil {
			return nil, fmt.Errorf("the Temporal UI's port: %w", err)
		}
		uiPort, err := FreePort()
		if err != nil {
			l.Close()
			return nil, err
		}
		s.uiProxy = uiProxy(l, &url.URL{Scheme: "http", Host: "127.0.0.1:" + strconv.Itoa(uiPort)})
		temporalArgs = append(temporalArgs, "--ui-ip", "127.0.0.1", "--ui-port", strconv.Itoa(uiPort), "--ui-codec-endpoint", s.CodecURL)
		s.UIURL = "http://localhost:" + strconv.Itoa(o.UIPort)
	} else {
		temporalArgs = append(temporalArgs, "--headless")
	}
	logFile, err := os.OpenFile(filepath.Join(o.Dir, "temporal.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, err
	}
	defer logFile.Close()
	if err := s.start("temporal", filepath.Join(o.Bin, "temporal"), temporalArgs, nil, logFile); err != nil {
		return nil, err
	}

	if s.MongoURI == "" {
		if _, err := os.Stat(filepath.Join(o.Bin, "mongowire")); err != nil {
			return nil, fmt.Errorf("missing executable mongowire in %s (run `make tools`): %w", o.Bin, err)
		}
		addr := "127.0.0.1:" + strconv.Itoa(o.MongoPort)
		mongoLog, err := os.OpenFile(filepath.Join(o.Dir, "mongowire.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
		if err != nil {
			return nil, err
		}
		defer mongoLog.Close()
		if err := s.start("mongowire", filepath.Join(o.Bin, "mongowire"),
			[]string{"-listen", addr, "-sqlite-dir", filepath.Join(o.Dir, "mongo")}, nil, mongoLog); err != nil {
			return nil, err
		}
		if err := waitTCP(ctx, addr, 60*time.Second); err != nil {
			return nil, fmt.Errorf("mongowire: %w", err)
		}
		s.MongoURI = "mongodb://" + addr + "/"
	}

	if o.MailpitSMTPPort > 0 {
		if err := s.startMailpit(ctx, o); err != nil {
			return nil, err
		}
	}

	if err := waitTemporal(ctx, s.TemporalAddress, 90*time.Second); err != nil {
		return nil, fmt.Errorf("temporal: %w", err)
	}
	if err := addSearchAttributes(ctx, s.TemporalAddress); err != nil {
		return nil, fmt.Errorf("temporal: %w", err)
	}

	env, err := Environ(o.Dir)
	if err != nil {
		return nil, err
	}
	env = append(env,
		"DATABASE_URL="+o.DatabaseURL,
		"MONGO_URI="+s.MongoURI,
		"TEMPORAL_ADDRESS="+s.TemporalAddress,
		"HTTP_ADDR=127.0.0.1:"+strconv.Itoa(o.APIPort),
	)
	if s.SMTPAddr != "" {
		// Mailpit offers no STARTTLS: the session stays on the loopback interface.
		env = append(env, "SMTP_ADDR="+s.SMTPAddr, "SMTP_TLS=opportunistic")
	}
	env = append(env, o.Env...)
	out := o.Output
	if out == nil {
		out = io.Discard
	}
	// Each process serves its metrics at its own address; the later METRICS_ADDR wins.
	workerEnv, apiEnv := env, env
	if o.WorkerMetricsAddr != "" {
		workerEnv = append(slices.Clone(env), "METRICS_ADDR="+o.WorkerMetricsAddr)
		s.WorkerMetricsURL = metricsURL(o.WorkerMetricsAddr)
	}
	if o.APIMetricsAddr != "" {
		apiEnv = append(slices.Clone(env), "METRICS_ADDR="+o.APIMetricsAddr)
		s.APIMetricsURL = metricsURL(o.APIMetricsAddr)
	}
	if err := s.start("worker", filepath.Join(o.Bin, "worker"), nil, workerEnv, prefixed(out, "worker")); err != nil {
		return nil, err
	}
	if err := s.start("api", filepath.Join(o.Bin, "api"), nil, apiEnv, prefixed(out, "api")); err != nil {
		return nil, err
	}
	if err := waitHTTP(ctx, s.APIURL+"/readyz", 90*time.Second, s.exited); err != nil {
		return nil, fmt.Errorf("api: %w", err)
	}
	s.bin, s.apiEnv, s.apiOut = o.Bin, apiEnv, out
	return s, nil
}

// metricsURL is the /metrics URL of a process listening at addr, or "" when addr is off or takes
// a port of its own choosing.
func metricsURL(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil || port == "0" {
		return ""
	}
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "127.0.0.1"
	}
	return "http://" + net.JoinHostPort(host, port) + "/metrics"
}

// Environ is the environment the bank's processes start with on this machine: this process's,
// less Temporal's client configuration (TEMPORAL_ADDRESS, TEMPORAL_API_KEY, TEMPORAL_TLS_*,
// TEMPORAL_PROFILE...), whatever the developer's shell points the Temporal CLI at, and with
// TEMPORAL_CONFIG_FILE naming a file in dir that holds no profile, so that none of the
// developer's own (their temporalio/temporal.toml) applies either. The caller adds the address of
// its own Temporal server. The bank's TEMPORAL_TASK_QUEUE stays.
func Environ(dir string) ([]string, error) {
	path, err := filepath.Abs(filepath.Join(dir, "temporal-client.toml"))
	if err != nil {
		return nil, err
	}
	const text = "# The Temporal client configuration of the bank's processes on a development machine: no\n" +
		"# profile, so that none of the developer's applies; TEMPORAL_ADDRESS names the server.\n"
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		return nil, err
	}
	env := slices.DeleteFunc(os.Environ(), func(kv string) bool {
		return strings.HasPrefix(kv, "TEMPORAL_") && !strings.HasPrefix(kv, "TEMPORAL_TASK_QUEUE=")
	})
	return append(env, "TEMPORAL_CONFIG_FILE="+path), nil
}

// StartAPI starts one more API process on port, configured as the first: several API processes
// behind a load balancer, each answering any request. It returns the new API's URL once it is
// ready; Stop stops it with the others.
func (s *Stack) StartAPI(ctx context.Context, port int) (string, error) {
	if s.bin == "" {
		return "", errors.New("the stack has not started")
	}
	name := "api-" + strconv.Itoa(port)
	url := "http://127.0.0.1:" + strconv.Itoa(port)
	// The later HTTP_ADDR wins over the first API's; its metrics take a free port of their own.
	env := append(slices.Clone(s.apiEnv), "HTTP_ADDR=127.0.0.1:"+strconv.Itoa(port), "METRICS_ADDR=127.0.0.1:0")
	if err := s.start(name, filepath.Join(s.bin, "api"), nil, env, prefixed(s.apiOut, name)); err != nil {
		return "", err
	}
	if err := waitHTTP(ctx, url+"/readyz", 90*time.Second, s.exited); err != nil {
		return "", fmt.Errorf("%s: %w", name, err)
	}
	return url, nil
}

// startMailpit starts Mailpit on the loopback interface, its messages kept in o.Dir, and waits for
// its API to answer.
func (s *Stack) startMailpit(ctx context.Context, o Options) error {
	path := filepath.Join(o.Bin, "mailpit")
	if _, err := os.Stat(path); err != nil {
		return fmt.Errorf("missing executable mailpit in %s (run `make tools`): %w", o.Bin, err)
	}
	s.SMTPAddr = "127.0.0.1:" + strconv.Itoa(o.MailpitSMTPPort)
	s.MailpitURL = "http://127.0.0.1:" + strconv.Itoa(o.MailpitHTTPPort)
	args := []string{
		"--smtp", s.SMTPAddr, "--listen", "127.0.0.1:" + strconv.Itoa(o.MailpitHTTPPort),
		"--database", filepath.Join(o.Dir, "mailpit.db"),
		// No network beyond this machine: no update check, no reverse DNS of the sender.
		"--disable-version-check", "--smtp-disable-rdns",
	}
	if o.MailpitMax != 0 {
		args = append(args, "--max", strconv.Itoa(o.MailpitMax))
	}
	args = append(args, o.MailpitFlags...)
	logFile, err := os.OpenFile(filepath.Join(o.Dir, "mailpit.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	defer logFile.Close()
	if err := s.start("mailpit", path, args, nil, logFile); err != nil {
		return err
	}
	if err := waitHTTP(ctx, s.MailpitURL+"/readyz", 60*time.Second, s.exited); err != nil {
		return fmt.Errorf("mailpit: %w", err)
	}
	return nil
}

func (s *Stack) start(name, path string, args, env []string, out io.Writer) error {
	cmd := exec.Command(path, args...)
	cmd.Env = env
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = procAttr()
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start %s: %w", name, err)
	}
	p := &proc{name: name, cmd: cmd, out: out, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		s.mu.Lock()
		expected := p.expected
		s.mu.Unlock()
		close(p.done)
		if !expected {
			s.exited <- fmt.Errorf("%s exited: %v", name, p.err)
		}
	}()
	s.mu.Lock()
	s.procs = append(s.procs, p)
	s.mu.Unlock()
	return nil
}

// Exited delivers an error when any process of the stack ends on its own.
func (s *Stack) Exited() <-chan error { return s.exited }

// Stop stops the processes in the reverse order of their start: SIGTERM, then SIGKILL after a grace
// period.
func (s *Stack) Stop() {
	s.mu.Lock()
	procs := s.procs
	s.procs = nil
	s.mu.Unlock()
	for i := len(procs) - 1; i >= 0; i-- {
		p := procs[i]
		s.mu.Lock()
		p.expected = true
		s.mu.Unlock()
		_ = p.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-p.done:
		case <-time.After(15 * time.Second):
			_ = p.cmd.Process.Kill()
			<-p.done
		}
	}
	if s.uiProxy != nil {
		_ = s.uiProxy.Close()
	}
}

// Kill stops one process at once with SIGKILL, for fault-injection tests, and returns a function
// that starts it again with the same command and environment. The kill is not reported on Exited.
func (s *Stack) Kill(name string) (restart func() error, err error) {
	p, err := s.take(name)
	if err != nil {
		return nil, err
	}
	_ = p.cmd.Process.Kill()
	<-p.done
	return func() error { return s.start(name, p.cmd.Path, p.cmd.Args[1:], p.cmd.Env, p.out) }, nil
}

// take removes a process from the stack, so that its end is expected.
func (s *Stack) take(name string) (*proc, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, p := range s.procs {
		if p.name == name {
			s.procs = append(s.procs[:i], s.procs[i+1:]...)
			p.expected = true
			return p, nil
		}
	}
	return nil, fmt.Errorf("no process %s", name)
}

func waitTCP(ctx context.Context, addr string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			return c.Close()
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s not reachable after %s: %w", addr, timeout, err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func waitTemporal(ctx context.Context, addr string, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	if err := waitTCP(ctx, addr, timeout); err != nil {
		return err
	}
	for {
		c, err := client.DialContext(ctx, client.Options{HostPort: addr, Logger: quietLogger{}})
		if err == nil {
			_, err = c.CheckHealth(ctx, &client.CheckHealthRequest{})
			c.Close()
			if err == nil {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("not healthy: %w", errors.Join(ctx.Err(), err))
		case <-time.After(200 * time.Millisecond):
		}
	}
}

func waitHTTP(ctx context.Context, url string, timeout time.Duration, exited <-chan error) error {
	deadline := time.Now().Add(timeout)
	hc := http.Client{Timeout: 5 * time.Second}
	var last error
	for time.Now().Before(deadline) {
		resp, err := hc.Get(url)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			err = fmt.Errorf("status %d", resp.StatusCode)
		}
		last = err
		select {
		case <-ctx.Done():
			return ctx.Err()
		case err := <-exited:
			return err
		case <-time.After(200 * time.Millisecond):
		}
	}
	return fmt.Errorf("%s not ready after %s: %v", url, timeout, last)
}

// prefixed writes each line to w prefixed with "[name] ".
func prefixed(w io.Writer, name string) io.Writer {
	pr, pw := io.Pipe()
	go func() {
		sc := bufio.NewScanner(pr)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			fmt.Fprintf(w, "[%s] %s\n", name, sc.Text())
		}
	}()
	return pw
}

// DevServerFlags are the flags of `temporal server start-dev` that the bank's whole system runs
// with (make dev, the end-to-end and fault-injection tests): the workflows' search attributes,
// registered as the server creates its database so that no workflow can start before they exist,
// and settings that make the server keep up with concurrent workflows.
func DevServerFlags() []string {
	flags := []string{
		// Faster SQLite settings and more shard I/O concurrency: the dev server's defaults are
		// several times slower under concurrent workflows.
		"--sqlite-pragma", "journal_mode=wal", "--sqlite-pragma", "synchronous=normal",
		"--dynamic-config-value", "history.shardIOConcurrency=16",
		// One task queue partition: a new workflow's first task then always meets a waiting
		// poller (sync match) instead of being forwarded between partitions.
		"--dynamic-config-value", "matching.numTaskqueueReadPartitions=1",
		"--dynamic-config-value", "matching.numTaskqueueWritePartitions=1",
	}
	attrs := workflows.SearchAttributes()
	for _, name := range slices.Sorted(maps.Keys(attrs)) {
		flags = append(flags, "--search-attribute", name+"="+searchAttributeType(attrs[name]))
	}
	return flags
}

// addSearchAttributes adds to the default namespace the workflows' search attributes it lacks. A dev
// server registers those of its flags only as it creates its database: one that keeps its state
// (make dev's .dev/temporal.db) learns of the attributes a newer release uses here, before the
// worker and the API start any workflow.
func addSearchAttributes(ctx context.Context, addr string) error {
	c, err := client.DialContext(ctx, client.Options{HostPort: addr, Logger: quietLogger{}})
	if err != nil {
		return err
	}
	defer c.Close()
	have, err := c.OperatorService().ListSearchAttributes(ctx, &operatorservice.ListSearchAttributesRequest{Namespace: "default"})
	if err != nil {
		return fmt.Errorf("list search attributes: %w", err)
	}
	missing := workflows.SearchAttributes()
	for name := range have.GetCustomAttributes() {
		delete(missing, name)
	}
	if len(missing) == 0 {
		return nil
	}
	_, err = c.OperatorService().AddSearchAttributes(ctx, &operatorservice.AddSearchAttributesRequest{
		Namespace: "default", SearchAttributes: missing,
	})
	if err != nil {
		return fmt.Errorf("add search attributes: %w", err)
	}
	return nil
}

// searchAttributeType is the name the Temporal CLI gives a search attribute's type.
func searchAttributeType(t enumspb.IndexedValueType) string {
	switch t {
	case enumspb.INDEXED_VALUE_TYPE_TEXT:
		return "Text"
	case enumspb.INDEXED_VALUE_TYPE_KEYWORD:
		return "Keyword"
	case enumspb.INDEXED_VALUE_TYPE_INT:
		return "Int"
	case enumspb.INDEXED_VALUE_TYPE_DOUBLE:
		return "Double"
	case enumspb.INDEXED_VALUE_TYPE_BOOL:
		return "Bool"
	case enumspb.INDEXED_VALUE_TYPE_DATETIME:
		return "Datetime"
	case enumspb.INDEXED_VALUE_TYPE_KEYWORD_LIST:
		return "KeywordList"
	}
	panic("search attribute of unknown type " + t.String())
}

// WaitTemporal waits until the Temporal server at addr answers its health check.
func WaitTemporal(ctx context.Context, addr string, timeout time.Duration) error {
	return waitTemporal(ctx, addr, timeout)
}

// FreePort returns a TCP port that was free a moment ago.
func FreePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

type quietLogger struct{}

func (quietLogger) Debug(string, ...any) {}
func (quietLogger) Info(string, ...any)  {}
func (quietLogger) Warn(string, ...any)  {}
func (quietLogger) Error(string, ...any) {}

// RepoRoot is the directory of the repository's go.mod above the working directory (the tools'
// own module, tools/, is not it).
func RepoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil && filepath.Base(filepath.Dir(dir)) != "tools" {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("go.mod not found above the working directory")
		}
		dir = parent
	}
}
