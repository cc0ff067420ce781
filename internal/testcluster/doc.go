// Package testcluster starts real database servers for tests: a
// PostgreSQL primary with streaming replicas (initdb and pg_basebackup
// from the installed PostgreSQL binaries) and a MariaDB primary with
// replicas (mariadbd instances following the primary's binary log), in
// temporary directories on free ports, and stops them when the test
// ends. Tests use it to kill,
// promote and restart servers under the gateway.
//
// The servers run as the postgres / mysql system users when the tests run
// as root (initdb refuses root). Nothing here is used by the gateway itself.
package testcluster
