// Package dataapi is the HTTP query API and the query service it shares
// with the Flight SQL server.
//
// Service owns the protocol side of one data-API statement:
// authentication (a gateway user's password, HTTP Basic or the Flight SQL
// handshake, or a bearer token it issued; the network rules screen the
// user a caller names, or a token claims, before its password or the
// token's signature is checked, and an OpenID Connect user once its
// token is verified; a client certificate verified by the TLS handshake
// identifies a user with auth: certificate, and users who need one must
// present it whatever the credential — package tlsauth decides), the
// connect-time policy
// (grants, connection limits), the refusal of session statements, and
// the run itself through a Source, which streams the result as Arrow
// record batches (package arrowsql) with masked columns masked.
//
// The statement's lifecycle is the statement pipeline's (internal/stmt),
// the same as on the wire paths: each request opens a session on its
// database's Pipeline (the backend's, from Gateway.Pipeline, so the
// analysis cache and stages are shared with the wire path; else one the
// Service keeps per database and dialect). Query calls Session.Start
// (analysis, decision, then rate/concurrency/timeout limits, then the
// stages), runs Statement.SQL (row filters added), counts each row
// against the result bounds (Statement.Row) and, at Result.Close, adds
// the rows delivered and calls Statement.Finish: statement statistics
// (/api/v1/queries), the audit result record, floe_queries_total and
// the latency histogram. Prepare (Flight SQL prepared statements) is
// Session.Check alone; each run of the prepared text is a Query, decided
// again. On a database with a result cache (a stage, package cache) the
// statement's Cache decides before the source runs (cache.go): a hit is
// replayed from its stored Arrow IPC stream; a miss the stage lets fill
// is copied, batch by batch, into its recorder as it streams. The
// variant is "arrow" with the parameter values, so HTTP (any response
// format) and Flight SQL share entries; the verdict goes out as the
// Floe-Cache header (floe-cache metadata on Flight SQL).
// Catalogue listings (Catalog) ask the session's gate, via
// "metadata", without running or counting anything. Their queries'
// answers (Catalog.Rows) are kept per database and source for the
// database's cache.metadata_ttl (Service.MetadataTTL; metacache.go) and
// dropped on every schema change the gateway sees
// (Service.InvalidateMetadata); the caller's filter runs after the cache. The context given to
// Session.Start carries the caller's W3C trace context (package
// tracing: the HTTP handler reads the traceparent header, Query the
// gRPC metadata of a Flight SQL call), and the one given to the Source
// carries the statement (withStatement): the source marks it Acquired
// with the server's host:port once its pooled connection is in hand, and
// Responded when the query returns with the server's first answer.
//
// Sources are the engine path of each configured database: pools of
// PostgreSQL or MySQL connections of the data API's own, or the embedded
// SQLite database. A PostgreSQL or MySQL source (source.go) runs on the
// database's wire relay's backend through the Servers it is given (the
// relay's cluster.Placer): it keeps one pool per server (sized by the
// database's pool settings; app makes one source per backend login, and
// for a login leased from Vault rebuilds it with the lease's credentials
// when they rotate, retiring the old one: Close closes its idle
// connections and the busy ones as they are returned, Conns counts what
// is left) and
// asks, for each statement, where it runs — a replica for a read-only
// statement when the routing settings split reads, else the server the
// health checks last saw as the healthy primary (none: 503 unavailable
// at once, after routing.failover_wait). Its connections are dialled
// through the relay's connect guard (timeout, retries, circuit breaker,
// shared with the wire sessions). An idle connection the server closed is
// noticed by a non-blocking peek before it is handed out and replaced; a
// statement whose connection broke under it runs once more on a fresh
// connection when it is read-only or never reached the server. A request
// is one statement without a session: statements that change session
// state are refused before the policy sees them (sessionstate.go), and
// every pooled connection is reset when it goes back to its pool
// (reset.go: DISCARD ALL, COM_RESET_CONNECTION), so nothing one caller
// leaves on a connection reaches the next. Only application/json bodies
// run over HTTP, and a bearer token cannot mint another (httpguard.go).
//
// The HTTP handler (Handler) serves POST /v1/query, GET /v1/databases
// and POST /v1/token. Each request runs on its own goroutine (net/http);
// a result streams batch by batch to the client in the format asked for
// (JSON, NDJSON, CSV, Arrow IPC stream, Parquet) with chunked transfer,
// so memory stays at about one batch per request. A client that goes
// away cancels the request context, which stops the statement on the
// database. Failures are classified once (errors.go): policy denials by
// rule, server errors by SQLSTATE (a MySQL server's number by the SQLSTATE
// it stands for in sqlerr's table), and a database that cannot be reached
// or lost the connection under the statement is 503 "unavailable" with a
// message that names no backend host, login or database — checked before
// a connect error's server message is looked at, since that names them.
// Errors before the first byte are JSON bodies with an HTTP
// status; errors after it are reported in the Floe-Status/Floe-Error
// trailers (and a last NDJSON line), and the body is left incomplete in
// the format's terms.
//
// GET /v1/advice (advice.go) gives the authenticated user the index
// advice of a Gateway that is also an Advisor, cut to the statement
// shapes that user may run.
package dataapi
