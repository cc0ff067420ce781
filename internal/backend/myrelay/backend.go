package myrelay

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"strings"
	"syscall"
	"time"

	"github.com/go-mysql-org/go-mysql/client"
	gomysql "github.com/go-mysql-org/go-mysql/mysql"

	"github.com/floe-db/floe/internal/backend"
	"github.com/floe-db/floe/internal/wire/hangup"
	"github.com/floe-db/floe/internal/wire/mysqlwire"
)

// dsn is a parsed mysql:// connection string.
type dsn struct {
	addr, user, password, db string
	tls                      *tls.Config
}

func parseDSN(s string) (dsn, error) {
	u, err := url.Parse(s)
	if err != nil || u.Scheme != "mysql" || u.Host == "" {
		return dsn{}, errors.New("want mysql://user:password@host:port/database")
	}
	d := dsn{addr: u.Host, db: strings.TrimPrefix(u.Path, "/")}
	if _, _, err := net.SplitHostPort(d.addr); err != nil {
		d.addr = net.JoinHostPort(u.Host, "3306")
	}
	if u.User != nil {
		d.user = u.User.Username()
		d.password, _ = u.User.Password()
	}
	host, _, _ := net.SplitHostPort(d.addr)
	switch v := u.Query().Get("tls"); v {
	case "", "false", "disable":
	case "true", "verify-full":
		d.tls = &tls.Config{ServerName: host, MinVersion: tls.VersionTLS12}
	case "skip-verify", "preferred":
		d.tls = &tls.Config{InsecureSkipVerify: true} //nolint:gosec // chosen in the DSN
	default:
		return dsn{}, fmt.Errorf("tls=%q: want true, skip-verify or false", v)
	}
	for k := range u.Query() {
		if k != "tls" {
			return dsn{}, fmt.Errorf("unknown parameter %q", k)
		}
	}
	return d, nil
}

// backendCollation is what backend connections announce in their handshake.
const backendCollation = "utf8mb4_general_ci"

// backendConn is one connection to the server, owned by the pool when idle
// and by exactly one session while attached.
type backendConn struct {
	// user is the gateway user whose session last held the connection:
	// another user's session resets it first (see session.prepareConn).
	user string
	cl   *client.Conn
	srv  *server // the server it is connected to
	// addr is the server's address (host:port), named to the statement
	// pipeline when a statement runs on the connection.
	addr         string
	pc           *mysqlwire.PacketConn
	thread       uint32
	deprecateEOF bool
	// rowBuf is the buffer readRow reads into.
	rowBuf []byte
	// Session state as the server has it, compared with what the attaching
	// session wants.
	autocommit bool
	multi      int8 // 1 on, 0 off, -1 unknown
	names      string
	// stmts are the statements prepared on this connection, by text.
	stmts  map[string]*backendStmt
	broken bool
}

type backendStmt struct {
	id     uint32
	params int
	cols   int
	types  []uint16 // parameter types last bound on the server
}

func (r *Relay) dial(ctx context.Context, srv *server, login int, foundRows bool) (*backendConn, error) {
	d := srv.at.Load().dsn
	if login > 0 {
		user, password, err := r.logins.Creds(login)
		if err != nil {
			r.log.Warn("backend connection refused", "backend", srv.name, "login", r.logins.Name(login), "error", err.Error())
			return nil, err
		}
		d.user, d.password = user, password
	}
	opt := func(c *client.Conn) error {
		c.UnsetCapability(gomysql.CLIENT_QUERY_ATTRIBUTES)
		c.UnsetCapability(gomysql.CLIENT_SESSION_TRACK)
		c.UnsetCapability(gomysql.CLIENT_COMPRESS)
		for _, f := range []uint32{gomysql.CLIENT_MULTI_STATEMENTS, gomysql.CLIENT_MULTI_RESULTS, gomysql.CLIENT_PS_MULTI_RESULTS, gomysql.CLIENT_LOCAL_FILES} {
			if err := c.SetCapability(f); err != nil {
				return err
			}
		}
		if foundRows {
			if err := c.SetCapability(gomysql.CLIENT_FOUND_ROWS); err != nil {
				return err
			}
		} else {
			c.UnsetCapability(gomysql.CLIENT_FOUND_ROWS)
		}
		if err := c.SetCollation(backendCollation); err != nil {
			return err
		}
		c.SetAttributes(map[string]string{"program_name": "floe"})
		if d.tls != nil {
			c.SetTLSConfig(backend.WithGroups(d.tls, r.opts.Load().TLSGroups))
		}
		return nil
	}
	timeout := r.poolConfig().ConnectTimeout
	if timeout <= 0 {
		timeout = 10 * time.Second
	}
	cl, err := client.ConnectWithContext(ctx, d.addr, d.user, d.password, d.db, timeout, opt)
	if err != nil {
		r.log.Warn("backend connection failed", "backend", srv.name, "login", r.logins.Name(login), "error", describeErr(err))
		return nil, &backendError{err: err}
	}
	b := &backendConn{
		cl: cl, srv: srv, pc: mysqlwire.NewPacketConn(cl.Conn.Conn), thread: cl.GetConnectionID(), addr: cl.Conn.Conn.RemoteAddr().String(),
		deprecateEOF: strings.Contains(cl.CapabilityString(), "CLIENT_DEPRECATE_EOF"),
		autocommit:   true, multi: 1, names: defaultNames,
		stmts: map[string]*backendStmt{},
	}
	return b, nil
}

// transientConnectErr reports whether a failed connect may succeed if
// tried again soon: refused, reset or timed-out connections, a server
// with too many connections or one shutting down. Access denied and
// unknown databases are not.
func transientConnectErr(err error) bool {
	var me *gomysql.MyError
	if errors.As(err, &me) {
		switch me.Code {
		case gomysql.ER_CON_COUNT_ERROR, gomysql.ER_TOO_MANY_USER_CONNECTIONS, gomysql.ER_SERVER_SHUTDOWN, gomysql.ER_HANDSHAKE_ERROR:
			return true
		}
		return false
	}
	// go-mysql reports a connection that broke mid-handshake as
	// ErrBadConn, keeping the cause only as text.
	if errors.Is(err, gomysql.ErrBadConn) || errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, io.EOF) ||
		errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, context.DeadlineExceeded) {
		return true
	}
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// describeErr gives the reason a backend dial failed without the
// credentials.
func describeErr(err error) string {
	var me *gomysql.MyError
	if errors.As(err, &me) {
		return fmt.Sprintf("%d (%s): %s", me.Code, me.State, me.Message)
	}
	var ne net.Error
	if errors.As(err, &ne) {
		return ne.Error()
	}
	return strings.ReplaceAll(err.Error(), "\n", " ")
}

// backendError marks errors from talking to the server.
type backendError struct{ err error }

func (e *backendError) Error() string { return "backend: " + e.err.Error() }
func (e *backendError) Unwrap() error { return e.err }

func (b *backendConn) close() { _ = b.cl.Close() }

// alive reports whether the idle connection still looks open.
func (b *backendConn) alive() bool { return !b.broken && hangup.Quiet(b.pc.NetConn()) }

// send writes one command packet.
func (b *backendConn) send(p []byte) error {
	b.pc.ResetSeq()
	if err := b.pc.WritePacket(p); err != nil {
		b.broken = true
		return &backendError{err: err}
	}
	if err := b.pc.Flush(); err != nil {
		b.broken = true
		return &backendError{err: err}
	}
	return nil
}

// read reads one response packet (newly allocated).
func (b *backendConn) read() ([]byte, error) { return b.readInto(nil) }

// keptRowBuf is the largest row buffer a connection keeps for the next
// row (a larger row's buffer is dropped after it).
const keptRowBuf = 16 << 10

// readRow is read for a packet forwarded at once: it is read into the
// buffer of the packet readRow returned last, which it replaces (valid
// until the next readRow).
func (b *backendConn) readRow() ([]byte, error) {
	p, err := b.readInto(b.rowBuf)
	if err != nil {
		return nil, err
	}
	if cap(p) <= keptRowBuf {
		b.rowBuf = p[:0]
	} else {
		b.rowBuf = nil
	}
	return p, nil
}

// readInto reads one response packet into buf's array, if large enough.
func (b *backendConn) readInto(buf []byte) ([]byte, error) {
	p, err := b.pc.ReadPacketInto(buf)
	if err != nil {
		b.broken = true
		return nil, &backendError{err: err}
	}
	if len(p) == 0 {
		b.broken = true
		return nil, &backendError{err: errors.New("empty packet from server")}
	}
	return p, nil
}

// exec runs a statement of the relay's own and checks its OK. A result
// set, if any, is read and dropped.
func (b *backendConn) exec(q string) error {
	if err := b.send(append([]byte{mysqlwire.ComQuery}, q...)); err != nil {
		return err
	}
	for {
		p, err := b.read()
		if err != nil {
			return err
		}
		var status uint16
		switch p[0] {
		case mysqlwire.HeaderOK:
			ok, _ := mysqlwire.ParseOK(p)
			status = ok.Status
		case mysqlwire.HeaderErr:
			return mysqlwire.ParseErr(p)
		default:
			if status, err = b.skipResultSet(p); err != nil {
				return err
			}
		}
		b.autocommit = status&mysqlwire.StatusAutocommit != 0
		if status&mysqlwire.StatusMoreResults == 0 {
			return nil
		}
	}
}

// skipResultSet reads the rest of a result set whose first packet (the
// column count) is p, and returns the final status flags.
func (b *backendConn) skipResultSet(p []byte) (uint16, error) {
	n, _ := mysqlwire.NewReader(p).LenInt()
	for range n {
		if _, err := b.read(); err != nil {
			return 0, err
		}
	}
	if !b.deprecateEOF {
		if _, err := b.read(); err != nil {
			return 0, err
		}
	}
	for {
		p, err := b.read()
		if err != nil {
			return 0, err
		}
		if p[0] == mysqlwire.HeaderErr {
			return 0, mysqlwire.ParseErr(p)
		}
		if mysqlwire.IsEOF(p) {
			_, st := terminator(p)
			return st, nil
		}
	}
}

// command runs a command whose only answer is OK (or ERR).
func (b *backendConn) command(cmd byte) error {
	if err := b.send([]byte{cmd}); err != nil {
		return err
	}
	p, err := b.read()
	if err != nil {
		return err
	}
	if p[0] != mysqlwire.HeaderOK {
		b.broken = true
		return mysqlwire.ParseErr(p)
	}
	return nil
}

// ping runs COM_PING.
func (b *backendConn) ping(context.Context) error { return b.command(mysqlwire.ComPing) }

// reset runs COM_RESET_CONNECTION: the server drops prepared statements,
// variables, temporary tables and locks, and rolls back.
func (b *backendConn) reset() error {
	if err := b.command(mysqlwire.ComResetConnection); err != nil {
		return err
	}
	b.stmts = map[string]*backendStmt{}
	b.autocommit, b.multi, b.names = true, -1, defaultNames
	return nil
}

// terminator decodes the packet that ends a column list or result set:
// an EOF packet, or an OK packet with the EOF header.
func terminator(p []byte) (warnings, status uint16) {
	if len(p) == 5 {
		w, s, _ := mysqlwire.ParseEOF(p)
		return w, s
	}
	ok, _ := mysqlwire.ParseOK(p)
	return ok.Warnings, ok.Status
}

// CheckDSN reports what keeps a relay from using s, as opening the relay
// would find it, without quoting the DSN (`floe config check`).
func CheckDSN(s string) error {
	_, err := parseDSN(s)
	return err
}
