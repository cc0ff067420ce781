package sqlitedb

import (
	"context"
	"log/slog"

	"github.com/floe-db/floe/internal/backend"
	"github.com/floe-db/floe/internal/backend/sqlite"
	"github.com/floe-db/floe/internal/backend/sqlite/myfront"
	"github.com/floe-db/floe/internal/backend/sqlite/pgfront"
	"github.com/floe-db/floe/internal/config"
	"github.com/floe-db/floe/internal/observe"
	"github.com/floe-db/floe/internal/pool"
	"github.com/floe-db/floe/internal/route"
	"github.com/floe-db/floe/internal/wire/mysqlwire"
	"github.com/floe-db/floe/internal/wire/pgwire"
)

// Database is an SQLite database as a backend.Database: the engine and
// its two front ends. An embedded file has no servers, no logins, no
// replicas and no backend pool, so what concerns those has nothing to do
// here.
type Database struct {
	e  *sqlite.Engine
	pg *pgfront.Handler
	my *myfront.Handler
}

var _ backend.Database = (*Database)(nil)

// Open opens (creating if needed) the database file at path
// (sqlite.Open) and its front ends.
func Open(ctx context.Context, name, path string, log *slog.Logger, m *observe.Metrics) (*Database, error) {
	e, err := sqlite.Open(ctx, name, path, log, m)
	if err != nil {
		return nil, err
	}
	return New(e), nil
}

// New serves the open engine e.
func New(e *sqlite.Engine) *Database {
	return &Database{e: e, pg: pgfront.New(e), my: myfront.New(e)}
}

// Engine is the database's engine (its *sql.DB for the data APIs and
// the demo's seeding).
func (d *Database) Engine() *sqlite.Engine { return d.e }

// Postgres returns the PostgreSQL front end.
func (d *Database) Postgres() pgwire.Handler { return d.pg }

// MySQL returns the MySQL front end.
func (d *Database) MySQL() mysqlwire.Handler { return d.my }

// SameBackend reports whether db is this engine's file.
func (d *Database) SameBackend(db config.Database) bool {
	return db.Kind == config.KindSQLite && db.Path == d.e.Path()
}

// SameDSN is SameBackend: a file has no pool settings of its own.
func (d *Database) SameDSN(db config.Database) bool { return d.SameBackend(db) }

// SameServers is SameBackend: a file has no passwords to rotate.
func (d *Database) SameServers(db config.Database) bool { return d.SameBackend(db) }

// Reconfigure does nothing: the engine has no backend pool.
func (d *Database) Reconfigure(config.Pool) {}

// Rekey does nothing: a file has no backend login.
func (d *Database) Rekey(config.Database) error { return nil }

// Apply sets the policy source sessions starting from now on use. A file
// has no replicas to route to, and SQLite has no LOAD DATA statement.
func (d *Database) Apply(s backend.Settings) {
	d.e.SetPolicy(s.Policy)
	d.e.SetStages(s.Stages)
}

// SetTopology does nothing: a file has no servers to check.
func (d *Database) SetTopology(func() []route.Backend) {}

// ServerWentDown does nothing: a file has no servers.
func (d *Database) ServerWentDown(string) {}

// ServerCameUp does nothing: a file has no servers.
func (d *Database) ServerCameUp(string) {}

// BreakerState is "": a file has no circuit breaker.
func (d *Database) BreakerState(string) string { return "" }

// PoolStats returns nothing: the engine has no backend pool.
func (d *Database) PoolStats() []pool.ServerStats { return nil }

// Retire closes the engine at once: it does not count its sessions, and
// those still on it fail their next statement.
func (d *Database) Retire() { d.e.Close() }

// Close closes the engine. Closing twice is harmless.
func (d *Database) Close() { d.e.Close() }
