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
// PostgreSQL's $n placeholders are rewritten to SQLite's ?n so that
// parameters bind by number whatever their order in the text.
//
// The Engine is the backend.Database of an SQLite database (database.go):
// it serves both protocols; an embedded file has no servers, pools,
// breakers or passwords, so those methods do nothing, and Retire closes
// at once (the engine does not count its sessions).
package sqlite
