package sqlite

import (
	"github.com/floe-db/floe/internal/backend"
	"github.com/floe-db/floe/internal/config"
	"github.com/floe-db/floe/internal/pool"
	"github.com/floe-db/floe/internal/route"
	"github.com/floe-db/floe/internal/wire/pgwire"
)

// The engine as a backend.Database: an embedded file has no servers, no
// logins, no replicas and no backend pool, so what concerns those has
// nothing to do here.

var _ backend.Database = (*Engine)(nil)

// Postgres returns the engine: it serves PostgreSQL clients (and MySQL
// clients through MySQL).
func (e *Engine) Postgres() pgwire.Handler { return e }

// SameBackend reports whether db is this engine's file.
func (e *Engine) SameBackend(db config.Database) bool {
	return db.Kind == config.KindSQLite && db.Path == e.path
}

// SameDSN is SameBackend: a file has no pool settings of its own.
func (e *Engine) SameDSN(db config.Database) bool { return e.SameBackend(db) }

// SameServers is SameBackend: a file has no passwords to rotate.
func (e *Engine) SameServers(db config.Database) bool { return e.SameBackend(db) }

// Reconfigure does nothing: the engine has no backend pool.
func (e *Engine) Reconfigure(config.Pool) {}

// Rekey does nothing: a file has no backend login.
func (e *Engine) Rekey(config.Database) error { return nil }

// Apply sets the policy source sessions starting from now on use. A file
// has no replicas to route to, and SQLite has no LOAD DATA statement.
func (e *Engine) Apply(s backend.Settings) { e.SetPolicy(s.Policy) }

// SetTopology does nothing: a file has no servers to check.
func (e *Engine) SetTopology(func() []route.Backend) {}

// ServerWentDown does nothing: a file has no servers.
func (e *Engine) ServerWentDown(string) {}

// ServerCameUp does nothing: a file has no servers.
func (e *Engine) ServerCameUp(string) {}

// BreakerState is "": a file has no circuit breaker.
func (e *Engine) BreakerState(string) string { return "" }

// PoolStats returns nothing: the engine has no backend pool.
func (e *Engine) PoolStats() []pool.ServerStats { return nil }

// Retire closes the engine at once: it does not count its sessions, and
// those still on it fail their next statement.
func (e *Engine) Retire() { e.Close() }
