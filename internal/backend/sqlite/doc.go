// Package sqlite is the engine core for embedded SQLite databases
// (modernc.org/sqlite, pure Go): it opens the database, gives each
// client session its connection and its session of the statement
// pipeline, runs statements through database/sql and describes their
// results in neutral terms. It speaks no protocol: the front ends
// (pgfront for PostgreSQL clients, myfront for MySQL clients) do the
// message loops and the encoding, and sqlitedb serves the two as the
// database's backend.Database. It imports no wire package (a test checks
// that, and the same of internal/policy).
//
// Data flow: a front end's Serve calls Engine.Connect, which takes a
// *sql.Conn for the session's whole life (so BEGIN/COMMIT and temporary
// tables behave as in SQLite) and opens a session on the engine's
// statement pipeline for the front end's dialect (internal/stmt; the
// Engine holds one per dialect, so each keeps its own analyses). The
// front end then starts, checks and begins statements on
// Session.Statements, turns the text into SQLite statements
// (PGStatements, MyStatements: sqltext.go, kept with the text's analysis
// in analysis.SlotEngine, so a text seen before is not read again; $n
// placeholders become ?n so that parameters bind by number), and runs
// each: Session.Query or OpenCursor for a statement that returns rows,
// the session's connection for the others. Session.Run gives a
// statement the context that Session.Cancel (a CancelRequest, a KILL
// QUERY) cancels. The transaction state each protocol shows (PostgreSQL's
// I/T/E with its aborted transactions, MySQL's in-transaction flag) is
// kept by its front end from Statement.Tx.
//
// The database is opened in WAL mode with a busy timeout so that
// sessions can read while one writes.
//
// Types (types.go): a Cursor settles each result column's Type from
// SQLite's declared type, else from the first row's value (read ahead
// and handed out first by Cursor.Next); the front ends map a Type to
// their protocol's types (a PostgreSQL OID, a MySQL column type) and
// encode values with AppendText and Convert.
//
// SQLite must read a text as the policy's parser did. PostgreSQL-dialect
// texts SQLite would read otherwise (nested block comments, E'…' strings
// with backslashes) are refused (CheckPGText, also used by the data API's
// SQLite source).
//
// MySQL dialect (translate_my*.go, funcs_my.go): MyStatements parses the
// text with the policy's parser (sqlparse.MySQLNodes: the TiDB parser,
// comments read as the server reads them), rewrites each statement's tree
// with an ast.Visitor into nodes that print SQLite forms (functions,
// operators, literals, casts, GROUP_CONCAT, INSERT … ON DUPLICATE KEY,
// CREATE TABLE) and restores it: SQLite runs the tables the policy read.
// Values that belong to the session (DATABASE(), USER(), @@variables,
// @user variables) are printed as parameters after the client's own and
// listed in MyStatement.Values for the front end to bind; session
// statements (SET, SHOW, DESCRIBE, USE, PREPARE/EXECUTE) are left to the
// front end as MyStatement.Local; what cannot be translated carries a
// 0A000 error naming the construct (MyStatement.Err). MySQL functions
// SQLite lacks are Go functions registered once, before the first
// connection, under floe_my_* names (registerMySQLFunctions). A text the
// parser cannot read is split by the lexer as before, its string literals
// written in SQLite's form (mysqlLiterals).
//
// Masking (mask.go): SQLite reports the table and column each result
// column comes from; Cursor.Next replaces masked values by their masked
// text (or NULL) before any front end encodes them, and a masked column
// is described as text.
//
// Errors: SQLError maps SQLite errors to *sqlerr.Error with the SQLSTATE
// PostgreSQL would report (Translate does it for the data APIs); the
// PostgreSQL front end sends the SQLSTATE, the MySQL one the number
// sqlerr's table gives it. The engine builds no wire errors.
package sqlite
