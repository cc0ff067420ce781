package myrelay

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-mysql-org/go-mysql/client"

	"github.com/floe-db/floe/internal/config"
	"github.com/floe-db/floe/internal/observe"
	"github.com/floe-db/floe/internal/policy"
	"github.com/floe-db/floe/internal/pool"
	"github.com/floe-db/floe/internal/wire/mysqlwire"
)

// Options are front-end settings the relay enforces.
type Options struct {
	// LocalInfile lets LOAD DATA LOCAL INFILE through (the server then
	// reads a file from the client).
	LocalInfile bool
	// Policy is where sessions find the policy in force (nil: none).
	Policy policy.Source
}

// Relay serves one logical MySQL database: it owns the pools of
// connections to the server and relays client sessions onto them.
type Relay struct {
	name    string
	rawDSN  string
	dsn     dsn
	log     *slog.Logger
	metrics *observe.Metrics
	opts    atomic.Pointer[Options]

	// pools[1] serves clients that asked for CLIENT_FOUND_ROWS (a
	// connection-level flag that changes affected-row counts).
	pools [2]atomic.Pointer[pool.Pool[*backendConn]]
	// primaryDown reports the health checks' verdict on the primary.
	primaryDown atomic.Pointer[func() bool]
	newPool     func(config.Pool, bool) *pool.Pool[*backendConn]
	// guard retries the server's connects and holds its circuit breaker.
	guard atomic.Pointer[pool.Guard]

	mu struct {
		sync.Mutex
		cfg config.Pool
	}
}

// New creates the relay for db. Nothing is dialled until a client comes or
// MinIdle asks for it.
func New(db config.Database, opts Options, log *slog.Logger, m *observe.Metrics) (*Relay, error) {
	d, err := parseDSN(db.Primary)
	if err != nil {
		return nil, fmt.Errorf("database %s: primary: %w", db.Name, err)
	}
	r := &Relay{name: db.Name, rawDSN: db.Primary, dsn: d, log: log.With("database", db.Name), metrics: m}
	r.opts.Store(&opts)
	r.mu.cfg = db.Pool
	idle := m.PoolConns.WithLabelValues(db.Name, "primary", "idle")
	inUse := m.PoolConns.WithLabelValues(db.Name, "primary", "in_use")
	wait := m.PoolWaitSeconds.WithLabelValues(db.Name)
	waits := m.PoolWaits.WithLabelValues(db.Name)
	timeouts := m.PoolAcquireTimeouts.WithLabelValues(db.Name)
	var stats [2]atomic.Pointer[pool.Stats]
	r.newPool = func(pc config.Pool, foundRows bool) *pool.Pool[*backendConn] {
		idx := 0
		minIdle := pc.MinIdle
		if foundRows {
			idx, minIdle = 1, 0
		}
		return pool.New(pool.Config[*backendConn]{
			Size: pc.Size, MinIdle: minIdle, IdleTimeout: pc.IdleTimeout,
			MaxLifetime: pc.MaxLifetime, AcquireTimeout: pc.AcquireTimeout,
			HealthCheckAfter: pc.HealthCheckAfter,
			Dial: func(ctx context.Context) (*backendConn, error) {
				return pool.Dial(ctx, r.guard.Load(), func(ctx context.Context) (*backendConn, error) { return r.dial(ctx, foundRows) })
			},
			Ping:  func(ctx context.Context, b *backendConn) error { return b.ping(ctx) },
			Alive: func(b *backendConn) bool { return b.alive() },
			Close: func(b *backendConn) { b.close() },
			Observe: pool.Observer{
				Waited:   func(d time.Duration) { waits.Inc(); wait.Observe(d.Seconds()) },
				TimedOut: timeouts.Inc,
				Closed:   func(reason string) { m.PoolConnsClosed.WithLabelValues(db.Name, reason).Inc() },
				Changed: func(s pool.Stats) {
					stats[idx].Store(&s)
					var i, u int
					for k := range stats {
						if st := stats[k].Load(); st != nil {
							i += st.Idle
							u += st.InUse
						}
					}
					idle.Set(float64(i))
					inUse.Set(float64(u))
				},
			},
		})
	}
	r.guard.Store(r.newGuard(db.Pool))
	r.pools[0].Store(r.newPool(db.Pool, false))
	r.pools[1].Store(r.newPool(db.Pool, true))
	return r, nil
}

// newGuard makes the connect guard of the server.
func (r *Relay) newGuard(pc config.Pool) *pool.Guard {
	gc := pool.GuardSettings(r.name+"/primary", pc)
	gc.Transient = transientConnectErr
	retries := r.metrics.ConnectRetries.WithLabelValues(r.name, "primary")
	gc.OnRetry = func(error) { retries.Inc() }
	changed := r.metrics.BreakerChanged(r.name, "primary")
	gc.OnStateChange = func(name, from, to string) {
		r.log.Warn("backend circuit breaker "+to, "backend", "primary", "from", from)
		changed(name, from, to)
	}
	return pool.NewGuard(gc)
}

// SetOptions replaces the front-end settings (reload).
func (r *Relay) SetOptions(o Options) { r.opts.Store(&o) }

func (r *Relay) poolConfig() config.Pool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.mu.cfg
}

// SameBackend reports whether db is served by this relay as it is.
func (r *Relay) SameBackend(db config.Database) bool {
	return r.SameDSN(db) && db.Pool == r.poolConfig()
}

// SameDSN reports whether db points at this relay's server.
func (r *Relay) SameDSN(db config.Database) bool {
	return db.Kind == config.KindMySQL && db.Primary == r.rawDSN
}

// Reconfigure applies new pool settings for the same server: new pools
// serve new acquisitions, the old ones drain as sessions give back their
// connections.
func (r *Relay) Reconfigure(pc config.Pool) {
	r.mu.Lock()
	old := r.mu.cfg
	r.mu.cfg = pc
	r.mu.Unlock()
	if pool.GuardChanged(old, pc) {
		r.guard.Store(r.newGuard(pc))
	}
	for i := range r.pools {
		r.pools[i].Swap(r.newPool(pc, i == 1)).Close()
	}
}

// Close closes the pools; connections in use close as sessions end.
func (r *Relay) Close() {
	for i := range r.pools {
		r.pools[i].Load().Close()
	}
}

// Stats returns the counters of the main pool.
func (r *Relay) Stats() pool.Stats { return r.pools[0].Load().Stats() }

// SetPrimaryHealth sets how the relay learns that health checks found
// the primary down: while they do, statements that need a new backend
// connection fail at once (2003) instead of waiting on a dead server.
func (r *Relay) SetPrimaryHealth(down func() bool) { r.primaryDown.Store(&down) }

// PrimaryWentDown closes the idle connections to the primary.
func (r *Relay) PrimaryWentDown() {
	for i := range r.pools {
		r.pools[i].Load().CloseIdle()
	}
}

// acquire gets a backend connection, translating pool errors to MySQL errors.
func (r *Relay) acquire(ctx context.Context, foundRows bool) (*pool.Pool[*backendConn], *pool.Conn[*backendConn], error) {
	if down := r.primaryDown.Load(); down != nil && (*down)() {
		return nil, nil, &mysqlwire.Error{Code: mysqlwire.ErCantConnect, State: "HY000",
			Message: fmt.Sprintf("the primary of database '%s' is down (failing health checks); retry shortly", r.name)}
	}
	idx := 0
	if foundRows {
		idx = 1
	}
	p := r.pools[idx].Load()
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
		return nil, nil, &mysqlwire.Error{Code: mysqlwire.ErCantConnect, State: "HY000",
			Message: fmt.Sprintf("the backend of database '%s' is unavailable: connects to it failed repeatedly and are paused (circuit breaker open); retry shortly", r.name)}
	case ctx.Err() != nil:
		return nil, nil, ctx.Err()
	default:
		// The reason is logged; backend user names and hosts stay private.
		return nil, nil, &mysqlwire.Error{Code: mysqlwire.ErCantConnect, State: "HY000",
			Message: fmt.Sprintf("could not connect to the backend of database '%s'", r.name)}
	}
}

// kill runs KILL [QUERY] thread on a connection of its own.
func (r *Relay) kill(thread uint32, queryOnly bool) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	d := r.dsn
	cl, err := client.ConnectWithContext(ctx, d.addr, d.user, d.password, d.db, 10*time.Second, func(c *client.Conn) error {
		if d.tls != nil {
			c.SetTLSConfig(d.tls)
		}
		return nil
	})
	if err != nil {
		r.log.Warn("could not connect to cancel a query", "error", describeErr(err))
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
