package sqlparse

import (
	"strconv"
	"strings"

	"github.com/pingcap/tidb/pkg/parser/ast"
	"github.com/pingcap/tidb/pkg/parser/opcode"
	"github.com/pingcap/tidb/pkg/parser/test_driver"
)

// myShape gathers Shape facts from a TiDB AST.
type myShape struct {
	sh     *Shape
	exempt map[ast.ExprNode]bool
}

func (v *myShape) Enter(n ast.Node) (ast.Node, bool) {
	switch x := n.(type) {
	case *ast.SelectStmt:
		v.where(x.Where)
	case *ast.UpdateStmt:
		v.where(x.Where)
	case *ast.DeleteStmt:
		v.where(x.Where)
	case *ast.SetOprSelectList:
		from, none := false, false
		for _, s := range x.Selects {
			if myHasFrom(s) {
				from = true
			} else {
				none = true
			}
		}
		if from && none {
			v.sh.ConstUnion = true
		}
	case *ast.SubqueryExpr:
		v.sh.Subqueries++
	case *ast.VariableExpr:
		if x.IsSystem {
			v.sh.SystemVars = append(v.sh.SystemVars, strings.ToLower(x.Name))
		}
	case *test_driver.ValueExpr:
		if x.Kind() == test_driver.KindString {
			v.sh.Strings = append(v.sh.Strings, x.GetString())
		}
	case *ast.BinaryOperationExpr:
		switch x.Op {
		case opcode.LogicOr, opcode.LogicXor:
			for _, e := range []ast.ExprNode{x.L, x.R} {
				if t, known := myTruth(e); known && t {
					v.sh.Tautology = true
				}
			}
		default:
			if _, ok := myCompareOp(x.Op); ok && !v.exempt[x] {
				_, lok := myConst(x.L)
				_, rok := myConst(x.R)
				if lok && rok {
					v.sh.ConstConditions++
				}
			}
		}
	}
	return n, false
}

func (v *myShape) Leave(n ast.Node) (ast.Node, bool) { return n, true }

// where exempts the first conjunct of a WHERE clause.
func (v *myShape) where(e ast.ExprNode) {
	for e != nil {
		b, ok := e.(*ast.BinaryOperationExpr)
		if !ok || b.Op != opcode.LogicAnd {
			break
		}
		e = b.L
	}
	if e != nil {
		v.exempt[e] = true
	}
}

func myHasFrom(n ast.Node) bool {
	switch x := n.(type) {
	case *ast.SelectStmt:
		return x.From != nil || x.Kind != ast.SelectStmtKindSelect
	case *ast.SetOprSelectList:
		for _, s := range x.Selects {
			if myHasFrom(s) {
				return true
			}
		}
	case *ast.SetOprStmt:
		return x.SelectList != nil && myHasFrom(x.SelectList)
	}
	return false
}

func myCompareOp(op opcode.Op) (string, bool) {
	switch op {
	case opcode.EQ:
		return "=", true
	case opcode.NE:
		return "<>", true
	case opcode.LT:
		return "<", true
	case opcode.LE:
		return "<=", true
	case opcode.GT:
		return ">", true
	case opcode.GE:
		return ">=", true
	case opcode.NullEQ:
		return "<=>", true
	}
	return "", false
}

func myConst(e ast.ExprNode) (constant, bool) {
	switch x := e.(type) {
	case *ast.ParenthesesExpr:
		return myConst(x.Expr)
	case *ast.UnaryOperationExpr:
		if x.Op == opcode.Minus {
			if c, ok := myConst(x.V); ok && c.kind == 'n' {
				c.num = -c.num
				return c, true
			}
		}
	case *test_driver.ValueExpr:
		switch x.Kind() {
		case test_driver.KindNull:
			return constant{}, true
		case test_driver.KindInt64:
			return constant{kind: 'n', num: float64(x.GetInt64())}, true
		case test_driver.KindUint64:
			return constant{kind: 'n', num: float64(x.GetUint64())}, true
		case test_driver.KindFloat64:
			return constant{kind: 'n', num: x.GetFloat64()}, true
		case test_driver.KindMysqlDecimal:
			f, err := strconv.ParseFloat(x.GetMysqlDecimal().String(), 64)
			return constant{kind: 'n', num: f}, err == nil
		case test_driver.KindString, test_driver.KindBytes:
			return constant{kind: 's', str: x.GetString()}, true
		}
	}
	return constant{}, false
}

// myTruth evaluates e when it does not depend on any row.
func myTruth(e ast.ExprNode) (value, known bool) {
	if c, ok := myConst(e); ok {
		return c.truth()
	}
	switch x := e.(type) {
	case *ast.ParenthesesExpr:
		return myTruth(x.Expr)
	case *ast.UnaryOperationExpr:
		if x.Op == opcode.Not || x.Op == opcode.Not2 {
			v, ok := myTruth(x.V)
			return !v, ok
		}
	case *ast.BinaryOperationExpr:
		switch x.Op {
		case opcode.LogicOr:
			for _, s := range []ast.ExprNode{x.L, x.R} {
				if v, ok := myTruth(s); ok && v {
					return true, true
				}
			}
			return false, false
		case opcode.LogicAnd:
			l, lok := myTruth(x.L)
			r, rok := myTruth(x.R)
			return l && r, lok && rok && l && r
		}
		if op, ok := myCompareOp(x.Op); ok {
			l, lok := myConst(x.L)
			r, rok := myConst(x.R)
			if lok && rok {
				return compareConst(op, l, r)
			}
			lc, lok := x.L.(*ast.ColumnNameExpr)
			rc, rok := x.R.(*ast.ColumnNameExpr)
			if lok && rok && (op == "=" || op == "<=" || op == ">=" || op == "<=>") && lc.Name.String() == rc.Name.String() {
				return true, true
			}
		}
	case *ast.IsNullExpr:
		if c, ok := myConst(x.Expr); ok {
			return (c.kind == 0) != x.Not, true
		}
	case *ast.PatternLikeOrIlikeExpr:
		l, lok := myConst(x.Expr)
		r, rok := myConst(x.Pattern)
		if lok && rok && l.kind == 's' && r.kind == 's' {
			return likeConst(l.str, r.str) != x.Not, true
		}
	}
	return false, false
}
