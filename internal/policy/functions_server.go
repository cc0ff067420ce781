package policy

// serverStateFunctions are PostgreSQL functions that change the server
// rather than the rows of a query: they reset the statistics every user
// reads, write records into the write-ahead log that logical decoding
// consumers (change-data-capture pipelines) receive as the database's
// own, create or move replication origins and slots (and so what a
// subscriber applies or skips), read a slot's stream of every change to
// the database, import collations into pg_catalog, or make a backend
// dump its memory into the server log. A backend login that is a
// superuser (a database without identities) runs them all, and
// pg_logical_emit_message is executable by PUBLIC, so Floe's grant is
// the line that refuses them: they are classAdmin, which needs an
// execute grant on the function. Names are lower case, without the
// pg_catalog. prefix.
var serverStateFunctions = map[string]string{
	// statistics every user and the autovacuum read
	"pg_stat_reset": classAdmin, "pg_stat_reset_shared": classAdmin,
	"pg_stat_reset_single_table_counters": classAdmin, "pg_stat_reset_single_function_counters": classAdmin,
	"pg_stat_reset_slru": classAdmin, "pg_stat_reset_replication_slot": classAdmin,
	"pg_stat_reset_subscription_stats": classAdmin, "pg_stat_statements_reset": classAdmin,
	// write-ahead log and logical decoding
	"pg_logical_emit_message":     classAdmin,
	"pg_logical_slot_get_changes": classAdmin, "pg_logical_slot_peek_changes": classAdmin,
	"pg_logical_slot_get_binary_changes": classAdmin, "pg_logical_slot_peek_binary_changes": classAdmin,
	"pg_replication_slot_advance": classAdmin, "pg_copy_logical_replication_slot": classAdmin,
	"pg_copy_physical_replication_slot": classAdmin,
	"pg_replication_origin_create":      classAdmin, "pg_replication_origin_drop": classAdmin,
	"pg_replication_origin_advance": classAdmin, "pg_replication_origin_session_setup": classAdmin,
	"pg_replication_origin_session_reset": classAdmin, "pg_replication_origin_xact_setup": classAdmin,
	"pg_replication_origin_xact_reset": classAdmin, "pg_replication_origin_session_progress": classAdmin,
	"pg_replication_origin_progress": classAdmin,
	"pg_wal_replay_pause":            classAdmin, "pg_wal_replay_resume": classAdmin,
	// the server's catalogue and log
	"pg_import_system_collations": classAdmin, "pg_log_backend_memory_contexts": classAdmin,
}
