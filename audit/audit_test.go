package audit_test

import (
	"context"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/bankforge/bank/audit"
	"github.com/bankforge/bank/dev/testenv"
	"github.com/bankforge/bank/inbox"
)

// Every start of a worker ensures the indexes; the second start finds them and must succeed (the
// development server once dropped the connection with a panic there), and the indexes exist.
func TestEnsureIndexes_EveryStartSucceedsAndTheIndexesExist(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	client, err := audit.Connect(ctx, testenv.Mongo(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = client.Disconnect(ctx) })
	db := client.Database("bank_test")
	for start := 1; start <= 2; start++ {
		if err := audit.NewStore(db).EnsureIndexes(ctx); err != nil {
			t.Fatalf("start %d: audit indexes: %v", start, err)
		}
		if err := inbox.NewStore(db).EnsureIndexes(ctx); err != nil {
			t.Fatalf("start %d: inbox indexes: %v", start, err)
		}
	}
	for collection, want := range map[string]int{"audit_events": 4, "notifications": 2} { // with _id
		cur, err := db.Collection(collection).Indexes().List(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var specs []bson.M
		if err := cur.All(ctx, &specs); err != nil {
			t.Fatal(err)
		}
		if len(specs) != want {
			t.Errorf("%s has %d indexes %v; want %d", collection, len(specs), specs, want)
		}
	}
}
