package sqlparse

import (
	"strings"

	pg_query "github.com/pganalyze/pg_query_go/v6"
	"github.com/pingcap/tidb/pkg/parser/ast"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// Exposures are the entries of Statement.Exposes: what a statement reads
// of the server's own state rather than of tables.
//
//	show:NAME      PostgreSQL SHOW NAME ("all" for SHOW ALL); MySQL SHOW
//	               of a kind ("warnings", "errors", "processlist",
//	               "databases", "variables", "tables" …)
//	showlike:PAT   the LIKE pattern of a MySQL SHOW (lower case)
//	showwhere      a MySQL SHOW … WHERE
//	showdb:NAME    the database a MySQL SHOW … FROM/IN names
//	setting:NAME   current_setting('NAME'); setting:? when the name is
//	               not a constant
//	sysvar:NAME    a MySQL system variable (@@NAME, @@global.NAME …)
const (
	ExposeShow      = "show:"
	ExposeShowLike  = "showlike:"
	ExposeShowWhere = "showwhere"
	ExposeShowDB    = "showdb:"
	ExposeSetting   = "setting:"
	ExposeSysVar    = "sysvar:"
)

// exposeValue records an exposure that names a literal's value: texts
// that differ only in the literal may not share the analysis.
func (s *Statement) exposeValue(e string) {
	s.ValueSensitive = true
	s.expose(e)
}

func (s *Statement) expose(e string) {
	for _, x := range s.Exposes {
		if x == e {
			return
		}
	}
	s.Exposes = append(s.Exposes, e)
}

// pgExposures records what top reads of the server's state.
func pgExposures(st *Statement, top protoreflect.Message) {
	walk(top, func(m protoreflect.Message) {
		switch x := m.Interface().(type) {
		case *pg_query.VariableShowStmt:
			st.expose(ExposeShow + strings.ToLower(x.Name))
		case *pg_query.FuncCall:
			name := strings.ToLower(nameOf(x.Funcname))
			name = strings.TrimPrefix(name, "pg_catalog.")
			if name != "current_setting" {
				return
			}
			arg := "?"
			if len(x.Args) > 0 {
				if c := x.Args[0].GetAConst(); c != nil && c.GetSval() != nil {
					arg = strings.ToLower(c.GetSval().Sval)
				}
			}
			st.exposeValue(ExposeSetting + arg)
		}
	})
}

// myExposures records what n reads of the server's state.
func myExposures(st *Statement, n ast.Node) {
	n.Accept(&myExposure{st: st})
}

type myExposure struct{ st *Statement }

func (v *myExposure) Enter(n ast.Node) (ast.Node, bool) {
	switch x := n.(type) {
	case *ast.ShowStmt:
		v.st.expose(ExposeShow + strings.ToLower(strings.TrimPrefix(x.SEMCommand(), "SHOW ")))
		if x.DBName != "" {
			v.st.expose(ExposeShowDB + strings.ToLower(x.DBName))
		}
		if x.Pattern != nil {
			if p, ok := x.Pattern.Pattern.(ast.ValueExpr); ok {
				v.st.exposeValue(ExposeShowLike + strings.ToLower(p.GetString()))
			} else {
				v.st.expose(ExposeShowWhere)
			}
		}
		if x.Where != nil {
			v.st.expose(ExposeShowWhere)
		}
	case *ast.VariableExpr:
		if x.IsSystem {
			v.st.expose(ExposeSysVar + strings.ToLower(x.Name))
		}
	}
	return n, false
}

func (v *myExposure) Leave(n ast.Node) (ast.Node, bool) { return n, true }
