package sqlite

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/pingcap/tidb/pkg/parser/ast"
	"github.com/pingcap/tidb/pkg/parser/charset"
	"github.com/pingcap/tidb/pkg/parser/format"
	"github.com/pingcap/tidb/pkg/parser/mysql"
	"github.com/pingcap/tidb/pkg/parser/opcode"
	"github.com/pingcap/tidb/pkg/parser/test_driver"

	"github.com/floe-db/floe/internal/sqlparse"
)

// MyStatement is what the MySQL translation adds to a Statement.
type MyStatement struct {
	// Values are the session values the statement binds after its own
	// parameters (?NParams+1 on, in order): "database", "user",
	// "current_user", "connection_id", "version", "@@name" (a system
	// variable, name lower case) or "@name" (a user variable).
	Values []string
	// Local is a statement the MySQL front end answers itself (SET, SHOW,
	// DESCRIBE, USE, PREPARE, EXECUTE, DEALLOCATE, KILL); nil for SQL that
	// runs on SQLite. It is shared: read only.
	Local ast.StmtNode
	// exprs are the expressions of Local (SET values, SHOW's LIKE and
	// WHERE) printed as SQLite SQL once, with the translation (Expr).
	exprs map[ast.ExprNode]MyExpr
	// Err refuses the statement: a construct the translation does not
	// cover (a *sqlerr.Error with SQLSTATE 0A000).
	Err error
	// Schemas are the database names the text qualified tables or
	// columns with, printed without them: the front end refuses the
	// statement unless each is the session's database.
	Schemas []string
	// Atomic: SQL holds several SQLite statements (a CREATE TABLE and the
	// indexes it defines) that must take effect together (the front end
	// runs them under a savepoint).
	Atomic bool
}

// myRestoreFlags print SQLite-readable text: strings single-quoted with
// ” doubling and no introducers, identifiers in backticks (SQLite reads
// them), every binary operation parenthesised (the two dialects'
// precedences differ).
const myRestoreFlags = format.RestoreStringSingleQuotes | format.RestoreKeyWordUppercase | format.RestoreNameBackQuotes |
	format.RestoreStringWithoutCharset | format.RestoreSpacesAroundBinaryOperation |
	format.RestoreBracketAroundBinaryOperation | format.RestoreBracketAroundBetweenExpr

// translateMySQL parses a MySQL-dialect text with the policy's parser and
// prints each statement as SQLite SQL. A text the parser cannot read goes
// on as the lexer splits it, its string literals written in SQLite's form
// (the policy already decided about unparseable texts).
func translateMySQL(text string) []Statement {
	nodes, err := sqlparse.MySQLNodes(text)
	if err != nil || len(nodes) == 0 {
		return split(mysqlLiterals(text))
	}
	var out []Statement
	for _, n := range nodes {
		out = append(out, translateSafely(n)...)
	}
	return out
}

// translateSafely translates one statement; a tree the printer cannot
// handle refuses that statement, never the process.
func translateSafely(n ast.StmtNode) (out []Statement) {
	defer func() {
		if r := recover(); r != nil {
			out = []Statement{{SQL: strings.TrimSpace(n.Text()), Verb: stmtName(n), My: &MyStatement{Err: notSupported("this form of " + stmtName(n))}}}
		}
	}()
	return translateMyNode(n)
}

// stmtName names a statement node for messages: CreateDatabaseStmt →
// CREATE DATABASE.
func stmtName(n ast.Node) string {
	s := strings.TrimSuffix(strings.TrimPrefix(fmt.Sprintf("%T", n), "*ast."), "Stmt")
	var b strings.Builder
	for i, r := range s {
		if i > 0 && r >= 'A' && r <= 'Z' {
			b.WriteByte(' ')
		}
		b.WriteRune(r)
	}
	return strings.ToUpper(b.String())
}

func translateMyNode(n ast.StmtNode) []Statement {
	local := func(verb string, rows bool) []Statement {
		return []Statement{{SQL: strings.TrimSpace(n.Text()), Verb: verb, Rows: rows, My: localStatement(n)}}
	}
	fail := func(verb string, err error) []Statement {
		return []Statement{{SQL: strings.TrimSpace(n.Text()), Verb: verb, My: &MyStatement{Err: err}}}
	}
	plain := func(verb, sql string, tx byte) []Statement {
		return []Statement{{SQL: sql, Verb: verb, Tx: tx, My: &MyStatement{}}}
	}
	switch x := n.(type) {
	case *ast.SetStmt:
		return local("SET", false)
	case *ast.ShowStmt:
		return local("SHOW", true)
	case *ast.UseStmt:
		return local("USE", false)
	case *ast.PrepareStmt:
		return local("PREPARE", false)
	case *ast.ExecuteStmt:
		return local("EXECUTE", false)
	case *ast.DeallocateStmt:
		return local("DEALLOCATE", false)
	case *ast.KillStmt:
		return local("KILL", false)
	case *ast.ExplainStmt:
		if s, ok := x.Stmt.(*ast.ShowStmt); ok {
			return []Statement{{SQL: strings.TrimSpace(n.Text()), Verb: "DESCRIBE", Rows: true, My: localStatement(s)}}
		}
		return fail("EXPLAIN", notSupported("EXPLAIN"))
	case *ast.BeginStmt:
		return plain("BEGIN", "BEGIN", 'B')
	case *ast.CommitStmt:
		return plain("COMMIT", "COMMIT", 'E')
	case *ast.RollbackStmt:
		if x.SavepointName != "" {
			return plain("ROLLBACK", "ROLLBACK TO "+quoteIdent(x.SavepointName), 0)
		}
		return plain("ROLLBACK", "ROLLBACK", 'E')
	case *ast.SavepointStmt:
		return plain("SAVEPOINT", "SAVEPOINT "+quoteIdent(x.Name), 0)
	case *ast.ReleaseSavepointStmt:
		return plain("RELEASE", "RELEASE "+quoteIdent(x.Name), 0)
	case *ast.DropTableStmt:
		schemas := stripSchemas(n)
		what := "TABLE"
		if x.IsView {
			what = "VIEW"
		}
		// DROP TABLE a, b is one statement: its drops take effect together.
		var drops []string
		for _, t := range x.Tables {
			q := "DROP " + what + " "
			if x.IfExists {
				q += "IF EXISTS "
			}
			p := newMyPrinter(t)
			s, err := p.print(t)
			if err != nil {
				return fail("DROP "+what, err)
			}
			drops = append(drops, q+s)
		}
		return []Statement{{SQL: strings.Join(drops, "; "), Verb: "DROP " + what, My: &MyStatement{Schemas: schemas, Atomic: len(drops) > 1}}}
	case *ast.TruncateTableStmt:
		schemas := stripSchemas(n)
		p := newMyPrinter(x.Table)
		s, err := p.print(x.Table)
		if err != nil {
			return fail("TRUNCATE", err)
		}
		return []Statement{{SQL: "DELETE FROM " + s, Verb: "TRUNCATE", My: &MyStatement{Schemas: schemas}}}
	}
	verb := stmtName(n)
	schemas := stripSchemas(n)
	p := newMyPrinter(n)
	sql, err := p.statement(n)
	if err != nil {
		return fail(verb, err)
	}
	st := Statement{SQL: sql, NParams: p.nParams, My: &MyStatement{Values: p.values, Schemas: schemas}}
	if _, ok := n.(*ast.CreateTableStmt); ok {
		st.My.Atomic = strings.Contains(sql, "; CREATE ")
	}
	switch x := n.(type) {
	case *ast.SelectStmt, *ast.SetOprStmt:
		st.Verb, st.Rows = "SELECT", true
	case *ast.InsertStmt:
		st.Verb = "INSERT"
		if x.IsReplace {
			st.Verb = "REPLACE"
		}
	case *ast.UpdateStmt:
		st.Verb = "UPDATE"
	case *ast.DeleteStmt:
		st.Verb = "DELETE"
	default:
		st.Verb = verb
	}
	return []Statement{st}
}

// myPrinter prints one statement's tree as SQLite SQL: a visitor rewrites
// the MySQL-only expressions into nodes that print SQLite forms, then the
// tree is restored.
type myPrinter struct {
	params  map[ast.ParamMarkerExpr]int
	nParams int
	values  []string
	err     error
}

func newMyPrinter(n ast.Node) *myPrinter {
	p := &myPrinter{params: map[ast.ParamMarkerExpr]int{}}
	// Client parameters are numbered in the order of the text (?1, ?2…),
	// whatever order the tree is walked in.
	c := &paramCollector{}
	n.Accept(c)
	slices.SortFunc(c.marks, func(a, b *test_driver.ParamMarkerExpr) int { return a.Offset - b.Offset })
	for i, m := range c.marks {
		p.params[m] = i + 1
	}
	p.nParams = len(c.marks)
	return p
}

type paramCollector struct {
	marks []*test_driver.ParamMarkerExpr
}

func (c *paramCollector) Enter(n ast.Node) (ast.Node, bool) {
	if m, ok := n.(*test_driver.ParamMarkerExpr); ok {
		c.marks = append(c.marks, m)
	}
	return n, false
}
func (c *paramCollector) Leave(n ast.Node) (ast.Node, bool) { return n, true }

// value is the parameter number that binds session value key.
func (p *myPrinter) value(key string) string {
	i := slices.Index(p.values, key)
	if i < 0 {
		p.values = append(p.values, key)
		i = len(p.values) - 1
	}
	return "?" + strconv.Itoa(p.nParams+1+i)
}

// print rewrites n and restores it.
func (p *myPrinter) print(n ast.Node) (string, error) {
	n.Accept(p)
	if p.err != nil {
		return "", p.err
	}
	var b strings.Builder
	if err := n.Restore(format.NewRestoreCtx(myRestoreFlags, &b)); err != nil {
		if p.err != nil {
			return "", p.err
		}
		return "", notSupported("this statement's form (" + err.Error() + ")")
	}
	return b.String(), nil
}

// restore prints an already rewritten node.
func restore(n ast.Node) (string, error) {
	var b strings.Builder
	err := n.Restore(format.NewRestoreCtx(myRestoreFlags, &b))
	return b.String(), err
}

// rawExpr is an expression node that prints a SQLite form of its own.
type rawExpr struct {
	ast.FuncCallExpr
	out func(ctx *format.RestoreCtx) error
}

func (e *rawExpr) Restore(ctx *format.RestoreCtx) error { return e.out(ctx) }
func (e *rawExpr) Accept(v ast.Visitor) (ast.Node, bool) {
	n, _ := v.Enter(e)
	return v.Leave(n)
}

// raw prints form with each %s replaced by the next argument.
func raw(form string, args ...ast.ExprNode) *rawExpr {
	return &rawExpr{out: func(ctx *format.RestoreCtx) error {
		parts := strings.Split(form, "%s")
		for i, part := range parts {
			ctx.WritePlain(part)
			if i < len(parts)-1 {
				if err := args[i].Restore(ctx); err != nil {
					return err
				}
			}
		}
		return nil
	}}
}

// call prints name(args…).
func call(name string, args ...ast.ExprNode) *rawExpr {
	return &rawExpr{out: func(ctx *format.RestoreCtx) error {
		ctx.WritePlain(name + "(")
		for i, a := range args {
			if i > 0 {
				ctx.WritePlain(", ")
			}
			if err := a.Restore(ctx); err != nil {
				return err
			}
		}
		ctx.WritePlain(")")
		return nil
	}}
}

// text prints s as it is.
func text(s string) *rawExpr {
	return &rawExpr{out: func(ctx *format.RestoreCtx) error {
		ctx.WritePlain(s)
		return nil
	}}
}

func (p *myPrinter) fail(err error) {
	if p.err == nil {
		p.err = err
	}
}

func (p *myPrinter) Enter(n ast.Node) (ast.Node, bool) {
	switch x := n.(type) {
	case *ast.SelectField:
		// MySQL names an unaliased column by its text as written.
		if x.Expr != nil && x.AsName.O == "" {
			if _, isCol := x.Expr.(*ast.ColumnNameExpr); !isCol {
				name := strings.TrimSpace(x.Text())
				if v, ok := x.Expr.(*test_driver.ValueExpr); ok && v.Kind() == test_driver.KindString {
					name = v.GetString()
				}
				// SQLite reads no NUL byte in a text.
				name = strings.ReplaceAll(name, "\x00", "")
				if name != "" {
					x.AsName = ast.NewCIStr(name)
				}
			}
		}
	case *ast.SelectStmt:
		if x.SelectIntoOpt != nil {
			p.fail(notSupported("SELECT … INTO"))
		}
		if x.SelectStmtOpts != nil && x.SelectStmtOpts.CalcFoundRows {
			p.fail(notSupported("SQL_CALC_FOUND_ROWS"))
		}
		if x.SelectStmtOpts != nil {
			// Hints and buffering options mean nothing to SQLite.
			x.SelectStmtOpts = &ast.SelectStmtOpts{Distinct: x.SelectStmtOpts.Distinct, SQLCache: true}
		}
		x.TableHints = nil
		x.LockInfo = nil // SQLite serialises writers; FOR UPDATE locks nothing more
	case *ast.WindowSpec, *ast.WindowFuncExpr:
	case *ast.MatchAgainst:
		p.fail(notSupported("MATCH … AGAINST"))
	case *ast.TableName:
		x.IndexHints = nil // SQLite plans its own index use
	}
	return n, false
}

func (p *myPrinter) Leave(n ast.Node) (ast.Node, bool) {
	switch x := n.(type) {
	case *test_driver.ParamMarkerExpr:
		return text("?" + strconv.Itoa(p.params[x])), true
	case *test_driver.ValueExpr:
		return p.literal(x), true
	case *ast.VariableExpr:
		if x.Value != nil {
			p.fail(notSupported("assigning a user variable in an expression (:=)"))
			return n, true
		}
		if x.IsSystem {
			name := strings.ToLower(x.Name)
			name = strings.TrimPrefix(strings.TrimPrefix(name, "session."), "local.")
			return text(p.value("@@" + name)), true
		}
		return text(p.value("@" + strings.ToLower(x.Name))), true
	case *ast.FuncCallExpr:
		return p.function(x), true
	case *ast.FuncCastExpr:
		return p.cast(x), true
	case *ast.AggregateFuncExpr:
		return p.aggregate(x), true
	case *ast.BinaryOperationExpr:
		switch x.Op {
		case opcode.IntDiv:
			return raw("CAST((%s) / (%s) AS INTEGER)", x.L, x.R), true
		case opcode.NullEQ:
			return raw("((%s) IS (%s))", x.L, x.R), true
		case opcode.LogicXor:
			return raw("(((%s) <> 0) <> ((%s) <> 0))", x.L, x.R), true
		}
	case *ast.PatternLikeOrIlikeExpr:
		if !x.IsLike {
			p.fail(notSupported("ILIKE"))
			return n, true
		}
		not := ""
		if x.Not {
			not = "NOT "
		}
		// MySQL's LIKE escapes with a backslash unless told otherwise.
		return raw("((%s) "+not+"LIKE (%s) ESCAPE "+quoteString(string(x.Escape))+")", x.Expr, x.Pattern), true
	case *ast.PatternRegexpExpr:
		e := call("floe_my_regexp", x.Expr, x.Pattern)
		if x.Not {
			return raw("(NOT %s)", e), true
		}
		return e, true
	case *ast.ValuesExpr:
		// VALUES(col) of ON DUPLICATE KEY UPDATE: SQLite's excluded.col.
		if x.Column != nil {
			return text("excluded." + quoteIdent(x.Column.Name.Name.O)), true
		}
	case *ast.SetCollationExpr:
		// MySQL's collations as SQLite's: _bin compares bytes, _ci
		// ignores (ASCII) case; others keep SQLite's default.
		switch c := strings.ToLower(x.Collate); {
		case strings.HasSuffix(c, "_bin") || c == "binary":
			return raw("(%s) COLLATE BINARY", x.Expr), true
		case strings.HasSuffix(c, "_ci"):
			return raw("(%s) COLLATE NOCASE", x.Expr), true
		}
		return raw("(%s)", x.Expr), true
	case *ast.TimeUnitExpr:
		return text(quoteString(x.Unit.String())), true
	case *ast.DefaultExpr:
		if x.Name != nil {
			p.fail(notSupported("DEFAULT(column)"))
		}
	}
	return n, true
}

// literal prints a constant as SQLite reads the same value.
func (p *myPrinter) literal(v *test_driver.ValueExpr) ast.ExprNode {
	switch v.Kind() {
	case test_driver.KindString, test_driver.KindBytes:
		s := v.GetString()
		if v.Type.GetCharset() == charset.CharsetBin {
			return text("X'" + fmt.Sprintf("%x", s) + "'")
		}
		if strings.IndexByte(s, 0) >= 0 {
			return text("CAST(X'" + fmt.Sprintf("%x", s) + "' AS TEXT)")
		}
		return text(quoteString(s))
	case test_driver.KindBinaryLiteral:
		return text("X'" + fmt.Sprintf("%x", v.GetBytes()) + "'")
	case test_driver.KindInt64:
		if v.Type.GetFlag()&mysql.IsBooleanFlag != 0 {
			if v.GetInt64() > 0 {
				return text("1")
			}
			return text("0")
		}
	case test_driver.KindFloat64, test_driver.KindFloat32:
		return text(strconv.FormatFloat(v.GetFloat64(), 'g', -1, 64))
	}
	return v
}

// myNames maps MySQL functions to SQLite's own or to the engine's
// floe_my_* functions (funcs_my.go) where only the name differs.
var myNames = map[string]string{
	"ucase": "upper", "lcase": "lower", "char_length": "length", "character_length": "length",
	"substring": "substr", "mid": "substr", "ifnull": "ifnull", "if": "iif",
	"concat_ws": "floe_my_concat_ws", "date_format": "floe_my_date_format", "from_unixtime": "floe_my_from_unixtime",
	"datediff": "floe_my_datediff", "left": "floe_my_left", "right": "floe_my_right", "lpad": "floe_my_lpad",
	"rpad": "floe_my_rpad", "repeat": "floe_my_repeat", "reverse": "floe_my_reverse", "locate": "floe_my_locate",
	"substring_index": "floe_my_substring_index", "timestampdiff": "floe_my_timestampdiff",
	"space": "floe_my_space", "field": "floe_my_field",
	"rand": "floe_my_rand", "truncate": "floe_my_truncate", "elt": "floe_my_elt",
}

// mySessionFuncs are the functions whose value is the session's.
var mySessionFuncs = map[string]string{
	"database": "database", "schema": "database", "user": "user", "session_user": "user", "system_user": "user",
	"current_user": "current_user", "connection_id": "connection_id", "version": "version",
}

func (p *myPrinter) function(x *ast.FuncCallExpr) ast.ExprNode {
	name := x.FnName.L
	if x.Schema.L != "" {
		p.fail(notSupported("the function " + x.Schema.O + "." + x.FnName.O))
		return x
	}
	args := x.Args
	if key, ok := mySessionFuncs[name]; ok {
		return text(p.value(key))
	}
	switch name {
	case "now", "current_timestamp", "localtime", "localtimestamp", "sysdate", "utc_timestamp":
		if len(args) > 0 {
			return text("strftime('%Y-%m-%d %H:%M:%f', 'now')")
		}
		return text("datetime('now')")
	case "curdate", "current_date", "utc_date":
		return text("date('now')")
	case "curtime", "current_time", "utc_time":
		return text("time('now')")
	case "unix_timestamp":
		if len(args) == 0 {
			return text("unixepoch()")
		}
		return call("floe_my_unix_timestamp", args...)
	case "last_insert_id":
		if len(args) > 0 {
			p.fail(notSupported("LAST_INSERT_ID(expr)"))
		}
		return text("last_insert_rowid()")
	case "row_count":
		return text("changes()")
	case "found_rows":
		p.fail(notSupported("FOUND_ROWS()"))
		return x
	case "concat":
		if len(args) == 0 {
			return x
		}
		// SQLite's || is NULL when an operand is, as MySQL's CONCAT.
		form := "(" + strings.Repeat("(%s) || ", len(args)-1) + "(%s)"
		if len(args) == 1 {
			form = "((%s) || ''"
		}
		return raw(form+")", args...)
	case "length", "octet_length":
		return raw("length(CAST((%s) AS BLOB))", args...)
	case "date_add", "adddate", "date_sub", "subdate":
		sign := "1"
		if name == "date_sub" || name == "subdate" {
			sign = "-1"
		}
		if len(args) == 2 {
			return call("floe_my_date_add", args[0], args[1], text("'DAY'"), text(sign))
		}
		if len(args) == 3 {
			return call("floe_my_date_add", args[0], args[1], args[2], text(sign))
		}
	case "year", "month", "day", "dayofmonth", "hour", "minute", "second", "dayofyear", "dayofweek", "weekday":
		// Date parts: SQLite's strftime of the value (NULL for NULL or a
		// value that is no date).
		if len(args) == 1 {
			f := map[string]string{"year": "%Y", "month": "%m", "day": "%d", "dayofmonth": "%d", "hour": "%H", "minute": "%M",
				"second": "%S", "dayofyear": "%j", "dayofweek": "%w", "weekday": "%w"}[name]
			form := "CAST(strftime('" + f + "', %s) AS INTEGER)"
			switch name {
			case "dayofweek":
				form = "(" + form + " + 1)"
			case "weekday":
				form = "((" + form + " + 6) % 7)"
			}
			return raw(form, args[0])
		}
	case "greatest", "least":
		// SQLite's max and min of several values: NULL if any is, as MySQL.
		if len(args) >= 2 {
			return call(map[string]string{"greatest": "max", "least": "min"}[name], args...)
		}
	case "values":
		// VALUES(col) of ON DUPLICATE KEY UPDATE: SQLite's excluded.col.
		if c, ok := firstColumn(args); ok {
			return text("excluded." + quoteIdent(c))
		}
	case "convert":
		// CONVERT(x USING charset): SQLite text is UTF-8 only.
		if len(args) >= 1 {
			return raw("(%s)", args[0])
		}
	case "ilike", "match", "get_lock", "release_lock", "sleep", "benchmark":
		p.fail(notSupported(strings.ToUpper(name) + "()"))
		return x
	}
	if to, ok := myNames[name]; ok {
		return call(to, args...)
	}
	return call(name, args...)
}

func (p *myPrinter) cast(x *ast.FuncCastExpr) ast.ExprNode {
	switch x.Tp.GetType() {
	case mysql.TypeLonglong, mysql.TypeLong, mysql.TypeInt24, mysql.TypeShort, mysql.TypeTiny:
		return raw("CAST((%s) AS INTEGER)", x.Expr)
	case mysql.TypeNewDecimal:
		return raw("CAST((%s) AS NUMERIC)", x.Expr)
	case mysql.TypeDouble, mysql.TypeFloat:
		return raw("CAST((%s) AS REAL)", x.Expr)
	case mysql.TypeDate:
		return call("date", x.Expr)
	case mysql.TypeDatetime, mysql.TypeTimestamp:
		return call("datetime", x.Expr)
	case mysql.TypeDuration:
		return call("time", x.Expr)
	case mysql.TypeJSON:
		return call("json", x.Expr)
	}
	if x.Tp.GetCharset() == charset.CharsetBin {
		return raw("CAST((%s) AS BLOB)", x.Expr)
	}
	return raw("CAST((%s) AS TEXT)", x.Expr)
}

func (p *myPrinter) aggregate(x *ast.AggregateFuncExpr) ast.ExprNode {
	switch strings.ToLower(x.F) {
	case "group_concat":
		if len(x.Args) < 2 {
			return x
		}
		// The parser keeps the separator as the last argument.
		vals, sep := x.Args[:len(x.Args)-1], x.Args[len(x.Args)-1]
		var val ast.ExprNode = vals[0]
		if len(vals) > 1 {
			val = raw("("+strings.Repeat("(%s) || ", len(vals)-1)+"(%s))", vals...)
		}
		order := ""
		if x.Order != nil {
			s, err := restore(x.Order)
			if err != nil {
				p.fail(notSupported("this GROUP_CONCAT ORDER BY"))
				return x
			}
			order = " " + s
		}
		if x.Distinct {
			if sv, ok := sep.(*rawExpr); !ok || !isCommaLiteral(sv) {
				p.fail(notSupported("GROUP_CONCAT(DISTINCT … SEPARATOR other than ',')"))
				return x
			}
			return raw("group_concat(DISTINCT %s"+order+")", val)
		}
		return raw("group_concat(%s, %s"+order+")", val, sep)
	case "count", "sum", "avg", "min", "max", "total":
		return x
	case "bit_and", "bit_or", "bit_xor", "std", "stddev", "stddev_pop", "stddev_samp", "variance", "var_pop", "var_samp", "json_arrayagg", "json_objectagg":
		p.fail(notSupported(strings.ToUpper(x.F) + "()"))
	}
	return x
}

func isCommaLiteral(e *rawExpr) bool {
	s, err := restore(e)
	return err == nil && s == "','"
}

// statement prints a DML or DDL statement.
func (p *myPrinter) statement(n ast.StmtNode) (string, error) {
	switch x := n.(type) {
	case *ast.SelectStmt, *ast.SetOprStmt:
		return p.print(n)
	case *ast.InsertStmt:
		return p.insert(x)
	case *ast.UpdateStmt:
		if x.MultipleTable {
			return "", notSupported("multi-table UPDATE")
		}
		if x.Limit != nil || x.Order != nil {
			return "", notSupported("UPDATE … ORDER BY/LIMIT")
		}
		if x.IgnoreErr {
			return "", notSupported("UPDATE IGNORE")
		}
		return p.print(n)
	case *ast.DeleteStmt:
		if x.IsMultiTable {
			return "", notSupported("multi-table DELETE")
		}
		if x.Limit != nil || x.Order != nil {
			return "", notSupported("DELETE … ORDER BY/LIMIT")
		}
		if x.IgnoreErr || x.Quick || x.Priority != 0 {
			return "", notSupported("DELETE options")
		}
		return p.print(n)
	case *ast.CreateTableStmt:
		return p.createTable(x)
	case *ast.CreateIndexStmt:
		return p.createIndex(x)
	case *ast.DropIndexStmt:
		s := "DROP INDEX "
		if x.IfExists {
			s += "IF EXISTS "
		}
		return s + quoteIdent(IndexName(x.Table.Name.O, x.IndexName)), nil
	case *ast.CreateViewStmt:
		if x.OrReplace {
			return "", notSupported("CREATE OR REPLACE VIEW")
		}
		sel, err := p.print(x.Select)
		if err != nil {
			return "", err
		}
		cols := ""
		if len(x.Cols) > 0 {
			names := make([]string, len(x.Cols))
			for i, c := range x.Cols {
				names[i] = quoteIdent(c.O)
			}
			cols = " (" + strings.Join(names, ", ") + ")"
		}
		return "CREATE VIEW " + quoteIdent(x.ViewName.Name.O) + cols + " AS " + sel, nil
	case *ast.AlterTableStmt:
		return p.alterTable(x)
	case *ast.RenameTableStmt:
		if len(x.TableToTables) != 1 {
			return "", notSupported("RENAME TABLE of several tables")
		}
		t := x.TableToTables[0]
		return "ALTER TABLE " + quoteIdent(t.OldTable.Name.O) + " RENAME TO " + quoteIdent(t.NewTable.Name.O), nil
	}
	return "", notSupported(stmtName(n) + " statements")
}

func (p *myPrinter) insert(x *ast.InsertStmt) (string, error) {
	if x.Priority != mysql.NoPriority || len(x.PartitionNames) > 0 {
		return "", notSupported("INSERT options")
	}
	// Rewrite first: the printer's nodes print the SQLite forms.
	x.Accept(p)
	if p.err != nil {
		return "", p.err
	}
	var b strings.Builder
	switch {
	case x.IsReplace:
		b.WriteString("REPLACE INTO ")
	case x.IgnoreErr:
		b.WriteString("INSERT OR IGNORE INTO ")
	default:
		b.WriteString("INSERT INTO ")
	}
	tbl, err := restore(x.Table)
	if err != nil {
		return "", err
	}
	b.WriteString(tbl)
	cols := make([]string, 0, len(x.Columns))
	for _, c := range x.Columns {
		cols = append(cols, quoteIdent(c.Name.O))
	}
	switch {
	case x.Select != nil:
		if len(cols) > 0 {
			b.WriteString(" (" + strings.Join(cols, ", ") + ")")
		}
		s, err := restore(x.Select)
		if err != nil {
			return "", err
		}
		b.WriteString(" " + s)
	case len(x.Lists) > 0:
		if len(cols) > 0 {
			b.WriteString(" (" + strings.Join(cols, ", ") + ")")
		}
		b.WriteString(" VALUES ")
		for i, row := range x.Lists {
			if i > 0 {
				b.WriteString(", ")
			}
			if len(row) == 0 {
				return "", notSupported("INSERT … VALUES ()")
			}
			b.WriteString("(")
			for j, e := range row {
				if j > 0 {
					b.WriteString(", ")
				}
				if _, ok := e.(*ast.DefaultExpr); ok {
					return "", notSupported("DEFAULT in VALUES")
				}
				s, err := restore(e)
				if err != nil {
					return "", err
				}
				b.WriteString(s)
			}
			b.WriteString(")")
		}
	default:
		b.WriteString(" DEFAULT VALUES")
	}
	if len(x.OnDuplicate) > 0 {
		if x.Select != nil {
			// SQLite reads "SELECT … ON" as a join constraint.
			return "", notSupported("INSERT … SELECT … ON DUPLICATE KEY UPDATE")
		}
		b.WriteString(" ON CONFLICT DO UPDATE SET ")
		for i, a := range x.OnDuplicate {
			if i > 0 {
				b.WriteString(", ")
			}
			s, err := restore(a.Expr)
			if err != nil {
				return "", err
			}
			b.WriteString(quoteIdent(a.Column.Name.O) + " = " + s)
		}
	}
	return b.String(), nil
}

// keptSchemas are the schema names SQLite resolves itself (the catalog's
// databases, SQLite's own).
var keptSchemas = map[string]bool{"information_schema": true, "performance_schema": true, "mysql": true, "sys": true, "main": true, "temp": true}

// stripSchemas drops the database qualifier of the tables and columns
// under n (SQLite names the session's database main) and returns the
// names it dropped.
func stripSchemas(n ast.Node) []string {
	v := &schemaStripper{}
	n.Accept(v)
	return v.names
}

type schemaStripper struct{ names []string }

func (v *schemaStripper) note(s *ast.CIStr) {
	if s.O == "" || keptSchemas[s.L] {
		return
	}
	if !slices.Contains(v.names, s.O) {
		v.names = append(v.names, s.O)
	}
	*s = ast.CIStr{}
}

func (v *schemaStripper) Enter(n ast.Node) (ast.Node, bool) {
	switch x := n.(type) {
	case *ast.TableName:
		v.note(&x.Schema)
	case *ast.ColumnName:
		v.note(&x.Schema)
	}
	return n, false
}

func (v *schemaStripper) Leave(n ast.Node) (ast.Node, bool) { return n, true }

// IndexName is the SQLite name of MySQL index name of table: SQLite
// names indexes per database, MySQL per table, so the table's name comes
// first ("t.idx"); SHOW INDEX shows the MySQL name again
// (MySQLIndexName).
func IndexName(table, name string) string { return table + "." + name }

// MySQLIndexName is the MySQL name of a SQLite index of table.
func MySQLIndexName(table, name string) string {
	if len(name) > len(table)+1 && strings.EqualFold(name[:len(table)+1], table+".") {
		return name[len(table)+1:]
	}
	return name
}

// MyExpr is an expression of a session statement printed as SQLite SQL:
// the session values it binds are numbered from ?1.
type MyExpr struct {
	SQL    string
	Values []string
	Err    error
}

// localStatement prints the expressions of a session statement once: the
// statement is shared by every session that sends its text.
func localStatement(n ast.StmtNode) *MyStatement {
	m := &MyStatement{Local: n, exprs: map[ast.ExprNode]MyExpr{}}
	add := func(e ast.ExprNode) {
		if e == nil {
			return
		}
		switch e.(type) {
		case *ast.DefaultExpr, *ast.ColumnNameExpr:
			// DEFAULT and bare words (SET sql_mode = TRADITIONAL) are the
			// front end's to read.
			return
		}
		var x MyExpr
		x.SQL, x.Values, x.Err = myExpr(e)
		m.exprs[e] = x
	}
	switch x := n.(type) {
	case *ast.SetStmt:
		for _, a := range x.Variables {
			add(a.Value)
		}
	case *ast.ShowStmt:
		if x.Pattern != nil {
			add(x.Pattern.Pattern)
		}
		add(x.Where)
	}
	return m
}

// Expr is the SQLite form of an expression of Local.
func (m *MyStatement) Expr(e ast.ExprNode) MyExpr {
	if x, ok := m.exprs[e]; ok {
		return x
	}
	return MyExpr{Err: notSupported("this expression")}
}

// myExpr prints a MySQL expression as SQLite SQL, with the session values
// it binds (numbered from ?1).
func myExpr(e ast.ExprNode) (sql string, values []string, err error) {
	p := newMyPrinter(e)
	if p.nParams > 0 {
		return "", nil, notSupported("a parameter here")
	}
	wrap := &ast.SelectField{Expr: e}
	if _, err := p.print(wrap); err != nil {
		return "", nil, err
	}
	s, err := restore(wrap.Expr)
	if err != nil {
		return "", nil, notSupported("this expression")
	}
	return s, p.values, nil
}

func firstColumn(args []ast.ExprNode) (string, bool) {
	if len(args) != 1 {
		return "", false
	}
	c, ok := args[0].(*ast.ColumnNameExpr)
	if !ok {
		return "", false
	}
	return c.Name.Name.O, true
}
