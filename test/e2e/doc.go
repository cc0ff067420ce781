// Package e2e holds end-to-end tests: the gateway runs in-process (or as
// the built binary) against the real local PostgreSQL, and real clients
// (pgx, lib/pq, psql, pgbench) talk to it. Each test creates its own
// database with a random name and drops it afterwards.
package e2e
