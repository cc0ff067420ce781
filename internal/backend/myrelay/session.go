package myrelay

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/floe-db/floe/internal/config"
	"github.com/floe-db/floe/internal/policy"
	"github.com/floe-db/floe/internal/pool"
	"github.com/floe-db/floe/internal/sqlerr"
	"github.com/floe-db/floe/internal/sqltext"
	"github.com/floe-db/floe/internal/wire/mysqlwire"
)

const (
	watchDelay = 50 * time.Millisecond
	// maxBackendStmts bounds the statements kept prepared per backend connection.
	maxBackendStmts = 512
	// defaultNames is the character set state of a fresh backend connection.
	defaultNames = "collation:45"
)

// clientStmt is a statement the client prepared: the relay's record of it.
type clientStmt struct {
	query   string
	params  int
	columns int
	types   []uint16  // parameter types the client bound last
	plan    *maskPlan // masks of the rows of its open cursor
}

type session struct {
	r    *Relay
	c    *mysqlwire.Conn
	mode string
	gate *policy.Gate
	// cancelQuery kills the backend query under way (client hang-up,
	// statement timeout); safe from any goroutine.
	cancelQuery func()
	// Outcome of the statement under way, for the audit log.
	outRows int64
	outErr  uint16
	// plan masks the rows of the result set being relayed (nil: none).
	plan *maskPlan
	// run is the statement under way; muted: its result was stopped
	// with an error, the rest of the server's answer is read and dropped.
	run   *policy.Run
	muted bool

	foundRows bool
	// login is the backend login the session runs as (its user's roles'
	// identity on the database; 0: the DSN's).
	login  int
	p      *pool.Pool[*backendConn]
	lease  *pool.Conn[*backendConn]
	be     *backendConn
	thread atomic.Uint32 // attached backend thread, for KILL QUERY
	killTo atomic.Pointer[server]
	// lastWrite is when the session last sent a write (read-your-writes).
	lastWrite time.Time

	pinned   string
	longData bool // COM_STMT_SEND_LONG_DATA sent; keep the connection until EXECUTE
	status   uint16
	// What the session wants of whatever connection it gets.
	autocommit bool
	multi      bool
	names      string // key of the character set state
	namesSQL   string // statement that establishes it ("" for the handshake's)

	stmts        map[uint32]*clientStmt
	nextStmt     uint32
	lastInsertID uint64
	gone         atomic.Bool // the client hung up mid-query

	okObs, errObs prometheus.Counter
	latency       prometheus.Observer
}

// Serve implements mysqlwire.Handler.
func (r *Relay) Serve(ctx context.Context, c *mysqlwire.Conn) error {
	cfg := r.poolConfig()
	s := &session{
		r: r, c: c, mode: cfg.Mode,
		foundRows:  c.Has(mysqlwire.CapFoundRows),
		status:     mysqlwire.StatusAutocommit,
		autocommit: true,
		multi:      c.Has(mysqlwire.CapMultiStatements),
		names:      fmt.Sprintf("collation:%d", c.Collation),
		stmts:      map[uint32]*clientStmt{},
		okObs:      r.metrics.Queries.WithLabelValues(r.name, c.User.Name, "ok"),
		errObs:     r.metrics.Queries.WithLabelValues(r.name, c.User.Name, "error"),
		latency:    r.metrics.QueryDuration.WithLabelValues(r.name),
	}
	r.sessions.Enter()
	defer r.sessions.Leave(r.Close)
	login, err := r.logins.For(c.User.Roles)
	if err != nil {
		return mysqlwire.Errorf(mysqlwire.ErDBAccessDenied, "%s", err.Error())
	}
	s.login = login
	pc := r.poolConfig()
	s.gate = policy.NewGate(r.opts.Load().Policy, policy.Request{
		User: c.User.Name, Roles: c.User.Roles, Database: c.Database, Client: policy.HostOf(c.RemoteAddr),
		Protocol: "mysql", Session: c.ID, Dialect: policy.MySQL, DefaultSchema: r.servers[0].at.Load().dsn.db,
		QueryTimeout: pc.QueryTimeout,
	})
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
	s.cancelQuery = func() {
		if t := s.thread.Load(); t != 0 {
			r.kill(s.killTo.Load(), t, true)
		}
	}
	c.SetCanceller(s.cancelQuery)
	defer c.SetCanceller(nil)
	defer s.detach(true)
	for {
		var p []byte
		var err error
		// Long data sent for a statement holds the backend connection
		// until EXECUTE, as an open transaction does: the same timeout.
		if s.status&mysqlwire.StatusInTrans == 0 && !s.longData {
			p, err = c.ReadCommandIdle()
		} else {
			p, err = c.ReadCommandWithin(pc.IdleInTransactionTimeout)
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

func (s *session) command(ctx context.Context, p []byte) error {
	c := s.c
	switch p[0] {
	case mysqlwire.ComPing:
		return c.WriteOK(mysqlwire.OK{Status: s.status})
	case mysqlwire.ComInitDB:
		return s.use(string(p[1:]))
	case mysqlwire.ComQuery:
		return s.limited(func() error { return s.query(ctx, p) })
	case mysqlwire.ComFieldList:
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
		return s.limited(func() error { return s.execute(ctx, p) })
	case mysqlwire.ComStmtSendLongData:
		return s.sendLongData(ctx, p)
	case mysqlwire.ComStmtClose:
		if id, ok := mysqlwire.StatementID(p); ok {
			delete(s.stmts, id)
		}
		return nil
	case mysqlwire.ComStmtReset:
		return s.resetStmt(ctx, p)
	case mysqlwire.ComStmtFetch:
		return s.fetch(ctx, p)
	case mysqlwire.ComSetOption:
		if len(p) < 3 {
			return mysqlwire.Errorf(mysqlwire.ErMalformedPacket, "Malformed communication packet")
		}
		opt := binary.LittleEndian.Uint16(p[1:])
		switch opt {
		case mysqlwire.OptionMultiStatementsOn:
			s.multi = true
		case mysqlwire.OptionMultiStatementsOff:
			s.multi = false
		default:
			return mysqlwire.Errorf(mysqlwire.ErUnknownCom, "Unknown command")
		}
		if s.be != nil {
			// An attached connection takes the option now; others at attach.
			if err := s.syncOption(opt); err != nil {
				return err
			}
			s.be.multi = map[bool]int8{true: 1, false: 0}[s.multi]
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

// attach gets a backend connection and brings its session state in line
// with what this session wants.
func (s *session) attach(ctx context.Context) error {
	if s.be != nil {
		return nil
	}
	p, lease, err := s.r.acquire(ctx, s.login, s.foundRows)
	if err != nil {
		return err
	}
	return s.prepareConn(p, lease)
}

// prepareConn attaches a connection leased from p and brings its session
// state in line with what this session wants.
func (s *session) prepareConn(p *pool.Pool[*backendConn], lease *pool.Conn[*backendConn]) error {
	s.p, s.lease, s.be = p, lease, lease.Value
	be := s.be
	if be.user != s.c.User.Name {
		// Whatever a statement of another user left on the connection
		// (variables, temporary tables, prepared statements, locks) goes
		// before this user's statements run.
		if be.user != "" {
			if err := be.reset(); err != nil {
				be.broken = true
				return s.lost(err)
			}
		}
		be.user = s.c.User.Name
	}
	if want := int8(0); s.multi != (be.multi == 1) || be.multi < 0 {
		if s.multi {
			want = 1
		}
		opt := mysqlwire.OptionMultiStatementsOff
		if s.multi {
			opt = mysqlwire.OptionMultiStatementsOn
		}
		if err := s.syncOption(opt); err != nil {
			if s.be != nil {
				s.detach(false)
			}
			return err
		}
		be.multi = want
	}
	if be.names != s.names {
		q := s.namesSQL
		if q == "" {
			q = namesFor(s.c.Collation)
		}
		err := s.be.exec(q)
		if err != nil && !s.be.broken && s.namesSQL == "" {
			// A collation this server does not know (MySQL 8's default on
			// MariaDB): keep the character set, take its default collation.
			cs, _ := collationName(s.c.Collation)
			if cs == "" {
				cs = "utf8mb4"
			}
			err = s.be.exec("SET NAMES " + cs)
		}
		if err != nil {
			if s.be.broken {
				return s.lost(err)
			}
			s.detach(false)
			return err
		}
		be.names = s.names
	}
	if be.autocommit != s.autocommit {
		q := "SET autocommit=0"
		if s.autocommit {
			q = "SET autocommit=1"
		}
		if err := s.syncExec(q); err != nil {
			return err
		}
	}
	s.killTo.Store(be.srv)
	s.thread.Store(be.thread)
	return nil
}

// syncExec runs a statement that replays session state; a failure is the
// session's (e.g. an unknown character set), the connection is still good.
func (s *session) syncExec(q string) error {
	err := s.be.exec(q)
	if err != nil && s.be.broken {
		return s.lost(err)
	}
	if err != nil {
		s.detach(false)
	}
	return err
}

func (s *session) syncOption(opt uint16) error {
	if err := s.be.send(binary.LittleEndian.AppendUint16([]byte{mysqlwire.ComSetOption}, opt)); err != nil {
		return s.lost(err)
	}
	p, err := s.be.read()
	if err != nil {
		return s.lost(err)
	}
	if p[0] == mysqlwire.HeaderErr {
		return mysqlwire.ParseErr(p)
	}
	return nil
}

// namesFor returns SET NAMES for a handshake collation id.
func namesFor(id byte) string {
	cs, coll := collationName(id)
	if cs == "" {
		return "SET NAMES utf8mb4"
	}
	return "SET NAMES " + cs + " COLLATE " + coll
}

// lost handles a backend connection that failed mid-command: it is
// discarded. A session that kept nothing on it (transaction mode,
// autocommit, outside a transaction, nothing pinned) loses only the
// command, with error 1927, and goes on with its next command on another
// connection; otherwise the session ends (its transaction, statements or
// variables were on that connection).
func (s *session) lost(err error) error {
	srv := "?"
	if s.be != nil {
		srv = s.be.srv.name
	}
	s.r.log.Warn("backend connection lost", "backend", srv, "error", err.Error())
	kept := s.mode == config.PoolSession || s.pinned != "" || s.longData || !s.autocommit ||
		s.status&(mysqlwire.StatusInTrans|mysqlwire.StatusCursorExists) != 0
	s.detach(false)
	if !kept {
		s.status &^= mysqlwire.StatusMoreResults
		return mysqlwire.Errorf(mysqlwire.ErConnectionKilled, "Lost connection to the backend server of database '%s' during the statement; it may be retried", s.r.name)
	}
	return mysqlwire.Fatalf(mysqlwire.ErConnectionKilled, "Lost connection to the backend server of database '%s'", s.r.name)
}

// maybeRelease gives the connection back between transactions in
// transaction mode.
func (s *session) maybeRelease() {
	if s.be == nil || s.mode == config.PoolSession || s.pinned != "" || s.longData {
		return
	}
	if s.status&(mysqlwire.StatusInTrans|mysqlwire.StatusCursorExists) != 0 {
		return
	}
	s.detach(false)
}

// detach returns the connection to the pool. At the end of a session a
// connection that carries its state is reset first.
func (s *session) detach(final bool) {
	be := s.be
	if be == nil {
		return
	}
	s.be = nil
	s.thread.Store(0)
	s.killTo.Store(nil)
	if !be.broken && final && (s.pinned != "" || s.mode == config.PoolSession || s.status&mysqlwire.StatusInTrans != 0 || s.longData) {
		if err := be.reset(); err != nil {
			s.r.log.Debug("reset failed; closing backend connection", "error", err.Error())
		}
	}
	s.p.Release(s.lease, !be.broken)
	s.p, s.lease = nil, nil
}

func (s *session) pin(reason string) {
	if s.mode == config.PoolSession || s.pinned != "" {
		return
	}
	s.pinned = reason
	s.r.metrics.Pins.WithLabelValues(s.r.name, reason).Inc()
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

func (s *session) query(ctx context.Context, p []byte) error {
	q := string(p[1:])
	s.c.NoteStatement(q)
	if s.r.log.Enabled(ctx, slog.LevelDebug) {
		s.r.log.Debug("query", "connection_id", s.c.ID, "sql", sqltext.MaskMySQL(q))
	}
	if k, ok, kerr := mysqlwire.ParseKill(q); ok {
		if kerr != nil {
			return kerr
		}
		return s.c.RunKill(k, s.status)
	}
	if db, ok := mysqlwire.ParseUse(q); ok {
		return s.use(db)
	}
	if d := s.gate.Check(ctx, "query", q); d.Denial != nil {
		return mysqlwire.ErrorOf(d.Denial)
	} else if d.SQL != "" {
		q, p = d.SQL, append([]byte{mysqlwire.ComQuery}, d.SQL...)
	}
	if connectionIDQuery.MatchString(q) {
		// The session's id is the gateway's: the one KILL takes.
		return s.answerInt("CONNECTION_ID()", uint64(s.c.ID))
	}
	if s.be == nil && s.mode != config.PoolSession {
		if m := lastInsertIDQuery.FindStringSubmatch(q); m != nil {
			name := "LAST_INSERT_ID()"
			if m[1] != "" {
				name = strings.Trim(m[1], "`")
			}
			return s.answerInt(name, s.lastInsertID)
		}
	}
	eff := sqltext.MySQLSessionEffects(effectsText(q))
	if eff.LoadLocal && !s.r.opts.Load().LocalInfile {
		return mysqlwire.Errorf(mysqlwire.ErNotAllowedCommand, "LOAD DATA LOCAL INFILE is disabled on this gateway (mysql.local_infile)")
	}
	if eff.Use {
		// Only a USE on its own switches databases (above); inside a
		// multi-statement string it would move the backend connection.
		return mysqlwire.Errorf(mysqlwire.ErNotSupportedYet, "USE inside a multi-statement query is not supported by Floe; send USE on its own")
	}
	attach := s.attach
	if eff.Pin == "" {
		attach = func(ctx context.Context) error { return s.attachFor(ctx, q) }
	}
	if err := attach(ctx); err != nil {
		return err
	}
	if eff.Pin != "" {
		s.pin(eff.Pin)
	}
	start := time.Now()
	if err := s.be.send(p); err != nil {
		return s.lost(err)
	}
	failed, err := s.relayResult(false, false)
	s.observe(start, failed, err, q)
	if err != nil {
		return err
	}
	if !failed && eff.Names {
		s.names, s.namesSQL = "sql:"+q, q
		s.be.names = s.names
	}
	return nil
}

func (s *session) observe(start time.Time, failed bool, err error, text string) {
	d := time.Since(start)
	s.latency.Observe(d.Seconds())
	s.r.metrics.Statements.Record(s.r.name, text, sqltext.MaskMySQL, d, s.outRows, failed || err != nil)
	if failed || err != nil {
		s.errObs.Inc()
	} else {
		s.okObs.Inc()
	}
}

// answerInt answers a one-value query the relay knows better than the
// server: SELECT LAST_INSERT_ID() between transactions in transaction mode
// (the next statement may run on another connection; the value is the one
// from this session's last OK packet) and SELECT CONNECTION_ID().
func (s *session) answerInt(name string, v uint64) error {
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
	return c.WriteEOF(false, 0, s.status)
}

// watch cancels the backend statement if the client hangs up while the
// relay waits on the server.
func (s *session) watch() (stop func()) {
	thread, srv := s.be.thread, s.be.srv
	return s.c.WatchClose(watchDelay, func() {
		s.gone.Store(true)
		s.r.kill(srv, thread, true)
	})
}

// toClient forwards a packet; after a client write error the rest of the
// response is still read from the server (and dropped) so the connection
// stays usable.
func (s *session) toClient(p []byte) {
	if s.gone.Load() || s.muted {
		return
	}
	if err := s.c.WritePacket(p); err != nil {
		s.clientGone()
		return
	}
	if s.be.pc.Buffered() == 0 {
		if err := s.c.Flush(); err != nil {
			s.clientGone()
		}
	}
}

func (s *session) clientGone() {
	if s.gone.CompareAndSwap(false, true) {
		go s.r.kill(s.be.srv, s.be.thread, true)
	}
}

func (s *session) toClientEOF(afterColumns bool, warnings, status uint16) {
	if s.gone.Load() || s.muted {
		return
	}
	if err := s.c.WriteEOF(afterColumns, warnings, status); err != nil {
		s.clientGone()
	}
}

// relayResult streams the response to COM_QUERY or COM_STMT_EXECUTE:
// OK, ERR, or result sets, as many as the server says follow. failed
// reports an ERR packet (relayed). binary: rows are in the binary
// protocol (COM_STMT_EXECUTE).
func (s *session) relayResult(cursor, binary bool) (failed bool, err error) {
	stop := s.watch()
	defer stop()
	be := s.be
	for {
		p, err := be.read()
		if err != nil {
			stop()
			return false, s.lost(err)
		}
		var status uint16
		switch p[0] {
		case mysqlwire.HeaderOK:
			ok, _ := mysqlwire.ParseOK(p)
			status = ok.Status
			s.outRows += int64(ok.AffectedRows)
			if ok.LastInsertID != 0 {
				s.lastInsertID = ok.LastInsertID
			}
			s.toClient(p)
		case mysqlwire.HeaderErr:
			p = s.timeoutErr(p)
			s.noteErr(p)
			s.toClient(p)
			return true, nil
		case mysqlwire.HeaderLocalFile:
			stop()
			if status, failed, err = s.localInfile(p); err != nil {
				return false, err
			}
			if failed {
				return true, nil
			}
		default:
			st, failed, err := s.relayRows(p, cursor, binary)
			if err != nil || failed {
				return failed, err
			}
			status = st
		}
		s.setStatus(status)
		if status&mysqlwire.StatusMoreResults == 0 {
			return false, nil
		}
	}
}

func (s *session) setStatus(st uint16) {
	s.status = st
	s.autocommit = st&mysqlwire.StatusAutocommit != 0
	if s.be != nil {
		s.be.autocommit = s.autocommit
	}
}

// relayRows relays one result set whose column count packet is first.
// cursor is set for COM_STMT_EXECUTE with a cursor flag: if the server
// opened one, no rows follow now (COM_STMT_FETCH reads them).
func (s *session) relayRows(first []byte, cursor, binary bool) (status uint16, failed bool, err error) {
	be := s.be
	n, _ := mysqlwire.NewReader(first).LenInt()
	s.toClient(first)
	s.plan = nil
	if ms := s.gate.Masks(); ms != nil {
		defs := make([][]byte, n)
		for i := range defs {
			if defs[i], err = be.read(); err != nil {
				return 0, false, s.lost(err)
			}
		}
		if s.plan, err = planColumns(ms, defs); err != nil {
			be.broken = true
			return 0, false, s.lost(err)
		}
		for _, d := range defs {
			s.toClient(d)
		}
	} else {
		for range n {
			p, err := be.read()
			if err != nil {
				return 0, false, s.lost(err)
			}
			s.toClient(p)
		}
	}
	var pending []byte
	if !be.deprecateEOF || cursor {
		p, err := be.read()
		if err != nil {
			return 0, false, s.lost(err)
		}
		switch {
		case mysqlwire.IsEOF(p):
			w, st := terminator(p)
			if st&mysqlwire.StatusCursorExists != 0 {
				s.toClientEOF(false, w, st)
				return st, false, nil
			}
			if be.deprecateEOF {
				// No cursor and no rows: that was the end.
				s.toClientEOF(true, 0, st)
				s.toClientEOF(false, w, st)
				return st, false, nil
			}
		default:
			pending = p
		}
	}
	s.toClientEOF(true, 0, s.status)
	for {
		p := pending
		pending = nil
		if p == nil {
			if p, err = be.read(); err != nil {
				return 0, false, s.lost(err)
			}
		}
		if p[0] == mysqlwire.HeaderErr {
			p = s.timeoutErr(p)
			s.noteErr(p)
			s.toClient(p)
			return 0, true, nil
		}
		if mysqlwire.IsEOF(p) {
			w, st := terminator(p)
			s.toClientEOF(false, w, st)
			return st, false, nil
		}
		s.outRows++
		if s.plan != nil {
			if p, err = s.plan.row(p, binary); err != nil {
				be.broken = true
				return 0, false, s.lost(err)
			}
		}
		if den := s.run.Row(len(p) + 4); den != nil {
			s.stop(mysqlwire.ErrorOf(den))
		}
		s.toClient(p)
	}
}

// stop ends the result under way with err in place of its next row (as
// a server that fails mid-result does). The backend query is killed and
// the rest of its answer read and dropped; since the kill may land late,
// the connection is not reused by anyone else.
func (s *session) stop(err *mysqlwire.Error) {
	if s.muted {
		return
	}
	s.toClient(mysqlwire.AppendErr(nil, err))
	s.muted = true
	s.outErr = err.Code
	s.be.broken = true
	go s.cancelQuery()
}

// timeoutErr replaces the server's "query interrupted" with the
// statement-timeout error when the gateway's timeout killed the query.
func (s *session) timeoutErr(p []byte) []byte {
	if !s.run.TimedOut() {
		return p
	}
	if e := mysqlwire.ParseErr(p); e != nil && e.Code == mysqlwire.ErQueryInterrupted {
		return mysqlwire.AppendErr(nil, mysqlwire.Errorf(mysqlwire.ErQueryTimeout,
			"Query execution was interrupted, maximum statement execution time exceeded (limits: statement_timeout)"))
	}
	return p
}

// noteErr keeps the first error of the statement for its outcome.
func (s *session) noteErr(p []byte) {
	if s.outErr == 0 {
		if e := mysqlwire.ParseErr(p); e != nil {
			s.outErr = e.Code
		}
	}
}

// localInfile answers the server's request for a client file: relayed
// when LOCAL INFILE is enabled and the client offered it, refused
// otherwise (the server gets an empty file, the client an error).
func (s *session) localInfile(req []byte) (status uint16, failed bool, err error) {
	be := s.be
	allowed := s.r.opts.Load().LocalInfile && s.c.Has(mysqlwire.CapLocalFiles) && !s.gone.Load()
	if allowed {
		s.toClient(req)
		if err := s.c.Flush(); err != nil {
			s.clientGone()
			allowed = false
		}
	}
	if allowed {
		for {
			p, err := s.c.ReadPacket()
			if err != nil {
				// The client is gone mid-file: end the file so the server
				// finishes, then drop the session.
				_ = be.pc.WritePacket(nil)
				_ = be.pc.Flush()
				s.gone.Store(true)
				break
			}
			if err := be.pc.WritePacket(p); err != nil {
				return 0, false, s.lost(err)
			}
			if len(p) == 0 {
				break
			}
		}
	} else {
		if err := be.pc.WritePacket(nil); err != nil {
			return 0, false, s.lost(err)
		}
	}
	if err := be.pc.Flush(); err != nil {
		return 0, false, s.lost(err)
	}
	p, err := be.read()
	if err != nil {
		return 0, false, s.lost(err)
	}
	if !allowed {
		// Whatever the server answered, the load did not happen as asked.
		if p[0] == mysqlwire.HeaderOK {
			ok, _ := mysqlwire.ParseOK(p)
			s.setStatus(ok.Status)
		}
		return 0, false, mysqlwire.Errorf(mysqlwire.ErNotAllowedCommand, "LOAD DATA LOCAL INFILE is disabled on this gateway (mysql.local_infile)")
	}
	if p[0] == mysqlwire.HeaderErr {
		s.toClient(p)
		return 0, true, nil
	}
	ok, _ := mysqlwire.ParseOK(p)
	s.toClient(p)
	return ok.Status, false, nil
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

// relayFieldList relays COM_FIELD_LIST: column definitions, then an end.
func (s *session) relayFieldList() error {
	for {
		p, err := s.be.read()
		if err != nil {
			return s.lost(err)
		}
		switch {
		case p[0] == mysqlwire.HeaderErr:
			s.toClient(p)
			return nil
		case mysqlwire.IsEOF(p):
			w, st := terminator(p)
			s.toClientEOF(false, w, st)
			return nil
		}
		s.toClient(p)
	}
}

// relayOne relays a one-packet response.
func (s *session) relayOne() error {
	p, err := s.be.read()
	if err != nil {
		return s.lost(err)
	}
	s.toClient(p)
	return nil
}

func (s *session) resetConnection() error {
	if s.be != nil {
		if err := s.be.reset(); err != nil {
			return s.lost(err)
		}
		s.detach(false)
	}
	if s.pinned != "" {
		s.pinned = ""
	}
	s.stmts = map[uint32]*clientStmt{}
	s.longData = false
	s.autocommit, s.status = true, mysqlwire.StatusAutocommit
	s.names, s.namesSQL = fmt.Sprintf("collation:%d", s.c.Collation), ""
	s.lastInsertID = 0
	return s.c.WriteOK(mysqlwire.OK{Status: s.status})
}

// ---- prepared statements ----

func (s *session) prepare(ctx context.Context, p []byte) error {
	q := string(p[1:])
	if s.r.log.Enabled(ctx, slog.LevelDebug) {
		s.r.log.Debug("prepare", "connection_id", s.c.ID, "sql", sqltext.MaskMySQL(q))
	}
	if d := s.gate.Check(ctx, "prepare", q); d.Denial != nil {
		return mysqlwire.ErrorOf(d.Denial)
	} else if d.SQL != "" {
		q, p = d.SQL, append([]byte{mysqlwire.ComStmtPrepare}, d.SQL...)
	}
	eff := sqltext.MySQLSessionEffects(effectsText(q))
	if eff.LoadLocal && !s.r.opts.Load().LocalInfile {
		return mysqlwire.Errorf(mysqlwire.ErNotAllowedCommand, "LOAD DATA LOCAL INFILE is disabled on this gateway (mysql.local_infile)")
	}
	if err := s.stmtRoom(q); err != nil {
		return err
	}
	if err := s.attach(ctx); err != nil {
		return err
	}
	if eff.Pin != "" {
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
		s.toClient(first)
		return nil
	}
	pok, perr := mysqlwire.ParsePrepareOK(first)
	if perr != nil {
		be.broken = true
		return s.lost(perr)
	}
	s.nextStmt++
	id := s.nextStmt
	cs := &clientStmt{query: q, params: int(pok.Params), columns: int(pok.Columns)}
	s.stmts[id] = cs
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

// evictStmts keeps the per-connection statement cache bounded.
func (s *session) evictStmts(keep string) {
	be := s.be
	for q, st := range be.stmts {
		if len(be.stmts) <= maxBackendStmts {
			return
		}
		if q == keep {
			continue
		}
		delete(be.stmts, q)
		if err := be.send(binary.LittleEndian.AppendUint32([]byte{mysqlwire.ComStmtClose}, st.id)); err != nil {
			return
		}
	}
}

// ensure returns the statement prepared on the attached connection,
// preparing it there first if needed (the response is not relayed).
func (s *session) ensure(cs *clientStmt) (*backendStmt, error) {
	be := s.be
	if st, ok := be.stmts[cs.query]; ok {
		return st, nil
	}
	if err := be.send(append([]byte{mysqlwire.ComStmtPrepare}, cs.query...)); err != nil {
		return nil, s.lost(err)
	}
	first, err := be.read()
	if err != nil {
		return nil, s.lost(err)
	}
	if first[0] == mysqlwire.HeaderErr {
		return nil, mysqlwire.ParseErr(first)
	}
	pok, perr := mysqlwire.ParsePrepareOK(first)
	if perr != nil {
		be.broken = true
		return nil, s.lost(perr)
	}
	for _, n := range []int{int(pok.Params), int(pok.Columns)} {
		for range n {
			if _, err := be.read(); err != nil {
				return nil, s.lost(err)
			}
		}
		if n > 0 && !be.deprecateEOF {
			if _, err := be.read(); err != nil {
				return nil, s.lost(err)
			}
		}
	}
	st := &backendStmt{id: pok.StatementID, params: int(pok.Params), cols: int(pok.Columns)}
	be.stmts[cs.query] = st
	s.evictStmts(cs.query)
	if st.params != cs.params {
		return nil, mysqlwire.Errorf(sqlerr.ErNeedReprepare, "Prepared statement needs to be re-prepared")
	}
	return st, nil
}

func (s *session) stmt(p []byte, command string) (uint32, *clientStmt, error) {
	id, ok := mysqlwire.StatementID(p)
	if !ok {
		return 0, nil, mysqlwire.Errorf(mysqlwire.ErMalformedPacket, "Malformed communication packet")
	}
	cs := s.stmts[id]
	if cs == nil {
		return id, nil, mysqlwire.Errorf(mysqlwire.ErUnknownStmtHandler, "Unknown prepared statement handler (%d) given to %s", id, command)
	}
	return id, cs, nil
}

func (s *session) execute(ctx context.Context, p []byte) error {
	_, cs, err := s.stmt(p, "mysqld_stmt_execute")
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
	attach := s.attach
	if ex.Flags&mysqlwire.CursorReadOnly == 0 {
		// A cursor pins the session: it opens where writes go.
		attach = func(ctx context.Context) error { return s.attachFor(ctx, cs.query) }
	}
	if err := attach(ctx); err != nil {
		return err
	}
	st, err := s.ensure(cs)
	if err != nil {
		return err
	}
	if ex.Flags&mysqlwire.CursorReadOnly != 0 {
		s.pin("cursor")
	}
	out := p
	switch {
	case cs.params > 0 && !ex.NewBound && !slices.Equal(st.types, cs.types):
		// This connection has other (or no) types bound: send them.
		ex.Types = cs.types
		ex.StatementID = st.id
		out = mysqlwire.AppendExecute(nil, ex)
	default:
		out = slices.Clone(p)
		binary.LittleEndian.PutUint32(out[1:], st.id)
	}
	if cs.params > 0 {
		st.types = cs.types
	}
	start := time.Now()
	if err := s.be.send(out); err != nil {
		return s.lost(err)
	}
	s.longData = false
	failed, err := s.relayResult(ex.Flags&mysqlwire.CursorReadOnly != 0, true)
	if ex.Flags&mysqlwire.CursorReadOnly != 0 {
		cs.plan = s.plan // rows come with COM_STMT_FETCH
	}
	s.observe(start, failed, err, cs.query)
	return err
}

func (s *session) sendLongData(ctx context.Context, p []byte) error {
	_, cs, err := s.stmt(p, "mysqld_stmt_send_long_data")
	if err != nil {
		// No response is sent for this command; the error shows at EXECUTE.
		return nil
	}
	if err := s.attach(ctx); err != nil {
		return err
	}
	st, err := s.ensure(cs)
	if err != nil {
		return err
	}
	out := slices.Clone(p)
	binary.LittleEndian.PutUint32(out[1:], st.id)
	s.longData = true
	if err := s.be.send(out); err != nil {
		return s.lost(err)
	}
	return nil
}

func (s *session) resetStmt(ctx context.Context, p []byte) error {
	_, cs, err := s.stmt(p, "mysqld_stmt_reset")
	if err != nil {
		return err
	}
	s.longData = false
	if s.be == nil {
		return s.c.WriteOK(mysqlwire.OK{Status: s.status})
	}
	st, ok := s.be.stmts[cs.query]
	if !ok {
		return s.c.WriteOK(mysqlwire.OK{Status: s.status})
	}
	out := slices.Clone(p)
	binary.LittleEndian.PutUint32(out[1:], st.id)
	if err := s.be.send(out); err != nil {
		return s.lost(err)
	}
	return s.relayOne()
}

func (s *session) fetch(ctx context.Context, p []byte) error {
	_, cs, err := s.stmt(p, "mysqld_stmt_fetch")
	if err != nil {
		return err
	}
	if s.be == nil {
		return mysqlwire.Errorf(mysqlwire.ErUnknownStmtHandler, "The statement has no open cursor")
	}
	st, ok := s.be.stmts[cs.query]
	if !ok {
		return mysqlwire.Errorf(mysqlwire.ErUnknownStmtHandler, "The statement has no open cursor")
	}
	out := slices.Clone(p)
	binary.LittleEndian.PutUint32(out[1:], st.id)
	if err := s.be.send(out); err != nil {
		return s.lost(err)
	}
	for {
		q, err := s.be.read()
		if err != nil {
			return s.lost(err)
		}
		if q[0] == mysqlwire.HeaderErr {
			s.toClient(q)
			return nil
		}
		if mysqlwire.IsEOF(q) {
			w, st := terminator(q)
			s.setStatus(st)
			s.toClientEOF(false, w, st)
			return nil
		}
		if cs.plan != nil {
			if q, err = cs.plan.row(q, true); err != nil {
				s.be.broken = true
				return s.lost(err)
			}
		}
		s.toClient(q)
	}
}

// limited runs a statement under the statement limits: rate and
// concurrency are taken before it runs, and at the statement timeout the
// backend query is killed (the client gets the server's 1317/1969).
func (s *session) limited(run func() error) error {
	r, den := s.gate.Begin(s.cancelQuery)
	if den != nil {
		return mysqlwire.ErrorOf(den)
	}
	s.outRows, s.outErr = 0, 0
	s.run = r
	var err error
	defer func() {
		if s.muted {
			// The error went out in place of a row; the rest was dropped.
			s.muted = false
			_ = s.c.Flush()
		}
		s.run = nil
		code := ""
		if me, ok := errors.AsType[*mysqlwire.Error](err); ok {
			code = strconv.Itoa(int(me.Code))
		} else if s.outErr != 0 {
			code = strconv.Itoa(int(s.outErr))
		} else if _, sw := errors.AsType[*mysqlwire.SwitchError](err); err != nil && !sw {
			code = "disconnected"
		}
		r.Done(s.outRows, code)
	}()
	err = run()
	return err
}
