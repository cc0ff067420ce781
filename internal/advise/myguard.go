package advise

import (
	"fmt"
	"slices"
	"strings"

	"github.com/pingcap/tidb/pkg/parser"
	"github.com/pingcap/tidb/pkg/parser/ast"
)

// As on PostgreSQL (pgguard.go), a MySQL shape is planned only when it
// names no stored function (which the optimizer may evaluate) and no
// view: built-in functions are not in information_schema.ROUTINES.

type myNames struct {
	funcs []string
	rels  []TableRef
}

func (v *myNames) Enter(n ast.Node) (ast.Node, bool) {
	switch x := n.(type) {
	case *ast.FuncCallExpr:
		if name := x.FnName.L; !slices.Contains(v.funcs, name) {
			v.funcs = append(v.funcs, name)
		}
	case *ast.TableName:
		v.rels = append(v.rels, TableRef{Schema: x.Schema.L, Name: x.Name.L})
	}
	return n, false
}

func (v *myNames) Leave(n ast.Node) (ast.Node, bool) { return n, true }

func (p *myPlanner) guard(sql, defSchema string) error {
	nodes, _, err := parser.New().Parse(sql, "", "")
	if err != nil {
		return fmt.Errorf("%w: %v", ErrNotPlannable, err)
	}
	v := &myNames{}
	for _, n := range nodes {
		n.Accept(v)
	}
	if len(v.funcs) > 0 {
		args := make([]any, len(v.funcs))
		for i, f := range v.funcs {
			args[i] = f
		}
		res, err := p.conn.Execute("SELECT MIN(ROUTINE_NAME) FROM information_schema.ROUTINES WHERE LOWER(ROUTINE_NAME) IN ("+
			strings.TrimSuffix(strings.Repeat("?, ", len(args)), ", ")+")", args...)
		if err != nil {
			return err
		}
		name, _ := res.GetString(0, 0)
		res.Close()
		if name != "" {
			return fmt.Errorf("%w: it names the stored function %s (planning could run it as the planner's login)", ErrNotPlannable, name)
		}
	}
	for _, r := range v.rels {
		schema := r.Schema
		if schema == "" {
			schema = defSchema
		}
		res, err := p.conn.Execute("SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? AND TABLE_TYPE = 'VIEW'", schema, r.Name)
		if err != nil {
			return err
		}
		n, _ := res.GetInt(0, 0)
		res.Close()
		if n > 0 {
			return fmt.Errorf("%w: it names the view %s (planning could run what it calls as the planner's login)", ErrNotPlannable, r.Name)
		}
	}
	return nil
}
