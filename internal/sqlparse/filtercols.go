package sqlparse

import (
	"fmt"
	"slices"
	"strings"

	pg_query "github.com/pganalyze/pg_query_go/v6"
	"github.com/pingcap/tidb/pkg/parser/ast"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// A row filter decides which rows a user reaches; an UPDATE that assigns
// a column the filter reads would move a row out of the user's reach and
// into another's (UPDATE orders SET tenant = 8): refused, like every
// form the filter cannot hold for. New rows (INSERT) are not checked
// here: the database's row-level security (floe provision) checks them.

// pgFilterColumns are the lower-case column names filter reads.
func pgFilterColumns(where string) ([]string, error) {
	expr, err := pgFilterExpr(where)
	if err != nil {
		return nil, err
	}
	var out []string
	walk(expr.ProtoReflect(), func(m protoreflect.Message) {
		if c, ok := m.Interface().(*pg_query.ColumnRef); ok && len(c.Fields) > 0 {
			if s := c.Fields[len(c.Fields)-1].GetString_(); s != nil {
				out = append(out, strings.ToLower(s.Sval))
			}
		}
	})
	return out, nil
}

// pgCheckFilterAssignments refuses an UPDATE of a filtered table that
// assigns a column its filter reads.
func pgCheckFilterAssignments(x *pg_query.UpdateStmt, defSchema string, filters []RowFilter) error {
	if x.Relation == nil {
		return nil
	}
	for _, f := range filters {
		if !f.matches(x.Relation.Schemaname, x.Relation.Relname, defSchema) {
			continue
		}
		cols, err := pgFilterColumns(f.Where)
		if err != nil {
			return err
		}
		for _, t := range x.TargetList {
			if rt := t.GetResTarget(); rt != nil && slices.Contains(cols, strings.ToLower(rt.Name)) {
				return fmt.Errorf("%w: UPDATE assigns column %s of table %s, which its row filter reads", ErrFilterForm, rt.Name, Table{Schema: x.Relation.Schemaname, Name: x.Relation.Relname})
			}
		}
	}
	return nil
}

// myFilterColumns are the lower-case column names filter reads.
func myFilterColumns(where string) ([]string, error) {
	expr, err := myFilterExpr(where)
	if err != nil {
		return nil, err
	}
	v := &myColumnNames{}
	expr.Accept(v)
	return v.names, nil
}

type myColumnNames struct{ names []string }

func (v *myColumnNames) Enter(n ast.Node) (ast.Node, bool) {
	if c, ok := n.(*ast.ColumnName); ok {
		v.names = append(v.names, c.Name.L)
	}
	return n, false
}

func (v *myColumnNames) Leave(n ast.Node) (ast.Node, bool) { return n, true }

// myCheckFilterAssignments refuses an UPDATE that assigns a column the
// row filter of one of its tables reads (an unqualified assignment counts
// for every table of a multi-table UPDATE).
func myCheckFilterAssignments(x *ast.UpdateStmt, defSchema string, filters []RowFilter) error {
	if x.TableRefs == nil || x.TableRefs.TableRefs == nil {
		return nil
	}
	for _, ts := range myTableSources(x.TableRefs.TableRefs) {
		tn, ok := ts.Source.(*ast.TableName)
		if !ok {
			continue
		}
		for _, f := range filters {
			if !f.matches(tn.Schema.O, tn.Name.O, defSchema) {
				continue
			}
			cols, err := myFilterColumns(f.Where)
			if err != nil {
				return err
			}
			for _, a := range x.List {
				if a.Column == nil || !slices.Contains(cols, a.Column.Name.L) {
					continue
				}
				if q := a.Column.Table.L; q != "" && q != tn.Name.L && q != ts.AsName.L {
					continue
				}
				return fmt.Errorf("%w: UPDATE assigns column %s of table %s, which its row filter reads", ErrFilterForm, a.Column.Name.O, Table{Schema: tn.Schema.O, Name: tn.Name.O})
			}
		}
	}
	return nil
}
