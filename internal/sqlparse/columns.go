package sqlparse

import (
	"math"
	"slices"
	"strings"

	pg_query "github.com/pganalyze/pg_query_go/v6"
	"github.com/pingcap/tidb/pkg/parser/ast"
	"github.com/pingcap/tidb/pkg/parser/opcode"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// Use says what a statement does with a column's values.
type Use uint8

// Column uses, from the most to the least contained.
const (
	// UseFilter: the values decide which rows or in what order (WHERE,
	// JOIN, GROUP BY, ORDER BY…), or are read and not returned.
	UseFilter Use = iota
	// UseOutput: returned as they are, as a column of the result.
	UseOutput
	// UseNested: returned as they are through a subquery or CTE in FROM.
	UseNested
	// UseDerived: they go into a computed value, a set operation, another
	// table, a variable or a view: the result does not show which column
	// they came from.
	UseDerived
	// UseRead: selected as they are by a subquery or CTE in FROM and
	// handed to the query around it, whose own use of them is listed too.
	UseRead
)

var useNames = [...]string{"filter", "output", "nested", "derived", "read"}

func (u Use) String() string { return useNames[u] }

// ColumnUse is a column of a base table that a statement names. An
// unqualified name in a statement over several tables is listed under
// each of them (the parser cannot know which one has it); a star (or a
// whole-row reference) is listed as Column "*". A column used in several
// ways is listed once per use.
type ColumnUse struct {
	Schema, Table string // as written; "" schema: the default
	Column        string // lower case, or "*"
	Use           Use
}

// source is a relation a FROM clause names: a base table, or a subquery
// or CTE whose output columns come from base columns.
type source struct {
	table *Table
	// For a subquery: its output columns in order, each with the base
	// columns it passes on as they are (none for computed ones).
	outputs []output
	// stars are the base tables (column "*") whose every column the
	// subquery passes on; opaque: the output names are not known, any
	// name may be any of the origins.
	stars  []ColumnUse
	opaque bool
}

type output struct {
	name    string
	origins []ColumnUse
}

// lookup returns the base columns behind output column name.
func (s *source) lookup(name string) []ColumnUse {
	if s.table != nil {
		return []ColumnUse{{Schema: s.table.Schema, Table: s.table.Name, Column: strings.ToLower(name)}}
	}
	if s.opaque {
		return s.all()
	}
	var out []ColumnUse
	for _, o := range s.outputs {
		if o.name == name {
			out = append(out, o.origins...)
		}
	}
	for _, st := range s.stars {
		out = append(out, ColumnUse{Schema: st.Schema, Table: st.Table, Column: strings.ToLower(name)})
	}
	return out
}

// all returns every base column behind the relation (a star over it).
func (s *source) all() []ColumnUse {
	if s.table != nil {
		return []ColumnUse{{Schema: s.table.Schema, Table: s.table.Name, Column: "*"}}
	}
	out := slices.Clone(s.stars)
	for _, o := range s.outputs {
		out = append(out, o.origins...)
	}
	return out
}

// rename gives the outputs the column aliases of "AS d(a, b)" or a CTE's
// column list; with a star among them positions are unknown.
func (s *source) rename(names []string) {
	if len(names) == 0 || s.table != nil {
		return
	}
	if len(s.stars) > 0 {
		s.opaque = true
		return
	}
	for i := range s.outputs {
		if i < len(names) {
			s.outputs[i].name = strings.ToLower(names[i])
		}
	}
}

// scope is the relations one SELECT, UPDATE or DELETE reads, by the name
// (alias or table name) its expressions use, and the CTEs it may name.
type scope struct {
	byName map[string]*source
	order  []*source
	ctes   map[string]*source
	// outputs are the select list's column names with the base columns
	// each passes on as it is (ORDER BY, and in MySQL GROUP BY and HAVING,
	// may name them).
	outputs map[string][]ColumnUse
	// alsoInputs: a name that is an output column may also be an input
	// column (GROUP BY, HAVING): both are taken.
	alsoInputs bool
	parent     *scope
}

func newScope(parent *scope) *scope {
	return &scope{byName: map[string]*source{}, parent: parent}
}

func (sc *scope) add(name string, s *source) {
	sc.byName[strings.ToLower(name)] = s
	sc.order = append(sc.order, s)
}

func (sc *scope) lookup(q string) (*source, bool) {
	for s := sc; s != nil; s = s.parent {
		if t, ok := s.byName[strings.ToLower(q)]; ok {
			return t, true
		}
	}
	return nil, false
}

func (sc *scope) cte(name string) *source {
	for s := sc; s != nil; s = s.parent {
		if c, ok := s.ctes[strings.ToLower(name)]; ok {
			return c
		}
	}
	return nil
}

// nearest returns the innermost scope that has relations.
func (sc *scope) nearest() *scope {
	for s := sc; s != nil; s = s.parent {
		if len(s.order) > 0 {
			return s
		}
	}
	return nil
}

// columns tracks the column uses of one statement.
type columns struct{ st *Statement }

func (w columns) add(us []ColumnUse, use Use) {
	for _, u := range us {
		u.Use = use
		w.st.Columns = append(w.st.Columns, u)
	}
}

// resolved is what a reference names in one relation.
type resolved struct {
	src     *source
	origins []ColumnUse
}

// resolve returns the base columns a reference names, per relation.
func (w columns) resolve(sc *scope, qual []string, col string) []resolved {
	col = strings.ToLower(col)
	get := func(s *source) []ColumnUse {
		if col == "*" {
			return s.all()
		}
		return s.lookup(col)
	}
	if len(qual) > 0 {
		s, ok := sc.lookup(qual[len(qual)-1])
		if !ok {
			return nil
		}
		return []resolved{{s, get(s)}}
	}
	n := sc.nearest()
	if n == nil {
		return nil
	}
	var out []resolved
	if o, ok := n.outputs[col]; ok && col != "*" {
		// An output column named in ORDER BY: its values are those of
		// the base columns it passes on (none for a computed one).
		out = append(out, resolved{&source{}, o})
		if !n.alsoInputs {
			return out
		}
	}
	for _, s := range n.order {
		out = append(out, resolved{s, get(s)})
	}
	return out
}

// wholeRow returns the relation a lone name refers to as a row value
// (SELECT c FROM customers c), if it does.
func (w columns) wholeRow(sc *scope, qual []string, col string) *source {
	if len(qual) > 0 || col == "*" {
		return nil
	}
	if n := sc.nearest(); n != nil {
		return n.byName[strings.ToLower(col)]
	}
	return nil
}

// ref records a column reference met in an expression.
func (w columns) ref(sc *scope, qual []string, col string, use Use) {
	if s := w.wholeRow(sc, qual, col); s != nil {
		w.add(s.all(), exprUse(use))
	}
	for _, r := range w.resolve(sc, qual, col) {
		w.add(r.origins, use)
	}
}

// target records a bare column (or star) in a select list whose values
// the statement uses as use says, and returns its origins.
func (w columns) target(sc *scope, qual []string, col string, use Use) []ColumnUse {
	if s := w.wholeRow(sc, qual, col); s != nil {
		// A row value: the result shows no column origins.
		w.add(s.all(), exprUse(use))
	}
	var origins []ColumnUse
	for _, r := range w.resolve(sc, qual, col) {
		origins = append(origins, r.origins...)
		switch {
		case use == UseOutput && r.src.table == nil:
			w.add(r.origins, UseNested)
		case use == UseNested:
			w.add(r.origins, UseRead) // the outer query says how it is used
		default:
			w.add(r.origins, use)
		}
	}
	return origins
}

// exprUse is how values reaching an expression of a select list of use
// are used.
func exprUse(use Use) Use {
	if use == UseFilter {
		return UseFilter
	}
	return UseDerived
}

// subUse is the use to walk a subquery in FROM with.
func subUse(use Use) Use {
	if use == UseFilter {
		return UseFilter
	}
	return UseNested
}

func (st *Statement) compactColumns() {
	slices.SortFunc(st.Columns, func(a, b ColumnUse) int {
		if c := strings.Compare(a.Schema+"\x00"+a.Table+"\x00"+a.Column, b.Schema+"\x00"+b.Table+"\x00"+b.Column); c != 0 {
			return c
		}
		return int(a.Use) - int(b.Use)
	})
	st.Columns = slices.Compact(st.Columns)
}

// pgColumns records the columns named under top.
func pgColumns(st *Statement, top protoreflect.Message) {
	w := columns{st: st}
	use := UseDerived
	switch top.Interface().(type) {
	case *pg_query.SelectStmt:
		use = UseOutput
	case *pg_query.ExplainStmt:
		use = UseFilter // a plan shows no values
	}
	w.pgNode(top, nil, use)
	pgExposures(st, top)
}

// pgNode walks m, whose values are used as use says.
func (w columns) pgNode(m protoreflect.Message, sc *scope, use Use) {
	if !m.IsValid() {
		return
	}
	switch x := m.Interface().(type) {
	case *pg_query.SelectStmt:
		w.pgSelect(x, sc, use)
		return
	case *pg_query.UpdateStmt:
		sc = w.pgWith(x.WithClause, sc)
		sc = w.pgFrom(sc, x.FromClause, x.Relation, UseDerived)
		w.pgList(x.TargetList, sc, UseDerived)
		w.pgNode(protoMsg(x.WhereClause), sc, UseFilter)
		w.pgList(x.ReturningList, sc, UseDerived)
		return
	case *pg_query.DeleteStmt:
		sc = w.pgWith(x.WithClause, sc)
		sc = w.pgFrom(sc, x.UsingClause, x.Relation, UseDerived)
		w.pgNode(protoMsg(x.WhereClause), sc, UseFilter)
		w.pgList(x.ReturningList, sc, UseDerived)
		return
	case *pg_query.InsertStmt:
		sc = w.pgWith(x.WithClause, sc)
		w.pgNode(protoMsg(x.SelectStmt), sc, UseDerived)
		isc := w.pgFrom(sc, nil, x.Relation, UseDerived)
		if oc := x.OnConflictClause; oc != nil {
			w.pgList(oc.TargetList, isc, UseDerived)
			w.pgNode(protoMsg(oc.WhereClause), isc, UseFilter)
		}
		w.pgList(x.ReturningList, isc, UseDerived)
		return
	case *pg_query.ColumnRef:
		qual, col := pgRefName(x)
		if col != "" {
			w.ref(sc, qual, col, use)
		}
		return
	}
	eachChild(m, func(c protoreflect.Message) { w.pgNode(c, sc, use) })
}

func protoMsg(n *pg_query.Node) protoreflect.Message {
	if n == nil {
		return (*pg_query.Node)(nil).ProtoReflect()
	}
	return n.ProtoReflect()
}

func (w columns) pgList(ns []*pg_query.Node, sc *scope, use Use) {
	for _, n := range ns {
		w.pgNode(n.ProtoReflect(), sc, use)
	}
}

// pgRefName splits a column reference into qualifiers and column ("*"
// for a star).
func pgRefName(x *pg_query.ColumnRef) (qual []string, col string) {
	var names []string
	for _, f := range x.Fields {
		switch {
		case f.GetString_() != nil:
			names = append(names, f.GetString_().Sval)
		case f.GetAStar() != nil:
			return names, "*"
		}
	}
	if len(names) == 0 {
		return nil, ""
	}
	return names[:len(names)-1], names[len(names)-1]
}

// pgWith returns a scope that knows the CTEs of wc.
func (w columns) pgWith(wc *pg_query.WithClause, sc *scope) *scope {
	if wc == nil || len(wc.Ctes) == 0 {
		return sc
	}
	ns := newScope(sc)
	ns.ctes = map[string]*source{}
	for _, c := range wc.Ctes {
		cte := c.GetCommonTableExpr()
		if cte == nil {
			continue
		}
		src := &source{}
		if sel := cte.Ctequery.GetSelectStmt(); sel != nil && !wc.Recursive {
			src = w.pgSelect(sel, ns, UseNested)
		} else {
			// A recursive or data-modifying CTE: what it returns is computed.
			w.pgNode(protoMsg(cte.Ctequery), ns, UseDerived)
		}
		src.rename(pgNames(cte.Aliascolnames))
		ns.ctes[strings.ToLower(cte.Ctename)] = src
	}
	return ns
}

func pgNames(ns []*pg_query.Node) []string {
	out := make([]string, 0, len(ns))
	for _, n := range ns {
		out = append(out, n.GetString_().GetSval())
	}
	return out
}

// pgFrom builds the scope of a FROM list (and the target relation of an
// UPDATE or DELETE); join conditions are filters, function arguments and
// subqueries used as use says.
func (w columns) pgFrom(parent *scope, from []*pg_query.Node, rel *pg_query.RangeVar, use Use) *scope {
	sc := newScope(parent)
	var add func(n *pg_query.Node)
	add = func(n *pg_query.Node) {
		switch {
		case n == nil:
		case n.GetRangeVar() != nil:
			rv := n.GetRangeVar()
			name := rv.Relname
			if rv.Alias != nil && rv.Alias.Aliasname != "" {
				name = rv.Alias.Aliasname
			}
			if c := parent.cte(rv.Relname); c != nil && rv.Schemaname == "" {
				sc.add(name, c)
				return
			}
			sc.add(name, &source{table: &Table{Schema: rv.Schemaname, Name: rv.Relname}})
		case n.GetRangeTableSample() != nil:
			// TABLESAMPLE reads its relation as it is.
			ts := n.GetRangeTableSample()
			add(ts.Relation)
			w.pgList(ts.Args, sc, UseFilter)
			w.pgNode(protoMsg(ts.Repeatable), sc, UseFilter)
		case n.GetJoinExpr() != nil:
			j := n.GetJoinExpr()
			first := len(sc.order)
			add(j.Larg)
			add(j.Rarg)
			w.joinColumns(sc.order[first:], pgNames(j.UsingClause), j.IsNatural)
			defer w.pgNode(protoMsg(j.Quals), sc, UseFilter)
		case n.GetRangeSubselect() != nil:
			rs := n.GetRangeSubselect()
			lat := parent
			if rs.Lateral {
				lat = sc
			}
			src := &source{}
			if sel := rs.Subquery.GetSelectStmt(); sel != nil {
				src = w.pgSelect(sel, lat, subUse(use))
			} else {
				w.pgNode(protoMsg(rs.Subquery), lat, exprUse(use))
			}
			if rs.Alias != nil {
				src.rename(pgNames(rs.Alias.Colnames))
				sc.add(rs.Alias.Aliasname, src)
			}
		default:
			// Functions in FROM and the like: their arguments are computed on.
			w.pgNode(n.ProtoReflect(), sc, exprUse(use))
		}
	}
	for _, n := range from {
		add(n)
	}
	if rel != nil {
		add(&pg_query.Node{Node: &pg_query.Node_RangeVar{RangeVar: rel}})
	}
	return sc
}

// joinColumns records the columns a join compares without naming them
// in an expression: USING (a, b) on both sides, and for a NATURAL join
// every column of both sides.
func (w columns) joinColumns(srcs []*source, using []string, natural bool) {
	for _, s := range srcs {
		if natural {
			w.add(s.all(), UseFilter)
		}
		for _, c := range using {
			w.add(s.lookup(strings.ToLower(c)), UseFilter)
		}
	}
}

// pgSelect walks a SELECT whose select list is used as use says and
// returns it as a relation (for FROM and CTEs).
func (w columns) pgSelect(x *pg_query.SelectStmt, sc *scope, use Use) *source {
	if x == nil {
		return &source{}
	}
	sc = w.pgWith(x.WithClause, sc)
	if x.Op != pg_query.SetOperation_SETOP_NONE {
		w.pgSelect(x.Larg, sc, exprUse(use))
		w.pgSelect(x.Rarg, sc, exprUse(use))
		w.pgList(x.SortClause, sc, UseFilter)
		return &source{}
	}
	if x.IntoClause != nil {
		use = exprUse(use)
	}
	for _, vl := range x.ValuesLists {
		w.pgNode(vl.ProtoReflect(), sc, exprUse(use))
	}
	sc = w.pgFrom(sc, x.FromClause, nil, use)
	src := &source{}
	var pos positions
	for _, t := range x.TargetList {
		rt := t.GetResTarget()
		if rt == nil {
			continue
		}
		cr := rt.Val.GetColumnRef()
		if cr == nil {
			w.pgNode(protoMsg(rt.Val), sc, exprUse(use))
			src.outputs = append(src.outputs, output{name: strings.ToLower(rt.Name)})
			pos.add(nil, false)
			continue
		}
		qual, col := pgRefName(cr)
		if col == "" {
			continue
		}
		origins := w.target(sc, qual, col, use)
		src.addTarget(col, rt.Name, origins)
		pos.add(origins, col == "*")
	}
	for _, n := range []*pg_query.Node{x.WhereClause, x.LimitCount, x.LimitOffset} {
		w.pgNode(protoMsg(n), sc, UseFilter)
	}
	// GROUP BY and HAVING may name output columns, or their positions;
	// ORDER BY too, and prefers them to input columns.
	sc.outputs, sc.alsoInputs = src.named(sc.outputs), true
	for _, l := range [][]*pg_query.Node{pgGroupItems(x.GroupClause, nil), x.DistinctClause} {
		for _, n := range l {
			k, ok, c := pgPosition(n)
			w.byPosition(&pos, k, ok, c)
		}
	}
	for _, n := range [][]*pg_query.Node{x.GroupClause, x.WindowClause, x.DistinctClause} {
		w.pgList(n, sc, UseFilter)
	}
	w.pgNode(protoMsg(x.HavingClause), sc, UseFilter)
	sc.alsoInputs = false
	for _, n := range x.SortClause {
		if sb := n.GetSortBy(); sb != nil {
			k, ok, c := pgPosition(sb.Node)
			w.byPosition(&pos, k, ok, c)
		}
	}
	w.pgList(x.SortClause, sc, UseFilter)
	return src
}

// pgGroupItems appends the items of a GROUP BY list to out with ROLLUP,
// CUBE, GROUPING SETS and parenthesised lists opened up: PostgreSQL
// reads an integer constant in any of them as an output position.
func pgGroupItems(l []*pg_query.Node, out []*pg_query.Node) []*pg_query.Node {
	for _, n := range l {
		switch {
		case n.GetGroupingSet() != nil:
			out = pgGroupItems(n.GetGroupingSet().GetContent(), out)
		case n.GetRowExpr() != nil:
			out = pgGroupItems(n.GetRowExpr().GetArgs(), out)
		default:
			out = append(out, n)
		}
	}
	return out
}

// pgPosition returns k for an integer constant (ORDER BY k, GROUP BY k:
// the k-th output column); ok is false for anything else. constant
// reports any constant, a position or not.
func pgPosition(n *pg_query.Node) (k int, ok, constant bool) {
	c := n.GetAConst()
	if c == nil {
		return 0, false, false
	}
	if c.GetIval() != nil {
		return int(c.GetIval().Ival), true, true
	}
	return 0, false, true
}

// byPosition records the base columns behind output column k (ORDER BY
// k, GROUP BY k) as filters (ok: the item is a position). The columns
// then depend on a literal's value, so texts that differ only in it may
// not share the analysis — whatever this text's k, 0 and out-of-range
// ones included (they name no column here, another text's k may).
//
// Any other constant there is value-sensitive too: the shape key gives
// every number one marker, and 1.5 or 99999999999 (a constant to the
// parser, no position) shares a shape with 2 (a position).
func (w columns) byPosition(p *positions, k int, ok, constant bool) {
	if constant {
		w.st.ValueSensitive = true
	}
	if !ok {
		return
	}
	w.st.ValueSensitive = true
	w.add(p.at(k), UseFilter)
}

// positions are the base columns behind each output column of a select
// list, for ORDER BY and GROUP BY by position.
type positions struct {
	each [][]ColumnUse
	all  []ColumnUse
	star bool // past a star, positions are not known
}

func (p *positions) add(origins []ColumnUse, star bool) {
	if !p.star {
		p.each = append(p.each, origins)
	}
	p.star = p.star || star
	p.all = append(p.all, origins...)
}

// at returns the base columns behind output column k (1-based; 0: none).
func (p *positions) at(k int) []ColumnUse {
	switch {
	case k <= 0:
		return nil
	case k <= len(p.each) && !(p.star && k == len(p.each)):
		return p.each[k-1]
	case p.star:
		return p.all
	}
	return nil
}

// named adds the named output columns of a select list to outputs.
func (s *source) named(outputs map[string][]ColumnUse) map[string][]ColumnUse {
	for _, o := range s.outputs {
		if o.name == "" {
			continue
		}
		if outputs == nil {
			outputs = map[string][]ColumnUse{}
		}
		outputs[o.name] = append(outputs[o.name], o.origins...)
	}
	return outputs
}

// addTarget adds the output of a bare column (or star) of a select list,
// named alias if it has one, with the base columns behind it.
func (s *source) addTarget(col, alias string, origins []ColumnUse) {
	if col != "*" {
		name := strings.ToLower(col)
		if alias != "" {
			name = strings.ToLower(alias)
		}
		s.outputs = append(s.outputs, output{name: name, origins: origins})
		return
	}
	for _, o := range origins {
		if o.Column == "*" {
			s.stars = append(s.stars, o)
		} else {
			s.outputs = append(s.outputs, output{name: o.Column, origins: []ColumnUse{o}})
		}
	}
}

// myColumns records the columns named under n.
func myColumns(st *Statement, n ast.StmtNode) {
	w := columns{st: st}
	use := UseDerived
	switch n.(type) {
	case *ast.SelectStmt, *ast.SetOprStmt:
		use = UseOutput
	case *ast.ExplainStmt:
		use = UseFilter
	}
	w.myNode(n, nil, use)
	myExposures(st, n)
}

// myVisit walks a subtree, handing statements and column names to the
// walker.
type myVisit struct {
	w   columns
	sc  *scope
	use Use
}

func (v *myVisit) Enter(n ast.Node) (ast.Node, bool) {
	switch x := n.(type) {
	case *ast.SelectStmt:
		v.w.mySelect(x, v.sc, v.use)
	case *ast.SetOprStmt:
		v.w.mySetOpr(x.With, x.SelectList, x.OrderBy, x.Limit, v.sc, v.use)
	case *ast.UpdateStmt:
		sc := v.w.myWith(x.With, v.sc)
		sc = v.w.myFrom(sc, x.TableRefs, UseDerived)
		for _, a := range x.List {
			v.w.myNode(a.Expr, sc, UseDerived)
		}
		v.w.myNode(x.Where, sc, UseFilter)
		v.w.myNode(x.Order, sc, UseFilter)
	case *ast.DeleteStmt:
		sc := v.w.myWith(x.With, v.sc)
		sc = v.w.myFrom(sc, x.TableRefs, UseDerived)
		v.w.myNode(x.Where, sc, UseFilter)
		v.w.myNode(x.Order, sc, UseFilter)
	case *ast.InsertStmt:
		v.w.myNode(x.Select, v.sc, UseDerived)
		sc := v.w.myFrom(v.sc, x.Table, UseDerived)
		for _, l := range x.Lists {
			for _, e := range l {
				v.w.myNode(e, sc, UseDerived)
			}
		}
		for _, a := range x.OnDuplicate {
			v.w.myNode(a.Expr, sc, UseDerived)
		}
	case *ast.ColumnNameExpr:
		v.w.ref(v.sc, myQual(x.Name), x.Name.Name.O, v.use)
	default:
		return n, false
	}
	return n, true
}

func (v *myVisit) Leave(n ast.Node) (ast.Node, bool) { return n, true }

func (w columns) myNode(n ast.Node, sc *scope, use Use) {
	if n == nil || isNilNode(n) {
		return
	}
	n.Accept(&myVisit{w: w, sc: sc, use: use})
}

// isNilNode catches typed nil pointers held in interfaces.
func isNilNode(n ast.Node) bool {
	switch x := n.(type) {
	case *ast.OrderByClause:
		return x == nil
	case *ast.GroupByClause:
		return x == nil
	case *ast.HavingClause:
		return x == nil
	case *ast.Limit:
		return x == nil
	case *ast.TableRefsClause:
		return x == nil
	case *ast.SelectStmt:
		return x == nil
	}
	return false
}

func myQual(c *ast.ColumnName) []string {
	if c.Table.O != "" {
		return []string{c.Table.O}
	}
	return nil
}

func (w columns) myWith(wc *ast.WithClause, sc *scope) *scope {
	if wc == nil || len(wc.CTEs) == 0 {
		return sc
	}
	ns := newScope(sc)
	ns.ctes = map[string]*source{}
	for _, c := range wc.CTEs {
		src := &source{}
		var q ast.ResultSetNode
		if c.Query != nil {
			q = c.Query.Query
		}
		if sel, ok := q.(*ast.SelectStmt); ok && !wc.IsRecursive && !c.IsRecursive {
			src = w.mySelect(sel, ns, UseNested)
		} else if q != nil {
			w.myNode(q, ns, UseDerived)
		}
		names := make([]string, len(c.ColNameList))
		for i, n := range c.ColNameList {
			names[i] = n.O
		}
		src.rename(names)
		ns.ctes[c.Name.L] = src
	}
	return ns
}

func (w columns) myFrom(parent *scope, refs *ast.TableRefsClause, use Use) *scope {
	sc := newScope(parent)
	if refs == nil || refs.TableRefs == nil {
		return sc
	}
	var add func(n ast.ResultSetNode)
	add = func(n ast.ResultSetNode) {
		switch x := n.(type) {
		case *ast.Join:
			first := len(sc.order)
			add(x.Left)
			if x.Right != nil {
				add(x.Right)
			}
			using := make([]string, len(x.Using))
			for i, c := range x.Using {
				using[i] = c.Name.O
			}
			w.joinColumns(sc.order[first:], using, x.NaturalJoin)
			if x.On != nil {
				defer w.myNode(x.On.Expr, sc, UseFilter)
			}
		case *ast.TableSource:
			switch s := x.Source.(type) {
			case *ast.TableName:
				name := s.Name.O
				if x.AsName.O != "" {
					name = x.AsName.O
				}
				if c := parent.cte(s.Name.L); c != nil && s.Schema.O == "" {
					sc.add(name, c)
					return
				}
				sc.add(name, &source{table: &Table{Schema: s.Schema.O, Name: s.Name.O}})
			case *ast.SelectStmt:
				lat := parent
				if x.Lateral {
					lat = sc
				}
				sc.add(x.AsName.O, w.mySelect(s, lat, subUse(use)))
			default:
				w.myNode(x.Source, parent, exprUse(use))
				sc.add(x.AsName.O, &source{})
			}
		default:
			if n != nil {
				w.myNode(n, sc, exprUse(use))
			}
		}
	}
	add(refs.TableRefs)
	return sc
}

func (w columns) mySetOpr(with *ast.WithClause, list *ast.SetOprSelectList, order *ast.OrderByClause, limit *ast.Limit, sc *scope, use Use) {
	sc = w.myWith(with, sc)
	if list != nil {
		for _, s := range list.Selects {
			switch x := s.(type) {
			case *ast.SelectStmt:
				w.mySelect(x, sc, exprUse(use))
			case *ast.SetOprSelectList:
				w.mySetOpr(x.With, x, x.OrderBy, x.Limit, sc, exprUse(use))
			}
		}
	}
	w.myNode(order, sc, UseFilter)
	w.myNode(limit, sc, UseFilter)
}

func (w columns) mySelect(x *ast.SelectStmt, sc *scope, use Use) *source {
	sc = w.myWith(x.With, sc)
	if x.SelectIntoOpt != nil {
		use = exprUse(use)
	}
	for _, l := range x.Lists {
		w.myNode(l, sc, exprUse(use))
	}
	sc = w.myFrom(sc, x.From, use)
	src := &source{}
	var pos positions
	if x.Fields != nil {
		for _, f := range x.Fields.Fields {
			var qual []string
			col := ""
			switch {
			case f.WildCard != nil:
				if f.WildCard.Table.O != "" {
					qual = []string{f.WildCard.Table.O}
				}
				col = "*"
			default:
				cn, ok := f.Expr.(*ast.ColumnNameExpr)
				if !ok {
					w.myNode(f.Expr, sc, exprUse(use))
					src.outputs = append(src.outputs, output{name: f.AsName.L})
					pos.add(nil, false)
					continue
				}
				qual, col = myQual(cn.Name), cn.Name.Name.O
			}
			origins := w.target(sc, qual, col, use)
			src.addTarget(col, f.AsName.O, origins)
			pos.add(origins, col == "*")
		}
	}
	w.myNode(x.Where, sc, UseFilter)
	if x.Limit != nil {
		w.myNode(x.Limit, sc, UseFilter)
	}
	// GROUP BY, HAVING and ORDER BY may name output columns, or their
	// positions.
	sc.outputs, sc.alsoInputs = src.named(sc.outputs), true
	if x.GroupBy != nil {
		for _, it := range x.GroupBy.Items {
			k, ok, c := myPosition(it.Expr)
			w.byPosition(&pos, k, ok, c)
		}
		w.myNode(x.GroupBy, sc, UseFilter)
	}
	if x.Having != nil {
		w.myNode(x.Having, sc, UseFilter)
	}
	for i := range x.WindowSpecs {
		w.myNode(&x.WindowSpecs[i], sc, UseFilter)
	}
	sc.alsoInputs = false
	if x.OrderBy != nil {
		for _, it := range x.OrderBy.Items {
			k, ok, c := myPosition(it.Expr)
			w.byPosition(&pos, k, ok, c)
		}
		w.myNode(x.OrderBy, sc, UseFilter)
	}
	return src
}

// myPosition returns k for ORDER BY k or GROUP BY k; ok is false for
// anything else. constant reports any constant, a position or not.
//
// The server also reads an integer in parentheses or after a unary plus
// as a position (ORDER BY (2), ORDER BY +2), where the parser keeps an
// expression: those are opened up here.
func myPosition(e ast.ExprNode) (k int, ok, constant bool) {
	switch x := e.(type) {
	case *ast.PositionExpr:
		if x.P == nil {
			return x.N, true, true
		}
		return 0, false, true
	case *ast.ParenthesesExpr:
		return myInnerPosition(x.Expr)
	case *ast.UnaryOperationExpr:
		if x.Op == opcode.Plus {
			return myInnerPosition(x.V)
		}
		_, _, constant = myPosition(x.V)
		return 0, false, constant
	case ast.ValueExpr:
		return 0, false, true
	}
	return 0, false, false
}

// myInnerPosition is myPosition of what is inside parentheses or after
// a unary plus, where a bare integer is a position too.
func myInnerPosition(e ast.ExprNode) (k int, ok, constant bool) {
	if v, isValue := e.(ast.ValueExpr); isValue {
		switch n := v.GetValue().(type) {
		case int64:
			return int(n), true, true
		case uint64:
			if n <= math.MaxInt32 {
				return int(n), true, true
			}
		}
		return 0, false, true
	}
	return myPosition(e)
}
