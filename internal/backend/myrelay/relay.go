package myrelay

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-mysql-org/go-mysql/client"

	"github.com/floe-db/floe/internal/analysis"
	"github.com/floe-db/floe/internal/backend"
	"github.com/floe-db/floe/internal/backend/cluster"
	"github.com/floe-db/floe/internal/config"
	"github.com/floe-db/floe/internal/observe"
	"github.com/floe-db/floe/internal/policy"
	"github.com/floe-db/floe/internal/pool"
	"github.com/floe-db/floe/internal/route"
	"github.com/floe-db/floe/internal/stmt"
	"github.com/floe-db/floe/internal/wire/mysqlwire"
)

// Options are front-end settings the relay enforces.
type Options struct {
	// LocalInfile lets LOAD DATA LOCAL INFILE through (the server then
	// reads a file from the client).
	LocalInfile bool
	// Policy is where sessions find the policy in force (nil: none).
	Policy policy.Source
	// TLSGroups are the key-exchange groups backend connections offer
	// when the DSN asks for TLS (nil: crypto/tls's default, post-quantum
	// first).
	TLSGroups []tls.CurveID
	// Leases gives the sources of the logins leased from Vault
	// (identities[].vault); nil: such logins are refused. Read by New
	// only.
	Leases cluster.LeaseFor
}

// Relay serves one logical MySQL database: it owns the pools of
// connections to each of its servers (the primary and its replicas) and
// relays client sessions onto them.
type Relay struct {
	name    string
	servers []*server // the configured primary first, then the replicas
	log     *slog.Logger
	metrics *observe.Metrics
	opts    atomic.Pointer[Options]
	newPool func(*server, config.Pool, int) *pool.Pool[*backendConn]
	// logins are the backend logins sessions run as (login 0 is the
	// DSN's); each server has pools per login.
	logins *cluster.Logins
	// cluster knows which server takes the writes and which may take a
	// read, from the health checks and the routing settings.
	cluster *cluster.Cluster
	guards  *cluster.Guards
	// pipe is the statement pipeline every session's statements pass
	// (decision, limits, statistics, audit, metrics).
	pipe *stmt.Pipeline

	// sessions counts the client sessions (see Retire); closed is set
	// by Close.
	sessions cluster.Sessions
	closed   atomic.Bool

	mu struct {
		sync.Mutex
		cfg config.Pool
	}
}

// server is one MySQL server of the database.
type server struct {
	index int
	name  string // primary, replica1, …
	// at is where and as whom it is reached; swapped when a password
	// rotates.
	at atomic.Pointer[serverAt]
	// pools has two pools per backend login (slot login*2 + 1 serves
	// clients that asked for CLIENT_FOUND_ROWS, a connection-level flag
	// that changes affected-row counts).
	pools []atomic.Pointer[pool.Pool[*backendConn]]
	// stats are the last counts of each pool, summed for the metrics.
	stats *pool.Tally
}

// slot is the index in pools of a login's pool.
func slot(login int, foundRows bool) int {
	if foundRows {
		return login*2 + 1
	}
	return login * 2
}

// total adds up the counts of every pool of the server.
func (s *server) total() pool.Stats {
	var t pool.Stats
	for i := range s.pools {
		t = t.Add(s.pools[i].Load().Stats())
	}
	return t
}

// New creates the relay for db. Nothing is dialled until a client comes or
// MinIdle asks for it.
func New(db config.Database, opts Options, log *slog.Logger, m *observe.Metrics) (*Relay, error) {
	r := &Relay{name: db.Name, log: log.With("database", db.Name), metrics: m,
		pipe: stmt.New(stmt.Options{Database: db.Name, Dialect: analysis.MySQL, Metrics: m, Policy: opts.Policy})}
	r.opts.Store(&opts)
	r.mu.cfg = db.Pool
	r.logins = cluster.NewLogins(db, opts.Leases)
	for i, raw := range configDSNs(db) {
		name := "primary"
		if i > 0 {
			name = fmt.Sprintf("replica%d", i)
		}
		d, err := parseDSN(raw)
		if err != nil {
			return nil, fmt.Errorf("database %s: %s: %w", db.Name, name, err)
		}
		srv := &server{index: i, name: name, pools: make([]atomic.Pointer[pool.Pool[*backendConn]], 2*r.logins.Len()),
			stats: pool.NewTally(2 * r.logins.Len())}
		srv.at.Store(&serverAt{raw: raw, dsn: d})
		r.servers = append(r.servers, srv)
	}
	wait := m.PoolWaitSeconds.WithLabelValues(db.Name)
	waits := m.PoolWaits.WithLabelValues(db.Name)
	timeouts := m.PoolAcquireTimeouts.WithLabelValues(db.Name)
	r.newPool = func(srv *server, pc config.Pool, idx int) *pool.Pool[*backendConn] {
		idle := m.PoolConns.WithLabelValues(db.Name, srv.name, "idle")
		inUse := m.PoolConns.WithLabelValues(db.Name, srv.name, "in_use")
		login, foundRows := idx/2, idx%2 == 1
		minIdle := pc.MinIdle
		if foundRows {
			minIdle = 0
		}
		stats := srv.stats
		return pool.New(pool.Config[*backendConn]{
			Size: pc.Size, MinIdle: minIdle, IdleTimeout: pc.IdleTimeout,
			MaxLifetime: pc.MaxLifetime, AcquireTimeout: pc.AcquireTimeout,
			HealthCheckAfter: pc.HealthCheckAfter,
			Dial: func(ctx context.Context) (*backendConn, error) {
				return pool.Dial(ctx, r.guards.Guard(srv.index), func(ctx context.Context) (*backendConn, error) { return r.dial(ctx, srv, login, foundRows) })
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
					stats.Set(idx, s)
					sum := stats.Sum()
					idle.Set(float64(sum.Idle))
					inUse.Set(float64(sum.InUse))
				},
			},
		})
	}
	names := make([]string, len(r.servers))
	for i, srv := range r.servers {
		names[i] = srv.name
	}
	r.guards = cluster.NewGuards(db.Name, names, db.Pool, transientConnectErr, m, r.log)
	for i, srv := range r.servers {
		pc := db.Pool
		if i > 0 {
			pc.MinIdle = 0 // replicas serve writes only after a failover
		}
		for k := range srv.pools {
			srv.pools[k].Store(r.newPool(srv, pc, k))
		}
	}
	r.cluster = cluster.New(names, r.log, func(i int) cluster.Load {
		srv := r.servers[i]
		return cluster.Load{Outstanding: srv.total().InUse, Refusing: r.guards.Guard(i).Open()}
	})
	r.logins.Watch(r.rotateLogin)
	return r, nil
}

// rotateLogin gives login new pools on every server (with and without
// CLIENT_FOUND_ROWS), whose connections log in with the login's new
// credentials; the old pools close their idle connections now and the
// busy ones as sessions give them back. The result reports when every
// old connection is closed.
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
		for _, k := range []int{2 * login, 2*login + 1} {
			p := srv.pools[k].Swap(r.newPool(srv, npc, k))
			p.Close()
			old = append(old, p)
		}
	}
	r.log.Info("backend login rotated; its connections drain", "login", r.logins.Name(login))
	return pool.Drained(old)
}

// configDSNs lists db's DSNs, primary first.
func configDSNs(db config.Database) []string {
	out := []string{db.Primary}
	for _, rep := range db.Replicas {
		out = append(out, rep.DSN)
	}
	return out
}

// SetOptions replaces the front-end settings (reload); sessions opened
// later use its policy source.
func (r *Relay) SetOptions(o Options) {
	r.opts.Store(&o)
	r.pipe.SetPolicy(o.Policy)
}

func (r *Relay) poolConfig() config.Pool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.mu.cfg
}

// SameBackend reports whether db is served by this relay as it is.
func (r *Relay) SameBackend(db config.Database) bool {
	return r.SameDSN(db) && db.Pool == r.poolConfig()
}

// SameDSN reports whether db points at this relay's servers.
func (r *Relay) SameDSN(db config.Database) bool {
	return db.Kind == config.KindMySQL && slices.Equal(configDSNs(db), r.dsns()) && r.logins.Same(db, true)
}

func (r *Relay) dsns() []string {
	out := make([]string, len(r.servers))
	for i, s := range r.servers {
		out[i] = s.at.Load().raw
	}
	return out
}

// serverAt is a server's DSN, as written and parsed.
type serverAt struct {
	raw string
	dsn dsn
}

// SameServers reports whether db names this relay's servers, with the
// same users and databases, and at most other passwords.
func (r *Relay) SameServers(db config.Database) bool {
	return db.Kind == config.KindMySQL && config.SameButPasswords(r.dsns(), configDSNs(db)) && r.logins.Same(db, false)
}

// Rekey takes db's DSNs, which differ from the running ones in passwords
// only, and its pool settings: new backend connections log in with the
// new passwords, old connections drain, client sessions stay.
func (r *Relay) Rekey(db config.Database) error {
	dsns := configDSNs(db)
	ats := make([]*serverAt, len(dsns))
	for i, raw := range dsns {
		d, err := parseDSN(raw)
		if err != nil {
			return fmt.Errorf("database %s: %s: %w", db.Name, r.servers[i].name, err)
		}
		ats[i] = &serverAt{raw: raw, dsn: d}
	}
	for i, srv := range r.servers {
		srv.at.Store(ats[i])
	}
	r.logins.Rekey(db)
	r.log.Info("backend credentials changed; new connections use them, old ones drain")
	r.Reconfigure(db.Pool)
	return nil
}

// Reconfigure applies new pool settings for the same servers: new pools
// serve new acquisitions, the old ones drain as sessions give back their
// connections.
func (r *Relay) Reconfigure(pc config.Pool) {
	r.mu.Lock()
	old := r.mu.cfg
	r.mu.cfg = pc
	r.mu.Unlock()
	r.guards.Reconfigure(old, pc)
	for i, srv := range r.servers {
		npc := pc
		if i > 0 {
			npc.MinIdle = 0
		}
		for k := range srv.pools {
			srv.pools[k].Swap(r.newPool(srv, npc, k)).Close()
		}
	}
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
	for _, srv := range r.servers {
		for i := range srv.pools {
			srv.pools[i].Load().Close()
		}
	}
}

// Stats returns the counters of the pools of the server writes go to.
func (r *Relay) Stats() pool.Stats { return r.servers[r.cluster.Writer()].total() }

// SetTopology sets where the relay finds its servers as the health
// checks last saw them (primary, replicas). Writes go to the healthy
// primary; while there is none, statements that need a new backend
// connection fail at once (1429) instead of waiting on a dead server; a
// replica that is promoted (read_only turned off) takes the writes.
func (r *Relay) SetTopology(f func() []route.Backend) { r.cluster.SetTopology(f) }

// SetRouting sets the database's routing settings (nil or Split false:
// everything on the primary).
func (r *Relay) SetRouting(p *route.Policy) { r.cluster.SetRouting(p) }

// ServerWentDown closes the idle connections to a server the health
// checks found down.
func (r *Relay) ServerWentDown(name string) {
	for _, srv := range r.servers {
		if srv.name == name {
			for i := range srv.pools {
				srv.pools[i].Load().CloseIdle()
			}
		}
	}
}

// acquire gets a connection to the server writes go to, translating
// errors to MySQL errors.
func (r *Relay) acquire(ctx context.Context, login int, foundRows bool) (*pool.Pool[*backendConn], *pool.Conn[*backendConn], error) {
	i, err := r.cluster.WritableWait(ctx)
	switch {
	case errors.Is(err, route.ErrNoPrimary):
		return nil, nil, mysqlwire.Errorf(mysqlwire.ErConnectToForeign, "the primary of database '%s' is down (failing health checks) and no replica has taken over; retry shortly", r.name)
	case err != nil:
		return nil, nil, err
	}
	return r.acquireOn(ctx, r.servers[i], login, foundRows)
}

// acquireOn gets a connection to srv.
func (r *Relay) acquireOn(ctx context.Context, srv *server, login int, foundRows bool) (*pool.Pool[*backendConn], *pool.Conn[*backendConn], error) {
	p := srv.pools[slot(login, foundRows)].Load()
	bc, err := p.Acquire(ctx)
	cfg := r.poolConfig()
	switch {
	case err == nil:
		return p, bc, nil
	case errors.Is(err, pool.ErrAcquireTimeout):
		return nil, nil, mysqlwire.Errorf(mysqlwire.ErConCount,
			"no backend connection for database '%s' became free within %s (pool size %d)", r.name, cfg.AcquireTimeout, cfg.Size)
	case errors.Is(err, pool.ErrClosed):
		return nil, nil, mysqlwire.Errorf(mysqlwire.ErServerShutdown, "database '%s' is shutting down", r.name)
	case errors.Is(err, pool.ErrCircuitOpen):
		return nil, nil, mysqlwire.Errorf(mysqlwire.ErConnectToForeign, "the backend of database '%s' is unavailable: connects to it failed repeatedly and are paused (circuit breaker open); retry shortly", r.name)
	case errors.Is(err, cluster.ErrNoLease):
		return nil, nil, mysqlwire.Errorf(mysqlwire.ErConnectToForeign,
			"the backend login of database '%s' is leased from Vault and its lease has expired; retry once Vault answers", r.name)
	case ctx.Err() != nil:
		return nil, nil, ctx.Err()
	default:
		// The reason is logged; backend user names and hosts stay private.
		return nil, nil, mysqlwire.Errorf(mysqlwire.ErConnectToForeign, "could not connect to the backend of database '%s'", r.name)
	}
}

// kill runs KILL [QUERY] thread on a connection of its own to srv.
func (r *Relay) kill(srv *server, thread uint32, queryOnly bool) {
	if srv == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	d := srv.at.Load().dsn
	cl, err := client.ConnectWithContext(ctx, d.addr, d.user, d.password, d.db, 10*time.Second, func(c *client.Conn) error {
		if d.tls != nil {
			c.SetTLSConfig(backend.WithGroups(d.tls, r.opts.Load().TLSGroups))
		}
		return nil
	})
	if err != nil {
		r.log.Warn("could not connect to cancel a query", "backend", srv.name, "error", describeErr(err))
		return
	}
	defer cl.Close()
	q := "KILL QUERY "
	if !queryOnly {
		q = "KILL CONNECTION "
	}
	if _, err := cl.Execute(q + strconv.FormatUint(uint64(thread), 10)); err != nil {
		r.log.Debug("kill failed", "thread", thread, "error", describeErr(err))
	}
}

// BreakerState is the circuit breaker state of the named server (closed,
// open, half-open; "" without one).
func (r *Relay) BreakerState(name string) string { return r.guards.State(name) }

// ServerCameUp closes the circuit breaker of a server the health checks
// found up again.
func (r *Relay) ServerCameUp(name string) { r.guards.ServerCameUp(name, r.poolConfig()) }

// PoolStats returns the pool counters of every server (its pools
// summed).
func (r *Relay) PoolStats() []pool.ServerStats {
	out := make([]pool.ServerStats, len(r.servers))
	for i, srv := range r.servers {
		out[i] = pool.ServerStats{Server: srv.name, Stats: srv.total()}
	}
	return out
}
