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
// databases are closed.
//
// Shutdown: listeners close, every session ends at its next transaction
// boundary (57P01), and after shutdown.timeout the remaining connections
// are cut.
package app
