package dataapi

import (
	"context"
	"database/sql"
	"net/url"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/floe-db/floe/arrowsql"
	"github.com/floe-db/floe/internal/config"
	"github.com/floe-db/floe/internal/policy"
	"github.com/floe-db/floe/internal/pool"
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

// poolConfig is the data-API pool of a database: the database's pool
// size and timeouts, no idle minimum.
func poolConfig[T any](db config.Database, dial func(context.Context) (T, error), closeFn func(T), ping func(context.Context, T) error) pool.Config[T] {
	return pool.Config[T]{
		Size: db.Pool.Size, IdleTimeout: db.Pool.IdleTimeout, MaxLifetime: db.Pool.MaxLifetime,
		AcquireTimeout: db.Pool.AcquireTimeout, HealthCheckAfter: db.Pool.HealthCheckAfter,
		Dial: dial, Close: closeFn, Ping: ping,
	}
}

// pgSource runs queries on a PostgreSQL primary through a pool of its own.
type pgSource struct {
	pool *pool.Pool[*pgx.Conn]
}

// NewPostgres makes the source of a PostgreSQL database.
func NewPostgres(db config.Database) (Source, error) {
	cfg, err := pgx.ParseConfig(db.Primary)
	if err != nil {
		return nil, err
	}
	arrowsql.PrepareConfig(cfg)
	cfg.RuntimeParams["application_name"] = "floe-data"
	cfg.DefaultQueryExecMode = pgx.QueryExecModeExec
	dial := func(ctx context.Context) (*pgx.Conn, error) { return pgx.ConnectConfig(ctx, cfg) }
	closeFn := func(c *pgx.Conn) {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		_ = c.Close(ctx)
	}
	ping := func(ctx context.Context, c *pgx.Conn) error { return c.Ping(ctx) }
	return &pgSource{pool: pool.New(poolConfig(db, dial, closeFn, ping))}, nil
}

func (s *pgSource) Kind() string            { return config.KindPostgres }
func (s *pgSource) Dialect() policy.Dialect { return policy.Postgres }
func (s *pgSource) DefaultSchema() string   { return "public" }
func (s *pgSource) Close()                  { s.pool.Close() }
func (s *pgSource) Query(ctx context.Context, q string, args []any, opts arrowsql.Options) (*arrowsql.Reader, error) {
	c, err := s.pool.Acquire(ctx)
	if err != nil {
		return nil, unavailable(err)
	}
	return arrowsql.QueryPostgres(ctx, c.Value, q, args, opts, func(broken bool) {
		s.pool.Release(c, !broken && resetPostgres(c.Value) == nil)
	})
}

// mySource runs queries on a MySQL primary through a pool of its own.
type mySource struct {
	pool   *pool.Pool[*arrowsql.MySQLConn]
	schema string
}

// NewMySQL makes the source of a MySQL/MariaDB database.
func NewMySQL(db config.Database) (Source, error) {
	dial := func(ctx context.Context) (*arrowsql.MySQLConn, error) { return arrowsql.ConnectMySQL(ctx, db.Primary) }
	closeFn := func(c *arrowsql.MySQLConn) { _ = c.Close() }
	ping := func(_ context.Context, c *arrowsql.MySQLConn) error { return c.Ping() }
	s := &mySource{pool: pool.New(poolConfig(db, dial, closeFn, ping)), schema: mysqlDatabase(db.Primary)}
	return s, nil
}

func (s *mySource) Kind() string            { return config.KindMySQL }
func (s *mySource) Dialect() policy.Dialect { return policy.MySQL }
func (s *mySource) DefaultSchema() string   { return s.schema }
func (s *mySource) Close()                  { s.pool.Close() }
func (s *mySource) Query(ctx context.Context, q string, args []any, opts arrowsql.Options) (*arrowsql.Reader, error) {
	c, err := s.pool.Acquire(ctx)
	if err != nil {
		return nil, unavailable(err)
	}
	return arrowsql.QueryMySQL(ctx, c.Value, q, args, opts, func(broken bool) {
		s.pool.Release(c, !broken && resetMySQL(c.Value, s.schema) == nil)
	})
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
	c, err := s.db.Conn(ctx)
	if err != nil {
		return nil, unavailable(err)
	}
	return arrowsql.QuerySQLite(ctx, c, q, args, opts, func(bool) { _ = c.Close() })
}

// mysqlDatabase is the database named in a mysql:// URL.
func mysqlDatabase(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil {
		return ""
	}
	return strings.TrimPrefix(u.Path, "/")
}
