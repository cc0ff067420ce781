package myrelay

import (
	"context"
	"encoding/binary"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/floe-db/floe/internal/config"
	"github.com/floe-db/floe/internal/pool"
	"github.com/floe-db/floe/internal/sqlerr"
	"github.com/floe-db/floe/internal/wire/mysqlwire"
)

// defaultNames is the character set state of a fresh backend connection.
const defaultNames = "collation:45"

// link is a client session's hold on a backend connection: which one it
// has (if any), the session state that pins it there, and the replayable
// state (autocommit, character set, multi-statement option) every
// connection it attaches is brought in line with. It belongs to the
// session's goroutine; thread and killTo are read by the goroutines
// that kill the query under way.
type link struct {
	r *Relay
	// user is the gateway user: a connection another user's session held
	// is reset before this one's statements run on it.
	user      string
	collation byte // the handshake's
	mode      string
	// login is the backend login the session runs as (its user's roles'
	// identity on the database; 0: the DSN's).
	login     int
	foundRows bool

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
}

// newLink is the link of a session of user whose handshake asked for
// collation, multi-statements (multi) and CLIENT_FOUND_ROWS.
func newLink(r *Relay, mode, user string, collation byte, multi, foundRows bool) link {
	return link{r: r, mode: mode, user: user, collation: collation, foundRows: foundRows,
		status: mysqlwire.StatusAutocommit, autocommit: true, multi: multi, names: handshakeNames(collation)}
}

// handshakeNames is the character set state a handshake collation asks for.
func handshakeNames(collation byte) string { return fmt.Sprintf("collation:%d", collation) }

// killQuery kills the backend query under way (client hang-up, statement
// timeout); safe from any goroutine.
func (l *link) killQuery() {
	if t := l.thread.Load(); t != 0 {
		l.r.kill(l.killTo.Load(), t, true)
	}
}

// attach gets a backend connection and brings its session state in line
// with what this session wants.
func (l *link) attach(ctx context.Context) error {
	if l.be != nil {
		return nil
	}
	p, lease, err := l.r.acquire(ctx, l.login, l.foundRows)
	if err != nil {
		return err
	}
	return l.prepareConn(p, lease)
}

// prepareConn attaches a connection leased from p and brings its session
// state in line with what this session wants.
func (l *link) prepareConn(p *pool.Pool[*backendConn], lease *pool.Conn[*backendConn]) error {
	l.p, l.lease, l.be = p, lease, lease.Value
	be := l.be
	if be.user != l.user {
		// Whatever a statement of another user left on the connection
		// (variables, temporary tables, prepared statements, locks) goes
		// before this user's statements run.
		if be.user != "" {
			if err := be.reset(); err != nil {
				be.broken = true
				return l.lost(err)
			}
		}
		be.user = l.user
	}
	if want := int8(0); l.multi != (be.multi == 1) || be.multi < 0 {
		if l.multi {
			want = 1
		}
		opt := mysqlwire.OptionMultiStatementsOff
		if l.multi {
			opt = mysqlwire.OptionMultiStatementsOn
		}
		if err := l.syncOption(opt); err != nil {
			if l.be != nil {
				l.detach(false)
			}
			return err
		}
		be.multi = want
	}
	if be.names != l.names {
		q := l.namesSQL
		if q == "" {
			q = namesFor(l.collation)
		}
		err := l.be.exec(q)
		if err != nil && !l.be.broken && l.namesSQL == "" {
			// A collation this server does not know (MySQL 8's default on
			// MariaDB): keep the character set, take its default collation.
			cs, _ := collationName(l.collation)
			if cs == "" {
				cs = "utf8mb4"
			}
			err = l.be.exec("SET NAMES " + cs)
		}
		if err != nil {
			if l.be.broken {
				return l.lost(err)
			}
			l.detach(false)
			return err
		}
		be.names = l.names
	}
	if be.autocommit != l.autocommit {
		q := "SET autocommit=0"
		if l.autocommit {
			q = "SET autocommit=1"
		}
		if err := l.syncExec(q); err != nil {
			return err
		}
	}
	l.killTo.Store(be.srv)
	l.thread.Store(be.thread)
	return nil
}

// syncExec runs a statement that replays session state; a failure is the
// session's (e.g. an unknown character set), the connection is still good.
func (l *link) syncExec(q string) error {
	err := l.be.exec(q)
	if err != nil && l.be.broken {
		return l.lost(err)
	}
	if err != nil {
		l.detach(false)
	}
	return err
}

// syncOption sets a COM_SET_OPTION option on the attached connection.
func (l *link) syncOption(opt uint16) error {
	if err := l.be.send(binary.LittleEndian.AppendUint16([]byte{mysqlwire.ComSetOption}, opt)); err != nil {
		return l.lost(err)
	}
	p, err := l.be.read()
	if err != nil {
		return l.lost(err)
	}
	if p[0] == mysqlwire.HeaderErr {
		return mysqlwire.ParseErr(p)
	}
	return nil
}

// setMulti turns the multi-statement option on or off: at once on an
// attached connection, at attach on the others.
func (l *link) setMulti(opt uint16) error {
	l.multi = opt == mysqlwire.OptionMultiStatementsOn
	if l.be == nil {
		return nil
	}
	if err := l.syncOption(opt); err != nil {
		return err
	}
	l.be.multi = map[bool]int8{true: 1, false: 0}[l.multi]
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
func (l *link) lost(err error) error {
	srv := "?"
	if l.be != nil {
		srv = l.be.srv.name
	}
	l.r.log.Warn("backend connection lost", "backend", srv, "error", err.Error())
	kept := l.mode == config.PoolSession || l.pinned != "" || l.longData || !l.autocommit ||
		l.status&(mysqlwire.StatusInTrans|mysqlwire.StatusCursorExists) != 0
	l.detach(false)
	if !kept {
		l.status &^= mysqlwire.StatusMoreResults
		return mysqlwire.Errorf(mysqlwire.ErConnectionKilled, "Lost connection to the backend server of database '%s' during the statement; it may be retried", l.r.name)
	}
	return mysqlwire.Fatalf(mysqlwire.ErConnectionKilled, "Lost connection to the backend server of database '%s'", l.r.name)
}

// maybeRelease gives the connection back between transactions in
// transaction mode.
func (l *link) maybeRelease() {
	if l.be == nil || l.mode == config.PoolSession || l.pinned != "" || l.longData {
		return
	}
	if l.status&(mysqlwire.StatusInTrans|mysqlwire.StatusCursorExists) != 0 {
		return
	}
	l.detach(false)
}

// detach returns the connection to the pool. At the end of a session a
// connection that carries its state is reset first.
func (l *link) detach(final bool) {
	be := l.be
	if be == nil {
		return
	}
	l.be = nil
	l.thread.Store(0)
	l.killTo.Store(nil)
	if !be.broken && final && (l.pinned != "" || l.mode == config.PoolSession || l.status&mysqlwire.StatusInTrans != 0 || l.longData) {
		if err := be.reset(); err != nil {
			l.r.log.Debug("reset failed; closing backend connection", "error", err.Error())
		}
	}
	l.p.Release(l.lease, !be.broken)
	l.p, l.lease = nil, nil
}

// pin keeps the session on its connection until it ends.
func (l *link) pin(reason string) {
	if l.mode == config.PoolSession || l.pinned != "" {
		return
	}
	l.pinned = reason
	l.r.metrics.Pins.WithLabelValues(l.r.name, reason).Inc()
}

// setStatus takes the server's status flags after a command.
func (l *link) setStatus(st uint16) {
	l.status = st
	l.autocommit = st&mysqlwire.StatusAutocommit != 0
	if l.be != nil {
		l.be.autocommit = l.autocommit
	}
}

// reset forgets the session state (COM_RESET_CONNECTION): the attached
// connection is reset and goes back to the pool.
func (l *link) reset() error {
	if l.be != nil {
		if err := l.be.reset(); err != nil {
			return l.lost(err)
		}
		l.detach(false)
	}
	l.pinned = ""
	l.longData = false
	l.autocommit, l.status = true, mysqlwire.StatusAutocommit
	l.names, l.namesSQL = handshakeNames(l.collation), ""
	return nil
}

// ensure returns the statement prepared on the attached connection,
// preparing it there first if needed (the response is not relayed).
func (l *link) ensure(cs *clientStmt) (*backendStmt, error) {
	be := l.be
	if st, ok := be.stmts[cs.query]; ok {
		return st, nil
	}
	if err := be.send(append([]byte{mysqlwire.ComStmtPrepare}, cs.query...)); err != nil {
		return nil, l.lost(err)
	}
	first, err := be.read()
	if err != nil {
		return nil, l.lost(err)
	}
	if first[0] == mysqlwire.HeaderErr {
		return nil, mysqlwire.ParseErr(first)
	}
	pok, perr := mysqlwire.ParsePrepareOK(first)
	if perr != nil {
		be.broken = true
		return nil, l.lost(perr)
	}
	for _, n := range []int{int(pok.Params), int(pok.Columns)} {
		for range n {
			if _, err := be.read(); err != nil {
				return nil, l.lost(err)
			}
		}
		if n > 0 && !be.deprecateEOF {
			if _, err := be.read(); err != nil {
				return nil, l.lost(err)
			}
		}
	}
	st := &backendStmt{id: pok.StatementID, params: int(pok.Params), cols: int(pok.Columns)}
	be.stmts[cs.query] = st
	l.evictStmts(cs.query)
	if st.params != cs.params {
		return nil, mysqlwire.Errorf(sqlerr.ErNeedReprepare, "Prepared statement needs to be re-prepared")
	}
	return st, nil
}

// evictStmts keeps the per-connection statement cache bounded.
func (l *link) evictStmts(keep string) {
	be := l.be
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
