package pgrelay

import (
	"context"
	"errors"
	"log/slog"
	"slices"

	"github.com/jackc/pgx/v5/pgproto3"

	"github.com/floe-db/floe/internal/analysis"
	"github.com/floe-db/floe/internal/policy"
	"github.com/floe-db/floe/internal/sqltext"
	"github.com/floe-db/floe/internal/stmt"
	"github.com/floe-db/floe/internal/wire/pgwire"
)

func (s *session) parse(ctx context.Context, m *pgproto3.Parse) error {
	if s.log.Enabled(ctx, slog.LevelDebug) {
		s.log.Debug("parse", "statement", m.Name, "sql", sqltext.Mask(m.Query))
	}
	d, a := s.sess.Check(ctx, "parse", m.Query)
	if d.Denial != nil {
		return s.deniedParse(ctx, m, d.Denial)
	} else if d.SQL != "" {
		m = &pgproto3.Parse{Name: m.Name, Query: d.SQL, ParameterOIDs: m.ParameterOIDs}
	}
	if eff := a.Effects(); eff.Pin != "" {
		s.untrack()
		s.pin(eff.Pin)
	}
	// A replica can prepare a write (only running it fails): a batch
	// begun on a replica is checked at Bind.
	if err := s.beginBatchFor(ctx, a); err != nil {
		return s.batchError(err)
	}
	oids := append([]uint32(nil), m.ParameterOIDs...)
	if m.Name == "" {
		s.prep.unnamedSeq++
		s.prep.unnamed = &clientStmt{query: m.Query, oids: oids, a: a}
		b := s.att.be.Value
		b.unnamedOwner, b.unnamedSeq = s, s.prep.unnamedSeq
		s.send(m)
		s.q.push(op{kind: opParse, sql: m.Query})
		return s.checkPending(ctx)
	}
	if _, exists := s.prep.named[m.Name]; exists {
		// As PostgreSQL: a named statement must be closed before reuse.
		s.q.fail(op{kind: opParse}, pgwire.Errorf(pgwire.CodeDuplicatePreparedStmt, "prepared statement %q already exists", m.Name))
		return s.checkPending(ctx)
	}
	if err := s.prep.room(m.Query); err != nil {
		s.q.fail(op{kind: opParse}, err)
		return s.checkPending(ctx)
	}
	st := &clientStmt{query: m.Query, oids: oids, server: serverName(m.Query, oids), a: a}
	s.prep.named[m.Name] = st
	b := s.att.be.Value
	if b.prepared[st.server] {
		s.q.push(op{kind: opParse, synthetic: &pgproto3.ParseComplete{}})
		return s.checkPending(ctx)
	}
	s.evictServerStmts()
	b.prepared[st.server] = true
	s.send(&pgproto3.Parse{Name: st.server, Query: st.query, ParameterOIDs: st.oids})
	s.q.push(op{kind: opParse, sql: m.Query, server: st.server, client: m.Name})
	return s.checkPending(ctx)
}

func (s *session) bind(ctx context.Context, m *pgproto3.Bind) error {
	if s.att.be == nil && s.idle() && !s.q.skipping && s.untracked == "" {
		if cs, ok := s.prep.lookup(m.PreparedStatement); ok && cs.cacheOffered {
			// No backend yet, and the statement's last run was offered the
			// cache: the Bind waits for its Execute, which may be a hit.
			s.held = append(s.held, cloneBind(m))
			return nil
		}
	}
	return s.bindNow(ctx, m)
}

func (s *session) bindNow(ctx context.Context, m *pgproto3.Bind) error {
	var a *analysis.Analysis
	if st, ok := s.prep.lookup(m.PreparedStatement); ok {
		a = st.a
	}
	if err := s.noteStatement(a); err != nil {
		s.q.fail(op{kind: opBind}, err)
		return s.checkPending(ctx)
	}
	if err := s.beginBatchFor(ctx, a); err != nil {
		return s.batchError(err)
	}
	server, err := s.ensurePrepared(m.PreparedStatement)
	if err != nil {
		s.q.fail(op{kind: opBind}, err)
		return s.checkPending(ctx)
	}
	st, _ := s.prep.lookup(m.PreparedStatement)
	if ms := s.gate.Masks(); ms != nil && (!st.described || st.planMasks != ms) {
		// The rows of the portal are masked by the statement's columns:
		// learn them before it runs.
		s.send(&pgproto3.Describe{ObjectType: 'S', Name: server})
		s.q.push(op{kind: opDescribeStmt, swallow: true, st: st})
	}
	p := &portal{st: st, formats: slices.Clone(m.ResultFormatCodes)}
	if s.sess.WantsArgs() {
		p.args = bindArgs(m, st.oids)
	}
	if st.cacheOffered || !st.executed {
		p.keyFormat, p.keyParams = bindKey(m, st.oids)
		p.keyed = true
	}
	s.prep.portals[m.DestinationPortal] = p
	orig := m.PreparedStatement
	m.PreparedStatement = server
	s.send(m)
	m.PreparedStatement = orig
	s.q.push(op{kind: opBind})
	return s.checkPending(ctx)
}

func (s *session) describe(ctx context.Context, m *pgproto3.Describe) error {
	if err := s.beginBatch(ctx); err != nil {
		return s.batchError(err)
	}
	if m.ObjectType == 'P' {
		if p := s.prep.portals[m.Name]; p != nil {
			p.describedInBatch = true
		}
		s.send(m)
		s.q.push(op{kind: opDescribePortal, portal: s.prep.portals[m.Name]})
		return s.checkPending(ctx)
	}
	server, err := s.ensurePrepared(m.Name)
	if err != nil {
		s.q.fail(op{kind: opDescribeStmt}, err)
		return s.checkPending(ctx)
	}
	st, _ := s.prep.lookup(m.Name)
	s.send(&pgproto3.Describe{ObjectType: 'S', Name: server})
	s.q.push(op{kind: opDescribeStmt, st: st})
	return s.checkPending(ctx)
}

func (s *session) close(ctx context.Context, m *pgproto3.Close) error {
	if m.ObjectType == 'S' {
		// Server-side statements are shared and kept; the client's name goes.
		if m.Name == "" {
			s.prep.unnamed = nil
		} else {
			delete(s.prep.named, m.Name)
		}
		if err := s.beginBatch(ctx); err != nil {
			return s.batchError(err)
		}
		s.q.push(op{kind: opClose, synthetic: &pgproto3.CloseComplete{}})
		return s.checkPending(ctx)
	}
	delete(s.prep.portals, m.Name)
	return s.forward(ctx, m, op{kind: opClose})
}

// forward sends an extended-protocol message as it is.
func (s *session) forward(ctx context.Context, m pgproto3.FrontendMessage, o op) error {
	if err := s.beginBatch(ctx); err != nil {
		return s.batchError(err)
	}
	s.send(m)
	s.q.push(o)
	return s.checkPending(ctx)
}

// beginBatch attaches a backend for an extended-protocol message.
func (s *session) beginBatch(ctx context.Context) error { return s.beginBatchFor(ctx, nil) }

// beginBatchFor attaches for a batch whose first statement is a.
func (s *session) beginBatchFor(ctx context.Context, a *analysis.Analysis) error {
	if s.att.be == nil {
		if err := s.attachFor(ctx, a); err != nil {
			return err
		}
	}
	s.q.inBatch = true
	return nil
}

// batchError reports a failure to attach during an extended-protocol
// batch: the error is sent and the rest of the batch is skipped until
// Sync, as the server itself would.
func (s *session) batchError(err error) error {
	pe, ok := errors.AsType[*pgwire.Error](err)
	if !ok {
		return err
	}
	s.st.Fail(pe.Code)
	s.c.SendError(err)
	return s.skipToSync()
}

// skipToSync reads and drops client messages until Sync, then answers
// ReadyForQuery.
func (s *session) skipToSync() error {
	for {
		msg, err := s.c.Receive()
		if err != nil {
			return err
		}
		switch msg.(type) {
		case *pgproto3.Sync:
			s.q.inBatch = false
			s.finish(nil)
			s.c.Send(&pgproto3.ReadyForQuery{TxStatus: s.txStatus})
			return s.c.Flush()
		case *pgproto3.Terminate:
			s.clientGone = true
			return nil
		}
	}
}

func (s *session) checkPending(ctx context.Context) error {
	if !s.q.full() {
		return nil
	}
	return s.flush(ctx)
}

// flush forwards a client Flush: everything so far is answered, the
// backend stays attached until Sync.
func (s *session) flush(ctx context.Context) error {
	if s.att.be == nil {
		return s.c.Flush()
	}
	s.send(&pgproto3.Flush{})
	if err := s.exchange(ctx); err != nil {
		return err
	}
	return s.c.Flush()
}

func (s *session) sync(ctx context.Context) error {
	s.q.skipping = false
	if s.att.be == nil {
		// Nothing went to a backend (e.g. only a Close, or an Execute
		// answered from the cache): answer locally.
		s.q.inBatch = false
		s.finish(nil)
		s.c.Send(&pgproto3.ReadyForQuery{TxStatus: s.txStatus})
		return s.c.Flush()
	}
	s.send(&pgproto3.Sync{})
	s.q.push(op{kind: opSync})
	if err := s.exchange(ctx); err != nil {
		return err
	}
	if s.q.syncDropped {
		s.q.syncDropped = false
		return s.c.Flush()
	}
	s.q.inBatch = false
	s.finish(nil)
	s.maybeRelease()
	return nil
}

// execute handles an Execute: the batch's statement begins at its first
// one (beginExecute). A first Execute the cache stage answers is
// replayed instead of run: with its Bind (and Describe) held back and no
// backend attached, the whole batch is answered here; otherwise in its
// place among the backend's answers. A miss records the result.
func (s *session) execute(ctx context.Context, m *pgproto3.Execute) error {
	fresh := s.st == nil
	var den *policy.Denial
	var c stmt.Cached
	var v stmt.Variant
	looked := false
	if b, described := s.heldFor(m.Portal); b != nil && m.MaxRows == 0 && s.heldStmt(b) != nil {
		cs := s.heldStmt(b)
		p := &portal{st: cs}
		if s.sess.WantsArgs() {
			p.args = bindArgs(b, cs.oids)
		}
		den = s.beginExecute(ctx, p)
		if den == nil {
			cs.executed = true
			c = s.st.Cache()
			cs.cacheOffered = c != nil
		}
		if c != nil {
			format, params := bindKey(b, cs.oids)
			if described {
				format += "+describe"
			}
			v = stmt.Variant{Format: format, Params: params, Settings: s.settings()}
			looked = true
			if r, ok := s.hit(ctx, c, v); ok && (!described || r.Desc != nil) {
				s.held = nil
				s.q.inBatch = true // until the client's Sync
				s.toClient(&pgproto3.BindComplete{})
				s.replay(r, described)
				return nil
			}
		}
		if skipped, err := s.releaseHeld(ctx, false); err != nil || skipped {
			return err
		}
	} else {
		if len(s.held) > 0 {
			if skipped, err := s.releaseHeld(ctx, false); err != nil || skipped {
				return err
			}
		}
		p := s.prep.portals[m.Portal]
		den = s.beginExecute(ctx, p)
		if den == nil && p != nil && p.st != nil {
			p.st.executed = true
			if fresh {
				c = s.st.Cache()
				p.st.cacheOffered = c != nil
			}
		}
	}
	if den != nil {
		if s.att.be == nil {
			s.c.Send(denialError(den))
			return s.skipToSync()
		}
		s.q.fail(op{kind: opExecute}, pgwire.ErrorOf(den))
		return s.checkPending(ctx)
	}
	p := s.prep.portals[m.Portal]
	if c != nil && fresh && p != nil && p.keyed && m.MaxRows == 0 && s.txStatus != 'E' && !s.q.skipping {
		if !looked {
			v = s.variant(p)
			if r, ok := s.hit(ctx, c, v); ok {
				if err := s.beginBatch(ctx); err != nil {
					return s.batchError(err)
				}
				s.q.push(op{kind: opExecute, portal: p, cached: &r})
				return s.checkPending(ctx)
			}
		}
		s.startRecording(c, v, p, p.describedInBatch)
	}
	return s.forward(ctx, m, op{kind: opExecute, portal: p})
}

// heldStmt is the statement a held Bind binds (nil: gone).
func (s *session) heldStmt(b *pgproto3.Bind) *clientStmt {
	cs, _ := s.prep.lookup(b.PreparedStatement)
	return cs
}

// heldFor is the held Bind of portal name, and whether a Describe of it
// is held too (nil: none held).
func (s *session) heldFor(name string) (b *pgproto3.Bind, described bool) {
	for _, m := range s.held {
		switch m := m.(type) {
		case *pgproto3.Bind:
			if m.DestinationPortal == name {
				b = m
			}
		case *pgproto3.Describe:
			if b != nil && m.Name == name {
				described = true
			}
		}
	}
	return b, described
}

// holdMore handles a client message that arrives while a Bind is held:
// a Describe of its portal is held too; an Execute goes on (execute);
// anything else sends the held messages on first. kept reports a message
// held, or dropped with a batch that failed on the way.
func (s *session) holdMore(ctx context.Context, msg pgproto3.FrontendMessage) (kept bool, err error) {
	switch m := msg.(type) {
	case *pgproto3.Describe:
		if b, _ := s.heldFor(m.Name); m.ObjectType == 'P' && b != nil {
			s.held = append(s.held, &pgproto3.Describe{ObjectType: 'P', Name: m.Name})
			return true, nil
		}
	case *pgproto3.Execute:
		return false, nil
	case *pgproto3.Terminate:
		s.held = nil
		return false, nil
	}
	_, isSync := msg.(*pgproto3.Sync)
	skipped, err := s.releaseHeld(ctx, isSync)
	if err != nil || !skipped {
		return false, err
	}
	switch msg.(type) {
	case *pgproto3.Parse, *pgproto3.Bind, *pgproto3.Describe, *pgproto3.Execute, *pgproto3.Close:
		return true, nil // dropped until Sync, as the server does
	}
	return !isSync && !s.q.skipping, nil
}

// releaseHeld sends the held messages on, as if they had just arrived.
// skipped reports that the batch failed on the way: an error is queued
// and the client's messages are dropped until its Sync — or, when the
// backend could not be attached, the error is sent and the session
// skipped to the client's Sync already (atSync: the message in hand is
// that Sync, which answers it).
func (s *session) releaseHeld(ctx context.Context, atSync bool) (skipped bool, err error) {
	held := s.held
	s.held = nil
	if len(held) == 0 {
		return false, nil
	}
	if s.att.be == nil {
		var a *analysis.Analysis
		if b, ok := held[0].(*pgproto3.Bind); ok {
			if cs, ok := s.prep.lookup(b.PreparedStatement); ok {
				a = cs.a
			}
		}
		if err := s.attachFor(ctx, a); err != nil {
			pe, ok := errors.AsType[*pgwire.Error](err)
			if !ok {
				return true, err
			}
			s.st.Fail(pe.Code)
			s.c.SendError(err)
			if atSync {
				return true, nil
			}
			return true, s.skipToSync()
		}
	}
	s.q.inBatch = true
	for _, m := range held {
		switch m := m.(type) {
		case *pgproto3.Bind:
			err = s.bindNow(ctx, m)
		case *pgproto3.Describe:
			err = s.describe(ctx, m)
		}
		if err != nil {
			return true, err
		}
		if s.q.skipping {
			return true, nil
		}
	}
	return false, nil
}

// cloneBind copies a Bind out of the client connection's read buffer.
func cloneBind(m *pgproto3.Bind) *pgproto3.Bind {
	c := &pgproto3.Bind{DestinationPortal: m.DestinationPortal, PreparedStatement: m.PreparedStatement,
		ParameterFormatCodes: slices.Clone(m.ParameterFormatCodes), ResultFormatCodes: slices.Clone(m.ResultFormatCodes)}
	c.Parameters = make([][]byte, len(m.Parameters))
	for i, p := range m.Parameters {
		if p != nil {
			c.Parameters[i] = append([]byte{}, p...)
		}
	}
	return c
}

// bindArgs copies a Bind's parameter values (the message's buffer is
// reused) for the statement pipeline (stmt.Statement.Args: a plan
// capture explains the statement with them); nil without parameters.
func bindArgs(m *pgproto3.Bind, oids []uint32) *stmt.Args {
	if len(m.Parameters) == 0 {
		return nil
	}
	n := 0
	for _, v := range m.Parameters {
		n += len(v)
	}
	buf := make([]byte, 0, n)
	vals := make([][]byte, len(m.Parameters))
	for i, v := range m.Parameters {
		if v == nil {
			continue
		}
		buf = append(buf, v...)
		vals[i] = buf[len(buf)-len(v) : len(buf) : len(buf)]
	}
	return &stmt.Args{Values: vals, Formats: slices.Clone(m.ParameterFormatCodes), Types: oids}
}
