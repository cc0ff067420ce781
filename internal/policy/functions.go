package policy

import "strings"

// Function classes: what a call reaches beyond the rows of its query.
const (
	classFile    = "file"    // reads or writes server files
	classExec    = "exec"    // runs programs on the server
	classNetwork = "network" // opens connections (out-of-band channels)
	classSleep   = "sleep"   // delays (time-based probes)
	classAdmin   = "admin"   // acts on the server or other sessions
	classInfo    = "info"    // reveals the server, user or database
	// classSQL functions run SQL given as text (or every table of a
	// schema or database): Floe cannot see what they read or do.
	classSQL = "sql"
	// classLargeObject functions read and write large objects, which
	// every user of a database shares and no table grant covers: they
	// need admin.
	classLargeObject = "large_object"
)

// functionClasses classifies functions with effects beyond their query.
// Names are lower case; a pg_catalog. prefix is ignored.
var functionClasses = map[string]string{
	// PostgreSQL files and large objects
	"pg_read_file": classFile, "pg_read_binary_file": classFile, "pg_ls_dir": classFile,
	"pg_stat_file": classFile, "pg_ls_logdir": classFile, "pg_ls_waldir": classFile,
	"pg_ls_tmpdir": classFile, "pg_ls_archive_statusdir": classFile, "pg_file_write": classFile,
	"pg_file_rename": classFile, "pg_file_unlink": classFile,
	// PostgreSQL large objects (lo_import and lo_export also reach files)
	"lo_import": classLargeObject, "lo_export": classLargeObject, "lo_from_bytea": classLargeObject,
	"lo_put": classLargeObject, "lo_get": classLargeObject, "lo_unlink": classLargeObject,
	"lo_create": classLargeObject, "lo_creat": classLargeObject, "lo_open": classLargeObject,
	"lo_close": classLargeObject, "loread": classLargeObject, "lowrite": classLargeObject,
	"lo_lseek": classLargeObject, "lo_lseek64": classLargeObject, "lo_tell": classLargeObject,
	"lo_tell64": classLargeObject, "lo_truncate": classLargeObject, "lo_truncate64": classLargeObject,
	// SQL given as text, or whole schemas and databases, run by the server
	"query_to_xml": classSQL, "query_to_xmlschema": classSQL, "query_to_xml_and_xmlschema": classSQL,
	"table_to_xml": classSQL, "table_to_xmlschema": classSQL, "table_to_xml_and_xmlschema": classSQL,
	"cursor_to_xml": classSQL, "cursor_to_xmlschema": classSQL,
	"schema_to_xml": classSQL, "schema_to_xmlschema": classSQL, "schema_to_xml_and_xmlschema": classSQL,
	"database_to_xml": classSQL, "database_to_xmlschema": classSQL, "database_to_xml_and_xmlschema": classSQL,
	"ts_stat": classSQL, "ts_rewrite": classSQL,
	// extensions that run SQL text: tablefunc, pg_background, pg_cron
	"crosstab": classSQL, "crosstab2": classSQL, "crosstab3": classSQL, "crosstab4": classSQL,
	"connectby": classSQL, "pg_background_launch": classSQL, "cron.schedule": classSQL,
	"cron.schedule_in_database": classSQL, "cron.alter_job": classSQL,
	// the session's server-side prepared statements and cursors, which on
	// a shared connection include other clients'
	"pg_prepared_statement": classSQL, "pg_cursor": classSQL,
	// MySQL files
	"load_file": classFile,
	// programs
	"sys_exec": classExec, "sys_eval": classExec, "xp_cmdshell": classExec, "sp_oacreate": classExec,
	// network / out of band
	"dblink": classNetwork, "dblink_exec": classNetwork, "dblink_connect": classNetwork,
	"dblink_connect_u": classNetwork, "dblink_send_query": classNetwork, "dblink_open": classNetwork,
	"utl_http.request": classNetwork, "utl_inaddr.get_host_address": classNetwork,
	"utl_inaddr.get_host_name": classNetwork, "http_get": classNetwork, "http_post": classNetwork,
	"master..xp_dirtree": classNetwork, "xp_dirtree": classNetwork,
	// delays
	"pg_sleep": classSleep, "pg_sleep_for": classSleep, "pg_sleep_until": classSleep,
	"sleep": classSleep, "benchmark": classSleep, "dbms_lock.sleep": classSleep,
	"dbms_pipe.receive_message": classSleep, "randomblob": classSleep, "waitfor": classSleep,
	// server administration
	"pg_terminate_backend": classAdmin, "pg_cancel_backend": classAdmin, "pg_reload_conf": classAdmin,
	"pg_rotate_logfile": classAdmin, "pg_promote": classAdmin, "pg_switch_wal": classAdmin,
	"pg_create_restore_point": classAdmin, "pg_start_backup": classAdmin, "pg_stop_backup": classAdmin,
	"pg_backup_start": classAdmin, "pg_backup_stop": classAdmin, "set_config": classAdmin,
	"pg_create_logical_replication_slot": classAdmin, "pg_create_physical_replication_slot": classAdmin,
	"pg_drop_replication_slot": classAdmin,
	// information
	"version": classInfo, "current_user": classInfo, "session_user": classInfo, "user": classInfo,
	"system_user": classInfo, "current_database": classInfo, "database": classInfo, "schema": classInfo,
	"inet_server_addr": classInfo, "inet_server_port": classInfo, "current_setting": classInfo,
	"pg_postmaster_start_time": classInfo, "connection_id": classInfo,
}

// functionClass returns the class of a function name, or "".
func functionClass(name string) string {
	name = strings.TrimPrefix(name, "pg_catalog.")
	if c, ok := functionClasses[name]; ok {
		return c
	}
	return serverStateFunctions[name]
}

// governed reports whether calling the class needs an execute grant.
func governed(class string) bool {
	return class != "" && class != classInfo
}
