// Package testcluster starts real database servers for tests: a
// PostgreSQL primary with a streaming replica (initdb and pg_basebackup
// from the installed PostgreSQL binaries, in temporary directories, on
// free ports), and stops them when the test ends. Tests use it to kill,
// promote and restart servers under the gateway.
//
// The servers run as the postgres system user when the tests run as
// root (initdb refuses root). Nothing here is used by the gateway itself.
package testcluster
