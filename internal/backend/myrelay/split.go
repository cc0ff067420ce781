package myrelay

import (
	"context"
	"time"

	"github.com/floe-db/floe/internal/config"
	"github.com/floe-db/floe/internal/route"
	"github.com/floe-db/floe/internal/wire/mysqlwire"
)

// Read/write split: a command (COM_QUERY, or COM_STMT_EXECUTE of a
// prepared statement) that starts outside a transaction, in autocommit
// mode, on a session with no state pinned to its connection, and whose
// text is read-only, may run on a replica that route.Decide picks. The
// connection goes back to the pool when the command ends, so the next one
// is placed afresh. Everything else runs where writes go.

// classOf is a statement text's routing class.
func (r *Relay) classOf(text string) route.Class { return r.classes.Of(text) }

// routeSession is the session's state as the router sees it.
func (s *session) routeSession() route.Session {
	return route.Session{
		InTransaction: s.status&mysqlwire.StatusInTrans != 0 || !s.autocommit,
		Pinned:        s.pinned != "" || s.mode == config.PoolSession || s.longData,
		LastWrite:     s.lastWrite,
	}
}

// attachFor attaches a connection for a command running text: a
// replica's when the text may be read there, else where writes go. A
// write marks the session as having written (read-your-writes).
func (s *session) attachFor(ctx context.Context, text string) error {
	if !s.r.cluster.Splitting() {
		return s.attach(ctx)
	}
	cls := s.r.classOf(text)
	if !cls.Read {
		// Also inside a transaction: its writes are visible once it
		// commits, and the reads after it must find them.
		s.lastWrite = time.Now()
	}
	if s.be != nil || !cls.Read {
		return s.attach(ctx)
	}
	i, ok := s.r.cluster.ReadTarget(cls, s.routeSession())
	if !ok {
		return s.attach(ctx)
	}
	srv := s.r.servers[i]
	p, lease, err := s.r.acquireOn(ctx, srv, s.login, s.foundRows)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		// A replica the checks have not caught failing yet: the read goes
		// where writes go rather than failing.
		s.r.log.Warn("replica unavailable; read sent to the primary", "backend", srv.name, "error", err.Error())
		return s.attach(ctx)
	}
	return s.prepareConn(p, lease)
}
