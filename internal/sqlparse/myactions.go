package sqlparse

import "github.com/pingcap/tidb/pkg/parser/ast"

// myUpsert records what REPLACE and INSERT … ON DUPLICATE KEY UPDATE do
// to the target t besides inserting: REPLACE deletes the rows whose keys
// collide, ON DUPLICATE KEY UPDATE updates them.
func myUpsert(st *Statement, x *ast.InsertStmt, t *ast.TableName) {
	if x.IsReplace || len(x.OnDuplicate) > 0 {
		st.Upsert = true
	}
	if x.IsReplace {
		st.addTable(Table{Schema: t.Schema.O, Name: t.Name.O, Action: ActionDelete})
	}
	if len(x.OnDuplicate) > 0 {
		st.addTable(Table{Schema: t.Schema.O, Name: t.Name.O, Action: ActionUpdate})
	}
}

// mySequenceCall marks the sequence of NEXTVAL(s), NEXT VALUE FOR s and
// SETVAL(s, n) as updated (MariaDB sequences). LASTVAL reads the
// session's own last value and needs nothing.
func mySequenceCall(v *myVisitor, x *ast.FuncCallExpr) {
	if x.FnName.L != ast.NextVal && x.FnName.L != ast.SetVal || len(x.Args) == 0 {
		return
	}
	switch a := x.Args[0].(type) {
	case *ast.TableNameExpr:
		if a.Name != nil {
			v.owned[a.Name] = ActionUpdate
		}
	case *ast.ColumnNameExpr:
		// NEXTVAL(s) or NEXTVAL(db.s) written as a call: the column
		// name is the sequence's.
		if a.Name != nil && a.Name.Schema.L == "" {
			v.st.addTable(Table{Schema: a.Name.Table.O, Name: a.Name.Name.O, Action: ActionUpdate})
			return
		}
		v.unnamedSequence(x.FnName.L)
	default:
		v.unnamedSequence(x.FnName.L)
	}
}

func (v *myVisitor) unnamedSequence(fn string) {
	if v.st.Privileged == "" {
		v.st.Privileged = fn + " of a sequence not named by a name"
	}
}
