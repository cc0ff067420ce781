package pgrelay

import (
	"context"
	"sync"
	"time"

	"github.com/floe-db/floe/internal/analysis"
	"github.com/floe-db/floe/internal/pool"
	"github.com/floe-db/floe/internal/route"
	"github.com/floe-db/floe/internal/wire/pgwire"
)

// attachment is a session's hold on a backend connection: which
// connection and pool, why the client keeps it, and what the router must
// know of the writes made through it. CancelRequests arrive on other
// goroutines: cancelTarget, under cancelMu, is what they reach.
type attachment struct {
	// login is the backend login the session runs as (its user's
	// roles' identity on the database; 0: the DSN's).
	login int
	be    *pool.Conn[*backendConn] // nil: none attached
	pool  *pool.Pool[*backendConn] // the pool be came from
	// pinned is the reason the client keeps its backend connection.
	pinned string
	// onReplica: the attached connection is a replica's (reads only).
	onReplica bool
	// wrote: the attachment ran writes; lastWrite is when the last such
	// attachment ended (read-your-writes).
	wrote     bool
	lastWrite time.Time
	// writeLSN is the primary's WAL position after that write (0: not
	// known), for read-your-writes by replayed position.
	writeLSN uint64
	// discard: the connection's state is unknown; it is closed, not
	// reused, when it is given back.
	discard bool

	cancelMu     sync.Mutex // serialises CancelRequests with attach/release
	cancelTarget *backendConn
}

// route is the attachment's state as the router sees it, for a session
// inside a transaction or not.
func (a *attachment) route(inTx bool) route.Session {
	return route.Session{InTransaction: inTx, Pinned: a.pinned != "", LastWrite: a.lastWrite, WriteLSN: a.writeLSN}
}

// hold attaches bc, taken from p (a replica's when replica).
func (a *attachment) hold(p *pool.Pool[*backendConn], bc *pool.Conn[*backendConn], replica bool) {
	a.onReplica = replica
	a.cancelMu.Lock()
	a.be, a.pool = bc, p
	a.cancelTarget = bc.Value
	a.cancelMu.Unlock()
}

// drop forgets the attached connection and returns it.
func (a *attachment) drop() *pool.Conn[*backendConn] {
	bc := a.be
	a.cancelMu.Lock()
	a.be = nil
	a.cancelTarget = nil
	a.cancelMu.Unlock()
	return bc
}

// cancel sends a CancelRequest for the attached connection's statement
// (none attached: nothing to cancel). It is safe from any goroutine.
func (a *attachment) cancel() error {
	a.cancelMu.Lock()
	defer a.cancelMu.Unlock()
	if a.cancelTarget == nil {
		return nil
	}
	return a.cancelTarget.sendCancel(context.Background())
}

// attach gets a backend connection for the client where writes go and
// brings its state in line with the client's.
func (s *session) attach(ctx context.Context) error { return s.attachFor(ctx, nil) }

// attachFor attaches for a batch that starts with the statement a: a
// replica's connection when the split allows it, else where writes go
// (nil always goes there).
func (s *session) attachFor(ctx context.Context, a *analysis.Analysis) error {
	if s.att.be != nil {
		s.st.Acquired(s.att.be.Value.addr)
		return nil
	}
	p, bc, replica, err := s.r.acquireFor(ctx, s.att.login, s.att.route(s.txStatus != 'I'), a)
	if err != nil {
		return err
	}
	s.att.hold(p, bc, replica)
	if b := bc.Value; b.user != s.c.User.Name {
		// Whatever a statement of another user left on the connection
		// (temporary tables, settings, prepared statements, cursors,
		// advisory locks) goes before this user's statements run.
		if b.user != "" {
			if _, err := b.simple("DISCARD ALL"); err != nil {
				s.att.discard = true
				s.detach(false)
				return pgwire.Errorf(pgwire.CodeConnectionFailure, "could not prepare a backend connection for database %q", s.r.name)
			}
			b.paramsReset()
			b.prepared = map[string]bool{}
			b.unnamedOwner = nil
		}
		b.user = s.c.User.Name
	}
	if s.want != nil {
		if err := s.syncParams(); err != nil {
			s.detach(false)
			return pgwire.Errorf(pgwire.CodeConnectionFailure, "could not prepare a backend connection for database %q", s.r.name)
		}
	}
	// The pool wait (and the connection's preparation) ends here.
	s.st.Acquired(bc.Value.addr)
	return nil
}

// maybeRelease gives the backend connection back when pooling allows.
func (s *session) maybeRelease() {
	if s.att.be == nil || s.att.pinned != "" || !s.idle() {
		return
	}
	s.detach(false)
}

// detach returns the backend connection to the pool. At the end of a
// session (final) a pinned connection is reset first.
func (s *session) detach(final bool) {
	if s.att.be == nil {
		return
	}
	bc := s.att.drop()
	b := bc.Value
	if s.att.wrote {
		s.att.lastWrite = time.Now()
		s.att.writeLSN = 0
		if !s.att.onReplica && !s.att.discard && !final && s.idle() {
			var broken bool
			if s.att.writeLSN, broken = s.r.writePosition(b); broken {
				s.att.discard = true
			}
		}
	}
	s.att.onReplica, s.att.wrote = false, false
	reusable := !s.att.discard
	s.att.discard = false
	if reusable && final {
		reusable = s.resetForNext(b)
	}
	if b.unnamedOwner == s {
		b.unnamedOwner = nil
	}
	s.att.pool.Release(bc, reusable)
}

// resetForNext leaves a connection the way the next client expects it.
func (s *session) resetForNext(b *backendConn) bool {
	_ = b.conn.SetDeadline(time.Now().Add(10 * time.Second))
	defer b.conn.SetDeadline(time.Time{})
	if !s.q.quiet() {
		return false // an exchange was cut short: the state is unknown
	}
	if s.txStatus != 'I' {
		if _, err := b.simple("ROLLBACK"); err != nil {
			return false
		}
	}
	if s.att.pinned != "" {
		if _, err := b.simple(s.r.poolConfig().ResetQuery); err != nil {
			return false
		}
		b.paramsReset()
		b.prepared = map[string]bool{}
		b.unnamedOwner = nil
	}
	return true
}

// cancel is the CancelRequest handler; it runs on another goroutine.
func (s *session) cancel() {
	if err := s.att.cancel(); err != nil {
		s.log.Warn("could not forward cancel request", "error", err.Error())
	}
}

func (s *session) pin(reason string) {
	if s.att.pinned != "" || reason == "" {
		return
	}
	s.att.pinned = reason
	s.r.metrics.Pins.WithLabelValues(s.r.name, reason).Inc()
	s.log.Debug("client pinned to its backend connection", "reason", reason)
}
