package advise

import (
	"fmt"
	"slices"
	"strings"

	pg_query "github.com/pganalyze/pg_query_go/v6"
	"github.com/pingcap/tidb/pkg/parser"
	"github.com/pingcap/tidb/pkg/parser/ast"
	"github.com/pingcap/tidb/pkg/parser/opcode"
	"github.com/pingcap/tidb/pkg/parser/test_driver"

	"github.com/floe-db/floe/internal/analysis"
	"github.com/floe-db/floe/internal/sqlparse"
)

// TableRef is a schema-qualified base table.
type TableRef struct {
	Schema string `json:"schema"`
	Name   string `json:"name"`
}

func (t TableRef) String() string { return t.Schema + "." + t.Name }

// TableUse is what one statement does with one table's columns that an
// index could serve: columns compared for equality with a value (or in
// a list), columns bounded by a range, columns joined to another
// table's, and the columns it sorts by (in order; only when the whole
// ORDER BY is on this table).
type TableUse struct {
	Table TableRef `json:"table"`
	Equal []string `json:"equal,omitempty"`
	Range []string `json:"range,omitempty"`
	Join  []string `json:"join,omitempty"`
	Order []string `json:"order,omitempty"`
}

// Kinds of column use.
const (
	useEqual = iota
	useRange
	useJoin
)

// collector gathers TableUses by table.
type collector struct {
	defSchema string
	uses      map[TableRef]*TableUse
	order     []TableRef
}

func newCollector(defSchema string) *collector {
	return &collector{defSchema: defSchema, uses: map[TableRef]*TableUse{}}
}

func (c *collector) use(t TableRef) *TableUse {
	u := c.uses[t]
	if u == nil {
		u = &TableUse{Table: t}
		c.uses[t] = u
		c.order = append(c.order, t)
	}
	return u
}

func (c *collector) add(t TableRef, col string, kind int) {
	u := c.use(t)
	switch kind {
	case useEqual:
		if !slices.Contains(u.Equal, col) {
			u.Equal = append(u.Equal, col)
		}
	case useRange:
		if !slices.Contains(u.Range, col) {
			u.Range = append(u.Range, col)
		}
	case useJoin:
		if !slices.Contains(u.Join, col) {
			u.Join = append(u.Join, col)
		}
	}
}

func (c *collector) result() []TableUse {
	out := make([]TableUse, 0, len(c.order))
	for _, t := range c.order {
		u := c.uses[t]
		if len(u.Equal)+len(u.Range)+len(u.Join)+len(u.Order) > 0 {
			out = append(out, *u)
		}
	}
	return out
}

// scope maps the names a FROM clause gives (aliases, table names) to base
// tables; derived tables and CTEs map to nothing (their columns are not
// a base table's).
type scope struct {
	parent *scope
	names  map[string]*TableRef // nil value: not a base table
	tables []*TableRef
	// rels counts the relations of the FROM clause, base or not.
	rels int
	ctes map[string]bool
}

func newScope(parent *scope) *scope {
	return &scope{parent: parent, names: map[string]*TableRef{}, ctes: map[string]bool{}}
}

func (s *scope) isCTE(name string) bool {
	for x := s; x != nil; x = x.parent {
		if x.ctes[name] {
			return true
		}
	}
	return false
}

// resolve finds the base table of a column reference: by its qualifier,
// or, unqualified, the one relation of the innermost scope that has any.
func (s *scope) resolve(qual string) (TableRef, bool) {
	for x := s; x != nil; x = x.parent {
		if qual != "" {
			if t, ok := x.names[qual]; ok {
				if t == nil {
					return TableRef{}, false
				}
				return *t, true
			}
			continue
		}
		if x.rels == 0 {
			continue
		}
		// Unqualified: only a scope of exactly one relation is sure.
		if x.rels == 1 && len(x.tables) == 1 {
			return *x.tables[0], true
		}
		return TableRef{}, false
	}
	return TableRef{}, false
}

// Extract reads, from one statement text (a shape: literals may be '?'
// or $n placeholders), the columns an index could serve, per base table,
// schema-qualified (defSchema for unqualified names). Only SELECT,
// UPDATE and DELETE give uses; other statements give none.
func Extract(d analysis.Dialect, sql, defSchema string) ([]TableUse, error) {
	if d == analysis.MySQL {
		return extractMySQL(sql, defSchema)
	}
	return extractPostgres(sql, defSchema)
}

// ---- PostgreSQL ----

func extractPostgres(sql, defSchema string) ([]TableUse, error) {
	sql, _ = PostgresPlaceholders(sql)
	if err := sqlparse.CheckPostgres(sql); err != nil {
		return nil, err
	}
	tree, err := pg_query.Parse(sql)
	if err != nil {
		return nil, fmt.Errorf("advise: %w", err)
	}
	c := newCollector(defSchema)
	for _, rs := range tree.Stmts {
		n := rs.Stmt
		switch {
		case n.GetSelectStmt() != nil:
			c.pgSelect(n.GetSelectStmt(), nil)
		case n.GetUpdateStmt() != nil:
			x := n.GetUpdateStmt()
			sc := newScope(nil)
			c.pgWith(x.WithClause, sc)
			c.pgRangeVar(x.Relation, sc)
			c.pgFrom(x.FromClause, sc)
			c.pgExpr(x.WhereClause, sc)
		case n.GetDeleteStmt() != nil:
			x := n.GetDeleteStmt()
			sc := newScope(nil)
			c.pgWith(x.WithClause, sc)
			c.pgRangeVar(x.Relation, sc)
			c.pgFrom(x.UsingClause, sc)
			c.pgExpr(x.WhereClause, sc)
		}
	}
	return c.result(), nil
}

func (c *collector) pgWith(w *pg_query.WithClause, sc *scope) {
	if w == nil {
		return
	}
	for _, n := range w.Ctes {
		cte := n.GetCommonTableExpr()
		if cte == nil {
			continue
		}
		sc.ctes[strings.ToLower(cte.Ctename)] = true
		if s := cte.Ctequery.GetSelectStmt(); s != nil {
			c.pgSelect(s, sc)
		}
	}
}

func (c *collector) pgSelect(s *pg_query.SelectStmt, parent *scope) {
	if s == nil {
		return
	}
	if s.Op != pg_query.SetOperation_SETOP_NONE {
		sc := newScope(parent)
		c.pgWith(s.WithClause, sc)
		c.pgSelect(s.Larg, sc)
		c.pgSelect(s.Rarg, sc)
		return
	}
	sc := newScope(parent)
	c.pgWith(s.WithClause, sc)
	c.pgFrom(s.FromClause, sc)
	c.pgExpr(s.WhereClause, sc)
	c.pgExpr(s.HavingClause, sc)
	// ORDER BY: kept when every key is a plain column of one base table.
	var order []string
	var table *TableRef
	for _, n := range s.SortClause {
		sb := n.GetSortBy()
		if sb == nil {
			order = nil
			break
		}
		t, col, ok := c.pgColumn(sb.Node, sc)
		if !ok || (table != nil && *table != t) {
			order = nil
			break
		}
		table = &t
		order = append(order, col)
	}
	if table != nil && len(order) > 0 {
		c.use(*table).Order = order
	}
}

func (c *collector) pgRangeVar(rv *pg_query.RangeVar, sc *scope) {
	if rv == nil {
		return
	}
	name := strings.ToLower(rv.Relname)
	alias := name
	if rv.Alias != nil && rv.Alias.Aliasname != "" {
		alias = strings.ToLower(rv.Alias.Aliasname)
	}
	sc.rels++
	if rv.Schemaname == "" && sc.isCTE(name) {
		sc.names[alias] = nil
		return
	}
	schema := strings.ToLower(rv.Schemaname)
	if schema == "" {
		schema = c.defSchema
	}
	t := &TableRef{Schema: schema, Name: name}
	sc.names[alias] = t
	if alias != name {
		// Once aliased, PostgreSQL knows the table by its alias only.
		delete(sc.names, name)
	}
	sc.tables = append(sc.tables, t)
}

func (c *collector) pgFrom(from []*pg_query.Node, sc *scope) {
	for _, n := range from {
		c.pgFromItem(n, sc)
	}
}

func (c *collector) pgFromItem(n *pg_query.Node, sc *scope) {
	switch {
	case n.GetRangeVar() != nil:
		c.pgRangeVar(n.GetRangeVar(), sc)
	case n.GetJoinExpr() != nil:
		j := n.GetJoinExpr()
		c.pgFromItem(j.Larg, sc)
		c.pgFromItem(j.Rarg, sc)
		c.pgExpr(j.Quals, sc)
	case n.GetRangeSubselect() != nil:
		rs := n.GetRangeSubselect()
		c.pgSelect(rs.Subquery.GetSelectStmt(), sc)
		sc.rels++
		if rs.Alias != nil {
			sc.names[strings.ToLower(rs.Alias.Aliasname)] = nil
		}
	}
}

// pgColumn resolves a column reference (through casts) to its table.
func (c *collector) pgColumn(n *pg_query.Node, sc *scope) (TableRef, string, bool) {
	for n != nil && n.GetTypeCast() != nil {
		n = n.GetTypeCast().Arg
	}
	cr := n.GetColumnRef()
	if cr == nil {
		return TableRef{}, "", false
	}
	var parts []string
	for _, f := range cr.Fields {
		s := f.GetString_()
		if s == nil {
			return TableRef{}, "", false // a star
		}
		parts = append(parts, strings.ToLower(s.Sval))
	}
	var qual string
	switch len(parts) {
	case 1:
	case 2:
		qual = parts[0]
	case 3:
		// schema.table.column: the table is known by its name.
		qual = parts[1]
	default:
		return TableRef{}, "", false
	}
	t, ok := sc.resolve(qual)
	return t, parts[len(parts)-1], ok
}

// pgValue reports whether n is a value fixed for the statement's run: a
// constant, a parameter, or an expression of those (no column of the
// statement's own relations).
func pgValue(n *pg_query.Node) bool {
	if n == nil {
		return false
	}
	switch {
	case n.GetAConst() != nil, n.GetParamRef() != nil:
		return true
	case n.GetTypeCast() != nil:
		return pgValue(n.GetTypeCast().Arg)
	case n.GetFuncCall() != nil:
		for _, a := range n.GetFuncCall().Args {
			if !pgValue(a) {
				return false
			}
		}
		return true
	case n.GetAArrayExpr() != nil:
		for _, a := range n.GetAArrayExpr().Elements {
			if !pgValue(a) {
				return false
			}
		}
		return true
	case n.GetList() != nil:
		for _, a := range n.GetList().Items {
			if !pgValue(a) {
				return false
			}
		}
		return true
	}
	return false
}

func opName(names []*pg_query.Node) string {
	if len(names) == 0 {
		return ""
	}
	if s := names[len(names)-1].GetString_(); s != nil {
		return s.Sval
	}
	return ""
}

// pgExpr reads a WHERE, ON or HAVING expression: conjuncts of
// comparisons; OR-ed terms and subqueries are read for the tables they
// name (their own scopes), not as conditions of this one.
func (c *collector) pgExpr(n *pg_query.Node, sc *scope) {
	if n == nil {
		return
	}
	switch {
	case n.GetBoolExpr() != nil:
		b := n.GetBoolExpr()
		if b.Boolop == pg_query.BoolExprType_AND_EXPR {
			for _, a := range b.Args {
				c.pgExpr(a, sc)
			}
			return
		}
		for _, a := range b.Args {
			c.pgSubqueries(a, sc)
		}
	case n.GetAExpr() != nil:
		c.pgCompare(n.GetAExpr(), sc)
	case n.GetSubLink() != nil:
		sl := n.GetSubLink()
		// col IN (SELECT …) / col = ANY (SELECT …): the column is
		// compared for equality with the subquery's values.
		if sl.SubLinkType == pg_query.SubLinkType_ANY_SUBLINK {
			if t, col, ok := c.pgColumn(sl.Testexpr, sc); ok {
				c.add(t, col, useEqual)
			}
		}
		c.pgSelect(sl.Subselect.GetSelectStmt(), sc)
	default:
		c.pgSubqueries(n, sc)
	}
}

// pgSubqueries reads the subqueries anywhere under n.
func (c *collector) pgSubqueries(n *pg_query.Node, sc *scope) {
	if n == nil {
		return
	}
	var visit func(*pg_query.Node)
	visit = func(x *pg_query.Node) {
		if x == nil {
			return
		}
		switch {
		case x.GetSubLink() != nil:
			c.pgSelect(x.GetSubLink().Subselect.GetSelectStmt(), sc)
		case x.GetBoolExpr() != nil:
			for _, a := range x.GetBoolExpr().Args {
				visit(a)
			}
		case x.GetAExpr() != nil:
			visit(x.GetAExpr().Lexpr)
			visit(x.GetAExpr().Rexpr)
		}
	}
	visit(n)
}

func (c *collector) pgCompare(e *pg_query.A_Expr, sc *scope) {
	op := opName(e.Name)
	kind := -1
	switch e.Kind {
	case pg_query.A_Expr_Kind_AEXPR_OP:
		switch op {
		case "=":
			kind = useEqual
		case "<", ">", "<=", ">=":
			kind = useRange
		}
	case pg_query.A_Expr_Kind_AEXPR_IN:
		if op == "=" {
			kind = useEqual
		}
	case pg_query.A_Expr_Kind_AEXPR_OP_ANY:
		if op == "=" {
			kind = useEqual
		}
	case pg_query.A_Expr_Kind_AEXPR_BETWEEN, pg_query.A_Expr_Kind_AEXPR_BETWEEN_SYM:
		kind = useRange
	}
	c.pgSubqueries(e.Lexpr, sc)
	c.pgSubqueries(e.Rexpr, sc)
	if kind < 0 {
		return
	}
	lt, lcol, lok := c.pgColumn(e.Lexpr, sc)
	rt, rcol, rok := c.pgColumn(e.Rexpr, sc)
	switch {
	case lok && rok && lt != rt:
		if kind == useEqual {
			c.add(lt, lcol, useJoin)
			c.add(rt, rcol, useJoin)
		}
	case lok && (pgValue(e.Rexpr) || e.Rexpr.GetSubLink() != nil):
		c.add(lt, lcol, kind)
	case rok && pgValue(e.Lexpr) && e.Kind == pg_query.A_Expr_Kind_AEXPR_OP:
		c.add(rt, rcol, kind)
	}
}

// ---- MySQL ----

func extractMySQL(sql, defSchema string) (_ []TableUse, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("advise: the parser failed on this text (%v)", r)
		}
	}()
	if err := sqlparse.CheckMySQL(sql); err != nil {
		return nil, err
	}
	nodes, _, err := parser.New().Parse(sql, "", "")
	if err != nil {
		return nil, fmt.Errorf("advise: %w", err)
	}
	c := newCollector(strings.ToLower(defSchema))
	for _, n := range nodes {
		switch x := n.(type) {
		case *ast.SelectStmt:
			c.mySelect(x, nil)
		case *ast.SetOprStmt:
			c.mySetOpr(x, nil)
		case *ast.UpdateStmt:
			sc := newScope(nil)
			c.myWith(x.With, sc)
			if x.TableRefs != nil {
				c.myFrom(x.TableRefs.TableRefs, sc)
			}
			c.myExpr(x.Where, sc)
		case *ast.DeleteStmt:
			sc := newScope(nil)
			c.myWith(x.With, sc)
			if x.TableRefs != nil {
				c.myFrom(x.TableRefs.TableRefs, sc)
			}
			c.myExpr(x.Where, sc)
		}
	}
	return c.result(), nil
}

func (c *collector) myWith(w *ast.WithClause, sc *scope) {
	if w == nil {
		return
	}
	for _, cte := range w.CTEs {
		sc.ctes[cte.Name.L] = true
		if cte.Query != nil {
			c.myResult(cte.Query.Query, sc)
		}
	}
}

func (c *collector) myResult(n ast.ResultSetNode, sc *scope) {
	switch x := n.(type) {
	case *ast.SelectStmt:
		c.mySelect(x, sc)
	case *ast.SetOprStmt:
		c.mySetOpr(x, sc)
	case *ast.SubqueryExpr:
		c.myResult(x.Query, sc)
	}
}

func (c *collector) mySetOpr(s *ast.SetOprStmt, parent *scope) {
	sc := newScope(parent)
	c.myWith(s.With, sc)
	if s.SelectList == nil {
		return
	}
	for _, sel := range s.SelectList.Selects {
		switch x := sel.(type) {
		case *ast.SelectStmt:
			c.mySelect(x, sc)
		case *ast.SetOprSelectList:
			for _, y := range x.Selects {
				if s2, ok := y.(*ast.SelectStmt); ok {
					c.mySelect(s2, sc)
				}
			}
		}
	}
}

func (c *collector) mySelect(s *ast.SelectStmt, parent *scope) {
	sc := newScope(parent)
	c.myWith(s.With, sc)
	if s.From != nil {
		c.myFrom(s.From.TableRefs, sc)
	}
	c.myExpr(s.Where, sc)
	if s.Having != nil {
		c.myExpr(s.Having.Expr, sc)
	}
	if s.OrderBy == nil {
		return
	}
	var order []string
	var table *TableRef
	for _, it := range s.OrderBy.Items {
		t, col, ok := c.myColumn(it.Expr, sc)
		if !ok || (table != nil && *table != t) {
			return
		}
		table = &t
		order = append(order, col)
	}
	if table != nil {
		c.use(*table).Order = order
	}
}

func (c *collector) myFrom(n ast.ResultSetNode, sc *scope) {
	switch x := n.(type) {
	case *ast.Join:
		if x.Left != nil {
			c.myFrom(x.Left, sc)
		}
		if x.Right != nil {
			c.myFrom(x.Right, sc)
		}
		if x.On != nil {
			c.myExpr(x.On.Expr, sc)
		}
	case *ast.TableSource:
		switch src := x.Source.(type) {
		case *ast.TableName:
			name := src.Name.L
			alias := name
			if x.AsName.L != "" {
				alias = x.AsName.L
			}
			sc.rels++
			if src.Schema.L == "" && sc.isCTE(name) {
				sc.names[alias] = nil
				return
			}
			schema := src.Schema.L
			if schema == "" {
				schema = c.defSchema
			}
			t := &TableRef{Schema: schema, Name: name}
			sc.names[alias] = t
			sc.tables = append(sc.tables, t)
		default:
			c.myResult(src, sc)
			sc.rels++
			if x.AsName.L != "" {
				sc.names[x.AsName.L] = nil
			}
		}
	}
}

func (c *collector) myColumn(e ast.ExprNode, sc *scope) (TableRef, string, bool) {
	for {
		if p, ok := e.(*ast.ParenthesesExpr); ok {
			e = p.Expr
			continue
		}
		break
	}
	cn, ok := e.(*ast.ColumnNameExpr)
	if !ok || cn.Name == nil {
		return TableRef{}, "", false
	}
	t, ok := sc.resolve(cn.Name.Table.L)
	return t, cn.Name.Name.L, ok
}

// myValue reports whether e is fixed for the statement's run.
func myValue(e ast.ExprNode) bool {
	switch x := e.(type) {
	case *test_driver.ValueExpr, *test_driver.ParamMarkerExpr:
		return true
	case *ast.ParenthesesExpr:
		return myValue(x.Expr)
	case *ast.FuncCastExpr:
		return myValue(x.Expr)
	case *ast.UnaryOperationExpr:
		return myValue(x.V)
	case *ast.FuncCallExpr:
		for _, a := range x.Args {
			if !myValue(a) {
				return false
			}
		}
		return true
	}
	return false
}

func (c *collector) myExpr(e ast.ExprNode, sc *scope) {
	switch x := e.(type) {
	case nil:
		return
	case *ast.ParenthesesExpr:
		c.myExpr(x.Expr, sc)
	case *ast.BinaryOperationExpr:
		kind := -1
		switch x.Op {
		case opcode.LogicAnd:
			c.myExpr(x.L, sc)
			c.myExpr(x.R, sc)
			return
		case opcode.EQ, opcode.NullEQ:
			kind = useEqual
		case opcode.LT, opcode.GT, opcode.LE, opcode.GE:
			kind = useRange
		}
		c.mySubqueries(x.L, sc)
		c.mySubqueries(x.R, sc)
		if kind < 0 {
			return
		}
		lt, lcol, lok := c.myColumn(x.L, sc)
		rt, rcol, rok := c.myColumn(x.R, sc)
		switch {
		case lok && rok && lt != rt:
			if kind == useEqual {
				c.add(lt, lcol, useJoin)
				c.add(rt, rcol, useJoin)
			}
		case lok && myValue(x.R):
			c.add(lt, lcol, kind)
		case rok && myValue(x.L):
			c.add(rt, rcol, kind)
		}
	case *ast.PatternInExpr:
		if !x.Not {
			if t, col, ok := c.myColumn(x.Expr, sc); ok {
				all := x.Sel != nil
				for _, v := range x.List {
					all = myValue(v)
					if !all {
						break
					}
				}
				if all {
					c.add(t, col, useEqual)
				}
			}
		}
		if x.Sel != nil {
			c.mySubqueries(x.Sel, sc)
		}
	case *ast.BetweenExpr:
		if !x.Not && myValue(x.Left) && myValue(x.Right) {
			if t, col, ok := c.myColumn(x.Expr, sc); ok {
				c.add(t, col, useRange)
			}
		}
	default:
		c.mySubqueries(e, sc)
	}
}

// mySubqueries reads the subqueries anywhere under e.
func (c *collector) mySubqueries(e ast.Node, sc *scope) {
	if e == nil {
		return
	}
	v := &mySubVisitor{c: c, sc: sc}
	e.Accept(v)
}

type mySubVisitor struct {
	c  *collector
	sc *scope
}

func (v *mySubVisitor) Enter(n ast.Node) (ast.Node, bool) {
	if s, ok := n.(*ast.SubqueryExpr); ok {
		v.c.myResult(s.Query, v.sc)
		return n, true
	}
	return n, false
}

func (v *mySubVisitor) Leave(n ast.Node) (ast.Node, bool) { return n, true }
