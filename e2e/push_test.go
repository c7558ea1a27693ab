package e2e

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/google/uuid"

	"github.com/bankforge/bank/dev/bankclient"
	"github.com/bankforge/bank/dev/stack"
	"github.com/bankforge/bank/domain"
)

// Two API processes as behind a load balancer: B's socket is open on one, A transfers to B through
// the other, and B's socket receives transfer.received within a second of the transfer's commit;
// A's socket, on the second process, receives transfer.completed, and neither sees the other's.
func TestLivePush_ReachesASocketOnAnotherAPIProcess(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	port, err := stack.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	second, err := sys.Stack.StartAPI(ctx, port)
	if err != nil {
		t.Fatalf("second api: %v", err)
	}
	alice, bob := register(t, "USD"), register(t, "USD")
	depositTo(t, alice.account, 10_000)

	dial := func(base, token string) *websocket.Conn {
		t.Helper()
		c, resp, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(base, "http")+"/v1/ws",
			&websocket.DialOptions{Subprotocols: []string{"bearer", token}})
		if err != nil {
			t.Fatalf("dial %s: %v (%v)", base, err, resp)
		}
		t.Cleanup(func() { c.CloseNow() })
		return c
	}
	type received struct {
		event struct {
			ID   int64            `json:"id"`
			Type domain.EventType `json:"type"`
			Data json.RawMessage  `json:"data"`
		}
		at time.Time
	}
	listen := func(c *websocket.Conn) <-chan received {
		out := make(chan received, 16)
		go func() {
			defer close(out)
			for {
				_, b, err := c.Read(ctx)
				if err != nil {
					return
				}
				var r received
				r.at = time.Now()
				if err := json.Unmarshal(b, &r.event); err != nil {
					t.Errorf("not an event: %s", b)
					return
				}
				out <- r
			}
		}()
		return out
	}
	bobEvents := listen(dial(sys.Stack.APIURL, bob.c.Token))
	aliceEvents := listen(dial(second, alice.c.Token))
	time.Sleep(200 * time.Millisecond) // both sockets are listening

	viaSecond := bankclient.New(second).As(alice.c.Token)
	tr, _, err := viaSecond.Transfer(ctx, alice.account.ID, bob.account.ID, 2_500, "USD", "push-"+uuid.NewString())
	if err != nil {
		t.Fatalf("transfer through the second api: %v", err)
	}
	if got := waitTransfer(t, viaSecond, tr.ID); got.Status != domain.TransferCompleted {
		t.Fatalf("transfer ended %s", got.Status)
	}
	var completedAt time.Time
	if err := sys.Store.Pool().QueryRow(ctx, "SELECT completed_at FROM transfers WHERE id = $1", tr.ID).Scan(&completedAt); err != nil {
		t.Fatal(err)
	}

	find := func(who string, events <-chan received, typ domain.EventType) received {
		t.Helper()
		deadline := time.After(10 * time.Second)
		for {
			select {
			case r, ok := <-events:
				if !ok {
					t.Fatalf("%s's socket closed before %s", who, typ)
				}
				if !strings.Contains(string(r.event.Data), tr.ID) {
					continue // the deposit's, or a notification of another transfer
				}
				if r.event.Type == typ {
					return r
				}
				if r.event.Type != domain.EventNotificationCreated {
					t.Fatalf("%s received %s of the transfer: %s", who, r.event.Type, r.event.Data)
				}
			case <-deadline:
				t.Fatalf("%s received no %s", who, typ)
			}
		}
	}
	got := find("bob", bobEvents, domain.EventTransferReceived)
	if lag := got.at.Sub(completedAt); lag > time.Second {
		t.Fatalf("bob's transfer.received came %s after the transfer completed; want within a second", lag)
	}
	var data map[string]any
	_ = json.Unmarshal(got.event.Data, &data)
	if data["account_id"] != bob.account.ID || data["counterparty_account_number"] != alice.account.Number || data["amount"] != float64(2_500) {
		t.Fatalf("bob's event tells %s", got.event.Data)
	}
	if strings.Contains(string(got.event.Data), alice.account.ID) {
		t.Fatalf("bob's event names alice's account id: %s", got.event.Data)
	}
	find("alice", aliceEvents, domain.EventTransferCompleted)
	t.Logf("transfer.received reached bob's socket on the other api %s after the commit", got.at.Sub(completedAt))
}
