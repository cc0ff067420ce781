// Package app wires the gateway together and runs its lifecycle.
//
// The configuration file is always read with LoadOptions (check.go):
// at start-up, on reload and by `floe config check`, so StartupChecks —
// what the file names beyond itself: verifiers, row filters, the
// allow-list, the directories files are written to — holds a file the
// check passes to one the gateway starts with.
//
// Run loads the configuration (or the demo configuration), builds the
// user store and one backend.Database per logical database (a
// pgrelay.Relay for PostgreSQL, a myrelay.Relay for MySQL, a
// sqlitedb.Database for SQLite: openDatabase in databases.go is the one
// place that knows which kind is served by which package), starts the
// listeners and then waits for signals: SIGHUP reloads, SIGTERM and
// SIGINT drain and shut down. The app keeps one map from database name
// to backend.Database and otherwise deals only in that interface: the
// handlers each protocol's clients reach, the health checkers' topology
// and server changes, the breaker states and pool counters the admin API
// shows.
//
// A reload builds a new immutable state (users, databases, handlers) and
// swaps it in atomically: new connections see it at once, connected
// clients keep their session. TLS settings (certificate, client CAs,
// CRLs: one tlsauth.Manager whose per-listener tls.Configs read the
// settings in force at each handshake) are read before the state is
// built and put in force with it; mtls.go audits refused client
// certificates and decides the certificate step of wire logins. Each running database is reconciled with
// its new settings (backend.Reconcile): kept while its backend is
// unchanged, given new pool settings (a new pool, the old one drains),
// rekeyed when its DSNs changed only in their passwords (new backend
// connections use the new password), opened anew otherwise; every kept
// or new database then takes the settings of the build (Apply: policy
// source, routing, LOAD DATA LOCAL). A database the reload replaces or
// removes is retired, not closed: its sessions end on it (an SQLite
// engine, which does not count its sessions, closes at once).
//
// Network rules: every client listener is wrapped in accept.Screen,
// whose check (screenAccept, policy.go) asks the policy in force at each
// accept and gives the refusal bytes of the listener's protocol; the
// wire front ends' Screen hooks and the data APIs' logins screen the
// user and database before any password, admit screens at connect, and
// the policy's Check at every statement.
//
// Tracing (tracing.go): with tracing: enabled the build adds the trace
// stage of the tracer provider in force (package tracing) to every
// database's stages (stagesFor); a build whose tracing: differs from the
// running one makes a new provider, put in force with the state, and the
// one it replaces exports what it holds and stops on a goroutine of its
// own. closeAll stops the last one at shutdown, after a last export.
//
// Listeners (services.go) are services with Serve, Drain, Wait and
// Close, listed in stages (services): the PostgreSQL and MySQL front
// ends, then the HTTP data API, Flight SQL and the admin API. One loop
// starts them (a listener that cannot bind stops the ones already
// serving) and one stops them stage by stage.
//
// Reloads come from SIGHUP, from the admin API (POST /api/v1/reload),
// from the file watcher (reload.watch) and from the periodic read of
// secrets (secrets.refresh, applied only when something changed); one
// runs at a time. With a shared store (store:), the running state is the
// file's configuration with the store's users, roles and rule lists
// added (config.WithOverlay); a goroutine watches the store and applies
// each new document, and the admin API's edits write to the store and
// apply at once. Goroutines besides the listeners': the store watcher,
// the file watcher, the health checkers (one per server), and while
// shutting down one per HTTP or gRPC service for its graceful stop.
//
// Backend logins: building a state provisions the logins of databases
// with provision: true (package provision) before their relays serve;
// admission refuses users whose roles map no login; the data APIs take
// the source of the caller's login (sources.go, one pool per server and
// login, placed through the database's relay: DataServers). Logins
// leased from Vault (identities[].vault; leases.go): building a state
// keeps the running lease of each database and engine role, opens the
// new ones (reading credentials; a failure refuses the configuration)
// and hands them to the relays and the data-API sources; a committed
// state revokes the leases no database uses any more, and closeAll
// revokes every one after the relays close. Each lease runs one goroutine
// (renewal and rotation) and one per rotation while the old login drains.
// The data-API source of a leased login (leasedsource.go) asks the lease
// for its credentials at every statement (none valid: refused with 503)
// and, when they change or the lease rotates or expires (its Drain runs
// on the lease's goroutine), retires its pools for a source logged in
// with the new ones; the lease revokes the old login once the retired
// pools' connections are closed. /readyz and GET /api/v1/leases show the
// leases' state; lease events go to the audit log.
//
// The admin API sees the app through adminGateway (admin.go, store.go):
// sessions from the wire servers' registries, pools and breakers from
// the databases, denials and statement statistics from observe, slow
// statements from the insight.Book (slow.go: each database with a slow
// threshold gets an insight.Stage over its Log in backend.Settings.Stages,
// the relay as its plan Explainer; the Book outlives reloads).
// the databases, denials and statement statistics from observe. Index
// advice (advice.go): the App's advise.Advisor reads each PostgreSQL and
// MySQL database's shapes from the statement statistics with the
// database's advice settings (config.AdviceFor) on a planner session of
// its own (the primary's login); a user's view (admin ?user=, the data
// API's GET /v1/advice) keeps the databases the user may open and the
// shapes the policy lets the user run (policy.Permits, which records
// nothing).
//
// Shutdown, stage by stage: the wire front ends stop accepting and every
// session ends at its next transaction boundary (57P01); after
// shutdown.timeout the remaining connections are cut. The HTTP data API
// then gets 5s to answer the requests under way (their contexts are cut
// after that), Flight SQL 5s for its streams, and the admin API, which
// answers /readyz with "draining" meanwhile, 2s.
//
// Metadata (metadata.go): InvalidateMetadata drops what the gateway keeps
// of a database's catalogue — its backend's own metadata (a
// backend.MetadataCache: the PostgreSQL relay's masking catalog) and the
// data APIs' catalogue listings. A stage of every database's pipeline,
// just before the result cache's (metadataStage), calls it on each schema change run
// through the gateway; cdcEvent on each ddl or truncate event.
package app
