// Package advise owns index advice: from the heaviest statement shapes
// of a database (observe.QueryStats, by total time) it reads the columns
// an index could serve, proposes candidate indexes, drops those an
// existing index covers, and checks the rest with the database's own
// planner where it can.
//
// Data flow, for one database (Compute):
//
//  1. Shapes, heaviest first, up to Settings.TopShapes. A shape is the
//     masked text QueryStats keeps: its literals are '?' (PostgreSQL
//     extended-protocol texts keep their $n). No original text, and so
//     no client literal, is kept or read for advice.
//  2. Extract parses the shape with the dialect's real parser (pg_query
//     for PostgreSQL, the TiDB parser for MySQL; '?' become $n first on
//     PostgreSQL) and lists, per base table (aliases resolved, CTE and
//     derived-table names left out, names schema-qualified with the
//     default schema), the columns compared for equality or IN, bounded
//     by a range (<, >, <=, >=, BETWEEN), joined to another table, and
//     sorted by (ORDER BY of one table's plain columns). Conditions under
//     OR are not read as conditions; an unqualified column over several
//     tables is not guessed. Only SELECT, UPDATE and DELETE give uses.
//  3. Candidates: each such column alone, and composites with the
//     equality and join columns first (up to three) then one range
//     column or the ORDER BY columns. Covered drops a candidate whose
//     columns lead an existing valid, non-partial btree index (the
//     equality columns in any order), read from pg_index or
//     information_schema.STATISTICS.
//  4. Verification (PostgreSQL with hypopg): each candidate is made a
//     hypothetical index (hypopg_create_index), every shape on its table
//     is planned again, and the index is reset (hypopg_reset). Its gain
//     is 1 − Σ count·cost_after / Σ count·cost_before over those shapes;
//     it is recommended when the gain reaches Settings.MinGain and it
//     cuts some shape's cost by that share. Of candidates helping the
//     same shapes, the one saving the most (then the narrower) is kept.
//  5. Without hypopg (not installed, or the login may not create it),
//     and always on MySQL/MariaDB (no hypothetical indexes), advice is
//     unverified: for each shape whose plan reads a table in full (Seq
//     Scan; access_type ALL) or sorts (Sort; filesort) where the
//     statement filters, joins or sorts on columns no index serves, the
//     most specific candidate, with the plan's evidence. The report says
//     why it is not verified.
//
// Planning a shape without its values. PostgreSQL: the shape, '?' made
// $n and printed again by pg_query's deparser (so exactly one parsed
// SELECT, UPDATE or DELETE runs), is PREPAREd and EXPLAIN (FORMAT JSON)
// EXECUTEd with NULL for each parameter under plan_cache_mode =
// force_generic_plan: the generic plan is made without looking at the
// parameter values, so the NULLs cannot shape it (col = NULL would
// otherwise be planned as an empty result), and it is the plan a
// prepared statement gets anyway. Its estimates use the column's
// statistics for an unknown value (1/n_distinct), which is what an
// index decision for a shape should rest on. PostgreSQL 15 has no
// EXPLAIN (GENERIC_PLAN); this is its equivalent. Keeping one original
// text per shape would give a custom plan for one arbitrary value and
// keep client literals in memory: not done. MySQL has no generic plans:
// each '?' becomes the string '1' (LIMIT/OFFSET take 1), which MySQL
// converts to the compared column's type, so an index stays usable in
// the plan; the plan serves as evidence only.
//
// Planning can run code: PostgreSQL folds constant calls of immutable
// and stable functions while planning and expands views, and MySQL may
// evaluate stored functions. The planner login is an operator's, so a
// shape that names a function, operator or type defined outside
// pg_catalog, a stored function, or a view is not planned (pgguard.go,
// myguard.go); it is listed as skipped with the reason.
//
// Nothing runs: EXPLAIN without ANALYZE plans only, in a READ ONLY
// transaction that is rolled back (PostgreSQL), on a session with
// statement and lock timeouts; MySQL sessions are READ ONLY with
// max_statement_time. The planner session (Planner) is a connection of
// its own to the database's primary, with the login of databases[].primary,
// never a client's connection nor a pooled one: hypopg's hypothetical
// indexes are private to the session that makes them, and CREATE
// EXTENSION IF NOT EXISTS hypopg needs a login allowed to create it (or
// the extension created beforehand).
//
// Advisor keeps the latest report of each database and computes it again
// when it is older than the database's advice.interval (or on request);
// one computation runs at a time. Report.Filter cuts a report to the
// shapes a caller may see: the gateway decides with the policy on each
// shape (policy.Policy.Permits), so advice for a shape a user cannot run
// is never shown to that user. The package has no state of its own
// beyond an Advisor's reports and starts no goroutines.
package advise
