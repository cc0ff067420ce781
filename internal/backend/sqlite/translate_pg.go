package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"

	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/floe-db/floe/internal/sqlerr"
	"github.com/floe-db/floe/internal/sqlparse"
)

// translatePG parses a PostgreSQL-dialect text and prints each statement
// as SQLite SQL (see doc.go: what is translated). ok is false when the
// parser cannot read the text (the caller then goes on as for any text
// the parser does not read); err is the first statement that cannot be
// translated (a *sqlerr.Error, feature_not_supported), and then no
// statement of the text runs.
func translatePG(text string) (stmts []Statement, ok bool, err error) {
	tree, perr := pg_query.Parse(text)
	if perr != nil {
		return nil, false, nil
	}
	for _, raw := range tree.Stmts {
		if raw.Stmt == nil {
			continue
		}
		src := text
		if start := int(raw.StmtLocation); start >= 0 && start <= len(text) {
			end := len(text)
			if raw.StmtLen > 0 && start+int(raw.StmtLen) <= len(text) {
				end = start + int(raw.StmtLen)
			}
			src = strings.TrimSpace(text[start:end])
		}
		st, err := translatePGStmt(raw.Stmt, src)
		if err != nil {
			return nil, true, err
		}
		stmts = append(stmts, st)
	}
	if len(stmts) == 0 {
		stmts = []Statement{{Empty: true}}
	}
	return stmts, true, nil
}

// notSupported is the error of a construct the engine cannot run.
func notSupported(what string) error {
	return sqlerr.New(sqlerr.FeatureNotSupported, "%s %s not supported by the embedded SQLite engine", what, isAre(what))
}

func isAre(what string) string {
	plural := func(w string) bool {
		return strings.HasSuffix(w, "s") && !strings.HasSuffix(w, "ss") && strings.ToUpper(w) != w
	}
	w := strings.Fields(what)
	if len(w) > 0 && (w[0] == "this" || w[0] == "the") {
		return "is"
	}
	if strings.Contains(what, " and ") {
		return "are"
	}
	for i := 0; i < len(w) && i < 3; i++ {
		if plural(w[i]) {
			return "are"
		}
	}
	return "is"
}

// unsupported is the panic value the printer raises for a construct it
// cannot print; translatePGStmt recovers it.
type unsupported struct{ err error }

// pgPrinter prints one statement.
type pgPrinter struct {
	b        strings.Builder
	maxParam int
	tables   []string
	ctes     map[string]bool
	params   map[int]string // $n → the column it meets
	srf      int            // set-returning functions moved to FROM
	describe string         // Statement.DescribeSQL
	expand   *expandScope   // the target list being printed (_pg_expandarray)
}

func (p *pgPrinter) fail(what string) { panic(unsupported{notSupported(what)}) }

func (p *pgPrinter) w(ss ...string) {
	for _, s := range ss {
		p.b.WriteString(s)
	}
}

// translatePGStmt prints one parsed statement (src is its own text).
func translatePGStmt(n *pg_query.Node, src string) (st Statement, err error) {
	p := &pgPrinter{ctes: map[string]bool{}, params: map[int]string{}}
	defer func() {
		if r := recover(); r != nil {
			u, ok := r.(unsupported)
			if !ok {
				// A tree the printer does not expect: refused, never
				// printed in part.
				u.err = sqlerr.New(sqlerr.FeatureNotSupported, "this statement is not supported by the embedded SQLite engine (%v)", r)
			}
			st, err = Statement{}, u.err
		}
	}()
	st = p.stmt(n, src)
	if st.SQL == "" && !st.Empty {
		st.SQL = p.b.String()
	}
	st.NParams = p.maxParam
	if st.Verb != "PREPARE" {
		st.DescribeSQL = p.describe
	}
	for _, t := range p.tables {
		if !p.ctes[strings.ToLower(t)] && !containsFold(st.Tables, t) {
			st.Tables = append(st.Tables, t)
		}
	}
	if p.maxParam > 0 {
		st.ParamCols = make([]string, p.maxParam)
		for k, c := range p.params {
			st.ParamCols[k-1] = c
		}
	} else {
		st.Tables = nil
	}
	return st, nil
}

func containsFold(list []string, s string) bool {
	for _, x := range list {
		if strings.EqualFold(x, s) {
			return true
		}
	}
	return false
}

// stmt prints a statement and returns its description (SQL unset: the
// printed text).
func (p *pgPrinter) stmt(n *pg_query.Node, src string) Statement {
	switch x := n.Node.(type) {
	case *pg_query.Node_SelectStmt:
		if x.SelectStmt.IntoClause != nil {
			p.fail("SELECT INTO")
		}
		ct := p.selectStmt(x.SelectStmt, false)
		return Statement{Verb: "SELECT", Rows: true, ColTypes: ct}
	case *pg_query.Node_InsertStmt:
		ct := p.insert(x.InsertStmt)
		return Statement{Verb: "INSERT", Rows: len(x.InsertStmt.ReturningList) > 0, ColTypes: ct}
	case *pg_query.Node_UpdateStmt:
		ct := p.update(x.UpdateStmt)
		return Statement{Verb: "UPDATE", Rows: len(x.UpdateStmt.ReturningList) > 0, ColTypes: ct}
	case *pg_query.Node_DeleteStmt:
		ct := p.delete(x.DeleteStmt)
		return Statement{Verb: "DELETE", Rows: len(x.DeleteStmt.ReturningList) > 0, ColTypes: ct}
	case *pg_query.Node_TransactionStmt:
		return p.transaction(x.TransactionStmt)
	case *pg_query.Node_VariableSetStmt:
		verb := "SET"
		if x.VariableSetStmt.Kind == pg_query.VariableSetKind_VAR_RESET || x.VariableSetStmt.Kind == pg_query.VariableSetKind_VAR_RESET_ALL {
			verb = "RESET"
		}
		return Statement{Verb: verb, SQL: src}
	case *pg_query.Node_VariableShowStmt:
		return Statement{Verb: "SHOW", SQL: src}
	case *pg_query.Node_CreateStmt:
		p.createTable(x.CreateStmt)
		return Statement{Verb: "CREATE TABLE"}
	case *pg_query.Node_CreateTableAsStmt:
		c := x.CreateTableAsStmt
		if c.Objtype != pg_query.ObjectType_OBJECT_TABLE || c.Into == nil || c.Into.Rel == nil || len(c.Into.ColNames) > 0 {
			p.fail("CREATE MATERIALIZED VIEW and CREATE TABLE AS with column names")
		}
		p.w("CREATE ")
		if c.Into.Rel.Relpersistence == "t" {
			p.w("TEMP ")
		}
		p.w("TABLE ")
		if c.IfNotExists {
			p.w("IF NOT EXISTS ")
		}
		p.rangeVar(c.Into.Rel, false)
		p.w(" AS ")
		p.selectNode(c.Query, false)
		return Statement{Verb: "SELECT"}
	case *pg_query.Node_IndexStmt:
		p.createIndex(x.IndexStmt)
		return Statement{Verb: "CREATE INDEX"}
	case *pg_query.Node_DropStmt:
		return p.drop(x.DropStmt)
	case *pg_query.Node_AlterTableStmt:
		p.alterTable(x.AlterTableStmt)
		return Statement{Verb: "ALTER TABLE"}
	case *pg_query.Node_RenameStmt:
		p.rename(x.RenameStmt)
		return Statement{Verb: "ALTER TABLE"}
	case *pg_query.Node_ViewStmt:
		p.createView(x.ViewStmt)
		return Statement{Verb: "CREATE VIEW"}
	case *pg_query.Node_TruncateStmt:
		t := x.TruncateStmt
		if len(t.Relations) != 1 {
			p.fail("TRUNCATE of several tables")
		}
		p.w("DELETE FROM ")
		p.rangeVar(t.Relations[0].GetRangeVar(), false)
		return Statement{Verb: "TRUNCATE TABLE"}
	case *pg_query.Node_ExplainStmt:
		p.w("EXPLAIN QUERY PLAN ")
		inner := p.stmt(x.ExplainStmt.Query, src)
		if inner.SQL != "" {
			p.fail("EXPLAIN of " + inner.Verb)
		}
		return Statement{Verb: "EXPLAIN", Rows: true}
	case *pg_query.Node_VacuumStmt:
		v := x.VacuumStmt
		if v.IsVacuumcmd {
			p.w("VACUUM")
			if len(v.Rels) > 0 {
				p.fail("VACUUM of a table")
			}
			return Statement{Verb: "VACUUM"}
		}
		p.w("ANALYZE")
		if len(v.Rels) == 1 {
			p.w(" ")
			p.rangeVar(v.Rels[0].GetVacuumRelation().GetRelation(), false)
		} else if len(v.Rels) > 1 {
			p.fail("ANALYZE of several tables")
		}
		return Statement{Verb: "ANALYZE"}
	case *pg_query.Node_PrepareStmt:
		ps := x.PrepareStmt
		inner := p.stmt(ps.Query, src)
		if inner.SQL == "" {
			inner.SQL = p.b.String()
		}
		inner.NParams = max(p.maxParam, len(ps.Argtypes))
		inner.DescribeSQL = p.describe
		// The prepared statement's parameters are its own: the PREPARE
		// itself binds none.
		p.maxParam = 0
		inner.Tables = append([]string(nil), p.tables...)
		inner.ColTypes = append([]Type(nil), inner.ColTypes...)
		if inner.NParams > 0 {
			inner.ParamCols = make([]string, inner.NParams)
			for k, c := range p.params {
				inner.ParamCols[k-1] = c
			}
		}
		return Statement{Verb: "PREPARE", SQL: "PREPARE", Name: ps.Name, Prepared: &inner}
	case *pg_query.Node_ExecuteStmt:
		ex := x.ExecuteStmt
		p.w("SELECT ")
		if len(ex.Params) == 0 {
			p.w("NULL WHERE 0")
		}
		for i, a := range ex.Params {
			if i > 0 {
				p.w(", ")
			}
			p.expr(a)
		}
		return Statement{Verb: "EXECUTE", Name: ex.Name}
	case *pg_query.Node_DeallocateStmt:
		return Statement{Verb: "DEALLOCATE", SQL: "DEALLOCATE", Name: x.DeallocateStmt.Name}
	case *pg_query.Node_CreateSchemaStmt:
		p.fail("CREATE SCHEMA")
	case *pg_query.Node_CreateExtensionStmt:
		p.fail("CREATE EXTENSION")
	case *pg_query.Node_CreateFunctionStmt:
		p.fail("CREATE FUNCTION")
	case *pg_query.Node_LockStmt:
		p.fail("LOCK TABLE")
	case *pg_query.Node_CopyStmt:
		p.fail("COPY")
	}
	p.fail(pgStmtName(n))
	return Statement{}
}

// pgStmtName names a statement node in an error ("CreateSeqStmt" →
// "CREATE SEQ statements" is not helpful: the node name is kept).
func pgStmtName(n *pg_query.Node) string {
	name := fmt.Sprintf("%T", n.Node)
	name = strings.TrimPrefix(name, "*pg_query.Node_")
	return "statements of kind " + name
}

func (p *pgPrinter) transaction(t *pg_query.TransactionStmt) Statement {
	if t.Chain {
		p.fail("AND CHAIN")
	}
	switch t.Kind {
	case pg_query.TransactionStmtKind_TRANS_STMT_BEGIN:
		return Statement{Verb: "BEGIN", SQL: "BEGIN", Tx: 'B'}
	case pg_query.TransactionStmtKind_TRANS_STMT_START:
		return Statement{Verb: "START TRANSACTION", SQL: "BEGIN", Tx: 'B'}
	case pg_query.TransactionStmtKind_TRANS_STMT_COMMIT:
		return Statement{Verb: "COMMIT", SQL: "COMMIT", Tx: 'E'}
	case pg_query.TransactionStmtKind_TRANS_STMT_ROLLBACK:
		return Statement{Verb: "ROLLBACK", SQL: "ROLLBACK", Tx: 'E'}
	case pg_query.TransactionStmtKind_TRANS_STMT_SAVEPOINT:
		return Statement{Verb: "SAVEPOINT", SQL: "SAVEPOINT " + quoteIdent(t.SavepointName)}
	case pg_query.TransactionStmtKind_TRANS_STMT_RELEASE:
		return Statement{Verb: "RELEASE", SQL: "RELEASE " + quoteIdent(t.SavepointName)}
	case pg_query.TransactionStmtKind_TRANS_STMT_ROLLBACK_TO:
		return Statement{Verb: "ROLLBACK", SQL: "ROLLBACK TO " + quoteIdent(t.SavepointName)}
	}
	p.fail("two-phase commit")
	return Statement{}
}

// quoteIdent quotes a name as SQLite reads it: in grave accents, which
// SQLite never reads as a string (a "name" that names no column would be
// read as the string 'name').
func quoteIdent(s string) string { return "`" + strings.ReplaceAll(s, "`", "``") + "`" }

// quoteString quotes a string literal as SQLite reads it.
func quoteString(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

func (p *pgPrinter) ident(s string) { p.w(quoteIdent(s)) }

// rangeVar prints a table name: public (PostgreSQL's default schema) is
// SQLite's main database, other schemas are kept (the catalog's
// pg_catalog and information_schema are attached under those names).
func (p *pgPrinter) rangeVar(r *pg_query.RangeVar, alias bool) {
	if r == nil {
		p.fail("this table reference")
	}
	if r.Catalogname != "" {
		p.fail("database-qualified names")
	}
	switch s := r.Schemaname; s {
	case "", "public":
	case "pg_temp":
		p.w("temp.")
	default:
		p.ident(s)
		p.w(".")
	}
	p.ident(r.Relname)
	if r.Schemaname == "" || r.Schemaname == "public" {
		p.tables = append(p.tables, r.Relname)
	}
	if alias && r.Alias != nil {
		if len(r.Alias.Colnames) > 0 {
			p.fail("column aliases on tables")
		}
		p.w(" AS ")
		p.ident(r.Alias.Aliasname)
	}
}

func (p *pgPrinter) list(ns []*pg_query.Node, f func(*pg_query.Node)) {
	for i, n := range ns {
		if i > 0 {
			p.w(", ")
		}
		f(n)
	}
}

// strs are the String values of a list of nodes.
func strs(ns []*pg_query.Node) []string {
	out := make([]string, 0, len(ns))
	for _, n := range ns {
		if s := n.GetString_(); s != nil {
			out = append(out, s.Sval)
		}
	}
	return out
}

// nameOf is the unqualified name of a qualified name list, pg_catalog
// dropped, and its schema ("" when none or pg_catalog).
func nameOf(ns []*pg_query.Node) (schema, name string) {
	parts := strs(ns)
	if len(parts) == 0 {
		return "", ""
	}
	name = parts[len(parts)-1]
	if len(parts) > 1 && parts[len(parts)-2] != "pg_catalog" {
		schema = parts[len(parts)-2]
	}
	return schema, name
}

func (p *pgPrinter) paramCol(k int, col string) {
	if _, seen := p.params[k]; !seen && col != "" {
		p.params[k] = col
	}
}

// columnName is the bare column of a column reference, "" otherwise.
func columnName(n *pg_query.Node) string {
	if c := n.GetColumnRef(); c != nil {
		if f := strs(c.Fields); len(f) == len(c.Fields) && len(f) > 0 {
			return f[len(f)-1]
		}
	}
	return ""
}

func paramNumber(n *pg_query.Node) int {
	if pr := n.GetParamRef(); pr != nil {
		return int(pr.Number)
	}
	return 0
}

func itoa(n int) string { return strconv.Itoa(n) }

// PGQuery is the SQLite SQL of a one-statement PostgreSQL-dialect text
// run outside a session (the data API's SQLite source): translated when
// the parser reads it, else the text as written when SQLite reads it as
// PostgreSQL does (CheckPGText).
func PGQuery(text string) (string, error) {
	if _, err := sqlparse.PostgresNoFingerprint(text); err == nil {
		if stmts, ok, err := translatePG(text); ok {
			if err != nil {
				return "", err
			}
			if len(stmts) != 1 || stmts[0].Empty {
				return "", sqlerr.New(sqlerr.SyntaxError, "exactly one statement is expected")
			}
			st := stmts[0]
			switch {
			case st.Tx != 0, st.Verb == "SAVEPOINT", st.Verb == "RELEASE", st.Verb == "ROLLBACK":
				return "", notSupported("transaction statements without a session")
			case st.Verb == "PREPARE" || st.Verb == "EXECUTE" || st.Verb == "DEALLOCATE" || st.Verb == "SET" || st.Verb == "RESET" || st.Verb == "SHOW":
				return "", notSupported(st.Verb + " without a session")
			}
			return st.SQL, nil
		}
	}
	if err := CheckPGText(text); err != nil {
		return "", err
	}
	return text, nil
}

type sessionKey struct{}

// SessionValues are what a statement run outside a session reads as
// current_user and current_database().
type SessionValues struct{ User, Database string }

// WithSessionValues gives a query run outside a session (the data API's)
// the user and database its translation reads.
func WithSessionValues(ctx context.Context, v SessionValues) context.Context {
	return context.WithValue(ctx, sessionKey{}, v)
}

// PrepareConn fills conn's session values (current_user,
// current_database()) from ctx (WithSessionValues) for a query run
// outside a session.
func PrepareConn(ctx context.Context, conn *sql.Conn) error {
	v, _ := ctx.Value(sessionKey{}).(SessionValues)
	return setSessionValues(ctx, conn, v.User, v.Database)
}
