// Package myfront is the MySQL front end of the embedded SQLite engine
// (internal/backend/sqlite): the mysqlwire.Handler that serves an
// engine's database to MySQL clients. It owns the protocol work: the
// command loop (COM_QUERY, COM_STMT_PREPARE/EXECUTE/SEND_LONG_DATA/
// RESET/CLOSE, COM_FIELD_LIST, COM_INIT_DB, COM_SET_OPTION, COM_PING,
// COM_RESET_CONNECTION, KILL), the session statements SQLite has no
// syntax for, answered from the engine's parse (local.go: SET with its
// system and user variables, SHOW and DESCRIBE read from SQLite's schema
// and pragmas (tableinfo.go) and filtered by SQLite for LIKE/WHERE, USE,
// SQL PREPARE/EXECUTE/DEALLOCATE), autocommit=0's implicit transactions,
// the session values translated statements bind (DATABASE(), USER(),
// @@variables), column definitions from the engine's column types, text
// and binary rows (DECIMAL with its scale), parameters decoded for SQLite,
// and ERR packets through mysqlwire.ErrorOf.
//
// A connection's life: Serve (on the connection's goroutine, as
// mysqlwire's server calls it) opens an engine session (its own
// *sql.Conn and pipeline session) and reads commands until COM_QUIT or a
// connection error; every command is handled on that goroutine, and an
// open transaction is rolled back at the end. The canceller the
// connection registers (KILL QUERY) cancels the statement under way.
//
// Statement lifecycle: a COM_QUERY is started with Session.Start; a
// COM_STMT_PREPARE, and the text of a SQL PREPARE, is checked with
// Session.Check and its COM_STMT_EXECUTE begun with Session.Begin (a SQL
// EXECUTE runs within the EXECUTE statement). The session reports every
// row it sends, the rows a write affected and a new result per statement
// of a multi-statement text, and ends the statement with
// Statement.Finish under the SQLSTATE of the ERR packet, a denial's own,
// or 57014 for an interrupted statement.
//
// Result cache (cache.go; docs/PROTOCOLS.md): when the pipeline's cache
// stage offers a statement (Statement.Cache), a COM_QUERY (text rows) or
// COM_STMT_EXECUTE (binary rows) is answered from the stored result set,
// in package wirefmt's encoding that the MySQL relay uses too, with the
// session's status flags; on a miss the single result set written is
// recorded. The key variant holds the execution's parameters and the
// session's system variables.
package myfront
