package policy

import (
	"context"
	"strings"
	"testing"
)

const psqlListTables = `SELECT n.nspname as "Schema", c.relname as "Name",
  CASE c.relkind WHEN 'r' THEN 'table' WHEN 'v' THEN 'view' END as "Type",
  pg_catalog.pg_get_userbyid(c.relowner) as "Owner"
FROM pg_catalog.pg_class c
     LEFT JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
     LEFT JOIN pg_catalog.pg_am am ON am.oid = c.relam
WHERE c.relkind IN ('r','p','v','m','S','f','')
      AND n.nspname <> 'pg_catalog' AND n.nspname !~ '^pg_toast' AND n.nspname <> 'information_schema'
  AND pg_catalog.pg_table_is_visible(c.oid)
ORDER BY 1,2`

const psqlListDatabases = `SELECT d.datname as "Name", pg_catalog.pg_get_userbyid(d.datdba) as "Owner",
  pg_catalog.pg_encoding_to_char(d.encoding) as "Encoding" FROM pg_catalog.pg_database d ORDER BY 1`

const pgxLoadType = `SELECT t.oid, t.typname, t.typtype, t.typbasetype FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace WHERE t.typname = 'mood'`

const pgjdbcTypeInfo = `SELECT typinput='pg_catalog.array_in'::regproc as is_array, typtype, typname, pg_type.oid
FROM pg_catalog.pg_type LEFT JOIN (select ns.oid as nspoid, ns.nspname, r.r from pg_namespace as ns
join ( select s.r, (current_schemas(false))[s.r] as nspname from generate_series(1, array_upper(current_schemas(false), 1)) as s(r) ) as r
using ( nspname ) ) as sp ON sp.nspoid = typnamespace WHERE pg_type.oid = $1 ORDER BY sp.r, pg_type.oid DESC`

const connectorJStartup = `/* mysql-connector-java-8.0.33 */SELECT @@session.auto_increment_increment AS auto_increment_increment,
@@character_set_client AS character_set_client, @@character_set_connection AS character_set_connection,
@@character_set_results AS character_set_results, @@character_set_server AS character_set_server,
@@collation_server AS collation_server, @@collation_connection AS collation_connection, @@init_connect AS init_connect,
@@interactive_timeout AS interactive_timeout, @@license AS license, @@lower_case_table_names AS lower_case_table_names,
@@max_allowed_packet AS max_allowed_packet, @@net_write_timeout AS net_write_timeout, @@performance_schema AS performance_schema,
@@sql_mode AS sql_mode, @@system_time_zone AS system_time_zone, @@time_zone AS time_zone,
@@transaction_isolation AS transaction_isolation, @@wait_timeout AS wait_timeout`

// TestExposure: a user who may see only some of a database's data may not
// read other sessions' statements, the server's configuration, other
// databases or planner statistics (which hold column values); what
// drivers and tools read at connect and to describe tables keeps working.
func TestExposure(t *testing.T) {
	p := newTestPolicy(t, "", Options{})
	ctx := context.Background()
	const denied, allowed = true, false
	for _, tt := range []struct {
		user    string
		dialect Dialect
		sql     string
		denied  bool
		rewrite string // part of the text that runs instead
	}{
		// PostgreSQL, a user without admin on the database.
		{"alice", Postgres, "SELECT most_common_vals::text FROM pg_stats WHERE tablename = 'customers'", denied, ""},
		{"alice", Postgres, "SELECT histogram_bounds FROM pg_catalog.pg_stats", denied, ""},
		{"alice", Postgres, "SELECT * FROM pg_statistic", denied, ""},
		{"alice", Postgres, "SELECT * FROM pg_stats_ext_exprs", denied, ""},
		{"alice", Postgres, "SELECT query FROM pg_stat_activity", denied, ""},
		{"alice", Postgres, "SELECT * FROM pg_stat_progress_copy", denied, ""},
		{"alice", Postgres, "SELECT * FROM pg_file_settings", denied, ""},
		{"alice", Postgres, "SELECT * FROM pg_hba_file_rules", denied, ""},
		{"alice", Postgres, "SELECT setting FROM pg_settings WHERE name = 'data_directory'", denied, ""},
		{"alice", Postgres, "SELECT rolpassword FROM pg_authid", denied, ""},
		{"alice", Postgres, "SELECT passwd FROM pg_shadow", denied, ""},
		{"alice", Postgres, "SELECT * FROM pg_user_mappings", denied, ""},
		{"alice", Postgres, "SELECT * FROM information_schema.user_mapping_options", denied, ""},
		{"alice", Postgres, "SELECT * FROM pg_stat_database", denied, ""},
		{"alice", Postgres, "SELECT * FROM pg_largeobject", denied, ""},
		{"alice", Postgres, "SELECT 1 FROM customers WHERE EXISTS (SELECT 1 FROM pg_stat_activity)", denied, ""},
		{"alice", Postgres, "SELECT * FROM pg_stat_get_activity(NULL)", denied, ""},
		{"alice", Postgres, "SELECT pg_catalog.pg_stat_get_backend_activity(1)", denied, ""},
		{"alice", Postgres, "SELECT * FROM pg_show_all_settings()", denied, ""},
		{"alice", Postgres, "SELECT * FROM pg_hba_file_rules()", denied, ""},
		{"alice", Postgres, "SELECT inet_server_addr()", denied, ""},
		{"alice", Postgres, "SELECT current_setting('data_directory')", denied, ""},
		{"alice", Postgres, "SELECT current_setting('hba_file')", denied, ""},
		{"alice", Postgres, "SELECT current_setting('archive_command')", denied, ""},
		{"alice", Postgres, "SELECT current_setting(chr(104) || 'ba_file')", denied, ""},
		{"alice", Postgres, "SHOW data_directory", denied, ""},
		{"alice", Postgres, "SHOW ALL", denied, ""},
		{"alice", Postgres, "SHOW config_file", denied, ""},
		{"alice", Postgres, "SELECT sample FROM sqlite_stat4", denied, ""},
		{"alice", MySQL, "SELECT sample FROM sqlite_stat4", denied, ""},
		{"alice", Postgres, "SELECT * FROM pg_catalog.pg_type", allowed, ""},
		{"alice", Postgres, pgxLoadType, allowed, ""},
		{"alice", Postgres, pgjdbcTypeInfo, allowed, ""},
		{"alice", Postgres, psqlListTables, allowed, ""},
		{"alice", Postgres, "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'", allowed, ""},
		{"alice", Postgres, "SELECT current_setting('search_path'), current_setting('server_version_num')", allowed, ""},
		{"alice", Postgres, "SHOW search_path", allowed, ""},
		{"alice", Postgres, "SHOW server_version", allowed, ""},
		{"alice", Postgres, "SELECT version(), current_database()", allowed, ""},
		{"alice", Postgres, psqlListDatabases, allowed, "d.datname = current_database()"},
		{"alice", Postgres, "SELECT datname FROM pg_database", allowed, "datname = current_database()"},
		// An admin of the database sees the server.
		{"root", Postgres, "SELECT query FROM pg_stat_activity", allowed, ""},
		{"root", Postgres, "SELECT * FROM pg_stats", allowed, ""},
		{"root", Postgres, "SHOW data_directory", allowed, ""},
		{"root", Postgres, "SELECT datname FROM pg_database", allowed, ""},
		// MySQL, a user without admin on the database.
		{"alice", MySQL, "SELECT * FROM information_schema.processlist", denied, ""},
		{"alice", MySQL, "SELECT * FROM information_schema.PROCESSLIST", denied, ""},
		{"alice", MySQL, "SELECT * FROM information_schema.innodb_trx", denied, ""},
		{"alice", MySQL, "SELECT * FROM information_schema.column_statistics", denied, ""},
		{"alice", MySQL, "SELECT * FROM information_schema.global_variables", denied, ""},
		{"alice", MySQL, "SELECT * FROM mysql.column_stats", denied, ""},
		{"alice", MySQL, "SELECT * FROM mysql.user", denied, ""},
		{"alice", MySQL, "SELECT * FROM performance_schema.events_statements_history", denied, ""},
		{"alice", MySQL, "SELECT * FROM sys.processlist", denied, ""},
		{"alice", MySQL, "SHOW PROCESSLIST", denied, ""},
		{"alice", MySQL, "SHOW FULL PROCESSLIST", denied, ""},
		{"alice", MySQL, "SHOW DATABASES", denied, ""},
		{"alice", MySQL, "SHOW GRANTS", denied, ""},
		{"alice", MySQL, "SHOW MASTER STATUS", denied, ""},
		{"alice", MySQL, "SHOW OPEN TABLES", denied, ""},
		{"alice", MySQL, "SHOW TABLES FROM mysql", denied, ""},
		{"alice", MySQL, "SHOW VARIABLES", denied, ""},
		{"alice", MySQL, "SHOW GLOBAL VARIABLES LIKE 'datadir'", denied, ""},
		{"alice", MySQL, "SHOW VARIABLES LIKE 'd_tadir'", denied, ""},
		{"alice", MySQL, "SHOW VARIABLES LIKE '%dir%'", denied, ""},
		{"alice", MySQL, "SHOW VARIABLES WHERE Variable_name = 'datadir'", denied, ""},
		{"alice", MySQL, "SELECT @@datadir", denied, ""},
		{"alice", MySQL, "SELECT @@global.secure_file_priv", denied, ""},
		{"alice", MySQL, "SELECT @@hostname", denied, ""},
		{"alice", MySQL, "SELECT 1 FROM orders WHERE @@log_error IS NOT NULL", denied, ""},
		{"alice", MySQL, "SELECT @@version_comment LIMIT 1", allowed, ""},
		{"alice", MySQL, "SELECT @@session.auto_increment_increment, @@character_set_client, @@max_allowed_packet, @@init_connect", allowed, ""},
		{"alice", MySQL, "SHOW TABLES", allowed, ""},
		{"alice", MySQL, connectorJStartup, allowed, ""},
		{"alice", MySQL, "SELECT @@max_allowed_packet,@@system_time_zone,@@time_zone,@@auto_increment_increment", allowed, ""},
		{"alice", MySQL, "DESCRIBE orders", allowed, ""},
		{"alice", MySQL, "SHOW TABLES FROM shop", allowed, ""},
		{"alice", MySQL, "SHOW VARIABLES LIKE 'max_allowed_packet'", allowed, ""},
		{"alice", MySQL, "SHOW WARNINGS", allowed, ""}, // no masks, no filters
		{"alice", MySQL, "SELECT * FROM information_schema.character_sets", allowed, ""},
		{"alice", MySQL, "SELECT table_name FROM information_schema.tables", allowed, "`tables`.`table_schema`='shop'"},
		{"alice", MySQL, "SELECT schema_name FROM information_schema.schemata", allowed, "`schemata`.`schema_name`='shop'"},
		{"alice", MySQL, "SELECT c.column_name FROM information_schema.columns c WHERE c.table_name = 'orders'", allowed, "`c`.`table_schema`='shop'"},
		{"root", MySQL, "SHOW FULL PROCESSLIST", allowed, ""},
		{"root", MySQL, "SELECT * FROM information_schema.processlist", allowed, ""},
		{"root", MySQL, "SELECT @@datadir", allowed, ""},
		{"root", MySQL, "SHOW DATABASES", allowed, ""},
	} {
		db, schema := "app", "public"
		if tt.dialect == MySQL {
			db, schema = "shop", "shop"
		}
		dec := p.Check(ctx, Request{User: tt.user, Roles: roles[tt.user], Database: db, DefaultSchema: schema, Dialect: tt.dialect, SQL: tt.sql})
		if got := dec.Denial != nil; got != tt.denied {
			t.Errorf("%s %s %q: denied=%v (%v), want %v", tt.user, tt.dialect, tt.sql, got, dec.Denial, tt.denied)
			continue
		}
		if dec.Denial != nil && (dec.Denial.Rule != RuleExposure || dec.Denial.Code != "42501" || dec.Denial.Errno != 1227) {
			t.Errorf("%s %q: denial %+v", tt.dialect, tt.sql, dec.Denial)
		}
		if tt.rewrite != "" && !strings.Contains(strings.ReplaceAll(dec.SQL, " = ", "="), strings.ReplaceAll(tt.rewrite, " = ", "=")) {
			t.Errorf("%s %q: runs %q, want it to contain %q", tt.dialect, tt.sql, dec.SQL, tt.rewrite)
		}
		if tt.rewrite == "" && dec.SQL != "" {
			t.Errorf("%s %q: rewritten to %q", tt.dialect, tt.sql, dec.SQL)
		}
	}
}

// TestDiagnosticsWithMasksOrFilters: SHOW WARNINGS and SHOW ERRORS quote
// values a conversion failed on; sessions with masked columns or row
// filters may not read them, nor any of the catalogues above (even an
// admin of the database, whose masks say some values are not theirs).
func TestDiagnosticsWithMasksOrFilters(t *testing.T) {
	p := policyFrom(t, strings.Replace(testConfig, "roles:\n", `roles:
  - name: tenant
    grants:
      - {database: shop, tables: ["*"], actions: [select]}
    row_filters:
      - {database: shop, table: orders, where: "tenant_id = 7"}
`, 1)+maskConfig, Options{})
	ctx := context.Background()
	for _, tt := range []struct {
		roles  []string
		sql    string
		rule   string
		denied bool
	}{
		{[]string{"analyst"}, "SHOW WARNINGS", RuleDiagnostics, true},
		{[]string{"analyst"}, "SHOW ERRORS", RuleDiagnostics, true},
		{[]string{"analyst"}, "SHOW COUNT(*) WARNINGS", RuleDiagnostics, true},
		{[]string{"analyst"}, "GET DIAGNOSTICS CONDITION 1 @m = MESSAGE_TEXT", RuleParse, true},
		{[]string{"tenant"}, "SHOW WARNINGS", RuleDiagnostics, true},
		{[]string{"dba"}, "SHOW WARNINGS", RuleDiagnostics, true}, // *ssn* masks for every role
		{[]string{"dba"}, "SELECT * FROM information_schema.processlist", RuleExposure, true},
		{[]string{"tenant"}, "SELECT @@warning_count", "", false},
		{[]string{"tenant"}, "SHOW TABLES", "", false},
	} {
		dec := p.Check(ctx, Request{User: "u", Roles: tt.roles, Database: "shop", DefaultSchema: "shop", Dialect: MySQL, SQL: tt.sql})
		if got := dec.Denial != nil; got != tt.denied {
			t.Errorf("%v %q: denied=%v (%v), want %v", tt.roles, tt.sql, got, dec.Denial, tt.denied)
			continue
		}
		if dec.Denial != nil && dec.Denial.Rule != tt.rule {
			t.Errorf("%v %q: rule %s, want %s", tt.roles, tt.sql, dec.Denial.Rule, tt.rule)
		}
	}
}
