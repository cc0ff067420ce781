package mysqlwire

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/tls"
	"crypto/x509"
	"encoding/binary"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"runtime/debug"
	"sync"
	"time"

	"github.com/floe-db/floe/internal/authn"
	"github.com/floe-db/floe/internal/observe"
	"github.com/floe-db/floe/internal/wire/accept"
	"github.com/floe-db/floe/internal/wire/activity"
	"github.com/floe-db/floe/internal/wire/hangup"
)

// Handler serves authenticated connections for one logical database.
type Handler interface {
	// Serve runs commands until the client quits (return nil), an error
	// ends the session (an *Error is sent to the client first), or ctx
	// is cancelled. The OK after authentication has been sent already.
	Serve(ctx context.Context, c *Conn) error
}

// Gateway is what the front end needs from the rest of the gateway.
type Gateway interface {
	Users() *authn.Store
	// MySQLHandler returns the handler of a logical database.
	MySQLHandler(database string) (Handler, bool)
	// AdmitMySQL decides whether an authenticated user may open a
	// database (nil: yes); it is asked before the handshake's OK and on
	// every switch of database. release gives back what admission
	// counted, when the connection ends or leaves the database.
	AdmitMySQL(u *authn.User, database string, client net.Addr) (release func(), e *Error)
}

// Config configures a Server.
type Config struct {
	// TLS enables the SSL capability; nil leaves it off.
	TLS *tls.Config
	// OnTLSError, when set, is told of every failed TLS handshake (the
	// gateway reports refused client certificates). It must not block.
	OnTLSError func(client net.Addr, err error)
	// Version is the server version the handshake announces.
	Version string
	// MaxPacket bounds client packets (max_allowed_packet).
	MaxPacket int
	// MaxConnections caps concurrent clients (0: unlimited).
	MaxConnections int
	// LocalInfile advertises CLIENT_LOCAL_FILES so LOAD DATA LOCAL INFILE works.
	LocalInfile bool
	// StartupTimeout bounds the time from accept to the end of authentication.
	StartupTimeout time.Duration
	// OnAuth, when set, is told of every authentication attempt: err is
	// nil on success. It must not block.
	OnAuth func(user, database string, client net.Addr, err error)
	// AllowLogin, when set, may refuse an authentication attempt before
	// it starts (a user locked out after failed logins).
	AllowLogin func(user string, client net.Addr) *Error
	// Screen, when set, may refuse a client by the user and database its
	// handshake response names, before AllowLogin and before its
	// password is checked (the network rules).
	Screen func(user, database string, client net.Addr) *Error
	// TokenLogin, when set, authenticates a user that is not a
	// configured gateway user with a token sent as the password through
	// mysql_clear_password: over TLS only (a plain connection is refused
	// before the switch). It returns the session's user and when the
	// token expires; the session ends then.
	TokenLogin func(ctx context.Context, user, token string) (*authn.User, time.Time, error)
	// ExpiryAtTransactionEnd lets a session whose token expired finish
	// its transaction: it ends at its next transaction boundary instead
	// of at once.
	ExpiryAtTransactionEnd bool
	// ExpiryGrace bounds ExpiryAtTransactionEnd: a session still open
	// this long after its token expired is ended at once (zero: at
	// once).
	ExpiryGrace time.Duration
	// PeerAuth, when set, is asked after the handshake response and
	// before the password is checked, with the client certificate the
	// TLS handshake verified (nil: none, or no TLS). A user it returns is
	// logged in by the certificate alone (whatever auth data the client
	// sent; OnAuth is not called: PeerAuth reports that login itself);
	// nil and no error: the password is checked; an error refuses the
	// login.
	PeerAuth func(user, database string, cert *x509.Certificate, client net.Addr) (*authn.User, *Error)
}

// DefaultVersion is announced when Config.Version is empty.
const DefaultVersion = "8.0.40-floe"

// Server is the MySQL front end.
type Server struct {
	gw      Gateway
	log     *slog.Logger
	metrics *observe.Metrics
	sweeper *hangup.Sweeper
	bufs    Buffers // read and write buffers of connections

	rsaOnce sync.Once
	rsaKey  *rsa.PrivateKey
	rsaPEM  []byte
	rsaErr  error

	mu struct {
		sync.Mutex
		cfg      Config
		conns    map[uint32]*Conn
		draining bool
	}
	accepted accept.Group
}

// NewServer creates a server.
func NewServer(cfg Config, gw Gateway, log *slog.Logger, m *observe.Metrics) *Server {
	s := &Server{gw: gw, log: log, metrics: m, sweeper: hangup.NewSweeper()}
	s.mu.conns = map[uint32]*Conn{}
	s.SetConfig(cfg)
	return s
}

// SetConfig replaces the configuration for new connections (reload).
func (s *Server) SetConfig(cfg Config) {
	if cfg.StartupTimeout == 0 {
		cfg.StartupTimeout = 30 * time.Second
	}
	if cfg.Version == "" {
		cfg.Version = DefaultVersion
	}
	if cfg.MaxPacket == 0 {
		cfg.MaxPacket = 64 << 20
	}
	s.mu.Lock()
	s.mu.cfg = cfg
	s.mu.Unlock()
}

func (s *Server) config() Config {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.mu.cfg
}

// Serve accepts connections on ln until it is closed. Each connection's
// context derives from ctx.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	return s.accepted.Serve(ln, func(nc net.Conn) {
		s.metrics.ClientConnsTotal.WithLabelValues("mysql").Inc()
		s.serveConn(ctx, nc)
	})
}

// Drain stops accepting and asks every session to end at its next
// transaction boundary.
func (s *Server) Drain() {
	s.mu.Lock()
	s.mu.draining = true
	conns := make([]*Conn, 0, len(s.mu.conns))
	for _, c := range s.mu.conns {
		conns = append(conns, c)
	}
	s.mu.Unlock()
	s.accepted.Close()
	for _, c := range conns {
		c.drain()
	}
}

// Wait blocks until every connection goroutine has returned or ctx ends.
func (s *Server) Wait(ctx context.Context) error { return s.accepted.Wait(ctx) }

// Conns returns the number of live connections.
func (s *Server) Conns() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.mu.conns)
}

// Sessions lists the authenticated sessions.
func (s *Server) Sessions() []SessionInfo {
	s.mu.Lock()
	conns := make([]*Conn, 0, len(s.mu.conns))
	for _, c := range s.mu.conns {
		conns = append(conns, c)
	}
	s.mu.Unlock()
	out := make([]SessionInfo, 0, len(conns))
	for _, c := range conns {
		if c.authed.Load() {
			out = append(out, c.info())
		}
	}
	return out
}

// CancelQuery stops what session id runs (KILL QUERY); it reports
// whether the session exists.
func (s *Server) CancelQuery(id uint32) bool {
	c := s.lookup(id)
	if c == nil || !c.authed.Load() {
		return false
	}
	c.cancel()
	return true
}

// EndIf ends at once every authenticated session for which end returns
// an error, given the session and its TLS state (nil: a plain connection), as
// KILL CONNECTION does; the client gets that error. It returns how many
// sessions it ended. The gateway uses it to end the sessions of client
// certificates revoked since they logged in.
func (s *Server) EndIf(end func(info SessionInfo, cs *tls.ConnectionState) *Error) int {
	s.mu.Lock()
	conns := make([]*Conn, 0, len(s.mu.conns))
	for _, c := range s.mu.conns {
		conns = append(conns, c)
	}
	s.mu.Unlock()
	n := 0
	for _, c := range conns {
		if !c.authed.Load() || c.killed.Load() {
			continue
		}
		var cs *tls.ConnectionState
		if tc, ok := c.net.(*tls.Conn); ok {
			st := tc.ConnectionState()
			cs = &st
		}
		if e := end(c.info(), cs); e != nil {
			e.Fatal = true
			c.endErr.Store(e)
			c.cancel()
			c.killed.Store(true)
			hangup.CloseRead(c.net)
			n++
		}
	}
	return n
}

// Terminate ends session id (KILL CONNECTION); it reports whether it
// exists.
func (s *Server) Terminate(id uint32) bool {
	c := s.lookup(id)
	if c == nil || !c.authed.Load() {
		return false
	}
	c.cancel()
	c.killed.Store(true)
	hangup.CloseRead(c.net)
	return true
}

func (s *Server) lookup(id uint32) *Conn {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.mu.conns[id]
}

// send writes a packet and flushes, ignoring errors (the connection is
// about to close).
func send(c *Conn, p []byte) {
	_ = c.pc.WritePacket(p)
	_ = c.pc.Flush()
}

func (s *Server) serveConn(ctx context.Context, nc net.Conn) {
	log := activity.NewLog(s.log, "client", nc.RemoteAddr().String())
	defer func() {
		if r := recover(); r != nil {
			log.Error("panic in connection", "panic", fmt.Sprint(r), "stack", string(debug.Stack()))
		}
		_ = nc.Close()
	}()
	if tc, ok := nc.(*net.TCPConn); ok {
		_ = tc.SetNoDelay(true)
		_ = tc.SetKeepAlive(true)
	}
	cfg := s.config()
	gauge := s.metrics.ClientConns.WithLabelValues("mysql", "handshake")
	gauge.Inc()
	c := newConn(nc, &s.bufs)
	c.srv, c.sweeper = s, s.sweeper
	s.mu.Lock()
	// conns holds every connection from accept on (handshaking ones too).
	tooMany := cfg.MaxConnections > 0 && len(s.mu.conns)+1 > cfg.MaxConnections
	for c.ID == 0 {
		var b [4]byte
		_, _ = rand.Read(b[:])
		id := binary.LittleEndian.Uint32(b[:]) & 0x7fffffff
		if _, taken := s.mu.conns[id]; !taken {
			c.ID = id
		}
	}
	s.mu.conns[c.ID] = c // reserved; User is nil until authenticated
	s.mu.Unlock()
	handshaking := true
	endHandshake := func() {
		if handshaking {
			handshaking = false
			gauge.Dec()
		}
	}
	defer func() {
		endHandshake()
		s.mu.Lock()
		delete(s.mu.conns, c.ID)
		s.mu.Unlock()
		if c.release != nil {
			c.release()
		}
	}()

	_ = nc.SetDeadline(time.Now().Add(cfg.StartupTimeout))
	h, err := s.handshake(ctx, c, cfg, tooMany)
	if err != nil {
		if me := ErrorOf(err); me != nil {
			send(c, AppendErr(nil, me))
		}
		if !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
			log.Info("connection rejected", "error", err.Error())
		}
		return
	}
	_ = c.net.SetDeadline(time.Time{})
	endHandshake()
	s.mu.Lock()
	draining := s.mu.draining
	s.mu.Unlock()
	if draining {
		send(c, AppendErr(nil, Fatalf(ErServerShutdown, "Server shutdown in progress")))
		return
	}
	c.pc.Max = cfg.MaxPacket
	authed := s.metrics.ClientConns.WithLabelValues("mysql", "authenticated")
	authed.Inc()
	defer authed.Dec()
	log.With("user", c.User.Name, "connection_id", c.ID)
	log.Debug("client connected", "database", c.Database)
	if err := c.WriteOK(OK{Status: StatusAutocommit}); err != nil {
		return
	}
	if err := c.Flush(); err != nil {
		return
	}
	db := c.Database
	c.curDB.Store(&db)
	if !c.expiry.IsZero() {
		atEnd := cfg.ExpiryAtTransactionEnd
		expire := time.AfterFunc(time.Until(c.expiry), func() { c.tokenExpired(atEnd) })
		defer expire.Stop()
		if atEnd {
			// A transaction held open does not keep the session past
			// the grace.
			graceEnd := time.AfterFunc(time.Until(c.expiry.Add(cfg.ExpiryGrace)), func() { c.tokenExpired(false) })
			defer graceEnd.Stop()
		}
	}
	c.authed.Store(true)
	for {
		c.bytesIn = s.metrics.Bytes.WithLabelValues(c.Database, "client_to_server")
		c.bytesOut = s.metrics.Bytes.WithLabelValues(c.Database, "server_to_client")
		err = h.Serve(ctx, c)
		c.reportBytes()
		var sw *SwitchError
		if errors.As(err, &sw) {
			c.Database, h = sw.Database, sw.h
			db := c.Database
			c.curDB.Store(&db)
			if c.release != nil {
				c.release()
			}
			c.release = sw.release
			if err := c.WriteOK(OK{Status: StatusAutocommit}); err != nil {
				return
			}
			if err := c.Flush(); err != nil {
				return
			}
			continue
		}
		break
	}
	me := ErrorOf(err)
	if e := c.endErr.Load(); e != nil && (errors.Is(err, ErrKilled) || errors.Is(err, ErrShutdown) || errors.Is(err, net.ErrClosed) || errors.Is(err, io.EOF)) {
		// Numbered as the answer to the client's next command, which
		// a driver reads it as.
		c.pc.SetSeq(1)
		send(c, AppendErr(nil, e))
		log.Info("connection ended", "reason", e.Message)
		return
	}
	switch {
	case err == nil, errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, net.ErrClosed), errors.Is(err, ErrKilled):
	case errors.Is(err, ErrShutdown):
		send(c, AppendErr(nil, Fatalf(ErServerShutdown, "Server shutdown in progress")))
	case errors.Is(err, ErrPacketTooLarge):
		send(c, AppendErr(nil, Fatalf(ErNetPacketTooLarge, "Got a packet bigger than 'max_allowed_packet' bytes")))
		log.Info("connection closed: packet too large")
	case errors.As(err, new(*SequenceError)):
		send(c, AppendErr(nil, Fatalf(ErNetPacketsOutOfOrd, "Got packets out of order")))
		log.Info("connection closed", "error", err.Error())
	case me != nil:
		send(c, AppendErr(nil, me))
		log.Info("connection ended with error", "error", err.Error())
	default:
		log.Info("connection ended with error", "error", err.Error())
	}
	log.Debug("client disconnected")
}

// serverCaps are the capabilities Floe offers clients.
const serverCaps = CapLongPassword | CapFoundRows | CapLongFlag | CapConnectWithDB | CapProtocol41 |
	CapTransactions | CapSecureConnection | CapMultiStatements | CapMultiResults | CapPSMultiResults |
	CapPluginAuth | CapConnectAttrs | CapPluginAuthLenenc | CapDeprecateEOF | CapInteractive

func newNonce() []byte {
	n := make([]byte, 20)
	_, _ = rand.Read(n)
	for i, b := range n {
		// MySQL scrambles are printable-safe: no NUL (terminator) and no '$'.
		b &= 0x7f
		if b == 0 || b == '$' {
			b++
		}
		n[i] = b
	}
	return n
}

// handshake sends the greeting, negotiates TLS, authenticates and picks
// the database's handler.
func (s *Server) handshake(ctx context.Context, c *Conn, cfg Config, tooMany bool) (Handler, error) {
	caps := serverCaps
	if cfg.TLS != nil {
		caps |= CapSSL
	}
	if cfg.LocalInfile {
		caps |= CapLocalFiles
	}
	nonce := newNonce()
	c.ServerVersion = cfg.Version
	greeting := AppendHandshake(nil, Handshake{
		Version: cfg.Version, ConnectionID: c.ID, Nonce: nonce, Capabilities: caps,
		Charset: byte(CharsetUTF8MB4), Status: StatusAutocommit, Plugin: PluginCachingSHA,
	})
	c.pc.Max = 1 << 16 // a handshake response is small
	p, err := c.handshakeStep(greeting)
	if err != nil {
		return nil, err
	}
	hr, err := ParseHandshakeResponse(p)
	if err != nil {
		return nil, Fatalf(ErHandshake, "Bad handshake")
	}
	if hr.SSLRequest {
		if cfg.TLS == nil {
			return nil, Fatalf(ErHandshake, "SSL is not enabled on this server")
		}
		seq := c.pc.Seq()
		// The client may have sent its TLS hello right behind the
		// request; bytes already buffered go to the TLS layer first.
		raw := net.Conn(c.net)
		if n := c.pc.Buffered(); n > 0 {
			b, _ := c.pc.br.Peek(n)
			raw = &prefixConn{Conn: c.net, prefix: bytes.Clone(b)}
		}
		tc := tls.Server(raw, cfg.TLS)
		if err := tc.Handshake(); err != nil {
			if cfg.OnTLSError != nil {
				cfg.OnTLSError(c.RemoteAddr, err)
			}
			return nil, fmt.Errorf("TLS handshake: %w", err)
		}
		c.setNet(tc)
		c.pc.Max = 1 << 16
		c.pc.SetSeq(seq)
		if p, err = c.pc.ReadPacket(); err != nil {
			return nil, handshakeErr(err)
		}
		if hr, err = ParseHandshakeResponse(p); err != nil || hr.SSLRequest {
			return nil, Fatalf(ErHandshake, "Bad handshake")
		}
	}
	c.Capabilities = hr.Capabilities & caps
	c.Collation = hr.Charset
	c.Attrs = hr.Attrs
	if tooMany {
		return nil, Fatalf(ErConCount, "Too many connections")
	}
	if cfg.Screen != nil {
		if e := cfg.Screen(hr.User, hr.Database, c.RemoteAddr); e != nil {
			e.Fatal = true
			return nil, e
		}
	}
	if cfg.AllowLogin != nil {
		if e := cfg.AllowLogin(hr.User, c.RemoteAddr); e != nil {
			e.Fatal = true
			return nil, e
		}
	}
	var u *authn.User
	if cfg.PeerAuth != nil {
		var cert *x509.Certificate
		if tc, ok := c.net.(*tls.Conn); ok {
			if pc := tc.ConnectionState().PeerCertificates; len(pc) > 0 {
				cert = pc[0]
			}
		}
		var e *Error
		if u, e = cfg.PeerAuth(hr.User, hr.Database, cert, c.RemoteAddr); e != nil {
			s.metrics.AuthFailures.WithLabelValues("mysql", "certificate").Inc()
			e.Fatal = true
			return nil, e
		}
	}
	if u == nil {
		var err error
		method := "password"
		if _, known := s.gw.Users().Lookup(hr.User); !known && cfg.TokenLogin != nil {
			method = "token"
			u, c.expiry, err = s.tokenLogin(ctx, c, cfg, hr)
		} else {
			u, err = s.authenticate(c, hr, nonce)
		}
		if cfg.OnAuth != nil {
			cfg.OnAuth(hr.User, hr.Database, c.RemoteAddr, err)
		}
		if err != nil {
			s.metrics.AuthFailures.WithLabelValues("mysql", method).Inc()
			return nil, err
		}
	}
	c.User = u
	if hr.Database == "" {
		return noDatabase{}, nil
	}
	h, ok := s.gw.MySQLHandler(hr.Database)
	if !ok || !u.MayOpen(hr.Database) {
		// Checked after authentication so that names cannot be probed.
		return nil, Fatalf(ErBadDB, "Unknown database '%s'", hr.Database)
	}
	release, e := s.gw.AdmitMySQL(u, hr.Database, c.RemoteAddr)
	if e != nil {
		e.Fatal = true
		return nil, e
	}
	c.release = release
	c.Database = hr.Database
	return h, nil
}

// handshakeStep sends one handshake packet and reads the client's answer.
func (c *Conn) handshakeStep(p []byte) ([]byte, error) {
	if err := c.pc.WritePacket(p); err != nil {
		return nil, err
	}
	if err := c.pc.Flush(); err != nil {
		return nil, err
	}
	answer, err := c.pc.ReadPacket()
	if err != nil {
		return nil, handshakeErr(err)
	}
	return answer, nil
}

func handshakeErr(err error) error {
	var se *SequenceError
	switch {
	case errors.Is(err, ErrPacketTooLarge):
		return Fatalf(ErHandshake, "Bad handshake")
	case errors.As(err, &se):
		return Fatalf(ErNetPacketsOutOfOrd, "Got packets out of order")
	}
	return err
}

// authenticate checks the client's proof. Unknown users, wrong passwords
// and malformed exchanges all end in the same 1045.
func (s *Server) authenticate(c *Conn, hr *HandshakeResponse, nonce []byte) (*authn.User, error) {
	host := "%"
	if ta, ok := c.RemoteAddr.(*net.TCPAddr); ok {
		host = ta.IP.String()
	}
	denied := Fatalf(ErAccessDenied, "Access denied for user '%s'@'%s' (using password: %s)", hr.User, host, map[bool]string{true: "YES", false: "NO"}[len(hr.AuthData) > 0])
	u, _ := s.gw.Users().Lookup(hr.User)
	plugin := hr.Plugin
	if hr.Capabilities&CapPluginAuth == 0 {
		plugin = PluginNative
	}
	data := hr.AuthData
	if plugin == PluginNative && u.HasMySQLNative() {
		if u.CheckMySQLNative(nonce, data) {
			return u, nil
		}
		return nil, denied
	}
	if plugin != PluginCachingSHA {
		if hr.Capabilities&CapPluginAuth == 0 {
			return nil, denied
		}
		// Ask the client to use caching_sha2_password.
		p, err := c.handshakeStep(AppendAuthSwitch(nil, PluginCachingSHA, nonce))
		if err != nil {
			return nil, err
		}
		data = p
	}
	return s.cachingSHA2(c, u, nonce, data, denied)
}

// tokenLogin authenticates a user that is not a gateway user with a
// token sent through mysql_clear_password, over TLS only. The client is
// told only that access was denied; the returned error also says why,
// for the audit log (never the token).
func (s *Server) tokenLogin(ctx context.Context, c *Conn, cfg Config, hr *HandshakeResponse) (*authn.User, time.Time, error) {
	host := "%"
	if ta, ok := c.RemoteAddr.(*net.TCPAddr); ok {
		host = ta.IP.String()
	}
	if !c.TLS {
		// Refused before the switch to cleartext: the client never
		// sends its token in clear.
		return nil, time.Time{}, Fatalf(ErAccessDenied, "Access denied for user '%s'@'%s': token login requires TLS", hr.User, host)
	}
	denied := Fatalf(ErAccessDenied, "Access denied for user '%s'@'%s' (using token: YES)", hr.User, host)
	data := hr.AuthData
	if hr.Plugin != PluginClearPassword || hr.Capabilities&CapPluginAuth == 0 {
		if hr.Capabilities&CapPluginAuth == 0 {
			return nil, time.Time{}, fmt.Errorf("%w: the client cannot switch to mysql_clear_password", denied)
		}
		p, err := c.handshakeStep(AppendAuthSwitch(nil, PluginClearPassword, nil))
		if err != nil {
			return nil, time.Time{}, err
		}
		data = p
	}
	token := string(bytes.TrimSuffix(data, []byte{0}))
	u, exp, err := cfg.TokenLogin(ctx, hr.User, token)
	switch {
	case errors.Is(err, authn.ErrOIDCUnavailable):
		return nil, time.Time{}, fmt.Errorf("%w: %v", Fatalf(ErAccessDenied, "Access denied for user '%s'@'%s': the identity provider cannot be reached to check the token; retry shortly", hr.User, host), err)
	case err != nil:
		return nil, time.Time{}, fmt.Errorf("%w: %v", denied, err)
	case !exp.After(time.Now()):
		return nil, time.Time{}, denied
	}
	return u, exp, nil
}

// caching_sha2_password exchange bytes.
const (
	sha2More            = 0x01
	sha2FastOK          = 0x03
	sha2FullAuth        = 0x04
	sha2RequestKey      = 0x02
	sha2ScrambleLen     = 32
	maxCleartextPassLen = 1024
)

func (s *Server) cachingSHA2(c *Conn, u *authn.User, nonce, scramble []byte, denied *Error) (*authn.User, error) {
	if len(scramble) == 0 {
		return nil, denied
	}
	if len(scramble) == sha2ScrambleLen && u.CheckMySQLSHA2Fast(nonce, scramble) {
		if err := c.pc.WritePacket([]byte{sha2More, sha2FastOK}); err != nil {
			return nil, err
		}
		return u, nil
	}
	// Not cached or no match: full authentication, as MySQL does.
	p, err := c.handshakeStep([]byte{sha2More, sha2FullAuth})
	if err != nil {
		return nil, err
	}
	var password []byte
	switch {
	case c.TLS:
		password = bytes.TrimSuffix(p, []byte{0})
	case len(p) == 1 && p[0] == sha2RequestKey:
		pemKey, err := s.publicKey()
		if err != nil {
			return nil, err
		}
		if p, err = c.handshakeStep(append([]byte{sha2More}, pemKey...)); err != nil {
			return nil, err
		}
		fallthrough
	case len(p) == 256:
		if _, err := s.publicKey(); err != nil {
			return nil, err
		}
		plain, err := rsa.DecryptOAEP(sha1.New(), rand.Reader, s.rsaKey, p, nil)
		if err != nil {
			return nil, denied
		}
		for i := range plain {
			plain[i] ^= nonce[i%len(nonce)]
		}
		password = bytes.TrimSuffix(plain, []byte{0})
	default:
		// A cleartext password over an unencrypted connection: refuse it
		// (as MySQL does), and say why in the log: the client must use
		// TLS or ask for the server's RSA key. The password is not logged.
		if u != nil {
			s.log.Info("mysql login refused: full authentication needs TLS or RSA key retrieval (the user has no cached caching_sha2_password entry yet: connect once over TLS, or let the client fetch the server's RSA key: MariaDB's mysql --skip-ssl, MySQL's mysql --get-server-public-key)",
				"user", u.Name, "client", addrString(c.RemoteAddr))
		}
		return nil, denied
	}
	if len(password) > maxCleartextPassLen || !u.CheckPassword(string(password)) {
		return nil, denied
	}
	return u, nil
}

// publicKey returns the PEM of the server's RSA key, generated on first use.
func (s *Server) publicKey() ([]byte, error) {
	s.rsaOnce.Do(func() {
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			s.rsaErr = err
			return
		}
		der, err := x509.MarshalPKIXPublicKey(&k.PublicKey)
		if err != nil {
			s.rsaErr = err
			return
		}
		s.rsaKey = k
		s.rsaPEM = pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
	})
	return s.rsaPEM, s.rsaErr
}

// noDatabase serves a session that connected without naming a database:
// it can ping, quit and choose one.
type noDatabase struct{}

func (noDatabase) Serve(ctx context.Context, c *Conn) error {
	for {
		p, err := c.ReadCommandIdle()
		if err != nil {
			return err
		}
		var target string
		var use bool
		switch p[0] {
		case ComQuit:
			return nil
		case ComPing, ComResetConnection:
			if err := c.WriteOK(OK{Status: StatusAutocommit}); err != nil {
				return err
			}
			if err := c.Flush(); err != nil {
				return err
			}
			continue
		case ComInitDB:
			target, use = string(p[1:]), true
		case ComQuery:
			target, use = ParseUse(string(p[1:]))
		}
		e := Errorf(ErNoDB, "No database selected")
		if use {
			err := c.Switch(target)
			if _, ok := errors.AsType[*SwitchError](err); ok {
				return err
			}
			e, _ = errors.AsType[*Error](err)
		}
		if err := c.WriteErr(e); err != nil {
			return err
		}
		if err := c.Flush(); err != nil {
			return err
		}
	}
}

// prefixConn reads prefix before the connection's own bytes.
type prefixConn struct {
	net.Conn
	prefix []byte
}

func (p *prefixConn) Read(b []byte) (int, error) {
	if len(p.prefix) > 0 {
		n := copy(b, p.prefix)
		p.prefix = p.prefix[n:]
		return n, nil
	}
	return p.Conn.Read(b)
}

// addrString is a client's address for the log ("" when unknown).
func addrString(a net.Addr) string {
	if a == nil {
		return ""
	}
	return a.String()
}
