package backend

import (
	"crypto/tls"

	"github.com/floe-db/floe/internal/config"
	"github.com/floe-db/floe/internal/policy"
	"github.com/floe-db/floe/internal/pool"
	"github.com/floe-db/floe/internal/route"
	"github.com/floe-db/floe/internal/stmt"
	"github.com/floe-db/floe/internal/wire/mysqlwire"
	"github.com/floe-db/floe/internal/wire/pgwire"
)

// Database serves one logical database: its client sessions on each
// protocol, its backend servers and pools, and what the reload, the
// health checks and the admin API need from it.
type Database interface {
	// Postgres is the handler for PostgreSQL-protocol clients; nil when
	// the database is not served over that protocol.
	Postgres() pgwire.Handler
	// MySQL is the handler for MySQL-protocol clients; nil when the
	// database is not served over that protocol.
	MySQL() mysqlwire.Handler

	// SameBackend reports whether db is served by this Database as it
	// is: same kind, servers, logins and pool settings.
	SameBackend(db config.Database) bool
	// SameDSN reports whether db names the same servers with the same
	// logins (pool settings may differ: Reconfigure).
	SameDSN(db config.Database) bool
	// SameServers reports whether db names the same servers and logins
	// with at most other passwords (Rekey).
	SameServers(db config.Database) bool
	// Reconfigure applies new pool settings for the same servers: new
	// pools serve new acquisitions, the old ones drain.
	Reconfigure(pc config.Pool)
	// Rekey takes db's rotated passwords and pool settings: new backend
	// connections log in with them, old ones drain, sessions stay.
	Rekey(db config.Database) error
	// Apply sets what sessions that start from now on read.
	Apply(s Settings)

	// SetTopology sets where the Database finds its servers as the
	// health checks last saw them (primary first, then the replicas).
	SetTopology(f func() []route.Backend)
	// ServerWentDown closes the idle connections to a server the health
	// checks found down.
	ServerWentDown(name string)
	// ServerCameUp closes the circuit breaker of a server the health
	// checks found up again.
	ServerCameUp(name string)
	// BreakerState is the circuit breaker state of the named server
	// (closed, open, half-open; "" without one).
	BreakerState(name string) string
	// PoolStats returns the pool counters of every server (none without
	// backend pools).
	PoolStats() []pool.ServerStats

	// Retire closes the Database once its client sessions have ended: a
	// reload that replaces it lets the sessions that began on it go on.
	Retire()
	// Close closes it now; connections in use close as sessions end.
	// Closing twice is harmless.
	Close()
}

// Settings are what a configuration gives a database's sessions beside
// its servers and pools. Apply takes them on every build of the
// gateway's state, whether the Database is new or kept.
type Settings struct {
	// Policy is where sessions that start find the policy in force.
	Policy policy.Source
	// Routing is the read/write routing (nil or Split false: everything
	// on the primary).
	Routing *route.Policy
	// LocalInfile lets a MySQL client's LOAD DATA LOCAL INFILE through
	// (the server then reads a file from the client).
	LocalInfile bool
	// Stages are the statement-pipeline stages every path of the
	// database runs after the built-in ones (stmt.Pipeline.SetStages).
	Stages []stmt.Stage
	// TLSGroups are the key-exchange groups backend connections dialled
	// from now on offer over TLS (tls.groups); nil: crypto/tls's
	// default, post-quantum first. Connections without TLS ignore them.
	TLSGroups []tls.CurveID
}

// Reconcile makes the Database that serves db after a reload: cur (the
// running one of that name, or nil) when db leaves its backend as it is,
// given new pool settings or rotated passwords; otherwise a new one from
// open. The caller retires cur when the result is not cur.
func Reconcile(cur Database, db config.Database, open func() (Database, error)) (Database, error) {
	switch {
	case cur == nil:
	case cur.SameBackend(db):
		return cur, nil
	case cur.SameDSN(db):
		cur.Reconfigure(db.Pool)
		return cur, nil
	case cur.SameServers(db):
		if err := cur.Rekey(db); err != nil {
			return nil, err
		}
		return cur, nil
	}
	return open()
}

// MetadataCache is implemented by a Database that keeps catalogue
// metadata of its own (the PostgreSQL relay's table and column names for
// masking). The gateway calls InvalidateMetadata on every schema change
// it sees, through it or from the database's change stream; tables are
// names or schema.names, none meaning every table.
type MetadataCache interface {
	InvalidateMetadata(tables []string)
}
