package sqlparse

import "strings"

// Function families the extraction facts of Shape are built from. Names
// are lower case, without a schema.

// charFunctions take a value apart or measure it: applied to a hidden
// value and compared, they reveal it a character or a bit at a time.
var charFunctions = map[string]bool{
	"ascii": true, "ord": true, "unicode": true, "substring": true, "substr": true, "mid": true,
	"left": true, "right": true, "length": true, "char_length": true, "character_length": true,
	"bit_length": true, "octet_length": true, "hex": true, "unhex": true, "bin": true, "oct": true,
	"conv": true, "to_hex": true, "lower": true, "upper": true, "lcase": true, "ucase": true,
	"reverse": true, "lpad": true, "rpad": true, "trim": true, "ltrim": true, "rtrim": true,
	"btrim": true, "position": true, "locate": true, "instr": true, "strpos": true, "strcmp": true,
	"md5": true, "sha1": true, "sha2": true, "encode": true, "decode": true, "convert_to": true,
	"get_byte": true, "get_bit": true, "regexp_substr": true, "split_part": true,
	"substring_index": true, "find_in_set": true, "make_set": true, "elt": true, "quote": true,
	"weight_string": true, "soundex": true, "crc32": true,
}

// infoFunctions reveal the server, the session or the database.
var infoFunctions = map[string]bool{
	"version": true, "user": true, "current_user": true, "session_user": true, "system_user": true,
	"database": true, "schema": true, "current_database": true, "current_schema": true,
	"current_setting": true, "inet_server_addr": true, "inet_server_port": true,
	"connection_id": true, "pg_postmaster_start_time": true, "current_role": true,
	"current_catalog": true, "uuid": true, "@@version": true,
}

// errorFunctions raise an error whose message carries their argument
// (XML path, geometry and GTID parsers): with a hidden value as the
// argument, the error message discloses it.
var errorFunctions = map[string]bool{
	"extractvalue": true, "updatexml": true, "name_const": true, "gtid_subset": true,
	"gtid_subtract": true, "st_latfromgeohash": true, "st_longfromgeohash": true,
	"st_pointfromgeohash": true, "polygon": true, "multipoint": true, "linestring": true,
	"multilinestring": true, "multipolygon": true, "geometrycollection": true, "xmltype": true,
	"json_keys": true, "exp": true, "query_to_xml": true, "xpath": true,
}

// aggregateFunctions summarise rows; a scalar subquery that returns one
// is application arithmetic more often than a probe.
var aggregateFunctions = map[string]bool{
	"count": true, "sum": true, "avg": true, "min": true, "max": true, "bool_and": true,
	"bool_or": true, "every": true, "array_agg": true, "string_agg": true, "json_agg": true,
	"jsonb_agg": true, "group_concat": true,
}

// numericTypes are cast targets that fail with the value in the message
// when given text that is not a number.
var numericTypes = map[string]bool{
	"int": true, "int2": true, "int4": true, "int8": true, "integer": true, "smallint": true,
	"bigint": true, "numeric": true, "decimal": true, "float4": true, "float8": true,
	"real": true, "double": true, "oid": true, "regclass": true, "bool": true, "boolean": true,
	"date": true, "timestamp": true, "inet": true, "uuid": true, "json": true, "jsonb": true,
}

// funcName lower-cases a function name and drops a schema qualifier.
func funcName(name string) string {
	name = strings.ToLower(name)
	if i := strings.LastIndexByte(name, '.'); i >= 0 {
		name = name[i+1:]
	}
	return name
}

// uncPath reports a Windows network path (\\host\share), the address of
// an out-of-band channel when a file function is pointed at it.
func uncPath(s string) bool {
	return strings.HasPrefix(s, `\\`) || strings.HasPrefix(s, `//`) && len(s) > 2 && s[2] != '/'
}

// unionColumn is what one position of a set-operation arm selects.
type unionColumn struct {
	name     string          // output name: alias or column name
	columns  map[string]bool // column names referenced (outside subqueries)
	constant bool            // a literal or NULL
	subquery bool            // holds a subquery
	other    bool            // computed without columns (a function of constants)
}

// foreignArm reports whether a later arm of a set operation selects
// something the first arm does not select at the same position: a
// constant or NULL where the first selects a column (padding found by
// trial), another column, or a subquery.
func foreignArm(first, later []unionColumn) bool {
	if len(first) != len(later) {
		return false // sqli.union-arity reports that
	}
	for i, l := range later {
		f := first[i]
		switch {
		case l.subquery && !f.subquery:
			return true
		case l.constant && len(f.columns) > 0:
			return true
		case l.other && len(l.columns) == 0 && len(f.columns) > 0:
			return true
		}
		for c := range l.columns {
			if !f.columns[c] && c != f.name {
				return true
			}
		}
	}
	return false
}
