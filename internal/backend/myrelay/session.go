package myrelay

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"regexp"
	"strings"
	"sync/atomic"
	"time"

	"github.com/floe-db/floe/internal/config"
	"github.com/floe-db/floe/internal/policy"
	"github.com/floe-db/floe/internal/sqltext"
	"github.com/floe-db/floe/internal/stmt"
	"github.com/floe-db/floe/internal/wire/hangup"
	"github.com/floe-db/floe/internal/wire/mysqlwire"
)

// session is one client session on the relay: it reads the client's
// commands and hands each statement to the database's statement pipeline
// (sess), keeping only the protocol work. Its parts: link (the backend
// connection and the session state replayed on it, link.go), results
// (relaying and masking the server's answers, results.go) and stmts (the
// client's prepared statements, prepared.go).
type session struct {
	link
	results

	r     *Relay
	c     *mysqlwire.Conn
	sess  *stmt.Session
	gate  *policy.Gate
	stmts clientStmts
	// untracked is the session's cache-key marker once its settings are
	// no longer known to the relay ("": known; cache.go).
	untracked string
}

// Serve implements mysqlwire.Handler.
func (r *Relay) Serve(ctx context.Context, c *mysqlwire.Conn) error {
	pc := r.poolConfig()
	s := &session{
		link:  newLink(r, pc.Mode, c.User.Name, c.Collation, c.Has(mysqlwire.CapMultiStatements), c.Has(mysqlwire.CapFoundRows)),
		r:     r,
		c:     c,
		stmts: newClientStmts(),
	}
	r.sessions.Enter()
	defer r.sessions.Leave(r.Close)
	login, err := r.logins.For(c.User.Roles)
	if err != nil {
		return mysqlwire.Errorf(mysqlwire.ErDBAccessDenied, "%s", err.Error())
	}
	s.login = login
	s.sess = r.pipe.Open(policy.Request{
		User: c.User.Name, Roles: c.User.Roles, Client: policy.HostOf(c.RemoteAddr),
		Protocol: "mysql", Session: c.ID, DefaultSchema: r.servers[0].at.Load().dsn.db,
		QueryTimeout: pc.QueryTimeout, Backed: login > 0,
	})
	s.gate = s.sess.Gate()
	s.results = results{c: c, l: &s.link, gate: s.gate}
	// One reading: the handshake's character set is replayed on the
	// backend, and some make the server read quotes and backslashes inside
	// multibyte characters the policy's parser does not see. Such a session
	// gets the refusal for each command and never reaches the backend.
	var charsetDenial *policy.Denial
	if cs, _ := collationName(c.Collation); cs != "" && s.gate.Enabled() {
		if charsetDenial = policy.CheckClientCharset(cs); charsetDenial != nil {
			s.gate.Refused(charsetDenial)
		}
	}
	c.SetCanceller(s.killQuery)
	defer c.SetCanceller(nil)
	defer s.detach(true)
	for {
		var p []byte
		var err error
		// Long data sent for a statement holds the backend connection
		// until EXECUTE, as an open transaction does: the same timeout.
		var stopWatch func() bool
		if s.be != nil && s.status&mysqlwire.StatusInTrans == 0 {
			stopWatch = s.watchBackend()
		}
		if s.status&mysqlwire.StatusInTrans == 0 && !s.longData {
			p, err = c.ReadCommandIdle()
		} else {
			p, err = c.ReadCommandWithin(pc.IdleInTransactionTimeout)
		}
		if stopWatch != nil && stopWatch() {
			// The client's driver sees its connection closed and
			// reconnects; the session's state went with the backend's.
			s.be.broken = true
			s.r.log.Warn("backend connection lost while the client was idle; ending the client session", "backend", s.be.srv.name)
			return nil
		}
		if err != nil {
			return err
		}
		if p[0] == mysqlwire.ComQuit {
			return nil
		}
		if charsetDenial != nil {
			err = mysqlwire.ErrorOf(charsetDenial)
		} else {
			err = s.command(ctx, p)
		}
		if err == nil && s.gone.Load() {
			return io.EOF
		}
		if err != nil {
			me, ok := errors.AsType[*mysqlwire.Error](err)
			if !ok || me.Fatal {
				return err
			}
			if werr := c.WriteErr(me); werr != nil {
				return werr
			}
		}
		if err := c.Flush(); err != nil {
			return err
		}
		s.maybeRelease()
	}
}

// watchBackend watches the backend connection the session keeps between
// transactions (session mode, pinned state, long data) while the client
// is idle: a server that closes it (KILL, a restart) or sends anything
// out of turn ends the client connection at once, so that the client's
// driver finds it closed before its next statement and reconnects,
// instead of that statement failing. Inside a transaction there is no
// watch (its cost — a goroutine, a peek and two wake-ups — would come
// with every statement, and a transaction whose connection died is lost
// whatever the client learns first): the next statement meets the dead
// connection and the client gets the error, as the PostgreSQL relay does.
// stop ends the watch before the session reads or writes the backend
// again and reports whether the backend died.
func (s *session) watchBackend() (stop func() bool) {
	be := s.be
	if be.pc.Buffered() > 0 {
		return func() bool { return true }
	}
	nc := be.pc.NetConn()
	var dead atomic.Bool
	done := make(chan struct{})
	go func() {
		defer close(done)
		if hangup.WaitReadable(nc) == nil {
			dead.Store(true)
			s.c.Abort()
		}
	}()
	return func() bool {
		_ = nc.SetReadDeadline(time.Now())
		<-done
		_ = nc.SetReadDeadline(time.Time{})
		return dead.Load()
	}
}

func (s *session) command(ctx context.Context, p []byte) error {
	c := s.c
	switch p[0] {
	case mysqlwire.ComPing:
		return c.WriteOK(mysqlwire.OK{Status: s.status})
	case mysqlwire.ComInitDB:
		return s.use(string(p[1:]))
	case mysqlwire.ComQuery:
		return s.query(ctx, p)
	case mysqlwire.ComFieldList:
		// A metadata check, as the SELECT * that would show the columns.
		table, _, _ := strings.Cut(string(p[1:]), "\x00")
		if d := s.gate.CheckTable(ctx, table); d.Denial != nil {
			return mysqlwire.ErrorOf(d.Denial)
		}
		return s.simple(ctx, p, s.relayFieldList)
	case mysqlwire.ComStatistics:
		return s.simple(ctx, p, s.relayOne)
	case mysqlwire.ComStmtPrepare:
		return s.prepare(ctx, p)
	case mysqlwire.ComStmtExecute:
		return s.execute(ctx, p)
	case mysqlwire.ComStmtSendLongData:
		return s.sendLongData(ctx, p)
	case mysqlwire.ComStmtClose:
		s.stmts.close(p)
		return nil
	case mysqlwire.ComStmtReset:
		return s.resetStmt(p)
	case mysqlwire.ComStmtFetch:
		return s.fetch(ctx, p)
	case mysqlwire.ComSetOption:
		if len(p) < 3 {
			return mysqlwire.Errorf(mysqlwire.ErMalformedPacket, "Malformed communication packet")
		}
		switch opt := binary.LittleEndian.Uint16(p[1:]); opt {
		case mysqlwire.OptionMultiStatementsOn, mysqlwire.OptionMultiStatementsOff:
			if err := s.setMulti(opt); err != nil {
				return err
			}
		default:
			return mysqlwire.Errorf(mysqlwire.ErUnknownCom, "Unknown command")
		}
		return c.WriteEOF(false, 0, s.status)
	case mysqlwire.ComResetConnection:
		return s.resetConnection()
	case mysqlwire.ComProcessKill:
		if len(p) < 5 {
			return mysqlwire.Errorf(mysqlwire.ErMalformedPacket, "Malformed communication packet")
		}
		return c.RunKill(mysqlwire.Kill{ID: binary.LittleEndian.Uint32(p[1:])}, s.status)
	case mysqlwire.ComChangeUser:
		return mysqlwire.Errorf(mysqlwire.ErNotSupportedYet, "COM_CHANGE_USER is not supported by Floe; open a new connection as the other user")
	}
	return mysqlwire.Errorf(mysqlwire.ErUnknownCom, "Unknown command")
}

// run runs f as the statement st: the results relayed meanwhile are
// st's, and st finishes with f's outcome (its rows, the first error).
func (s *session) run(st *stmt.Statement, f func() error) error {
	s.results.st = st
	err := f()
	s.results.st = nil
	s.rec = nil
	s.unmute()
	finish(st, err)
	return err
}

// finish ends st with err: a MySQL error counts by its SQLSTATE, a
// switch to another database is no error of the statement's.
func finish(st *stmt.Statement, err error) {
	if me, ok := errors.AsType[*mysqlwire.Error](err); ok {
		st.Fail(me.State)
	} else if _, ok := errors.AsType[*mysqlwire.SwitchError](err); ok {
		err = nil
	}
	st.Finish(err)
}

// unchecked runs f as a statement the policy does not decide on (KILL
// and USE, which the gateway answers itself): the limits and the rest of
// the pipeline apply.
func (s *session) unchecked(ctx context.Context, text string, f func() error) error {
	st, den := s.sess.Begin(ctx, text, s.killQuery)
	if den != nil {
		return mysqlwire.ErrorOf(den)
	}
	return s.run(st, f)
}

// simple runs a command whose response relay is given.
func (s *session) simple(ctx context.Context, p []byte, relay func() error) error {
	if err := s.attach(ctx); err != nil {
		return err
	}
	if err := s.be.send(p); err != nil {
		return s.lost(err)
	}
	return relay()
}

func (s *session) resetConnection() error {
	if err := s.link.reset(); err != nil {
		return err
	}
	s.stmts.reset()
	s.lastInsertID = 0
	s.untracked = ""
	return s.c.WriteOK(mysqlwire.OK{Status: s.status})
}

// use switches the logical database (COM_INIT_DB or USE).
func (s *session) use(db string) error {
	if db == s.c.Database {
		return s.c.WriteOK(mysqlwire.OK{Status: s.status})
	}
	if s.status&mysqlwire.StatusInTrans != 0 || s.pinned != "" {
		return mysqlwire.Errorf(mysqlwire.ErLockOrActiveTrans, "Can't switch to database '%s' with an open transaction or session state on this one", db)
	}
	err := s.c.Switch(db)
	if _, ok := errors.AsType[*mysqlwire.SwitchError](err); ok {
		s.detach(true)
	}
	return err
}

var connectionIDQuery = regexp.MustCompile(`(?is)^\s*select\s+connection_id\s*\(\s*\)\s*;?\s*$`)

var lastInsertIDQuery = regexp.MustCompile(`(?is)^\s*select\s+last_insert_id\s*\(\s*\)\s*(?:as\s+(\w+|` + "`[^`]+`" + `))?\s*;?\s*$`)

// query handles COM_QUERY: KILL and USE are the gateway's; any other
// text starts through the pipeline (decision, then limits) and runs as
// the decision rewrote it.
func (s *session) query(ctx context.Context, p []byte) error {
	q := string(p[1:])
	s.c.NoteStatement(q)
	if s.r.log.Enabled(ctx, slog.LevelDebug) {
		s.r.log.Debug("query", "connection_id", s.c.ID, "sql", sqltext.MaskMySQL(q))
	}
	if k, ok, kerr := mysqlwire.ParseKill(q); ok {
		return s.unchecked(ctx, q, func() error {
			if kerr != nil {
				return kerr
			}
			return s.c.RunKill(k, s.status)
		})
	}
	if db, ok := mysqlwire.ParseUse(q); ok {
		return s.unchecked(ctx, q, func() error { return s.use(db) })
	}
	st, den := s.sess.Start(ctx, "query", q, s.killQuery)
	if den != nil {
		return mysqlwire.ErrorOf(den)
	}
	if st.SQL != q {
		p = append([]byte{mysqlwire.ComQuery}, st.SQL...)
	}
	return s.run(st, func() error { return s.queryOn(ctx, st, p) })
}

// queryOn runs the COM_QUERY p of st (its text as the decision left it).
func (s *session) queryOn(ctx context.Context, st *stmt.Statement, p []byte) error {
	q := st.SQL
	if connectionIDQuery.MatchString(q) {
		// The session's id is the gateway's: the one KILL takes.
		return s.answerInt(st, "CONNECTION_ID()", uint64(s.c.ID))
	}
	if s.be == nil && s.mode != config.PoolSession {
		if m := lastInsertIDQuery.FindStringSubmatch(q); m != nil {
			name := "LAST_INSERT_ID()"
			if m[1] != "" {
				name = strings.Trim(m[1], "`")
			}
			return s.answerInt(st, name, s.lastInsertID)
		}
	}
	// The decision's rewrite (row filters) changes no session state: the
	// effects are the client text's, read as the server reads it.
	eff := st.Analysis.MySQLEffects()
	if eff.LoadLocal && !s.r.opts.Load().LocalInfile {
		return errLocalInfile()
	}
	if eff.Use {
		// Only a USE on its own switches databases (above); inside a
		// multi-statement string it would move the backend connection.
		return mysqlwire.Errorf(mysqlwire.ErNotSupportedYet, "USE inside a multi-statement query is not supported by Floe; send USE on its own")
	}
	if eff.Pin != "" {
		s.untrack()
	}
	if c := st.Cache(); c != nil && eff.Pin == "" && !eff.Names && !eff.Autocommit && !eff.LoadLocal && eff.Statements == 1 {
		v := stmt.Variant{Format: formatText, Settings: s.settings()}
		if r, ok := s.hit(ctx, st, c, v); ok {
			// Answered from the cache: no backend connection is needed.
			return s.replay(st, r)
		}
		s.startRecording(c, v)
	}
	var err error
	if eff.Pin == "" {
		err = s.attachFor(ctx, st.Analysis)
	} else {
		err = s.attach(ctx)
	}
	if err != nil {
		return err
	}
	st.Acquired(s.be.addr)
	if eff.Pin != "" {
		s.pin(eff.Pin)
	}
	if err := s.be.send(p); err != nil {
		return s.lost(err)
	}
	failed, err := s.relayResult(false, false)
	if err != nil {
		return err
	}
	if !failed && eff.Names {
		s.names, s.namesSQL = "sql:"+q, q
		s.be.names = s.names
	}
	return nil
}

// answerInt answers a one-value query the relay knows better than the
// server: SELECT LAST_INSERT_ID() between transactions in transaction mode
// (the next statement may run on another connection; the value is the one
// from this session's last OK packet) and SELECT CONNECTION_ID().
func (s *session) answerInt(st *stmt.Statement, name string, v uint64) error {
	c := s.c
	if err := c.WritePacket([]byte{1}); err != nil {
		return err
	}
	col := mysqlwire.Column{Name: name, Charset: mysqlwire.CharsetBinary, Length: 21, Type: mysqlwire.TypeLongLong,
		Flags: mysqlwire.FlagNotNull | mysqlwire.FlagUnsigned | mysqlwire.FlagBinary}
	if err := c.WritePacket(mysqlwire.AppendColumn(nil, col)); err != nil {
		return err
	}
	if err := c.WriteEOF(true, 0, s.status); err != nil {
		return err
	}
	row := mysqlwire.AppendLenString(nil, fmt.Sprint(v))
	if err := c.WritePacket(row); err != nil {
		return err
	}
	st.AddRows(1)
	return c.WriteEOF(false, 0, s.status)
}
