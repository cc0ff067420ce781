// Package catalog emulates the catalogs that PostgreSQL and MySQL
// clients read (pg_catalog, information_schema) on an embedded SQLite
// database, and the catalog functions of PostgreSQL (format_type,
// pg_get_indexdef, pg_table_is_visible …) with the floe_reg* functions
// the PostgreSQL translation prints for casts to reg* types.
//
// Data flow: the engine's Connect calls Attach on each session's
// connection, which ATTACHes in-memory databases named pg_catalog and
// information_schema (PostgreSQL sessions, PostgreSQL 15's relations and
// columns) or information_schema (MySQL sessions, MySQL 8's), so that
// SQLite resolves both pg_catalog.pg_class and an unqualified pg_class.
// Each relation is a view over a table floe_<name> of the same attached
// database: SQLite refuses writes to a view, and the engine refuses any
// statement that changes a catalog relation (Names, ReadOnly) before it
// runs. A pooled connection that comes back keeps its catalog when the
// dialect and database are the same (Attach writes the session's rows:
// the database, the roles) and gets a new one otherwise.
//
// Attach only attaches the (empty) databases and records the session;
// Refresh, which the engine calls before a statement that names a
// catalog relation, builds the relations on its first call on a
// connection (with what does not depend on the schema: namespaces,
// types, settings, roles), then compares PRAGMA schema_version with the
// version the connection's catalog was filled at and, when they differ,
// reads the main database's schema (sqlite_schema, pragma_table_xinfo,
// pragma_index_list / index_info, pragma_foreign_key_list, CHECK
// constraints and view queries from the CREATE text: ddl.go) into a
// model and writes the rows again. Statements that name no catalog
// relation never pay for it. Only the session's own database is shown,
// in the schema public (PostgreSQL) or under its own name (MySQL).
// The model reads main.sqlite_schema only, so the engine's helper tables
// of each connection (temp.floe_session, temp.generate_series) and the
// attached catalogs are never listed.
//
// OIDs are stable across sessions and restarts for the same schema: the
// types have PostgreSQL's OIDs (the ones the PostgreSQL front end sends
// in RowDescription for the same SQLite types: INTEGER is int4 (an
// INTEGER PRIMARY KEY too, as a serial key), BIGINT int8, SMALLINT int2,
// REAL float4, DOUBLE PRECISION float8, TEXT text, VARCHAR(n) varchar,
// CHAR(n) bpchar, NUMERIC(p,s) numeric …); a
// database's objects take OIDs from a block of its own (from a hash of
// the database's name): the object with rowid r in sqlite_schema has
// block + 32r, its constraints the OIDs after it, its defaults from
// +16, and the primary key of a rowid table (an INTEGER PRIMARY KEY,
// which PostgreSQL would show as an index) +31. The catalog's own
// relations have PostgreSQL's OIDs where clients know them (pg_class
// 1259 …). Every object is owned by the role "floe" (OID 10); the
// session's user is listed as a role beside it.
//
// Functions: SQLite functions are registered for the whole process and
// see only their arguments, so those that need a database's objects read
// an immutable snapshot of each database's schema, published by Refresh
// and found from the OID's block (funcs.go: the one process-wide state
// of the package, written under a lock, read lock-free). A snapshot never
// gives way to one of an older schema version (a session that read the
// schema before another's DDL committed); objects of DDL rolled back
// after a refresh may stay in it until the next refresh at that version. A name given as
// text (floe_regclass('customers')) is looked for in every database's
// snapshot; a name several embedded databases share is ambiguous and
// gets an error (its OID is not). pg_get_userbyid names the owner
// "floe"; the privilege functions (has_table_privilege …) answer true:
// a function cannot ask the policy, and the statement pipeline still
// decides every statement. obj_description and col_description are NULL,
// and so is pg_get_serial_sequence (an INTEGER PRIMARY KEY is numbered by
// the rowid, not a sequence), the size functions 0.
package catalog
