package pgrelay

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgproto3"

	"github.com/floe-db/floe/internal/analysis"
	"github.com/floe-db/floe/internal/backend"
	"github.com/floe-db/floe/internal/backend/cluster"
	"github.com/floe-db/floe/internal/config"
	"github.com/floe-db/floe/internal/observe"
	"github.com/floe-db/floe/internal/policy"
	"github.com/floe-db/floe/internal/pool"
	"github.com/floe-db/floe/internal/route"
	"github.com/floe-db/floe/internal/sqlerr"
	"github.com/floe-db/floe/internal/stmt"
	"github.com/floe-db/floe/internal/wire/pgwire"
)

// Relay serves one logical PostgreSQL database: it owns a pool of
// connections to each of its servers and relays client sessions onto the
// one that is the primary.
type Relay struct {
	name    string
	servers []*server // the configured primary first, then the replicas
	cfg     config.Pool
	newPool func(*server, int, config.Pool) *pool.Pool[*backendConn]
	// logins are the backend logins sessions run as (login 0 is the
	// DSN's); each server has a pool per login.
	logins  *cluster.Logins
	log     *slog.Logger
	metrics *observe.Metrics
	// pipe is the statement pipeline every session's statements pass
	// (decision, limits, statistics, audit, metrics; internal/stmt).
	pipe    *stmt.Pipeline
	catalog catalog // table and column names for masking
	// cluster knows which server takes the writes and which may take a
	// read, from the health checks and the routing settings.
	cluster *cluster.Cluster
	guards  *cluster.Guards

	// sessions counts the client sessions (see Retire); closed is set
	// by Close.
	sessions cluster.Sessions
	closed   atomic.Bool
	// tlsGroups are the key-exchange groups backend connections offer
	// over TLS (Apply; nil: crypto/tls's default).
	tlsGroups atomic.Pointer[[]tls.CurveID]

	mu struct {
		sync.Mutex
		serverParams map[string]string // from the first backend connection
	}
}

// SetPolicy sets where sessions that start from now on find the policy
// in force.
func (r *Relay) SetPolicy(src policy.Source) { r.pipe.SetPolicy(src) }

// server is one PostgreSQL server of the database and its pool.
type server struct {
	index   int
	name    string // primary, replica1, …
	dsn     string
	connCfg atomic.Pointer[pgconn.Config] // swapped when its password rotates
	// pools holds a pool per backend login (by login index): connections
	// never pass from one login to another.
	pools []atomic.Pointer[pool.Pool[*backendConn]]
	// last are the last counts each pool reported, summed for the metrics.
	last *pool.Tally
}

// stats adds up the pools of every login.
func (s *server) stats() pool.Stats {
	var t pool.Stats
	for i := range s.pools {
		t = t.Add(s.pools[i].Load().Stats())
	}
	return t
}

// Options are what a relay needs beside its database's settings.
type Options struct {
	// Leases gives the sources of the logins leased from Vault
	// (identities[].vault); nil: such logins are refused.
	Leases cluster.LeaseFor
}

// New creates the relay for db. Nothing is dialled until a client comes,
// or MinIdle asks for it.
func New(db config.Database, opts Options, log *slog.Logger, m *observe.Metrics) (*Relay, error) {
	r := &Relay{name: db.Name, cfg: db.Pool, log: log.With("database", db.Name), metrics: m,
		pipe: stmt.New(stmt.Options{Database: db.Name, Dialect: analysis.Postgres, Metrics: m})}
	r.logins = cluster.NewLogins(db, opts.Leases)
	dsns := []string{db.Primary}
	for _, rep := range db.Replicas {
		dsns = append(dsns, rep.DSN)
	}
	for i, dsn := range dsns {
		name := "primary"
		if i > 0 {
			name = fmt.Sprintf("replica%d", i)
		}
		cc, err := pgconn.ParseConfig(dsn)
		if err != nil {
			return nil, fmt.Errorf("database %s: %s: %s", db.Name, name, redactParseErr(err))
		}
		cc.OnNotice = nil
		cc.OnNotification = nil
		srv := &server{index: i, name: name, dsn: dsn, pools: make([]atomic.Pointer[pool.Pool[*backendConn]], r.logins.Len()),
			last: pool.NewTally(r.logins.Len())}
		srv.connCfg.Store(cc)
		r.servers = append(r.servers, srv)
	}
	r.catalog.relay = r
	names := make([]string, len(r.servers))
	for i, srv := range r.servers {
		names[i] = srv.name
	}
	r.guards = cluster.NewGuards(db.Name, names, db.Pool, transientConnectErr, m, r.log)
	r.cluster = cluster.New(names, r.log, func(i int) cluster.Load {
		return cluster.Load{Outstanding: r.servers[i].stats().InUse, Refusing: r.guards.Guard(i).Open()}
	})
	wait := m.PoolWaitSeconds.WithLabelValues(db.Name)
	waits := m.PoolWaits.WithLabelValues(db.Name)
	timeouts := m.PoolAcquireTimeouts.WithLabelValues(db.Name)
	r.newPool = func(srv *server, login int, pc config.Pool) *pool.Pool[*backendConn] {
		idle := m.PoolConns.WithLabelValues(db.Name, srv.name, "idle")
		inUse := m.PoolConns.WithLabelValues(db.Name, srv.name, "in_use")
		return pool.New(pool.Config[*backendConn]{
			Size: pc.Size, MinIdle: pc.MinIdle, IdleTimeout: pc.IdleTimeout,
			MaxLifetime: pc.MaxLifetime, AcquireTimeout: pc.AcquireTimeout,
			HealthCheckAfter: pc.HealthCheckAfter,
			Dial: func(ctx context.Context) (*backendConn, error) {
				return pool.Dial(ctx, r.guards.Guard(srv.index), func(ctx context.Context) (*backendConn, error) { return r.dial(ctx, srv, login) })
			},
			Ping:       func(ctx context.Context, b *backendConn) error { return b.ping(ctx) },
			Alive:      func(b *backendConn) bool { return b.alive() },
			AliveAfter: pool.AliveAfter,
			Close:      func(b *backendConn) { b.close() },
			Observe: pool.Observer{
				Waited:   func(d time.Duration) { waits.Inc(); wait.Observe(d.Seconds()) },
				TimedOut: timeouts.Inc,
				Closed:   func(reason string) { m.PoolConnsClosed.WithLabelValues(db.Name, reason).Inc() },
				Changed: func(s pool.Stats) {
					srv.last.Set(login, s)
					sum := srv.last.Sum()
					idle.Set(float64(sum.Idle))
					inUse.Set(float64(sum.InUse))
				},
			},
		})
	}
	for i, srv := range r.servers {
		pc := db.Pool
		if i > 0 {
			pc.MinIdle = 0 // replicas serve writes only after a failover
		}
		for l := range srv.pools {
			srv.pools[l].Store(r.newPool(srv, l, pc))
		}
	}
	r.logins.Watch(r.rotateLogin)
	return r, nil
}

// rotateLogin gives login a new pool on every server, whose connections
// log in with the login's new credentials; the old pools close their
// idle connections now and the busy ones as sessions give them back.
// The result reports when every old connection is closed.
func (r *Relay) rotateLogin(login int) func() bool {
	if r.closed.Load() {
		return func() bool { return true }
	}
	pc := r.poolConfig()
	var old []*pool.Pool[*backendConn]
	for i, srv := range r.servers {
		npc := pc
		if i > 0 {
			npc.MinIdle = 0
		}
		p := srv.pools[login].Swap(r.newPool(srv, login, npc))
		p.Close()
		old = append(old, p)
	}
	r.log.Info("backend login rotated; its connections drain", "login", r.logins.Name(login))
	return pool.Drained(old)
}

// transientConnectErr reports whether a failed connect may succeed if
// tried again soon: the server refused or dropped the connection, did not
// answer in time, is starting up or shutting down, or has no connection
// slot free. Authentication and unknown-database errors are not.
func transientConnectErr(err error) bool {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code == sqlerr.CannotConnectNow || pe.Code == sqlerr.TooManyConnections || pe.Code == sqlerr.InsufficientResources || strings.HasPrefix(pe.Code, "08")
	}
	if pgconn.Timeout(err) || errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return true
	}
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// dsns lists the servers' DSNs, primary first.
func (r *Relay) dsns() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]string, len(r.servers))
	for i, s := range r.servers {
		out[i] = s.dsn
	}
	return out
}

// SameServers reports whether db names this relay's servers, with the
// same users, databases and options, and at most other passwords.
func (r *Relay) SameServers(db config.Database) bool {
	return db.Kind == config.KindPostgres && config.SameButPasswords(r.dsns(), configDSNs(db)) && r.logins.Same(db, false)
}

// Rekey takes db's DSNs, which differ from the running ones in passwords
// only (a rotated secret), and its pool settings: new backend
// connections log in with the new passwords; connections made with the
// old ones drain as sessions give them back. Client sessions stay.
func (r *Relay) Rekey(db config.Database) error {
	dsns := configDSNs(db)
	cfgs := make([]*pgconn.Config, len(dsns))
	for i, dsn := range dsns {
		cc, err := pgconn.ParseConfig(dsn)
		if err != nil {
			return fmt.Errorf("database %s: %s: %s", db.Name, r.servers[i].name, redactParseErr(err))
		}
		cc.OnNotice, cc.OnNotification = nil, nil
		cfgs[i] = cc
	}
	r.logins.Rekey(db)
	r.mu.Lock()
	for i, srv := range r.servers {
		srv.dsn = dsns[i]
		srv.connCfg.Store(cfgs[i])
	}
	r.mu.Unlock()
	r.log.Info("backend credentials changed; new connections use them, old ones drain")
	r.Reconfigure(db.Pool)
	return nil
}

// configDSNs lists db's DSNs, primary first.
func configDSNs(db config.Database) []string {
	out := []string{db.Primary}
	for _, rep := range db.Replicas {
		out = append(out, rep.DSN)
	}
	return out
}

// redactParseErr keeps pgconn's reason but drops the DSN it quotes.
func redactParseErr(err error) string {
	var pe *pgconn.ParseConfigError
	if errors.As(err, &pe) && pe.Unwrap() != nil {
		return "invalid connection string: " + pe.Unwrap().Error()
	}
	return "invalid connection string"
}

// SameBackend reports whether db is served by this relay as it is, so
// that a reload can keep it and its pool.
func (r *Relay) SameBackend(db config.Database) bool {
	return r.SameDSN(db) && db.Pool == r.poolConfig()
}

func (r *Relay) poolConfig() config.Pool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.cfg
}

// Retire closes the relay once its client sessions have ended (at once
// if none is left): a reload that replaces the relay lets the sessions
// that began on it go on with its servers and logins.
func (r *Relay) Retire() { r.sessions.Retire(r.Close) }

// Close closes the pools; connections in use close as sessions end.
// Closing twice is harmless.
func (r *Relay) Close() {
	if !r.closed.CompareAndSwap(false, true) {
		return
	}
	r.logins.Unwatch()
	for _, s := range r.servers {
		for l := range s.pools {
			s.pools[l].Load().Close()
		}
	}
	r.catalog.close()
}

// Stats returns the counters of the pools writes go to.
func (r *Relay) Stats() pool.Stats { return r.servers[r.cluster.Writer()].stats() }

func (r *Relay) dial(ctx context.Context, srv *server, login int) (*backendConn, error) {
	cc := r.connConfig(srv)
	if login > 0 {
		user, password, err := r.logins.Creds(login)
		if err != nil {
			r.log.Warn("backend connection refused", "backend", srv.name, "login", r.logins.Name(login), "error", err.Error())
			return nil, err
		}
		cc = cc.Copy()
		cc.User, cc.Password = user, password
	}
	pc, err := pgconn.ConnectConfig(ctx, cc)
	if err != nil {
		r.log.Warn("backend connection failed", "backend", srv.name, "login", r.logins.Name(login), "error", describeConnectErr(err))
		return nil, &backendError{err: err}
	}
	hj, err := pc.Hijack()
	if err != nil {
		_ = pc.Close(ctx)
		return nil, &backendError{err: err}
	}
	b := &backendConn{
		conn:     hj.Conn,
		fe:       pgproto3.NewFrontend(hj.Conn, hj.Conn),
		pid:      hj.PID,
		secret:   hj.SecretKey,
		reported: map[string]string{},
		applied:  map[string]string{},
		prepared: map[string]bool{},
		names:    map[string]string{},
		cancelTo: cancelAddress(hj.Config),
		addr:     hj.Conn.RemoteAddr().String(),
	}
	for k, v := range hj.ParameterStatuses {
		b.reported[strings.ToLower(k)] = v
		b.names[strings.ToLower(k)] = k
	}
	r.mu.Lock()
	if r.mu.serverParams == nil {
		r.mu.serverParams = hj.ParameterStatuses
	}
	r.mu.Unlock()
	return b, nil
}

func (r *Relay) serverParams() map[string]string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.mu.serverParams
}

// describeConnectErr gives the reason a backend dial failed without the
// connection string (pgconn quotes user, host and database).
func describeConnectErr(err error) string {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code + ": " + pe.Message
	}
	var ne net.Error
	if errors.As(err, &ne) {
		return ne.Error()
	}
	var ce *pgconn.ConnectError
	if errors.As(err, &ce) && ce.Unwrap() != nil {
		return ce.Unwrap().Error()
	}
	return err.Error()
}

func cancelAddress(c *pgconn.Config) [2]string {
	if strings.HasPrefix(c.Host, "/") {
		return [2]string{"unix", c.Host + "/.s.PGSQL." + strconv.Itoa(int(c.Port))}
	}
	return [2]string{"tcp", net.JoinHostPort(c.Host, strconv.Itoa(int(c.Port)))}
}

// backendError marks errors from talking to the backend server.
type backendError struct{ err error }

func (e *backendError) Error() string { return "backend: " + e.err.Error() }
func (e *backendError) Unwrap() error { return e.err }

// SetTopology sets where the relay finds its servers as the health
// checks last saw them (in server order: primary, replicas). Writes go to
// the healthy primary; while there is none, statements that need a new
// backend connection fail at once with 08006 instead of waiting on a
// dead server; a replica that is promoted takes the writes.
func (r *Relay) SetTopology(f func() []route.Backend) { r.cluster.SetTopology(f) }

// ServerWentDown closes the idle connections to a server the health
// checks found down.
func (r *Relay) ServerWentDown(name string) {
	for _, s := range r.servers {
		if s.name == name {
			for l := range s.pools {
				s.pools[l].Load().CloseIdle()
			}
		}
	}
}

// writerConfig is the connection config of the server writes go to.
func (r *Relay) writerConfig() *pgconn.Config { return r.connConfig(r.servers[r.cluster.Writer()]) }

// connConfig is srv's connection config with the TLS groups in force:
// the DSN's sslmode decides whether TLS is used (and with which
// fallbacks), tls.groups which key exchanges each TLS attempt offers.
func (r *Relay) connConfig(srv *server) *pgconn.Config {
	cc := srv.connCfg.Load()
	g := r.tlsGroups.Load()
	if g == nil || *g == nil {
		return cc
	}
	cc = cc.Copy()
	cc.TLSConfig = backend.WithGroups(cc.TLSConfig, *g)
	for _, f := range cc.Fallbacks {
		f.TLSConfig = backend.WithGroups(f.TLSConfig, *g)
	}
	return cc
}

// writableWait returns the server writes go to, waiting up to
// routing.failover_wait for a primary while there is none.
func (r *Relay) writableWait(ctx context.Context) (*server, error) {
	i, err := r.cluster.WritableWait(ctx)
	switch {
	case err == nil:
		return r.servers[i], nil
	case errors.Is(err, route.ErrNoPrimary):
		return nil, pgwire.Errorf(pgwire.CodeConnectionFailure,
			"the primary of database %q is down (failing health checks) and no replica has taken over; retry shortly", r.name)
	}
	return nil, err
}

// acquire gets a backend connection, translating pool errors to SQLSTATEs.
func (r *Relay) acquire(ctx context.Context, login int) (*pool.Pool[*backendConn], *pool.Conn[*backendConn], error) {
	srv, err := r.writableWait(ctx)
	if err != nil {
		return nil, nil, err
	}
	p := srv.pools[login].Load()
	bc, err := p.Acquire(ctx)
	cfg := r.poolConfig()
	switch {
	case err == nil:
		return p, bc, nil
	case errors.Is(err, pool.ErrAcquireTimeout):
		return nil, nil, pgwire.Errorf(pgwire.CodeTooManyConnections,
			"no backend connection for database %q became free within %s (pool size %d)", r.name, cfg.AcquireTimeout, cfg.Size)
	case errors.Is(err, pool.ErrClosed):
		return nil, nil, pgwire.Errorf(pgwire.CodeCannotConnectNow, "database %q is shutting down", r.name)
	case errors.Is(err, pool.ErrCircuitOpen):
		return nil, nil, pgwire.Errorf(pgwire.CodeConnectionFailure,
			"the backend of database %q is unavailable: connects to it failed repeatedly and are paused (circuit breaker open); retry shortly", r.name)
	case errors.Is(err, cluster.ErrNoLease):
		return nil, nil, pgwire.Errorf(pgwire.CodeConnectionFailure,
			"the backend login of database %q is leased from Vault and its lease has expired; retry once Vault answers", r.name)
	case ctx.Err() != nil:
		return nil, nil, ctx.Err()
	default:
		// The reason is logged; backend user names and hosts stay private.
		return nil, nil, pgwire.Errorf(pgwire.CodeConnectionFailure, "could not connect to the backend of database %q", r.name)
	}
}

// Reconfigure applies new pool settings for the same backend: a new pool
// serves new acquisitions, the old one drains as sessions give back their
// connections. Clients stay connected.
func (r *Relay) Reconfigure(pc config.Pool) {
	r.mu.Lock()
	old := r.cfg
	r.cfg = pc
	r.mu.Unlock()
	r.guards.Reconfigure(old, pc)
	for i, srv := range r.servers {
		npc := pc
		if i > 0 {
			npc.MinIdle = 0
		}
		for l := range srv.pools {
			srv.pools[l].Swap(r.newPool(srv, l, npc)).Close()
		}
	}
}

// SameDSN reports whether db points at this relay's backend, with the
// same backend logins.
func (r *Relay) SameDSN(db config.Database) bool {
	return db.Kind == config.KindPostgres && slices.Equal(configDSNs(db), r.dsns()) && r.logins.Same(db, true)
}

// BreakerState is the circuit breaker state of the named server (closed,
// open, half-open; "" without one).
func (r *Relay) BreakerState(name string) string { return r.guards.State(name) }

// ServerCameUp closes the circuit breaker of a server the health checks
// found up again.
func (r *Relay) ServerCameUp(name string) { r.guards.ServerCameUp(name, r.poolConfig()) }

// PoolStats returns the pool counters of every server.
func (r *Relay) PoolStats() []pool.ServerStats {
	out := make([]pool.ServerStats, len(r.servers))
	for i, srv := range r.servers {
		out[i] = pool.ServerStats{Server: srv.name, Stats: srv.stats()}
	}
	return out
}

// CheckDSN reports what keeps a relay from using dsn, as opening the
// relay would find it, without quoting the DSN (`floe config check`).
func CheckDSN(dsn string) error {
	if _, err := pgconn.ParseConfig(dsn); err != nil {
		return errors.New(redactParseErr(err))
	}
	return nil
}
