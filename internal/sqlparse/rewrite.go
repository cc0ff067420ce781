package sqlparse

import (
	"errors"
	"fmt"
	"strings"

	pg_query "github.com/pganalyze/pg_query_go/v6"
	"github.com/pingcap/tidb/pkg/parser"
	"github.com/pingcap/tidb/pkg/parser/ast"
	"github.com/pingcap/tidb/pkg/parser/format"
	"github.com/pingcap/tidb/pkg/parser/opcode"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// RowFilter is a predicate that every read of a table must satisfy.
type RowFilter struct {
	Schema string // "" matches the default schema
	Table  string
	Where  string // an SQL boolean expression over the table's columns
}

func (f RowFilter) matches(schema, name, defSchema string) bool {
	if schema == "" {
		schema = defSchema
	}
	fs := f.Schema
	if fs == "" {
		fs = defSchema
	}
	return strings.EqualFold(name, f.Table) && strings.EqualFold(schema, fs)
}

// CheckFilter reports whether where is a single boolean expression both
// parsers accept.
func CheckFilter(where string) error {
	if _, err := pgFilterExpr(where); err != nil {
		return err
	}
	if _, err := myFilterExpr(where); err != nil {
		return err
	}
	return nil
}

func pgFilterExpr(where string) (*pg_query.Node, error) {
	if err := CheckPostgres(where); err != nil {
		return nil, fmt.Errorf("row filter: %w", err)
	}
	tree, err := pg_query.Parse("SELECT 1 WHERE " + where)
	if err != nil || len(tree.Stmts) != 1 || tree.Stmts[0].Stmt.GetSelectStmt() == nil {
		return nil, fmt.Errorf("row filter %q is not one SQL expression", where)
	}
	return tree.Stmts[0].Stmt.GetSelectStmt().WhereClause, nil
}

func myFilterExpr(where string) (ast.ExprNode, error) {
	if err := CheckMySQL(where); err != nil {
		return nil, fmt.Errorf("row filter: %w", err)
	}
	nodes, _, err := parser.New().Parse("SELECT 1 FROM dual WHERE "+where, "", "")
	if err != nil || len(nodes) != 1 {
		return nil, fmt.Errorf("row filter %q is not one SQL expression", where)
	}
	sel, ok := nodes[0].(*ast.SelectStmt)
	if !ok || sel.Where == nil {
		return nil, fmt.Errorf("row filter %q is not one SQL expression", where)
	}
	return sel.Where, nil
}

// RewritePostgres adds each filter to every SELECT, UPDATE and DELETE that
// reads its table (joins, subqueries and CTEs included), AND-ed to the
// statement's WHERE with the filter's columns qualified by the table's
// alias. It returns the new text and whether anything changed.
func RewritePostgres(sql, defSchema string, filters []RowFilter) (string, bool, error) {
	if err := CheckPostgres(sql); err != nil {
		return "", false, err
	}
	tree, err := pg_query.Parse(sql)
	if err != nil {
		return "", false, fmt.Errorf("%w: %s", ErrSyntax, err.Error())
	}
	type target struct {
		where **pg_query.Node
		alias string
		f     RowFilter
	}
	var targets []target
	// Every reference to a filtered table must be one the filter is
	// added to (or an INSERT target): any other form refuses the text.
	handled := map[*pg_query.RangeVar]bool{}
	var scopeErr error // an UPDATE that moves rows out of the filter
	for _, raw := range tree.Stmts {
		walk(raw.Stmt.ProtoReflect(), func(m protoreflect.Message) {
			var where **pg_query.Node
			var from []*pg_query.Node
			var rel *pg_query.RangeVar
			switch x := m.Interface().(type) {
			case *pg_query.SelectStmt:
				where, from = &x.WhereClause, x.FromClause
			case *pg_query.UpdateStmt:
				where, from, rel = &x.WhereClause, x.FromClause, x.Relation
				if err := pgCheckFilterAssignments(x, defSchema, filters); err != nil && scopeErr == nil {
					scopeErr = err
				}
			case *pg_query.DeleteStmt:
				where, from, rel = &x.WhereClause, x.UsingClause, x.Relation
			case *pg_query.InsertStmt:
				// Rows it adds are the client's own; rows an ON CONFLICT
				// DO UPDATE would change must pass the filter.
				handled[x.Relation] = true
				if oc := x.OnConflictClause; oc != nil && oc.Action == pg_query.OnConflictAction_ONCONFLICT_UPDATE && x.Relation != nil {
					for _, f := range filters {
						if f.matches(x.Relation.Schemaname, x.Relation.Relname, defSchema) {
							alias := x.Relation.Relname
							if x.Relation.Alias != nil && x.Relation.Alias.Aliasname != "" {
								alias = x.Relation.Alias.Aliasname
							}
							targets = append(targets, target{&oc.WhereClause, alias, f})
						}
					}
				}
				return
			case *pg_query.LockingClause:
				for _, n := range x.LockedRels {
					handled[n.GetRangeVar()] = true // names FROM items
				}
				return
			case *pg_query.CopyStmt:
				if x.IsFrom {
					handled[x.Relation] = true // COPY … FROM adds rows
				}
				return
			default:
				return
			}
			rvs := pgFromRangeVars(from)
			if rel != nil {
				rvs = append(rvs, rel)
			}
			for _, rv := range rvs {
				handled[rv] = true
				for _, f := range filters {
					if f.matches(rv.Schemaname, rv.Relname, defSchema) {
						alias := rv.Relname
						if rv.Alias != nil && rv.Alias.Aliasname != "" {
							alias = rv.Alias.Aliasname
						}
						targets = append(targets, target{where, alias, f})
					}
				}
			}
		})
	}
	if scopeErr != nil {
		return "", false, scopeErr
	}
	for _, raw := range tree.Stmts {
		var bad *pg_query.RangeVar
		walk(raw.Stmt.ProtoReflect(), func(m protoreflect.Message) {
			if rv, ok := m.Interface().(*pg_query.RangeVar); ok && bad == nil && !handled[rv] {
				for _, f := range filters {
					if f.matches(rv.Schemaname, rv.Relname, defSchema) {
						bad = rv
					}
				}
			}
		})
		if bad != nil {
			return "", false, fmt.Errorf("%w: table %s has a row filter and is named where the filter cannot be added (%s)",
				ErrFilterForm, Table{Schema: bad.Schemaname, Name: bad.Relname}, pgNodeName(raw.Stmt))
		}
	}
	if len(targets) == 0 {
		return sql, false, nil
	}
	for _, t := range targets {
		pred, err := pgFilterExpr(t.f.Where)
		if err != nil {
			return "", false, err
		}
		pgQualify(pred, t.alias)
		// The filter comes first, so that the server evaluates it before
		// the client's conditions where their costs tie: a condition that
		// fails on another tenant's row would print that row's value.
		if *t.where == nil {
			*t.where = pred
		} else {
			*t.where = pg_query.MakeBoolExprNode(pg_query.BoolExprType_AND_EXPR, []*pg_query.Node{pred, *t.where}, -1)
		}
	}
	out, err := pg_query.Deparse(tree)
	if err != nil {
		return "", false, err
	}
	return out, true, nil
}

// ErrFilterForm is returned when a filtered table is named in a form
// the rewrite does not add filters to (MERGE, COPY … TO, TRUNCATE, DDL,
// INSERT … ON DUPLICATE KEY UPDATE, REPLACE…).
var ErrFilterForm = errors.New("row filter not applicable")

func pgNodeName(n *pg_query.Node) string {
	name := ""
	n.ProtoReflect().Range(func(_ protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		name = string(v.Message().Descriptor().Name())
		return false
	})
	return name
}

// pgFromRangeVars lists the tables of a FROM list, through joins and
// TABLESAMPLE; derived tables are SELECTs of their own and get their
// filters there.
func pgFromRangeVars(from []*pg_query.Node) []*pg_query.RangeVar {
	var out []*pg_query.RangeVar
	var add func(n *pg_query.Node)
	add = func(n *pg_query.Node) {
		if n == nil {
			return
		}
		if rv := n.GetRangeVar(); rv != nil {
			out = append(out, rv)
		}
		if ts := n.GetRangeTableSample(); ts != nil {
			add(ts.Relation)
		}
		if j := n.GetJoinExpr(); j != nil {
			add(j.Larg)
			add(j.Rarg)
		}
	}
	for _, n := range from {
		add(n)
	}
	return out
}

// pgQualify prefixes the unqualified column references of a filter with
// the alias, so that joins cannot make them ambiguous or capture them.
// Subqueries of the filter keep their own scope.
func pgQualify(n *pg_query.Node, alias string) {
	var visit func(m protoreflect.Message)
	visit = func(m protoreflect.Message) {
		if !m.IsValid() {
			return
		}
		switch x := m.Interface().(type) {
		case *pg_query.SubLink:
			if x.Testexpr != nil {
				visit(x.Testexpr.ProtoReflect())
			}
			return
		case *pg_query.ColumnRef:
			if len(x.Fields) == 1 && x.Fields[0].GetString_() != nil {
				x.Fields = append([]*pg_query.Node{pg_query.MakeStrNode(alias)}, x.Fields...)
			}
			return
		}
		eachChild(m, visit)
	}
	visit(n.ProtoReflect())
}

// RewriteMySQL is RewritePostgres for MySQL text.
func RewriteMySQL(sql, defSchema string, filters []RowFilter) (string, bool, error) {
	if err := CheckMySQL(sql); err != nil {
		return "", false, err
	}
	text, err := mysqlServerText(sql)
	if err != nil {
		return "", false, err
	}
	nodes, _, err := parser.New().Parse(text, "", "")
	if err != nil {
		return "", false, fmt.Errorf("%w: %s", ErrSyntax, err.Error())
	}
	for _, n := range nodes {
		if err := myFilterCoverage(n, defSchema, filters); err != nil {
			return "", false, err
		}
		if u, ok := n.(*ast.UpdateStmt); ok {
			if err := myCheckFilterAssignments(u, defSchema, filters); err != nil {
				return "", false, err
			}
		}
	}
	c := &myRewriter{defSchema: defSchema, filters: filters}
	for _, n := range nodes {
		n.Accept(c)
	}
	if c.err != nil {
		return "", false, c.err
	}
	if !c.changed {
		return sql, false, nil
	}
	var sb strings.Builder
	for i, n := range nodes {
		if i > 0 {
			sb.WriteString("; ")
		}
		if err := n.Restore(format.NewRestoreCtx(format.DefaultRestoreFlags|format.RestoreStringWithoutDefaultCharset, &sb)); err != nil {
			return "", false, err
		}
	}
	return sb.String(), true, nil
}

type myRewriter struct {
	defSchema string
	filters   []RowFilter
	changed   bool
	err       error
	inserted  map[ast.Node]bool // predicates added: not rewritten again
}

func (r *myRewriter) Enter(n ast.Node) (ast.Node, bool) {
	if r.inserted[n] {
		return n, true
	}
	var where *ast.ExprNode
	var refs *ast.TableRefsClause
	switch x := n.(type) {
	case *ast.SelectStmt:
		where, refs = &x.Where, x.From
	case *ast.UpdateStmt:
		where, refs = &x.Where, x.TableRefs
	case *ast.DeleteStmt:
		where, refs = &x.Where, x.TableRefs
	default:
		return n, false
	}
	if refs == nil || refs.TableRefs == nil {
		return n, false
	}
	for _, ts := range myTableSources(refs.TableRefs) {
		t := ts.Source.(*ast.TableName)
		for _, f := range r.filters {
			if !f.matches(t.Schema.O, t.Name.O, r.defSchema) {
				continue
			}
			pred, err := myFilterExpr(f.Where)
			if err != nil {
				r.err = err
				return n, true
			}
			alias := t.Name.O
			if ts.AsName.O != "" {
				alias = ts.AsName.O
			}
			pred.Accept(&myQualifier{alias: alias})
			pred = &ast.ParenthesesExpr{Expr: pred}
			if r.inserted == nil {
				r.inserted = map[ast.Node]bool{}
			}
			r.inserted[pred] = true
			if *where == nil {
				*where = pred
			} else {
				// The filter first (see RewritePostgres).
				*where = &ast.BinaryOperationExpr{Op: opcode.LogicAnd, L: pred, R: &ast.ParenthesesExpr{Expr: *where}}
			}
			r.changed = true
		}
	}
	return n, false
}

func (r *myRewriter) Leave(n ast.Node) (ast.Node, bool) { return n, true }

func myTableSources(j *ast.Join) []*ast.TableSource {
	var out []*ast.TableSource
	for _, side := range []ast.ResultSetNode{j.Left, j.Right} {
		switch x := side.(type) {
		case *ast.Join:
			out = append(out, myTableSources(x)...)
		case *ast.TableSource:
			if _, ok := x.Source.(*ast.TableName); ok {
				out = append(out, x)
			}
		}
	}
	return out
}

type myQualifier struct{ alias string }

func (q *myQualifier) Enter(n ast.Node) (ast.Node, bool) {
	switch x := n.(type) {
	case *ast.SubqueryExpr:
		return n, true // its own scope
	case *ast.ColumnNameExpr:
		if x.Name.Table.O == "" {
			x.Name.Table = ast.NewCIStr(q.alias)
		}
	}
	return n, false
}

func (q *myQualifier) Leave(n ast.Node) (ast.Node, bool) { return n, true }

// myFilterCoverage refuses a statement that names a filtered table
// anywhere but where the rewrite adds the filter: the FROM of a SELECT,
// UPDATE or DELETE, or the target of a plain INSERT.
func myFilterCoverage(n ast.StmtNode, defSchema string, filters []RowFilter) error {
	v := &myCoverage{handled: map[*ast.TableName]bool{}}
	n.Accept(v)
	for _, t := range v.names {
		if v.handled[t] {
			continue
		}
		for _, f := range filters {
			if f.matches(t.Schema.O, t.Name.O, defSchema) {
				return fmt.Errorf("%w: table %s has a row filter and is named where the filter cannot be added (%s)",
					ErrFilterForm, Table{Schema: t.Schema.O, Name: t.Name.O}, strings.TrimPrefix(fmt.Sprintf("%T", n), "*ast."))
			}
		}
	}
	return nil
}

type myCoverage struct {
	handled map[*ast.TableName]bool
	names   []*ast.TableName
}

func (v *myCoverage) Enter(n ast.Node) (ast.Node, bool) {
	var refs *ast.TableRefsClause
	switch x := n.(type) {
	case *ast.SelectStmt:
		if x.Kind == ast.SelectStmtKindSelect {
			refs = x.From
		}
	case *ast.UpdateStmt:
		refs = x.TableRefs
	case *ast.DeleteStmt:
		refs = x.TableRefs
		if x.Tables != nil {
			for _, t := range x.Tables.Tables {
				v.handled[t] = true // names FROM items
			}
		}
	case *ast.InsertStmt:
		if !x.IsReplace && len(x.OnDuplicate) == 0 {
			refs = x.Table
		}
	case *ast.ShowStmt:
		if x.Table != nil {
			v.handled[x.Table] = true // describes the table
		}
	case *ast.TableName:
		v.names = append(v.names, x)
	}
	if refs != nil && refs.TableRefs != nil {
		for _, ts := range myTableSources(refs.TableRefs) {
			v.handled[ts.Source.(*ast.TableName)] = true
		}
	}
	return n, false
}

func (v *myCoverage) Leave(n ast.Node) (ast.Node, bool) { return n, true }
