package activity

import (
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
	// State is idle, idle in transaction or active.
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
	last      atomic.Pointer[note]
}

type note struct {
	text string
	at   time.Time
}

// Start records when the session connected; it is called before the
// session is shared with other goroutines.
func (t *Tracker) Start(at time.Time) { t.connected = at }

// Note records the SQL text the session runs now.
func (t *Tracker) Note(text string) { t.last.Store(&note{text: text, at: time.Now()}) }

// IdleInTx records whether the session waits, idle, inside a transaction.
func (t *Tracker) IdleInTx(on bool) { t.idleInTx.Store(on) }

// Info describes the session: the front end gives what it knows of it
// (idle: waiting between transactions).
func (t *Tracker) Info(id uint32, user, database, client string, idle bool) Info {
	si := Info{ID: id, User: user, Database: database, Client: client, Connected: t.connected, State: "active"}
	switch {
	case idle:
		si.State = "idle"
	case t.idleInTx.Load():
		si.State = "idle in transaction"
	}
	if n := t.last.Load(); n != nil {
		si.Statement, si.StatementSince = n.text, n.at
	}
	return si
}
