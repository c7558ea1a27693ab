package e2e

import (
	"context"
	"net/http"
	"os/exec"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"github.com/bankforge/bank/dev/stack"
	"github.com/bankforge/bank/dev/testenv"
	"github.com/bankforge/bank/domain"
	"github.com/bankforge/bank/internal/payloadcodec"
	"github.com/bankforge/bank/workflows"
)

// A transfer's input, read from the Temporal server by a client that does not hold the bank's
// key, is ciphertext: neither account number, nor the amount, is in it, and neither is anything
// else of the history. Staff get it back in clear from the API's codec, as the Temporal web UI
// and CLI ask for it; a customer's token or none gets a refusal, and the CLI shows it decoded
// with an admin's token.
func TestCodec_TransferInputEncryptedInTemporalAndDecodedForStaff(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	alice, bob := register(t, "USD"), register(t, "USD")
	depositTo(t, alice.account, 100_00)
	tr, resp, err := alice.c.Transfer(ctx, alice.account.ID, bob.account.ID, 12_34, "USD", "codec-"+uuid.NewString())
	if err != nil || resp.Status != http.StatusAccepted {
		t.Fatalf("transfer: %v", err)
	}
	if done := waitTransfer(t, alice.c, tr.ID); done.Status != domain.TransferCompleted {
		t.Fatalf("transfer ended %s", done.Status)
	}
	wf := workflows.TransferWorkflowID(tr.ID)

	// A client without the codec, as anyone with access to the Temporal server has.
	raw, err := client.Dial(client.Options{HostPort: sys.Stack.TemporalAddress, Logger: quietTemporal{}})
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	var h historypb.History
	for it := raw.GetWorkflowHistory(ctx, wf, "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT); it.HasNext(); {
		e, err := it.Next()
		if err != nil {
			t.Fatal(err)
		}
		h.Events = append(h.Events, e)
	}
	started := h.GetEvents()[0].GetWorkflowExecutionStartedEventAttributes()
	input := started.GetInput().GetPayloads()
	if len(input) != 1 {
		t.Fatalf("the transfer's input: %v", started.GetInput())
	}
	if enc, key := string(input[0].GetMetadata()["encoding"]), string(input[0].GetMetadata()[payloadcodec.MetadataKeyID]); enc != payloadcodec.Encoding || key != "e2e" {
		t.Fatalf("the input's metadata says %s under key %q; want %s under e2e", enc, key, payloadcodec.Encoding)
	}
	// Search attributes aside (Temporal indexes them in clear), the history shows nothing in clear.
	noAttrs := proto.Clone(&h).(*historypb.History)
	for _, e := range noAttrs.Events {
		if a := e.GetWorkflowExecutionStartedEventAttributes(); a != nil {
			a.SearchAttributes = nil
		}
		if a := e.GetUpsertWorkflowSearchAttributesEventAttributes(); a != nil {
			a.SearchAttributes = nil
		}
	}
	text := protojson.Format(noAttrs)
	for _, clear := range []string{alice.account.Number, bob.account.Number, alice.account.ID, bob.account.ID, "json/plain", "Amount", "insufficient"} {
		if strings.Contains(text, clear) || strings.Contains(string(input[0].GetData()), clear) {
			t.Errorf("the raw history shows %q in clear", clear)
		}
	}
	if where, err := testenv.ClearPayloads(ctx, &h); err != nil || len(where) > 0 {
		t.Fatalf("payloads in clear in %v (%v)", where, err)
	}
	// What the API and the worker read: the same client with the codec.
	var result workflows.TransferResult
	if err := sys.Temporal.GetWorkflow(ctx, wf, "").Get(ctx, &result); err != nil || result.Status != domain.TransferCompleted {
		t.Fatalf("the result through the codec: %+v, %v", result, err)
	}

	// The codec's route, as the Temporal UI calls it.
	body, err := protojson.Marshal(started.GetInput())
	if err != nil {
		t.Fatal(err)
	}
	header := http.Header{"X-Namespace": {"default"}, "Origin": {"http://localhost:8233"}}
	decoded, err := admin(t).Do(ctx, "POST", "/codec/decode", body, header)
	if err != nil || decoded.Status != http.StatusOK {
		t.Fatalf("decode as admin: %v %+v", err, decoded)
	}
	if decoded.Header.Get("Access-Control-Allow-Origin") != "http://localhost:8233" {
		t.Errorf("the dev UI's origin may not read the answer: %v", decoded.Header)
	}
	var out commonpb.Payloads
	if err := protojson.Unmarshal(decoded.Body, &out); err != nil || len(out.Payloads) != 1 {
		t.Fatalf("decoded %s: %v", decoded.Body, err)
	}
	if enc := string(out.Payloads[0].GetMetadata()["encoding"]); enc != "json/plain" {
		t.Fatalf("the decoded payload's encoding is %q", enc)
	}
	var in workflows.TransferInput
	if err := converter.GetDefaultDataConverter().FromPayload(out.Payloads[0], &in); err != nil {
		t.Fatal(err)
	}
	if in.TransferID != tr.ID || in.FromAccountNumber != alice.account.Number || in.ToAccountNumber != bob.account.Number || in.Amount != 12_34 {
		t.Fatalf("the decoded input %+v", in)
	}
	for name, c := range map[string]struct {
		token  string
		status int
	}{"a customer": {alice.c.Token, http.StatusForbidden}, "no token": {"", http.StatusUnauthorized}} {
		r, err := sys.API.As(c.token).Do(ctx, "POST", "/codec/decode", body, header)
		if err != nil || r.Status != c.status || r.Header.Get("Content-Type") != "application/problem+json" {
			t.Fatalf("decode as %s: %v %+v; want %d", name, err, r, c.status)
		}
		if strings.Contains(string(r.Body), alice.account.Number) {
			t.Fatalf("decode as %s: the refusal shows the account number", name)
		}
	}

	// The Temporal CLI, with the codec's address and an admin's token, shows the input in clear.
	tok, err := sys.API.Login(ctx, sys.AdminEmail, sys.AdminPass)
	if err != nil {
		t.Fatal(err)
	}
	env, err := stack.Environ(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	cli := exec.CommandContext(ctx, testenv.Tool(t, "temporal"), "workflow", "show", "--workflow-id", wf,
		"--address", sys.Stack.TemporalAddress, "--codec-endpoint", sys.Stack.APIURL+"/codec",
		"--codec-auth", "Bearer "+tok.AccessToken, "--output", "json")
	cli.Env = env
	shown, err := cli.CombinedOutput()
	if err != nil {
		t.Fatalf("temporal workflow show: %v\n%s", err, shown)
	}
	var shownHistory historypb.History
	if err := (protojson.UnmarshalOptions{DiscardUnknown: true}).Unmarshal(shown, &shownHistory); err != nil {
		t.Fatalf("temporal workflow show: %v\n%.2000s", err, shown)
	}
	var cliInput workflows.TransferInput
	payload := shownHistory.GetEvents()[0].GetWorkflowExecutionStartedEventAttributes().GetInput().GetPayloads()
	if len(payload) != 1 || converter.GetDefaultDataConverter().FromPayload(payload[0], &cliInput) != nil || !reflect.DeepEqual(cliInput, in) {
		t.Fatalf("the CLI with the codec shows the input as %v; want %+v", payload, in)
	}
}

type quietTemporal struct{}

func (quietTemporal) Debug(string, ...any) {}
func (quietTemporal) Info(string, ...any)  {}
func (quietTemporal) Warn(string, ...any)  {}
func (quietTemporal) Error(string, ...any) {}
