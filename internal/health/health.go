package health

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-mysql-org/go-mysql/mysql"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/floe-db/floe/arrowsql"
	"github.com/floe-db/floe/internal/config"
	"github.com/floe-db/floe/internal/observe"
	"github.com/floe-db/floe/internal/route"
)

// Probe is what one check learned of a server.
type Probe struct {
	Role route.Role
	// Lag is a replica's replication delay (negative: unknown).
	Lag time.Duration
	// LSN is the primary's current WAL position or a replica's replayed
	// one (PostgreSQL; 0 otherwise).
	LSN uint64
}

// Prober checks one server. Probe is called from one goroutine at a time.
type Prober interface {
	Probe(ctx context.Context) (Probe, error)
	Close()
}

// Server is one server of a database to check.
type Server struct {
	Name   string // "primary" or "replica N"
	Weight int
	Tags   map[string]string
	Prober Prober
}

// Status is a server's state as the checks last saw it.
type Status struct {
	Database string            `json:"database"`
	Name     string            `json:"name"`
	Address  string            `json:"address"`
	Role     string            `json:"role"`
	Healthy  bool              `json:"healthy"`
	Weight   int               `json:"weight"`
	Tags     map[string]string `json:"tags,omitempty"`
	// LagSeconds is -1 when unknown.
	LagSeconds float64   `json:"lag_seconds"`
	LSN        uint64    `json:"lsn,omitempty"`
	LastCheck  time.Time `json:"last_check"`
	// LastError says why the last check failed, naming no backend
	// login or database (Reason); the log has the driver's message.
	LastError string    `json:"last_error,omitempty"`
	Since     time.Time `json:"since"` // of the current healthy state
	// Breaker is the relay's circuit breaker over connects to the server
	// (closed, open, half-open), filled in by the caller of Statuses.
	Breaker    string `json:"breaker,omitempty"`
	fails, oks int
	probe      Probe
	// decided: a check succeeded, or fail_after checks failed in a row,
	// so the server's state is known.
	decided bool
	// detail is the failed check's error as the driver put it (for the
	// log only).
	detail string
}

// Checker runs the checks of one database's servers in the background.
type Checker struct {
	db      string
	cfg     config.Health
	servers []Server
	log     *slog.Logger
	metrics *observe.Metrics
	now     func() time.Time
	stop    context.CancelFunc
	done    sync.WaitGroup
	// OnChange, if set before Start, is called (not under the checker's
	// lock) with a server's status after each change of its state.
	OnChange func(Status)

	// view is Backends' answer, made again at every check (not at every
	// statement that asks).
	view atomic.Pointer[[]route.Backend]

	mu struct {
		sync.Mutex
		status []Status
		// changed is closed and replaced at every state change.
		changed chan struct{}
	}
}

// New makes a checker; Start runs it. now is the clock (nil: time.Now).
func New(db string, cfg config.Health, servers []Server, addrs []string, log *slog.Logger, m *observe.Metrics, now func() time.Time) *Checker {
	if now == nil {
		now = time.Now
	}
	c := &Checker{db: db, cfg: cfg, servers: servers, log: log, metrics: m, now: now}
	c.mu.status = make([]Status, len(servers))
	c.mu.changed = make(chan struct{})
	for i, s := range servers {
		// Unknown until the first check: not healthy, so nothing is
		// routed to a server never seen up.
		c.mu.status[i] = Status{Database: db, Name: s.Name, Address: addrs[i], Role: route.RoleUnknown.String(),
			Weight: s.Weight, Tags: s.Tags, LagSeconds: -1, Since: now(), probe: Probe{Lag: -1}}
	}
	c.publishLocked()
	return c
}

// Start checks every server at once, then every interval, until Close.
func (c *Checker) Start() {
	ctx, cancel := context.WithCancel(context.Background())
	c.stop = cancel
	for i := range c.servers {
		c.done.Add(1)
		go c.loop(ctx, i)
	}
}

// Close stops the checks and closes the probers' connections.
func (c *Checker) Close() {
	if c.stop != nil {
		c.stop()
	}
	c.done.Wait()
	for _, s := range c.servers {
		s.Prober.Close()
	}
}

func (c *Checker) loop(ctx context.Context, i int) {
	defer c.done.Done()
	t := time.NewTicker(c.cfg.Interval)
	defer t.Stop()
	for {
		c.CheckNow(ctx, i)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// CheckNow runs one check of server i and records it.
func (c *Checker) CheckNow(ctx context.Context, i int) {
	pctx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	p, err := c.servers[i].Prober.Probe(pctx)
	cancel()
	if ctx.Err() != nil {
		return
	}
	c.record(i, p, err)
}

// record applies a check's outcome: a server is up from its first good
// check and known to be down after fail_after failures in a row (until
// then it is not routed to, but not reported down either); once up,
// fail_after failures take it down and rise_after good checks bring it
// back.
func (c *Checker) record(i int, p Probe, err error) {
	if st, changed := c.recordLocked(i, p, err); changed && c.OnChange != nil {
		c.OnChange(st)
	}
}

func (c *Checker) recordLocked(i int, p Probe, err error) (Status, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	st := &c.mu.status[i]
	now := c.now()
	st.LastCheck = now
	wasHealthy, oldRole, wasDecided := st.Healthy, st.Role, st.decided
	if err != nil {
		st.LastError, st.detail = Reason(err), err.Error()
		st.fails++
		st.oks = 0
		if st.fails >= c.cfg.FailAfter {
			st.Healthy = false
			st.decided = true
		}
	} else {
		st.LastError, st.detail = "", ""
		st.oks++
		st.fails = 0
		st.probe = p
		st.Role = p.Role.String()
		st.LSN = p.LSN
		st.LagSeconds = -1
		if p.Lag >= 0 {
			st.LagSeconds = p.Lag.Seconds()
		}
		if !st.decided || st.oks >= c.cfg.RiseAfter {
			st.Healthy = true
		}
		st.decided = true
	}
	changed := st.Healthy != wasHealthy || st.Role != oldRole
	if changed || !wasDecided && st.decided && !st.Healthy {
		// A server never seen up is logged once found down too.
		if st.Healthy != wasHealthy {
			st.Since = now
		}
		c.changedLocked(st, wasHealthy, oldRole)
	}
	if c.metrics != nil {
		up := 0.0
		if st.Healthy {
			up = 1
		}
		c.metrics.BackendUp.WithLabelValues(c.db, st.Name).Set(up)
		c.metrics.BackendLag.WithLabelValues(c.db, st.Name).Set(st.LagSeconds)
	}
	c.publishLocked()
	return *st, changed
}

// PrimaryDown reports whether the configured primary (the first server)
// is known to be down: fail_after checks in a row failed.
func (c *Checker) PrimaryDown() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	st := c.mu.status[0]
	return st.decided && !st.Healthy
}

func (c *Checker) changedLocked(st *Status, wasHealthy bool, oldRole string) {
	state := func(h bool) string {
		if h {
			return "up"
		}
		return "down"
	}
	level := slog.LevelInfo
	if wasHealthy && !st.Healthy || oldRole != st.Role && oldRole != route.RoleUnknown.String() {
		level = slog.LevelWarn
	}
	c.log.Log(context.Background(), level, "backend state changed", "database", c.db, "backend", st.Name, "address", st.Address,
		"from", state(wasHealthy)+"/"+oldRole, "to", state(st.Healthy)+"/"+st.Role, "error", st.detail)
	if c.metrics != nil {
		c.metrics.BackendChanges.WithLabelValues(c.db, st.Name, state(st.Healthy), st.Role).Inc()
	}
	close(c.mu.changed)
	c.mu.changed = make(chan struct{})
}

// Statuses returns the servers' states.
func (c *Checker) Statuses() []Status {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]Status(nil), c.mu.status...)
}

// Backends returns the servers as the router sees them, as of the last
// check. The slice is shared: callers must not modify it.
func (c *Checker) Backends() []route.Backend { return *c.view.Load() }

// publishLocked makes Backends' answer from the statuses.
func (c *Checker) publishLocked() {
	out := make([]route.Backend, len(c.mu.status))
	for i, st := range c.mu.status {
		out[i] = route.Backend{Name: st.Name, Role: st.probe.Role, Healthy: st.Healthy, Weight: st.Weight,
			Tags: st.Tags, Lag: st.probe.Lag, ReplayLSN: st.probe.LSN}
	}
	c.view.Store(&out)
}

// Changed returns a channel closed at the next state change.
func (c *Checker) Changed() <-chan struct{} {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.mu.changed
}

// ForDatabase makes the checker of a PostgreSQL or MySQL database: its
// primary and replicas. groups are the TLS key-exchange groups its
// connections offer when their DSN asks for TLS (nil:
// crypto/tls's default, post-quantum first).
func ForDatabase(db config.Database, groups []tls.CurveID, log *slog.Logger, m *observe.Metrics) (*Checker, error) {
	var servers []Server
	var addrs []string
	add := func(name, dsn string, weight int, tags map[string]string) error {
		var p Prober
		if db.Kind == config.KindMySQL {
			mp := NewMySQL(dsn).(*myProber)
			mp.groups = groups
			p = mp
		} else {
			var err error
			if p, err = NewPostgres(dsn); err != nil {
				return fmt.Errorf("%s: %w", name, err)
			}
			p.(*pgProber).offerGroups(groups)
		}
		servers = append(servers, Server{Name: name, Weight: weight, Tags: tags, Prober: p})
		addrs = append(addrs, hostOf(dsn))
		return nil
	}
	if err := add("primary", db.Primary, 1, nil); err != nil {
		return nil, err
	}
	for i, r := range db.Replicas {
		if err := add(fmt.Sprintf("replica%d", i+1), r.DSN, r.Weight, r.Tags); err != nil {
			return nil, err
		}
	}
	return New(db.Name, db.Health, servers, addrs, log, m, nil), nil
}

// hostOf is a DSN's host:port, without credentials.
func hostOf(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil {
		return ""
	}
	return u.Host
}

// pgProber checks a PostgreSQL server on a connection of its own,
// reconnecting after a failure.
type pgProber struct {
	cfg  *pgx.ConnConfig
	conn *pgx.Conn
	// plain: the server speaks PostgreSQL's protocol but has no recovery
	// or WAL functions (CockroachDB, YugabyteDB): every node takes writes,
	// and a check is a round trip.
	plain bool
}

// NewPostgres makes a prober for a PostgreSQL DSN.
func NewPostgres(dsn string) (Prober, error) {
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return nil, err
	}
	arrowsql.PrepareConfig(cfg)
	cfg.RuntimeParams["application_name"] = "floe-health"
	cfg.DefaultQueryExecMode = pgx.QueryExecModeSimpleProtocol
	return &pgProber{cfg: cfg}, nil
}

// offerGroups makes the prober's TLS attempts (the DSN's sslmode decides
// whether there are any) offer the key-exchange groups given; nil keeps
// crypto/tls's default.
func (p *pgProber) offerGroups(groups []tls.CurveID) {
	if groups == nil {
		return
	}
	offer := func(t *tls.Config) *tls.Config {
		if t == nil {
			return nil
		}
		t = t.Clone()
		t.CurvePreferences = slices.Clone(groups)
		return t
	}
	p.cfg.TLSConfig = offer(p.cfg.TLSConfig)
	for _, f := range p.cfg.Fallbacks {
		f.TLSConfig = offer(f.TLSConfig)
	}
}

// pgProbeQuery learns the role, the lag (zero when the replica has
// replayed all it received: an idle primary sends nothing, which is not
// lag) and the WAL position.
const pgProbeQuery = `SELECT pg_is_in_recovery(),
	CASE WHEN NOT pg_is_in_recovery() THEN 0
	     WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0
	     ELSE COALESCE(EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp()), -1) END::float8,
	(CASE WHEN pg_is_in_recovery() THEN pg_last_wal_replay_lsn() ELSE pg_current_wal_lsn() END - '0/0'::pg_lsn)::int8`

// pgPlainVersion reports whether a version() string is that of a
// PostgreSQL-compatible server without recovery and WAL functions.
func pgPlainVersion(v string) bool {
	return strings.Contains(v, "CockroachDB") || strings.Contains(v, "-YB-") || strings.Contains(v, "YugabyteDB")
}

// pgPlainError reports whether the probe query failed because the server
// lacks a function or feature it uses (not because the server is down).
func pgPlainError(err error) bool {
	pe, ok := errors.AsType[*pgconn.PgError](err)
	return ok && (pe.Code == "42883" || pe.Code == "0A000") // undefined_function, feature_not_supported
}

func (p *pgProber) Probe(ctx context.Context) (Probe, error) {
	fail := func(err error) (Probe, error) {
		p.conn.Close(context.Background())
		p.conn = nil
		return Probe{}, err
	}
	if p.conn == nil || p.conn.IsClosed() {
		c, err := pgx.ConnectConfig(ctx, p.cfg)
		if err != nil {
			return Probe{}, fmt.Errorf("connect: %w", err)
		}
		p.conn = c
		var v string
		if err := p.conn.QueryRow(ctx, "SELECT version()").Scan(&v); err != nil {
			return fail(err)
		}
		p.plain = pgPlainVersion(v)
	}
	if !p.plain {
		var recovery bool
		var lag float64
		var lsn int64
		err := p.conn.QueryRow(ctx, pgProbeQuery).Scan(&recovery, &lag, &lsn)
		switch {
		case err == nil:
			pr := Probe{Role: route.RolePrimary, LSN: uint64(lsn)}
			if recovery {
				pr.Role = route.RoleReplica
				pr.Lag = -1
				if lag >= 0 {
					pr.Lag = time.Duration(lag * float64(time.Second))
				}
			}
			return pr, nil
		case pgPlainError(err):
			// A server of another make answering PostgreSQL's protocol.
			p.plain = true
		default:
			return fail(err)
		}
	}
	var one int
	if err := p.conn.QueryRow(ctx, "SELECT 1").Scan(&one); err != nil {
		return fail(err)
	}
	return Probe{Role: route.RolePrimary}, nil
}

func (p *pgProber) Close() {
	if p.conn != nil {
		p.conn.Close(context.Background())
	}
}

// myProber checks a MySQL/MariaDB server.
type myProber struct {
	dsn    string
	groups []tls.CurveID // offered when the DSN asks for TLS
	conn   *arrowsql.MySQLConn
	// status is the statement that shows the replication state, chosen
	// by the server's version at connect.
	status string
}

// NewMySQL makes a prober for a mysql:// DSN. It connects without a
// default database: the checks are about the server.
func NewMySQL(dsn string) Prober {
	if u, err := url.Parse(dsn); err == nil {
		u.Path = "/"
		dsn = u.String()
	}
	return &myProber{dsn: dsn}
}

const (
	showReplica = "SHOW REPLICA STATUS"
	showSlave   = "SHOW SLAVE STATUS"
)

// replicaStatusFor is the replication-status statement of a server
// version (VERSION()): MySQL 8.0.22 and later have SHOW REPLICA STATUS
// (8.4 no longer has SHOW SLAVE STATUS), MariaDB has it from 10.5.1;
// older servers have SHOW SLAVE STATUS alone.
func replicaStatusFor(version string) string {
	v := strings.TrimPrefix(version, "5.5.5-") // MariaDB's old-client prefix
	num, _, _ := strings.Cut(v, "-")
	var parts [3]int
	for i, f := range strings.SplitN(num, ".", 3) {
		n, _ := strconv.Atoi(strings.TrimFunc(f, func(r rune) bool { return r < '0' || r > '9' }))
		parts[i] = n
	}
	atLeast := func(a, b, c int) bool {
		return parts[0] > a || parts[0] == a && (parts[1] > b || parts[1] == b && parts[2] >= c)
	}
	if strings.Contains(strings.ToLower(version), "mariadb") {
		if atLeast(10, 5, 1) {
			return showReplica
		}
		return showSlave
	}
	if atLeast(8, 0, 22) {
		return showReplica
	}
	return showSlave
}

func (p *myProber) Probe(ctx context.Context) (Probe, error) {
	if p.conn == nil {
		c, err := arrowsql.ConnectMySQLGroups(ctx, p.dsn, p.groups)
		if err != nil {
			return Probe{}, fmt.Errorf("connect: %w", err)
		}
		p.conn = c
		p.status = ""
	}
	fail := func(err error) (Probe, error) {
		p.conn.Close()
		p.conn = nil
		return Probe{}, err
	}
	if dl, ok := ctx.Deadline(); ok {
		_ = p.conn.SetDeadline(dl)
	}
	ro, err := p.conn.Execute("SELECT @@global.read_only, VERSION()")
	if err != nil {
		return fail(err)
	}
	readOnly, _ := ro.GetInt(0, 0)
	if p.status == "" {
		version, _ := ro.GetString(0, 1)
		p.status = replicaStatusFor(version)
	}
	st, err := p.conn.Execute(p.status)
	if me, ok := errors.AsType[*mysql.MyError](err); ok && me.Code == mysql.ER_PARSE_ERROR {
		// A server whose version says otherwise (a fork, a proxy): the
		// other spelling.
		p.status = map[string]string{showReplica: showSlave, showSlave: showReplica}[p.status]
		st, err = p.conn.Execute(p.status)
	}
	if err != nil {
		return fail(err)
	}
	_ = p.conn.SetDeadline(time.Time{})
	pr := Probe{Role: route.RolePrimary, Lag: 0}
	if st.RowNumber() > 0 || readOnly == 1 {
		pr.Role = route.RoleReplica
		pr.Lag = -1
		if st.RowNumber() > 0 {
			// MySQL 8.0.22+ names it Seconds_Behind_Source in SHOW
			// REPLICA STATUS; MariaDB keeps Seconds_Behind_Master.
			for _, col := range []string{"Seconds_Behind_Source", "Seconds_Behind_Master"} {
				v, err := st.GetStringByName(0, col)
				if err != nil {
					continue
				}
				if secs, err := strconv.ParseFloat(v, 64); err == nil && v != "" {
					pr.Lag = time.Duration(secs * float64(time.Second))
				}
				break
			}
		}
	}
	return pr, nil
}

func (p *myProber) Close() {
	if p.conn != nil {
		p.conn.Close()
	}
}
