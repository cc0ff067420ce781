// Package e2e holds end-to-end tests: the gateway runs in-process (or as
// the built binary) against the real local PostgreSQL and MariaDB, and
// real clients (pgx, lib/pq, go-sql-driver/mysql, psql, pgbench, HTTP,
// the ADBC Flight SQL driver) talk to it. Each test creates its own
// databases with random names and drops them afterwards.
//
// conformance_test.go is one table of scenarios (grants, firewall, masks,
// row filters, limits, audit records, statement statistics, metrics) run
// on every statement path — PostgreSQL relay, MySQL relay, SQLite over
// both protocols, the HTTP data API and Flight SQL — through one small
// adapter per path; pairs that do not conform yet are named, with the
// reason, in knownDivergent.
//
// compat_test.go is the driver compatibility suite: real client libraries
// (the scripts in test/compat — PgJDBC, MariaDB Connector/J, psycopg2,
// PyMySQL, SQLAlchemy, node pg and mysql2 — and pgx and go-sql-driver in
// compat_clients_test.go) run a scripted session against an embedded SQLite
// database and the PostgreSQL and MariaDB relays; every step must pass
// through the relays, and the embedded engine is held to
// test/compat/testdata/expected.txt. `make compat` writes the matrix to
// docs/compatibility.md.
//
// Tests wait for something to happen with eventually (helpers_test.go),
// which polls with backoff and fails with the last error, never with a
// fixed sleep. Under go test -short the whole package is skipped
// (TestMain): every test needs the database servers.
package e2e
