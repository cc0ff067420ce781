package sqlite

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/floe-db/floe/internal/sqlerr"
)

func typeName(n *pg_query.Node) string { return fmt.Sprintf("%T", n.Node) }

// pgTypeName is a type's name as PostgreSQL's catalogue spells it, with
// its modifiers (numeric(10,2) → "numeric", [10, 2]).
func pgTypeName(t *pg_query.TypeName) (string, []int64) {
	_, name := nameOf(t.Names)
	var mods []int64
	for _, m := range t.Typmods {
		if c := m.GetAConst(); c != nil && c.GetIval() != nil {
			mods = append(mods, int64(c.GetIval().Ival))
		}
	}
	return name, mods
}

// regFunctions are the catalog's functions that stand for casts to reg*
// types.
var regFunctions = map[string]string{
	"regclass": "floe_regclass", "regtype": "floe_regtype", "regproc": "floe_regproc",
	"regnamespace": "floe_regnamespace", "regrole": "floe_regrole",
	"regprocedure": "floe_regprocedure", "regoper": "floe_regoper",
}

// boolWords are the texts PostgreSQL reads as booleans (lower case,
// trimmed; any unique prefix of true/false/yes/no is accepted too).
func boolWord(s string) (bool, bool) {
	s = strings.ToLower(strings.TrimSpace(s))
	switch s {
	case "1", "on":
		return true, true
	case "0", "off", "of":
		return false, s != "of"
	}
	if s == "" {
		return false, false
	}
	for _, w := range []string{"true", "yes"} {
		if strings.HasPrefix(w, s) {
			return true, true
		}
	}
	for _, w := range []string{"false", "no"} {
		if strings.HasPrefix(w, s) {
			return false, true
		}
	}
	return false, false
}

// cast prints x::type.
func (p *pgPrinter) cast(tc *pg_query.TypeCast) Type {
	name, _ := pgTypeName(tc.TypeName)
	if len(tc.TypeName.ArrayBounds) > 0 {
		return p.arrayCast(tc, name)
	}
	lit := ""
	isLit := false
	if c := tc.Arg.GetAConst(); c != nil && c.GetSval() != nil {
		lit, isLit = c.GetSval().Sval, true
	}
	if f, ok := regFunctions[name]; ok {
		p.w(f, "(")
		p.expr(tc.Arg)
		p.w(")")
		if name == "regclass" || name == "regtype" {
			return TypeUnknown
		}
		return TypeUnknown
	}
	switch name {
	case "int2", "int4", "int8", "smallint", "integer", "bigint", "oid", "xid":
		it := TypeInt
		switch name {
		case "int4", "integer":
			it = TypeInt4
		case "int2", "smallint":
			it = TypeInt2
		}
		if isLit {
			n, err := strconv.ParseInt(strings.TrimSpace(lit), 10, 64)
			if err != nil {
				panic(unsupported{sqlerr.New(sqlerr.InvalidTextRepresentation, "invalid input syntax for type %s: %q", name, lit)})
			}
			p.w(strconv.FormatInt(n, 10))
			return it
		}
		if c := tc.Arg.GetAConst(); c != nil && c.GetFval() != nil {
			// A decimal constant: rounded half away from zero, as PostgreSQL.
			if f, err := strconv.ParseFloat(c.GetFval().Fval, 64); err == nil && math.Abs(f) < 1<<53 {
				p.w(strconv.FormatInt(int64(math.Round(f)), 10))
				return it
			}
		}
		// Reals round (half away from zero, as PostgreSQL's numeric and
		// SQLite's round); other values convert.
		v := p.sub(tc.Arg)
		p.w("CASE WHEN typeof(", v, ") = 'real' THEN CAST(round(", v, ") AS INTEGER) ELSE CAST(", v, " AS INTEGER) END")
		return it
	case "float4", "float8", "real", "double precision":
		p.w("CAST(")
		p.expr(tc.Arg)
		p.w(" AS REAL)")
		return TypeFloat
	case "numeric", "decimal", "money":
		p.w("CAST(")
		p.expr(tc.Arg)
		p.w(" AS NUMERIC)")
		return TypeNumeric
	case "text", "varchar", "bpchar", "char", "name", "citext", "uuid", "character varying", "unknown", "inet", "cidr", "macaddr":
		if isLit {
			p.w(quoteString(lit))
			return TypeText
		}
		p.w("CAST(")
		p.expr(tc.Arg)
		p.w(" AS TEXT)")
		return TypeText
	case "bool", "boolean":
		if isLit {
			v, ok := boolWord(lit)
			if !ok {
				panic(unsupported{sqlerr.New(sqlerr.InvalidTextRepresentation, "invalid input syntax for type boolean: %q", lit)})
			}
			if v {
				p.w("1")
			} else {
				p.w("0")
			}
			return TypeBool
		}
		// Numbers: non-zero is true; texts as PostgreSQL reads them
		// (other texts are NULL).
		v := p.sub(tc.Arg)
		p.w("CASE WHEN typeof(", v, ") IN ('integer', 'real') THEN ", v, " <> 0 WHEN lower(trim(", v, ")) IN ('t', 'tr', 'tru', 'true', 'y', 'ye', 'yes', 'on', '1') THEN 1 WHEN lower(trim(", v, ")) IN ('f', 'fa', 'fal', 'fals', 'false', 'n', 'no', 'off', '0') THEN 0 END")
		return TypeBool
	case "date":
		if isLit {
			if d, ok := parseDateLit(lit); ok {
				p.w(quoteString(d))
				return TypeDate
			}
		}
		p.w("date(")
		p.expr(tc.Arg)
		p.w(")")
		return TypeDate
	case "timestamp", "timestamptz":
		if isLit {
			if ts, ok := parseTimestampLit(lit); ok {
				p.w(quoteString(ts))
				return TypeTimestamp
			}
		}
		p.w("datetime(")
		p.expr(tc.Arg)
		p.w(")")
		return TypeTimestamp
	case "time", "timetz":
		p.w("time(")
		p.expr(tc.Arg)
		p.w(")")
		return TypeText
	case "interval":
		p.w("floe_interval(")
		p.expr(tc.Arg)
		p.w(")")
		return TypeText
	case "json", "jsonb":
		p.w("json(")
		p.expr(tc.Arg)
		p.w(")")
		return TypeJSON
	case "bytea":
		p.w("CAST(")
		p.expr(tc.Arg)
		p.w(" AS BLOB)")
		return TypeBytes
	}
	p.fail("casts to type " + name)
	return TypeUnknown
}

// parseTimestampLit reads a timestamp literal into the engine's text form
// ('YYYY-MM-DD HH:MM:SS[.ffffff]', UTC).
func parseTimestampLit(s string) (string, bool) {
	s = strings.TrimSpace(s)
	for _, layout := range []string{
		"2006-01-02 15:04:05.999999999Z07:00", "2006-01-02 15:04:05.999999999Z07", "2006-01-02T15:04:05.999999999Z07:00",
		"2006-01-02 15:04:05.999999999", "2006-01-02T15:04:05.999999999", "2006-01-02 15:04", "2006-01-02",
	} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC().Format("2006-01-02 15:04:05.999999"), true
		}
	}
	return "", false
}

func parseDateLit(s string) (string, bool) {
	if t, err := time.Parse("2006-01-02", strings.TrimSpace(s)); err == nil {
		return t.Format("2006-01-02"), true
	}
	return "", false
}

// declType maps a PostgreSQL column type to the declared type SQLite
// keeps (which TypeOf reads back); serial reports the serial types.
func (p *pgPrinter) declType(t *pg_query.TypeName) (decl string, serial bool) {
	name, mods := pgTypeName(t)
	if len(t.ArrayBounds) > 0 {
		return "JSON", false
	}
	modText := func() string {
		if len(mods) == 0 {
			return ""
		}
		parts := make([]string, len(mods))
		for i, m := range mods {
			parts[i] = strconv.FormatInt(m, 10)
		}
		return "(" + strings.Join(parts, ",") + ")"
	}
	switch name {
	case "serial", "serial4", "bigserial", "serial8", "smallserial", "serial2":
		return "INTEGER", true
	case "int2", "smallint":
		return "SMALLINT", false
	case "int4", "integer", "int":
		return "INTEGER", false
	case "int8", "bigint":
		return "BIGINT", false
	case "oid":
		return "INTEGER", false
	case "varchar":
		return "VARCHAR" + modText(), false
	case "bpchar", "char":
		return "CHAR" + modText(), false
	case "text", "name", "citext":
		return "TEXT", false
	case "uuid", "inet", "cidr", "macaddr", "xml", "tsvector":
		return "TEXT", false
	case "bool", "boolean":
		return "BOOLEAN", false
	case "numeric", "decimal":
		return "NUMERIC" + modText(), false
	case "money":
		return "NUMERIC(19,2)", false
	case "float4", "real":
		return "REAL", false
	case "float8", "double precision":
		return "DOUBLE PRECISION", false
	case "timestamp":
		return "TIMESTAMP", false
	case "timestamptz":
		return "TIMESTAMPTZ", false
	case "date":
		return "DATE", false
	case "time", "timetz":
		return "TIME", false
	case "interval":
		// Not INTERVAL: SQLite (and TypeOf) would read INT in it.
		return "TEXT", false
	case "bytea":
		return "BLOB", false
	case "json", "jsonb":
		return "JSON", false
	}
	// Other names (SQLite's own: BLOB, DATETIME…) are kept as written:
	// SQLite takes any type name and TypeOf reads it.
	if name == "" || strings.ContainsAny(name, "`\"()") {
		p.fail("this column type")
	}
	return strings.ToUpper(name) + modText(), false
}

// sub prints n apart and returns its text (an expression printed more
// than once).
func (p *pgPrinter) sub(n *pg_query.Node) string {
	inner := pgPrinter{ctes: p.ctes, params: p.params, srf: p.srf}
	inner.expr(n)
	p.absorb(&inner)
	return "(" + inner.b.String() + ")"
}

// arrayElemKind is how floe_array reads the elements of an array of the
// type name.
func arrayElemKind(name string) string {
	switch name {
	case "int2", "int4", "int8", "smallint", "integer", "bigint", "int", "oid", "xid", "regclass", "regtype", "regproc", "regnamespace", "regrole":
		return "int"
	case "float4", "float8", "real", "double precision", "numeric", "decimal":
		return "float"
	case "bool", "boolean":
		return "bool"
	}
	return "text"
}

// arrayCast prints x::type[]: arrays are JSON arrays, so a JSON array
// stays as it is and PostgreSQL's array text ('{1,2}') becomes one; a
// literal is read now, anything else by floe_array when it runs.
func (p *pgPrinter) arrayCast(tc *pg_query.TypeCast, name string) Type {
	kind := arrayElemKind(name)
	if c := tc.Arg.GetAConst(); c != nil && c.GetSval() != nil {
		j, err := PGArrayJSON(c.GetSval().Sval, kind)
		if err != nil {
			if e, ok := err.(*sqlerr.Error); ok {
				panic(unsupported{e})
			}
			panic(unsupported{sqlerr.New(sqlerr.InvalidTextRepresentation, "%v", err)})
		}
		p.w("json(", quoteString(j), ")")
		return TypeArray
	}
	if arr := tc.Arg.GetAArrayExpr(); arr != nil {
		return p.expr(tc.Arg)
	}
	p.w("floe_array(")
	p.expr(tc.Arg)
	p.w(", '", kind, "')")
	return TypeArray
}
