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
// Catalog (package catalog): Connect attaches the emulated pg_catalog and
// information_schema of the session's dialect to its connection, empty;
// the front ends call Session.Catalog with each text's analysis before
// running it, which refuses a statement that would change a catalog
// relation and, when one is named, has the catalog built or refreshed
// from the schema first (catalog.go). Open registers the catalog
// functions with the driver before the first connection opens.
//
// The database is opened in WAL mode with a busy timeout so that
// sessions can read while one writes. OpenReadOnly opens an existing file
// read only with the same functions and helper tables, for queries run
// outside the gateway (floe query through the data API's SQLite source).
//
// Types (types.go): a Cursor settles each result column's Type from
// SQLite's declared type, else from the translation's ColTypes (Session.
// QueryStatement), else from the first row's value (read ahead
// and handed out first by Cursor.Next); the front ends map a Type to
// their protocol's types (a PostgreSQL OID, a MySQL column type) and
// encode values with Column.AppendText and Column.Convert (AppendText and
// Convert for a bare type).
//
// SQLite must read a text as the policy's parser did. A
// PostgreSQL-dialect text the policy's parser reads is parsed again with the same parser (pg_query) and printed as SQLite
// SQL from the tree (translate_pg*.go: translatePG; PGQuery for the data
// API's SQLite source): names in grave accents, strings single-quoted
// with their values, PostgreSQL's semantics where SQLite's differ (NULL
// ordering, case-sensitive LIKE through floe_like, registered at Open,
// casts, LIMIT forms, serial keys…), each statement's description (verb,
// rows, transaction edge, parameters and the columns they meet, result
// types the translation knows: ColTypes) taken from the tree. Records are
// JSON objects read by field selection; _pg_expandarray in a target list
// is a json_each joined to the SELECT's FROM (translate_pg_expand.go). What cannot
// be translated is a *sqlerr.Error with SQLSTATE 0A000 naming the
// construct, and nothing of the text runs. current_user and
// current_database() read the connection's temporary table floe_session,
// which Connect (and PrepareConn, for the data API) fills: a translation
// is shared by every session sending the same text. Texts the parser does
// not read are split by the lexer and run as written unless SQLite would
// read them otherwise (nested block comments, E'…' strings with
// backslashes: CheckPGText refuses them). SQL PREPARE carries its
// translated statement (Statement.Prepared) and EXECUTE a SELECT of its
// arguments; the PostgreSQL front end keeps and runs them per session.
//
// PostgreSQL functions (funcs_pg*.go): Go implementations registered
// with the driver under PostgreSQL's lower-case names (strings, regular
// expressions with floe_regexp for ~ and ~*, JSON builders and
// aggregates, round/trunc/mod/div on the decimal, time functions, the
// interval helpers floe_interval, floe_ts_add… on interval texts) by
// registerPGFunctions, once per process before Open opens its first
// connection: the driver keeps its registry process-wide and the
// functions hold no state. generate_series is a virtual table module;
// the driver's virtual tables are not eponymous, so openDB gives each
// connection a temp.generate_series table of it. A function's error
// carries its SQLSTATE in the message ("[22012] division by zero"), which
// SQLError turns back into the code. docs/sqlite-functions.md lists them.
//
// Arrays are JSON arrays (text): ARRAY[…], ARRAY(SELECT …), array_agg,
// the catalog's array columns and casts to array types (floe_array,
// funcs_pg_array.go, which also reads PostgreSQL's array text '{1,2}' as
// drivers send array parameters). TypeArray, the type of such a result
// (and of a column declared "… ARRAY"), shows the JSON array in
// PostgreSQL's array text (AppendText) and converts it to text elements
// for a binary text[] (Convert).
//
// Exact NUMERIC: SQLite holds NUMERIC values as INTEGER or REAL.
// Column.AppendText and Column.Convert show a REAL of a NUMERIC(p,s)
// column with s digits (of its 15-digit decimal, rounded half away from
// zero), AppendText a NUMERIC REAL as its shortest 15-digit decimal, and
// the aggregate floe_numeric_sum adds the decimals exactly (math/big);
// the translation prints sum() of a column or of a numeric cast as it.
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
