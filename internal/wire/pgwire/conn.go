package pgwire

import (
	"errors"
	"io"
	"net"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/pgproto3"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/floe-db/floe/internal/authn"
	"github.com/floe-db/floe/internal/wire/activity"
	"github.com/floe-db/floe/internal/wire/hangup"
)

// ErrShutdown is returned by Receive when the server drains and the
// connection is idle between transactions.
var ErrShutdown = errors.New("server is shutting down")

// Conn is one authenticated client connection as seen by a Handler.
type Conn struct {
	// User is the authenticated gateway user.
	User *authn.User
	// Database is the logical database the client asked for.
	Database string
	// Params are the startup parameters other than user and database
	// (application_name, client_encoding, options, …).
	Params map[string]string
	// RemoteAddr is the client's address.
	RemoteAddr net.Addr

	net     net.Conn
	rd      *hangup.Reader
	idleRd  *hangup.IdleReader       // waits between transactions (made at the first)
	mr      *msgReader               // between rd and be: grows large messages as they arrive
	last    pgproto3.FrontendMessage // cleared at the next Receive
	sweeper *hangup.Sweeper          // nil: one timer per watch
	wr      *countingWriter
	be      *pgproto3.Backend // reads only; nil while waitIdle waits
	pb      *pooledBackend    // be's holder when it comes from pools
	pools   *idlePools        // nil: buffers are kept while idle
	broken  bool              // a Receive failed: be may hold half a message
	wbuf    []byte            // messages to flush
	encErr  error             // the first Send that could not be encoded
	// idleHook, for tests, is told what read buffers the connection
	// still holds as it starts waiting between transactions.
	idleHook func(holds int)
	key      cancelKey
	srv      *Server
	// bytes already added to the metrics
	reportedIn, reportedOut int64
	bytesIn, bytesOut       prometheus.Counter

	canceller atomic.Pointer[func()]
	idle      atomic.Bool // Receive is waiting at a transaction boundary
	release   func()      // from admission; called when the connection ends
	draining  atomic.Bool
	killed    atomic.Bool // Terminate named this session
	// endErr, when set, is why the session is being ended (its login
	// token expired): sent instead of the administrator's 57P01.
	endErr atomic.Pointer[Error]
	// expiry is when the login token of a token session expires (zero:
	// a password session).
	expiry time.Time
	authed atomic.Bool // startup is over: User and Database are set

	// act is what the admin API shows: the last Query or Parse text, idle
	// in a transaction.
	act activity.Tracker
}

// NewConn wraps an already authenticated connection, for handlers driven
// without a Server (tests, fuzzing, embedding). Cancel keys are zero.
func NewConn(nc net.Conn, user *authn.User, database string, maxMessageSize int) *Conn {
	c := newConn(nc, nil)
	c.User, c.Database, c.Params = user, database, map[string]string{}
	c.mr.typed = true // past startup
	c.setMaxBodyLen(maxMessageSize)
	return c
}

// setMaxBodyLen bounds message bodies (0: no bound).
func (c *Conn) setMaxBodyLen(n int) {
	c.be.SetMaxBodyLen(n)
	c.mr.max = n
}

// newConn wraps nc; with pools, the connection gives its read buffers
// back while it waits between transactions.
func newConn(nc net.Conn, pools *idlePools) *Conn {
	rd := hangup.NewReader(nc)
	wr := &countingWriter{w: nc}
	mr := newMsgReader(rd, pools)
	c := &Conn{RemoteAddr: nc.RemoteAddr(), net: nc, rd: rd, mr: mr, wr: wr, pools: pools}
	if pools != nil {
		c.pb = pools.getBackend(mr, wr)
		c.be = c.pb.be
	} else {
		c.be = pgproto3.NewBackend(mr, wr)
	}
	c.act.Start(time.Now())
	return c
}

// reportBytes adds the bytes moved since the last call to the metrics.
func (c *Conn) reportBytes() {
	if c.bytesIn == nil {
		return
	}
	if d := c.rd.N - c.reportedIn; d > 0 {
		c.bytesIn.Add(float64(d))
		c.reportedIn = c.rd.N
	}
	if n := c.wr.n.Load(); n > c.reportedOut {
		c.bytesOut.Add(float64(n - c.reportedOut))
		c.reportedOut = n
	}
}

// countingWriter counts bytes written to the client. The count is
// atomic: while a relayed session idles with LISTEN, another goroutine
// writes notifications as the session goroutine waits for the client.
type countingWriter struct {
	w io.Writer
	n atomic.Int64
}

func (w *countingWriter) Write(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil // pgproto3 flushes empty buffers; skip the syscall
	}
	n, err := w.w.Write(p)
	w.n.Add(int64(n))
	return n, err
}

// Receive reads the next message. The message is valid until the next call.
func (c *Conn) Receive() (pgproto3.FrontendMessage, error) {
	if c.killed.Load() {
		return nil, c.errTerminated()
	}
	c.releaseLast()
	return c.received(c.be.Receive())
}

// errTerminated is the error a killed session ends with.
func (c *Conn) errTerminated() error {
	if e := c.endErr.Load(); e != nil {
		return e
	}
	return Fatalf(CodeAdminShutdown, "terminating connection due to administrator command")
}

// errDrained is the error a draining session ends with at a transaction
// boundary.
func (c *Conn) errDrained() error {
	if e := c.endErr.Load(); e != nil {
		return e
	}
	return ErrShutdown
}

func (c *Conn) received(msg pgproto3.FrontendMessage, err error) (pgproto3.FrontendMessage, error) {
	c.last = msg
	if msg != nil {
		c.act.Ready(0)
	}
	if err != nil {
		c.broken = true
	}
	switch m := msg.(type) {
	case *pgproto3.Query:
		c.act.Note(m.String)
	case *pgproto3.Parse:
		c.act.Note(m.Query)
	}
	if c.killed.Load() {
		// Also with a message in hand: it may have been buffered before
		// the kill; the session ends without running it.
		return nil, c.errTerminated()
	}
	if err != nil {
		if c.draining.Load() && isTimeout(err) {
			return nil, c.errDrained()
		}
		var tooBig *pgproto3.ExceededMaxBodyLenErr
		if errors.As(err, &tooBig) {
			return nil, Fatalf(CodeProgramLimitExceeded, "message of %d bytes exceeds the limit of %d bytes", tooBig.ActualBodyLen, tooBig.MaxExpectedBodyLen)
		}
	}
	return msg, err
}

// ReceiveWithin is Receive while the client is idle inside an open
// transaction: one that sends nothing for limit (> 0) gets FATAL 25P03,
// as PostgreSQL's idle_in_transaction_session_timeout does, and the
// session ends.
func (c *Conn) ReceiveWithin(limit time.Duration) (pgproto3.FrontendMessage, error) {
	if limit <= 0 {
		return c.Receive()
	}
	_ = c.net.SetReadDeadline(time.Now().Add(limit))
	if c.killed.Load() { // after the deadline: a kill from now on interrupts the read
		return nil, c.errTerminated()
	}
	c.act.IdleInTx(true)
	c.releaseLast()
	msg, err := c.be.Receive()
	c.act.IdleInTx(false)
	if !c.draining.Load() {
		_ = c.net.SetReadDeadline(time.Time{})
	}
	if err != nil && !c.draining.Load() && !c.killed.Load() && isTimeout(err) {
		return nil, Fatalf(CodeIdleInTransactionTimeout,
			"terminating connection due to idle-in-transaction timeout (%s)", limit)
	}
	return c.received(msg, err)
}

// ReceiveIdle is Receive at a transaction boundary: a draining server ends
// the connection here instead of waiting for the client.
func (c *Conn) ReceiveIdle() (pgproto3.FrontendMessage, error) {
	c.reportBytes()
	c.idle.Store(true)
	defer c.idle.Store(false)
	if c.draining.Load() {
		return nil, c.errDrained()
	}
	c.waitIdle()
	return c.Receive()
}

// Send buffers msg for the client. Messages are encoded here rather than
// by the Backend, which is only read from: while the session goroutine
// waits for its client, a relay's goroutine may send it notifications.
func (c *Conn) Send(msg pgproto3.BackendMessage) {
	if r, ok := msg.(*pgproto3.ReadyForQuery); ok {
		c.act.Ready(r.TxStatus)
	}
	if c.encErr != nil {
		return
	}
	b, err := msg.Encode(c.wbuf)
	if err != nil {
		c.encErr = err
		return
	}
	c.wbuf = b
}

// SendError buffers an ErrorResponse for err.
func (c *Conn) SendError(err error) { c.Send(ErrorResponse(err)) }

// keptWriteBuf is the largest write buffer kept after a Flush; a larger
// one (a big result) is dropped.
const keptWriteBuf = 1 << 10

// Flush writes buffered messages to the client.
func (c *Conn) Flush() error {
	if err := c.encErr; err != nil {
		c.encErr, c.wbuf = nil, c.wbuf[:0]
		return err
	}
	_, err := c.wr.Write(c.wbuf)
	if cap(c.wbuf) > keptWriteBuf {
		c.wbuf = make([]byte, 0, keptWriteBuf)
	} else {
		c.wbuf = c.wbuf[:0]
	}
	return err
}

// Ready sends the end of startup: the parameter statuses, the cancel key
// and ReadyForQuery.
func (c *Conn) Ready(params map[string]string) error {
	for k, v := range params {
		c.Send(&pgproto3.ParameterStatus{Name: k, Value: v})
	}
	c.Send(&pgproto3.BackendKeyData{ProcessID: c.key.pid, SecretKey: c.key.secret[:]})
	c.Send(&pgproto3.ReadyForQuery{TxStatus: 'I'})
	err := c.Flush()
	c.wbuf = nil // the parameter statuses' buffer; replies grow their own
	return err
}

// SetCanceller registers what a CancelRequest for this connection does
// (nil: nothing). It may be called at any time; f runs on another goroutine.
func (c *Conn) SetCanceller(f func()) {
	if f == nil {
		c.canceller.Store(nil)
		return
	}
	c.canceller.Store(&f)
}

// Draining reports whether the server asked connections to end.
func (c *Conn) Draining() bool { return c.draining.Load() }

// WatchClose calls onClose (on another goroutine) if the client hangs up
// while the handler waits on a backend. Watching starts after delay so
// that short statements cost nothing; stop ends it and must be called
// before the next Receive.
func (c *Conn) WatchClose(delay time.Duration, onClose func()) (stop func()) {
	if c.sweeper != nil {
		return c.sweeper.Watch(c.rd, delay, onClose)
	}
	return c.rd.Watch(delay, onClose)
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

func isTimeout(err error) bool { return hangup.IsTimeout(err) }

// ProcessID returns the process id the client was given (its cancel key's
// first half; the gateway's id of the session).
func (c *Conn) ProcessID() uint32 { return c.key.pid }

// SessionInfo describes a live session for the admin API.
type SessionInfo = activity.Info

func (c *Conn) info() SessionInfo {
	var user, client string
	if c.User != nil {
		user = c.User.Name
	}
	if c.RemoteAddr != nil {
		client = c.RemoteAddr.String()
	}
	return c.act.Info(c.key.pid, user, c.Database, client, c.idle.Load())
}

// CloseRead ends the client's read side from another goroutine (the
// backend connection the session kept has died while the client was
// idle): the pending or next Receive fails, while a last error can still
// be written.
func (c *Conn) CloseRead() { hangup.CloseRead(c.net) }

// terminate ends the session as pg_terminate_backend does: what it runs
// is cancelled and it gets FATAL 57P01 at its next read.
func (c *Conn) terminate() {
	c.killed.Store(true)
	c.cancel()
	hangup.CloseRead(c.net)
}

// TokenExpiry is when the login token of a session that logged in with
// one expires (zero for password logins).
func (c *Conn) TokenExpiry() time.Time { return c.expiry }

// tokenExpired ends a token session whose token has expired: at once
// (what it runs is cancelled, an open transaction rolled back with the
// backend connection), or with atEnd at its next transaction boundary.
// Runs on a timer's goroutine.
func (c *Conn) tokenExpired(atEnd bool) {
	c.endErr.Store(Fatalf(CodeInvalidAuthSpec,
		"terminating connection because the login token of user %q expired; log in again with a new token", c.User.Name))
	if atEnd {
		c.drain()
		return
	}
	c.terminate()
}
