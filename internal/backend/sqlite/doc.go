// Package sqlite is the engine backend for embedded SQLite databases
// (modernc.org/sqlite, pure Go): it serves PostgreSQL-protocol sessions
// (session.go) and MySQL-protocol sessions (mysql.go) by running their
// statements through database/sql and encoding the rows in the client's
// format, text or binary, with PostgreSQL type OIDs derived from SQLite's
// declared column types.
//
// Each client session gets its own *sql.Conn for its whole life, so
// BEGIN/COMMIT and temporary tables behave as in SQLite. The database is
// opened in WAL mode with a busy timeout so that sessions can read while
// one writes. Prepared statements and portals live in the session; a
// portal executed with a row limit keeps its cursor open between Execute
// messages (PortalSuspended) until the transaction ends or it is closed.
//
// Statement lifecycle: each front end's sessions open a session on the
// engine's statement pipeline for their dialect (internal/stmt; the
// Engine holds one per dialect, so each keeps its own analyses). A
// simple query or COM_QUERY is started with Session.Start (decision,
// then limits, then stages); a Parse or COM_STMT_PREPARE is checked
// with Session.Check and its Execute or COM_STMT_EXECUTE begun with
// Session.Begin (each Execute of a suspended portal is a statement of its
// own). While a statement runs the session reports every row
// it sends (Statement.Row: result bounds; AddRows: rows returned), the
// rows a write affected, a new result per statement of a multi-statement
// text, and ends it with Statement.Finish under its error's SQLSTATE
// (on the MySQL side the SQLSTATE of the ERR packet, a denial's own, or
// 57014 for an interrupted statement). Statistics, query counters and
// the audit's result record are the pipeline's. The split of a text into
// SQLite statements (sqltext.go) is kept with the text's analysis
// (analysis.SlotEngine), so a text seen before is not lexed again. SQLite
// must read a text as the policy's parser did: MySQL-dialect texts have
// their string literals written again in SQLite's form (mysqlLiterals),
// PostgreSQL-dialect texts SQLite would read otherwise (nested block
// comments, E'…' strings with backslashes) are refused (CheckPGText, also
// used by the data API's SQLite source).
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
//
// The Engine is the backend.Database of an SQLite database (database.go):
// it serves both protocols; an embedded file has no servers, pools,
// breakers or passwords, so those methods do nothing, and Retire closes
// at once (the engine does not count its sessions).
package sqlite
