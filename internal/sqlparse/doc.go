// Package sqlparse turns SQL text into what policy decides on: for each
// statement its kind (select, insert, update, delete, merge, ddl, dcl,
// tcl, copy, call, utility), every table it touches with the action done
// to it (read, insert, update, delete, ddl), the functions it calls, and
// a fingerprint with literals normalised.
//
// PostgreSQL text is parsed with pg_query_go (PostgreSQL's own parser);
// the parse tree is walked generically (protobuf reflection), so that a
// table named anywhere — joins, subqueries, CTEs, writable CTEs,
// SELECT … INTO, COPY — is found, with the statement node that owns it
// deciding the action. CTE names are not tables.
//
// MySQL text is parsed with the TiDB parser (pure Go, MySQL-compatible);
// an ast.Visitor does the same walk. Multi-table UPDATE and DELETE mark
// the tables named in SET and in the DELETE list (aliases resolved);
// with unqualified columns every table of a multi-table UPDATE counts as
// written. The TiDB grammar accepts INTO OUTFILE only after FROM.
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
// Parsing costs tens of microseconds; a Cache keeps results by text.
// The package has no state of its own; it knows nothing of grants.
package sqlparse
