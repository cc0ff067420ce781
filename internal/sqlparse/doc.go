// Package sqlparse turns SQL text into what policy decides on: for each
// statement its kind (select, insert, update, delete, merge, ddl, dcl,
// tcl, copy, call, utility, or unclassified), every table it touches with the action done
// to it (read, insert, update, delete, ddl), the functions it calls, and
// a fingerprint with literals normalised.
//
// The kind comes from one explicit table per parser (kinds.go) naming
// every statement node pg_query and the TiDB parser know, with what
// makes a node privileged (objects beyond the database, code loaded into
// the server); a node the table does not name is unclassified, which
// policy treats as needing admin.
//
// PostgreSQL text is parsed with pg_query_go (PostgreSQL's own parser);
// the parse tree is walked generically (protobuf reflection), so that a
// table named anywhere — joins, subqueries, CTEs, writable CTEs,
// SELECT … INTO, COPY — is found, with the statement node that owns it
// deciding the action. CTE names are not tables.
//
// MySQL text is parsed with the TiDB parser (pure Go, MySQL-compatible);
// an ast.Visitor does the same walk. The parser is given the text as
// MariaDB reads its comments (lexmysql.go): executable comments every
// server runs are code, hints and TiDB feature comments are comments, and
// text a server could read two ways fails with ErrAmbiguous. The text of
// PREPARE … FROM '…' is parsed as the statement it prepares. Multi-table UPDATE and DELETE mark
// the tables named in SET and in the DELETE list (aliases resolved);
// with unqualified columns every table of a multi-table UPDATE counts as
// written. The TiDB grammar accepts INTO OUTFILE only after FROM.
// The statements of a CREATE PROCEDURE body (which the TiDB walk skips)
// are read one by one through its control flow (routines.go) and their
// tables, functions and privileged forms count as the procedure's.
// MySQLStoredProgram recognises, by its words alone, a stored-program
// definition the parser cannot read (functions, triggers, events,
// procedures with SIGNAL or labels) and whether it is one statement.
// MySQLNodes hands the parse itself (same limits, same reading of
// comments) to a consumer that prints it again in another dialect: the
// embedded SQLite engine's MySQL translation.
//
// Each statement also carries the base-table columns it names (resolved
// through aliases, joins, subqueries and CTEs) and its Shape: structural
// facts such as OR-ed tautologies, comparisons of constants, operators on
// bare literals and UNION arms without tables, which the firewall reads.
// Exposes lists the server state a statement reads besides tables (SHOW
// targets, current_setting names, MySQL system variables).
// RewritePostgres and RewriteMySQL add row-filter predicates to the parse
// tree and print it back (pg_query's deparser, TiDB's restorer); a
// filtered table named where no predicate can be added refuses the text.
//
// Before any parse (and rewrite), a linear lexical pre-scan applies the
// parser limits (Limits: length, tokens, estimated tree depth, MySQL
// AND/OR chains): PostgreSQL's C parser overflows its thread stack on a
// deep enough tree and takes the process with it, so a text over a limit
// gets ErrTooComplex and is never parsed.
//
// Statements also list the session settings they change (settings.go:
// SET, RESET, set_config, ALTER … SET, SET NAMES, with constant values
// evaluated), which the policy pins.
//
// Parsing costs tens of microseconds; a Cache keeps results by text.
// The package has no state of its own; it knows nothing of grants.
package sqlparse
