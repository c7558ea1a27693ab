package e2e

import (
	"context"
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	historypb "go.temporal.io/api/history/v1"
	workflowpb "go.temporal.io/api/workflow/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/bankforge/bank/dev/testenv"
)

// checkHistories reads the history of every workflow the tests ran and reports any that holds a
// payload in clear (every one is encrypted; search attributes, which Temporal indexes, aside), or
// that carries a secret (a password, a password hash or a refresh token) once decrypted. With
// BANK_RECORD_HISTORIES=dir it also writes each history, decrypted, to dir as <workflow id>.json,
// for workflows/testdata's replay tests.
func checkHistories(ctx context.Context, tc client.Client, codec converter.PayloadCodec, secrets []string) error {
	record := os.Getenv("BANK_RECORD_HISTORIES")
	var executions []*workflowpb.WorkflowExecutionInfo
	req := &workflowservice.ListWorkflowExecutionsRequest{PageSize: 1000}
	for {
		page, err := tc.ListWorkflow(ctx, req)
		if err != nil {
			return fmt.Errorf("list workflows: %w", err)
		}
		executions = append(executions, page.GetExecutions()...)
		if len(page.GetNextPageToken()) == 0 {
			break
		}
		req.NextPageToken = page.GetNextPageToken()
	}
	checked := 0
	for _, info := range executions {
		exec := info.GetExecution()
		var h historypb.History
		events := tc.GetWorkflowHistory(ctx, exec.GetWorkflowId(), exec.GetRunId(), false, 0)
		for events.HasNext() {
			e, err := events.Next()
			if err != nil {
				return fmt.Errorf("history of %s: %w", exec.GetWorkflowId(), err)
			}
			h.Events = append(h.Events, e)
		}
		clear, err := testenv.ClearPayloads(ctx, &h)
		if err != nil {
			return err
		}
		if len(clear) > 0 {
			return fmt.Errorf("the history of %s holds payloads in clear, in %v", exec.GetWorkflowId(), clear)
		}
		if err := testenv.DecodePayloads(ctx, codec, &h); err != nil {
			return fmt.Errorf("decrypt the history of %s: %w", exec.GetWorkflowId(), err)
		}
		raw, err := protojson.Marshal(&h)
		if err != nil {
			return err
		}
		if s := findSecret(raw, secrets); s != "" {
			return fmt.Errorf("the history of %s carries %q", exec.GetWorkflowId(), s)
		}
		checked++
		if record != "" {
			name := strings.NewReplacer("/", "_").Replace(exec.GetWorkflowId()) + ".json"
			if err := os.WriteFile(filepath.Join(record, name), raw, 0o644); err != nil {
				return err
			}
		}
	}
	if checked == 0 {
		return fmt.Errorf("no workflow histories to check")
	}
	fmt.Fprintf(os.Stderr, "e2e: %d workflow histories are encrypted and carry no secret\n", checked)
	return nil
}

// findSecret returns the first of secrets found in raw or in any base64 payload inside it.
func findSecret(raw []byte, secrets []string) string {
	text := strings.ToLower(string(raw))
	for _, field := range strings.Split(string(raw), `"data":"`)[1:] {
		if end := strings.Index(field, `"`); end > 0 {
			if b, err := base64.StdEncoding.DecodeString(field[:end]); err == nil {
				text += strings.ToLower(string(b))
			}
		}
	}
	for _, s := range secrets {
		if s != "" && strings.Contains(text, strings.ToLower(s)) {
			return s
		}
	}
	return ""
}
