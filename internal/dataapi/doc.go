// Package dataapi is the HTTP query API and the query service it shares
// with the Flight SQL server.
//
// Service owns the path of one data-API statement: authentication (a
// gateway user's password, HTTP Basic or the Flight SQL handshake, or a
// bearer token it issued), the connect-time policy (grants, connection
// limits), the statement policy (grants on the parsed SQL, firewall,
// row filters, rate and concurrency limits), and the run itself through a
// Source, which streams the result as Arrow record batches
// (package arrowsql) with masked columns masked and result limits
// counted row by row. Result.Close records the outcome (audit, metrics)
// and gives everything back.
//
// Sources are the engine path of each configured database: a pool of
// PostgreSQL or MySQL connections of the data API's own (sized by the
// database's pool settings), or the embedded SQLite database. A request
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
package dataapi
