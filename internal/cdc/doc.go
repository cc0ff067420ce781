// Package cdc owns change-data capture: it follows a database's own
// change stream and hands every committed change to a callback, so that
// consumers (the result cache, later change streams) see writes that never
// passed through the gateway.
//
// Two sources, one Stream type:
//
//   - PostgreSQL: logical replication with the pgoutput plugin. Floe
//     creates a publication (FOR ALL TABLES, or the configured tables) and
//     a logical replication slot when they are missing, then streams from
//     the slot's confirmed position over a replication=database connection
//     of the primary DSN. The login needs the REPLICATION attribute (and,
//     to create a FOR ALL TABLES publication, superuser; or own the
//     configured tables).
//   - MySQL/MariaDB: the row-based binary log, read as a replica would
//     (go-mysql's replication package) with a configurable server_id. The
//     server needs log_bin and binlog_format=ROW; the login needs
//     REPLICATION SLAVE and REPLICATION CLIENT.
//
// Data flow. Stream.Run owns one goroutine that connects, reads the
// stream, and reconnects with backoff after any error until its context
// ends. Changes of one transaction are collected until its commit and then
// delivered to Options.Handler, in commit order, one Event per distinct
// (table, operation) of the transaction, all with the commit's position and
// time. Only after the handler returns is the commit acknowledged: on
// PostgreSQL a standby status update moves the slot's confirmed_flush_lsn
// (so the server releases WAL), on MySQL the position (GTID set and
// file:pos) is recorded and written to a small state file
// (<state_dir>/cdc-<database>.json, atomically, at most once per heartbeat
// and on stop).
//
// Delivery guarantee: at-least-once. A lost connection resumes from the
// last delivered commit without duplicates (the stream remembers it in
// memory); a restart of the process resumes from the slot's confirmed
// position (PostgreSQL) or the saved state (MySQL), which may repeat the
// commits delivered after the last acknowledgement was saved. No committed
// change is skipped.
//
// Schema changes. MySQL DDL arrives as query events, parsed with the TiDB
// parser to name the tables (an event that cannot be parsed is reported as
// a ddl event for the whole schema). pgoutput carries no DDL: with
// Options.DDLTrigger the stream installs event triggers that emit a
// transactional logical message naming the tables each DDL statement
// touched (pgddl.go), reported at the DDL's commit; without them, a
// Relation message for a known relation whose shape differs from the last
// one seen reports a ddl event for that table, so an ALTER is seen with
// the table's next change and a DROP not at all. TRUNCATE arrives as its
// own message.
//
// Watermark. Every heartbeat the stream notes the local time t0 and asks
// the server for its current WAL insert position (PostgreSQL) or binary
// log position (MySQL). Once the stream has received everything up to that
// position, as shown by a server message that arrives afterwards (a
// keepalive the stream asks for, or a binary log heartbeat), every change
// committed before t0 has been delivered, and Watermark() becomes t0.
// While the stream is disconnected the watermark stops advancing. A
// consumer serving cached data bypasses the cache when Watermark() is older
// than now minus its staleness bound.
//
// Metrics (registered by NewMetrics on the registerer given; no
// package-level state): floe_cdc_lag_seconds{database} (now minus the
// watermark) and floe_cdc_events_total{database,op}.
package cdc
