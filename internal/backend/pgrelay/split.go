package pgrelay

import (
	"context"
	"errors"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/floe-db/floe/internal/pool"
	"github.com/floe-db/floe/internal/route"
	"github.com/floe-db/floe/internal/sqlerr"
	"github.com/floe-db/floe/internal/wire/pgwire"
)

// Read/write split: a batch (a simple Query, or an extended-protocol
// batch up to Sync) that starts outside a transaction with a read-only
// statement may run on a replica; route.Decide chooses with the session's
// state and the checked topology. Everything else runs where writes go.

// SetRouting sets the database's routing settings (nil or Split false:
// everything on the primary).
func (r *Relay) SetRouting(p *route.Policy) { r.cluster.SetRouting(p) }

// classOf is a statement text's routing class.
func (r *Relay) classOf(text string) route.Class { return r.classes.Of(text) }

// acquireFor gets a connection for a batch starting with text ("": one
// that needs the primary). replica reports a connection to a replica.
func (r *Relay) acquireFor(ctx context.Context, login int, rs route.Session, text string) (p *pool.Pool[*backendConn], bc *pool.Conn[*backendConn], replica bool, err error) {
	if text != "" && r.cluster.Splitting() {
		if i, ok := r.cluster.ReadTarget(r.classOf(text), rs); ok {
			srv := r.servers[i]
			p = srv.pools[login].Load()
			if bc, err = p.Acquire(ctx); err == nil {
				return p, bc, true, nil
			}
			if ctx.Err() != nil {
				return nil, nil, false, ctx.Err()
			}
			// A replica the checks have not caught failing yet: the read
			// goes where writes go rather than failing.
			r.log.Warn("replica unavailable; read sent to the primary", "backend", srv.name, "error", err.Error())
		}
	}
	p, bc, err = r.acquire(ctx, login)
	return p, bc, false, err
}

// routeSession is the session's state as the router sees it.
func (s *session) routeSession() route.Session {
	return route.Session{InTransaction: s.txStatus != 'I', Pinned: s.pinned != "", LastWrite: s.lastWrite, WriteLSN: s.writeLSN}
}

// splitOn reports whether the database splits reads at all (cheap; the
// statement texts are classified only then).
func (r *Relay) splitOn() bool { return r.cluster.Splitting() }

// noteStatement looks at a statement about to run (Bind, Query): a write
// marks the session as having written (read-your-writes), and is refused
// in a batch that began on a replica — the batch cannot move, and the
// replica would refuse it anyway.
func (s *session) noteStatement(text string) error {
	if s.cycleText == "" {
		s.cycleText = text // the cycle's statistics go under its first statement
	}
	if text == "" || !s.r.splitOn() || s.r.classOf(text).Read {
		return nil
	}
	if s.onReplica && s.be != nil {
		return pgwire.Errorf(sqlerr.ReadOnlySQLTransaction, "this batch began with reads on a replica and cannot write: send the write after a Sync, inside BEGIN, or with a leading /* floe:primary */ comment")
	}
	s.wrote = true
	return nil
}

// writePosition is the primary's WAL insert position after a session's
// write, read on the connection that wrote, when read-your-writes is on:
// a replica that has replayed past it has the write, and may serve the
// session's reads before the window ends. 0 when unknown or not wanted;
// broken reports a connection that failed on the way.
func (r *Relay) writePosition(b *backendConn) (lsn uint64, broken bool) {
	pol := r.cluster.Routing()
	if pol == nil || !pol.Split || pol.ReadYourWrites <= 0 {
		return 0, false
	}
	_ = b.conn.SetDeadline(time.Now().Add(5 * time.Second))
	defer b.conn.SetDeadline(time.Time{})
	v, err := b.scalar("SELECT (pg_current_wal_insert_lsn() - '0/0'::pg_lsn)::int8")
	if err != nil {
		var pe *pgconn.PgError
		return 0, !errors.As(err, &pe)
	}
	n, _ := strconv.ParseUint(v, 10, 64)
	return n, false
}
