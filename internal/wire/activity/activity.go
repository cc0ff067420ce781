package activity

import (
	"sync"
	"sync/atomic"
	"time"
)

// Info describes a live session.
type Info struct {
	ID        uint32
	User      string
	Database  string
	Client    string
	Connected time.Time
	// State is idle, idle in transaction, idle in transaction (aborted)
	// (PostgreSQL: a failed statement left the transaction to roll back)
	// or active.
	State string
	// Statement is the last SQL text the session sent, as sent (mask it
	// before it leaves the process), and when.
	Statement      string
	StatementSince time.Time
}

// Tracker records a session's activity.
type Tracker struct {
	connected time.Time
	idleInTx  atomic.Bool
	// ready is the transaction status of the ReadyForQuery the session
	// last sent ('I', 'T' or 'E'), 0 once the client sent a message
	// (PostgreSQL front ends).
	ready atomic.Uint32
	// last is the statement noted last: written by the session at every
	// statement, read by whoever lists sessions (a mutex rather than a
	// pointer swapped per statement, which allocates).
	last struct {
		sync.Mutex
		text string
		at   time.Time
	}
}

// Start records when the session connected; it is called before the
// session is shared with other goroutines.
func (t *Tracker) Start(at time.Time) { t.connected = at }

// Note records the SQL text the session runs now.
func (t *Tracker) Note(text string) {
	now := time.Now()
	t.last.Lock()
	t.last.text, t.last.at = text, now
	t.last.Unlock()
}

// IdleInTx records whether the session waits, idle, inside a transaction.
func (t *Tracker) IdleInTx(on bool) { t.idleInTx.Store(on) }

// Ready records the transaction status of the ReadyForQuery the
// session sent: it waits for the client from now on, idle ('I'), inside
// a transaction ('T') or inside a failed one ('E'); 0 says the client
// sent a message and the session works on it.
func (t *Tracker) Ready(status byte) { t.ready.Store(uint32(status)) }

// Info describes the session: the front end gives what it knows of it
// (idle: waiting between transactions).
func (t *Tracker) Info(id uint32, user, database, client string, idle bool) Info {
	si := Info{ID: id, User: user, Database: database, Client: client, Connected: t.connected, State: "active"}
	switch {
	case idle:
		si.State = "idle"
	case t.ready.Load() == 'I':
		si.State = "idle"
	case t.ready.Load() == 'T', t.idleInTx.Load():
		si.State = "idle in transaction"
	case t.ready.Load() == 'E':
		si.State = "idle in transaction (aborted)"
	}
	t.last.Lock()
	si.Statement, si.StatementSince = t.last.text, t.last.at
	t.last.Unlock()
	return si
}
