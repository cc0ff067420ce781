package sqlparse

import (
	"slices"
	"strings"

	pg_query "github.com/pganalyze/pg_query_go/v6"
	"github.com/pingcap/tidb/pkg/parser/ast"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// ColumnUse is a column of a base table that a statement names. An
// unqualified name in a statement over several tables is listed under
// each of them (the parser cannot know which one has it); a star is
// listed as Column "*".
type ColumnUse struct {
	Schema, Table string // as written; "" schema: the default
	Column        string // lower case, or "*"
}

// scope is the tables one SELECT, UPDATE or DELETE reads, by the name
// (alias or table name) its expressions use.
type scope struct {
	byName  map[string]Table
	order   []Table
	outputs []string // output column names (ORDER BY may use them)
	parent  *scope
}

func (sc *scope) lookup(q string) (Table, bool) {
	for s := sc; s != nil; s = s.parent {
		if t, ok := s.byName[strings.ToLower(q)]; ok {
			return t, true
		}
	}
	return Table{}, false
}

// nearest returns the innermost scope that has tables.
func (sc *scope) nearest() *scope {
	for s := sc; s != nil; s = s.parent {
		if len(s.order) > 0 {
			return s
		}
	}
	return nil
}

// addColumn records a use; compactColumns removes repeats once the walk
// is done (a per-use search would be quadratic on long statements).
func (st *Statement) addColumn(t Table, col string) {
	st.Columns = append(st.Columns, ColumnUse{Schema: t.Schema, Table: t.Name, Column: strings.ToLower(col)})
}

func (st *Statement) compactColumns() {
	slices.SortFunc(st.Columns, func(a, b ColumnUse) int {
		return strings.Compare(a.Schema+"\x00"+a.Table+"\x00"+a.Column, b.Schema+"\x00"+b.Table+"\x00"+b.Column)
	})
	st.Columns = slices.Compact(st.Columns)
}

func (st *Statement) useColumn(sc *scope, qual []string, col string) {
	switch len(qual) {
	case 0:
		s := sc.nearest()
		if s == nil {
			return
		}
		if col != "*" && slices.Contains(s.outputs, strings.ToLower(col)) {
			return
		}
		for _, t := range s.order {
			st.addColumn(t, col)
		}
	default:
		if t, ok := sc.lookup(qual[len(qual)-1]); ok {
			st.addColumn(t, col)
		}
	}
}

// pgColumns records the columns named under m.
func pgColumns(st *Statement, m protoreflect.Message, sc *scope, ctes []string) {
	if !m.IsValid() {
		return
	}
	switch x := m.Interface().(type) {
	case *pg_query.SelectStmt:
		sc = pgScope(sc, x.FromClause, nil, ctes)
		for _, t := range x.TargetList {
			if rt := t.GetResTarget(); rt != nil && rt.Name != "" {
				sc.outputs = append(sc.outputs, strings.ToLower(rt.Name))
			}
		}
	case *pg_query.UpdateStmt:
		sc = pgScope(sc, x.FromClause, x.Relation, ctes)
	case *pg_query.DeleteStmt:
		sc = pgScope(sc, x.UsingClause, x.Relation, ctes)
	case *pg_query.ColumnRef:
		var names []string
		star := false
		for _, f := range x.Fields {
			switch {
			case f.GetString_() != nil:
				names = append(names, f.GetString_().Sval)
			case f.GetAStar() != nil:
				star = true
			}
		}
		if star {
			st.useColumn(sc, names, "*")
		} else if len(names) > 0 {
			st.useColumn(sc, names[:len(names)-1], names[len(names)-1])
		}
		return
	}
	eachChild(m, func(c protoreflect.Message) { pgColumns(st, c, sc, ctes) })
}

func pgScope(parent *scope, from []*pg_query.Node, rel *pg_query.RangeVar, ctes []string) *scope {
	sc := &scope{byName: map[string]Table{}, parent: parent}
	rvs := pgFromRangeVars(from)
	if rel != nil {
		rvs = append(rvs, rel)
	}
	for _, rv := range rvs {
		if rv.Schemaname == "" && slices.Contains(ctes, rv.Relname) {
			continue // a CTE: its own SELECT names the base columns
		}
		t := Table{Schema: rv.Schemaname, Name: rv.Relname}
		name := rv.Relname
		if rv.Alias != nil && rv.Alias.Aliasname != "" {
			name = rv.Alias.Aliasname
		}
		sc.byName[strings.ToLower(name)] = t
		sc.order = append(sc.order, t)
	}
	return sc
}

// myColumns is the TiDB visitor for column uses.
type myColumns struct {
	st    *Statement
	sc    *scope
	ctes  []string
	stack []*scope
}

func (v *myColumns) push(refs *ast.TableRefsClause) {
	sc := &scope{byName: map[string]Table{}, parent: v.sc}
	if refs != nil && refs.TableRefs != nil {
		for _, ts := range myTableSources(refs.TableRefs) {
			tn := ts.Source.(*ast.TableName)
			if tn.Schema.O == "" && slices.Contains(v.ctes, tn.Name.L) {
				continue
			}
			t := Table{Schema: tn.Schema.O, Name: tn.Name.O}
			name := tn.Name.L
			if ts.AsName.L != "" {
				name = ts.AsName.L
			}
			sc.byName[name] = t
			sc.order = append(sc.order, t)
		}
	}
	v.stack = append(v.stack, v.sc)
	v.sc = sc
}

func (v *myColumns) Enter(n ast.Node) (ast.Node, bool) {
	switch x := n.(type) {
	case *ast.SelectStmt:
		v.push(x.From)
		if x.Fields != nil {
			for _, f := range x.Fields.Fields {
				if f.AsName.L != "" {
					v.sc.outputs = append(v.sc.outputs, f.AsName.L)
				}
				if f.WildCard != nil {
					var q []string
					if f.WildCard.Table.O != "" {
						q = []string{f.WildCard.Table.O}
					}
					v.st.useColumn(v.sc, q, "*")
				}
			}
		}
	case *ast.UpdateStmt:
		v.push(x.TableRefs)
	case *ast.DeleteStmt:
		v.push(x.TableRefs)
	case *ast.ColumnNameExpr:
		var q []string
		if x.Name.Table.O != "" {
			q = []string{x.Name.Table.O}
		}
		v.st.useColumn(v.sc, q, x.Name.Name.O)
	}
	return n, false
}

func (v *myColumns) Leave(n ast.Node) (ast.Node, bool) {
	switch n.(type) {
	case *ast.SelectStmt, *ast.UpdateStmt, *ast.DeleteStmt:
		v.sc = v.stack[len(v.stack)-1]
		v.stack = v.stack[:len(v.stack)-1]
	}
	return n, true
}
