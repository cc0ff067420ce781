package myfront

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/pingcap/tidb/pkg/parser/ast"

	"github.com/floe-db/floe/internal/backend/sqlite"
	"github.com/floe-db/floe/internal/policy"
	"github.com/floe-db/floe/internal/sqlerr"
	"github.com/floe-db/floe/internal/wire/mysqlwire"
)

// The session statements MySQL clients send that SQLite has no syntax
// for, answered from the parse (sqlite.MyStatement.Local): SET, SHOW,
// DESCRIBE, USE, SQL PREPARE/EXECUTE/DEALLOCATE, KILL.

// sysVarDefaults are the session's system variables as a session starts
// (values as MySQL shows them: int64 or string).
func (s *mySession) sysVarDefaults() map[string]any {
	return map[string]any{
		"autocommit":                     int64(1),
		"auto_increment_increment":       int64(1),
		"auto_increment_offset":          int64(1),
		"character_set_client":           "utf8mb4",
		"character_set_connection":       "utf8mb4",
		"character_set_database":         "utf8mb4",
		"character_set_results":          "utf8mb4",
		"character_set_server":           "utf8mb4",
		"character_set_system":           "utf8mb3",
		"collation_connection":           "utf8mb4_bin",
		"collation_database":             "utf8mb4_bin",
		"collation_server":               "utf8mb4_bin",
		"default_storage_engine":         "SQLite",
		"div_precision_increment":        int64(4),
		"error_count":                    int64(0),
		"foreign_key_checks":             int64(1),
		"group_concat_max_len":           int64(1024),
		"init_connect":                   "",
		"interactive_timeout":            int64(28800),
		"lc_messages":                    "en_US",
		"license":                        "GPL",
		"lower_case_table_names":         int64(1),
		"max_allowed_packet":             int64(64 << 20),
		"max_execution_time":             int64(0),
		"net_buffer_length":              int64(16384),
		"net_read_timeout":               int64(30),
		"net_write_timeout":              int64(60),
		"performance_schema":             int64(0),
		"protocol_version":               int64(10),
		"query_cache_size":               int64(0),
		"query_cache_type":               "OFF",
		"sql_auto_is_null":               int64(0),
		"sql_mode":                       "STRICT_TRANS_TABLES,NO_ENGINE_SUBSTITUTION",
		"sql_safe_updates":               int64(0),
		"sql_select_limit":               "18446744073709551615",
		"session_track_schema":           int64(1),
		"session_track_state_change":     int64(0),
		"session_track_system_variables": "autocommit,character_set_client,character_set_connection,character_set_results,time_zone",
		"session_track_transaction_info": "OFF",
		"innodb_lock_wait_timeout":       int64(50),
		"system_time_zone":               "UTC",
		"time_zone":                      "+00:00",
		"transaction_isolation":          "SERIALIZABLE",
		"transaction_read_only":          int64(0),
		"tx_isolation":                   "SERIALIZABLE",
		"tx_read_only":                   int64(0),
		"unique_checks":                  int64(1),
		"version":                        s.version(),
		"version_comment":                "Floe (SQLite " + s.e.Version() + ")",
		"version_compile_os":             "Linux",
		"wait_timeout":                   int64(28800),
		"warning_count":                  int64(0),
	}
}

// readOnlyVars cannot be set in a session.
var readOnlyVars = map[string]bool{
	"version": true, "version_comment": true, "version_compile_os": true, "character_set_system": true,
	"lower_case_table_names": true, "protocol_version": true, "system_time_zone": true, "license": true,
	"warning_count": true, "error_count": true, "performance_schema": true, "query_cache_size": true,
	"init_connect": true, "default_storage_engine": false,
}

// version is VERSION(): the handshake's version, then the engine's.
func (s *mySession) version() string {
	v := s.c.ServerVersion
	if v == "" {
		v = mysqlwire.DefaultVersion
	}
	return v + "-SQLite-" + s.e.Version()
}

func (s *mySession) sysVar(name string) (any, bool) {
	v, ok := s.vars[strings.ToLower(name)]
	return v, ok
}

// values are the session values a translated statement binds.
func (s *mySession) values(keys []string) ([]any, error) {
	out := make([]any, len(keys))
	for i, k := range keys {
		switch {
		case k == "database":
			out[i] = s.c.Database
		case k == "user", k == "current_user":
			out[i] = s.c.User.Name + "@" + policy.HostOf(s.c.RemoteAddr)
		case k == "connection_id":
			out[i] = int64(s.c.ID)
		case k == "version":
			out[i] = s.version()
		case strings.HasPrefix(k, "@@"):
			name := strings.TrimPrefix(k, "@@")
			name = strings.TrimPrefix(name, "global.")
			v, ok := s.sysVar(name)
			if !ok {
				return nil, mysqlwire.Errorf(sqlerr.ErUnknownSystemVariable, "Unknown system variable '%s'", name)
			}
			out[i] = v
		case strings.HasPrefix(k, "@"):
			out[i] = s.user[strings.TrimPrefix(k, "@")]
		}
	}
	return out, nil
}

// runLocal answers a statement the front end handles itself.
func (s *mySession) runLocal(ctx context.Context, st *sqlite.Statement, binaryRows, more bool) error {
	switch x := st.My.Local.(type) {
	case *ast.SetStmt:
		if err := s.set(ctx, st.My, x); err != nil {
			return err
		}
		return s.c.WriteOK(mysqlwire.OK{Status: s.moreFlag(more)})
	case *ast.ShowStmt:
		return s.show(ctx, st.My, x, binaryRows, more)
	case *ast.UseStmt:
		return s.use(x.DBName)
	case *ast.KillStmt:
		return s.c.RunKill(mysqlwire.Kill{ID: uint32(x.ConnectionID), QueryOnly: x.Query}, s.status())
	case *ast.PrepareStmt:
		if err := s.sqlPrepare(ctx, x); err != nil {
			return err
		}
		return s.c.WriteOK(mysqlwire.OK{Status: s.moreFlag(more)})
	case *ast.ExecuteStmt:
		return s.sqlExecute(ctx, x, more)
	case *ast.DeallocateStmt:
		if _, ok := s.prepared[strings.ToLower(x.Name)]; !ok {
			return mysqlwire.Errorf(mysqlwire.ErUnknownStmtHandler, "Unknown prepared statement handler (%s) given to DEALLOCATE PREPARE", x.Name)
		}
		delete(s.prepared, strings.ToLower(x.Name))
		return s.c.WriteOK(mysqlwire.OK{Status: s.moreFlag(more)})
	}
	return sqlite.SQLError(sqlerr.New(sqlerr.FeatureNotSupported, "%s is not supported by the embedded SQLite engine", st.Verb))
}

// eval evaluates an expression of session statement m on SQLite (a SET
// value, a SHOW … LIKE pattern), as the translation printed it.
func (s *mySession) eval(ctx context.Context, m *sqlite.MyStatement, e ast.ExprNode) (any, error) {
	switch x := e.(type) {
	case *ast.ColumnNameExpr:
		// SET sql_mode = TRADITIONAL, SET autocommit = ON: a bare word.
		if x.Name.Table.O == "" {
			return x.Name.Name.O, nil
		}
	case *ast.DefaultExpr:
		return nil, nil
	}
	x := m.Expr(e)
	if x.Err != nil {
		return nil, x.Err
	}
	q := x.SQL
	args, err := s.values(x.Values)
	if err != nil {
		return nil, err
	}
	var v any
	if err := s.conn.QueryRowContext(ctx, "SELECT "+q, args...).Scan(&v); err != nil {
		return nil, err
	}
	if b, ok := v.([]byte); ok {
		v = string(b)
	}
	return v, nil
}

func truthy(v any) (bool, bool) {
	switch x := v.(type) {
	case int64:
		return x != 0, x == 0 || x == 1
	case float64:
		return x != 0, x == 0 || x == 1
	case string:
		switch strings.ToLower(x) {
		case "on", "true", "1":
			return true, true
		case "off", "false", "0":
			return false, true
		}
	}
	return false, false
}

func valueText(v any) string {
	if v == nil {
		return "NULL"
	}
	return fmt.Sprint(v)
}

// set applies the assignments of a SET statement in order, as MySQL
// does (an assignment that fails ends the statement).
func (s *mySession) set(ctx context.Context, m *sqlite.MyStatement, x *ast.SetStmt) error {
	for _, a := range x.Variables {
		if a.IsGlobal || a.IsInstance {
			return sqlite.SQLError(sqlerr.New(sqlerr.FeatureNotSupported, "SET GLOBAL is not supported by the embedded SQLite engine"))
		}
		switch a.Name {
		case ast.SetNames, ast.SetCharset:
			cs, err := s.eval(ctx, m, a.Value)
			if err != nil {
				return err
			}
			name := strings.ToLower(valueText(cs))
			if name == "default" || cs == nil {
				name = "utf8mb4"
			}
			if !strings.HasPrefix(name, "utf8") {
				return mysqlwire.Errorf(sqlerr.ErUnknownCharacterSet, "SQLite databases speak UTF-8 only (utf8mb4), not '%s'", name)
			}
			for _, v := range []string{"character_set_client", "character_set_results", "character_set_connection"} {
				s.vars[v] = name
			}
			continue
		}
		if !a.IsSystem {
			v, err := s.eval(ctx, m, a.Value)
			if err != nil {
				return err
			}
			s.user[strings.ToLower(a.Name)] = v
			continue
		}
		name := strings.ToLower(a.Name)
		if name == "tx_isolation_one_shot" {
			// SET TRANSACTION ISOLATION LEVEL: the next transaction's level;
			// SQLite runs every transaction serialisably.
			v, err := s.eval(ctx, m, a.Value)
			if err != nil {
				return err
			}
			if !slices.Contains(isolationLevels, strings.ToUpper(strings.ReplaceAll(valueText(v), " ", "-"))) {
				return mysqlwire.Errorf(sqlerr.ErWrongValueForVar, "Variable 'transaction_isolation' can't be set to the value of '%s'", valueText(v))
			}
			continue
		}
		if _, ok := s.vars[name]; !ok {
			return mysqlwire.Errorf(sqlerr.ErUnknownSystemVariable, "Unknown system variable '%s'", a.Name)
		}
		if readOnlyVars[name] {
			return mysqlwire.Errorf(sqlerr.ErIncorrectGlobalLocalVar, "Variable '%s' is a read only variable", name)
		}
		if name == "max_allowed_packet" {
			return mysqlwire.Errorf(sqlerr.ErIncorrectGlobalLocalVar, "SESSION variable 'max_allowed_packet' is read-only. Use SET GLOBAL to assign the value")
		}
		var v any
		if _, isDefault := a.Value.(*ast.DefaultExpr); isDefault {
			v = s.sysVarDefaults()[name]
		} else {
			var err error
			if v, err = s.eval(ctx, m, a.Value); err != nil {
				return err
			}
		}
		if err := s.setSysVar(ctx, name, v); err != nil {
			return err
		}
	}
	return nil
}

var isolationLevels = []string{"READ-UNCOMMITTED", "READ-COMMITTED", "REPEATABLE-READ", "SERIALIZABLE"}

func (s *mySession) setSysVar(ctx context.Context, name string, v any) error {
	wrong := func() error {
		return mysqlwire.Errorf(sqlerr.ErWrongValueForVar, "Variable '%s' can't be set to the value of '%s'", name, valueText(v))
	}
	switch name {
	case "autocommit", "foreign_key_checks", "unique_checks", "sql_safe_updates", "sql_auto_is_null", "transaction_read_only", "tx_read_only":
		on, ok := truthy(v)
		if !ok {
			return wrong()
		}
		n := int64(0)
		if on {
			n = 1
		}
		switch name {
		case "autocommit":
			// Turning autocommit on commits the open transaction.
			if on && !s.autocommit && s.inTx {
				if _, err := s.conn.ExecContext(ctx, "COMMIT"); err != nil {
					return err
				}
				s.inTx = false
			}
			s.autocommit = on
		case "foreign_key_checks":
			if _, err := s.conn.ExecContext(ctx, "PRAGMA foreign_keys = "+strconv.FormatInt(n, 10)); err != nil {
				return err
			}
		case "transaction_read_only", "tx_read_only":
			if on {
				return sqlite.SQLError(sqlerr.New(sqlerr.FeatureNotSupported, "read-only transactions are not supported by the embedded SQLite engine"))
			}
			s.vars["transaction_read_only"], s.vars["tx_read_only"] = n, n
		}
		s.vars[name] = n
	case "transaction_isolation", "tx_isolation":
		level := strings.ToUpper(strings.ReplaceAll(valueText(v), " ", "-"))
		if !slices.Contains(isolationLevels, level) {
			return wrong()
		}
		// SQLite runs every transaction serialisably; MySQL's weaker levels
		// are met by it.
		s.vars["transaction_isolation"], s.vars["tx_isolation"] = level, level
	case "sql_mode":
		if v == nil {
			return wrong()
		}
		var modes []string
		for _, m := range strings.Split(strings.ToUpper(valueText(v)), ",") {
			m = strings.TrimSpace(m)
			if m == "" || slices.Contains(modes, m) {
				continue
			}
			if m == "ANSI_QUOTES" || m == "NO_BACKSLASH_ESCAPES" || m == "ANSI" || m == "PIPES_AS_CONCAT" {
				return sqlite.SQLError(sqlerr.New(sqlerr.FeatureNotSupported, "sql_mode %s is not supported by the embedded SQLite engine", m))
			}
			modes = append(modes, m)
		}
		s.vars[name] = strings.Join(modes, ",")
	case "character_set_client", "character_set_connection", "character_set_results", "character_set_database", "character_set_server":
		if v == nil && name == "character_set_results" {
			s.vars[name] = nil
			return nil
		}
		cs := strings.ToLower(valueText(v))
		if !strings.HasPrefix(cs, "utf8") && cs != "binary" {
			return mysqlwire.Errorf(sqlerr.ErUnknownCharacterSet, "SQLite databases speak UTF-8 only (utf8mb4), not '%s'", cs)
		}
		s.vars[name] = cs
	case "collation_connection", "collation_database", "collation_server":
		c := strings.ToLower(valueText(v))
		if !strings.HasPrefix(c, "utf8") {
			return wrong()
		}
		s.vars[name] = c
	case "time_zone":
		switch tz := strings.ToUpper(valueText(v)); tz {
		case "+00:00", "UTC", "SYSTEM", "GMT", "+0:00", "-00:00":
			s.vars[name] = valueText(v)
		default:
			return sqlite.SQLError(sqlerr.New(sqlerr.FeatureNotSupported, "time zones other than UTC are not supported by the embedded SQLite engine"))
		}
	default:
		// Timeouts, lengths and the like: numbers kept as the session's.
		old := s.vars[name]
		if _, isInt := old.(int64); isInt {
			switch x := v.(type) {
			case int64:
				s.vars[name] = x
			case float64:
				s.vars[name] = int64(x)
			case string:
				n, err := strconv.ParseInt(x, 10, 64)
				if err != nil {
					return mysqlwire.Errorf(sqlerr.ErWrongArguments, "Incorrect argument type to variable '%s'", name)
				}
				s.vars[name] = n
			default:
				return wrong()
			}
			return nil
		}
		s.vars[name] = valueText(v)
	}
	return nil
}

// sqlPrepared is a statement PREPAREd in SQL: its text was decided on
// as a statement of its own at PREPARE.
type sqlPrepared struct {
	text string
	st   sqlite.Statement
}

func (s *mySession) sqlPrepare(ctx context.Context, x *ast.PrepareStmt) error {
	if x.SQLVar != nil {
		return sqlite.SQLError(sqlerr.New(sqlerr.FeatureNotSupported, "PREPARE … FROM a variable is not supported by the embedded SQLite engine"))
	}
	d, a := s.ps.Check(ctx, "prepare", x.SQLText)
	if d.Denial != nil {
		return d.Denial
	} else if d.SQL != "" {
		a = s.ps.Analyze(d.SQL)
	}
	var st *sqlite.Statement
	stmts := sqlite.MyStatements(a)
	for i := range stmts {
		if stmts[i].Empty {
			continue
		}
		if st != nil {
			return mysqlwire.Errorf(mysqlwire.ErParse, "You have an error in your SQL syntax: a prepared statement holds one statement")
		}
		st = &stmts[i]
	}
	if st == nil {
		return mysqlwire.Errorf(sqlerr.ErEmptyQuery, "Query was empty")
	}
	if st.My != nil && st.My.Err != nil {
		return st.My.Err
	}
	if st.My != nil && st.My.Local != nil {
		if _, ok := st.My.Local.(*ast.ShowStmt); !ok {
			return sqlite.SQLError(sqlerr.New(sqlerr.FeatureNotSupported, "PREPARE of %s is not supported by the embedded SQLite engine", st.Verb))
		}
	}
	// MySQL replaces a statement of the same name.
	s.prepared[strings.ToLower(x.Name)] = &sqlPrepared{text: x.SQLText, st: *st}
	return nil
}

func (s *mySession) sqlExecute(ctx context.Context, x *ast.ExecuteStmt, more bool) error {
	p := s.prepared[strings.ToLower(x.Name)]
	if p == nil {
		return mysqlwire.Errorf(mysqlwire.ErUnknownStmtHandler, "Unknown prepared statement handler (%s) given to EXECUTE", x.Name)
	}
	if len(x.UsingVars) != p.st.NParams {
		return mysqlwire.Errorf(mysqlwire.ErWrongArguments, "Incorrect arguments to EXECUTE")
	}
	args := make([]any, len(x.UsingVars))
	for i, e := range x.UsingVars {
		v, ok := e.(*ast.VariableExpr)
		if !ok || v.IsSystem {
			return mysqlwire.Errorf(mysqlwire.ErWrongArguments, "Incorrect arguments to EXECUTE")
		}
		args[i] = s.user[strings.ToLower(v.Name)]
	}
	return s.runStatement(ctx, &p.st, args, false, more)
}

// ---- SHOW ----

// result is a SHOW result: built here, filtered by SQLite when the
// statement has LIKE or WHERE, and sent as any result.
type result struct {
	names []string
	rows  [][]any
}

func (r *result) add(vals ...any) { r.rows = append(r.rows, vals) }

// send sends a SHOW result; LIKE filters on its first column.
func (s *mySession) send(ctx context.Context, m *sqlite.MyStatement, x *ast.ShowStmt, r *result, binaryRows, more bool) error {
	var where []string
	var args []any
	if x.Pattern != nil {
		p, err := s.eval(ctx, m, x.Pattern.Pattern)
		if err != nil {
			return err
		}
		where = append(where, quoteIdent(r.names[0])+" LIKE ? ESCAPE '\\'")
		args = append(args, p)
	}
	var whereVals []any
	if x.Where != nil {
		w := m.Expr(x.Where)
		if w.Err != nil {
			return w.Err
		}
		var err error
		if whereVals, err = s.values(w.Values); err != nil {
			return err
		}
		where = append(where, "("+w.SQL+")")
	}
	// WITH r(names…) AS (VALUES (…), …) SELECT * FROM r [WHERE …]: the
	// WHERE's session values come first (?1…), the rows' values after.
	var b strings.Builder
	cols := make([]string, len(r.names))
	for i, n := range r.names {
		cols[i] = quoteIdent(n)
	}
	all := append(whereVals, args...)
	n := len(all)
	b.WriteString("WITH r(" + strings.Join(cols, ", ") + ") AS (")
	if len(r.rows) == 0 {
		b.WriteString("SELECT " + strings.Repeat("NULL, ", len(cols)-1) + "NULL WHERE 0")
	} else {
		b.WriteString("VALUES ")
		for i, row := range r.rows {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString("(")
			for j, v := range row {
				if j > 0 {
					b.WriteString(", ")
				}
				n++
				b.WriteString("?" + strconv.Itoa(n))
				all = append(all, v)
			}
			b.WriteString(")")
		}
	}
	b.WriteString(") SELECT * FROM r")
	if len(where) > 0 {
		// LIKE's parameter follows the WHERE's values.
		b.WriteString(" WHERE " + strings.Join(renumberLike(where, len(whereVals)), " AND "))
	}
	return s.runRows(ctx, &sqlite.Statement{SQL: b.String(), Rows: true}, all, binaryRows, more)
}

// renumberLike gives LIKE's ? the number after the WHERE's values.
func renumberLike(where []string, nWhere int) []string {
	out := slices.Clone(where)
	if len(out) > 0 && strings.HasSuffix(out[0], "LIKE ? ESCAPE '\\'") {
		out[0] = strings.Replace(out[0], "LIKE ?", "LIKE ?"+strconv.Itoa(nWhere+1), 1)
	}
	return out
}

func quoteIdent(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

func (s *mySession) show(ctx context.Context, m *sqlite.MyStatement, x *ast.ShowStmt, binaryRows, more bool) error {
	r := &result{}
	switch x.Tp {
	case ast.ShowDatabases:
		r.names = []string{"Database"}
		r.add(s.c.Database)
	case ast.ShowTables:
		if x.DBName != "" && !strings.EqualFold(x.DBName, s.c.Database) {
			return mysqlwire.Errorf(sqlerr.ErBadDB, "Unknown database '%s'", x.DBName)
		}
		r.names = []string{"Tables_in_" + s.c.Database}
		if x.Full {
			r.names = append(r.names, "Table_type")
		}
		tables, err := s.tables(ctx)
		if err != nil {
			return err
		}
		for _, t := range tables {
			typ := "BASE TABLE"
			if t.view {
				typ = "VIEW"
			}
			if x.Full {
				r.add(t.name, typ)
			} else {
				r.add(t.name)
			}
		}
	case ast.ShowColumns:
		info, err := s.tableInfo(ctx, x.Table)
		if err != nil {
			return err
		}
		r.names = []string{"Field", "Type", "Null", "Key", "Default", "Extra"}
		if x.Full {
			r.names = []string{"Field", "Type", "Collation", "Null", "Key", "Default", "Extra", "Privileges", "Comment"}
		}
		for _, c := range info.cols {
			null := "YES"
			if c.notNull || c.pk > 0 {
				null = "NO"
			}
			extra := ""
			if c.auto {
				extra = "auto_increment"
			}
			if x.Full {
				var coll any
				if isTextType(c.myType) {
					coll = "utf8mb4_bin"
				}
				r.add(c.name, c.myType, coll, null, info.key(c), c.dflt, extra, "select,insert,update,references", "")
			} else {
				r.add(c.name, c.myType, null, info.key(c), c.dflt, extra)
			}
		}
		if x.Column != nil {
			keep := r.rows[:0]
			for _, row := range r.rows {
				if strings.EqualFold(row[0].(string), x.Column.Name.O) {
					keep = append(keep, row)
				}
			}
			r.rows = keep
		}
	case ast.ShowIndex:
		info, err := s.tableInfo(ctx, x.Table)
		if err != nil {
			return err
		}
		r.names = []string{"Table", "Non_unique", "Key_name", "Seq_in_index", "Column_name", "Collation", "Cardinality",
			"Sub_part", "Packed", "Null", "Index_type", "Comment", "Index_comment", "Visible", "Expression"}
		for _, ix := range info.indexes {
			nonUnique := int64(1)
			if ix.unique {
				nonUnique = 0
			}
			for i, col := range ix.cols {
				null := ""
				if c := info.col(col); c != nil && !c.notNull && c.pk == 0 {
					null = "YES"
				}
				r.add(info.name, nonUnique, ix.name, int64(i+1), col, "A", nil, nil, nil, null, "BTREE", "", "", "YES", nil)
			}
		}
	case ast.ShowCreateTable, ast.ShowCreateView:
		info, err := s.tableInfo(ctx, x.Table)
		if err != nil {
			return err
		}
		if info.view {
			r.names = []string{"View", "Create View", "character_set_client", "collation_connection"}
			r.add(info.name, info.sql, "utf8mb4", "utf8mb4_bin")
		} else {
			r.names = []string{"Table", "Create Table"}
			r.add(info.name, info.createTable())
		}
	case ast.ShowCreateDatabase:
		r.names = []string{"Database", "Create Database"}
		r.add(s.c.Database, "CREATE DATABASE "+quoteName(s.c.Database)+" /*!40100 DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_bin */")
	case ast.ShowVariables:
		// GLOBAL shows the session's values: the only ones there are.
		r.names = []string{"Variable_name", "Value"}
		names := make([]string, 0, len(s.vars))
		for n := range s.vars {
			names = append(names, n)
		}
		slices.Sort(names)
		for _, n := range names {
			v := s.vars[n]
			if v == nil {
				r.add(n, "")
			} else {
				r.add(n, fmt.Sprint(v))
			}
		}
	case ast.ShowStatus:
		r.names = []string{"Variable_name", "Value"}
	case ast.ShowWarnings, ast.ShowErrors:
		if x.CountWarningsOrErrors {
			name := "@@session.warning_count"
			if x.Tp == ast.ShowErrors {
				name = "@@session.error_count"
			}
			return s.writeValues([]string{name}, []any{int64(0)})
		}
		r.names = []string{"Level", "Code", "Message"}
	case ast.ShowEngines:
		r.names = []string{"Engine", "Support", "Comment", "Transactions", "XA", "Savepoints"}
		r.add("SQLite", "DEFAULT", "SQLite "+s.e.Version()+", embedded in Floe", "YES", "NO", "YES")
	case ast.ShowCharset:
		r.names = []string{"Charset", "Description", "Default collation", "Maxlen"}
		r.add("utf8mb4", "UTF-8 Unicode", "utf8mb4_bin", int64(4))
	case ast.ShowCollation:
		r.names = []string{"Collation", "Charset", "Id", "Default", "Compiled", "Sortlen"}
		r.add("utf8mb4_bin", "utf8mb4", int64(46), "Yes", "Yes", int64(1))
	case ast.ShowTableStatus:
		if x.DBName != "" && !strings.EqualFold(x.DBName, s.c.Database) {
			return mysqlwire.Errorf(sqlerr.ErBadDB, "Unknown database '%s'", x.DBName)
		}
		r.names = []string{"Name", "Engine", "Version", "Row_format", "Rows", "Avg_row_length", "Data_length", "Max_data_length",
			"Index_length", "Data_free", "Auto_increment", "Create_time", "Update_time", "Check_time", "Collation", "Checksum", "Create_options", "Comment"}
		tables, err := s.tables(ctx)
		if err != nil {
			return err
		}
		for _, t := range tables {
			if t.view {
				r.add(t.name, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, "VIEW")
				continue
			}
			if d := s.gate.CheckTable(ctx, t.name); d.Denial != nil {
				// Row counts of a table the user may not read stay unknown.
				r.add(t.name, "SQLite", int64(10), "Dynamic", nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, "utf8mb4_bin", nil, "", "")
				continue
			}
			var n int64
			if err := s.conn.QueryRowContext(ctx, "SELECT count(*) FROM "+quoteName(t.name)).Scan(&n); err != nil {
				return err
			}
			r.add(t.name, "SQLite", int64(10), "Dynamic", n, nil, nil, nil, nil, nil, nil, nil, nil, nil, "utf8mb4_bin", nil, "", "")
		}
	default:
		return sqlite.SQLError(sqlerr.New(sqlerr.FeatureNotSupported, "this SHOW statement is not supported by the embedded SQLite engine"))
	}
	return s.send(ctx, m, x, r, binaryRows, more)
}

func quoteName(s string) string { return "`" + strings.ReplaceAll(s, "`", "``") + "`" }

type tableName struct {
	name string
	view bool
}

func (s *mySession) tables(ctx context.Context) ([]tableName, error) {
	rows, err := s.conn.QueryContext(ctx, "SELECT name, type FROM sqlite_schema WHERE type IN ('table','view') AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []tableName
	for rows.Next() {
		var n, t string
		if err := rows.Scan(&n, &t); err != nil {
			return nil, err
		}
		out = append(out, tableName{name: n, view: t == "view"})
	}
	return out, rows.Err()
}
