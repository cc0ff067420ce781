// Package backend names what the gateway keeps for each logical database:
// a Database, the one value that serves the database's client sessions on
// every protocol and that a reload reconciles with the new configuration.
//
// Three packages implement it: pgrelay (PostgreSQL servers, relayed),
// myrelay (MySQL and MariaDB servers, relayed) and sqlite/sqlitedb (an
// embedded database file, run by the engine in package sqlite behind its
// front ends pgfront and myfront). Package app keeps one map from
// database name to Database; it opens a Database per kind in one factory
// and otherwise deals only in this interface.
//
// The life of a Database:
//
//   - Opened from a config.Database (nothing is dialled until a client
//     comes or the pool's MinIdle asks for it).
//   - Apply gives it the settings sessions read when they start (where
//     the policy in force is found, the routing settings, the MySQL
//     front end's LOAD DATA LOCAL switch, the TLS key-exchange groups of
//     backend connections dialled from then on, see WithGroups); every
//     build of the gateway's state applies them again.
//   - SetTopology hands it the health checker's view of its servers;
//     ServerWentDown and ServerCameUp come from the checker's goroutine
//     when a server changes state; BreakerState and PoolStats answer the
//     admin API.
//   - A reload reconciles it with the new settings of the same name
//     (Reconcile): kept as it is (SameBackend), given new pool settings
//     (SameDSN, Reconfigure), given rotated passwords (SameServers,
//     Rekey), or replaced by a new one.
//   - A Database a reload replaces is retired (Retire): its sessions end
//     on it and it closes after the last one. Close closes at once (a
//     failed build, the gateway's shutdown).
//
// Handlers: Postgres and MySQL return the handler that serves the
// database to clients of each protocol, or nil when the database is not
// served over that protocol (a MySQL database to PostgreSQL clients); the
// app then answers such clients itself.
//
// Concurrency: every method may be called while the database's sessions
// run and the health checker reports; the reconcile methods
// (Reconfigure, Rekey, Apply) are called by one reload at a time.
package backend
