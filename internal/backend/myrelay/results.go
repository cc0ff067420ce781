package myrelay

import (
	"sync/atomic"
	"time"

	"github.com/floe-db/floe/internal/policy"
	"github.com/floe-db/floe/internal/stmt"
	"github.com/floe-db/floe/internal/wire/mysqlwire"
)

const watchDelay = 50 * time.Millisecond

// results relays the server's answers on a session's link to its client:
// OK and ERR packets, result sets (their rows masked by the session's
// masks), LOCAL INFILE requests. Rows and errors are reported to the
// statement under way (st), whose result bounds may stop a result
// (muted: the rest of the server's answer is read and dropped). It
// belongs to the session's goroutine; gone is also set by the goroutine
// that watches for the client hanging up.
type results struct {
	c    *mysqlwire.Conn
	l    *link
	gate *policy.Gate
	// st is the statement under way (nil between statements and for
	// COM_STMT_FETCH, COM_FIELD_LIST and the like).
	st *stmt.Statement
	// plan masks the rows of the result set being relayed (nil: none).
	plan  *maskPlan
	muted bool
	gone  atomic.Bool // the client hung up mid-query
	// lastInsertID is the one of the session's last OK packet.
	lastInsertID uint64
	// rec records the result set under way for the cache (cache.go).
	rec *recording

	// The hang-up watch's callback, made once, and the backend query it
	// kills (set before each watch; read by the callback, which runs
	// only while that watch does).
	hangUp      func()
	watchSrv    *server
	watchThread uint32
}

// watch cancels the backend statement if the client hangs up while the
// relay waits on the server.
func (o *results) watch() (stop func()) {
	o.watchSrv, o.watchThread = o.l.be.srv, o.l.be.thread
	if o.hangUp == nil {
		r := o.l.r
		o.hangUp = func() {
			o.gone.Store(true)
			r.kill(o.watchSrv, o.watchThread, true)
		}
	}
	return o.c.WatchClose(watchDelay, o.hangUp)
}

// toClient forwards a packet; after a client write error the rest of the
// response is still read from the server (and dropped) so the connection
// stays usable.
func (o *results) toClient(p []byte) {
	if o.gone.Load() || o.muted {
		return
	}
	if err := o.c.WritePacket(p); err != nil {
		o.clientGone()
		return
	}
	if o.l.be.pc.Buffered() == 0 {
		if err := o.c.Flush(); err != nil {
			o.clientGone()
		}
	}
}

func (o *results) clientGone() {
	if o.gone.CompareAndSwap(false, true) {
		go o.l.r.kill(o.l.be.srv, o.l.be.thread, true)
	}
}

func (o *results) toClientEOF(afterColumns bool, warnings, status uint16) {
	if o.gone.Load() || o.muted {
		return
	}
	if err := o.c.WriteEOF(afterColumns, warnings, status); err != nil {
		o.clientGone()
	}
}

// unmute ends a result stopped with an error (the error went out in
// place of a row; the rest was dropped).
func (o *results) unmute() {
	if o.muted {
		o.muted = false
		_ = o.c.Flush()
	}
}

// relayResult streams the response to COM_QUERY or COM_STMT_EXECUTE:
// OK, ERR, or result sets, as many as the server says follow. failed
// reports an ERR packet (relayed). binary: rows are in the binary
// protocol (COM_STMT_EXECUTE).
func (o *results) relayResult(cursor, binary bool) (failed bool, err error) {
	stop := o.watch()
	defer stop()
	be := o.l.be
	for {
		p, err := be.read()
		if err != nil {
			stop()
			return false, o.l.lost(err)
		}
		o.st.Responded()
		var status uint16
		switch p[0] {
		case mysqlwire.HeaderOK:
			o.rec = nil
			ok, _ := mysqlwire.ParseOK(p)
			status = ok.Status
			o.st.AddRows(int64(ok.AffectedRows))
			if ok.LastInsertID != 0 {
				o.lastInsertID = ok.LastInsertID
			}
			o.toClient(p)
		case mysqlwire.HeaderErr:
			o.rec = nil
			p = o.timeoutErr(p)
			o.noteErr(p)
			o.toClient(p)
			return true, nil
		case mysqlwire.HeaderLocalFile:
			o.rec = nil
			stop()
			if status, failed, err = o.localInfile(p); err != nil {
				return false, err
			}
			if failed {
				return true, nil
			}
		default:
			st, failed, err := o.relayRows(p, cursor, binary)
			if err != nil || failed {
				return failed, err
			}
			status = st
		}
		o.l.setStatus(status)
		if status&mysqlwire.StatusMoreResults == 0 {
			return false, nil
		}
	}
}

// relayRows relays one result set whose column count packet is first.
// cursor is set for COM_STMT_EXECUTE with a cursor flag: if the server
// opened one, no rows follow now (COM_STMT_FETCH reads them).
func (o *results) relayRows(first []byte, cursor, binary bool) (status uint16, failed bool, err error) {
	be := o.l.be
	n, _ := mysqlwire.NewReader(first).LenInt()
	o.st.NextResult()
	o.toClient(first)
	o.record(frameCount, first)
	o.plan = nil
	if ms := o.gate.Masks(); ms != nil {
		defs := make([][]byte, n)
		for i := range defs {
			if defs[i], err = be.read(); err != nil {
				return 0, false, o.l.lost(err)
			}
		}
		if o.plan, err = planColumns(ms, defs); err != nil {
			be.broken = true
			return 0, false, o.l.lost(err)
		}
		for _, d := range defs {
			o.toClient(d)
			o.record(frameColumn, d)
		}
	} else {
		for range n {
			p, err := be.readRow() // forwarded and recorded (copied) at once
			if err != nil {
				return 0, false, o.l.lost(err)
			}
			o.toClient(p)
			o.record(frameColumn, p)
		}
	}
	var pending []byte
	if !be.deprecateEOF || cursor {
		p, err := be.read()
		if err != nil {
			return 0, false, o.l.lost(err)
		}
		switch {
		case mysqlwire.IsEOF(p):
			w, st := terminator(p)
			if st&mysqlwire.StatusCursorExists != 0 {
				o.rec = nil
				o.toClientEOF(false, w, st)
				return st, false, nil
			}
			if be.deprecateEOF {
				// No cursor and no rows: that was the end.
				o.toClientEOF(true, 0, st)
				o.toClientEOF(false, w, st)
				o.recordEnd(w, st)
				return st, false, nil
			}
		default:
			pending = p
		}
	}
	o.toClientEOF(true, 0, o.l.status)
	for {
		p := pending
		pending = nil
		if p == nil {
			// A row is forwarded (masked: rewritten) and recorded
			// (copied) before the next is read: one buffer serves.
			if p, err = be.readRow(); err != nil {
				return 0, false, o.l.lost(err)
			}
		}
		if p[0] == mysqlwire.HeaderErr {
			o.rec = nil
			p = o.timeoutErr(p)
			o.noteErr(p)
			o.toClient(p)
			return 0, true, nil
		}
		if mysqlwire.IsEOF(p) {
			w, st := terminator(p)
			o.toClientEOF(false, w, st)
			o.recordEnd(w, st)
			return st, false, nil
		}
		if o.plan != nil {
			if p, err = o.plan.row(p, binary); err != nil {
				be.broken = true
				return 0, false, o.l.lost(err)
			}
		}
		if den := o.st.Row(len(p) + 4); den != nil {
			o.stop(den)
		}
		if !o.muted {
			o.st.AddRows(1) // rows relayed, not those dropped past a bound
		}
		o.toClient(p)
		o.record(frameRow, p)
	}
}

// stop ends the result under way with den's error in place of its next
// row (as a server that fails mid-result does). The backend query is
// killed and the rest of its answer read and dropped; since the kill may
// land late, the connection is not reused by anyone else.
func (o *results) stop(den *policy.Denial) {
	if o.muted {
		return
	}
	o.toClient(mysqlwire.AppendErr(nil, mysqlwire.ErrorOf(den)))
	o.muted = true
	o.st.Fail(den.Code)
	o.l.be.broken = true
	go o.l.killQuery()
}

// timeoutErr replaces the server's "query interrupted" with the
// statement-timeout error when the gateway's timeout killed the query.
func (o *results) timeoutErr(p []byte) []byte {
	if !o.st.TimedOut() {
		return p
	}
	if e := mysqlwire.ParseErr(p); e != nil && e.Code == mysqlwire.ErQueryInterrupted {
		return mysqlwire.AppendErr(nil, mysqlwire.Errorf(mysqlwire.ErQueryTimeout,
			"Query execution was interrupted, maximum statement execution time exceeded (limits: statement_timeout)"))
	}
	return p
}

// noteErr reports a backend ERR packet's SQLSTATE to the statement (the
// first error is its outcome).
func (o *results) noteErr(p []byte) {
	if e := mysqlwire.ParseErr(p); e != nil {
		o.st.Fail(e.State)
	}
}

// localInfile answers the server's request for a client file: relayed
// when LOCAL INFILE is enabled and the client offered it, refused
// otherwise (the server gets an empty file, the client an error).
func (o *results) localInfile(req []byte) (status uint16, failed bool, err error) {
	be := o.l.be
	allowed := o.l.r.opts.Load().LocalInfile && o.c.Has(mysqlwire.CapLocalFiles) && !o.gone.Load()
	if allowed {
		o.toClient(req)
		if err := o.c.Flush(); err != nil {
			o.clientGone()
			allowed = false
		}
	}
	if allowed {
		for {
			p, err := o.c.ReadPacket()
			if err != nil {
				// The client is gone mid-file: end the file so the server
				// finishes, then drop the session.
				_ = be.pc.WritePacket(nil)
				_ = be.pc.Flush()
				o.gone.Store(true)
				break
			}
			if err := be.pc.WritePacket(p); err != nil {
				return 0, false, o.l.lost(err)
			}
			if len(p) == 0 {
				break
			}
		}
	} else {
		if err := be.pc.WritePacket(nil); err != nil {
			return 0, false, o.l.lost(err)
		}
	}
	if err := be.pc.Flush(); err != nil {
		return 0, false, o.l.lost(err)
	}
	p, err := be.read()
	if err != nil {
		return 0, false, o.l.lost(err)
	}
	if !allowed {
		// Whatever the server answered, the load did not happen as asked.
		if p[0] == mysqlwire.HeaderOK {
			ok, _ := mysqlwire.ParseOK(p)
			o.l.setStatus(ok.Status)
		}
		return 0, false, errLocalInfile()
	}
	if p[0] == mysqlwire.HeaderErr {
		o.noteErr(p)
		o.toClient(p)
		return 0, true, nil
	}
	ok, _ := mysqlwire.ParseOK(p)
	o.st.AddRows(int64(ok.AffectedRows))
	o.toClient(p)
	return ok.Status, false, nil
}

// errLocalInfile refuses LOAD DATA LOCAL INFILE.
func errLocalInfile() *mysqlwire.Error {
	return mysqlwire.Errorf(mysqlwire.ErNotAllowedCommand, "LOAD DATA LOCAL INFILE is disabled on this gateway (mysql.local_infile)")
}

// relayFieldList relays COM_FIELD_LIST: column definitions, then an end.
func (o *results) relayFieldList() error {
	for {
		p, err := o.l.be.read()
		if err != nil {
			return o.l.lost(err)
		}
		switch {
		case p[0] == mysqlwire.HeaderErr:
			o.toClient(p)
			return nil
		case mysqlwire.IsEOF(p):
			w, st := terminator(p)
			o.toClientEOF(false, w, st)
			return nil
		}
		o.toClient(p)
	}
}

// relayOne relays a one-packet response.
func (o *results) relayOne() error {
	p, err := o.l.be.read()
	if err != nil {
		return o.l.lost(err)
	}
	o.toClient(p)
	return nil
}

// relayFetch relays the rows COM_STMT_FETCH reads from an open cursor,
// masked by plan (the cursor's, nil: none), as the result of the
// statement under way (each fetch is one).
func (o *results) relayFetch(plan *maskPlan) error {
	o.st.NextResult()
	for {
		q, err := o.l.be.read()
		if err != nil {
			return o.l.lost(err)
		}
		o.st.Responded()
		if q[0] == mysqlwire.HeaderErr {
			o.noteErr(q)
			o.toClient(q)
			return nil
		}
		if mysqlwire.IsEOF(q) {
			w, st := terminator(q)
			o.l.setStatus(st)
			o.toClientEOF(false, w, st)
			return nil
		}
		if plan != nil {
			if q, err = plan.row(q, true); err != nil {
				o.l.be.broken = true
				return o.l.lost(err)
			}
		}
		if den := o.st.Row(len(q) + 4); den != nil {
			o.stop(den)
		}
		if !o.muted {
			o.st.AddRows(1)
		}
		o.toClient(q)
	}
}
