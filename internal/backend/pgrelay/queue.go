package pgrelay

import (
	"slices"

	"github.com/jackc/pgx/v5/pgproto3"

	"github.com/floe-db/floe/internal/wire/pgwire"
)

// maxPending bounds the responses the session expects before it forces a
// round trip, so a client that never sends Sync cannot grow memory.
const maxPending = 4096

type opKind uint8

const (
	opParse opKind = iota
	opBind
	opDescribeStmt
	opDescribePortal
	opExecute
	opClose
	opSync
	opQuery
	opFunction
)

// op is a response the session expects from the backend, in order.
type op struct {
	kind opKind
	// swallow: the gateway sent the request itself (a re-prepare); the
	// response is not the client's.
	swallow bool
	// synthetic: no request went to the backend; send this to the client
	// when the op reaches the head of the queue.
	synthetic pgproto3.BackendMessage
	// sql is the statement text, for logs.
	sql string
	// server and client name the statement a Parse creates, so a failed
	// Parse can be forgotten again.
	server, client string
	// replace: the request was sent to fail (a policy denial inside a
	// transaction, which must abort it as an error would); the client
	// gets this error instead of the server's.
	replace *pgproto3.ErrorResponse
	// st is the statement a Describe is about; portal the portal an
	// Execute or Describe runs (for masking).
	st     *clientStmt
	portal *portal
	// cached: an Execute answered from the cache (no request went to
	// the backend); its rows go to the client in the op's turn.
	cached *pgResult
}

// queue is what the session expects from the backend, in order, and the
// state of the extended-protocol batch the client is sending.
type queue struct {
	ops []op
	// inBatch: extended-protocol messages were sent since the last Sync.
	inBatch bool
	// skipping: a gateway-detected error was queued; like the server, drop
	// the client's messages until Sync.
	skipping bool
	// syncDropped: a Sync went to the server during COPY FROM STDIN and
	// was ignored; the batch stays open until the client's next Sync.
	syncDropped bool
}

// push expects the response to o.
func (q *queue) push(o op) { q.ops = append(q.ops, o) }

// fail queues a gateway-detected error in the place of o's response; the
// client's messages are dropped until Sync, as the server would.
func (q *queue) fail(o op, err error) {
	o.synthetic = pgwire.ErrorResponse(err)
	q.ops = append(q.ops, o)
	q.skipping = true
}

// full reports whether the session must force a round trip before
// queueing more (maxPending).
func (q *queue) full() bool { return len(q.ops) >= maxPending }

// syncQueued reports whether a Sync is among the responses expected.
func (q *queue) syncQueued() bool {
	return slices.ContainsFunc(q.ops, func(o op) bool { return o.kind == opSync })
}

// quiet reports whether nothing is expected and no batch is open.
func (q *queue) quiet() bool { return !q.inBatch && len(q.ops) == 0 }

// pop drops the head op, answered. The ops move down rather than the
// slice forward, so that the queue keeps its capacity: pushes after it
// do not allocate.
func (q *queue) pop() {
	n := copy(q.ops, q.ops[1:])
	q.ops[n] = op{}
	q.ops = q.ops[:n]
}

// dropUntilSync ends the head op with an error: the server skips the rest
// of the batch, so their responses will not come. Statements whose Parse
// never ran are forgotten, on the connection b and in prep.
func (q *queue) dropUntilSync(b *backendConn, prep *statements) {
	for len(q.ops) > 0 && q.ops[0].kind != opSync {
		o := q.ops[0]
		if o.kind == opClose && o.swallow && o.server != "" {
			b.prepared[o.server] = true // an eviction the server skipped
		}
		if o.kind == opParse && o.synthetic == nil {
			if o.server != "" {
				delete(b.prepared, o.server)
			} else {
				b.unnamedOwner = nil
			}
			if o.client != "" {
				delete(prep.named, o.client)
			}
		}
		q.pop()
	}
}
