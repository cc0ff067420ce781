// Package app wires the gateway together and runs its lifecycle.
//
// Run loads the configuration (or the demo configuration), builds the
// user store and one handler per logical database (a pgrelay.Relay for
// PostgreSQL, a sqlite.Engine for SQLite), starts the listeners and then
// waits for signals: SIGHUP reloads, SIGTERM and SIGINT drain and shut
// down. A reload builds a new immutable state (users, handlers) and swaps
// it in atomically: new connections see it at once, connected clients
// keep their session; relays whose backend is unchanged keep their pools
// (pool settings are applied by swapping in a new pool), removed
// databases are closed. A database whose DSNs changed only in their
// passwords keeps its relay (Rekey): new backend connections use the new
// password.
//
// Reloads come from SIGHUP, from the admin API (POST /api/v1/reload),
// from the file watcher (reload.watch) and from the periodic read of
// secrets (secrets.refresh, applied only when something changed); one
// runs at a time. With a shared store (store:), the running state is the
// file's configuration with the store's users, roles and rule lists
// added (config.WithOverlay); a goroutine watches the store and applies
// each new document, and the admin API's edits write to the store and
// apply at once. Goroutines besides the listeners': the store watcher,
// the file watcher, the health checkers (one per server).
//
// Backend logins: building a state provisions the logins of databases
// with provision: true (package provision) before their relays serve;
// admission refuses users whose roles map no login; the data APIs take
// the source of the caller's login (sources.go, one pool per server and
// login, placed through the database's relay: DataServers). A
// relay that a reload replaces is retired, not closed: its sessions end
// on it.
//
// The admin API sees the app through adminGateway (admin.go, store.go):
// sessions from the wire servers' registries, pools and breakers from
// the relays, denials and statement statistics from observe.
//
// Shutdown: listeners close, every session ends at its next transaction
// boundary (57P01), and after shutdown.timeout the remaining connections
// are cut.
package app
