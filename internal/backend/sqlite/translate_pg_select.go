package sqlite

import (
	"strings"

	pg_query "github.com/pganalyze/pg_query_go/v6"
)

// selectNode prints a SELECT (or VALUES) node; wrap puts a set
// operation's arm that SQLite cannot take as it is inside SELECT * FROM (…).
func (p *pgPrinter) selectNode(n *pg_query.Node, wrap bool) ([]Type, []string) {
	s := n.GetSelectStmt()
	if s == nil {
		p.fail("this query form")
	}
	arm := armNone
	if wrap {
		arm = armRight
	}
	return p.selectCols(s, arm)
}

func (p *pgPrinter) selectStmt(s *pg_query.SelectStmt, wrap bool) []Type {
	t, _ := p.selectNode(&pg_query.Node{Node: &pg_query.Node_SelectStmt{SelectStmt: s}}, wrap)
	return t
}

// Where a SELECT stands in a compound: SQLite evaluates compounds left to
// right and lets no arm carry WITH, ORDER BY or LIMIT.
const (
	armNone = iota
	armLeft
	armRight
)

// selectCols prints s and returns its result columns' types and names.
func (p *pgPrinter) selectCols(s *pg_query.SelectStmt, arm int) ([]Type, []string) {
	if s.IntoClause != nil {
		p.fail("SELECT INTO")
	}
	hasTail := s.WithClause != nil || len(s.SortClause) > 0 || s.LimitCount != nil || s.LimitOffset != nil
	if arm == armLeft && hasTail || arm == armRight && (hasTail || s.Op != pg_query.SetOperation_SETOP_NONE) {
		// A compound's arm cannot carry its own WITH, ORDER BY or LIMIT,
		// nor be a compound evaluated first.
		p.w("SELECT * FROM (")
		t, names := p.selectCols(s, armNone)
		p.w(")")
		return t, names
	}
	if s.WithClause != nil {
		p.with(s.WithClause)
	}
	var types []Type
	var names []string
	switch {
	case s.Op != pg_query.SetOperation_SETOP_NONE:
		types, names = p.selectCols(s.Larg, armLeft)
		switch s.Op {
		case pg_query.SetOperation_SETOP_UNION:
			p.w(" UNION ")
		case pg_query.SetOperation_SETOP_INTERSECT:
			p.w(" INTERSECT ")
		case pg_query.SetOperation_SETOP_EXCEPT:
			p.w(" EXCEPT ")
		}
		if s.All {
			if s.Op != pg_query.SetOperation_SETOP_UNION {
				p.fail("INTERSECT ALL and EXCEPT ALL")
			}
			p.w("ALL ")
		}
		rt, _ := p.selectCols(s.Rarg, armRight)
		for i := range types {
			if types[i] == TypeUnknown && i < len(rt) {
				types[i] = rt[i]
			}
		}
	case len(s.ValuesLists) > 0:
		p.w("VALUES ")
		for i, row := range s.ValuesLists {
			if i > 0 {
				p.w(", ")
			}
			items := row.GetList().GetItems()
			p.w("(")
			for j, it := range items {
				if j > 0 {
					p.w(", ")
				}
				t := p.expr(it)
				if i == 0 {
					types = append(types, t)
					names = append(names, "column"+itoa(j+1))
				}
			}
			p.w(")")
		}
	case isDistinctOn(s):
		// Ordered and limited by distinctOn itself.
		return p.distinctOn(s)
	default:
		types, names = p.simpleSelect(s)
	}
	if len(s.SortClause) > 0 {
		p.w(" ORDER BY ")
		p.list(s.SortClause, p.sortBy)
	}
	p.limit(s)
	return types, names
}

func (p *pgPrinter) limit(s *pg_query.SelectStmt) {
	if s.LimitOption == pg_query.LimitOption_LIMIT_OPTION_WITH_TIES {
		p.fail("FETCH … WITH TIES")
	}
	count := s.LimitCount
	if c := count.GetAConst(); c != nil && c.Isnull {
		count = nil // LIMIT ALL
	}
	if count == nil && s.LimitOffset == nil {
		return
	}
	p.w(" LIMIT ")
	if count == nil {
		p.w("-1")
	} else {
		p.expr(count)
	}
	if s.LimitOffset != nil {
		p.w(" OFFSET ")
		p.expr(s.LimitOffset)
	}
}

func (p *pgPrinter) with(w *pg_query.WithClause) {
	p.w("WITH ")
	if w.Recursive {
		p.w("RECURSIVE ")
	}
	for i, c := range w.Ctes {
		cte := c.GetCommonTableExpr()
		if i > 0 {
			p.w(", ")
		}
		if cte.SearchClause != nil || cte.CycleClause != nil {
			p.fail("SEARCH and CYCLE clauses")
		}
		p.ctes[strings.ToLower(cte.Ctename)] = true
		p.ident(cte.Ctename)
		if len(cte.Aliascolnames) > 0 {
			p.w("(")
			for j, c := range strs(cte.Aliascolnames) {
				if j > 0 {
					p.w(", ")
				}
				p.ident(c)
			}
			p.w(")")
		}
		p.w(" AS ")
		switch cte.Ctematerialized {
		case pg_query.CTEMaterialize_CTEMaterializeAlways:
			p.w("MATERIALIZED ")
		case pg_query.CTEMaterialize_CTEMaterializeNever:
			p.w("NOT MATERIALIZED ")
		}
		p.w("(")
		if cte.Ctequery.GetSelectStmt() == nil {
			p.fail("data-modifying statements in WITH")
		}
		p.selectNode(cte.Ctequery, false)
		p.w(")")
	}
	p.w(" ")
}

func (p *pgPrinter) simpleSelect(s *pg_query.SelectStmt) ([]Type, []string) {
	p.w("SELECT ")
	if len(s.DistinctClause) > 0 {
		p.w("DISTINCT ")
	}
	from := s.FromClause
	// A set-returning function in the target list of a SELECT without
	// FROM reads as the same function in FROM.
	targets := s.TargetList
	if len(targets) == 0 {
		p.fail("SELECT without columns")
	}
	if len(from) == 0 {
		targets, from = p.srfTargets(targets)
	}
	defer p.beginExpand(s)()
	var types []Type
	var names []string
	for i, t := range targets {
		if i > 0 {
			p.w(", ")
		}
		rt := t.GetResTarget()
		if rt == nil {
			p.fail("this target list")
		}
		if len(rt.Indirection) > 0 {
			p.fail("target indirection")
		}
		if c := rt.Val.GetColumnRef(); c != nil && isStar(c) {
			p.expr(rt.Val)
			types = append(types, TypeUnknown)
			names = append(names, "*")
			continue
		}
		typ := p.expr(rt.Val)
		name := rt.Name
		if name == "" {
			name = pgColumnName(rt.Val)
			if rt.Val.GetColumnRef() == nil {
				p.w(" AS ")
				p.ident(name)
			}
		} else {
			p.w(" AS ")
			p.ident(name)
		}
		types = append(types, typ)
		names = append(names, name)
	}
	if i := indexOf(names, "*"); i >= 0 {
		// The columns * stands for are SQLite's to tell.
		types = types[:i]
	}
	p.selectTail(s, from)
	return types, names
}

// selectTail prints FROM, WHERE, GROUP BY, HAVING and WINDOW.
func (p *pgPrinter) selectTail(s *pg_query.SelectStmt, from []*pg_query.Node) {
	if len(from) > 0 {
		p.w(" FROM ")
		p.list(from, p.fromItem)
	}
	p.expandFrom(s, len(from) > 0)
	if s.WhereClause != nil {
		p.w(" WHERE ")
		p.expr(s.WhereClause)
	}
	if len(s.GroupClause) > 0 {
		if s.GroupDistinct {
			p.fail("GROUP BY DISTINCT")
		}
		p.w(" GROUP BY ")
		p.list(s.GroupClause, func(n *pg_query.Node) {
			if n.GetGroupingSet() != nil {
				p.fail("GROUPING SETS, ROLLUP and CUBE")
			}
			p.expr(n)
		})
	}
	if s.HavingClause != nil {
		p.w(" HAVING ")
		p.expr(s.HavingClause)
	}
	if len(s.WindowClause) > 0 {
		p.w(" WINDOW ")
		p.list(s.WindowClause, func(n *pg_query.Node) {
			wd := n.GetWindowDef()
			p.ident(wd.Name)
			p.w(" AS ")
			p.windowSpec(wd)
		})
	}
}

func isStar(c *pg_query.ColumnRef) bool {
	return len(c.Fields) > 0 && c.Fields[len(c.Fields)-1].GetAStar() != nil
}

// srfTargets moves a set-returning function of the target list into
// FROM (SELECT generate_series(1, 3) → SELECT … FROM generate_series(1, 3)).
func (p *pgPrinter) srfTargets(targets []*pg_query.Node) ([]*pg_query.Node, []*pg_query.Node) {
	var from []*pg_query.Node
	out := targets
	for _, t := range targets {
		if fc := t.GetResTarget().GetVal().GetFuncCall(); fc != nil {
			if _, name := nameOf(fc.Funcname); name == "generate_subscripts" {
				// unnest runs in step with it (listUnnest).
				return targets, nil
			}
		}
	}
	for i, t := range targets {
		rt := t.GetResTarget()
		fc := rt.GetVal().GetFuncCall()
		if fc == nil || fc.Over != nil {
			continue
		}
		if _, name := nameOf(fc.Funcname); name != "generate_series" && name != "unnest" {
			continue
		}
		if from != nil {
			p.fail("several set-returning functions in a target list")
		}
		p.srf++
		alias := "floe_srf" + itoa(p.srf)
		colname := rt.Name
		if colname == "" {
			_, colname = nameOf(fc.Funcname)
		}
		from = []*pg_query.Node{{Node: &pg_query.Node_RangeFunction{RangeFunction: &pg_query.RangeFunction{
			Functions: []*pg_query.Node{pg_query.MakeListNode([]*pg_query.Node{rt.Val, nil})},
			Alias:     &pg_query.Alias{Aliasname: alias, Colnames: []*pg_query.Node{pg_query.MakeStrNode("v")}},
		}}}}
		out = append([]*pg_query.Node(nil), targets...)
		out[i] = pg_query.MakeResTargetNodeWithNameAndVal(colname, pg_query.MakeColumnRefNode([]*pg_query.Node{pg_query.MakeStrNode(alias), pg_query.MakeStrNode("v")}, -1), -1)
	}
	// A target list with other set-returning functions than these is
	// left to fail in SQLite (they are not set-returning there).
	return out, from
}

// pgColumnName is the name PostgreSQL gives an unnamed result column.
func pgColumnName(n *pg_query.Node) string {
	switch x := n.Node.(type) {
	case *pg_query.Node_ColumnRef:
		if f := strs(x.ColumnRef.Fields); len(f) > 0 {
			return f[len(f)-1]
		}
	case *pg_query.Node_FuncCall:
		_, name := nameOf(x.FuncCall.Funcname)
		return name
	case *pg_query.Node_TypeCast:
		if name := pgColumnName(x.TypeCast.Arg); name != "?column?" {
			return name
		}
		_, name := nameOf(x.TypeCast.TypeName.Names)
		switch name {
		case "int4":
			return "int4"
		case "bool":
			return "bool"
		}
		return name
	case *pg_query.Node_AIndirection:
		return indirectionName(x.AIndirection)
	case *pg_query.Node_CaseExpr:
		return "case"
	case *pg_query.Node_CoalesceExpr:
		return "coalesce"
	case *pg_query.Node_MinMaxExpr:
		if x.MinMaxExpr.Op == pg_query.MinMaxOp_IS_GREATEST {
			return "greatest"
		}
		return "least"
	case *pg_query.Node_AExpr:
		if x.AExpr.Kind == pg_query.A_Expr_Kind_AEXPR_NULLIF {
			return "nullif"
		}
	case *pg_query.Node_SubLink:
		switch x.SubLink.SubLinkType {
		case pg_query.SubLinkType_EXISTS_SUBLINK:
			return "exists"
		case pg_query.SubLinkType_ARRAY_SUBLINK:
			return "array"
		case pg_query.SubLinkType_EXPR_SUBLINK:
			if s := x.SubLink.Subselect.GetSelectStmt(); s != nil && len(s.TargetList) == 1 {
				rt := s.TargetList[0].GetResTarget()
				if rt.Name != "" {
					return rt.Name
				}
				return pgColumnName(rt.Val)
			}
		}
	case *pg_query.Node_AArrayExpr:
		return "array"
	case *pg_query.Node_JsonArrayConstructor:
		return "json_array"
	case *pg_query.Node_JsonObjectConstructor:
		return "json_object"
	case *pg_query.Node_RowExpr:
		return "row"
	case *pg_query.Node_SqlvalueFunction:
		switch x.SqlvalueFunction.Op {
		case pg_query.SQLValueFunctionOp_SVFOP_CURRENT_DATE:
			return "current_date"
		case pg_query.SQLValueFunctionOp_SVFOP_CURRENT_TIME, pg_query.SQLValueFunctionOp_SVFOP_CURRENT_TIME_N:
			return "current_time"
		case pg_query.SQLValueFunctionOp_SVFOP_CURRENT_TIMESTAMP, pg_query.SQLValueFunctionOp_SVFOP_CURRENT_TIMESTAMP_N:
			return "current_timestamp"
		case pg_query.SQLValueFunctionOp_SVFOP_LOCALTIME, pg_query.SQLValueFunctionOp_SVFOP_LOCALTIME_N:
			return "localtime"
		case pg_query.SQLValueFunctionOp_SVFOP_LOCALTIMESTAMP, pg_query.SQLValueFunctionOp_SVFOP_LOCALTIMESTAMP_N:
			return "localtimestamp"
		case pg_query.SQLValueFunctionOp_SVFOP_CURRENT_ROLE:
			return "current_role"
		case pg_query.SQLValueFunctionOp_SVFOP_CURRENT_USER:
			return "current_user"
		case pg_query.SQLValueFunctionOp_SVFOP_USER:
			return "user"
		case pg_query.SQLValueFunctionOp_SVFOP_SESSION_USER:
			return "session_user"
		case pg_query.SQLValueFunctionOp_SVFOP_CURRENT_CATALOG:
			return "current_catalog"
		case pg_query.SQLValueFunctionOp_SVFOP_CURRENT_SCHEMA:
			return "current_schema"
		}
	}
	return "?column?"
}

func (p *pgPrinter) sortBy(n *pg_query.Node) {
	sb := n.GetSortBy()
	if sb == nil {
		p.expr(n)
		return
	}
	if len(sb.UseOp) > 0 {
		p.fail("ORDER BY … USING")
	}
	p.expr(sb.Node)
	desc := sb.SortbyDir == pg_query.SortByDir_SORTBY_DESC
	if desc {
		p.w(" DESC")
	}
	// PostgreSQL sorts NULLs as if larger than any value; SQLite as if
	// smaller: say where they go.
	switch sb.SortbyNulls {
	case pg_query.SortByNulls_SORTBY_NULLS_FIRST:
		p.w(" NULLS FIRST")
	case pg_query.SortByNulls_SORTBY_NULLS_LAST:
		p.w(" NULLS LAST")
	default:
		if desc {
			p.w(" NULLS FIRST")
		} else {
			p.w(" NULLS LAST")
		}
	}
}

func (p *pgPrinter) fromItem(n *pg_query.Node) {
	switch x := n.Node.(type) {
	case *pg_query.Node_RangeVar:
		p.rangeVar(x.RangeVar, true)
	case *pg_query.Node_JoinExpr:
		p.join(x.JoinExpr)
	case *pg_query.Node_RangeSubselect:
		rs := x.RangeSubselect
		if rs.Lateral {
			p.fail("LATERAL subqueries")
		}
		if rs.Alias != nil && len(rs.Alias.Colnames) > 0 {
			// (subquery) AS t(a, b): SQLite has no column aliases there;
			// the columns are renamed by a SELECT around it.
			var inner pgPrinter = pgPrinter{ctes: p.ctes, params: p.params, srf: p.srf}
			_, names := inner.selectNode(rs.Subquery, false)
			p.absorb(&inner)
			cols := strs(rs.Alias.Colnames)
			if len(cols) > len(names) {
				p.fail("more column aliases than columns")
			}
			p.w("(SELECT ")
			for i, name := range names {
				if name == "*" {
					p.fail("column aliases of a subquery with *")
				}
				if i > 0 {
					p.w(", ")
				}
				p.ident(name)
				if i < len(cols) {
					p.w(" AS ")
					p.ident(cols[i])
				}
			}
			p.w(" FROM (", inner.b.String(), ")) AS ")
			p.ident(rs.Alias.Aliasname)
			return
		}
		p.w("(")
		p.selectNode(rs.Subquery, false)
		p.w(")")
		if rs.Alias != nil {
			p.w(" AS ")
			p.ident(rs.Alias.Aliasname)
		}
	case *pg_query.Node_RangeFunction:
		p.rangeFunction(x.RangeFunction)
	case *pg_query.Node_RangeTableSample:
		p.fail("TABLESAMPLE")
	case *pg_query.Node_RangeTableFunc:
		p.fail("XMLTABLE")
	default:
		p.fail("this FROM item")
	}
}

// absorb takes what a printer used apart learned (tables, parameters).
func (p *pgPrinter) absorb(o *pgPrinter) {
	p.tables = append(p.tables, o.tables...)
	p.maxParam = max(p.maxParam, o.maxParam)
	p.srf = o.srf
}

// setFunctions are PostgreSQL's set-returning functions that a FROM
// item cannot run here: as one row of a scalar they would give wrong
// rows, so they are refused.
var setFunctions = map[string]bool{
	"regexp_matches": true, "regexp_split_to_table": true, "string_to_table": true, "_pg_expandarray": true,
	"json_array_elements": true, "jsonb_array_elements": true, "jsonb_each": true, "jsonb_each_text": true,
	"json_each_text": true, "json_object_keys": true, "jsonb_object_keys": true, "json_to_recordset": true,
	"jsonb_to_recordset": true, "json_populate_recordset": true, "jsonb_populate_recordset": true,
	"jsonb_path_query": true, "generate_subscripts": true, "pg_get_keywords": true, "pg_options_to_table": true,
	"pg_partition_tree": true, "pg_ls_dir": true, "pg_listening_channels": true, "pg_event_trigger_ddl_commands": true,
	"pg_tablespace_databases": true, "pg_get_publication_tables": true, "aclexplode": true,
}

func (p *pgPrinter) rangeFunction(rf *pg_query.RangeFunction) {
	if rf.Lateral {
		p.fail("LATERAL functions")
	}
	if rf.IsRowsfrom || len(rf.Functions) != 1 {
		p.fail("ROWS FROM")
	}
	if len(rf.Coldeflist) > 0 {
		p.fail("column definition lists")
	}
	items := rf.Functions[0].GetList().GetItems()
	fc := items[0].GetFuncCall()
	if fc == nil {
		p.fail("this function in FROM")
	}
	schema, name := nameOf(fc.Funcname)
	alias, cols := "", []string(nil)
	if rf.Alias != nil {
		alias, cols = rf.Alias.Aliasname, strs(rf.Alias.Colnames)
	}
	// The function's one column, as SQLite's table-valued function names
	// it, and its row number for WITH ORDINALITY; PostgreSQL names the
	// column after the alias, or the function. SQLite's own table-valued
	// functions run as written; any other function is PostgreSQL's
	// function of one row (a scalar, or a set function of the catalog
	// whose set has one row here: pg_partition_ancestors of a table
	// without partitions).
	col, ord := "", "row_number() OVER ()"
	switch {
	case schema == "" && name == "generate_series":
		col = "generate_series"
	case schema == "" && name == "unnest":
		col, ord = "value", "`key` + 1"
	case schema == "" && (name == "json_array_elements_text" || name == "jsonb_array_elements_text"):
		col, ord = "value", "`key` + 1"
	case schema == "" && (name == "json_each" || name == "json_tree" || strings.HasPrefix(name, "pragma_")):
	case setFunctions[name]:
		p.fail("the set-returning function " + name + " in FROM")
	default:
		col, ord = "-", "1"
	}
	if col == "" {
		if len(cols) > 0 {
			p.fail("column aliases of table functions")
		}
		if rf.Ordinality {
			p.fail("WITH ORDINALITY of this function")
		}
		p.funcCall(fc, true)
		if alias != "" {
			p.w(" AS ")
			p.ident(alias)
		}
		return
	}
	width := 1
	if rf.Ordinality {
		width = 2
	}
	if len(cols) > width {
		p.fail("more column aliases than columns")
	}
	out := name
	switch {
	case len(cols) >= 1:
		out = cols[0]
	case alias != "":
		out = alias
	}
	ordName := "ordinality"
	if len(cols) == 2 {
		ordName = cols[1]
	}
	p.w("(SELECT ")
	switch col {
	case "-":
		p.funcCall(fc, false)
		p.w(" AS ", quoteIdent(out))
	default:
		p.w(quoteIdent(col), " AS ", quoteIdent(out))
	}
	if rf.Ordinality {
		p.w(", ", ord, " AS ", quoteIdent(ordName))
	}
	switch {
	case col == "-":
	case col == "value":
		if len(fc.Args) != 1 {
			p.fail(name + " of several arrays")
		}
		p.w(" FROM json_each(")
		p.arraySource(fc.Args[0])
		p.w(")")
	default:
		p.w(" FROM ")
		p.funcCall(fc, true)
	}
	p.w(")")
	if alias == "" {
		alias = name
	}
	p.w(" AS ")
	p.ident(alias)
}

func (p *pgPrinter) join(j *pg_query.JoinExpr) {
	if j.Alias != nil {
		p.fail("aliases of joins")
	}
	p.fromItem(j.Larg)
	if j.IsNatural {
		p.w(" NATURAL")
	}
	switch j.Jointype {
	case pg_query.JoinType_JOIN_INNER:
		if j.Quals == nil && len(j.UsingClause) == 0 && !j.IsNatural {
			p.w(" CROSS JOIN ")
		} else {
			p.w(" JOIN ")
		}
	case pg_query.JoinType_JOIN_LEFT:
		p.w(" LEFT JOIN ")
	case pg_query.JoinType_JOIN_RIGHT:
		p.w(" RIGHT JOIN ")
	case pg_query.JoinType_JOIN_FULL:
		p.w(" FULL JOIN ")
	default:
		p.fail("this join type")
	}
	if j.Rarg.GetJoinExpr() != nil {
		p.w("(")
		p.fromItem(j.Rarg)
		p.w(")")
	} else {
		p.fromItem(j.Rarg)
	}
	if len(j.UsingClause) > 0 {
		if j.JoinUsingAlias != nil {
			p.fail("aliases of USING")
		}
		p.w(" USING (")
		for i, c := range strs(j.UsingClause) {
			if i > 0 {
				p.w(", ")
			}
			p.ident(c)
		}
		p.w(")")
	}
	if j.Quals != nil {
		p.w(" ON ")
		p.expr(j.Quals)
	}
}

// Window frame options (PostgreSQL's FRAMEOPTION_* bits).
const (
	frameNonDefault         = 0x1
	frameRows               = 0x4
	frameGroups             = 0x8
	frameBetween            = 0x10
	frameStartUnboundedPrec = 0x20
	frameEndUnboundedPrec   = 0x40
	frameStartUnboundedFoll = 0x80
	frameEndUnboundedFoll   = 0x100
	frameStartCurrentRow    = 0x200
	frameEndCurrentRow      = 0x400
	frameStartOffsetPrec    = 0x800
	frameEndOffsetPrec      = 0x1000
	frameStartOffsetFoll    = 0x2000
	frameEndOffsetFoll      = 0x4000
	frameExcludeCurrentRow  = 0x8000
	frameExcludeGroup       = 0x10000
	frameExcludeTies        = 0x20000
)

func (p *pgPrinter) windowSpec(wd *pg_query.WindowDef) {
	p.w("(")
	sep := ""
	if wd.Refname != "" {
		p.ident(wd.Refname)
		sep = " "
	}
	if len(wd.PartitionClause) > 0 {
		p.w(sep, "PARTITION BY ")
		p.list(wd.PartitionClause, func(n *pg_query.Node) { p.expr(n) })
		sep = " "
	}
	if len(wd.OrderClause) > 0 {
		p.w(sep, "ORDER BY ")
		p.list(wd.OrderClause, p.sortBy)
		sep = " "
	}
	if o := wd.FrameOptions; o&frameNonDefault != 0 {
		p.w(sep)
		switch {
		case o&frameRows != 0:
			p.w("ROWS ")
		case o&frameGroups != 0:
			p.w("GROUPS ")
		default:
			p.w("RANGE ")
		}
		bound := func(unbPrec, unbFoll, cur, offPrec, offFoll int32, off *pg_query.Node) {
			switch {
			case o&unbPrec != 0:
				p.w("UNBOUNDED PRECEDING")
			case o&unbFoll != 0:
				p.w("UNBOUNDED FOLLOWING")
			case o&cur != 0:
				p.w("CURRENT ROW")
			case o&offPrec != 0:
				p.expr(off)
				p.w(" PRECEDING")
			case o&offFoll != 0:
				p.expr(off)
				p.w(" FOLLOWING")
			}
		}
		if o&frameBetween != 0 {
			p.w("BETWEEN ")
		}
		bound(frameStartUnboundedPrec, frameStartUnboundedFoll, frameStartCurrentRow, frameStartOffsetPrec, frameStartOffsetFoll, wd.StartOffset)
		if o&frameBetween != 0 {
			p.w(" AND ")
			bound(frameEndUnboundedPrec, frameEndUnboundedFoll, frameEndCurrentRow, frameEndOffsetPrec, frameEndOffsetFoll, wd.EndOffset)
		}
		switch {
		case o&frameExcludeCurrentRow != 0:
			p.w(" EXCLUDE CURRENT ROW")
		case o&frameExcludeGroup != 0:
			p.w(" EXCLUDE GROUP")
		case o&frameExcludeTies != 0:
			p.w(" EXCLUDE TIES")
		}
	}
	p.w(")")
}

func indexOf(list []string, s string) int {
	for i, x := range list {
		if x == s {
			return i
		}
	}
	return -1
}

func isDistinctOn(s *pg_query.SelectStmt) bool {
	return len(s.DistinctClause) > 1 || len(s.DistinctClause) == 1 && s.DistinctClause[0] != nil && s.DistinctClause[0].Node != nil
}

// distinctOn prints SELECT DISTINCT ON (d…) … ORDER BY o… as the first
// row of each group by the order: row_number() over the groups, the
// result columns under names of their own, then the order and the limit
// outside.
func (p *pgPrinter) distinctOn(s *pg_query.SelectStmt) ([]Type, []string) {
	targets := s.TargetList
	if len(s.FromClause) == 0 {
		p.fail("DISTINCT ON without FROM")
	}
	// ORDER BY and DISTINCT ON name result columns by position or alias.
	resolve := func(n *pg_query.Node) *pg_query.Node {
		if c := n.GetAConst(); c != nil && c.GetIval() != nil {
			if k := int(c.GetIval().Ival); k >= 1 && k <= len(targets) {
				return targets[k-1].GetResTarget().Val
			}
		}
		if name := columnName(n); name != "" && len(n.GetColumnRef().Fields) == 1 {
			for _, t := range targets {
				if rt := t.GetResTarget(); rt.Name == name {
					return rt.Val
				}
			}
		}
		return n
	}
	var types []Type
	var names []string
	p.w("SELECT ")
	for i, t := range targets {
		rt := t.GetResTarget()
		if c := rt.Val.GetColumnRef(); c != nil && isStar(c) {
			p.fail("DISTINCT ON with *")
		}
		name := rt.Name
		if name == "" {
			name = pgColumnName(rt.Val)
		}
		if i > 0 {
			p.w(", ")
		}
		p.w("floe_c", itoa(i+1), " AS ")
		p.ident(name)
		names = append(names, name)
	}
	p.w(" FROM (SELECT ")
	for i, t := range targets {
		if i > 0 {
			p.w(", ")
		}
		types = append(types, p.expr(t.GetResTarget().Val))
		p.w(" AS floe_c", itoa(i+1))
	}
	p.w(", row_number() OVER (PARTITION BY ")
	p.list(s.DistinctClause, func(n *pg_query.Node) { p.expr(resolve(n)) })
	sorts := make([]*pg_query.Node, len(s.SortClause))
	for j, n := range s.SortClause {
		sb := n.GetSortBy()
		if sb == nil || len(sb.UseOp) > 0 {
			p.fail("ORDER BY … USING")
		}
		sorts[j] = &pg_query.Node{Node: &pg_query.Node_SortBy{SortBy: &pg_query.SortBy{Node: resolve(sb.Node), SortbyDir: sb.SortbyDir, SortbyNulls: sb.SortbyNulls}}}
	}
	if len(sorts) > 0 {
		p.w(" ORDER BY ")
		p.list(sorts, p.sortBy)
	}
	p.w(") AS floe_rn")
	for j, n := range sorts {
		p.w(", ")
		p.expr(n.GetSortBy().Node)
		p.w(" AS floe_s", itoa(j+1))
	}
	p.selectTail(s, s.FromClause)
	p.w(") WHERE floe_rn = 1")
	if len(sorts) > 0 {
		p.w(" ORDER BY ")
		for j, n := range sorts {
			if j > 0 {
				p.w(", ")
			}
			sb := n.GetSortBy()
			p.sortBy(&pg_query.Node{Node: &pg_query.Node_SortBy{SortBy: &pg_query.SortBy{
				Node: pg_query.MakeColumnRefNode([]*pg_query.Node{pg_query.MakeStrNode("floe_s" + itoa(j+1))}, -1), SortbyDir: sb.SortbyDir, SortbyNulls: sb.SortbyNulls}}})
		}
	}
	p.limit(s)
	return types, names
}
