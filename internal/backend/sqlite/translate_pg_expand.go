package sqlite

import (
	"strings"

	pg_query "github.com/pganalyze/pg_query_go/v6"
)

// PostgreSQL's information_schema._pg_expandarray(a) returns a set of
// records (x, n): one row per element of a, x the element and n its
// position from 1. Drivers call it in a target list (PgJDBC's
// getPrimaryKeys, getIndexInfo, getBestRowIdentifier):
//
//	SELECT (information_schema._pg_expandarray(i.indkey)).n AS key_seq,
//	       information_schema._pg_expandarray(i.indkey) AS keys …
//	  FROM pg_index i …
//
// where every call on the same array runs in step. The printer reads each
// distinct array of a SELECT's target list as one json_each(array) joined
// after the SELECT's FROM list (a table-valued function may read the
// columns of the tables before it), and prints (f(a)).x as its value,
// (f(a)).n as its key + 1 and f(a) itself as the record
// json_object('x', x, 'n', n). A record is a JSON object: the field
// selection (r).f of any other expression is json_extract(r, '$.f').
//
// The array is a JSON array (how the translation prints arrays) or an
// int2vector / oidvector as the catalog stores them, '1 2'; vectorJSON
// reads both.

// expandScope is the target list of one SELECT being printed: the
// arrays its _pg_expandarray calls expand, each with its json_each alias.
type expandScope struct {
	sel     *pg_query.SelectStmt
	arrays  []string // printed array
	aliases []string
}

// beginExpand opens the scope of a SELECT's target list; the function it
// returns closes it (and restores the scope of an enclosing SELECT).
func (p *pgPrinter) beginExpand(s *pg_query.SelectStmt) func() {
	prev := p.expand
	p.expand = &expandScope{sel: s}
	return func() { p.expand = prev }
}

// expandFrom prints the json_each of each array the current SELECT's
// target list expands, after its FROM list (hasFrom) or as its FROM.
func (p *pgPrinter) expandFrom(s *pg_query.SelectStmt, hasFrom bool) {
	if p.expand == nil || p.expand.sel != s {
		return
	}
	for i, a := range p.expand.arrays {
		if i == 0 && !hasFrom {
			p.w(" FROM ")
		} else {
			p.w(", ")
		}
		p.w("json_each(", vectorJSON(a), ") AS ", quoteIdent(p.expand.aliases[i]))
	}
}

// vectorJSON is a printed array as a JSON array: an int2vector or
// oidvector ('1 2', as the catalog stores them) becomes '[1,2]'.
func vectorJSON(a string) string {
	return "CASE WHEN " + a + " LIKE '[%' THEN " + a + " ELSE '[' || replace(trim(" + a + "), ' ', ',') || ']' END"
}

// isExpandArray tells a call of _pg_expandarray.
func isExpandArray(f *pg_query.FuncCall) bool {
	schema, name := nameOf(f.Funcname)
	return name == "_pg_expandarray" && (schema == "" || schema == "information_schema")
}

// expandAlias is the json_each alias of the call f's array, registered in
// the current target list's scope.
func (p *pgPrinter) expandAlias(f *pg_query.FuncCall) string {
	if len(f.Args) != 1 || f.AggStar || f.Over != nil || len(f.AggOrder) > 0 || f.AggFilter != nil || f.AggDistinct {
		p.fail("this call of _pg_expandarray")
	}
	if p.expand == nil {
		p.fail("_pg_expandarray outside a SELECT list")
	}
	a := p.sub(f.Args[0])
	for i, x := range p.expand.arrays {
		if x == a {
			return p.expand.aliases[i]
		}
	}
	p.srf++
	alias := "floe_srf" + itoa(p.srf)
	p.expand.arrays = append(p.expand.arrays, a)
	p.expand.aliases = append(p.expand.aliases, alias)
	return alias
}

// expandArrayCall prints _pg_expandarray(a) as a value: the record (x, n).
// In FROM it is refused: its columns x and n would need a subquery, and
// SQLite cannot correlate one with the FROM items before it.
func (p *pgPrinter) expandArrayCall(f *pg_query.FuncCall, inFrom bool) Type {
	if inFrom {
		p.fail("_pg_expandarray in FROM")
	}
	q := quoteIdent(p.expandAlias(f))
	p.w("json_object('x', ", q, ".value, 'n', ", q, ".key + 1)")
	return TypeJSON
}

// fieldSelect prints the field selection (arg).field: a field of
// _pg_expandarray's record, or of a record printed as a JSON object.
func (p *pgPrinter) fieldSelect(ind *pg_query.A_Indirection) Type {
	if len(ind.Indirection) != 1 {
		p.fail("nested field selection")
	}
	field := ind.Indirection[0].GetString_()
	if field == nil {
		p.fail("field selection of *")
	}
	name := field.Sval
	if f := ind.Arg.GetFuncCall(); f != nil && isExpandArray(f) {
		q := quoteIdent(p.expandAlias(f))
		switch strings.ToLower(name) {
		case "x":
			p.w(q, ".value")
			return TypeInt
		case "n":
			p.w("(", q, ".key + 1)")
			return TypeInt
		}
		p.fail("field " + quoteString(name) + " of _pg_expandarray")
	}
	p.w("json_extract(")
	p.expr(ind.Arg)
	p.w(", ", quoteString("$."+jsonPathKey(name)), ")")
	return TypeUnknown
}

// jsonPathKey is a field name as a JSON path key: quoted unless it is a
// plain identifier.
func jsonPathKey(name string) string {
	plain := name != ""
	for i, r := range name {
		if !(r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || i > 0 && r >= '0' && r <= '9') {
			plain = false
		}
	}
	if plain {
		return name
	}
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(name) + `"`
}

// subscript prints arr[idx]: a JSON array counts from 1, an int2vector or
// oidvector ('0 0', as the catalog stores them) from 0, as in PostgreSQL.
func (p *pgPrinter) subscript(arr, idx *pg_query.Node) {
	a, i := p.sub(arr), p.sub(idx)
	p.w("json_extract(", vectorJSON(a), ", '$[' || (", i, " - CASE WHEN ", a, " LIKE '[%' THEN 1 ELSE 0 END) || ']')")
}

// indirectionName is the name PostgreSQL gives an unnamed result column
// (a).f or a[i]: the last field selected, else the name of a.
func indirectionName(ind *pg_query.A_Indirection) string {
	for i := len(ind.Indirection) - 1; i >= 0; i-- {
		if f := ind.Indirection[i].GetString_(); f != nil {
			return f.Sval
		}
	}
	return pgColumnName(ind.Arg)
}

// listUnnest prints unnest(a), or generate_subscripts(a, 1) when
// subscripts is set, in a SELECT list: like _pg_expandarray's calls, the
// calls on one array run in step (SQLAlchemy's primary-key query zips
// unnest(ix.indkey) with generate_subscripts(ix.indkey, 1)), through the
// array's json_each joined after the FROM list. The element is its value;
// the subscript its key, counted as the array counts (from 1 for a JSON
// array, from 0 for a vector). Calls on different arrays in one list are
// refused: PostgreSQL runs them in step, a join would pair every element
// with every other.
func (p *pgPrinter) listUnnest(f *pg_query.FuncCall, subscripts bool) Type {
	if subscripts {
		if c := f.Args[1].GetAConst(); c == nil || c.GetIval() == nil || c.GetIval().Ival != 1 {
			p.fail("generate_subscripts of a dimension other than 1")
		}
	}
	before := len(p.expand.arrays)
	alias := p.expandAlias(&pg_query.FuncCall{Args: f.Args[:1]})
	if len(p.expand.arrays) > 1 && len(p.expand.arrays) > before {
		p.fail("set-returning functions of different arrays in one SELECT list")
	}
	q := quoteIdent(alias)
	if !subscripts {
		p.w(q, ".value")
		return TypeUnknown
	}
	a := ""
	for i, x := range p.expand.aliases {
		if x == alias {
			a = p.expand.arrays[i]
		}
	}
	p.w("(", q, ".key + CASE WHEN ", a, " LIKE '[%' THEN 1 ELSE 0 END)")
	return TypeInt4
}
