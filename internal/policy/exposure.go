package policy

import (
	"fmt"
	"slices"
	"strings"

	"github.com/floe-db/floe/internal/sqlerr"
	"github.com/floe-db/floe/internal/sqlparse"
)

// RuleExposure is the rule id of statements refused because they read
// what other sessions and users did, the server's configuration, or
// statistics that hold column values: catalogues, SHOW targets, settings
// and system variables. They are refused to restricted sessions: with
// grants on, to users whose roles do not grant admin on the database;
// and whenever a session has masked columns or row filters on it.
const RuleExposure = "exposure.catalog"

// RuleDiagnostics is the rule id of MySQL SHOW WARNINGS and SHOW ERRORS
// refused to sessions with masked columns or row filters: a conversion
// warning quotes the value it could not convert.
const RuleDiagnostics = "exposure.diagnostics"

// pgExposing are PostgreSQL catalogue relations (in pg_catalog, or
// information_schema when so prefixed) that show other sessions' or
// users' statements and data, the server's configuration and files, or
// column values through planner statistics.
var pgExposing = map[string]string{
	// statistics: most common values and histograms are column values
	"pg_stats": "column statistics", "pg_stats_ext": "column statistics", "pg_stats_ext_exprs": "column statistics",
	"pg_statistic": "column statistics", "pg_statistic_ext_data": "column statistics",
	// other sessions
	"pg_stat_activity": "other sessions", "pg_stat_statements": "other sessions", "pg_stat_statements_info": "other sessions",
	"pg_locks": "other sessions", "pg_prepared_xacts": "other sessions", "pg_stat_ssl": "other sessions",
	"pg_stat_gssapi": "other sessions", "pg_backend_memory_contexts": "other sessions",
	"pg_stat_replication": "replication", "pg_stat_wal_receiver": "replication", "pg_stat_subscription": "replication",
	"pg_subscription": "replication", "pg_replication_slots": "replication", "pg_replication_origin_status": "replication",
	// other databases
	"pg_stat_database": "other databases", "pg_stat_database_conflicts": "other databases",
	// configuration and files
	"pg_file_settings": "server configuration", "pg_hba_file_rules": "server configuration",
	"pg_ident_file_mappings": "server configuration", "pg_settings": "server configuration",
	"pg_config": "server configuration", "pg_shmem_allocations": "server configuration",
	// credentials and other users' objects
	"pg_authid": "credentials", "pg_shadow": "credentials", "pg_user_mappings": "credentials",
	"pg_user_mapping": "credentials", "user_mapping_options": "credentials",
	"pg_largeobject": "other users' data",
}

// pgExposingPrefixes extend pgExposing to families of relations.
var pgExposingPrefixes = []string{"pg_stat_progress_"}

// pgExposingFunctions are functions that return the same as the
// relations above (or more).
var pgExposingFunctions = []string{
	"pg_stat_get_*", "pg_show_*", "pg_hba_file_rules", "pg_ident_file_mappings", "pg_stat_statements*",
	"pg_current_logfile", "pg_stat_file", "pg_tablespace_location", "pg_get_backend_memory_contexts",
	"pg_config", "pg_get_replication_slots", "pg_lock_status", "pg_prepared_xact", "pg_get_shmem_allocations",
	"pg_ls_*", "pg_read_file", "pg_read_binary_file", "inet_server_addr", "inet_server_port",
	"lo_get", "loread", "lo_open", "pg_blocking_pids", "pg_safe_snapshot_blocking_pids",
}

// settingExposes reports whether a PostgreSQL setting or MySQL system
// variable names server files, commands, addresses or credentials.
func settingExposes(name string) bool {
	switch name {
	case "?", "all", "port", "cluster_name", "listen_addresses", "hostname", "report_host", "report_user",
		"report_password", "report_port", "primary_slot_name", "log_error", "relay_log", "init_file", "init_slave",
		"socket", "secure_file_priv", "datadir", "basedir", "tmpdir":
		return true
	}
	for _, s := range []string{"_file", "file_", "_dir", "dir_", "_command", "conninfo", "librar", "ssl_", "keyfile", "socket", "password", "log_bin_", "relay_log", "wsrep_"} {
		if strings.Contains(name, s) {
			return true
		}
	}
	return false
}

// myShowAllowed are the MySQL SHOW statements a restricted session may
// run: they describe the session's own database.
var myShowAllowed = []string{
	"table", "table status", "columns", "index", "create table", "create view", "charset", "collation",
	"engines", "status", "plugins", "privileges", "triggers", "procedure status", "function status",
	"create database", "create procedure", "profile", "profiles",
}

// myCatalogScoped are the information_schema views a restricted session
// may read, each with the column that names the database of a row: the
// gateway adds "column = <the session's database>" so that other
// databases on the server do not show.
var myCatalogScoped = map[string]string{
	"tables": "table_schema", "columns": "table_schema", "statistics": "table_schema",
	"key_column_usage": "table_schema", "table_constraints": "table_schema", "views": "table_schema",
	"partitions": "table_schema", "referential_constraints": "constraint_schema",
	"check_constraints": "constraint_schema", "routines": "routine_schema", "parameters": "specific_schema",
	"triggers": "trigger_schema", "events": "event_schema", "schemata": "schema_name",
}

// myCatalogFree are information_schema views with nothing of other
// users or databases in them.
var myCatalogFree = []string{"character_sets", "collations", "collation_character_set_applicability", "engines", "keywords", "plugins"}

// restricted reports whether the session may see only its own data:
// masks or row filters apply to it, or grants are on and no role grants
// admin on the database.
func (p *Policy) restricted(req Request, masks *Masks) bool {
	if masks != nil || p.rowFiltered(req) {
		return true
	}
	if !p.grants {
		return false
	}
	var rules []rule
	for _, r := range req.Roles {
		rules = append(rules, p.rules[r]...)
	}
	ok, _ := grantCheck(rules, need{act: actAdmin, kind: 'd'}, req.Database, req.DefaultSchema)
	return !ok
}

// rowFiltered reports whether a role of the user has a row filter on the
// database.
func (p *Policy) rowFiltered(req Request) bool {
	for _, r := range req.Roles {
		for _, f := range p.filters[r] {
			if f.Database == req.Database {
				return true
			}
		}
	}
	return false
}

// reviewExposure refuses, for restricted sessions, statements that read
// other sessions' or users' data, the server's configuration or column
// statistics, and returns the row filters that keep catalogue listings
// to the session's own database.
func (p *Policy) reviewExposure(req Request, stmts []sqlparse.Statement, masks *Masks) ([]sqlparse.RowFilter, *Denial) {
	if !p.restricted(req, masks) {
		return nil, nil
	}
	diagnostics := masks != nil || p.rowFiltered(req)
	var scoped []sqlparse.RowFilter
	for i := range stmts {
		st := &stmts[i]
		for _, t := range st.Tables {
			what, filter := exposingTable(req, t)
			if what != "" {
				return nil, exposureDenial(req, RuleExposure, "table "+t.String(), what)
			}
			if filter != nil && !slices.ContainsFunc(scoped, func(f sqlparse.RowFilter) bool { return f == *filter }) {
				scoped = append(scoped, *filter)
			}
		}
		if req.Dialect == Postgres {
			for _, f := range st.Functions {
				name := strings.TrimPrefix(f, "pg_catalog.")
				if slices.ContainsFunc(pgExposingFunctions, func(p string) bool { return globMatch(p, name) }) {
					return nil, exposureDenial(req, RuleExposure, "function "+f, "other sessions, users or the server's files")
				}
			}
		}
		if den := exposingStatement(req, st, diagnostics); den != nil {
			return nil, den
		}
	}
	return scoped, nil
}

// exposingTable says what a catalogue relation would expose (or ""), and
// the filter that scopes a listing to the session's own database.
func exposingTable(req Request, t sqlparse.Table) (string, *sqlparse.RowFilter) {
	schema, name := strings.ToLower(t.Schema), strings.ToLower(t.Name)
	if strings.HasPrefix(name, "sqlite_stat") {
		return "column statistics", nil // SQLite's samples are column values
	}
	switch req.Dialect {
	case Postgres:
		if schema != "" && schema != "pg_catalog" && schema != "information_schema" {
			return "", nil
		}
		if what, ok := pgExposing[name]; ok && (schema != "information_schema" || name == "user_mapping_options") {
			return what, nil
		}
		for _, p := range pgExposingPrefixes {
			if strings.HasPrefix(name, p) {
				return "other sessions", nil
			}
		}
		if name == "pg_database" && schema != "information_schema" {
			return "", &sqlparse.RowFilter{Schema: schema, Table: name, Where: "datname = current_database()"}
		}
	case MySQL:
		if schema == "" {
			schema = strings.ToLower(req.DefaultSchema)
		}
		switch schema {
		case "mysql", "performance_schema", "sys":
			return "the server's accounts, configuration and other sessions", nil
		case "information_schema":
			if slices.Contains(myCatalogFree, name) {
				return "", nil
			}
			col, ok := myCatalogScoped[name]
			if !ok {
				return "other sessions, users or databases, or column statistics", nil
			}
			db := req.DefaultSchema
			if strings.ContainsAny(db, `'\`) {
				return "other databases", nil
			}
			return "", &sqlparse.RowFilter{Schema: t.Schema, Table: t.Name, Where: col + " = '" + db + "'"}
		}
	}
	return "", nil
}

// exposingStatement refuses SHOW targets, settings and system variables
// that a restricted session may not read.
func exposingStatement(req Request, st *sqlparse.Statement, diagnostics bool) *Denial {
	showVariables := false
	for _, e := range st.Exposes {
		kind, arg, _ := strings.Cut(e, ":")
		switch kind + ":" {
		case sqlparse.ExposeShow:
			if req.Dialect == Postgres {
				if settingExposes(arg) {
					return exposureDenial(req, RuleExposure, "setting "+arg, "the server's configuration")
				}
				continue
			}
			switch {
			case arg == "warnings" || arg == "errors":
				if diagnostics {
					return exposureDenial(req, RuleDiagnostics, "SHOW "+strings.ToUpper(arg), "warnings quote the values they are about, which may be masked or filtered out")
				}
			case arg == "variables":
				showVariables = true
			case !slices.Contains(myShowAllowed, arg):
				return exposureDenial(req, RuleExposure, "SHOW "+strings.ToUpper(arg), "other sessions, users or databases, or the server's configuration")
			}
		case sqlparse.ExposeShowDB:
			if !strings.EqualFold(arg, req.DefaultSchema) {
				return exposureDenial(req, RuleExposure, "database "+arg, "other databases")
			}
		case sqlparse.ExposeSetting, sqlparse.ExposeSysVar:
			if settingExposes(arg) {
				return exposureDenial(req, RuleExposure, "setting "+arg, "the server's configuration")
			}
		}
	}
	if showVariables {
		// Only SHOW VARIABLES LIKE '<name>' of a variable that names no
		// file, path, address or credential.
		like := ""
		for _, e := range st.Exposes {
			if v, ok := strings.CutPrefix(e, sqlparse.ExposeShowLike); ok {
				like = v
			}
		}
		if like == "" || slices.Contains(st.Exposes, sqlparse.ExposeShowWhere) || strings.ContainsAny(like, "%\\") || settingExposes(like) ||
			slices.ContainsFunc(mySensitiveVariables, func(v string) bool { return likeMatch(like, v) }) {
			return exposureDenial(req, RuleExposure, "SHOW VARIABLES", "the server's configuration (name one variable with LIKE)")
		}
	}
	return nil
}

func exposureDenial(req Request, rule, what, why string) *Denial {
	return &Denial{Rule: rule, Code: sqlerr.InsufficientPrivilege, Errno: sqlerr.ErSpecificAccessDenied,
		Message: fmt.Sprintf("permission denied: %s is not available to user %q on database %q: it shows %s", what, req.User, req.Database, why)}
}

// mySensitiveVariables are MySQL and MariaDB system variables that name
// server files, addresses or credentials, for SHOW VARIABLES LIKE
// patterns whose "_" wildcards could reach them.
var mySensitiveVariables = []string{
	"datadir", "basedir", "tmpdir", "plugin_dir", "secure_file_priv", "general_log_file", "slow_query_log_file",
	"log_error", "log_bin_basename", "log_bin_index", "relay_log", "relay_log_basename", "relay_log_index",
	"pid_file", "socket", "character_sets_dir", "lc_messages_dir", "innodb_data_home_dir",
	"innodb_log_group_home_dir", "innodb_undo_directory", "innodb_tmpdir", "aria_log_dir_path", "hostname",
	"init_file", "init_slave", "report_host", "report_user", "report_password", "report_port",
	"ssl_ca", "ssl_capath", "ssl_cert", "ssl_key", "ssl_crl", "ssl_crlpath", "server_audit_file_path",
	"wsrep_node_address", "wsrep_cluster_address", "wsrep_sst_auth", "log_bin_trust_function_creators",
}

// likeMatch is SQL LIKE with "_" for one character (patterns with "%"
// or escapes are refused before).
func likeMatch(pattern, s string) bool {
	return globMatch(strings.ReplaceAll(strings.ReplaceAll(strings.ReplaceAll(pattern, "*", "\\*"), "?", "\\?"), "_", "?"), s)
}

// scopeExposure applies reviewFilterRelatives and reviewExposure to a
// decision: a refusal, or the text to run with catalogue listings kept to
// the session's database.
//
// scoped reports whether the statements read anything the review scopes
// (the text was rewritten or looked at for rewriting): a review that
// refused nothing and scoped nothing depends only on the statements and
// the session's roles, database and schema (grantMemo).
func (p *Policy) scopeExposure(req Request, stmts []sqlparse.Statement, masks *Masks, dec *Decision) (*Denial, bool) {
	if den := p.reviewFilterRelatives(req, stmts); den != nil {
		return den, false
	}
	scoped, den := p.reviewExposure(req, stmts, masks)
	if den != nil || len(scoped) == 0 {
		return den, false
	}
	text := req.SQL
	if dec.SQL != "" {
		text = dec.SQL
	}
	rewrite := sqlparse.RewritePostgres
	if req.Dialect == MySQL {
		rewrite = sqlparse.RewriteMySQL
	}
	out, changed, err := rewrite(text, req.DefaultSchema, scoped)
	if err != nil {
		return &Denial{Rule: RuleExposure, Code: sqlerr.InsufficientPrivilege, Errno: sqlerr.ErSpecificAccessDenied,
			Message: "statement refused: the catalogue read could not be limited to database " + req.Database + " (" + trimParseError(err) + ")"}, true
	}
	if changed {
		dec.SQL = out
	}
	return nil, true
}
