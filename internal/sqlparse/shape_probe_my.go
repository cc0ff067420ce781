package sqlparse

import (
	"github.com/pingcap/tidb/pkg/parser/ast"
	"github.com/pingcap/tidb/pkg/parser/mysql"
	"github.com/pingcap/tidb/pkg/parser/opcode"
	"github.com/pingcap/tidb/pkg/parser/test_driver"
)

// probe records the extraction facts of Shape for one MySQL node.
func (v *myShape) probe(n ast.Node) {
	switch x := n.(type) {
	case *ast.BinaryOperationExpr:
		switch x.Op {
		case opcode.LogicAnd, opcode.LogicOr, opcode.LogicXor:
			// MySQL takes any number as a condition: AND ORD(MID(…)).
			if myProbe(x.L) || myProbe(x.R) || myInfo(x.L) || myInfo(x.R) {
				v.sh.Extraction++
			}
		default:
			if _, cmp := myCompareOp(x.Op); cmp {
				if myProbe(x.L) || myProbe(x.R) || myInfo(x.L) && myConstExpr(x.R) || myInfo(x.R) && myConstExpr(x.L) {
					v.sh.Extraction++
				}
			}
		}
	case *ast.UnaryOperationExpr:
		if (x.Op == opcode.Not || x.Op == opcode.Not2) && myProbe(x.V) {
			v.sh.Extraction++
		}
	case *ast.PatternLikeOrIlikeExpr:
		if myProbe(x.Expr) || myInfo(x.Expr) && myConstExpr(x.Pattern) {
			v.sh.Extraction++
		}
	case *ast.PatternRegexpExpr:
		if myProbe(x.Expr) || myInfo(x.Expr) && myConstExpr(x.Pattern) {
			v.sh.Extraction++
		}
	case *ast.BetweenExpr:
		if myProbe(x.Expr) || myInfo(x.Expr) {
			v.sh.Extraction++
		}
	case *ast.PatternInExpr:
		if myProbe(x.Expr) || myInfo(x.Expr) && x.Sel == nil {
			v.sh.Extraction++
		}
	case *ast.CaseExpr:
		if x.Value != nil && (myProbe(x.Value) || myInfo(x.Value)) {
			v.sh.Extraction++
		}
		for _, w := range x.WhenClauses {
			if myProbe(w.Expr) {
				v.sh.Extraction++
			}
		}
	case *ast.IsTruthExpr:
		if myProbe(x.Expr) {
			v.sh.Extraction++
		}
	case *ast.FuncCallExpr:
		name := x.FnName.L
		switch {
		case name == "if" || name == "ifnull" || name == "nullif" || name == "elt" || name == "field":
			if len(x.Args) > 0 && (myProbe(x.Args[0]) || myInfo(x.Args[0])) {
				v.sh.Extraction++
			}
		case name == ast.CharFunc:
			// CHAR(n, n, n [USING cs]): the last argument is the charset.
			if myCodes(x.Args) >= 3 {
				v.sh.CharBuild = true
			}
		case name == "concat" || name == "concat_ws":
			n := 0
			for _, a := range x.Args {
				n += myEncoded(a)
			}
			if n >= 2 {
				v.sh.CharBuild = true
			}
		}
		if name == "extractvalue" || name == "updatexml" || name == "name_const" {
			v.sh.ErrorProbe = true
		} else if errorFunctions[name] {
			for _, a := range x.Args {
				if myHidden(a) {
					v.sh.ErrorProbe = true
				}
			}
		}
	case *ast.SetOprSelectList:
		var arms []*ast.SelectStmt
		myArms(x, &arms)
		if len(arms) > 1 {
			first := myUnionColumns(arms[0])
			for _, a := range arms[1:] {
				if a.AfterSetOperator != nil && *a.AfterSetOperator != ast.Union && *a.AfterSetOperator != ast.UnionAll {
					continue // INTERSECT and EXCEPT only narrow the rows
				}
				if first != nil && foreignArm(first, myUnionColumns(a)) {
					v.sh.UnionForeign = true
				}
			}
		}
	}
}

// myArms flattens nested set-operation lists into their arms.
func myArms(n ast.Node, out *[]*ast.SelectStmt) {
	switch x := n.(type) {
	case *ast.SelectStmt:
		*out = append(*out, x)
	case *ast.SetOprSelectList:
		for _, s := range x.Selects {
			myArms(s, out)
		}
	case *ast.SetOprStmt:
		if x.SelectList != nil {
			myArms(x.SelectList, out)
		}
	}
}

// myUnionColumns describes each position of an arm's select list; nil
// for a star.
func myUnionColumns(s *ast.SelectStmt) []unionColumn {
	if s.Fields == nil || len(s.Fields.Fields) == 0 {
		return nil
	}
	out := make([]unionColumn, 0, len(s.Fields.Fields))
	for _, f := range s.Fields.Fields {
		if f.WildCard != nil || f.Expr == nil {
			return nil
		}
		c := unionColumn{name: f.AsName.L, columns: map[string]bool{}}
		if cn, ok := myStripParens(f.Expr).(*ast.ColumnNameExpr); ok && c.name == "" {
			c.name = cn.Name.Name.L
		}
		if myConstExpr(f.Expr) {
			c.constant = true
		}
		cc := &myColumnCollector{c: &c}
		f.Expr.Accept(cc)
		if !c.constant && len(c.columns) == 0 {
			c.other = true
		}
		out = append(out, c)
	}
	return out
}

type myColumnCollector struct{ c *unionColumn }

func (cc *myColumnCollector) Enter(n ast.Node) (ast.Node, bool) {
	switch x := n.(type) {
	case *ast.SubqueryExpr:
		cc.c.subquery = true
		return n, true
	case *ast.ColumnNameExpr:
		cc.c.columns[x.Name.Name.L] = true
	}
	return n, false
}

func (cc *myColumnCollector) Leave(n ast.Node) (ast.Node, bool) { return n, true }

func myStripParens(e ast.ExprNode) ast.ExprNode {
	for {
		switch x := e.(type) {
		case *ast.ParenthesesExpr:
			e = x.Expr
		case *ast.FuncCastExpr:
			e = x.Expr
		default:
			return e
		}
	}
}

// myInfo reports a server or session function or a system variable.
func myInfo(e ast.ExprNode) bool {
	switch x := myStripParens(e).(type) {
	case *ast.FuncCallExpr:
		return infoFunctions[x.FnName.L]
	case *ast.VariableExpr:
		return x.IsSystem
	}
	return false
}

// myHiddenFinder finds, outside nested subqueries, a scalar subquery, a
// server or session function or a system variable.
type myHiddenFinder struct{ found bool }

func (h *myHiddenFinder) Enter(n ast.Node) (ast.Node, bool) {
	switch x := n.(type) {
	case *ast.SubqueryExpr:
		if !x.Exists {
			h.found = true
		}
		return n, true
	case *ast.FuncCallExpr:
		if infoFunctions[x.FnName.L] {
			h.found = true
		}
	case *ast.VariableExpr:
		if x.IsSystem {
			h.found = true
		}
	}
	return n, h.found
}

func (h *myHiddenFinder) Leave(n ast.Node) (ast.Node, bool) { return n, true }

func myHidden(e ast.ExprNode) bool {
	if e == nil {
		return false
	}
	h := &myHiddenFinder{}
	e.Accept(h)
	return h.found
}

// myProbe reports an expression that measures or takes apart a hidden
// value (see pgProbe).
func myProbe(e ast.ExprNode) bool {
	switch x := myStripParens(e).(type) {
	case *ast.FuncCallExpr:
		if charFunctions[x.FnName.L] {
			for _, a := range x.Args {
				if myHidden(a) {
					return true
				}
			}
		}
		for _, a := range x.Args {
			if myProbe(a) {
				return true
			}
		}
	case *ast.BinaryOperationExpr:
		if myArithmeticOp(x.Op) {
			return myProbe(x.L) || myProbe(x.R)
		}
	case *ast.UnaryOperationExpr:
		return myProbe(x.V)
	case *ast.SubqueryExpr:
		if x.Exists {
			return false
		}
		if s, ok := x.Query.(*ast.SelectStmt); ok && s.Fields != nil {
			for _, f := range s.Fields.Fields {
				if f.Expr != nil && myCallsChar(f.Expr) {
					return true
				}
			}
		}
	}
	return false
}

type myCharFinder struct{ found bool }

func (c *myCharFinder) Enter(n ast.Node) (ast.Node, bool) {
	switch x := n.(type) {
	case *ast.SubqueryExpr:
		return n, true
	case *ast.FuncCallExpr:
		if charFunctions[x.FnName.L] {
			c.found = true
		}
	}
	return n, c.found
}

func (c *myCharFinder) Leave(n ast.Node) (ast.Node, bool) { return n, true }

func myCallsChar(e ast.ExprNode) bool {
	c := &myCharFinder{}
	e.Accept(c)
	return c.found
}

// myCodes counts the constant arguments of CHAR().
func myCodes(args []ast.ExprNode) int {
	n := 0
	for _, a := range args {
		if myConstExpr(a) {
			n++
		}
	}
	return n
}

// myEncoded reports a character given by code: CHAR(n…), CHR(n), a hex
// or bit literal, UNHEX('…').
func myEncoded(e ast.ExprNode) int {
	switch x := myStripParens(e).(type) {
	case *ast.FuncCallExpr:
		switch x.FnName.L {
		case ast.CharFunc, "chr", "unhex":
			if len(x.Args) > 0 && myConstExpr(x.Args[0]) {
				return 1
			}
		case "concat":
			n := 0
			for _, a := range x.Args {
				n += myEncoded(a)
			}
			return n
		}
	case *test_driver.ValueExpr:
		if x.Kind() == test_driver.KindBinaryLiteral || x.Kind() == test_driver.KindMysqlBit {
			return 1
		}
		if x.Type.GetType() == mysql.TypeBit {
			return 1
		}
	}
	return 0
}
