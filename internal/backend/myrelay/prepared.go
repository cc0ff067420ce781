package myrelay

import (
	"context"
	"encoding/binary"
	"log/slog"
	"slices"

	"github.com/floe-db/floe/internal/sqltext"
	"github.com/floe-db/floe/internal/stmt"
	"github.com/floe-db/floe/internal/wire/mysqlwire"
)

// maxBackendStmts bounds the statements kept prepared per backend connection.
const maxBackendStmts = 512

// clientStmt is a statement the client prepared: the relay's record of it.
type clientStmt struct {
	// query is what is prepared on the server: the client's text, or
	// that text with the row filters added.
	query string
	// text is the client's text when it differs from query ("": the
	// same), the statement statistics' key.
	text    string
	params  int
	columns int
	types   []uint16  // parameter types the client bound last
	plan    *maskPlan // masks of the rows of its open cursor
}

// clientText is the text the client prepared.
func (cs *clientStmt) clientText() string {
	if cs.text != "" {
		return cs.text
	}
	return cs.query
}

// clientStmts are the statements a client session holds prepared, by the
// ids the relay gave them (the server's ids differ per connection).
type clientStmts struct {
	byID map[uint32]*clientStmt
	next uint32
}

func newClientStmts() clientStmts { return clientStmts{byID: map[uint32]*clientStmt{}} }

// add keeps cs and returns its id.
func (c *clientStmts) add(cs *clientStmt) uint32 {
	c.next++
	c.byID[c.next] = cs
	return c.next
}

// close forgets the statement of COM_STMT_CLOSE p.
func (c *clientStmts) close(p []byte) {
	if id, ok := mysqlwire.StatementID(p); ok {
		delete(c.byID, id)
	}
}

// reset forgets every statement (COM_RESET_CONNECTION).
func (c *clientStmts) reset() { c.byID = map[uint32]*clientStmt{} }

// lookup finds the statement a COM_STMT_* packet p names; command names
// the command in the error for an unknown one.
func (c *clientStmts) lookup(p []byte, command string) (*clientStmt, error) {
	id, ok := mysqlwire.StatementID(p)
	if !ok {
		return nil, mysqlwire.Errorf(mysqlwire.ErMalformedPacket, "Malformed communication packet")
	}
	cs := c.byID[id]
	if cs == nil {
		return nil, mysqlwire.Errorf(mysqlwire.ErUnknownStmtHandler, "Unknown prepared statement handler (%d) given to %s", id, command)
	}
	return cs, nil
}

// prepare handles COM_STMT_PREPARE: the text is decided on (not run), then
// prepared on the attached connection and the statement kept under an id
// of the relay's.
func (s *session) prepare(ctx context.Context, p []byte) error {
	q := string(p[1:])
	if s.r.log.Enabled(ctx, slog.LevelDebug) {
		s.r.log.Debug("prepare", "connection_id", s.c.ID, "sql", sqltext.MaskMySQL(q))
	}
	d, a := s.sess.Check(ctx, "prepare", q)
	if d.Denial != nil {
		return mysqlwire.ErrorOf(d.Denial)
	}
	text := ""
	if d.SQL != "" {
		text, q, p = q, d.SQL, append([]byte{mysqlwire.ComStmtPrepare}, d.SQL...)
	}
	eff := a.MySQLEffects()
	if eff.LoadLocal && !s.r.opts.Load().LocalInfile {
		return errLocalInfile()
	}
	if err := s.stmts.room(len(q) + len(text)); err != nil {
		return err
	}
	if err := s.attach(ctx); err != nil {
		return err
	}
	if eff.Pin != "" {
		s.untrack()
		s.pin(eff.Pin)
	}
	be := s.be
	if old, ok := be.stmts[q]; ok {
		// Prepared on this connection already: close the old one so that
		// the client gets fresh metadata.
		delete(be.stmts, q)
		_ = be.send(binary.LittleEndian.AppendUint32([]byte{mysqlwire.ComStmtClose}, old.id))
	}
	if err := be.send(p); err != nil {
		return s.lost(err)
	}
	first, err := be.read()
	if err != nil {
		return s.lost(err)
	}
	if first[0] == mysqlwire.HeaderErr {
		// Refused by the server before anything ran: a failed statement
		// all the same.
		s.sess.Refused(nil)
		s.toClient(first)
		return nil
	}
	pok, perr := mysqlwire.ParsePrepareOK(first)
	if perr != nil {
		be.broken = true
		return s.lost(perr)
	}
	cs := &clientStmt{query: q, text: text, params: int(pok.Params), columns: int(pok.Columns)}
	id := s.stmts.add(cs)
	be.stmts[q] = &backendStmt{id: pok.StatementID, params: cs.params, cols: cs.columns}
	s.evictStmts(q)
	out := pok
	out.StatementID = id
	s.toClient(mysqlwire.AppendPrepareOK(nil, out))
	for k, n := range []int{cs.params, cs.columns} {
		defs := make([][]byte, n)
		for i := range defs {
			if defs[i], err = be.read(); err != nil {
				return s.lost(err)
			}
		}
		if k == 1 {
			// The client learns the result's column types here.
			if _, err := planColumns(s.gate.Masks(), defs); err != nil {
				be.broken = true
				return s.lost(err)
			}
		}
		for _, d := range defs {
			s.toClient(d)
		}
		if n > 0 {
			if !be.deprecateEOF {
				if _, err := be.read(); err != nil {
					return s.lost(err)
				}
			}
			s.toClientEOF(true, 0, s.status)
		}
	}
	return nil
}

// execute handles COM_STMT_EXECUTE: the statement, decided on at
// prepare, begins under the limits (sess.Begin) and runs on the attached
// connection, prepared there first if needed.
func (s *session) execute(ctx context.Context, p []byte) error {
	cs, err := s.stmts.lookup(p, "mysqld_stmt_execute")
	if err != nil {
		return err
	}
	s.c.NoteStatement(cs.query)
	ex, perr := mysqlwire.ParseExecute(p, cs.params)
	if perr != nil {
		return mysqlwire.Errorf(mysqlwire.ErMalformedPacket, "Malformed communication packet")
	}
	if ex.NewBound {
		cs.types = ex.Types
	} else if cs.params > 0 && cs.types == nil {
		return mysqlwire.Errorf(mysqlwire.ErWrongArguments, "Incorrect arguments to mysqld_stmt_execute")
	}
	st, den := s.sess.Begin(ctx, cs.clientText(), s.killQuery)
	if den != nil {
		return mysqlwire.ErrorOf(den)
	}
	if s.sess.WantsArgs() {
		st.SetArgs(executeArgs(ex, cs.types, s.longData))
	}
	return s.run(st, func() error { return s.executeOn(ctx, st, p, cs, ex) })
}

func (s *session) executeOn(ctx context.Context, st *stmt.Statement, p []byte, cs *clientStmt, ex *mysqlwire.Execute) error {
	cursor := ex.Flags&mysqlwire.CursorReadOnly != 0
	if c := st.Cache(); c != nil && !cursor && !s.longData {
		v := stmt.Variant{Format: formatBinary, Params: executeParams(ex, cs.types), Settings: s.settings()}
		if r, ok := s.hit(ctx, st, c, v); ok {
			// Answered from the cache: no backend connection is needed.
			return s.replay(st, r)
		}
		s.startRecording(c, v)
	}
	var err error
	if cursor {
		// A cursor pins the session: it opens where writes go.
		err = s.attach(ctx)
	} else {
		err = s.attachFor(ctx, st.Analysis)
	}
	if err != nil {
		return err
	}
	st.Acquired(s.be.addr)
	bs, err := s.ensure(cs)
	if err != nil {
		return err
	}
	if cursor {
		s.pin("cursor")
	}
	out := p
	switch {
	case cs.params > 0 && !ex.NewBound && !slices.Equal(bs.types, cs.types):
		// This connection has other (or no) types bound: send them.
		ex.Types = cs.types
		ex.StatementID = bs.id
		out = mysqlwire.AppendExecute(nil, ex)
	default:
		out = slices.Clone(p)
		binary.LittleEndian.PutUint32(out[1:], bs.id)
	}
	if cs.params > 0 {
		bs.types = cs.types
	}
	if err := s.be.send(out); err != nil {
		return s.lost(err)
	}
	s.longData = false
	_, err = s.relayResult(cursor, true)
	if cursor {
		cs.plan = s.plan // rows come with COM_STMT_FETCH
	}
	return err
}

// sendLongData relays COM_STMT_SEND_LONG_DATA, which the server does not
// answer; the connection is kept until EXECUTE.
func (s *session) sendLongData(ctx context.Context, p []byte) error {
	cs, err := s.stmts.lookup(p, "mysqld_stmt_send_long_data")
	if err != nil {
		// No response is sent for this command; the error shows at EXECUTE.
		return nil
	}
	if err := s.attach(ctx); err != nil {
		return err
	}
	bs, err := s.ensure(cs)
	if err != nil {
		return err
	}
	out := slices.Clone(p)
	binary.LittleEndian.PutUint32(out[1:], bs.id)
	s.longData = true
	if err := s.be.send(out); err != nil {
		return s.lost(err)
	}
	return nil
}

// resetStmt relays COM_STMT_RESET to the connection the statement is
// prepared on (none: nothing to reset).
func (s *session) resetStmt(p []byte) error {
	cs, err := s.stmts.lookup(p, "mysqld_stmt_reset")
	if err != nil {
		return err
	}
	s.longData = false
	if s.be == nil {
		return s.c.WriteOK(mysqlwire.OK{Status: s.status})
	}
	bs, ok := s.be.stmts[cs.query]
	if !ok {
		return s.c.WriteOK(mysqlwire.OK{Status: s.status})
	}
	out := slices.Clone(p)
	binary.LittleEndian.PutUint32(out[1:], bs.id)
	if err := s.be.send(out); err != nil {
		return s.lost(err)
	}
	return s.relayOne()
}

// fetch relays COM_STMT_FETCH from the statement's open cursor. Each
// fetch runs as a statement of the pipeline (as an Execute of a suspended
// portal does on PostgreSQL): decided again if the policy changed since
// the prepare, under the limits, its rows counted, audited and held to the
// result bounds.
func (s *session) fetch(ctx context.Context, p []byte) error {
	cs, err := s.stmts.lookup(p, "mysqld_stmt_fetch")
	if err != nil {
		return err
	}
	if s.be == nil {
		return mysqlwire.Errorf(mysqlwire.ErUnknownStmtHandler, "The statement has no open cursor")
	}
	bs, ok := s.be.stmts[cs.query]
	if !ok {
		return mysqlwire.Errorf(mysqlwire.ErUnknownStmtHandler, "The statement has no open cursor")
	}
	st, den := s.sess.Begin(ctx, cs.clientText(), s.killQuery)
	if den != nil {
		return mysqlwire.ErrorOf(den)
	}
	st.Acquired(s.be.addr)
	return s.run(st, func() error {
		out := slices.Clone(p)
		binary.LittleEndian.PutUint32(out[1:], bs.id)
		if err := s.be.send(out); err != nil {
			return s.lost(err)
		}
		return s.relayFetch(cs.plan)
	})
}

// executeArgs decodes a COM_STMT_EXECUTE's parameter values, copied out
// of the packet, for the statement pipeline (stmt.Statement.Args: a plan
// capture explains the statement with them); nil without parameters or
// when some came by COM_STMT_SEND_LONG_DATA (not kept here).
func executeArgs(ex *mysqlwire.Execute, types []uint16, longData bool) *stmt.Args {
	if len(ex.Nulls) == 0 || longData {
		return nil
	}
	vals, err := mysqlwire.DecodeValues(ex, types, nil)
	if err != nil {
		return nil
	}
	for i, v := range vals {
		if b, ok := v.([]byte); ok {
			vals[i] = slices.Clone(b)
		}
	}
	return &stmt.Args{Any: vals}
}
