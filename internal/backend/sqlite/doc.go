// Package sqlite is the engine backend for embedded SQLite databases
// (modernc.org/sqlite, pure Go): it serves PostgreSQL-protocol sessions by
// running their statements through database/sql and encoding the rows in
// the client's format, text or binary, with PostgreSQL type OIDs derived
// from SQLite's declared column types.
//
// Each client session gets its own *sql.Conn for its whole life, so
// BEGIN/COMMIT and temporary tables behave as in SQLite. The database is
// opened in WAL mode with a busy timeout so that sessions can read while
// one writes. Prepared statements and portals live in the session; a
// portal executed with a row limit keeps its cursor open between Execute
// messages (PortalSuspended) until the transaction ends or it is closed.
//
// Masking (mask.go): SQLite reports the table and column each result
// column comes from; masked values are replaced before they are encoded
// for either front end.
//
// Errors: SQLite errors become *sqlerr.Error with the SQLSTATE PostgreSQL
// would report (translate, and Translate for the data APIs); the
// PostgreSQL front end sends the SQLSTATE, the MySQL one the number
// sqlerr's table gives it. The engine code builds no wire errors of its
// own for them.
//
// PostgreSQL's $n placeholders are rewritten to SQLite's ?n so that
// parameters bind by number whatever their order in the text.
package sqlite
