package pgrelay

import (
	"testing"

	"github.com/jackc/pgx/v5/pgproto3"
)

// After an error the server skips the batch to its Sync: the ops it will
// not answer go, statements whose Parse never ran are forgotten on the
// connection and by the client's name, and an eviction it skipped leaves
// the statement prepared.
func TestQueueDropUntilSync(t *testing.T) {
	b := &backendConn{prepared: map[string]bool{"floe_a": true}}
	prep := &statements{named: map[string]*clientStmt{"a": {server: "floe_a"}, "kept": {server: "floe_k"}}}
	var q queue
	q.push(op{kind: opBind})
	q.push(op{kind: opParse, server: "floe_a", client: "a"})
	q.push(op{kind: opParse, synthetic: &pgproto3.ParseComplete{}, client: "kept"})
	q.push(op{kind: opClose, swallow: true, server: "floe_old"})
	q.push(op{kind: opSync})
	q.push(op{kind: opExecute})
	q.dropUntilSync(b, prep)
	if len(q.ops) != 2 || q.ops[0].kind != opSync {
		t.Fatalf("ops left %+v, want the Sync and what follows", q.ops)
	}
	if b.prepared["floe_a"] || !b.prepared["floe_old"] {
		t.Fatalf("prepared on the connection: %v", b.prepared)
	}
	if _, ok := prep.lookup("a"); ok {
		t.Fatal("a statement whose Parse never ran is still known")
	}
	if _, ok := prep.lookup("kept"); !ok {
		t.Fatal("a statement answered by the gateway was forgotten")
	}
	if q.quiet() {
		t.Fatal("a queue with ops is quiet")
	}
}

// A gateway-detected error makes the session skip to Sync; the queue
// forces a round trip at its bound.
func TestQueueFailAndBound(t *testing.T) {
	var q queue
	q.fail(op{kind: opBind}, errTest{})
	if !q.skipping || len(q.ops) != 1 {
		t.Fatalf("after fail: skipping %v, %d ops", q.skipping, len(q.ops))
	}
	if _, ok := q.ops[0].synthetic.(*pgproto3.ErrorResponse); !ok {
		t.Fatalf("synthetic %T, want an ErrorResponse", q.ops[0].synthetic)
	}
	if q.syncQueued() {
		t.Fatal("no Sync was queued")
	}
	for len(q.ops) < maxPending-1 {
		q.push(op{kind: opExecute})
	}
	if q.full() {
		t.Fatal("full below the bound")
	}
	q.push(op{kind: opSync})
	if !q.full() || !q.syncQueued() {
		t.Fatal("not full at the bound, or the Sync not seen")
	}
}

type errTest struct{}

func (errTest) Error() string { return "test" }

// Rows of a result: those relayed, else the command tag's count.
func TestTagRows(t *testing.T) {
	for tag, want := range map[string]int64{"SELECT 5": 5, "INSERT 0 3": 3, "UPDATE 2": 2, "COPY 10": 10, "BEGIN": 0, "CREATE TABLE": 0} {
		if got := tagRows([]byte(tag)); got != want {
			t.Errorf("tagRows(%q) = %d, want %d", tag, got, want)
		}
	}
}
