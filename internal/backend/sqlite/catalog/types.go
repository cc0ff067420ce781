package catalog

import (
	"fmt"
	"strconv"
	"strings"
)

// pgType is a built-in PostgreSQL type as pg_type shows it.
type pgType struct {
	oid      int64
	name     string // typname
	sqlName  string // format_type's name ("integer", "character varying")
	length   int64  // typlen
	category string // typcategory
	elem     int64  // typelem (arrays)
	array    int64  // typarray
	io       string // typinput/typoutput prefix ("int4" → int4in/int4out)
}

// The type OIDs the engine uses for its columns: PostgreSQL's own, and
// what the PostgreSQL front end reports in RowDescription for the same
// SQLite types.
const (
	oidBool      = 16
	oidBytea     = 17
	oidName      = 19
	oidInt8      = 20
	oidInt2      = 21
	oidInt4      = 23
	oidText      = 25
	oidOid       = 26
	oidJSON      = 114
	oidFloat4    = 700
	oidFloat8    = 701
	oidBPChar    = 1042
	oidVarchar   = 1043
	oidDate      = 1082
	oidTime      = 1083
	oidTimestamp = 1114
	oidTimestTZ  = 1184
	oidInterval  = 1186
	oidNumeric   = 1700
	oidUUID      = 2950
	oidJSONB     = 3802
)

// builtinTypes are the types pg_type lists (scalars, then their arrays).
var builtinTypes = []pgType{
	{oidBool, "bool", "boolean", 1, "B", 0, 1000, "bool"},
	{oidBytea, "bytea", "bytea", -1, "U", 0, 1001, "bytea"},
	{18, "char", `"char"`, 1, "Z", 0, 1002, "char"},
	{oidName, "name", "name", 64, "S", 0, 1003, "name"},
	{oidInt8, "int8", "bigint", 8, "N", 0, 1016, "int8"},
	{oidInt2, "int2", "smallint", 2, "N", 0, 1005, "int2"},
	{22, "int2vector", "int2vector", -1, "A", oidInt2, 1006, "int2vector"},
	{oidInt4, "int4", "integer", 4, "N", 0, 1007, "int4"},
	{24, "regproc", "regproc", 4, "N", 0, 1008, "regproc"},
	{oidText, "text", "text", -1, "S", 0, 1009, "text"},
	{oidOid, "oid", "oid", 4, "N", 0, 1028, "oid"},
	{30, "oidvector", "oidvector", -1, "A", oidOid, 1013, "oidvector"},
	{oidJSON, "json", "json", -1, "U", 0, 199, "json"},
	{142, "xml", "xml", -1, "U", 0, 143, "xml"},
	{oidFloat4, "float4", "real", 4, "N", 0, 1021, "float4"},
	{oidFloat8, "float8", "double precision", 8, "N", 0, 1022, "float8"},
	{705, "unknown", "unknown", -2, "X", 0, 0, "unknown"},
	{790, "money", "money", 8, "N", 0, 791, "cash"},
	{869, "inet", "inet", -1, "I", 0, 1041, "inet"},
	{oidBPChar, "bpchar", "character", -1, "S", 0, 1014, "bpchar"},
	{oidVarchar, "varchar", "character varying", -1, "S", 0, 1015, "varchar"},
	{oidDate, "date", "date", 4, "D", 0, 1182, "date"},
	{oidTime, "time", "time without time zone", 8, "D", 0, 1183, "time"},
	{oidTimestamp, "timestamp", "timestamp without time zone", 8, "D", 0, 1115, "timestamp"},
	{oidTimestTZ, "timestamptz", "timestamp with time zone", 8, "D", 0, 1185, "timestamptz"},
	{oidInterval, "interval", "interval", 16, "T", 0, 1187, "interval"},
	{1266, "timetz", "time with time zone", 12, "D", 0, 1270, "timetz"},
	{1560, "bit", "bit", -1, "V", 0, 1561, "bit"},
	{1562, "varbit", "bit varying", -1, "V", 0, 1563, "varbit"},
	{oidNumeric, "numeric", "numeric", -1, "N", 0, 1231, "numeric"},
	{2205, "regclass", "regclass", 4, "N", 0, 2210, "regclass"},
	{2206, "regtype", "regtype", 4, "N", 0, 2211, "regtype"},
	{2202, "regprocedure", "regprocedure", 4, "N", 0, 2207, "regprocedure"},
	{2203, "regoper", "regoper", 4, "N", 0, 2208, "regoper"},
	{4089, "regnamespace", "regnamespace", 4, "N", 0, 4090, "regnamespace"},
	{4096, "regrole", "regrole", 4, "N", 0, 4097, "regrole"},
	{2249, "record", "record", -1, "P", 0, 2287, "record"},
	{2275, "cstring", "cstring", -2, "P", 0, 1263, "cstring"},
	{2276, "any", `"any"`, 4, "P", 0, 0, "any"},
	{2278, "void", "void", 4, "P", 0, 0, "void"},
	{2279, "trigger", "trigger", 4, "P", 0, 0, "trigger"},
	{oidUUID, "uuid", "uuid", 16, "U", 0, 2951, "uuid"},
	{oidJSONB, "jsonb", "jsonb", -1, "U", 0, 3807, "jsonb"},
}

// arrayTypes are the array types of the built-in types that have one.
func arrayTypes() []pgType {
	var out []pgType
	for _, t := range builtinTypes {
		if t.array != 0 {
			out = append(out, pgType{oid: t.array, name: "_" + t.name, sqlName: t.sqlName + "[]", length: -1, category: "A", elem: t.oid, io: "array"})
		}
	}
	return out
}

var typeByOID = func() map[int64]pgType {
	m := map[int64]pgType{}
	for _, t := range builtinTypes {
		m[t.oid] = t
	}
	for _, t := range arrayTypes() {
		m[t.oid] = t
	}
	return m
}()

// typeNames maps the names a type may be written with (typname, the SQL
// name, common aliases) to its OID.
var typeNames = func() map[string]int64 {
	m := map[string]int64{}
	for _, t := range builtinTypes {
		m[t.name] = t.oid
		m[strings.Trim(t.sqlName, `"`)] = t.oid
	}
	for _, t := range arrayTypes() {
		m[t.name] = t.oid
		m[t.sqlName] = t.oid
	}
	for alias, oid := range map[string]int64{
		"int": oidInt4, "integer": oidInt4, "bigint": oidInt8, "smallint": oidInt2,
		"boolean": oidBool, "varchar": oidVarchar, "char": oidBPChar, "character": oidBPChar,
		"decimal": oidNumeric, "float": oidFloat8, "double precision": oidFloat8, "real": oidFloat4,
		"timestamp": oidTimestamp, "timestamptz": oidTimestTZ,
	} {
		m[alias] = oid
	}
	return m
}()

// colType is how a SQLite declared type shows in the catalog: the
// PostgreSQL type and its typmod (-1 when none).
type colType struct {
	oid    int64
	typmod int64
}

// typeOfDecl maps a SQLite declared type to a PostgreSQL type, by the
// same affinity rules the engine types result columns with (sqlite.TypeOf),
// so that the catalog and RowDescription agree: INTEGER, INT, INT4 and
// MEDIUMINT are int4 (an INTEGER PRIMARY KEY too, as a serial or integer
// key in PostgreSQL), SMALLINT, INT2 and TINYINT int2, other integers
// (BIGINT, INT8, UNSIGNED) int8; REAL and FLOAT4 are float4, other reals
// float8; VARCHAR(n), CHAR(n) and NUMERIC(p,s) keep their length and
// precision; a column without a declared type is text.
func typeOfDecl(decl string) colType {
	d := strings.ToUpper(strings.TrimSpace(decl))
	base, args := d, ""
	if i := strings.IndexByte(d, '('); i >= 0 {
		base = strings.TrimSpace(d[:i])
		args = strings.TrimSuffix(strings.TrimSpace(d[i+1:]), ")")
	}
	nums := func() []int64 {
		var out []int64
		for f := range strings.SplitSeq(args, ",") {
			n, err := strconv.ParseInt(strings.TrimSpace(f), 10, 64)
			if err != nil {
				return nil
			}
			out = append(out, n)
		}
		return out
	}
	switch {
	case d == "":
		return colType{oidText, -1}
	case strings.Contains(d, "BOOL"):
		return colType{oidBool, -1}
	case strings.Contains(d, "INT"):
		switch {
		case strings.Contains(d, "UNSIGNED"), strings.Contains(base, "BIG"), base == "INT8":
			return colType{oidInt8, -1}
		case base == "SMALLINT", base == "INT2", base == "TINYINT":
			return colType{oidInt2, -1}
		case base == "INTEGER", base == "INT", base == "INT4", base == "MEDIUMINT":
			return colType{oidInt4, -1}
		}
		return colType{oidInt8, -1}
	case strings.Contains(base, "CHAR") && !strings.Contains(base, "VAR") && !strings.Contains(base, "VARYING"):
		if n := nums(); len(n) == 1 {
			return colType{oidBPChar, n[0] + 4}
		}
		return colType{oidBPChar, -1}
	case strings.Contains(base, "CHAR"):
		if n := nums(); len(n) == 1 {
			return colType{oidVarchar, n[0] + 4}
		}
		return colType{oidVarchar, -1}
	case strings.Contains(d, "CLOB"), strings.Contains(d, "TEXT"):
		return colType{oidText, -1}
	case strings.Contains(d, "BLOB"):
		return colType{oidBytea, -1}
	case base == "REAL", base == "FLOAT4":
		return colType{oidFloat4, -1}
	case strings.Contains(d, "REAL"), strings.Contains(d, "FLOA"), strings.Contains(d, "DOUB"):
		return colType{oidFloat8, -1}
	case strings.Contains(d, "TIMESTAMP"), strings.Contains(d, "DATETIME"):
		return colType{oidTimestamp, -1}
	case d == "DATE":
		return colType{oidDate, -1}
	case strings.Contains(d, "JSON"):
		return colType{oidJSON, -1}
	case strings.Contains(d, "NUMERIC"), strings.Contains(d, "DECIMAL"):
		switch n := nums(); len(n) {
		case 1:
			return colType{oidNumeric, n[0]<<16 + 4}
		case 2:
			return colType{oidNumeric, n[0]<<16 | n[1] + 4}
		}
		return colType{oidNumeric, -1}
	}
	return colType{oidText, -1}
}

// formatType is PostgreSQL's format_type(oid, typmod): the type's SQL
// name with its modifier; NULL (ok false) for an unknown OID as in
// PostgreSQL it is "???".
func formatType(oid, typmod int64) string {
	t, ok := typeByOID[oid]
	if !ok {
		return "???"
	}
	name := t.sqlName
	if typmod < 0 {
		return name
	}
	switch oid {
	case oidVarchar, oidBPChar:
		return fmt.Sprintf("%s(%d)", name, typmod-4)
	case oidNumeric:
		m := typmod - 4
		return fmt.Sprintf("numeric(%d,%d)", m>>16&0xffff, m&0xffff)
	case oidTimestamp:
		return fmt.Sprintf("timestamp(%d) without time zone", typmod)
	case oidTimestTZ:
		return fmt.Sprintf("timestamp(%d) with time zone", typmod)
	}
	return name
}

// typeSizes for information_schema: the character length, numeric
// precision and scale a column's type and typmod give (nil when none).
func charLength(ct colType) any {
	if (ct.oid == oidVarchar || ct.oid == oidBPChar) && ct.typmod >= 4 {
		return ct.typmod - 4
	}
	return nil
}

func numericPrecision(ct colType) (prec, scale any) {
	switch ct.oid {
	case oidInt8:
		return int64(64), int64(0)
	case oidInt4:
		return int64(32), int64(0)
	case oidInt2:
		return int64(16), int64(0)
	case oidFloat4:
		return int64(24), nil
	case oidFloat8:
		return int64(53), nil
	case oidNumeric:
		if ct.typmod >= 4 {
			m := ct.typmod - 4
			return m >> 16 & 0xffff, m & 0xffff
		}
	}
	return nil, nil
}
