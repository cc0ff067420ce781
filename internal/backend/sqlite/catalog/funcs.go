package catalog

import (
	"database/sql/driver"
	"fmt"
	"hash/fnv"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	sqlite3 "modernc.org/sqlite"
)

// SQLite functions are registered with the driver for the whole process
// and see only their arguments, not the connection that calls them. The
// catalog functions that need a database's objects (pg_get_indexdef,
// floe_regclass …) therefore read a snapshot of each database's schema
// kept in the registry below, the one piece of process-wide state here:
// each database has a block of OIDs of its own (from a hash of its name,
// so stable across restarts), an object's OID names its database, and a
// snapshot is immutable, swapped whole (atomic.Pointer) when a session
// sees the schema change. Readers never lock.

const (
	userOIDsAt = 16384
	blockBits  = 19 // OIDs per database: 2^19
	nBlocks    = 4094
)

type snapshot struct {
	file     string // the database's file: a snapshot of another is replaced
	version  int64
	rels     map[int64]snapRel    // tables, views, indexes
	cons     map[int64]string     // pg_get_constraintdef
	trigs    map[int64]string     // pg_get_triggerdef
	byName   map[string][]int64   // lower-case relation name → OIDs
	exact    map[string]int64     // relation name as stored → OID
	procs    map[int64]string     // pg_proc OID → name
	procOIDs map[string]int64     // name → pg_proc OID
	attrs    map[int64]([]string) // relation OID → column names
}

type snapRel struct {
	name string
	kind byte // r, v, i
	def  string
}

var registry struct {
	mu      sync.Mutex
	blocks  map[string]int64 // database → block
	owners  map[int64]string // block → database
	current [nBlocks]atomic.Pointer[snapshot]
}

// blockOf is the database's block of OIDs: a hash of its name, the next
// free one when another database has it.
func blockOf(database string) int64 {
	registry.mu.Lock()
	defer registry.mu.Unlock()
	if registry.blocks == nil {
		registry.blocks, registry.owners = map[string]int64{}, map[int64]string{}
	}
	if blk, ok := registry.blocks[database]; ok {
		return blk
	}
	h := fnv.New32a()
	_, _ = h.Write([]byte(database))
	blk := int64(h.Sum32() % nBlocks)
	for {
		if _, taken := registry.owners[blk]; !taken {
			break
		}
		blk = (blk + 1) % nBlocks
	}
	registry.blocks[database], registry.owners[blk] = blk, database
	return blk
}

func blockBase(blk int64) int64 { return userOIDsAt + blk<<blockBits }

func snapshotOf(oid int64) *snapshot {
	if oid < userOIDsAt {
		return nil
	}
	blk := (oid - userOIDsAt) >> blockBits
	if blk >= nBlocks {
		return nil
	}
	return registry.current[blk].Load()
}

func published(blk int64, file string, version int64) bool {
	s := registry.current[blk].Load()
	return s != nil && s.file == file && s.version == version
}

// publish makes m the snapshot of its database unless a snapshot of a
// later schema version is there already (another session read the
// schema after this one did). Versions only go back when DDL is rolled
// back: the objects it made may then stay in the snapshot, unseen by
// any relation, until a session refreshes at that version again.
func publish(blk int64, m *model) {
	s := snapshotOfModel(m)
	for {
		cur := registry.current[blk].Load()
		if cur != nil && cur.file == m.file && cur.version > m.version {
			return
		}
		if registry.current[blk].CompareAndSwap(cur, s) {
			return
		}
	}
}

func snapshotOfModel(m *model) *snapshot {
	s := &snapshot{
		file: m.file, version: m.version, rels: map[int64]snapRel{}, cons: map[int64]string{}, trigs: map[int64]string{},
		byName: map[string][]int64{}, exact: map[string]int64{}, procs: map[int64]string{}, procOIDs: map[string]int64{},
		attrs: map[int64][]string{},
	}
	rel := func(oid int64, name string, kind byte, def string) {
		s.rels[oid] = snapRel{name, kind, def}
		s.byName[strings.ToLower(name)] = append(s.byName[strings.ToLower(name)], oid)
		s.exact[name] = oid
	}
	for _, o := range m.objects {
		switch o.kind {
		case "table", "view":
			kind, def := byte('r'), ""
			if o.kind == "view" {
				kind, def = 'v', viewQuery(o.sql)
			}
			rel(o.oid, o.name, kind, def)
			names := make([]string, len(o.cols))
			for i, c := range o.cols {
				names[i] = c.name
			}
			s.attrs[o.oid] = names
			for _, ix := range o.indexes {
				rel(ix.oid, ix.name, 'i', ix.def)
			}
			for _, c := range o.cons {
				s.cons[c.oid] = c.def
			}
		case "trigger":
			s.trigs[o.oid] = o.sql
		}
	}
	for i, p := range m.procs {
		s.procs[int64(procOIDsAt+i)] = p
		s.procOIDs[p] = int64(procOIDsAt + i)
	}
	return s
}

var registerOnce sync.Once

// RegisterFunctions registers the catalog functions with the SQLite
// driver (once per process; connections opened afterwards have them).
func RegisterFunctions() {
	registerOnce.Do(func() {
		for name, f := range functions {
			if err := sqlite3.RegisterFunction(name, &sqlite3.FunctionImpl{NArgs: -1, Scalar: f, Deterministic: false}); err != nil {
				panic(fmt.Sprintf("catalog: registering %s: %v", name, err))
			}
		}
	})
}

type scalar = func(*sqlite3.FunctionContext, []driver.Value) (driver.Value, error)

// arity wraps f so that it takes between lo and hi arguments.
func arity(name string, lo, hi int, f func([]driver.Value) (driver.Value, error)) scalar {
	return func(_ *sqlite3.FunctionContext, args []driver.Value) (driver.Value, error) {
		if len(args) < lo || len(args) > hi {
			return nil, fmt.Errorf("function %s does not take %d arguments", name, len(args))
		}
		return f(args)
	}
}

func intArg(v driver.Value) (int64, bool) {
	switch x := v.(type) {
	case int64:
		return x, true
	case float64:
		return int64(x), x == float64(int64(x))
	case string:
		n, err := strconv.ParseInt(strings.TrimSpace(x), 10, 64)
		return n, err == nil
	case []byte:
		n, err := strconv.ParseInt(strings.TrimSpace(string(x)), 10, 64)
		return n, err == nil
	case bool:
		return b(x), true
	}
	return 0, false
}

func textArg(v driver.Value) (string, bool) {
	switch x := v.(type) {
	case string:
		return x, true
	case []byte:
		return string(x), true
	}
	return "", false
}

// oidFunc is a function of an OID: NULL in, NULL out.
func oidFunc(name string, lo, hi int, f func(oid int64, args []driver.Value) (driver.Value, error)) scalar {
	return arity(name, lo, hi, func(args []driver.Value) (driver.Value, error) {
		oid, ok := intArg(args[0])
		if args[0] == nil || !ok {
			return nil, nil
		}
		return f(oid, args)
	})
}

func constant(name string, lo, hi int, v driver.Value) scalar {
	return arity(name, lo, hi, func([]driver.Value) (driver.Value, error) { return v, nil })
}

var functions = map[string]scalar{
	"format_type": arity("format_type", 2, 2, func(args []driver.Value) (driver.Value, error) {
		oid, ok := intArg(args[0])
		if args[0] == nil || !ok {
			return nil, nil
		}
		typmod := int64(-1)
		if n, ok := intArg(args[1]); ok && args[1] != nil {
			typmod = n
		}
		return formatType(oid, typmod), nil
	}),
	"pg_get_expr": arity("pg_get_expr", 2, 3, func(args []driver.Value) (driver.Value, error) {
		// The catalog keeps expressions (adbin, conbin, indpred) as text.
		if s, ok := textArg(args[0]); ok {
			return s, nil
		}
		return args[0], nil
	}),
	"pg_get_indexdef": oidFunc("pg_get_indexdef", 1, 3, func(oid int64, args []driver.Value) (driver.Value, error) {
		s := snapshotOf(oid)
		if s == nil {
			return nil, nil
		}
		r, ok := s.rels[oid]
		if !ok || r.kind != 'i' {
			return nil, nil
		}
		if len(args) == 3 {
			// pg_get_indexdef(index, column, pretty): one column's text.
			if col, ok := intArg(args[1]); ok && col > 0 {
				if list := indexDefColumns(r.def); int(col) <= len(list) {
					return indexKeyOnly(list[col-1]), nil
				}
				return "", nil
			}
		}
		return r.def, nil
	}),
	"pg_get_constraintdef": oidFunc("pg_get_constraintdef", 1, 2, func(oid int64, _ []driver.Value) (driver.Value, error) {
		if s := snapshotOf(oid); s != nil {
			if def, ok := s.cons[oid]; ok {
				return def, nil
			}
		}
		return nil, nil
	}),
	"pg_get_viewdef": arity("pg_get_viewdef", 1, 2, func(args []driver.Value) (driver.Value, error) {
		oid, ok := intArg(args[0])
		if !ok {
			name, _ := textArg(args[0])
			var err error
			if oid, err = resolveRel(name); err != nil {
				return nil, err
			}
		}
		if s := snapshotOf(oid); s != nil {
			if r, ok := s.rels[oid]; ok && r.kind == 'v' {
				return r.def, nil
			}
		}
		return nil, nil
	}),
	"pg_get_triggerdef": oidFunc("pg_get_triggerdef", 1, 2, func(oid int64, _ []driver.Value) (driver.Value, error) {
		if s := snapshotOf(oid); s != nil {
			if def, ok := s.trigs[oid]; ok {
				return def, nil
			}
		}
		return nil, nil
	}),
	"pg_get_userbyid": oidFunc("pg_get_userbyid", 1, 1, func(oid int64, _ []driver.Value) (driver.Value, error) {
		if oid == ownerOID {
			return OwnerName, nil
		}
		return fmt.Sprintf("unknown (OID=%d)", oid), nil
	}),
	"pg_table_is_visible":    oidFunc("pg_table_is_visible", 1, 1, tableVisible),
	"pg_type_is_visible":     oidFunc("pg_type_is_visible", 1, 1, visible),
	"pg_function_is_visible": oidFunc("pg_function_is_visible", 1, 1, visible),
	"obj_description":        constant("obj_description", 1, 2, nil),
	// No column has a sequence: an INTEGER PRIMARY KEY is numbered by
	// SQLite's rowid.
	"pg_get_serial_sequence": constant("pg_get_serial_sequence", 2, 2, nil),
	"col_description":        constant("col_description", 2, 2, nil),
	"shobj_description":      constant("shobj_description", 2, 2, nil),
	"pg_encoding_to_char": arity("pg_encoding_to_char", 1, 1, func(args []driver.Value) (driver.Value, error) {
		if n, ok := intArg(args[0]); ok && n == 6 {
			return "UTF8", nil
		}
		return "", nil
	}),
	"pg_char_to_encoding": arity("pg_char_to_encoding", 1, 1, func(args []driver.Value) (driver.Value, error) {
		if s, _ := textArg(args[0]); strings.EqualFold(s, "UTF8") || strings.EqualFold(s, "UTF-8") {
			return int64(6), nil
		}
		return int64(-1), nil
	}),
	// The privilege functions say yes: the statement pipeline's policy,
	// which a function cannot ask, still decides every statement.
	"has_table_privilege":      constant("has_table_privilege", 2, 3, int64(1)),
	"has_schema_privilege":     constant("has_schema_privilege", 2, 3, int64(1)),
	"has_database_privilege":   constant("has_database_privilege", 2, 3, int64(1)),
	"has_column_privilege":     constant("has_column_privilege", 3, 4, int64(1)),
	"has_any_column_privilege": constant("has_any_column_privilege", 2, 3, int64(1)),
	"has_function_privilege":   constant("has_function_privilege", 2, 3, int64(1)),
	"has_sequence_privilege":   constant("has_sequence_privilege", 2, 3, int64(1)),
	"pg_has_role":              constant("pg_has_role", 2, 3, int64(1)),
	// A relation of an embedded database has no partitions: its only
	// "ancestor" is itself.
	"pg_partition_ancestors":             oidFunc("pg_partition_ancestors", 1, 1, func(oid int64, _ []driver.Value) (driver.Value, error) { return oid, nil }),
	"pg_partition_root":                  oidFunc("pg_partition_root", 1, 1, func(oid int64, _ []driver.Value) (driver.Value, error) { return oid, nil }),
	"pg_relation_is_publishable":         constant("pg_relation_is_publishable", 1, 1, int64(0)),
	"pg_get_statisticsobjdef_columns":    constant("pg_get_statisticsobjdef_columns", 1, 1, nil),
	"pg_get_partkeydef":                  constant("pg_get_partkeydef", 1, 1, nil),
	"pg_get_function_result":             oidFunc("pg_get_function_result", 1, 1, func(int64, []driver.Value) (driver.Value, error) { return "text", nil }),
	"pg_get_function_arguments":          oidFunc("pg_get_function_arguments", 1, 1, func(int64, []driver.Value) (driver.Value, error) { return "", nil }),
	"pg_get_function_identity_arguments": oidFunc("pg_get_function_identity_arguments", 1, 1, func(int64, []driver.Value) (driver.Value, error) { return "", nil }),
	"current_schemas": arity("current_schemas", 1, 1, func(args []driver.Value) (driver.Value, error) {
		if n, _ := intArg(args[0]); n != 0 {
			return `["pg_catalog","public"]`, nil
		}
		return `["public"]`, nil
	}),
	// Sizes: SQLite keeps no per-table size the catalog can read cheaply.
	"pg_relation_size":       oidFunc("pg_relation_size", 1, 2, relSize),
	"pg_total_relation_size": oidFunc("pg_total_relation_size", 1, 1, relSize),
	"pg_table_size":          oidFunc("pg_table_size", 1, 1, relSize),
	"pg_indexes_size":        oidFunc("pg_indexes_size", 1, 1, relSize),
	"pg_size_pretty": arity("pg_size_pretty", 1, 1, func(args []driver.Value) (driver.Value, error) {
		n, ok := intArg(args[0])
		if args[0] == nil || !ok {
			return nil, nil
		}
		return sizePretty(n), nil
	}),
	"floe_regclass":     regFunc("regclass", relName, resolveRel),
	"floe_regtype":      regFunc("regtype", typName, resolveType),
	"floe_regproc":      regFunc("regproc", procName, resolveProc),
	"floe_regprocedure": regFunc("regprocedure", func(oid int64) (string, bool) { n, ok := procName(oid); return n + "()", ok }, resolveProc),
	"floe_regoper":      regFunc("regoper", operName, resolveOper),
	"floe_regnamespace": regFunc("regnamespace", nspName, resolveNamespace),
	"floe_regrole":      regFunc("regrole", roleName, resolveRole),
}

func visible(oid int64, _ []driver.Value) (driver.Value, error) { return int64(1), nil }

// tableVisible is pg_table_is_visible: the search path is pg_catalog and
// public, so the relations of information_schema are not visible (psql's
// \dp lists only visible relations outside pg_catalog).
func tableVisible(oid int64, _ []driver.Value) (driver.Value, error) {
	if at := int64(relOIDsAt + 500); oid >= at && oid < at+int64(len(pgInformationSchema)) {
		return int64(0), nil
	}
	return int64(1), nil
}

func relSize(oid int64, _ []driver.Value) (driver.Value, error) {
	if s := snapshotOf(oid); s != nil {
		if _, ok := s.rels[oid]; ok {
			return int64(0), nil
		}
	}
	if oid < userOIDsAt {
		return int64(0), nil
	}
	return nil, nil
}

// sizePretty is pg_size_pretty's text: bytes up to 10240, then kB, MB,
// GB, TB, each rounded half up.
func sizePretty(n int64) string {
	units := []string{"bytes", "kB", "MB", "GB", "TB", "PB"}
	neg := n < 0
	if neg {
		n = -n
	}
	v, u := n, 0
	if v >= 10*1024 {
		for u < len(units)-1 && v >= 10*1024-512 {
			// Round half up at each step, as PostgreSQL does.
			v = (v + 512) / 1024
			u++
			if v < 10*1024 {
				break
			}
		}
	}
	if neg {
		v = -v
	}
	return strconv.FormatInt(v, 10) + " " + units[u]
}

// regFunc is a floe_reg* function: an integer in gives the object's name
// (the number itself when there is none, as PostgreSQL prints), a text
// gives the object's OID (an error when there is none).
func regFunc(kind string, name func(int64) (string, bool), resolve func(string) (int64, error)) scalar {
	return arity("floe_"+kind, 1, 1, func(args []driver.Value) (driver.Value, error) {
		switch x := args[0].(type) {
		case nil:
			return nil, nil
		case int64, float64:
			oid, _ := intArg(x)
			if n, ok := name(oid); ok {
				return n, nil
			}
			return strconv.FormatInt(oid, 10), nil
		}
		s, _ := textArg(args[0])
		if n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64); err == nil {
			return n, nil
		}
		oid, err := resolve(s)
		if err != nil {
			return nil, err
		}
		return oid, nil
	})
}

// splitName splits a possibly qualified, possibly quoted name; unquoted
// parts fold to lower case (exact reports a quoted last part).
func splitName(s string) (schema, name string, exact bool) {
	s = strings.TrimSpace(s)
	var parts []string
	var cur strings.Builder
	quoted, wasQuoted := false, false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' && quoted && i+1 < len(s) && s[i+1] == '"':
			cur.WriteByte('"')
			i++
		case c == '"':
			quoted = !quoted
			wasQuoted = true
		case c == '.' && !quoted:
			parts = append(parts, cur.String())
			cur.Reset()
			wasQuoted = false
		case !quoted:
			cur.WriteString(strings.ToLower(string(c)))
		default:
			cur.WriteByte(c)
		}
	}
	parts = append(parts, cur.String())
	name = parts[len(parts)-1]
	if len(parts) > 1 {
		schema = parts[len(parts)-2]
	}
	return schema, name, wasQuoted
}

func relName(oid int64) (string, bool) {
	if s := snapshotOf(oid); s != nil {
		if r, ok := s.rels[oid]; ok {
			return quoteIdent(r.name), true
		}
	}
	for name, o := range catalogRelOID {
		if o == oid {
			return strings.TrimPrefix(name, "information_schema."), true
		}
	}
	return "", false
}

// resolveRel finds a relation by name among the databases' snapshots;
// a name several databases have is ambiguous (its OID is not).
func resolveRel(text string) (int64, error) {
	schema, name, exact := splitName(text)
	switch schema {
	case "information_schema":
		if oid, ok := catalogRelOID["information_schema."+name]; ok {
			return oid, nil
		}
		return 0, fmt.Errorf("relation %q does not exist", text)
	case "pg_catalog", "":
		// pg_catalog comes first on PostgreSQL's search path.
		if oid, ok := catalogRelOID[name]; ok && !strings.Contains(name, ".") {
			return oid, nil
		}
		if schema != "" {
			return 0, fmt.Errorf("relation %q does not exist", text)
		}
	case "public":
	default:
		return 0, fmt.Errorf("relation %q does not exist", text)
	}
	var found []int64
	for blk := range registry.current {
		s := registry.current[blk].Load()
		if s == nil {
			continue
		}
		if exact {
			if oid, ok := s.exact[name]; ok {
				found = append(found, oid)
			}
			continue
		}
		found = append(found, s.byName[name]...)
	}
	switch len(found) {
	case 0:
		return 0, fmt.Errorf("relation %q does not exist", text)
	case 1:
		return found[0], nil
	}
	return 0, fmt.Errorf("relation name %q is ambiguous among the embedded databases: use its OID", text)
}

func typName(oid int64) (string, bool) {
	if _, ok := typeByOID[oid]; ok {
		return formatType(oid, -1), true
	}
	return "", false
}

func resolveType(text string) (int64, error) {
	_, name, _ := splitName(text)
	if i := strings.IndexByte(name, '('); i > 0 {
		name = strings.TrimSpace(name[:i])
	}
	if oid, ok := typeNames[strings.TrimSpace(name)]; ok {
		return oid, nil
	}
	return 0, fmt.Errorf("type %q does not exist", text)
}

func procName(oid int64) (string, bool) {
	for blk := range registry.current {
		if s := registry.current[blk].Load(); s != nil {
			if n, ok := s.procs[oid]; ok {
				return n, true
			}
		}
	}
	return "", false
}

func resolveProc(text string) (int64, error) {
	_, name, _ := splitName(text)
	if i := strings.IndexByte(name, '('); i > 0 {
		name = name[:i]
	}
	for blk := range registry.current {
		if s := registry.current[blk].Load(); s != nil {
			if oid, ok := s.procOIDs[name]; ok {
				return oid, nil
			}
		}
	}
	return 0, fmt.Errorf("function %q does not exist", text)
}

var operators = map[int64]string{410: "=", 98: "=", 641: "~"}

func operName(oid int64) (string, bool) { n, ok := operators[oid]; return n, ok }

func resolveOper(text string) (int64, error) {
	_, name, _ := splitName(text)
	for oid, n := range operators {
		if n == name {
			return oid, nil
		}
	}
	return 0, fmt.Errorf("operator %q does not exist", text)
}

var namespaces = map[int64]string{nsPGCatalog: "pg_catalog", nsPublic: "public", nsInfoSchema: "information_schema"}

func nspName(oid int64) (string, bool) { n, ok := namespaces[oid]; return n, ok }

func resolveNamespace(text string) (int64, error) {
	_, name, _ := splitName(text)
	for oid, n := range namespaces {
		if n == name {
			return oid, nil
		}
	}
	return 0, fmt.Errorf("schema %q does not exist", text)
}

func roleName(oid int64) (string, bool) {
	if oid == ownerOID {
		return OwnerName, true
	}
	return "", false
}

func resolveRole(text string) (int64, error) {
	if _, name, _ := splitName(text); name == OwnerName {
		return ownerOID, nil
	}
	return 0, fmt.Errorf("role %q does not exist", text)
}

// indexDefColumns are the columns of an index definition's list.
func indexDefColumns(def string) []string {
	list, _ := indexColumns(def)
	var out []string
	depth, start := 0, 0
	for i := 0; i < len(list); i++ {
		switch list[i] {
		case '(':
			depth++
		case ')':
			depth--
		case ',':
			if depth == 0 {
				out = append(out, strings.TrimSpace(list[start:i]))
				start = i + 1
			}
		}
	}
	return append(out, strings.TrimSpace(list[start:]))
}

// indexKeyOnly is an index column's definition without its ordering and
// collation (ASC, DESC, NULLS FIRST/LAST, COLLATE name), as
// pg_get_indexdef(index, column, pretty) prints one column.
func indexKeyOnly(col string) string {
	for {
		col = strings.TrimSpace(col)
		up := strings.ToUpper(col)
		cut := -1
		for _, suffix := range []string{" ASC", " DESC", " NULLS FIRST", " NULLS LAST"} {
			if strings.HasSuffix(up, suffix) {
				cut = len(col) - len(suffix)
			}
		}
		if i := strings.LastIndex(up, " COLLATE "); cut < 0 && i > 0 && strings.Count(col[:i], "(") == strings.Count(col[:i], ")") {
			if rest := strings.TrimSpace(col[i+len(" COLLATE "):]); rest != "" && !strings.ContainsAny(rest, " ()") {
				cut = i
			}
		}
		if cut < 0 {
			return col
		}
		col = col[:cut]
	}
}
