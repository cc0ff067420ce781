package catalog

import (
	"encoding/json"
	"strconv"
	"strings"

	"github.com/floe-db/floe/internal/analysis"
)

// sessionRoleOID is the OID of the session's user when it is not the
// owner role.
const sessionRoleOID = 16383

func b(v bool) int64 {
	if v {
		return 1
	}
	return 0
}

func jsonInts(v []int64) string {
	out, _ := json.Marshal(v)
	return string(out)
}

func vector(v []int64) string {
	s := make([]string, len(v))
	for i, n := range v {
		s[i] = strconv.FormatInt(n, 10)
	}
	return strings.Join(s, " ")
}

func ncols(r relation) int { return strings.Count(r.cols, ",") + 1 }

// fixedRows are the rows that do not depend on the schema.
func fixedRows(d analysis.Dialect, database string) map[string][][]any {
	if d != analysis.Postgres {
		return map[string][][]any{
			"information_schema.SCHEMATA": {
				{"def", database, "utf8mb4", "utf8mb4_bin", nil, "NO"},
				{"def", "information_schema", "utf8mb4", "utf8mb4_bin", nil, "NO"},
			},
			"information_schema.CHARACTER_SETS": {{"utf8mb4", "utf8mb4_bin", "UTF-8 Unicode", int64(4)}},
			"information_schema.COLLATIONS":     {{"utf8mb4_bin", "utf8mb4", int64(46), "Yes", "Yes", int64(1), "PAD SPACE"}},
			"information_schema.ENGINES":        {{"SQLite", "DEFAULT", "Embedded SQLite engine", "YES", "NO", "YES"}},
		}
	}
	rows := map[string][][]any{}
	rows["pg_catalog.pg_namespace"] = [][]any{
		{int64(nsPGCatalog), "pg_catalog", int64(ownerOID), nil},
		{int64(nsPublic), "public", int64(ownerOID), nil},
		{int64(nsInfoSchema), "information_schema", int64(ownerOID), nil},
	}
	var types [][]any
	for _, t := range append(append([]pgType(nil), builtinTypes...), arrayTypes()...) {
		typtype := "b"
		if t.category == "P" {
			typtype = "p"
		}
		byval := t.length == 1 || t.length == 2 || t.length == 4 || t.length == 8
		align, storage := "i", "x"
		switch t.length {
		case 1, -2:
			align, storage = "c", "p"
		case 2:
			align, storage = "s", "p"
		case 4:
			storage = "p"
		case 8:
			align, storage = "d", "p"
		}
		if t.length > 8 {
			align, storage = "d", "p"
		}
		in, out, recv, send, subscript := t.io+"in", t.io+"out", t.io+"recv", t.io+"send", "-"
		if t.category == "A" && t.elem != 0 {
			in, out, recv, send, subscript = "array_in", "array_out", "array_recv", "array_send", "array_subscript_handler"
		}
		coll := int64(0)
		if t.category == "S" && t.oid != oidName {
			coll = collDefault
		}
		types = append(types, []any{t.oid, t.name, int64(nsPGCatalog), int64(ownerOID), t.length, b(byval),
			typtype, t.category, b(false), b(true), ",", int64(0),
			subscript, t.elem, t.array, in, out, recv, send,
			"-", "-", "-", align, storage, b(false),
			int64(0), int64(-1), int64(0), coll, nil,
			nil, nil})
	}
	rows["pg_catalog.pg_type"] = types
	rows["pg_catalog.pg_am"] = [][]any{{int64(amHeap), "heap", "heap_tableam_handler", "t"}, {int64(amBtree), "btree", "bthandler", "i"}}
	rows["pg_catalog.pg_language"] = [][]any{
		{int64(12), "internal", int64(ownerOID), b(false), b(false), int64(0), int64(0), int64(0), nil},
		{int64(14), "sql", int64(ownerOID), b(false), b(true), int64(0), int64(0), int64(0), nil},
	}
	rows["pg_catalog.pg_collation"] = [][]any{
		{int64(collDefault), "default", int64(nsPGCatalog), int64(ownerOID), "d", b(true), int64(-1), nil, nil, nil, nil},
		{int64(950), "C", int64(nsPGCatalog), int64(ownerOID), "c", b(true), int64(-1), "C", "C", nil, nil},
		{int64(951), "POSIX", int64(nsPGCatalog), int64(ownerOID), "c", b(true), int64(-1), "POSIX", "POSIX", nil, nil},
	}
	rows["pg_catalog.pg_tablespace"] = [][]any{
		{int64(tablespaceDef), "pg_default", int64(ownerOID), nil, nil},
		{int64(1664), "pg_global", int64(ownerOID), nil, nil},
	}
	var settings [][]any
	for _, s := range [][2]string{
		{"server_version", "15.0"}, {"server_version_num", "150000"}, {"server_encoding", "UTF8"},
		{"client_encoding", "UTF8"}, {"DateStyle", "ISO, MDY"}, {"TimeZone", "UTC"},
		{"standard_conforming_strings", "on"}, {"integer_datetimes", "on"}, {"max_identifier_length", "63"},
		{"search_path", `"$user", public`}, {"transaction_isolation", "serializable"},
		{"default_transaction_isolation", "serializable"}, {"lc_collate", "C"}, {"lc_ctype", "C"},
	} {
		settings = append(settings, []any{s[0], s[1], nil, "Preset Options", "", nil, "internal", "string", "default",
			nil, nil, nil, s[1], s[1], nil, nil, b(false)})
	}
	rows["pg_catalog.pg_settings"] = settings
	rows["pg_catalog.pg_operator"] = [][]any{
		{int64(410), "=", int64(nsPGCatalog), int64(ownerOID), "b", b(true), b(true), int64(oidInt8), int64(oidInt8), int64(oidBool), int64(410), int64(411), "int8eq", "eqsel", "eqjoinsel"},
		{int64(98), "=", int64(nsPGCatalog), int64(ownerOID), "b", b(true), b(true), int64(oidText), int64(oidText), int64(oidBool), int64(98), int64(531), "texteq", "eqsel", "eqjoinsel"},
		{int64(641), "~", int64(nsPGCatalog), int64(ownerOID), "b", b(false), b(false), int64(oidText), int64(oidText), int64(oidBool), int64(0), int64(642), "textregexeq", "regexeqsel", "regexeqjoinsel"},
	}
	rows["pg_catalog.pg_cast"] = [][]any{
		{int64(11277), int64(oidInt8), int64(oidInt4), int64(480), "a", "f"},
		{int64(11278), int64(oidInt4), int64(oidInt8), int64(481), "i", "f"},
		{int64(11279), int64(oidText), int64(oidVarchar), int64(0), "i", "b"},
		{int64(11280), int64(oidVarchar), int64(oidText), int64(0), "i", "b"},
	}
	rows["information_schema.schemata"] = [][]any{
		{database, "public", OwnerName, nil, nil, nil, nil},
		{database, "pg_catalog", OwnerName, nil, nil, nil, nil},
		{database, "information_schema", OwnerName, nil, nil, nil, nil},
	}
	rows["information_schema.character_sets"] = [][]any{{nil, nil, "UTF8", "UCS", "UTF8", database, "pg_catalog", "C"}}
	return rows
}

// sessionRows are the rows about the session: the database and the
// roles (the owner, and the session's user when it is another). No
// password column has a value.
func sessionRows(database, user string) map[string][][]any {
	rows := map[string][][]any{}
	rows["pg_catalog.pg_database"] = [][]any{{int64(databaseOID), database, int64(ownerOID), int64(6), "c",
		b(false), b(true), int64(-1), int64(0), int64(0), int64(tablespaceDef), "C.UTF-8", "C.UTF-8", nil, nil, nil}}
	type role struct {
		oid   int64
		name  string
		login bool
	}
	roles := []role{{ownerOID, OwnerName, false}}
	if user != "" && user != OwnerName {
		roles = append(roles, role{sessionRoleOID, user, true})
	}
	for _, r := range roles {
		rows["pg_catalog.pg_authid"] = append(rows["pg_catalog.pg_authid"], []any{r.oid, r.name, b(false), b(true), b(false),
			b(false), b(r.login), b(false), b(false), int64(-1), nil, nil})
		rows["pg_catalog.pg_roles"] = append(rows["pg_catalog.pg_roles"], []any{r.name, b(false), b(true), b(false), b(false),
			b(r.login), b(false), int64(-1), nil, nil, b(false), nil, r.oid})
		if r.login {
			rows["pg_catalog.pg_user"] = append(rows["pg_catalog.pg_user"], []any{r.name, r.oid, b(false), b(false), b(false),
				b(false), nil, nil, nil})
		}
	}
	return rows
}

// viewRelations are the relations of pg_catalog that are views in
// PostgreSQL.
var viewRelations = map[string]bool{
	"pg_roles": true, "pg_user": true, "pg_settings": true, "pg_views": true, "pg_tables": true, "pg_indexes": true,
	"pg_matviews": true, "pg_sequences": true, "pg_stat_activity": true, "pg_locks": true, "pg_prepared_xacts": true,
	"pg_stat_user_tables": true,
}

// schemaRows are the rows the schema gives.
func schemaRows(d analysis.Dialect, database string, m *model) map[string][][]any {
	if d != analysis.Postgres {
		return myRows(database, m)
	}
	rows := map[string][][]any{}
	add := func(rel string, row ...any) { rows[rel] = append(rows[rel], row) }
	for _, rel := range []string{"pg_class", "pg_attribute", "pg_attrdef", "pg_index", "pg_constraint", "pg_trigger",
		"pg_proc", "pg_views", "pg_tables", "pg_indexes"} {
		rows["pg_catalog."+rel] = [][]any{}
	}
	for _, rel := range []string{"tables", "columns", "views", "table_constraints", "key_column_usage", "referential_constraints"} {
		rows["information_schema."+rel] = [][]any{}
	}
	class := func(oid int64, name string, ns int64, am int64, kind string, natts int, hasIndex bool, checks int, triggers bool) {
		add("pg_catalog.pg_class", oid, name, ns, int64(0), int64(0), int64(ownerOID),
			am, oid, int64(0), int64(0), float64(-1), int64(0),
			int64(0), b(hasIndex), b(false), "p", kind, int64(natts),
			int64(checks), b(false), b(triggers), b(false), b(false),
			b(false), b(true), "d", b(false), int64(0),
			int64(0), int64(0), nil, nil, nil)
	}
	for i, r := range pgCatalog {
		kind, am := "r", int64(amHeap)
		if viewRelations[r.name] {
			kind, am = "v", 0
		}
		_ = i
		class(catalogRelOID[r.name], r.name, nsPGCatalog, am, kind, ncols(r), false, 0, false)
	}
	for _, r := range pgInformationSchema {
		class(catalogRelOID["information_schema."+r.name], r.name, nsInfoSchema, 0, "v", ncols(r), false, 0, false)
	}
	referenced := map[string]bool{}
	triggered := map[string]bool{}
	for _, o := range m.objects {
		for _, c := range o.cons {
			if c.typ == 'f' {
				referenced[strings.ToLower(c.refTable)] = true
			}
		}
		if o.kind == "trigger" {
			triggered[strings.ToLower(o.table)] = true
		}
	}
	tableOID := map[string]int64{}
	pkeyName := map[string]string{}
	pkeyOID := map[string]int64{}
	for _, o := range m.objects {
		tableOID[strings.ToLower(o.name)] = o.oid
		for _, ix := range o.indexes {
			if ix.primary {
				pkeyName[strings.ToLower(o.name)] = ix.name
				pkeyOID[strings.ToLower(o.name)] = ix.oid
			}
		}
	}
	for _, o := range m.objects {
		switch o.kind {
		case "table", "view":
			kind, am, ttype := "r", int64(amHeap), "BASE TABLE"
			if o.kind == "view" {
				kind, am, ttype = "v", 0, "VIEW"
			}
			nchecks, hasFK := 0, false
			for _, c := range o.cons {
				nchecks += int(b(c.typ == 'c'))
				hasFK = hasFK || c.typ == 'f'
			}
			trig := hasFK || referenced[strings.ToLower(o.name)] || triggered[strings.ToLower(o.name)]
			class(o.oid, o.name, nsPublic, am, kind, len(o.cols), len(o.indexes) > 0, nchecks, trig)
			for _, c := range o.cols {
				t := typeByOID[c.typ.oid]
				byval := t.length == 1 || t.length == 2 || t.length == 4 || t.length == 8
				storage, align := "x", "i"
				if t.length > 0 {
					storage = "p"
				}
				if t.length == 8 {
					align = "d"
				}
				coll := int64(0)
				if t.category == "S" {
					coll = collDefault
				}
				generated := ""
				if c.hidden == 2 || c.hidden == 3 {
					generated = "s"
				}
				add("pg_catalog.pg_attribute", o.oid, c.name, c.typ.oid, int64(-1), t.length, c.num,
					int64(0), int64(-1), c.typ.typmod, b(byval), align, storage,
					"", b(c.notNull || c.pk > 0 && o.kind == "table"), b(c.dflt.Valid), b(false), "",
					generated, b(false), b(true), int64(0), coll,
					nil, nil, nil, nil)
				pgDefault := c.dflt.String
				if c.typ.oid == oidBool {
					// SQLite's booleans are 0/1: PostgreSQL shows false/true.
					switch strings.ToLower(strings.Trim(pgDefault, "'() ")) {
					case "0", "false", "f":
						pgDefault = "false"
					case "1", "true", "t":
						pgDefault = "true"
					}
				}
				if c.defOID != 0 {
					add("pg_catalog.pg_attrdef", c.defOID, o.oid, c.num, pgDefault)
				}
				nullable := "YES"
				if c.notNull || c.pk > 0 && o.kind == "table" {
					nullable = "NO"
				}
				prec, scale := numericPrecision(c.typ)
				var radix any
				if prec != nil {
					radix = int64(2)
					if c.typ.oid == oidNumeric {
						radix = int64(10)
					}
				}
				var dflt any
				if c.dflt.Valid {
					dflt = pgDefault
				}
				isGen := "NEVER"
				if generated != "" {
					isGen = "ALWAYS"
				}
				dataType := strings.Trim(t.sqlName, `"`)
				add("information_schema.columns", database, "public", o.name, c.name, c.num,
					dflt, nullable, dataType, charLength(c.typ),
					nil, prec, radix, scale,
					nil, nil, nil, nil,
					nil, nil, nil, nil,
					nil, nil, nil, nil, database,
					"pg_catalog", t.name, nil, nil, nil,
					nil, strconv.FormatInt(c.num, 10), "NO", "NO",
					nil, nil, nil, nil,
					nil, "NO", isGen, nil, "YES")
			}
			insertable := "YES"
			if o.kind == "view" {
				insertable = "NO"
				def := viewQuery(o.sql)
				add("pg_catalog.pg_views", "public", o.name, OwnerName, def)
				add("information_schema.views", database, "public", o.name, def, "NONE", "NO", "NO", "NO", "NO", "NO")
			} else {
				add("pg_catalog.pg_tables", "public", o.name, OwnerName, nil, b(len(o.indexes) > 0), b(false), b(trig), b(false))
			}
			add("information_schema.tables", database, "public", o.name, ttype, nil, nil, nil, nil, nil, insertable, "NO", nil)
			for _, ix := range o.indexes {
				if ix.oid == o.oid+pkeyAt {
					class(ix.oid, ix.name, nsPublic, amBtree, "i", len(ix.attnums), false, 0, false)
					for i, n := range ix.names {
						add("pg_catalog.pg_attribute", ix.oid, strings.Trim(n, `"`), int64(oidInt8), int64(-1), int64(8), int64(i+1),
							int64(0), int64(-1), int64(-1), b(true), "d", "p",
							"", b(false), b(false), b(false), "",
							"", b(false), b(true), int64(0), int64(0),
							nil, nil, nil, nil)
					}
				}
				_, where := indexColumns(ix.sql)
				var pred, exprs any
				if where != "" {
					pred = where
				}
				for _, a := range ix.attnums {
					if a == 0 {
						list, _ := indexColumns(ix.sql)
						exprs = list
					}
				}
				zeros := strings.TrimSpace(strings.Repeat("0 ", len(ix.attnums)))
				// indoption: DESC (1) and NULLS FIRST (2), as PostgreSQL
				// reads "DESC" in the index's definition.
				opts := make([]int64, len(ix.attnums))
				for i, d := range ix.desc {
					if d && i < len(opts) {
						opts[i] = 3
					}
				}
				add("pg_catalog.pg_index", ix.oid, o.oid, int64(len(ix.attnums)), int64(len(ix.attnums)), b(ix.unique),
					b(false), b(ix.primary), b(false), b(true),
					b(false), b(true), b(false), b(true), b(true),
					b(false), vector(ix.attnums), zeros, zeros, vector(opts), exprs, pred)
				add("pg_catalog.pg_indexes", "public", o.name, ix.name, nil, ix.def)
			}
			for _, c := range o.cons {
				var conindid, confrelid int64
				upd, del, match := " ", " ", " "
				var confkey, conbin any
				if c.index != nil {
					conindid = c.index.oid
				}
				ctype := ""
				switch c.typ {
				case 'p':
					ctype = "PRIMARY KEY"
				case 'u':
					ctype = "UNIQUE"
				case 'f':
					ctype = "FOREIGN KEY"
					confrelid = tableOID[strings.ToLower(c.refTable)]
					conindid = pkeyOID[strings.ToLower(c.refTable)]
					upd, del, match = fkAction(c.onUpdate), fkAction(c.onDelete), "s"
					confkey = jsonInts(c.refNums)
				case 'c':
					ctype = "CHECK"
					conbin = c.expr
				}
				var conkey any
				if len(c.cols) > 0 {
					conkey = jsonInts(c.cols)
				} else if c.typ == 'c' && len(c.colNames) == 1 {
					conkey = jsonInts([]int64{o.colNum(c.colNames[0])})
				}
				add("pg_catalog.pg_constraint", c.oid, c.name, int64(nsPublic), string(c.typ), b(false),
					b(false), b(true), o.oid, int64(0), conindid,
					int64(0), confrelid, upd, del, match,
					b(true), int64(0), b(false), conkey, confkey, nil,
					nil, nil, nil, nil, conbin)
				add("information_schema.table_constraints", database, "public", c.name, database,
					"public", o.name, ctype, "NO", "NO", "YES", nil)
				if c.typ != 'c' {
					for i, n := range c.colNames {
						var pos any
						if c.typ == 'f' {
							pos = int64(i + 1)
						}
						add("information_schema.key_column_usage", database, "public", c.name, database,
							"public", o.name, strings.Trim(n, `"`), int64(i+1), pos)
					}
				}
				if c.typ == 'f' {
					add("information_schema.referential_constraints", database, "public", c.name,
						database, "public", pkeyName[strings.ToLower(c.refTable)], "NONE",
						ruleName(c.onUpdate), ruleName(c.onDelete))
				}
			}
		case "index":
			t := o.tableOf
			if t == nil {
				continue
			}
			for _, ix := range t.indexes {
				if ix.oid != o.oid {
					continue
				}
				class(o.oid, ix.name, nsPublic, amBtree, "i", len(ix.attnums), false, 0, false)
				for i, a := range ix.attnums {
					name, typ, typmod := "expr", colType{oidText, -1}, int64(-1)
					if a > 0 {
						c := t.cols[a-1]
						name, typ, typmod = c.name, c.typ, c.typ.typmod
					}
					tt := typeByOID[typ.oid]
					add("pg_catalog.pg_attribute", o.oid, name, typ.oid, int64(-1), tt.length, int64(i+1),
						int64(0), int64(-1), typmod, b(tt.length > 0 && tt.length <= 8), "i", "p",
						"", b(false), b(false), b(false), "",
						"", b(false), b(true), int64(0), int64(0),
						nil, nil, nil, nil)
				}
			}
		case "trigger":
			rel := int64(0)
			if o.tableOf != nil {
				rel = o.tableOf.oid
			}
			add("pg_catalog.pg_trigger", o.oid, rel, int64(0), o.name, int64(0), int64(0),
				"O", b(false), int64(0), int64(0), int64(0),
				b(false), b(false), int64(0), "", nil, nil,
				nil, nil)
		}
	}
	for i, p := range m.procs {
		add("pg_catalog.pg_proc", int64(procOIDsAt+i), p, int64(nsPGCatalog), int64(ownerOID), int64(12), float64(1),
			float64(0), int64(0), "-", "f", b(false), b(false),
			b(false), b(false), "v", "u", int64(0),
			int64(0), int64(oidText), "", nil, nil,
			nil, nil, nil, p, nil, nil,
			nil, nil)
	}
	return rows
}

// ruleName is information_schema's name of a foreign key action.
func ruleName(a string) string {
	if a == "" {
		return "NO ACTION"
	}
	return strings.ToUpper(a)
}

// myType is a SQLite declared type as MySQL's information_schema shows
// it: DATA_TYPE and COLUMN_TYPE.
func myType(decl string) (dataType, columnType string) {
	ct := typeOfDecl(decl)
	switch ct.oid {
	case oidBool:
		return "tinyint", "tinyint(1)"
	case oidInt8:
		return "bigint", "bigint"
	case oidInt4:
		if strings.HasPrefix(strings.ToUpper(strings.TrimSpace(decl)), "MEDIUMINT") {
			return "mediumint", "mediumint"
		}
		return "int", "int"
	case oidInt2:
		if d := strings.ToUpper(strings.TrimSpace(decl)); strings.HasPrefix(d, "TINYINT") {
			if strings.HasPrefix(d, "TINYINT(1)") {
				return "tinyint", "tinyint(1)"
			}
			return "tinyint", "tinyint"
		}
		return "smallint", "smallint"
	case oidFloat4:
		return "float", "float"
	case oidVarchar:
		if ct.typmod >= 4 {
			return "varchar", "varchar(" + strconv.FormatInt(ct.typmod-4, 10) + ")"
		}
		return "varchar", "varchar(255)"
	case oidBPChar:
		if ct.typmod >= 4 {
			return "char", "char(" + strconv.FormatInt(ct.typmod-4, 10) + ")"
		}
		return "char", "char(1)"
	case oidBytea:
		return "blob", "blob"
	case oidFloat8:
		return "double", "double"
	case oidTimestamp:
		return "datetime", "datetime"
	case oidDate:
		return "date", "date"
	case oidJSON:
		return "json", "json"
	case oidNumeric:
		if ct.typmod >= 4 {
			m := ct.typmod - 4
			return "decimal", "decimal(" + strconv.FormatInt(m>>16&0xffff, 10) + "," + strconv.FormatInt(m&0xffff, 10) + ")"
		}
		return "decimal", "decimal(65,30)"
	}
	return "text", "text"
}

// myIndexName is an index's name as MySQL shows it: PRIMARY for the
// primary key, a UNIQUE constraint's index named after its first column,
// and an index the MySQL front end created ("table.index" in SQLite, index
// names being per database there and per table in MySQL) by its MySQL
// name.
func myIndexName(table string, ix *index) string {
	switch {
	case ix.primary:
		return "PRIMARY"
	case ix.origin == "u" && len(ix.names) > 0:
		return strings.Trim(ix.names[0], `"`)
	case len(ix.name) > len(table)+1 && strings.EqualFold(ix.name[:len(table)+1], table+"."):
		return ix.name[len(table)+1:]
	}
	return ix.name
}

func myRows(database string, m *model) map[string][][]any {
	const is = "information_schema."
	rows := map[string][][]any{}
	for _, rel := range []string{"TABLES", "COLUMNS", "STATISTICS", "KEY_COLUMN_USAGE", "TABLE_CONSTRAINTS", "REFERENTIAL_CONSTRAINTS", "VIEWS"} {
		rows[is+rel] = [][]any{}
	}
	add := func(rel string, row ...any) { rows[is+rel] = append(rows[is+rel], row) }
	for _, o := range m.objects {
		if o.kind != "table" && o.kind != "view" {
			continue
		}
		if o.kind == "view" {
			add("TABLES", "def", database, o.name, "VIEW", nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, "VIEW")
			add("VIEWS", "def", database, o.name, viewQuery(o.sql), "NONE", "NO", OwnerName+"@%", "DEFINER", "utf8mb4", "utf8mb4_bin")
		} else {
			add("TABLES", "def", database, o.name, "BASE TABLE", "SQLite", int64(10), "Dynamic", int64(0), int64(0), int64(0), int64(0),
				int64(0), int64(0), nil, nil, nil, nil, "utf8mb4_bin", nil, "", "")
		}
		keyOf := map[int64]string{}
		for _, ix := range o.indexes {
			for i, a := range ix.attnums {
				if a == 0 {
					continue
				}
				switch {
				case ix.primary:
					keyOf[a] = "PRI"
				case ix.unique && len(ix.attnums) == 1 && keyOf[a] == "":
					keyOf[a] = "UNI"
				case i == 0 && keyOf[a] == "":
					keyOf[a] = "MUL"
				}
			}
		}
		for _, c := range o.cols {
			dataType, colType := myType(c.decl)
			nullable := "YES"
			if c.notNull || c.pk > 0 && o.kind == "table" {
				nullable = "NO"
			}
			var dflt any
			if c.dflt.Valid {
				dflt = strings.Trim(c.dflt.String, "'")
			}
			prec, scale := numericPrecision(c.typ)
			// MySQL's precisions: decimal digits for integers.
			switch dataType {
			case "bigint":
				prec = int64(19)
			case "int":
				prec = int64(10)
			case "mediumint":
				prec = int64(7)
			case "smallint":
				prec = int64(5)
			case "tinyint":
				prec = int64(3)
			}
			switch dataType {
			case "bigint", "int", "mediumint", "smallint", "tinyint":
				scale = int64(0)
			case "float":
				prec = int64(12)
			case "double":
				prec = int64(22)
			}
			length := charLength(c.typ)
			var charset, collation any
			if dataType == "text" || dataType == "varchar" || dataType == "char" {
				charset, collation = "utf8mb4", "utf8mb4_bin"
				if length == nil && dataType == "text" {
					length = int64(65535)
				}
			}
			extra := ""
			if o.rowidPK && c.pk == 1 && (c.typ.oid == oidInt8 || c.typ.oid == oidInt4) {
				extra = "auto_increment"
			}
			add("COLUMNS", "def", database, o.name, c.name, c.num, dflt, nullable, dataType, length,
				length, prec, scale, nil, charset, collation, colType, keyOf[c.num], extra,
				"select,insert,update,references", "", "", nil)
		}
		for _, ix := range o.indexes {
			name := myIndexName(o.name, ix)
			for i, a := range ix.attnums {
				col, nullable := "", ""
				var expr any
				if a > 0 {
					c := o.cols[a-1]
					col = c.name
					if !c.notNull && !ix.primary {
						nullable = "YES"
					}
				} else {
					expr, _ = indexColumns(ix.sql)
				}
				var colv any = col
				if a == 0 {
					colv = nil
				}
				add("STATISTICS", "def", database, o.name, 1-b(ix.unique), database, name, int64(i+1), colv, "A",
					nil, nil, nil, nullable, "BTREE", "", "", "YES", expr)
			}
		}
		for _, c := range o.cons {
			name, ctype := c.name, ""
			switch c.typ {
			case 'p':
				name, ctype = "PRIMARY", "PRIMARY KEY"
			case 'u':
				ctype = "UNIQUE"
				if c.index != nil {
					name = myIndexName(o.name, c.index)
				}
			case 'f':
				ctype = "FOREIGN KEY"
			case 'c':
				ctype = "CHECK"
			}
			add("TABLE_CONSTRAINTS", "def", database, name, database, o.name, ctype, "YES")
			if c.typ == 'c' {
				continue
			}
			for i, n := range c.colNames {
				var pos, refSchema, refTable, refCol any
				if c.typ == 'f' {
					pos, refSchema, refTable = int64(i+1), database, c.refTable
					if i < len(c.refCols) {
						refCol = c.refCols[i]
					}
				}
				add("KEY_COLUMN_USAGE", "def", database, name, "def", database, o.name, strings.Trim(n, `"`), int64(i+1), pos, refSchema, refTable, refCol)
			}
			if c.typ == 'f' {
				add("REFERENTIAL_CONSTRAINTS", "def", database, name, "def", database, "PRIMARY", "NONE",
					ruleName(c.onUpdate), ruleName(c.onDelete), o.name, c.refTable)
			}
		}
	}
	return rows
}
