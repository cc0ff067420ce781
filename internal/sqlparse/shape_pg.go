package sqlparse

import (
	"strconv"
	"strings"

	pg_query "github.com/pganalyze/pg_query_go/v6"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// pgShape gathers Shape facts while the statement is walked.
type pgShape struct {
	sh     *Shape
	exempt map[*pg_query.A_Expr]bool // first conjuncts of WHERE clauses
}

func (p *pgShape) visit(m any) {
	p.probe(m)
	switch x := m.(type) {
	case *pg_query.SelectStmt:
		p.where(x.WhereClause)
		if x.Op == pg_query.SetOperation_SETOP_UNION || x.Op == pg_query.SetOperation_SETOP_INTERSECT || x.Op == pg_query.SetOperation_SETOP_EXCEPT {
			if hasFrom(x.Larg) != hasFrom(x.Rarg) {
				p.sh.ConstUnion = true
			}
			if l, r := pgArity(x.Larg), pgArity(x.Rarg); l > 0 && r > 0 && l != r {
				p.sh.UnionArity = true
			}
		}
		seen := map[string]int{}
		for _, f := range x.FromClause {
			if rv := f.GetRangeVar(); rv != nil {
				seen[rv.Schemaname+"."+rv.Relname]++
				if seen[rv.Schemaname+"."+rv.Relname] >= 3 {
					p.sh.HeavyJoin = true
				}
			}
		}
	case *pg_query.UpdateStmt:
		p.where(x.WhereClause)
	case *pg_query.DeleteStmt:
		p.where(x.WhereClause)
	case *pg_query.SubLink:
		p.sh.Subqueries++
	case *pg_query.A_Const:
		if s, ok := x.Val.(*pg_query.A_Const_Sval); ok && s.Sval != nil {
			p.sh.Strings = append(p.sh.Strings, s.Sval.Sval)
		}
	case *pg_query.BoolExpr:
		for _, a := range x.Args {
			if pgBareString(a) {
				p.sh.LiteralOps++
				break
			}
		}
		if x.Boolop == pg_query.BoolExprType_OR_EXPR {
			for _, a := range x.Args {
				if pgHasConst(a) {
					p.sh.ValueSensitive = true
				}
				if v, known := pgTruth(a); known && v {
					p.sh.Tautology = true
				}
			}
		}
	case *pg_query.A_Expr:
		if x.Lexpr != nil && x.Rexpr != nil &&
			(pgBareString(x.Lexpr) && pgComputed(x.Rexpr) || pgBareString(x.Rexpr) && pgComputed(x.Lexpr)) {
			p.sh.LiteralOps++
		}
		op := nameOf(x.Name)
		if !p.exempt[x] && (x.Kind == pg_query.A_Expr_Kind_AEXPR_OP && isComparison(op) ||
			x.Kind == pg_query.A_Expr_Kind_AEXPR_LIKE || x.Kind == pg_query.A_Expr_Kind_AEXPR_ILIKE) {
			if pgConstExpr(x.Lexpr) && pgConstExpr(x.Rexpr) {
				p.sh.ConstConditions++
			}
		}
		if x.Kind == pg_query.A_Expr_Kind_AEXPR_OP && arithmetic(op) && x.Lexpr != nil && x.Rexpr != nil &&
			(pgBareString(x.Lexpr) && pgConstExpr(x.Rexpr) || pgBareString(x.Rexpr) && pgConstExpr(x.Lexpr)) {
			p.sh.LiteralOps++
		}
	}
}

// where exempts the first conjunct of a WHERE clause.
func (p *pgShape) where(n *pg_query.Node) {
	if n == nil {
		return
	}
	if b := n.GetBoolExpr(); b != nil && b.Boolop == pg_query.BoolExprType_AND_EXPR && len(b.Args) > 0 {
		n = b.Args[0]
	}
	if e := n.GetAExpr(); e != nil {
		p.exempt[e] = true
	}
}

// pgArity is the number of columns a set-operation arm selects, or 0
// when it cannot be known (a star, VALUES).
func pgArity(s *pg_query.SelectStmt) int {
	if s == nil {
		return 0
	}
	if s.Op != pg_query.SetOperation_SETOP_NONE {
		return pgArity(s.Larg)
	}
	for _, t := range s.TargetList {
		if rt := t.GetResTarget(); rt != nil && rt.Val != nil {
			if cr := rt.Val.GetColumnRef(); cr != nil {
				for _, f := range cr.Fields {
					if f.GetAStar() != nil {
						return 0
					}
				}
			}
		}
	}
	return len(s.TargetList)
}

// pgConstExpr reports an expression of constants and operators only.
func pgConstExpr(n *pg_query.Node) bool {
	if n == nil {
		return false
	}
	if _, ok := pgConst(n); ok {
		return true
	}
	switch x := n.Node.(type) {
	case *pg_query.Node_AExpr:
		e := x.AExpr
		if e.Kind != pg_query.A_Expr_Kind_AEXPR_OP {
			return false
		}
		return (e.Lexpr == nil || pgConstExpr(e.Lexpr)) && pgConstExpr(e.Rexpr)
	case *pg_query.Node_TypeCast:
		return pgConstExpr(x.TypeCast.Arg)
	}
	return false
}

// pgHasConst reports a literal in n outside subqueries.
func pgHasConst(n *pg_query.Node) bool {
	found := false
	var visit func(m protoreflect.Message)
	visit = func(m protoreflect.Message) {
		if found || !m.IsValid() {
			return
		}
		switch m.Interface().(type) {
		case *pg_query.A_Const:
			found = true
			return
		case *pg_query.SubLink:
			return
		}
		eachChild(m, visit)
	}
	visit(n.ProtoReflect())
	return found
}

// pgBareString reports an untyped string literal.
func pgBareString(n *pg_query.Node) bool {
	c := n.GetAConst()
	if c == nil {
		return false
	}
	_, ok := c.Val.(*pg_query.A_Const_Sval)
	return ok
}

// pgComputed reports what a bare string literal should never be combined
// with in application SQL: another bare string, a subquery, a condition.
func pgComputed(n *pg_query.Node) bool {
	if pgBareString(n) || n.GetSubLink() != nil || n.GetBoolExpr() != nil || n.GetNullTest() != nil {
		return true
	}
	if e := n.GetAExpr(); e != nil {
		switch e.Kind {
		case pg_query.A_Expr_Kind_AEXPR_LIKE, pg_query.A_Expr_Kind_AEXPR_ILIKE, pg_query.A_Expr_Kind_AEXPR_SIMILAR:
			return true
		case pg_query.A_Expr_Kind_AEXPR_OP:
			return isComparison(nameOf(e.Name))
		}
	}
	return false
}

// hasFrom reports whether a set-operation arm reads a table (recursively).
func hasFrom(s *pg_query.SelectStmt) bool {
	if s == nil {
		return false
	}
	if s.Op != pg_query.SetOperation_SETOP_NONE {
		return hasFrom(s.Larg) || hasFrom(s.Rarg)
	}
	return len(s.FromClause) > 0 || len(s.ValuesLists) > 0
}

func pgConst(n *pg_query.Node) (constant, bool) {
	if n == nil {
		return constant{}, false
	}
	switch x := n.Node.(type) {
	case *pg_query.Node_AConst:
		c := x.AConst
		if c.Isnull {
			return constant{}, true
		}
		switch v := c.Val.(type) {
		case *pg_query.A_Const_Ival:
			return constant{kind: 'n', num: float64(v.Ival.GetIval())}, true
		case *pg_query.A_Const_Fval:
			f, err := strconv.ParseFloat(v.Fval.GetFval(), 64)
			return constant{kind: 'n', num: f}, err == nil
		case *pg_query.A_Const_Boolval:
			b := 0.0
			if v.Boolval.GetBoolval() {
				b = 1
			}
			return constant{kind: 'b', num: b}, true
		case *pg_query.A_Const_Sval:
			return constant{kind: 's', str: v.Sval.GetSval()}, true
		}
	case *pg_query.Node_TypeCast:
		return pgConst(x.TypeCast.Arg)
	case *pg_query.Node_AExpr:
		// -1
		if e := x.AExpr; e.Kind == pg_query.A_Expr_Kind_AEXPR_OP && e.Lexpr == nil && nameOf(e.Name) == "-" {
			if c, ok := pgConst(e.Rexpr); ok && c.kind == 'n' {
				c.num = -c.num
				return c, true
			}
		}
	}
	return constant{}, false
}

// pgTruth evaluates n when it does not depend on any row.
func pgTruth(n *pg_query.Node) (value, known bool) {
	if c, ok := pgConst(n); ok {
		return c.truth()
	}
	switch x := n.Node.(type) {
	case *pg_query.Node_AExpr:
		e := x.AExpr
		op := nameOf(e.Name)
		switch e.Kind {
		case pg_query.A_Expr_Kind_AEXPR_OP:
			l, lok := pgConst(e.Lexpr)
			r, rok := pgConst(e.Rexpr)
			if lok && rok {
				return compareConst(op, l, r)
			}
			if lc, rc := e.Lexpr.GetColumnRef(), e.Rexpr.GetColumnRef(); lc != nil && rc != nil && (op == "=" || op == "<=" || op == ">=") {
				if nameOf(lc.Fields) == nameOf(rc.Fields) && nameOf(lc.Fields) != "" {
					return true, true
				}
			}
		case pg_query.A_Expr_Kind_AEXPR_LIKE, pg_query.A_Expr_Kind_AEXPR_ILIKE:
			l, lok := pgConst(e.Lexpr)
			r, rok := pgConst(e.Rexpr)
			if rok && r.kind == 's' && strings.Trim(r.str, "%") == "" && r.str != "" && e.Lexpr.GetColumnRef() != nil && (op == "~~" || op == "~~*") {
				return true, true // col LIKE '%': every non-null row
			}
			if lok && rok && l.kind == 's' && r.kind == 's' {
				return likeConst(l.str, r.str) == (op == "~~" || op == "~~*"), true
			}
		}
	case *pg_query.Node_NullTest:
		if c, ok := pgConst(x.NullTest.Arg); ok {
			isNull := c.kind == 0
			return isNull == (x.NullTest.Nulltesttype == pg_query.NullTestType_IS_NULL), true
		}
	case *pg_query.Node_BoolExpr:
		b := x.BoolExpr
		switch b.Boolop {
		case pg_query.BoolExprType_NOT_EXPR:
			if len(b.Args) == 1 {
				v, ok := pgTruth(b.Args[0])
				return !v, ok
			}
		case pg_query.BoolExprType_OR_EXPR:
			for _, a := range b.Args {
				if v, ok := pgTruth(a); ok && v {
					return true, true
				}
			}
		case pg_query.BoolExprType_AND_EXPR:
			for _, a := range b.Args {
				if v, ok := pgTruth(a); !ok || !v {
					return false, false
				}
			}
			return true, true
		}
	}
	return false, false
}
