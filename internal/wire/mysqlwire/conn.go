package mysqlwire

import (
	"crypto/tls"
	"errors"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/floe-db/floe/internal/authn"
	"github.com/floe-db/floe/internal/wire/activity"
	"github.com/floe-db/floe/internal/wire/hangup"
)

// ErrShutdown is returned by ReadCommandIdle when the server drains.
var ErrShutdown = errors.New("server is shutting down")

// ErrKilled is returned by reads after KILL CONNECTION named this session.
var ErrKilled = errors.New("connection killed")

// Conn is an authenticated client connection, handed to a Handler.
type Conn struct {
	// ID is the connection id the client saw in the handshake (what
	// CONNECTION_ID() and KILL use).
	ID uint32
	// User is the authenticated gateway user.
	User *authn.User
	// Database is the logical database the session is on.
	Database string
	// Capabilities are the flags both sides agreed on.
	Capabilities uint32
	// Collation is the client's collation id from the handshake.
	Collation byte
	// Attrs are the connection attributes the client sent.
	Attrs map[string]string
	// RemoteAddr is the client's address.
	RemoteAddr net.Addr
	// TLS reports an encrypted connection.
	TLS bool
	// ServerVersion is the version the handshake announced.
	ServerVersion string

	pc      *PacketConn
	rd      *hangup.Reader
	idleRd  *hangup.IdleReader // waits between transactions (made at the first)
	net     net.Conn
	srv     *Server
	sweeper *hangup.Sweeper // nil: one timer per watch
	bufs    *Buffers        // nil: buffers are kept while idle
	// idleHook, for tests, is told what buffers the connection still
	// holds as it starts waiting for the next command.
	idleHook func(holds int)

	idle     atomic.Bool
	draining atomic.Bool
	killed   atomic.Bool
	// authed is set once the handshake is over; curDB follows Database
	// for readers on other goroutines.
	authed atomic.Bool
	curDB  atomic.Pointer[string]
	// act is what the admin API shows: the noted statement, idle in a
	// transaction.
	act activity.Tracker

	canceller atomic.Pointer[func()]
	release   func() // from admission; called when the connection ends
	// endErr, when set, is why the session is being ended (its login
	// token expired); it is sent to the client before the connection
	// closes.
	endErr atomic.Pointer[Error]
	// expiry is when the login token of a token session expires (zero:
	// a password session).
	expiry time.Time

	bytesIn, bytesOut       prometheus.Counter
	reportedIn, reportedOut int64
	mu                      sync.Mutex
}

// newConn wraps nc; with bufs, the connection gives its buffers back
// while it waits for commands.
func newConn(nc net.Conn, bufs *Buffers) *Conn {
	c := &Conn{net: nc, RemoteAddr: nc.RemoteAddr(), bufs: bufs}
	c.act.Start(time.Now())
	c.setNet(nc)
	return c
}

func (c *Conn) setNet(nc net.Conn) {
	c.net = nc
	c.rd = hangup.NewReader(nc)
	c.idleRd = nil
	c.pc = newPacketConn(nc, c.rd, c.bufs)
	_, c.TLS = nc.(*tls.Conn)
}

// NewConn wraps a socket for tests of Handlers without a Server.
func NewConn(nc net.Conn, user *authn.User, database string, caps uint32) *Conn {
	c := newConn(nc, nil)
	c.User, c.Database, c.Capabilities = user, database, caps
	return c
}

// Has reports whether capability flag f was agreed on.
func (c *Conn) Has(f uint32) bool { return c.Capabilities&f != 0 }

// ReadCommand reads the next command packet (sequence id 0).
func (c *Conn) ReadCommand() ([]byte, error) {
	if c.killed.Load() {
		return nil, ErrKilled
	}
	c.pc.ResetSeq()
	p, err := c.pc.ReadPacket()
	if err != nil {
		switch {
		case c.killed.Load():
			return nil, ErrKilled
		case c.draining.Load() && hangup.IsTimeout(err):
			return nil, ErrShutdown
		}
		return nil, err
	}
	if len(p) == 0 {
		return nil, Fatalf(ErMalformedPacket, "empty command packet")
	}
	return p, nil
}

// ReadCommandWithin is ReadCommand inside an open transaction (the
// session shows as idle in transaction meanwhile): a client
// that sends nothing for limit (> 0) gets a fatal error 4031 and the
// session ends, so an abandoned transaction does not hold its locks.
func (c *Conn) ReadCommandWithin(limit time.Duration) ([]byte, error) {
	if limit <= 0 {
		c.act.IdleInTx(true)
		defer c.act.IdleInTx(false)
		return c.ReadCommand()
	}
	_ = c.net.SetReadDeadline(time.Now().Add(limit))
	c.act.IdleInTx(true)
	p, err := c.ReadCommand()
	c.act.IdleInTx(false)
	if err != nil && !c.draining.Load() && hangup.IsTimeout(err) {
		return nil, Fatalf(ErClientInteractionTimeout,
			"the client was disconnected because it sat idle in an open transaction longer than %s (idle_in_transaction_timeout); the transaction was rolled back", limit)
	}
	if !c.draining.Load() {
		_ = c.net.SetReadDeadline(time.Time{})
	}
	return p, err
}

// ReadCommandIdle is ReadCommand between transactions: a draining server
// ends the session here.
func (c *Conn) ReadCommandIdle() ([]byte, error) {
	c.idle.Store(true)
	defer c.idle.Store(false)
	if c.draining.Load() {
		return nil, ErrShutdown
	}
	c.waitIdle()
	return c.ReadCommand()
}

// ReadPacket reads a packet that continues the current command (long
// data, LOCAL INFILE contents, authentication).
func (c *Conn) ReadPacket() ([]byte, error) { return c.pc.ReadPacket() }

// WritePacket buffers one packet of the current command's response.
func (c *Conn) WritePacket(p []byte) error { return c.pc.WritePacket(p) }

// Seq returns the sequence id of the next packet; SetSeq sets it (when
// relaying, the backend's numbering is followed).
func (c *Conn) Seq() uint8 { return c.pc.Seq() }

// SetSeq sets the sequence id of the next packet.
func (c *Conn) SetSeq(s uint8) { c.pc.SetSeq(s) }

// WriteOK buffers an OK packet.
func (c *Conn) WriteOK(ok OK) error { return c.pc.WritePacket(AppendOK(nil, HeaderOK, ok)) }

// WriteErr buffers an ERR packet.
func (c *Conn) WriteErr(e *Error) error { return c.pc.WritePacket(AppendErr(nil, e)) }

// WriteEOF ends a column list or result set in the client's dialect: an
// EOF packet, or with CLIENT_DEPRECATE_EOF nothing after columns
// (afterColumns) and an OK packet with the EOF header after rows.
func (c *Conn) WriteEOF(afterColumns bool, warnings, status uint16) error {
	if !c.Has(CapDeprecateEOF) {
		return c.pc.WritePacket(AppendEOF(nil, warnings, status))
	}
	if afterColumns {
		return nil
	}
	return c.pc.WritePacket(AppendOK(nil, HeaderEOF, OK{Status: status, Warnings: warnings}))
}

// Flush sends buffered packets.
func (c *Conn) Flush() error {
	err := c.pc.Flush()
	c.reportBytes()
	return err
}

// SetMaxPacket bounds the packets read from the client.
func (c *Conn) SetMaxPacket(n int) { c.pc.Max = n }

// SetCanceller registers what KILL QUERY from another session does for
// this one (nil: nothing to cancel).
func (c *Conn) SetCanceller(f func()) {
	if f == nil {
		c.canceller.Store(nil)
		return
	}
	c.canceller.Store(&f)
}

// Draining reports whether the server asked connections to end.
func (c *Conn) Draining() bool { return c.draining.Load() }

// Killed reports whether KILL CONNECTION named this session.
func (c *Conn) Killed() bool { return c.killed.Load() }

// WatchClose calls onClose if the client hangs up while the handler waits
// on a backend; stop must be called before the next read.
func (c *Conn) WatchClose(delay time.Duration, onClose func()) (stop func()) {
	if c.sweeper != nil {
		return c.sweeper.Watch(c.rd, delay, onClose)
	}
	return c.rd.Watch(delay, onClose)
}

// Abort ends the session from another goroutine (its backend connection
// died while the client was idle): the pending command read, or the next
// one, returns ErrKilled, and the connection closes without a message.
func (c *Conn) Abort() {
	c.killed.Store(true)
	_ = c.net.SetReadDeadline(time.Now())
}

// Kill runs KILL [QUERY|CONNECTION] id on behalf of this session: the
// target must belong to the same gateway user.
func (c *Conn) Kill(id uint32, queryOnly bool) error {
	if c.srv == nil {
		return Errorf(ErNoSuchThread, "Unknown thread id: %d", id)
	}
	t := c.srv.lookup(id)
	if t == nil {
		return Errorf(ErNoSuchThread, "Unknown thread id: %d", id)
	}
	if t.User == nil || c.User == nil || t.User.Name != c.User.Name {
		return Errorf(ErKillDenied, "You are not owner of thread %d", id)
	}
	t.cancel()
	if !queryOnly {
		t.killed.Store(true)
		_ = t.net.SetReadDeadline(time.Now())
	}
	return nil
}

// Switch asks the server to move the session to another logical database
// (COM_INIT_DB or USE). Handlers call it at a transaction boundary; on
// success they return the error it gives them, and the server sends OK
// and starts the new database's handler.
func (c *Conn) Switch(database string) error {
	if c.srv == nil {
		return Errorf(ErBadDB, "Unknown database '%s'", database)
	}
	h, ok := c.srv.gw.MySQLHandler(database)
	if !ok || !c.User.MayOpen(database) {
		return Errorf(ErBadDB, "Unknown database '%s'", database)
	}
	release, e := c.srv.gw.AdmitMySQL(c.User, database, c.RemoteAddr)
	if e != nil {
		return e
	}
	return &SwitchError{Database: database, h: h, release: release}
}

// SwitchError carries a database switch from a Handler to the Server.
type SwitchError struct {
	Database string
	h        Handler
	release  func()
}

func (e *SwitchError) Error() string { return "switch to database " + e.Database }

// TokenExpiry is when the login token of a session that logged in with
// one expires (zero for password logins).
func (c *Conn) TokenExpiry() time.Time { return c.expiry }

// tokenExpired ends a token session whose token has expired: at once
// (what it runs is cancelled, an open transaction rolled back with the
// backend connection), or with atEnd at its next transaction boundary.
// Runs on a timer's goroutine.
func (c *Conn) tokenExpired(atEnd bool) {
	e := Fatalf(ErConnectionKilled, "Connection closed: the login token of user '%s' expired; log in again with a new token", c.User.Name)
	c.endErr.Store(e)
	if atEnd {
		c.drain()
		return
	}
	c.cancel()
	c.killed.Store(true)
	hangup.CloseRead(c.net)
}

func (c *Conn) drain() {
	c.draining.Store(true)
	if c.idle.Load() {
		_ = c.net.SetReadDeadline(time.Now())
	}
}

func (c *Conn) cancel() {
	if f := c.canceller.Load(); f != nil {
		(*f)()
	}
}

func (c *Conn) reportBytes() {
	if c.bytesIn == nil {
		return
	}
	if d := c.pc.In - c.reportedIn; d > 0 {
		c.bytesIn.Add(float64(d))
		c.reportedIn = c.pc.In
	}
	if d := c.pc.Out - c.reportedOut; d > 0 {
		c.bytesOut.Add(float64(d))
		c.reportedOut = c.pc.Out
	}
}

// NoteStatement records the SQL text the session runs now, for the admin
// API's view of sessions.
func (c *Conn) NoteStatement(text string) { c.act.Note(text) }

// SessionInfo describes a live session for the admin API.
type SessionInfo = activity.Info

func (c *Conn) info() SessionInfo {
	var user, db, client string
	if c.User != nil {
		user = c.User.Name
	}
	if d := c.curDB.Load(); d != nil {
		db = *d
	}
	if c.RemoteAddr != nil {
		client = c.RemoteAddr.String()
	}
	return c.act.Info(c.ID, user, db, client, c.idle.Load())
}
