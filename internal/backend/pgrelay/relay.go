package pgrelay

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgproto3"

	"github.com/floe-db/floe/internal/config"
	"github.com/floe-db/floe/internal/observe"
	"github.com/floe-db/floe/internal/policy"
	"github.com/floe-db/floe/internal/pool"
	"github.com/floe-db/floe/internal/wire/pgwire"
)

// Relay serves one logical PostgreSQL database: it owns the pool of
// connections to the primary and relays client sessions onto them.
type Relay struct {
	name    string
	dsn     string
	cfg     config.Pool
	connCfg *pgconn.Config
	pool    atomic.Pointer[pool.Pool[*backendConn]]
	newPool func(config.Pool) *pool.Pool[*backendConn]
	log     *slog.Logger
	metrics *observe.Metrics
	policy  atomic.Pointer[policy.Source]
	catalog catalog // table and column names for masking
	// primaryDown reports the health checks' verdict on the primary.
	primaryDown atomic.Pointer[func() bool]

	mu struct {
		sync.Mutex
		serverParams map[string]string // from the first backend connection
	}
}

// SetPolicy sets where sessions that start from now on find the policy
// in force.
func (r *Relay) SetPolicy(src policy.Source) { r.policy.Store(&src) }

func (r *Relay) policySource() policy.Source {
	if p := r.policy.Load(); p != nil {
		return *p
	}
	return nil
}

// New creates the relay for db. Nothing is dialled until a client comes,
// or MinIdle asks for it.
func New(db config.Database, log *slog.Logger, m *observe.Metrics) (*Relay, error) {
	cc, err := pgconn.ParseConfig(db.Primary)
	if err != nil {
		return nil, fmt.Errorf("database %s: primary: %s", db.Name, redactParseErr(err))
	}
	cc.OnNotice = nil
	cc.OnNotification = nil
	r := &Relay{
		name: db.Name, dsn: db.Primary, cfg: db.Pool, connCfg: cc,
		log: log.With("database", db.Name), metrics: m,
	}
	r.catalog.relay = r
	backend := "primary"
	idle := m.PoolConns.WithLabelValues(db.Name, backend, "idle")
	inUse := m.PoolConns.WithLabelValues(db.Name, backend, "in_use")
	wait := m.PoolWaitSeconds.WithLabelValues(db.Name)
	waits := m.PoolWaits.WithLabelValues(db.Name)
	timeouts := m.PoolAcquireTimeouts.WithLabelValues(db.Name)
	r.newPool = func(pc config.Pool) *pool.Pool[*backendConn] {
		return pool.New(pool.Config[*backendConn]{
			Size: pc.Size, MinIdle: pc.MinIdle, IdleTimeout: pc.IdleTimeout,
			MaxLifetime: pc.MaxLifetime, AcquireTimeout: pc.AcquireTimeout,
			HealthCheckAfter: pc.HealthCheckAfter,
			Dial:             r.dial,
			Ping:             func(ctx context.Context, b *backendConn) error { return b.ping(ctx) },
			Alive:            func(b *backendConn) bool { return b.alive() },
			Close:            func(b *backendConn) { b.close() },
			Observe: pool.Observer{
				Waited:   func(d time.Duration) { waits.Inc(); wait.Observe(d.Seconds()) },
				TimedOut: timeouts.Inc,
				Closed:   func(reason string) { m.PoolConnsClosed.WithLabelValues(db.Name, reason).Inc() },
				Changed: func(s pool.Stats) {
					idle.Set(float64(s.Idle))
					inUse.Set(float64(s.InUse))
				},
			},
		})
	}
	r.pool.Store(r.newPool(db.Pool))
	return r, nil
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
	return db.Kind == config.KindPostgres && db.Primary == r.dsn && db.Pool == r.poolConfig()
}

func (r *Relay) poolConfig() config.Pool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.cfg
}

// Close closes the pool; connections in use close as sessions end.
func (r *Relay) Close() {
	r.pool.Load().Close()
	r.catalog.close()
}

// Stats returns the pool's counters.
func (r *Relay) Stats() pool.Stats { return r.pool.Load().Stats() }

func (r *Relay) dial(ctx context.Context) (*backendConn, error) {
	pc, err := pgconn.ConnectConfig(ctx, r.connCfg)
	if err != nil {
		r.log.Warn("backend connection failed", "error", describeConnectErr(err))
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

// SetPrimaryHealth sets how the relay learns that health checks found
// the primary down: while they do, statements that need a new backend
// connection fail at once with 08006 instead of waiting on a dead
// server.
func (r *Relay) SetPrimaryHealth(down func() bool) { r.primaryDown.Store(&down) }

// PrimaryWentDown closes the idle connections to the primary: they lead
// to a server the health checks found down.
func (r *Relay) PrimaryWentDown() { r.pool.Load().CloseIdle() }

// acquire gets a backend connection, translating pool errors to SQLSTATEs.
func (r *Relay) acquire(ctx context.Context) (*pool.Pool[*backendConn], *pool.Conn[*backendConn], error) {
	if down := r.primaryDown.Load(); down != nil && (*down)() {
		return nil, nil, pgwire.Errorf(pgwire.CodeConnectionFailure,
			"the primary of database %q is down (failing health checks); retry shortly", r.name)
	}
	p := r.pool.Load()
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
	r.cfg = pc
	r.mu.Unlock()
	old := r.pool.Swap(r.newPool(pc))
	old.Close()
}

// SameDSN reports whether db points at this relay's backend.
func (r *Relay) SameDSN(db config.Database) bool {
	return db.Kind == config.KindPostgres && db.Primary == r.dsn
}
