package sqlite

import (
	"strconv"
	"strings"

	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/floe-db/floe/internal/sqlerr"
)

// sessionValue reads a value of the session the statement runs in from
// the temporary table Engine.Connect fills (a statement's translation is
// shared by every session that sends the same text).
func sessionValue(col string) string {
	return "(SELECT " + col + " FROM temp.floe_session)"
}

// expr prints an expression and returns the type its value has when the
// translation knows it (TypeUnknown otherwise).
func (p *pgPrinter) expr(n *pg_query.Node) Type {
	if n == nil {
		p.w("NULL")
		return TypeUnknown
	}
	switch x := n.Node.(type) {
	case *pg_query.Node_AConst:
		return p.constant(x.AConst)
	case *pg_query.Node_ParamRef:
		k := int(x.ParamRef.Number)
		if k < 1 || k > 65535 {
			p.fail("parameter numbers beyond 65535")
		}
		p.maxParam = max(p.maxParam, k)
		p.w("?", itoa(k))
		return TypeUnknown
	case *pg_query.Node_ColumnRef:
		p.columnRef(x.ColumnRef)
		return TypeUnknown
	case *pg_query.Node_AExpr:
		return p.aExpr(x.AExpr)
	case *pg_query.Node_BoolExpr:
		b := x.BoolExpr
		if b.Boolop == pg_query.BoolExprType_NOT_EXPR {
			p.w("(NOT ")
			p.expr(b.Args[0])
			p.w(")")
			return TypeBool
		}
		op := " AND "
		if b.Boolop == pg_query.BoolExprType_OR_EXPR {
			op = " OR "
		}
		p.w("(")
		for i, a := range b.Args {
			if i > 0 {
				p.w(op)
			}
			p.expr(a)
		}
		p.w(")")
		return TypeBool
	case *pg_query.Node_NullTest:
		if x.NullTest.Arg.GetRowExpr() != nil {
			p.fail("IS NULL of a row")
		}
		p.w("(")
		p.expr(x.NullTest.Arg)
		if x.NullTest.Nulltesttype == pg_query.NullTestType_IS_NOT_NULL {
			p.w(" IS NOT NULL)")
		} else {
			p.w(" IS NULL)")
		}
		return TypeBool
	case *pg_query.Node_BooleanTest:
		p.w("(")
		p.expr(x.BooleanTest.Arg)
		switch x.BooleanTest.Booltesttype {
		case pg_query.BoolTestType_IS_TRUE:
			p.w(" IS TRUE)")
		case pg_query.BoolTestType_IS_NOT_TRUE:
			p.w(" IS NOT TRUE)")
		case pg_query.BoolTestType_IS_FALSE:
			p.w(" IS FALSE)")
		case pg_query.BoolTestType_IS_NOT_FALSE:
			p.w(" IS NOT FALSE)")
		case pg_query.BoolTestType_IS_UNKNOWN:
			p.w(" IS NULL)")
		default:
			p.w(" IS NOT NULL)")
		}
		return TypeBool
	case *pg_query.Node_TypeCast:
		return p.cast(x.TypeCast)
	case *pg_query.Node_FuncCall:
		return p.funcCall(x.FuncCall, false)
	case *pg_query.Node_SubLink:
		return p.subLink(x.SubLink)
	case *pg_query.Node_CaseExpr:
		c := x.CaseExpr
		p.w("CASE")
		if c.Arg != nil {
			p.w(" ")
			p.expr(c.Arg)
		}
		t := TypeUnknown
		for _, w := range c.Args {
			cw := w.GetCaseWhen()
			p.w(" WHEN ")
			p.expr(cw.Expr)
			p.w(" THEN ")
			if rt := p.expr(cw.Result); t == TypeUnknown {
				t = rt
			}
		}
		if c.Defresult != nil {
			p.w(" ELSE ")
			if rt := p.expr(c.Defresult); t == TypeUnknown {
				t = rt
			}
		}
		p.w(" END")
		return t
	case *pg_query.Node_CoalesceExpr:
		args := x.CoalesceExpr.Args
		if len(args) == 1 {
			p.w("(")
			t := p.expr(args[0])
			p.w(")")
			return t
		}
		p.w("coalesce(")
		t := TypeUnknown
		for i, a := range args {
			if i > 0 {
				p.w(", ")
			}
			if at := p.expr(a); t == TypeUnknown {
				t = at
			}
		}
		p.w(")")
		return t
	case *pg_query.Node_MinMaxExpr:
		if x.MinMaxExpr.Op == pg_query.MinMaxOp_IS_GREATEST {
			p.w("greatest(")
		} else {
			p.w("least(")
		}
		t := TypeUnknown
		for i, a := range x.MinMaxExpr.Args {
			if i > 0 {
				p.w(", ")
			}
			if at := p.expr(a); t == TypeUnknown {
				t = at
			}
		}
		p.w(")")
		return t
	case *pg_query.Node_SqlvalueFunction:
		return p.sqlValue(x.SqlvalueFunction)
	case *pg_query.Node_RowExpr:
		p.w("(")
		p.list(x.RowExpr.Args, func(n *pg_query.Node) { p.expr(n) })
		p.w(")")
		return TypeUnknown
	case *pg_query.Node_AArrayExpr:
		p.w("json_array(")
		p.list(x.AArrayExpr.Elements, func(n *pg_query.Node) { p.expr(n) })
		p.w(")")
		return TypeArray
	case *pg_query.Node_CollateClause:
		_, name := nameOf(x.CollateClause.Collname)
		switch strings.ToLower(name) {
		case "default", "c", "posix", "ucs_basic":
			return p.expr(x.CollateClause.Arg)
		case "nocase", "binary", "rtrim":
			p.w("(")
			t := p.expr(x.CollateClause.Arg)
			p.w(" COLLATE ", strings.ToUpper(name), ")")
			return t
		}
		p.fail("collation " + strconv.Quote(name))
	case *pg_query.Node_AIndirection:
		ind := x.AIndirection
		if len(ind.Indirection) != 1 {
			p.fail("nested subscripts")
		}
		ai := ind.Indirection[0].GetAIndices()
		if ai == nil {
			return p.fieldSelect(ind)
		}
		if ai.IsSlice {
			p.fail("ARRAY slices")
		}
		p.subscript(ind.Arg, ai.Uidx)
		return TypeUnknown
	case *pg_query.Node_JsonArrayConstructor:
		// JSON_ARRAY(…): SQLite's json_array keeps NULLs, so ABSENT ON
		// NULL (the default) is printed only for non-NULL constants.
		c := x.JsonArrayConstructor
		if c.Output != nil {
			p.fail("JSON_ARRAY … RETURNING")
		}
		p.w("json_array(")
		for i, e := range c.Exprs {
			v := e.GetJsonValueExpr().GetRawExpr()
			if k := v.GetAConst(); c.AbsentOnNull && (k == nil || k.Isnull) {
				p.fail("JSON_ARRAY of values that may be NULL without NULL ON NULL")
			}
			if i > 0 {
				p.w(", ")
			}
			p.expr(v)
		}
		p.w(")")
		return TypeJSON
	case *pg_query.Node_JsonObjectConstructor:
		c := x.JsonObjectConstructor
		if c.Output != nil || c.AbsentOnNull || c.Unique {
			p.fail("JSON_OBJECT with ABSENT ON NULL, WITH UNIQUE or RETURNING")
		}
		p.w("json_object(")
		for i, e := range c.Exprs {
			kv := e.GetJsonKeyValue()
			if i > 0 {
				p.w(", ")
			}
			p.expr(kv.Key)
			p.w(", ")
			p.expr(kv.Value.GetRawExpr())
		}
		p.w(")")
		return TypeJSON
	case *pg_query.Node_GroupingFunc:
		p.fail("GROUPING")
	case *pg_query.Node_SetToDefault:
		p.fail("DEFAULT in expressions")
	case *pg_query.Node_NamedArgExpr:
		p.fail("named arguments")
	}
	p.fail("expressions of kind " + strings.TrimPrefix(strings.TrimPrefix(typeName(n), "*pg_query.Node_"), "pg_query."))
	return TypeUnknown
}

func (p *pgPrinter) constant(c *pg_query.A_Const) Type {
	if c.Isnull {
		p.w("NULL")
		return TypeUnknown
	}
	switch v := c.Val.(type) {
	case *pg_query.A_Const_Ival:
		p.w(strconv.FormatInt(int64(v.Ival.Ival), 10))
		return TypeInt4
	case *pg_query.A_Const_Fval:
		f := v.Fval.Fval
		p.w(f)
		if strings.ContainsAny(f, ".eE") {
			return TypeNumeric
		}
		return TypeInt
	case *pg_query.A_Const_Boolval:
		if v.Boolval.Boolval {
			p.w("1")
		} else {
			p.w("0")
		}
		return TypeBool
	case *pg_query.A_Const_Sval:
		p.w(quoteString(v.Sval.Sval))
		return TypeUnknown
	case *pg_query.A_Const_Bsval:
		// b'0101' (the parser keeps a leading b) or x'1F' (x): the bits
		// as text.
		s := v.Bsval.Bsval
		if s == "" {
			p.w("''")
			return TypeText
		}
		var bits strings.Builder
		switch s[0] {
		case 'b', 'B':
			bits.WriteString(s[1:])
		case 'x', 'X':
			for _, h := range s[1:] {
				d, err := strconv.ParseUint(string(h), 16, 8)
				if err != nil {
					p.fail("this bit string")
				}
				bits.WriteString(strconv.FormatUint(d|16, 2)[1:])
			}
		}
		p.w(quoteString(bits.String()))
		return TypeText
	}
	p.fail("this constant")
	return TypeUnknown
}

func (p *pgPrinter) columnRef(c *pg_query.ColumnRef) {
	for i, f := range c.Fields {
		if i > 0 {
			p.w(".")
		}
		switch {
		case f.GetAStar() != nil:
			p.w("*")
		case f.GetString_() != nil:
			s := f.GetString_().Sval
			if i == 0 && len(c.Fields) > 2 && s == "public" {
				// public.t.col: the table is in SQLite's main database.
				p.w("main")
				continue
			}
			p.ident(s)
		default:
			p.fail("this column reference")
		}
	}
}

// opName is an operator's name (its schema, pg_catalog only, dropped).
func opName(ns []*pg_query.Node) string {
	parts := strs(ns)
	if len(parts) == 0 {
		return ""
	}
	return parts[len(parts)-1]
}

func (p *pgPrinter) binary(l *pg_query.Node, op string, r *pg_query.Node) {
	p.w("(")
	p.expr(l)
	p.w(" ", op, " ")
	p.expr(r)
	p.w(")")
}

func (p *pgPrinter) noteParam(l, r *pg_query.Node) {
	if k := paramNumber(r); k > 0 {
		p.paramCol(k, columnName(l))
	}
	if k := paramNumber(l); k > 0 {
		p.paramCol(k, columnName(r))
	}
}

func (p *pgPrinter) aExpr(a *pg_query.A_Expr) Type {
	op := opName(a.Name)
	switch a.Kind {
	case pg_query.A_Expr_Kind_AEXPR_OP:
		return p.operator(a, op)
	case pg_query.A_Expr_Kind_AEXPR_OP_ANY, pg_query.A_Expr_Kind_AEXPR_OP_ALL:
		return p.anyAll(a, op)
	case pg_query.A_Expr_Kind_AEXPR_DISTINCT:
		p.binary(a.Lexpr, "IS NOT", a.Rexpr)
		return TypeBool
	case pg_query.A_Expr_Kind_AEXPR_NOT_DISTINCT:
		p.binary(a.Lexpr, "IS", a.Rexpr)
		return TypeBool
	case pg_query.A_Expr_Kind_AEXPR_NULLIF:
		p.w("nullif(")
		t := p.expr(a.Lexpr)
		p.w(", ")
		p.expr(a.Rexpr)
		p.w(")")
		return t
	case pg_query.A_Expr_Kind_AEXPR_IN:
		p.w("(")
		p.expr(a.Lexpr)
		if op == "<>" {
			p.w(" NOT")
		}
		p.w(" IN (")
		items := a.Rexpr.GetList().GetItems()
		for i, it := range items {
			if i > 0 {
				p.w(", ")
			}
			if k := paramNumber(it); k > 0 {
				p.paramCol(k, columnName(a.Lexpr))
			}
			p.expr(it)
		}
		p.w("))")
		return TypeBool
	case pg_query.A_Expr_Kind_AEXPR_LIKE, pg_query.A_Expr_Kind_AEXPR_ILIKE:
		p.noteParam(a.Lexpr, a.Rexpr)
		p.like(a, op)
		return TypeBool
	case pg_query.A_Expr_Kind_AEXPR_SIMILAR:
		p.similar(a, op)
		return TypeBool
	case pg_query.A_Expr_Kind_AEXPR_BETWEEN, pg_query.A_Expr_Kind_AEXPR_NOT_BETWEEN,
		pg_query.A_Expr_Kind_AEXPR_BETWEEN_SYM, pg_query.A_Expr_Kind_AEXPR_NOT_BETWEEN_SYM:
		bounds := a.Rexpr.GetList().GetItems()
		if len(bounds) != 2 {
			p.fail("this BETWEEN")
		}
		for _, b := range bounds {
			if k := paramNumber(b); k > 0 {
				p.paramCol(k, columnName(a.Lexpr))
			}
		}
		p.w("(")
		p.expr(a.Lexpr)
		if a.Kind == pg_query.A_Expr_Kind_AEXPR_NOT_BETWEEN || a.Kind == pg_query.A_Expr_Kind_AEXPR_NOT_BETWEEN_SYM {
			p.w(" NOT")
		}
		p.w(" BETWEEN ")
		if a.Kind == pg_query.A_Expr_Kind_AEXPR_BETWEEN_SYM || a.Kind == pg_query.A_Expr_Kind_AEXPR_NOT_BETWEEN_SYM {
			p.w("min(")
			p.expr(bounds[0])
			p.w(", ")
			p.expr(bounds[1])
			p.w(") AND max(")
			p.expr(bounds[0])
			p.w(", ")
			p.expr(bounds[1])
			p.w("))")
		} else {
			p.expr(bounds[0])
			p.w(" AND ")
			p.expr(bounds[1])
			p.w(")")
		}
		return TypeBool
	}
	p.fail("this operator form")
	return TypeUnknown
}

// isInterval reports an interval value: a cast to interval (interval
// '1 day' is one).
// exactSumArg reports whether sum(n) is added exactly (floe_numeric_sum):
// n is a column (whose values may be NUMERIC) or a cast to numeric.
func exactSumArg(n *pg_query.Node) bool {
	if n.GetColumnRef() != nil {
		return true
	}
	if tc := n.GetTypeCast(); tc != nil {
		_, name := nameOf(tc.TypeName.Names)
		return name == "numeric" || name == "decimal"
	}
	return false
}

func isInterval(n *pg_query.Node) bool {
	if tc := n.GetTypeCast(); tc != nil {
		_, name := nameOf(tc.TypeName.Names)
		return name == "interval"
	}
	return false
}

func (p *pgPrinter) operator(a *pg_query.A_Expr, op string) Type {
	if a.Lexpr == nil {
		// Prefix operators.
		switch op {
		case "-", "+", "~":
			p.w("(", op)
			t := p.expr(a.Rexpr)
			p.w(")")
			return t
		}
		p.fail("the prefix operator " + op)
	}
	switch op {
	case "=", "<>", "!=", "<", ">", "<=", ">=":
		p.noteParam(a.Lexpr, a.Rexpr)
		if op == "!=" {
			op = "<>"
		}
		if (op == "=" || op == "<>") && p.boolLiteralCompare(a.Lexpr, op, a.Rexpr) {
			return TypeBool
		}
		p.binary(a.Lexpr, op, a.Rexpr)
		return TypeBool
	case "+", "-":
		if isInterval(a.Rexpr) && !isInterval(a.Lexpr) {
			if op == "+" {
				p.w("floe_ts_add(")
			} else {
				p.w("floe_ts_sub(")
			}
			p.expr(a.Lexpr)
			p.w(", ")
			p.expr(a.Rexpr)
			p.w(")")
			return TypeTimestamp
		}
		if op == "+" && isInterval(a.Lexpr) && !isInterval(a.Rexpr) {
			p.w("floe_ts_add(")
			p.expr(a.Rexpr)
			p.w(", ")
			p.expr(a.Lexpr)
			p.w(")")
			return TypeTimestamp
		}
		fallthrough
	case "*", "/", "%":
		p.noteParam(a.Lexpr, a.Rexpr)
		p.w("(")
		lt := p.expr(a.Lexpr)
		p.w(" ", op, " ")
		rt := p.expr(a.Rexpr)
		p.w(")")
		return arithType(lt, rt)
	case "||":
		p.binary(a.Lexpr, "||", a.Rexpr)
		return TypeText
	case "&", "|", "<<", ">>":
		p.binary(a.Lexpr, op, a.Rexpr)
		return TypeInt
	case "^":
		p.w("power(")
		p.expr(a.Lexpr)
		p.w(", ")
		p.expr(a.Rexpr)
		p.w(")")
		return TypeFloat
	case "->":
		p.binary(a.Lexpr, "->", a.Rexpr)
		return TypeJSON
	case "->>":
		p.binary(a.Lexpr, "->>", a.Rexpr)
		return TypeText
	case "~", "~*", "!~", "!~*":
		flags := "''"
		if strings.HasSuffix(op, "*") {
			flags = "'i'"
		}
		if strings.HasPrefix(op, "!") {
			p.w("(NOT ")
		}
		p.w("floe_regexp(")
		p.expr(a.Rexpr)
		p.w(", ")
		p.expr(a.Lexpr)
		p.w(", ", flags, ")")
		if strings.HasPrefix(op, "!") {
			p.w(")")
		}
		return TypeBool
	case "~~", "!~~", "~~*", "!~~*":
		kind := pg_query.A_Expr_Kind_AEXPR_LIKE
		if strings.HasSuffix(op, "*") {
			kind = pg_query.A_Expr_Kind_AEXPR_ILIKE
		}
		p.like(&pg_query.A_Expr{Kind: kind, Lexpr: a.Lexpr, Rexpr: a.Rexpr}, op)
		return TypeBool
	}
	p.fail("the operator " + op)
	return TypeUnknown
}

func arithType(l, r Type) Type {
	switch {
	case l == TypeFloat || r == TypeFloat:
		return TypeFloat
	case l == TypeNumeric || r == TypeNumeric:
		if l == TypeUnknown || r == TypeUnknown {
			return TypeUnknown
		}
		return TypeNumeric
	case l.IsInt() && r.IsInt():
		// The wider of the two, at least int4, as PostgreSQL's operators.
		if l == TypeInt || r == TypeInt {
			return TypeInt
		}
		return TypeInt4
	}
	return TypeUnknown
}

// like prints LIKE (case-sensitive in PostgreSQL: floe_like) and ILIKE
// (SQLite's LIKE, case-insensitive), with PostgreSQL's default escape,
// the backslash.
func (p *pgPrinter) like(a *pg_query.A_Expr, op string) {
	pattern, escape := a.Rexpr, &pg_query.Node{Node: &pg_query.Node_AConst{AConst: &pg_query.A_Const{Val: &pg_query.A_Const_Sval{Sval: &pg_query.String{Sval: `\`}}}}}
	if fc := a.Rexpr.GetFuncCall(); fc != nil {
		if _, name := nameOf(fc.Funcname); name == "like_escape" && len(fc.Args) == 2 {
			pattern, escape = fc.Args[0], fc.Args[1]
		}
	}
	not := strings.HasPrefix(op, "!")
	if not {
		p.w("(NOT ")
	}
	if a.Kind == pg_query.A_Expr_Kind_AEXPR_ILIKE {
		p.w("(")
		p.expr(a.Lexpr)
		p.w(" LIKE ")
		p.expr(pattern)
		p.w(" ESCAPE ")
		p.expr(escape)
		p.w(")")
	} else {
		p.w("floe_like(")
		p.expr(a.Lexpr)
		p.w(", ")
		p.expr(pattern)
		p.w(", ")
		p.expr(escape)
		p.w(")")
	}
	if not {
		p.w(")")
	}
}

// similar prints SIMILAR TO with a constant pattern as the POSIX regular
// expression PostgreSQL makes of it.
func (p *pgPrinter) similar(a *pg_query.A_Expr, op string) {
	fc := a.Rexpr.GetFuncCall()
	if fc == nil || len(fc.Args) != 1 {
		p.fail("SIMILAR TO with ESCAPE")
	}
	c := fc.Args[0].GetAConst()
	if c == nil || c.GetSval() == nil {
		p.fail("SIMILAR TO with a pattern other than a constant")
	}
	re := similarToRegexp(c.GetSval().Sval)
	if op == "!~" {
		p.w("(NOT ")
	}
	p.w("floe_regexp(", quoteString(re), ", ")
	p.expr(a.Lexpr)
	p.w(", '')")
	if op == "!~" {
		p.w(")")
	}
}

// similarToRegexp converts a SQL regular expression (SIMILAR TO) to a
// POSIX one matching the whole text, as PostgreSQL's similar_to_escape.
func similarToRegexp(pat string) string {
	var b strings.Builder
	b.WriteString("^(?:")
	inBracket := false
	for i := 0; i < len(pat); i++ {
		c := pat[i]
		switch {
		case c == '\\' && i+1 < len(pat):
			i++
			b.WriteByte('\\')
			b.WriteByte(pat[i])
		case inBracket:
			if c == ']' {
				inBracket = false
			}
			b.WriteByte(c)
		case c == '[':
			inBracket = true
			b.WriteByte(c)
		case c == '%':
			b.WriteString(".*")
		case c == '_':
			b.WriteByte('.')
		case c == '.', c == '^', c == '$':
			b.WriteByte('\\')
			b.WriteByte(c)
		default:
			b.WriteByte(c)
		}
	}
	b.WriteString(")$")
	return b.String()
}

func (p *pgPrinter) subLink(s *pg_query.SubLink) Type {
	switch s.SubLinkType {
	case pg_query.SubLinkType_EXISTS_SUBLINK:
		p.w("EXISTS (")
		p.selectNode(s.Subselect, false)
		p.w(")")
		return TypeBool
	case pg_query.SubLinkType_EXPR_SUBLINK:
		p.w("(")
		t, _ := p.selectNode(s.Subselect, false)
		p.w(")")
		if len(t) == 1 {
			return t[0]
		}
		return TypeUnknown
	case pg_query.SubLinkType_ANY_SUBLINK, pg_query.SubLinkType_ALL_SUBLINK:
		op := opName(s.OperName)
		if s.SubLinkType == pg_query.SubLinkType_ANY_SUBLINK && (op == "" || op == "=") ||
			s.SubLinkType == pg_query.SubLinkType_ALL_SUBLINK && op == "<>" {
			p.w("(")
			p.expr(s.Testexpr)
			if s.SubLinkType == pg_query.SubLinkType_ALL_SUBLINK {
				p.w(" NOT")
			}
			p.w(" IN (")
			p.selectNode(s.Subselect, false)
			p.w("))")
			return TypeBool
		}
		p.fail("ANY and ALL subqueries other than = ANY and <> ALL")
	case pg_query.SubLinkType_ARRAY_SUBLINK:
		// ARRAY(SELECT x …): a JSON array of the subquery's one column.
		var inner = pgPrinter{ctes: p.ctes, params: p.params, srf: p.srf}
		_, names := inner.selectNode(s.Subselect, false)
		p.absorb(&inner)
		if len(names) != 1 || names[0] == "*" {
			p.fail("ARRAY of a subquery without exactly one named column")
		}
		p.w("(SELECT json_group_array(", quoteIdent(names[0]), ") FROM (", inner.b.String(), "))")
		return TypeArray
	}
	p.fail("this kind of subquery")
	return TypeUnknown
}

func (p *pgPrinter) sqlValue(f *pg_query.SQLValueFunction) Type {
	switch f.Op {
	case pg_query.SQLValueFunctionOp_SVFOP_CURRENT_DATE:
		p.w("date('now')")
		return TypeDate
	case pg_query.SQLValueFunctionOp_SVFOP_CURRENT_TIME, pg_query.SQLValueFunctionOp_SVFOP_CURRENT_TIME_N,
		pg_query.SQLValueFunctionOp_SVFOP_LOCALTIME, pg_query.SQLValueFunctionOp_SVFOP_LOCALTIME_N:
		p.w("time('now')")
		return TypeText
	case pg_query.SQLValueFunctionOp_SVFOP_CURRENT_TIMESTAMP, pg_query.SQLValueFunctionOp_SVFOP_CURRENT_TIMESTAMP_N,
		pg_query.SQLValueFunctionOp_SVFOP_LOCALTIMESTAMP, pg_query.SQLValueFunctionOp_SVFOP_LOCALTIMESTAMP_N:
		p.w("now()")
		return TypeTimestamp
	case pg_query.SQLValueFunctionOp_SVFOP_CURRENT_ROLE, pg_query.SQLValueFunctionOp_SVFOP_CURRENT_USER,
		pg_query.SQLValueFunctionOp_SVFOP_USER, pg_query.SQLValueFunctionOp_SVFOP_SESSION_USER:
		p.w(sessionValue("user_name"))
		return TypeText
	case pg_query.SQLValueFunctionOp_SVFOP_CURRENT_CATALOG:
		p.w(sessionValue("database_name"))
		return TypeText
	case pg_query.SQLValueFunctionOp_SVFOP_CURRENT_SCHEMA:
		p.w("'public'")
		return TypeText
	}
	p.fail("this SQL value function")
	return TypeUnknown
}

// funcCall prints a function call; inFrom is set for a table function.
func (p *pgPrinter) funcCall(f *pg_query.FuncCall, inFrom bool) Type {
	schema, name := nameOf(f.Funcname)
	if isExpandArray(f) {
		return p.expandArrayCall(f, inFrom)
	}
	if schema == "" && !inFrom && p.expand != nil && !f.AggStar && f.Over == nil && !f.AggDistinct && f.AggFilter == nil {
		switch {
		case name == "unnest" && len(f.Args) == 1:
			return p.listUnnest(f, false)
		case name == "generate_subscripts" && len(f.Args) == 2:
			return p.listUnnest(f, true)
		}
	}
	if f.AggWithinGroup {
		p.fail("WITHIN GROUP")
	}
	if f.FuncVariadic {
		p.fail("VARIADIC")
	}
	args := f.Args
	t := TypeUnknown
	if schema == "" {
		switch name {
		case "version":
			if len(args) == 0 {
				p.w("('PostgreSQL 15.0 (Floe SQLite ' || sqlite_version() || ') on SQLite, compiled by Go')")
				return TypeText
			}
		case "current_database", "current_catalog":
			if len(args) == 0 {
				p.w(sessionValue("database_name"))
				return TypeText
			}
		case "current_user", "session_user", "user":
			if len(args) == 0 {
				p.w(sessionValue("user_name"))
				return TypeText
			}
		case "current_schema":
			if len(args) == 0 {
				p.w("'public'")
				return TypeText
			}
		case "bool_and", "every", "bool_or":
			if len(args) != 1 || f.AggStar {
				break
			}
			agg := "min"
			if name == "bool_or" {
				agg = "max"
			}
			p.w(agg, "((")
			p.expr(args[0])
			p.w(") <> 0")
			p.aggTail(f)
			return TypeBool
		case "string_agg":
			name = "group_concat"
			t = TypeText
		case "array_agg":
			name = "json_group_array"
			t = TypeArray
		case "json_agg", "jsonb_agg", "json_build_object", "jsonb_build_object", "json_build_array", "jsonb_build_array",
			"to_json", "to_jsonb", "json_object_agg", "jsonb_object_agg", "row_to_json":
			t = TypeJSON
		case "array_length", "cardinality":
			if len(args) >= 1 {
				p.w("json_array_length(")
				p.expr(args[0])
				p.w(")")
				return TypeInt4
			}
		case "array_remove", "array_append", "array_prepend", "array_cat":
			t = TypeArray
		case "array_position":
			t = TypeInt
		case "array_upper", "array_lower":
			// Arrays are JSON arrays with a lower bound of 1; PostgreSQL
			// gives NULL for an empty array or a dimension it lacks.
			if len(args) == 2 {
				a, d := p.sub(args[0]), p.sub(args[1])
				hi := "json_array_length(" + a + ")"
				if name == "array_lower" {
					hi = "1"
				}
				p.w("CASE WHEN ", d, " = 1 AND json_array_length(", a, ") > 0 THEN ", hi, " END")
				return TypeInt
			}
		case "array_to_string":
			if len(args) == 2 {
				p.w("(SELECT group_concat(value, ")
				p.expr(args[1])
				p.w(") FROM json_each(")
				p.expr(args[0])
				p.w("))")
				return TypeText
			}
		case "position", "strpos":
			if len(args) == 2 {
				// position(b, a) as the parser gives POSITION(a IN b).
				p.w("instr(")
				p.expr(args[0])
				p.w(", ")
				p.expr(args[1])
				p.w(")")
				return TypeInt4
			}
		case "substring":
			name = "substr"
			t = TypeText
		case "btrim":
			name = "trim"
			t = TypeText
		case "char_length", "character_length":
			name = "length"
		case "count":
			t = TypeInt
		case "sum":
			// SQLite adds NUMERIC values (stored as REAL) in floating
			// point: 0.1 + 0.2 would show 0.30000000000000004. A sum of a
			// column or a numeric value adds their decimals exactly.
			if len(args) == 1 && !f.AggStar && exactSumArg(args[0]) {
				name = "floe_numeric_sum"
			}
		case "now", "clock_timestamp", "statement_timestamp", "transaction_timestamp", "date_trunc", "to_timestamp", "make_timestamp":
			t = TypeTimestamp
		case "lower", "upper", "concat", "concat_ws", "left", "right", "lpad", "rpad", "repeat", "reverse", "replace",
			"split_part", "initcap", "md5", "ltrim", "rtrim", "trim", "translate", "to_char", "format", "quote_ident", "quote_literal":
			t = TypeText
		case "length", "octet_length":
			t = TypeInt4
		case "starts_with":
			t = TypeBool
		case "extract", "date_part":
			t = TypeNumeric
		case "to_date", "make_date":
			t = TypeDate
		}
	}
	if schema != "" {
		p.ident(schema)
		p.w(".")
	}
	p.w(name, "(")
	switch {
	case f.AggStar:
		p.w("*")
	default:
		if f.AggDistinct {
			p.w("DISTINCT ")
		}
		for i, a := range args {
			if i > 0 {
				p.w(", ")
			}
			at := p.expr(a)
			if i == 0 && (name == "sum" || name == "floe_numeric_sum" || name == "min" || name == "max") {
				t = at
				if name == "sum" && at == TypeBool {
					t = TypeUnknown
				}
			}
			if i == 0 && (name == "abs" || name == "round" || name == "coalesce") && at != TypeUnknown {
				t = at
			}
		}
	}
	if inFrom {
		p.w(")")
		return t
	}
	p.aggTail(f)
	return t
}

// aggTail closes a call: ORDER BY of an aggregate's arguments, FILTER,
// OVER.
func (p *pgPrinter) aggTail(f *pg_query.FuncCall) {
	if len(f.AggOrder) > 0 {
		p.w(" ORDER BY ")
		p.list(f.AggOrder, p.sortBy)
	}
	p.w(")")
	if f.AggFilter != nil {
		p.w(" FILTER (WHERE ")
		p.expr(f.AggFilter)
		p.w(")")
	}
	if f.Over != nil {
		p.w(" OVER ")
		if f.Over.Name != "" && len(f.Over.PartitionClause) == 0 && len(f.Over.OrderClause) == 0 && f.Over.FrameOptions&frameNonDefault == 0 {
			p.ident(f.Over.Name)
		} else {
			p.windowSpec(f.Over)
		}
	}
}

// anyAll prints x op ANY (array) and x op ALL (array); arrays are JSON
// arrays (an ARRAY[…] constructor is a list).
func (p *pgPrinter) anyAll(a *pg_query.A_Expr, op string) Type {
	switch op {
	case "=", "<>", "!=", "<", ">", "<=", ">=":
	default:
		p.fail("ANY and ALL with the operator " + op)
	}
	if op == "!=" {
		op = "<>"
	}
	any := a.Kind == pg_query.A_Expr_Kind_AEXPR_OP_ANY
	if arr := a.Rexpr.GetAArrayExpr(); arr != nil && (any && op == "=" || !any && op == "<>") {
		p.w("(")
		p.expr(a.Lexpr)
		if !any {
			p.w(" NOT")
		}
		p.w(" IN (")
		for i, e := range arr.Elements {
			if i > 0 {
				p.w(", ")
			}
			if k := paramNumber(e); k > 0 {
				p.paramCol(k, columnName(a.Lexpr))
			}
			p.expr(e)
		}
		p.w("))")
		return TypeBool
	}
	source := func() {
		if arr := a.Rexpr.GetAArrayExpr(); arr != nil {
			p.w("json_each(json_array(")
			p.list(arr.Elements, func(n *pg_query.Node) { p.expr(n) })
			p.w("))")
			return
		}
		p.w("json_each(")
		p.arraySource(a.Rexpr)
		p.w(")")
	}
	switch {
	case any && op == "=":
		p.w("(")
		p.expr(a.Lexpr)
		p.w(" IN (SELECT value FROM ")
		source()
		p.w("))")
	case !any && op == "<>":
		p.w("(")
		p.expr(a.Lexpr)
		p.w(" NOT IN (SELECT value FROM ")
		source()
		p.w("))")
	// The comparison sees only the element (json_each's own columns,
	// id among them, would hide the statement's).
	case any:
		p.w("EXISTS (SELECT 1 FROM (SELECT value AS floe_elem FROM ")
		source()
		p.w(") WHERE (")
		p.expr(a.Lexpr)
		p.w(" ", op, " floe_elem))")
	default:
		p.w("(NOT EXISTS (SELECT 1 FROM (SELECT value AS floe_elem FROM ")
		source()
		p.w(") WHERE NOT (")
		p.expr(a.Lexpr)
		p.w(" ", op, " floe_elem)))")
	}
	return TypeBool
}

// arraySource prints an array that json_each reads: a string literal is
// read as PostgreSQL's array text now, a parameter by floe_array, which takes PostgreSQL's array text ('{1,2,3}', as
// drivers send arrays in text form) as well as a JSON array.
func (p *pgPrinter) arraySource(n *pg_query.Node) {
	if c := n.GetAConst(); c != nil && c.GetSval() != nil {
		// An untyped literal: PostgreSQL reads it as an array.
		j, err := PGArrayJSON(c.GetSval().Sval, "text")
		if e, ok := err.(*sqlerr.Error); ok {
			panic(unsupported{e})
		} else if err != nil {
			panic(unsupported{sqlerr.New(sqlerr.InvalidTextRepresentation, "%v", err)})
		}
		p.w("json(", quoteString(j), ")")
		return
	}
	if paramNumber(n) > 0 {
		p.w("floe_array(")
		p.expr(n)
		p.w(", 'text')")
		return
	}
	p.expr(n)
}

// boolWords are the strings PostgreSQL reads as a boolean (lower case).
var boolWords = map[string]bool{
	"t": true, "true": true, "y": true, "yes": true, "on": true,
	"f": false, "false": false, "n": false, "no": false, "off": false,
}

// boolLiteralCompare prints col = 'f' (or <>) where the string is one
// PostgreSQL reads as a boolean. PostgreSQL gives the literal the
// column's type, which the translation does not know: a boolean column
// (stored as 0 or 1) compares with the boolean's number, any other with
// the string — decided per value, by its SQLite type. Reports whether it
// printed.
func (p *pgPrinter) boolLiteralCompare(l *pg_query.Node, op string, r *pg_query.Node) bool {
	col, lit := l, r
	if col.GetColumnRef() == nil {
		col, lit = r, l
	}
	c := lit.GetAConst()
	if col.GetColumnRef() == nil || c == nil || c.GetSval() == nil {
		return false
	}
	v, ok := boolWords[strings.ToLower(strings.TrimSpace(c.GetSval().Sval))]
	if !ok {
		return false
	}
	n := "0"
	if v {
		n = "1"
	}
	x := p.sub(col)
	p.w("(CASE WHEN typeof(", x, ") = 'integer' THEN ", x, " ", op, " ", n, " ELSE ", x, " ", op, " ", quoteString(c.GetSval().Sval), " END)")
	return true
}
