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
	// chained are the OR/XOR nodes below another one: a chain of them
	// (the parser nests a OR b OR c to the left) is looked at once, from
	// its top, so that a long chain costs its length, not its square.
	chained map[*ast.BinaryOperationExpr]bool
}

// chainOperands are the operands of the OR/XOR chain topped by x (the
// operators' operands that are not OR/XOR themselves), and marks the
// chain's inner nodes as chained.
func (v *myShape) chainOperands(x *ast.BinaryOperationExpr) []ast.ExprNode {
	var out []ast.ExprNode
	stack := []*ast.BinaryOperationExpr{x}
	for len(stack) > 0 {
		n := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		for _, c := range []ast.ExprNode{n.R, n.L} {
			if b, ok := c.(*ast.BinaryOperationExpr); ok && (b.Op == opcode.LogicOr || b.Op == opcode.LogicXor) {
				if v.chained == nil {
					v.chained = map[*ast.BinaryOperationExpr]bool{}
				}
				v.chained[b] = true
				stack = append(stack, b)
				continue
			}
			out = append(out, c)
		}
	}
	return out
}

func (v *myShape) Enter(n ast.Node) (ast.Node, bool) {
	v.probe(n)
	switch x := n.(type) {
	case *ast.SelectStmt:
		v.where(x.Where)
		if x.From != nil && x.From.TableRefs != nil {
			myCrossTables(x.From.TableRefs, map[string]int{}, &v.sh.HeavyJoin)
		}
	case *ast.UpdateStmt:
		v.where(x.Where)
	case *ast.DeleteStmt:
		v.where(x.Where)
	case *ast.SetOprSelectList:
		arity := -1
		for _, s := range x.Selects {
			if n := myArity(s); n > 0 {
				if arity > 0 && n != arity {
					v.sh.UnionArity = true
				}
				arity = n
			}
		}
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
	case *ast.PatternLikeOrIlikeExpr:
		if myBareString(x.Expr) && myComputed(x.Pattern) || myBareString(x.Pattern) && myComputed(x.Expr) {
			v.sh.LiteralOps++
		}
		if !v.exempt[x] && myConstExpr(x.Expr) && myConstExpr(x.Pattern) {
			v.sh.ConstConditions++
		}
	case *ast.PatternRegexpExpr:
		if myBareString(x.Expr) && myComputed(x.Pattern) || myBareString(x.Pattern) && myComputed(x.Expr) {
			v.sh.LiteralOps++
		}
	case *ast.UnaryOperationExpr:
		if (x.Op == opcode.Not || x.Op == opcode.Not2) && myBareString(x.V) {
			v.sh.LiteralOps++
		}
	case *ast.BinaryOperationExpr:
		switch x.Op {
		case opcode.LogicAnd, opcode.LogicOr, opcode.LogicXor:
			if myBareString(x.L) || myBareString(x.R) {
				v.sh.LiteralOps++
			}
		default:
			if myBareString(x.L) && myComputed(x.R) || myBareString(x.R) && myComputed(x.L) {
				v.sh.LiteralOps++
			} else if arithmetic(strings.ToLower(x.Op.String())) || myArithmeticOp(x.Op) {
				if myBareString(x.L) && myConstExpr(x.R) || myBareString(x.R) && myConstExpr(x.L) {
					v.sh.LiteralOps++
				}
			}
		}
		switch x.Op {
		case opcode.LogicOr, opcode.LogicXor:
			if v.chained[x] {
				break // seen from the chain's top
			}
			// An operand that holds a literal makes the chain's result
			// depend on values; one that is always true makes it a
			// tautology (an inner OR is true when one of its operands is).
			for _, e := range v.chainOperands(x) {
				h := &myConstFinder{}
				e.Accept(h)
				if h.found {
					v.sh.ValueSensitive = true
				}
				if t, known := myTruth(e); known && t {
					v.sh.Tautology = true
				}
			}
		default:
			if _, ok := myCompareOp(x.Op); ok && !v.exempt[x] && myConstExpr(x.L) && myConstExpr(x.R) {
				v.sh.ConstConditions++
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

func myArithmeticOp(op opcode.Op) bool {
	switch op {
	case opcode.Plus, opcode.Minus, opcode.Mul, opcode.Div, opcode.IntDiv, opcode.Mod, opcode.And, opcode.Or, opcode.Xor, opcode.LeftShift, opcode.RightShift:
		return true
	}
	return false
}

// myConstExpr reports an expression of constants and operators only.
func myConstExpr(e ast.ExprNode) bool {
	if _, ok := myConst(e); ok {
		return true
	}
	switch x := e.(type) {
	case *ast.ParenthesesExpr:
		return myConstExpr(x.Expr)
	case *ast.UnaryOperationExpr:
		return myConstExpr(x.V)
	case *ast.BinaryOperationExpr:
		return myConstExpr(x.L) && myConstExpr(x.R)
	case *test_driver.ValueExpr:
		return true // hex and bit literals
	}
	return false
}

// myArity is the number of columns a set-operation arm selects, or 0.
func myArity(n ast.Node) int {
	s, ok := n.(*ast.SelectStmt)
	if !ok || s.Fields == nil {
		return 0
	}
	for _, f := range s.Fields.Fields {
		if f.WildCard != nil {
			return 0
		}
	}
	return len(s.Fields.Fields)
}

// myCrossTables counts tables joined without conditions.
func myCrossTables(j *ast.Join, seen map[string]int, heavy *bool) {
	if j == nil || j.On != nil || j.Using != nil {
		return
	}
	for _, side := range []ast.ResultSetNode{j.Left, j.Right} {
		switch x := side.(type) {
		case *ast.Join:
			myCrossTables(x, seen, heavy)
		case *ast.TableSource:
			if t, ok := x.Source.(*ast.TableName); ok {
				k := t.Schema.L + "." + t.Name.L
				seen[k]++
				if seen[k] >= 3 {
					*heavy = true
				}
			}
		}
	}
}

// myConstFinder finds a literal outside subqueries.
type myConstFinder struct{ found bool }

func (f *myConstFinder) Enter(n ast.Node) (ast.Node, bool) {
	switch n.(type) {
	case *test_driver.ValueExpr:
		f.found = true
	case *ast.SubqueryExpr:
		return n, true
	}
	return n, f.found
}

func (f *myConstFinder) Leave(n ast.Node) (ast.Node, bool) { return n, true }

// myBareString reports a string literal (parentheses looked through).
func myBareString(e ast.ExprNode) bool {
	if p, ok := e.(*ast.ParenthesesExpr); ok {
		return myBareString(p.Expr)
	}
	v, ok := e.(*test_driver.ValueExpr)
	return ok && v.Kind() == test_driver.KindString
}

// myComputed reports what a bare string literal should never be combined
// with in application SQL: another bare string, a subquery, a condition.
func myComputed(e ast.ExprNode) bool {
	if p, ok := e.(*ast.ParenthesesExpr); ok {
		return myComputed(p.Expr)
	}
	switch x := e.(type) {
	case *ast.SubqueryExpr, *ast.PatternLikeOrIlikeExpr, *ast.PatternRegexpExpr, *ast.IsNullExpr, *ast.VariableExpr:
		return true
	case *ast.BinaryOperationExpr:
		_, cmp := myCompareOp(x.Op)
		if cmp || x.Op == opcode.LogicAnd || x.Op == opcode.LogicOr || x.Op == opcode.LogicXor {
			return true
		}
		// Arithmetic on a bare string: '1 '/1.
		return myArithmeticOp(x.Op) && (myBareString(x.L) || myBareString(x.R))
	}
	return myBareString(e)
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
		if _, col := x.Expr.(*ast.ColumnNameExpr); col && rok && r.kind == 's' && r.str != "" && strings.Trim(r.str, "%") == "" && !x.Not {
			return true, true // col LIKE '%': every non-null row
		}
		if lok && rok && l.kind == 's' && r.kind == 's' {
			return likeConst(l.str, r.str) != x.Not, true
		}
	}
	return false, false
}
