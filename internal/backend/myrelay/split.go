package myrelay

import (
	"context"
	"time"

	"github.com/floe-db/floe/internal/analysis"
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

// routeSession is the session's state as the router sees it.
func (l *link) routeSession() route.Session {
	return route.Session{
		InTransaction: l.status&mysqlwire.StatusInTrans != 0 || !l.autocommit,
		Pinned:        l.pinned != "" || l.mode == config.PoolSession || l.longData,
		LastWrite:     l.lastWrite,
	}
}

// attachFor attaches a connection for a command running the text of a
// (its routing class is the analysis's; nil: where writes go): a
// replica's when the text may be read there, else where writes go. A
// write marks the session as having written (read-your-writes).
func (l *link) attachFor(ctx context.Context, a *analysis.Analysis) error {
	if !l.r.cluster.Splitting() || a == nil {
		return l.attach(ctx)
	}
	cls := a.Class()
	if !cls.Read {
		// Also inside a transaction: its writes are visible once it
		// commits, and the reads after it must find them.
		l.lastWrite = time.Now()
	}
	if l.be != nil || !cls.Read {
		return l.attach(ctx)
	}
	i, ok := l.r.cluster.ReadTarget(cls, l.routeSession())
	if !ok {
		return l.attach(ctx)
	}
	srv := l.r.servers[i]
	p, lease, err := l.r.acquireOn(ctx, srv, l.login, l.foundRows)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		// A replica the checks have not caught failing yet: the read goes
		// where writes go rather than failing.
		l.r.log.Warn("replica unavailable; read sent to the primary", "backend", srv.name, "error", err.Error())
		return l.attach(ctx)
	}
	return l.prepareConn(p, lease)
}
