// Package flightsql is Floe's Arrow Flight SQL server.
//
// It serves the Flight SQL RPCs over gRPC (arrow-go's flightsql.BaseServer)
// on top of the data-API Service, so authentication, the policy decision,
// masking, limits and audit are the ones every other front end goes
// through.
//
// Authentication: a client sends HTTP Basic credentials of a gateway user
// on Handshake and receives a bearer token in the "authorization" header
// (and trailer); every other call carries that token. Interceptors check
// the token and put the caller in the call's context.
//
// Databases are catalogs. A statement runs on the database named by the
// x-floe-database call header, else by the "catalog" session option
// (SetSessionOptions; sessions are stateless, kept in a cookie), else on
// the caller's only database.
//
// Statement flow: GetFlightInfo answers with a ticket carrying the
// database and the SQL (nothing runs yet); DoGet decodes it, runs the
// statement through Service.Query and streams record batches from a
// goroutine over a channel, one batch in flight, so memory stays at
// about one batch per stream. Cancelling the call's context (the client
// going away) stops the statement on the database. Prepared statements
// are checked when created (Service.Prepare: the decision, no limits)
// and kept per user in memory (at most 256 per user, oldest dropped)
// with the parameter rows bound by DoPut; each parameter row runs the
// statement once through Service.Query (decided again, then limits) and
// the results stream as one. Every statement's lifecycle (limits,
// statistics, audit, metrics) is the statement pipeline's
// (internal/stmt), through the Service. Metadata calls
// (GetCatalogs, GetDbSchemas, GetTables with schemas, GetTableTypes,
// GetPrimaryKeys, GetSqlInfo) run catalogue queries of the gateway's own
// (dataapi.Catalog.Rows: from the database's metadata cache while it has
// one) and list only what the caller's policy lets them read, checked
// after the cache on every call.
//
// Errors map to gRPC status codes (Unauthenticated, PermissionDenied,
// NotFound, InvalidArgument, ResourceExhausted, DeadlineExceeded,
// Unavailable) with the SQLSTATE in the message. Errors of the catalogue
// queries are translated as statements' are (dataapi.FromBackend): a
// database that cannot be reached is Unavailable, and no message names a
// backend host, login or database.
package flightsql
