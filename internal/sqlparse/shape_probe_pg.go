package sqlparse

import (
	pg_query "github.com/pganalyze/pg_query_go/v6"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// probe records the extraction facts of Shape for one PostgreSQL node.
func (p *pgShape) probe(m any) {
	switch x := m.(type) {
	case *pg_query.A_Expr:
		switch x.Kind {
		case pg_query.A_Expr_Kind_AEXPR_OP:
			if !isComparison(nameOf(x.Name)) {
				break
			}
			fallthrough
		case pg_query.A_Expr_Kind_AEXPR_LIKE, pg_query.A_Expr_Kind_AEXPR_ILIKE, pg_query.A_Expr_Kind_AEXPR_SIMILAR,
			pg_query.A_Expr_Kind_AEXPR_BETWEEN, pg_query.A_Expr_Kind_AEXPR_NOT_BETWEEN, pg_query.A_Expr_Kind_AEXPR_IN,
			pg_query.A_Expr_Kind_AEXPR_DISTINCT, pg_query.A_Expr_Kind_AEXPR_NOT_DISTINCT, pg_query.A_Expr_Kind_AEXPR_OP_ANY,
			pg_query.A_Expr_Kind_AEXPR_OP_ALL:
			l, r := x.Lexpr, x.Rexpr
			if pgProbe(l) || pgProbe(r) || pgInfo(l) && pgConstSide(r) || pgInfo(r) && pgConstSide(l) {
				p.sh.Extraction++
			}
		}
	case *pg_query.BoolExpr:
		for _, a := range x.Args {
			if pgProbe(a) {
				p.sh.Extraction++
			}
		}
	case *pg_query.CaseExpr:
		// CASE (SELECT …) WHEN 'a' THEN …
		if x.Arg != nil && (pgProbe(x.Arg) || pgInfo(x.Arg)) {
			p.sh.Extraction++
		}
	case *pg_query.CaseWhen:
		if pgProbe(x.Expr) {
			p.sh.Extraction++
		}
	case *pg_query.TypeCast:
		if x.TypeName != nil && numericTypes[funcName(nameOf(x.TypeName.Names))] && pgDisclosed(x.Arg) {
			p.sh.ErrorProbe = true
		}
	case *pg_query.FuncCall:
		name := funcName(nameOf(x.Funcname))
		if errorFunctions[name] {
			for _, a := range x.Args {
				if pgHidden(a) {
					p.sh.ErrorProbe = true
				}
			}
		}
		if name == "concat" || name == "concat_ws" {
			n := 0
			for _, a := range x.Args {
				n += pgEncoded(a)
			}
			if n >= 2 {
				p.sh.CharBuild = true
			}
		}
	case *pg_query.SQLValueFunction:
		switch x.Op {
		case pg_query.SQLValueFunctionOp_SVFOP_CURRENT_ROLE, pg_query.SQLValueFunctionOp_SVFOP_CURRENT_USER,
			pg_query.SQLValueFunctionOp_SVFOP_USER, pg_query.SQLValueFunctionOp_SVFOP_SESSION_USER,
			pg_query.SQLValueFunctionOp_SVFOP_CURRENT_CATALOG, pg_query.SQLValueFunctionOp_SVFOP_CURRENT_SCHEMA:
			p.sh.InfoValues = append(p.sh.InfoValues, x.Op.String()[len("SVFOP_"):])
		}
	case *pg_query.SelectStmt:
		if x.Op == pg_query.SetOperation_SETOP_UNION {
			var arms []*pg_query.SelectStmt
			pgArms(x, &arms)
			if len(arms) > 1 {
				first := pgUnionColumns(arms[0])
				for _, a := range arms[1:] {
					if first != nil && foreignArm(first, pgUnionColumns(a)) {
						p.sh.UnionForeign = true
					}
				}
			}
		}
	}
	if e, ok := m.(*pg_query.A_Expr); ok && e.Kind == pg_query.A_Expr_Kind_AEXPR_OP && nameOf(e.Name) == "||" {
		if pgEncoded(&pg_query.Node{Node: &pg_query.Node_AExpr{AExpr: e}}) >= 2 {
			p.sh.CharBuild = true
		}
	}
}

// pgArms flattens a tree of set operations into its arms, left to right.
func pgArms(s *pg_query.SelectStmt, out *[]*pg_query.SelectStmt) {
	if s == nil {
		return
	}
	if s.Op != pg_query.SetOperation_SETOP_UNION {
		// INTERSECT and EXCEPT only narrow the first arm's rows.
		*out = append(*out, s)
		return
	}
	pgArms(s.Larg, out)
	pgArms(s.Rarg, out)
}

// pgUnionColumns describes each position of an arm's target list; nil
// for a star or VALUES.
func pgUnionColumns(s *pg_query.SelectStmt) []unionColumn {
	for s.Op != pg_query.SetOperation_SETOP_NONE && s.Larg != nil {
		s = s.Larg
	}
	if len(s.TargetList) == 0 {
		return nil
	}
	out := make([]unionColumn, 0, len(s.TargetList))
	for _, t := range s.TargetList {
		rt := t.GetResTarget()
		if rt == nil || rt.Val == nil {
			return nil
		}
		c := unionColumn{name: rt.Name, columns: map[string]bool{}}
		if cr := rt.Val.GetColumnRef(); cr != nil {
			for _, f := range cr.Fields {
				if f.GetAStar() != nil {
					return nil
				}
			}
			if c.name == "" && len(cr.Fields) > 0 {
				c.name = cr.Fields[len(cr.Fields)-1].GetString_().GetSval()
			}
		}
		if _, ok := pgConst(rt.Val); ok {
			c.constant = true
		}
		walk(rt.Val.ProtoReflect(), func(m protoreflect.Message) {
			switch x := m.Interface().(type) {
			case *pg_query.SubLink:
				c.subquery = true
			case *pg_query.ColumnRef:
				if n := len(x.Fields); n > 0 {
					if s := x.Fields[n-1].GetString_(); s != nil {
						c.columns[s.Sval] = true
					}
				}
			}
		})
		if !c.constant && len(c.columns) == 0 {
			c.other = true
		}
		out = append(out, c)
	}
	return out
}

// pgStrip looks through casts, COLLATE and unary minus.
func pgStrip(n *pg_query.Node) *pg_query.Node {
	for n != nil {
		switch x := n.Node.(type) {
		case *pg_query.Node_TypeCast:
			n = x.TypeCast.Arg
		case *pg_query.Node_CollateClause:
			n = x.CollateClause.Arg
		default:
			return n
		}
	}
	return nil
}

// pgScalarSub returns the SELECT of a scalar subquery.
func pgScalarSub(n *pg_query.Node) *pg_query.SelectStmt {
	if sl := n.GetSubLink(); sl != nil && (sl.SubLinkType == pg_query.SubLinkType_EXPR_SUBLINK || sl.SubLinkType == pg_query.SubLinkType_ARRAY_SUBLINK) {
		return sl.Subselect.GetSelectStmt()
	}
	return nil
}

// pgInfo reports a server or session function or value keyword.
func pgInfo(n *pg_query.Node) bool {
	n = pgStrip(n)
	if n == nil {
		return false
	}
	if f := n.GetFuncCall(); f != nil {
		return infoFunctions[funcName(nameOf(f.Funcname))]
	}
	if v := n.GetSqlvalueFunction(); v != nil {
		return v.Op >= pg_query.SQLValueFunctionOp_SVFOP_CURRENT_ROLE
	}
	return false
}

// pgConstSide reports a constant comparand (a literal, a list of them).
func pgConstSide(n *pg_query.Node) bool {
	if l := n.GetList(); l != nil {
		for _, i := range l.Items {
			if !pgConstExpr(i) {
				return false
			}
		}
		return len(l.Items) > 0
	}
	return pgConstExpr(n)
}

// pgHidden reports, outside nested subqueries, a scalar subquery or a
// server or session function within n: a value the statement's own rows
// do not hold.
func pgHidden(n *pg_query.Node) bool {
	found := false
	var visit func(m protoreflect.Message)
	visit = func(m protoreflect.Message) {
		if found || !m.IsValid() {
			return
		}
		switch x := m.Interface().(type) {
		case *pg_query.SubLink:
			if x.SubLinkType == pg_query.SubLinkType_EXPR_SUBLINK || x.SubLinkType == pg_query.SubLinkType_ARRAY_SUBLINK {
				found = true
			}
			return
		case *pg_query.FuncCall:
			if infoFunctions[funcName(nameOf(x.Funcname))] {
				found = true
				return
			}
		case *pg_query.SQLValueFunction:
			if x.Op >= pg_query.SQLValueFunctionOp_SVFOP_CURRENT_ROLE {
				found = true
				return
			}
		}
		eachChild(m, visit)
	}
	if n != nil {
		visit(n.ProtoReflect())
	}
	return found
}

// pgDisclosed is pgHidden for error-based probes: a scalar subquery that
// returns an aggregate (a count compared in application code) is not one.
func pgDisclosed(n *pg_query.Node) bool {
	if !pgHidden(n) {
		return false
	}
	if s := pgScalarSub(pgStrip(n)); s != nil && len(s.TargetList) == 1 {
		if rt := s.TargetList[0].GetResTarget(); rt != nil {
			if f := pgStrip(rt.Val).GetFuncCall(); f != nil && aggregateFunctions[funcName(nameOf(f.Funcname))] {
				return false
			}
		}
	}
	return true
}

// pgProbe reports an expression that measures or takes apart a hidden
// value: a character function over a scalar subquery or a server
// function, arithmetic on one, or a scalar subquery that selects a
// character function of its columns.
func pgProbe(n *pg_query.Node) bool {
	n = pgStrip(n)
	if n == nil {
		return false
	}
	switch x := n.Node.(type) {
	case *pg_query.Node_FuncCall:
		name := funcName(nameOf(x.FuncCall.Funcname))
		if charFunctions[name] {
			for _, a := range x.FuncCall.Args {
				if pgHidden(a) {
					return true
				}
			}
		}
		for _, a := range x.FuncCall.Args {
			if pgProbe(a) {
				return true
			}
		}
	case *pg_query.Node_AExpr:
		if x.AExpr.Kind == pg_query.A_Expr_Kind_AEXPR_OP && !isComparison(nameOf(x.AExpr.Name)) {
			return pgProbe(x.AExpr.Lexpr) || pgProbe(x.AExpr.Rexpr)
		}
	case *pg_query.Node_CoalesceExpr:
		for _, a := range x.CoalesceExpr.Args {
			if pgProbe(a) {
				return true
			}
		}
	case *pg_query.Node_SubLink:
		if s := pgScalarSub(n); s != nil {
			for _, t := range s.TargetList {
				if rt := t.GetResTarget(); rt != nil && pgCallsChar(rt.Val) {
					return true
				}
			}
		}
	}
	return false
}

// pgCallsChar reports a character function anywhere in n outside
// nested subqueries.
func pgCallsChar(n *pg_query.Node) bool {
	found := false
	var visit func(m protoreflect.Message)
	visit = func(m protoreflect.Message) {
		if found || !m.IsValid() {
			return
		}
		switch x := m.Interface().(type) {
		case *pg_query.SubLink:
			return
		case *pg_query.FuncCall:
			if charFunctions[funcName(nameOf(x.Funcname))] {
				found = true
				return
			}
		}
		eachChild(m, visit)
	}
	if n != nil {
		visit(n.ProtoReflect())
	}
	return found
}

// pgEncoded counts the operands of a || chain (or one operand) that are
// characters given by code: CHR(n), a hex or bit string, decode(…, 'hex').
func pgEncoded(n *pg_query.Node) int {
	n = pgStrip(n)
	if n == nil {
		return 0
	}
	switch x := n.Node.(type) {
	case *pg_query.Node_AExpr:
		if x.AExpr.Kind == pg_query.A_Expr_Kind_AEXPR_OP && nameOf(x.AExpr.Name) == "||" {
			return pgEncoded(x.AExpr.Lexpr) + pgEncoded(x.AExpr.Rexpr)
		}
	case *pg_query.Node_FuncCall:
		name := funcName(nameOf(x.FuncCall.Funcname))
		if (name == "chr" || name == "char" || name == "decode" || name == "unhex") && len(x.FuncCall.Args) > 0 && pgConstExpr(x.FuncCall.Args[0]) {
			return 1
		}
	case *pg_query.Node_AConst:
		if b, ok := x.AConst.Val.(*pg_query.A_Const_Bsval); ok && b.Bsval != nil {
			return 1
		}
	}
	return 0
}
