package pgwire

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"crypto/tls"
	"crypto/x509"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgproto3"

	"github.com/floe-db/floe/internal/authn"
	"github.com/floe-db/floe/internal/observe"
	"github.com/floe-db/floe/internal/wire/accept"
	"github.com/floe-db/floe/internal/wire/activity"
	"github.com/floe-db/floe/internal/wire/hangup"
)

// Handler serves authenticated connections for one logical database.
type Handler interface {
	// Serve runs the connection after authentication until the client
	// leaves, an error ends it, or ctx is cancelled. It must start by
	// calling c.Ready (or return an error, which is sent as FATAL).
	Serve(ctx context.Context, c *Conn) error
}

// Gateway is what the front end needs from the rest of the gateway. Its
// methods are called for every new connection, so a reload takes effect
// for new connections while existing ones keep what they started with.
type Gateway interface {
	// Users returns the current user store.
	Users() *authn.Store
	// Handler returns the handler for a logical database, or false.
	Handler(database string) (Handler, bool)
	// AdmitPostgres decides whether an authenticated user may open a
	// database (nil: yes); release, called when the connection ends,
	// gives back what admission counted.
	AdmitPostgres(u *authn.User, database string, client net.Addr) (release func(), e *Error)
}

// Config configures a Server.
type Config struct {
	// TLS enables SSLRequest; nil answers 'N'.
	TLS *tls.Config
	// OnTLSError, when set, is told of every failed TLS handshake (the
	// gateway reports refused client certificates). It must not block.
	OnTLSError func(client net.Addr, err error)
	// AuthMethod is "scram-sha-256" or "md5".
	AuthMethod string
	// MaxMessageSize caps one message body.
	MaxMessageSize int
	// MaxConnections caps concurrent clients (0: unlimited).
	MaxConnections int
	// StartupTimeout bounds the time from accept to the end of authentication.
	StartupTimeout time.Duration
	// OnAuth, when set, is told of every authentication attempt: err is
	// nil on success. It must not block.
	OnAuth func(user, database string, client net.Addr, err error)
	// AllowLogin, when set, may refuse an authentication attempt before
	// it starts (a user locked out after failed logins).
	AllowLogin func(user string, client net.Addr) *Error
	// Screen, when set, may refuse a client by the user and database its
	// startup message names, before AllowLogin and before any password
	// exchange (the network rules).
	Screen func(user, database string, client net.Addr) *Error
	// TokenLogin, when set, authenticates a startup user that is not a
	// configured gateway user with a token sent as the password: over
	// TLS only (a plain connection is refused before any password is
	// asked for). It returns the session's user and when the token
	// expires; the session ends then.
	TokenLogin func(ctx context.Context, user, token string) (*authn.User, time.Time, error)
	// ExpiryAtTransactionEnd lets a session whose token expired finish
	// its transaction: it ends at its next transaction boundary instead
	// of at once.
	ExpiryAtTransactionEnd bool
	// ExpiryGrace bounds ExpiryAtTransactionEnd: a session still open
	// this long after its token expired is ended at once (zero: at
	// once).
	ExpiryGrace time.Duration
	// PeerAuth, when set, is asked after the startup message and before
	// any password exchange, with the client certificate the TLS
	// handshake verified (nil: none, or no TLS). A user it returns is
	// logged in by the certificate alone (AuthenticationOk, no password;
	// OnAuth is not called: PeerAuth reports that login itself); nil
	// and no error: the password exchange follows; an error refuses the
	// login.
	PeerAuth func(user, database string, cert *x509.Certificate, client net.Addr) (*authn.User, *Error)
}

// Server is the PostgreSQL front end.
type Server struct {
	cfg     Config
	gw      Gateway
	log     *slog.Logger
	metrics *observe.Metrics
	sweeper *hangup.Sweeper
	pools   idlePools // buffers of connections idle between transactions

	mu struct {
		sync.Mutex
		conns    map[uint32]*Conn // by cancel pid
		handshk  int              // connections before authentication
		draining bool
	}
	accepted accept.Group
}

type cancelKey struct {
	pid    uint32
	secret [4]byte
}

// NewServer creates a server.
func NewServer(cfg Config, gw Gateway, log *slog.Logger, m *observe.Metrics) *Server {
	if cfg.StartupTimeout == 0 {
		cfg.StartupTimeout = 30 * time.Second
	}
	s := &Server{cfg: cfg, gw: gw, log: log, metrics: m, sweeper: hangup.NewSweeper()}
	s.mu.conns = map[uint32]*Conn{}
	return s
}

// SetConfig replaces the configuration for new connections (reload).
func (s *Server) SetConfig(cfg Config) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if cfg.StartupTimeout == 0 {
		cfg.StartupTimeout = 30 * time.Second
	}
	s.cfg = cfg
}

func (s *Server) config() Config {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.cfg
}

// Serve accepts connections on ln until it is closed. Each connection's
// context derives from ctx.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	return s.accepted.Serve(ln, func(nc net.Conn) {
		s.metrics.ClientConnsTotal.WithLabelValues("postgres").Inc()
		s.serveConn(ctx, nc)
	})
}

// Drain stops accepting and asks every connection to end at its next
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

// CancelQuery cancels what session id runs, as a CancelRequest would; it
// reports whether the session exists.
func (s *Server) CancelQuery(id uint32) bool {
	s.mu.Lock()
	c := s.mu.conns[id]
	s.mu.Unlock()
	if c == nil || !c.authed.Load() {
		return false
	}
	c.cancel()
	return true
}

// EndIf ends at once every authenticated session for which end returns
// an error, given the session and its TLS state (nil: a plain connection): what
// it runs is cancelled, an open transaction rolled back with its backend
// connection, and the client gets that error (FATAL) instead of an
// administrator's message. It returns how many sessions it ended. The
// gateway uses it to end the sessions of client certificates revoked
// since they logged in.
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
			e.Severity = "FATAL"
			c.endErr.Store(e)
			c.terminate()
			n++
		}
	}
	return n
}

// Terminate ends session id (FATAL 57P01); it reports whether it exists.
func (s *Server) Terminate(id uint32) bool {
	s.mu.Lock()
	c := s.mu.conns[id]
	s.mu.Unlock()
	if c == nil || !c.authed.Load() {
		return false
	}
	c.terminate()
	return true
}

// Wait blocks until every connection goroutine has returned or ctx ends.
func (s *Server) Wait(ctx context.Context) error { return s.accepted.Wait(ctx) }

// Conns returns the number of live connections (authenticated and not).
func (s *Server) Conns() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.mu.conns) + s.mu.handshk
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
	gauge := s.metrics.ClientConns.WithLabelValues("postgres", "handshake")
	gauge.Inc()
	s.mu.Lock()
	s.mu.handshk++
	tooMany := cfg.MaxConnections > 0 && len(s.mu.conns)+s.mu.handshk > cfg.MaxConnections
	s.mu.Unlock()
	handshaking := true
	endHandshake := func() {
		if handshaking {
			handshaking = false
			gauge.Dec()
			s.mu.Lock()
			s.mu.handshk--
			s.mu.Unlock()
		}
	}
	defer endHandshake()

	_ = nc.SetDeadline(time.Now().Add(cfg.StartupTimeout))
	c, h, err := s.startup(ctx, nc, cfg, tooMany)
	if c != nil {
		defer func() {
			if c.release != nil {
				c.release()
			}
			c.giveBack()
		}()
	}
	if err != nil {
		if c != nil {
			c.broken = true // its Backend may have stopped inside a message
		}
		if c != nil && c.be != nil {
			var pe *Error
			if errors.As(err, &pe) {
				c.Send(ErrorResponse(pe))
				_ = c.Flush()
			}
		}
		if !errors.Is(err, errCancelHandled) && !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
			log.Info("connection rejected", "error", err.Error())
		}
		return
	}
	_ = nc.SetDeadline(time.Time{})
	endHandshake()

	s.mu.Lock()
	if s.mu.draining {
		s.mu.Unlock()
		c.Send(ErrorResponse(Fatalf(CodeCannotConnectNow, "the gateway is shutting down")))
		_ = c.Flush()
		return
	}
	s.mu.conns[c.key.pid] = c
	s.mu.Unlock()
	authed := s.metrics.ClientConns.WithLabelValues("postgres", "authenticated")
	authed.Inc()
	c.bytesIn = s.metrics.Bytes.WithLabelValues(c.Database, "client_to_server")
	c.bytesOut = s.metrics.Bytes.WithLabelValues(c.Database, "server_to_client")
	defer func() {
		authed.Dec()
		c.reportBytes()
		s.mu.Lock()
		delete(s.mu.conns, c.key.pid)
		s.mu.Unlock()
	}()

	log.With("user", c.User.Name, "database", c.Database)
	log.Debug("client connected")
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
	err = h.Serve(ctx, c)
	switch {
	case err == nil, errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, net.ErrClosed):
	case errors.Is(err, ErrShutdown):
		c.Send(ErrorResponse(c.errTerminated()))
		_ = c.Flush()
	default:
		// A backend's own error ending the session is logged only: it
		// may name backend users or databases.
		if pe := ErrorOf(err); pe != nil && !fromBackend(err) {
			if pe.Severity != "FATAL" {
				pe = &Error{Severity: "FATAL", Code: pe.Code, Message: pe.Message, Detail: pe.Detail, Hint: pe.Hint}
			}
			c.Send(ErrorResponse(pe))
			_ = c.Flush()
		}
		log.Info("connection ended with error", "error", err.Error())
	}
	log.Debug("client disconnected")
}

var errCancelHandled = errors.New("cancel request handled")

// startup runs SSL negotiation, the startup message and authentication.
// On error the returned Conn (if any) can carry the ErrorResponse.
func (s *Server) startup(ctx context.Context, nc net.Conn, cfg Config, tooMany bool) (*Conn, Handler, error) {
	c := newConn(nc, &s.pools)
	c.srv, c.sweeper = s, s.sweeper
	tlsDone := false
	var sm *pgproto3.StartupMessage
	for sm == nil {
		msg, err := c.be.ReceiveStartupMessage()
		if err != nil {
			return nil, nil, err
		}
		switch m := msg.(type) {
		case *pgproto3.SSLRequest:
			if tlsDone {
				return nil, nil, errors.New("second SSLRequest")
			}
			if cfg.TLS == nil {
				if _, err := nc.Write([]byte{'N'}); err != nil {
					return nil, nil, err
				}
				continue
			}
			if _, err := nc.Write([]byte{'S'}); err != nil {
				return nil, nil, err
			}
			tc := tls.Server(nc, cfg.TLS)
			if err := tc.Handshake(); err != nil {
				if cfg.OnTLSError != nil {
					cfg.OnTLSError(c.RemoteAddr, err)
				}
				return nil, nil, fmt.Errorf("TLS handshake: %w", err)
			}
			tlsDone = true
			nc = tc
			addr := c.RemoteAddr
			c.giveBack()
			c = newConn(tc, &s.pools)
			c.RemoteAddr, c.srv, c.sweeper = addr, s, s.sweeper
		case *pgproto3.GSSEncRequest:
			if _, err := nc.Write([]byte{'N'}); err != nil {
				return nil, nil, err
			}
		case *pgproto3.CancelRequest:
			s.handleCancel(m)
			return nil, nil, errCancelHandled
		case *pgproto3.StartupMessage:
			sm = m
		}
	}
	c.setMaxBodyLen(cfg.MaxMessageSize)

	if sm.ProtocolVersion != pgproto3.ProtocolVersion30 {
		// Speak 3.0: tell a 3.2 client so, as PostgreSQL does.
		c.Send(&pgproto3.NegotiateProtocolVersion{NewestMinorProtocol: 0, UnrecognizedOptions: protocolOptions(sm.Parameters)})
	} else if opts := protocolOptions(sm.Parameters); len(opts) > 0 {
		c.Send(&pgproto3.NegotiateProtocolVersion{NewestMinorProtocol: 0, UnrecognizedOptions: opts})
	}
	if tooMany {
		return c, nil, Fatalf(CodeTooManyConnections, "sorry, too many clients already")
	}
	user := sm.Parameters["user"]
	if user == "" {
		return c, nil, Fatalf(CodeInvalidAuthSpec, "no PostgreSQL user name specified in startup packet")
	}
	db := sm.Parameters["database"]
	if db == "" {
		db = user
	}
	params := make(map[string]string, len(sm.Parameters))
	for k, v := range sm.Parameters {
		if k != "user" && k != "database" && !strings.HasPrefix(k, "_pq_.") {
			params[k] = v
		}
	}
	c.Params = params
	c.Database = db

	if cfg.Screen != nil {
		if e := cfg.Screen(user, db, c.RemoteAddr); e != nil {
			e.Severity = "FATAL"
			return c, nil, e
		}
	}
	if cfg.AllowLogin != nil {
		if e := cfg.AllowLogin(user, c.RemoteAddr); e != nil {
			e.Severity = "FATAL"
			return c, nil, e
		}
	}
	var u *authn.User
	if cfg.PeerAuth != nil {
		var cert *x509.Certificate
		if tc, ok := nc.(*tls.Conn); ok {
			if pc := tc.ConnectionState().PeerCertificates; len(pc) > 0 {
				cert = pc[0]
			}
		}
		var e *Error
		if u, e = cfg.PeerAuth(user, db, cert, c.RemoteAddr); e != nil {
			s.metrics.AuthFailures.WithLabelValues("postgres", "certificate").Inc()
			e.Severity = "FATAL"
			return c, nil, e
		}
	}
	if u == nil {
		users := s.gw.Users()
		var err error
		method := "password"
		if _, known := users.Lookup(user); !known && cfg.TokenLogin != nil {
			method = "token"
			u, c.expiry, err = s.tokenLogin(ctx, c, cfg, user, tlsDone)
		} else {
			u, err = s.authenticate(c, users, user, cfg.AuthMethod)
		}
		if cfg.OnAuth != nil {
			cfg.OnAuth(user, db, c.RemoteAddr, err)
		}
		if err != nil {
			s.metrics.AuthFailures.WithLabelValues("postgres", method).Inc()
			return c, nil, err
		}
	}
	c.User = u
	h, ok := s.gw.Handler(db)
	if !ok || !u.MayOpen(db) {
		// Checked after authentication so that database names cannot be
		// probed without a password.
		return c, nil, Fatalf(CodeInvalidCatalogName, "database %q does not exist", db)
	}
	release, e := s.gw.AdmitPostgres(u, db, c.RemoteAddr)
	if e != nil {
		e.Severity = "FATAL"
		return c, nil, e
	}
	c.release = release
	if _, err := rand.Read(c.key.secret[:]); err != nil {
		return c, nil, err
	}
	s.mu.Lock()
	for {
		var b [4]byte
		_, _ = rand.Read(b[:])
		pid := binary.BigEndian.Uint32(b[:]) & 0x7fffffff
		if _, taken := s.mu.conns[pid]; !taken && pid != 0 {
			c.key.pid = pid
			break
		}
	}
	s.mu.Unlock()
	c.Send(&pgproto3.AuthenticationOk{})
	return c, h, nil
}

func protocolOptions(p map[string]string) []string {
	var opts []string
	for k := range p {
		if strings.HasPrefix(k, "_pq_.") {
			opts = append(opts, k)
		}
	}
	return opts
}

func (s *Server) handleCancel(m *pgproto3.CancelRequest) {
	s.mu.Lock()
	c := s.mu.conns[m.ProcessID]
	s.mu.Unlock()
	if c == nil || len(m.SecretKey) != len(c.key.secret) || subtle.ConstantTimeCompare(m.SecretKey, c.key.secret[:]) != 1 {
		s.log.Debug("cancel request for unknown key")
		return
	}
	c.cancel()
}

// tokenLogin authenticates a user that is not a gateway user with a
// token sent as a cleartext password, over TLS only. The client is told
// only that the login failed; the returned error also says why, for the
// audit log (never the token).
func (s *Server) tokenLogin(ctx context.Context, c *Conn, cfg Config, user string, overTLS bool) (*authn.User, time.Time, error) {
	if !overTLS {
		// Refused before a password is asked for: the client never
		// sends its token in clear.
		return nil, time.Time{}, Fatalf(CodeInvalidAuthSpec, "token login requires TLS (connect with sslmode=require)")
	}
	c.Send(&pgproto3.AuthenticationCleartextPassword{})
	if err := c.Flush(); err != nil {
		return nil, time.Time{}, err
	}
	if err := c.be.SetAuthType(pgproto3.AuthTypeCleartextPassword); err != nil {
		return nil, time.Time{}, err
	}
	msg, err := c.be.Receive()
	if err != nil {
		return nil, time.Time{}, err
	}
	pm, ok := msg.(*pgproto3.PasswordMessage)
	if !ok {
		return nil, time.Time{}, Fatalf(CodeProtocolViolation, "expected password response, got %T", msg)
	}
	u, exp, err := cfg.TokenLogin(ctx, user, pm.Password)
	switch {
	case errors.Is(err, authn.ErrOIDCUnavailable):
		return nil, time.Time{}, fmt.Errorf("%w: %v", Fatalf(CodeCannotConnectNow, "the identity provider cannot be reached to check the token; retry shortly"), err)
	case err != nil:
		return nil, time.Time{}, fmt.Errorf("%w: %v", Fatalf(CodeInvalidPassword, "token authentication failed for user %q", user), err)
	case !exp.After(time.Now()):
		return nil, time.Time{}, Fatalf(CodeInvalidPassword, "token authentication failed for user %q", user)
	}
	return u, exp, nil
}

// authenticate runs the password exchange. Failures of every kind (unknown
// user, wrong password, malformed exchange) look the same to the client.
func (s *Server) authenticate(c *Conn, users *authn.Store, user, method string) (*authn.User, error) {
	failed := Fatalf(CodeInvalidPassword, "password authentication failed for user %q", user)
	u, known := users.Lookup(user)
	if method == "md5" && (!known || u.HasMD5()) {
		var salt [4]byte
		_, _ = rand.Read(salt[:])
		c.Send(&pgproto3.AuthenticationMD5Password{Salt: salt})
		if err := c.Flush(); err != nil {
			return nil, err
		}
		if err := c.be.SetAuthType(pgproto3.AuthTypeMD5Password); err != nil {
			return nil, err
		}
		msg, err := c.be.Receive()
		if err != nil {
			return nil, err
		}
		pm, ok := msg.(*pgproto3.PasswordMessage)
		if !ok {
			return nil, Fatalf(CodeProtocolViolation, "expected password response, got %T", msg)
		}
		if !known || !authn.CheckMD5(u.MD5(), salt, pm.Password) {
			return nil, failed
		}
		return u, nil
	}

	conv, err := users.NewSCRAM(user)
	if err != nil {
		return nil, err
	}
	c.Send(&pgproto3.AuthenticationSASL{AuthMechanisms: []string{"SCRAM-SHA-256"}})
	if err := c.Flush(); err != nil {
		return nil, err
	}
	if err := c.be.SetAuthType(pgproto3.AuthTypeSASL); err != nil {
		return nil, err
	}
	msg, err := c.be.Receive()
	if err != nil {
		return nil, err
	}
	init, ok := msg.(*pgproto3.SASLInitialResponse)
	if !ok {
		return nil, Fatalf(CodeProtocolViolation, "expected SASL response, got %T", msg)
	}
	if init.AuthMechanism != "SCRAM-SHA-256" {
		return nil, Fatalf(CodeProtocolViolation, "unsupported SASL mechanism %q", init.AuthMechanism)
	}
	first, err := conv.Step(string(init.Data))
	if err != nil {
		return nil, failed
	}
	c.Send(&pgproto3.AuthenticationSASLContinue{Data: []byte(first)})
	if err := c.Flush(); err != nil {
		return nil, err
	}
	if err := c.be.SetAuthType(pgproto3.AuthTypeSASLContinue); err != nil {
		return nil, err
	}
	msg, err = c.be.Receive()
	if err != nil {
		return nil, err
	}
	resp, ok := msg.(*pgproto3.SASLResponse)
	if !ok {
		return nil, Fatalf(CodeProtocolViolation, "expected SASL response, got %T", msg)
	}
	final, err := conv.Step(string(resp.Data))
	if err != nil || !conv.Valid() || !known {
		return nil, failed
	}
	c.Send(&pgproto3.AuthenticationSASLFinal{Data: []byte(final)})
	return u, nil
}
