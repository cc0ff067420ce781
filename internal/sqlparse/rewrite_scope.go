package sqlparse

import (
	"errors"
	"fmt"

	pg_query "github.com/pganalyze/pg_query_go/v6"
	"github.com/pingcap/tidb/pkg/parser/ast"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// ErrUnfilterable reports a statement that names a row-filtered table
// where no WHERE can carry the filter: the source or target of MERGE,
// COPY of a whole table, TRUNCATE, LOCK, DDL on it. Row filters are
// enforced deny by default: a filtered table may appear only in the FROM
// list of a SELECT (directly, joined or sampled with TABLESAMPLE), as
// the table or FROM/USING list of an UPDATE or DELETE, or as the target
// of an INSERT (inserted rows are not filtered).
var ErrUnfilterable = errors.New("the row filter cannot be applied where the statement names the table")

// pgCheckFilterScope returns ErrUnfilterable when a table of filters is
// named by tree outside the places in covered (where the rewrite adds
// the filter) and outside the targets of INSERT.
func pgCheckFilterScope(tree *pg_query.ParseResult, covered map[*pg_query.RangeVar]bool, defSchema string, filters []RowFilter) error {
	allowed := map[*pg_query.RangeVar]bool{}
	for rv := range covered {
		allowed[rv] = true
	}
	var bad *pg_query.RangeVar
	for _, raw := range tree.Stmts {
		walk(raw.Stmt.ProtoReflect(), func(m protoreflect.Message) {
			switch x := m.Interface().(type) {
			case *pg_query.InsertStmt:
				if x.Relation != nil {
					allowed[x.Relation] = true
				}
			case *pg_query.RangeVar:
				if bad != nil || allowed[x] {
					return
				}
				for _, f := range filters {
					if f.matches(x.Schemaname, x.Relname, defSchema) {
						bad = x
						return
					}
				}
			}
		})
	}
	if bad != nil {
		return fmt.Errorf("%w (%s)", ErrUnfilterable, bad.Relname)
	}
	return nil
}

// myCheckFilterScope is pgCheckFilterScope for MySQL: a filtered table
// may appear in the FROM of a SELECT, the tables of an UPDATE or DELETE
// (whose WHERE carries the filter), as the target of INSERT or LOAD DATA,
// and in SHOW statements (which read no rows); anywhere else (TRUNCATE,
// LOCK TABLES, DDL …) the statement is refused.
func myCheckFilterScope(nodes []ast.StmtNode, defSchema string, filters []RowFilter) error {
	v := &myScope{allowed: map[*ast.TableName]bool{}, defSchema: defSchema, filters: filters}
	for _, n := range nodes {
		n.Accept(v)
		if v.bad != nil {
			return fmt.Errorf("%w (%s)", ErrUnfilterable, v.bad.Name.O)
		}
	}
	return nil
}

type myScope struct {
	allowed   map[*ast.TableName]bool
	defSchema string
	filters   []RowFilter
	bad       *ast.TableName
}

func (v *myScope) allowRefs(refs *ast.TableRefsClause) {
	if refs == nil || refs.TableRefs == nil {
		return
	}
	for _, ts := range myTableSources(refs.TableRefs) {
		v.allowed[ts.Source.(*ast.TableName)] = true
	}
}

func (v *myScope) Enter(n ast.Node) (ast.Node, bool) {
	if v.bad != nil {
		return n, true
	}
	switch x := n.(type) {
	case *ast.ShowStmt:
		return n, true
	case *ast.SelectStmt:
		v.allowRefs(x.From)
	case *ast.UpdateStmt:
		v.allowRefs(x.TableRefs)
	case *ast.DeleteStmt:
		v.allowRefs(x.TableRefs)
		if x.IsMultiTable && x.Tables != nil {
			for _, t := range x.Tables.Tables { // aliases of TableRefs, filtered there
				v.allowed[t] = true
			}
		}
	case *ast.InsertStmt:
		v.allowRefs(x.Table)
	case *ast.LoadDataStmt:
		if x.Table != nil {
			v.allowed[x.Table] = true
		}
	case *ast.TableName:
		if v.allowed[x] {
			return n, false
		}
		for _, f := range v.filters {
			if f.matches(x.Schema.O, x.Name.O, v.defSchema) {
				v.bad = x
				return n, true
			}
		}
	}
	return n, false
}

func (v *myScope) Leave(n ast.Node) (ast.Node, bool) { return n, true }
