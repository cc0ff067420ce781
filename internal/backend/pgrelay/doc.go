// Package pgrelay relays PostgreSQL-protocol client sessions onto pooled
// connections to a PostgreSQL server (the "relay" path of the design):
// messages are decoded, tracked and forwarded; results stream back message
// by message.
//
// A Relay serves one logical database. It owns a pool.Pool of backend
// connections per server (the primary and each replica), opened with
// pgconn (which handles the server's TLS and authentication with the
// DSN's credentials) and then hijacked, so that the relay speaks pgproto3
// on the raw socket. Sessions take connections from the server writes go
// to: the configured primary until the health checks (SetTopology) see
// it down and another server turn primary; with no healthy primary,
// acquiring fails at once with 08006. With the read/write split on
// (split.go), a batch that starts outside a transaction with a read-only
// statement attaches to a replica chosen by package route instead; a
// write later in such a batch is refused with 25006.
//
// Backend logins (identity.go, cluster.Logins): a database may map
// gateway roles to backend logins of their own; each server then has a
// pool per login, a session takes connections only from its login's
// pools, and a connection taken by another gateway user's session is
// reset (DISCARD ALL) before that user's statements run. A login leased
// from Vault (package leases) takes its user and password from its lease
// at each dial; when the lease rotates, rotateLogin gives the login new
// pools on every server and closes the old ones (idle connections at
// once, busy ones as sessions give them back), and reports to the lease
// when they are empty so that it can revoke the old login. A relay that a
// reload replaces (Retire) serves the sessions that began on it until the
// last one ends, then closes.
//
// A session (one per client, on the client's goroutine; session.go)
// holds a backend connection only while it needs one (attach.go): for its
// whole life in session mode or once pinned, for a transaction in
// transaction mode, for a statement in statement mode. Every message
// forwarded to the backend is remembered as a pending op — the response
// it is owed (queue.go) — and responses are matched against that queue,
// which is what lets the session re-prepare its statements on another
// connection (prepared.go, extended.go), answer some messages itself, and
// notice a backend that sends what it should not. See exchange.go.
//
// Statement lifecycle (statement.go): the relay does protocol work only;
// the lifecycle is the statement pipeline's (internal/stmt), built once
// per relay and opened once per session. A simple Query — all the
// statements of its text — is one statement: Session.Start decides on it
// and then takes the limits (a denied statement takes none), and its
// Statement.SQL (row filters added) is what is sent. A Parse is decided
// with Session.Check; an extended batch is one statement from its first
// Execute (Session.Begin: limits and stages) to Sync. The statement is
// marked Acquired (with the server's host:port) when the session holds a
// backend connection for it — at once when one is attached already — and
// Responded at the first message of its answer (not ParseComplete,
// BindComplete or notices), which split its time into pool wait, backend
// and streaming. While the answer passes, DataRows are counted against the result bounds
// (Statement.Row), the rows relayed (or a command tag's count) are added
// to the statement, and backend errors are noted with their SQLSTATE
// (Statement.Fail); the ReadyForQuery that ends the answer finishes the
// statement (statistics, audit result, metrics) before the client gets
// it. A denial inside a transaction is still sent to the backend as a
// failing statement, so the transaction aborts as the server would abort
// it (deny.go). The routing class and session effects (pinning, LISTEN,
// DISCARD, DEALLOCATE) come from the text's one analysis
// (internal/analysis), never from a second parse.
//
// Plans (explain.go): the Relay is the insight.Explainer of its
// database. A slow statement's plan is captured on a connection dialled
// for it (never a pooled or client one) as the login the user's roles
// map, read-only and with a statement_timeout, by EXPLAIN (FORMAT JSON)
// in the extended protocol with the values the portal's Bind carried
// (copied at Bind, handed over at the batch's first Execute:
// Statement.SetArgs; only while a stage reads them, Session.WantsArgs).
//
// Masking (mask.go): each RowDescription's table OIDs and attribute
// numbers are resolved to names through a catalogue connection of the
// relay's own (cached per table for a minute at most, dropped by
// InvalidateMetadata on the schema changes the gateway sees), masked columns are described as text, and each
// DataRow's masked values are replaced, text or binary format, by the
// session's rowMasker (a simple Query's plan) or the portal's plan. A result
// can be stopped (masking unresolvable, result-size limit): the client
// gets the error, the statement is cancelled and the rest of the answer is
// dropped until ReadyForQuery.
//
// Result cache (cache.go; docs/PROTOCOLS.md): when the pipeline's cache
// stage offers a statement (Statement.Cache), a single-statement Query or
// the first Execute of a batch is looked up under a stmt.Variant (result
// formats, parameter values, the session settings, or an "untracked"
// marker once the session ran a SET the relay does not follow) and a hit
// is replayed from the stored wire messages with the session's
// transaction status; a miss records the messages the client receives
// (after masks) into the stage's recorder. A Bind sent while no backend
// is attached, for a statement whose last run was offered the cache, is
// held until its Execute, so that a hit needs no backend connection.
//
// Goroutines: besides the client's, a short-lived watcher reads the
// client socket while a statement runs longer than 50 ms (to cancel it if
// the client hangs up), and a session that keeps its backend connection
// (session mode, pinned) reads it while waiting for the client: LISTEN's
// notifications, notices and parameter changes are relayed, and a backend
// that ends (pg_terminate_backend, a restart) sends its FATAL error on and
// ends the client session at once, so that its driver reconnects instead
// of failing its next statement. Both are stopped before the
// session goroutine touches those sockets again. CancelRequests arrive on
// other goroutines and are serialised with attach and release by a mutex.
//
// The Relay is the backend.Database of a PostgreSQL database
// (database.go): it serves PostgreSQL clients only, and Apply sets the
// policy source and routing sessions starting from then on use.
package pgrelay
