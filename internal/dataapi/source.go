package dataapi

import (
	"context"
	"crypto/tls"
	"database/sql"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"time"

	"github.com/go-mysql-org/go-mysql/mysql"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/floe-db/floe/arrowsql"
	"github.com/floe-db/floe/internal/backend"
	"github.com/floe-db/floe/internal/backend/sqlite"
	"github.com/floe-db/floe/internal/config"
	"github.com/floe-db/floe/internal/policy"
	"github.com/floe-db/floe/internal/pool"
	"github.com/floe-db/floe/internal/route"
	"github.com/floe-db/floe/internal/sqlerr"
	"github.com/floe-db/floe/internal/stmt"
	"github.com/floe-db/floe/internal/wire/hangup"
)

// Source runs queries for the data APIs against one logical database.
type Source interface {
	// Kind is postgres, mysql or sqlite.
	Kind() string
	// Dialect and DefaultSchema describe the database to the policy.
	Dialect() policy.Dialect
	DefaultSchema() string
	// Query runs sql; the reader gives the connection back on Release.
	Query(ctx context.Context, sql string, args []any, opts arrowsql.Options) (*arrowsql.Reader, error)
	// Close closes the source's connections.
	Close()
}

// Servers is how a source of a PostgreSQL or MySQL database places its
// statements: the wire relay's view of the database's servers (server 0
// is the configured primary, then the replicas in config order), shared
// so that both paths use the same servers, health topology, writer after
// a failover, replica reads and connect guards
// (cluster.Placer implements it).
type Servers interface {
	// Replica returns the replica a statement text may run on now, or
	// false when it goes where writes go.
	Replica(text string) (int, bool)
	// Writer returns the server writes go to, waiting up to
	// routing.failover_wait while there is none (route.ErrNoPrimary).
	Writer(ctx context.Context) (int, error)
	// ReadOnly reports whether a statement text only reads.
	ReadOnly(text string) bool
	// Guard is server i's connect guard (nil: dial once, unguarded).
	Guard(i int) *pool.Guard
}

// Login is the backend login a source's connections log in as; the zero
// Login keeps the DSNs' own user and password.
type Login struct {
	User, Password string
}

// dataConn is a pooled connection of a source; used marks one that has
// served a statement before (so it may have died while idle).
type dataConn[T any] struct {
	c    T
	used bool
	addr string // the server's host:port
}

// kindDriver is what a clusterSource needs of one kind of database.
type kindDriver[T any] struct {
	dial  func(ctx context.Context, server int) (T, error)
	close func(T)
	ping  func(context.Context, T) error
	// alive is a cheap check (no round trip) that the server has not
	// closed an idle connection.
	alive func(T) bool
	// reset clears what a statement left on the connection of server i.
	reset func(c T, server int) error
	query func(ctx context.Context, c T, sql string, args []any, opts arrowsql.Options, done func(broken bool)) (*arrowsql.Reader, error)
	// lost reports a failed query whose connection itself failed (broken
	// is what the query reported when it gave the connection back).
	lost func(err error, broken bool) bool
	// unsent reports a failure before the statement reached the server.
	unsent func(err error) bool
	// addr is the address (host:port) of the server c is connected to
	// (nil: not known).
	addr func(c T) string
}

// clusterSource runs the queries of a PostgreSQL or MySQL database
// through a pool of its own per server, placing each statement as the
// database's Servers say.
type clusterSource[T any] struct {
	name    string
	login   string // the backend login's user ("": the DSNs')
	drv     kindDriver[T]
	servers Servers // nil: the primary only, unguarded
	pools   []*pool.Pool[*dataConn[T]]
}

// LoginName names the backend login the source's statements run as
// (LoginNamer).
func (s *clusterSource[T]) LoginName() string { return "user:" + s.login }

func newClusterSource[T any](db config.Database, servers Servers, n int, drv kindDriver[T]) *clusterSource[T] {
	s := &clusterSource[T]{name: db.Name, drv: drv, servers: servers}
	for i := range n {
		var guard func() *pool.Guard
		if servers != nil {
			guard = func() *pool.Guard { return servers.Guard(i) }
		}
		s.pools = append(s.pools, pool.New(pool.Config[*dataConn[T]]{
			Size: db.Pool.Size, IdleTimeout: db.Pool.IdleTimeout, MaxLifetime: db.Pool.MaxLifetime,
			AcquireTimeout: db.Pool.AcquireTimeout, HealthCheckAfter: db.Pool.HealthCheckAfter,
			Dial: func(ctx context.Context) (*dataConn[T], error) {
				var g *pool.Guard
				if guard != nil {
					g = guard()
				}
				c, err := pool.Dial(ctx, g, func(ctx context.Context) (T, error) { return drv.dial(ctx, i) })
				if err != nil {
					return nil, err
				}
				dc := &dataConn[T]{c: c}
				if drv.addr != nil {
					dc.addr = drv.addr(c)
				}
				return dc, nil
			},
			Close: func(c *dataConn[T]) { drv.close(c.c) },
			Ping:  func(ctx context.Context, c *dataConn[T]) error { return drv.ping(ctx, c.c) },
			Alive: func(c *dataConn[T]) bool { return drv.alive(c.c) },
		}))
	}
	return s
}

// Conns counts the source's connections, idle, busy or being dialled
// (after Close: those still to be returned).
func (s *clusterSource[T]) Conns() int {
	n := 0
	for _, p := range s.pools {
		n += p.Stats().Total
	}
	return n
}

func (s *clusterSource[T]) Close() {
	for _, p := range s.pools {
		p.Close()
	}
}

// Query runs q on the server its placement names. A pooled connection
// found dead (killed on the server, or the server restarted) is dropped
// before use; one that fails on first use is dropped too, and the
// statement runs once more on a fresh connection when running it again
// is safe: it only reads, or it never reached the server.
func (s *clusterSource[T]) Query(ctx context.Context, q string, args []any, opts arrowsql.Options) (*arrowsql.Reader, error) {
	for attempt := 0; ; attempt++ {
		p, i, c, err := s.acquire(ctx, q)
		if err != nil {
			return nil, err
		}
		reused := c.Value.used
		st := statementOf(ctx)
		st.Acquired(c.Value.addr)
		failed := make(chan bool, 1) // the query's verdict when it fails at once
		rdr, err := s.drv.query(ctx, c.Value.c, q, args, opts, func(broken bool) {
			select {
			case failed <- broken:
			default:
			}
			c.Value.used = true
			p.Release(c, !broken && s.drv.reset(c.Value.c, i) == nil)
		})
		// The query returns once the server answered (its first rows).
		st.Responded()
		if err == nil {
			return rdr, nil
		}
		var broken bool
		select {
		case broken = <-failed:
		default:
		}
		if !s.drv.lost(err, broken) || ctx.Err() != nil {
			return nil, err
		}
		if attempt == 0 && reused && (s.drv.unsent(err) || s.servers != nil && s.servers.ReadOnly(q)) {
			continue
		}
		return nil, lostError(err)
	}
}

// acquire gets a connection for statement q: on a replica when the
// placement allows (falling back to the writer when the replica cannot be
// reached), else on the server writes go to.
func (s *clusterSource[T]) acquire(ctx context.Context, q string) (*pool.Pool[*dataConn[T]], int, *pool.Conn[*dataConn[T]], error) {
	if s.servers == nil {
		p, c, err := s.acquireOn(ctx, 0)
		return p, 0, c, err
	}
	if i, ok := s.servers.Replica(q); ok {
		p, c, err := s.acquireOn(ctx, i)
		if err == nil {
			return p, i, c, nil
		}
		if ctx.Err() != nil {
			return nil, 0, nil, ctx.Err()
		}
		// A replica the checks have not caught failing yet: the read goes
		// where writes go rather than failing.
	}
	i, err := s.servers.Writer(ctx)
	switch {
	case errors.Is(err, route.ErrNoPrimary):
		return nil, 0, nil, &Error{Status: 503, Code: CodeUnavailable, SQLState: sqlerr.ConnectionFailure,
			Message: fmt.Sprintf("the primary of database %q is down (failing health checks) and no replica has taken over; retry shortly", s.name)}
	case err != nil:
		return nil, 0, nil, err
	}
	p, c, err := s.acquireOn(ctx, i)
	return p, i, c, err
}

// acquireOn gets a connection to server i.
func (s *clusterSource[T]) acquireOn(ctx context.Context, i int) (*pool.Pool[*dataConn[T]], *pool.Conn[*dataConn[T]], error) {
	p := s.pools[i]
	c, err := p.Acquire(ctx)
	switch {
	case err == nil:
		return p, c, nil
	case errors.Is(err, pool.ErrCircuitOpen):
		return nil, nil, &Error{Status: 503, Code: CodeUnavailable, SQLState: sqlerr.ConnectionFailure,
			Message: fmt.Sprintf("the backend of database %q is unavailable: connects to it failed repeatedly and are paused (circuit breaker open); retry shortly", s.name)}
	case ctx.Err() != nil:
		return nil, nil, ctx.Err()
	}
	return nil, nil, unavailable(err)
}

// lostError is the caller's error for a statement whose connection
// failed under it: the server's own (a PostgreSQL 57P01, 08…) when it
// sent one, else a generic 08006 that names no host.
func lostError(err error) error {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return err
	}
	return &Error{Status: 503, Code: CodeUnavailable, SQLState: sqlerr.ConnectionFailure, Message: "the connection to the database was lost; retry"}
}

// quiet reports whether nothing waits on an idle connection's socket: a
// server that closed the connection (a killed session, a restart) has
// sent an error or EOF.
func quiet(nc net.Conn) bool {
	if tc, ok := nc.(*tls.Conn); ok {
		nc = tc.NetConn()
	}
	return hangup.Quiet(nc)
}

// serverDSNs lists db's DSNs, primary first.
func serverDSNs(db config.Database) []string {
	out := []string{db.Primary}
	for _, r := range db.Replicas {
		out = append(out, r.DSN)
	}
	return out
}

// pgSource runs queries on a PostgreSQL database.
type pgSource struct {
	*clusterSource[*pgx.Conn]
}

// NewPostgres makes the source of a PostgreSQL database that runs
// everything on its primary, unguarded (the floe query command).
func NewPostgres(db config.Database) (Source, error) { return NewPostgresOn(db, nil, Login{}, nil) }

// NewPostgresOn makes the source of a PostgreSQL database whose
// statements servers places (nil: the primary only), logged in as login;
// its TLS connections (the DSN's sslmode decides) offer the key-exchange
// groups given (nil: crypto/tls's default, post-quantum first).
func NewPostgresOn(db config.Database, servers Servers, login Login, groups []tls.CurveID) (Source, error) {
	dsns := serverDSNs(db)
	if servers == nil {
		dsns = dsns[:1]
	}
	cfgs := make([]*pgx.ConnConfig, len(dsns))
	for i, dsn := range dsns {
		cfg, err := pgx.ParseConfig(dsn)
		if err != nil {
			return nil, err
		}
		arrowsql.PrepareConfig(cfg)
		cfg.RuntimeParams["application_name"] = "floe-data"
		cfg.DefaultQueryExecMode = pgx.QueryExecModeExec
		if login.User != "" {
			cfg.User, cfg.Password = login.User, login.Password
		}
		cfg.TLSConfig = backend.WithGroups(cfg.TLSConfig, groups)
		for _, f := range cfg.Fallbacks {
			f.TLSConfig = backend.WithGroups(f.TLSConfig, groups)
		}
		cfgs[i] = cfg
	}
	drv := kindDriver[*pgx.Conn]{
		dial: func(ctx context.Context, i int) (*pgx.Conn, error) { return pgx.ConnectConfig(ctx, cfgs[i]) },
		close: func(c *pgx.Conn) {
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			defer cancel()
			_ = c.Close(ctx)
		},
		ping:  func(ctx context.Context, c *pgx.Conn) error { return c.Ping(ctx) },
		alive: func(c *pgx.Conn) bool { return !c.IsClosed() && quiet(c.PgConn().Conn()) },
		reset: func(c *pgx.Conn, _ int) error { return resetPostgres(c) },
		addr:  func(c *pgx.Conn) string { return c.PgConn().Conn().RemoteAddr().String() },
		query: arrowsql.QueryPostgres,
		lost:  func(_ error, broken bool) bool { return broken },
		unsent: func(err error) bool {
			return pgconn.SafeToRetry(err)
		},
	}
	cs := newClusterSource(db, servers, len(dsns), drv)
	cs.login = login.User
	return &pgSource{cs}, nil
}

func (s *pgSource) Kind() string            { return config.KindPostgres }
func (s *pgSource) Dialect() policy.Dialect { return policy.Postgres }
func (s *pgSource) DefaultSchema() string   { return "public" }

// mySource runs queries on a MySQL/MariaDB database.
type mySource struct {
	*clusterSource[*arrowsql.MySQLConn]
	schema string
}

// NewMySQL makes the source of a MySQL/MariaDB database that runs
// everything on its primary, unguarded (the floe query command).
func NewMySQL(db config.Database) (Source, error) { return NewMySQLOn(db, nil, Login{}, nil) }

// NewMySQLOn makes the source of a MySQL/MariaDB database whose
// statements servers places (nil: the primary only), logged in as login;
// its TLS connections (the DSN's tls= decides) offer the key-exchange
// groups given (nil: crypto/tls's default, post-quantum first).
func NewMySQLOn(db config.Database, servers Servers, login Login, groups []tls.CurveID) (Source, error) {
	dsns := serverDSNs(db)
	if servers == nil {
		dsns = dsns[:1]
	}
	schemas := make([]string, len(dsns))
	for i, dsn := range dsns {
		if login.User != "" {
			dsns[i] = config.WithLogin(dsn, login.User, login.Password)
		}
		schemas[i] = mysqlDatabase(dsn)
	}
	drv := kindDriver[*arrowsql.MySQLConn]{
		dial: func(ctx context.Context, i int) (*arrowsql.MySQLConn, error) {
			return arrowsql.ConnectMySQLGroups(ctx, dsns[i], groups)
		},
		close: func(c *arrowsql.MySQLConn) { _ = c.Close() },
		ping:  func(_ context.Context, c *arrowsql.MySQLConn) error { return c.Ping() },
		alive: func(c *arrowsql.MySQLConn) bool { return quiet(c.Conn.Conn.Conn) },
		reset: func(c *arrowsql.MySQLConn, i int) error { return resetMySQL(c, schemas[i]) },
		addr:  func(c *arrowsql.MySQLConn) string { return c.Conn.Conn.Conn.RemoteAddr().String() },
		query: arrowsql.QueryMySQL,
		lost:  func(err error, broken bool) bool { return broken || mysqlConnLost(err) },
		// The client library cannot tell whether a failed command reached
		// the server: only reads run again.
		unsent: func(error) bool { return false },
	}
	cs := newClusterSource(db, servers, len(dsns), drv)
	cs.login = login.User
	return &mySource{clusterSource: cs, schema: schemas[0]}, nil
}

func (s *mySource) Kind() string            { return config.KindMySQL }
func (s *mySource) Dialect() policy.Dialect { return policy.MySQL }
func (s *mySource) DefaultSchema() string   { return s.schema }

// mysqlConnLost reports a failed MySQL statement whose connection failed:
// no server error came back (EOF, reset, a broken packet), or the server
// said it killed the connection or is shutting down.
func mysqlConnLost(err error) bool {
	var me *mysql.MyError
	if errors.As(err, &me) {
		switch me.Code {
		case 1927, 1053, 2006, 2013: // connection killed, server shutdown, gone away, lost
			return true
		}
		return false
	}
	var ce *arrowsql.ColumnError
	var d *policy.Denial
	return !errors.As(err, &ce) && !errors.As(err, &d) && !errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded)
}

// sqliteSource runs queries on an embedded SQLite database.
type sqliteSource struct {
	db *sql.DB
}

// NewSQLite makes the source of an embedded SQLite database.
func NewSQLite(db *sql.DB) Source { return &sqliteSource{db: db} }

func (s *sqliteSource) Kind() string            { return config.KindSQLite }
func (s *sqliteSource) Dialect() policy.Dialect { return policy.Postgres }
func (s *sqliteSource) DefaultSchema() string   { return "main" }
func (s *sqliteSource) Close()                  {}
func (s *sqliteSource) Query(ctx context.Context, q string, args []any, opts arrowsql.Options) (*arrowsql.Reader, error) {
	q, err := sqlite.PGQuery(q)
	if err != nil {
		return nil, err
	}
	c, err := s.db.Conn(ctx)
	if err != nil {
		return nil, unavailable(err)
	}
	if err := sqlite.PrepareConn(ctx, c); err != nil {
		_ = c.Close()
		return nil, err
	}
	st := statementOf(ctx)
	st.Acquired(sqlite.Server)
	rdr, err := arrowsql.QuerySQLite(ctx, c, q, args, opts, func(bool) { _ = c.Close() })
	st.Responded()
	return rdr, err
}

// mysqlDatabase is the database named in a mysql:// URL.
func mysqlDatabase(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil {
		return ""
	}
	return strings.TrimPrefix(u.Path, "/")
}

// stmtKey keys the statement a source's query runs for in its context.
type stmtKey struct{}

// withStatement gives a source's query the statement it runs for, which
// it tells when its connection is in hand (Acquired) and when the
// server answered (Responded).
func withStatement(ctx context.Context, st *stmt.Statement) context.Context {
	return context.WithValue(ctx, stmtKey{}, st)
}

// statementOf is the statement of a query's context (nil: none, a
// catalogue query; its marks are then no-ops).
func statementOf(ctx context.Context) *stmt.Statement {
	st, _ := ctx.Value(stmtKey{}).(*stmt.Statement)
	return st
}
