// Package health checks the servers of each PostgreSQL and MySQL
// database in the background.
//
// A Checker runs one goroutine per server (primary and replicas). Every
// health.interval it probes the server on a connection of its own within
// health.timeout: PostgreSQL answers pg_is_in_recovery(), the replay lag
// (zero when the replica has replayed all it received, else now minus
// the last replayed transaction's time) and the WAL position (current on
// a primary, replayed on a replica); MySQL answers @@global.read_only
// and SHOW SLAVE STATUS (Seconds_Behind_Master). A failed probe drops
// its connection; the next one reconnects.
//
// State: a server is up from its first good check; one never seen up is
// not routed to, and is known to be down after health.fail_after failed
// checks in a row. After that, health.fail_after failed checks in a row
// take it down and health.rise_after good ones bring it back, so one lost
// packet does not flap it. The role follows each good check, so a promoted replica is
// seen as the primary at its next check. A failed check's LastError is
// its Reason (reason.go): what failed — connection refused, the login
// refused, no such database, a timeout — naming no backend login,
// password or database, since the admin API and dashboard show it; the
// log keeps the driver's message. Changes, and a server never seen up
// once it is found down, are logged, counted in
// floe_backend_state_changes_total and signalled on Changed();
// floe_backend_up and floe_backend_replication_lag_seconds follow every
// check. Statuses feed the admin API (GET /api/v1/backends) and Backends
// the router (package route): a read-only view made again at each check,
// which a statement reads without a lock or a copy.
//
// The relays read Backends (through package backend/cluster) before
// taking a new backend connection: writes go to the healthy primary, and
// fail fast while there is none; OnChange lets the app drain the idle
// connections of a server that went down. PrimaryDown answers for the
// configured primary alone.
//
// The app keeps a checker per database across reloads while the
// database's servers and health settings stay, and closes it otherwise.
package health
