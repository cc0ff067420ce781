package policy

// Settings that only a superuser (PostgreSQL) or SUPER (MySQL/MariaDB)
// may change for its own session, and that hide what the session does
// from the server's own records or let it rewrite the catalogue. A
// backend login that is a superuser (a database without identities) would
// change them for any gateway user: statements missing from the server
// log, writes missing from the binary log (so from replicas, change-data
// capture and point-in-time recovery). They are refused to everyone, as
// the pinned lexing settings are.

// pgUnloggedSettings maps a PostgreSQL setting to why it is refused.
var pgUnloggedSettings = map[string]string{
	"log_statement":               "it takes the session's statements out of the server log",
	"log_min_duration_statement":  "it takes the session's statements out of the server log",
	"log_min_duration_sample":     "it takes the session's statements out of the server log",
	"log_statement_sample_rate":   "it takes the session's statements out of the server log",
	"log_transaction_sample_rate": "it takes the session's statements out of the server log",
	"log_min_messages":            "it takes the session's messages out of the server log",
	"log_min_error_statement":     "it takes the session's failing statements out of the server log",
	"log_duration":                "it changes the server log",
	"log_error_verbosity":         "it changes the server log",
	"log_lock_waits":              "it changes the server log",
	"log_temp_files":              "it changes the server log",
	"log_parameter_max_length":    "it changes the server log",
	"log_replication_commands":    "it changes the server log",
	"log_executor_stats":          "it changes the server log",
	"log_parser_stats":            "it changes the server log",
	"log_planner_stats":           "it changes the server log",
	"log_statement_stats":         "it changes the server log",
	"pgaudit.log":                 "it takes the session's statements out of the audit log",
	"pgaudit.log_level":           "it changes the audit log",
	"pgaudit.role":                "it changes the audit log",
	"allow_system_table_mods":     "it lets DDL change the system catalogue",
	"ignore_system_indexes":       "it changes how the system catalogue is read",
	"zero_damaged_pages":          "it destroys damaged data",
	"ignore_checksum_failure":     "it reads pages that fail their checksum",
	"track_activities":            "it hides the session from the server's activity view",
	"track_counts":                "it changes the statistics every user reads",
	"track_io_timing":             "it changes the statistics every user reads",
	"track_functions":             "it changes the statistics every user reads",
	"session_preload_libraries":   "it loads code into the server",
	"jit_provider":                "it loads code into the server",
}

// myUnloggedSettings maps a MySQL/MariaDB session variable to why it is
// refused.
var myUnloggedSettings = map[string]string{
	"sql_log_bin":                   "it takes the session's writes out of the binary log (replicas, change-data capture, recovery)",
	"sql_log_off":                   "it takes the session's statements out of the general query log",
	"log_slow_query":                "it takes the session's statements out of the slow query log",
	"slow_query_log":                "it takes the session's statements out of the slow query log",
	"log_slow_filter":               "it takes the session's statements out of the slow query log",
	"log_slow_rate_limit":           "it takes the session's statements out of the slow query log",
	"long_query_time":               "it takes the session's statements out of the slow query log",
	"log_queries_not_using_indexes": "it changes the slow query log",
	"server_audit_logging":          "it takes the session's statements out of the audit log",
	"gtid_domain_id":                "it changes how replicas apply the session's writes",
	"gtid_seq_no":                   "it changes how replicas apply the session's writes",
	"server_id":                     "it changes how replicas apply the session's writes",
	"skip_replication":              "it keeps the session's writes from replicas",
	"pseudo_slave_mode":             "it changes how the server applies the session's writes",
	"pseudo_thread_id":              "it changes how the server records the session",
	"wsrep_on":                      "it keeps the session's writes from the cluster",
}
