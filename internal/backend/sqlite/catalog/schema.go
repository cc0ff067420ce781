package catalog

import (
	"context"
	"database/sql"
	"fmt"
	"sort"
	"strings"
)

// model is the main database's schema as the catalog shows it, read from
// sqlite_schema and SQLite's pragmas (readModel).
type model struct {
	version int64  // PRAGMA schema_version it was read at
	file    string // the main database's file
	base    int64  // first OID of the database's block
	objects []*object
	procs   []string // the functions the connection has, sorted
}

// object is a table, view, index or trigger of the main database.
type object struct {
	rowid int64
	oid   int64
	kind  string // table, view, index, trigger
	name  string // as PostgreSQL names it (autoindexes renamed)
	table string // the table an index or trigger is on
	sql   string
	cols  []column
	// Tables only:
	indexes []*index
	cons    []*constraint
	rowidPK bool // INTEGER PRIMARY KEY: the rowid is the key, no index
	tableOf *object
}

type column struct {
	num      int64
	name     string
	decl     string
	typ      colType
	notNull  bool
	dflt     sql.NullString
	pk       int64
	hidden   int64 // pragma_table_xinfo: 2, 3 generated
	defOID   int64
	autoIncr bool
}

type index struct {
	oid     int64
	name    string
	unique  bool
	primary bool
	origin  string // c (CREATE INDEX), u (UNIQUE), pk
	partial bool
	attnums []int64 // 0 for an expression
	names   []string
	desc    []bool // per column: sorted descending (pg_index.indoption)
	def     string // pg_get_indexdef
	sql     string
}

type constraint struct {
	oid      int64
	name     string
	typ      byte // p, u, f, c
	cols     []int64
	colNames []string
	index    *index
	refTable string
	refCols  []string
	refNums  []int64
	onUpdate string
	onDelete string
	expr     string // CHECK expression
	def      string // pg_get_constraintdef
}

// OID layout of a database's objects: object rowid r in sqlite_schema
// has base + r*objectSpan; its constraints follow it (+1 …), the
// defaults of its columns from +defaultsAt, and the primary key of a
// rowid table is +pkeyAt.
const (
	objectSpan = 32
	defaultsAt = 16
	pkeyAt     = 31
)

// readModel reads the main database's schema.
func readModel(ctx context.Context, conn *sql.Conn, base int64) (*model, error) {
	m := &model{base: base}
	if err := conn.QueryRowContext(ctx, "PRAGMA main.schema_version").Scan(&m.version); err != nil {
		return nil, err
	}
	rows, err := conn.QueryContext(ctx, `SELECT rowid, type, name, tbl_name, coalesce(sql, '') FROM main.sqlite_schema
		WHERE name NOT LIKE 'sqlite_stat%' AND name <> 'sqlite_sequence' ORDER BY rowid`)
	if err != nil {
		return nil, err
	}
	byName := map[string]*object{}
	for rows.Next() {
		o := &object{}
		if err := rows.Scan(&o.rowid, &o.kind, &o.name, &o.table, &o.sql); err != nil {
			_ = rows.Close()
			return nil, err
		}
		o.oid = base + o.rowid*objectSpan
		m.objects = append(m.objects, o)
		byName[strings.ToLower(o.name)] = o
	}
	if err := rows.Close(); err != nil {
		return nil, err
	}
	for _, o := range m.objects {
		switch o.kind {
		case "table", "view":
			if err := readColumns(ctx, conn, o); err != nil {
				return nil, err
			}
		}
	}
	for _, o := range m.objects {
		if o.kind != "table" {
			continue
		}
		if err := readIndexes(ctx, conn, o, byName); err != nil {
			return nil, err
		}
		if err := readForeignKeys(ctx, conn, o, byName); err != nil {
			return nil, err
		}
		for _, c := range checks(o.sql, o.name) {
			if len(o.cons) >= defaultsAt-1 {
				break
			}
			c.oid = o.oid + int64(len(o.cons)) + 1
			o.cons = append(o.cons, c)
		}
	}
	for _, o := range m.objects {
		if o.kind == "index" || o.kind == "trigger" {
			o.tableOf = byName[strings.ToLower(o.table)]
		}
	}
	prows, err := conn.QueryContext(ctx, "SELECT DISTINCT lower(name) FROM pragma_function_list ORDER BY 1")
	if err == nil {
		for prows.Next() {
			var n string
			if prows.Scan(&n) == nil {
				m.procs = append(m.procs, n)
			}
		}
		_ = prows.Close()
	}
	return m, nil
}

func readColumns(ctx context.Context, conn *sql.Conn, o *object) error {
	rows, err := conn.QueryContext(ctx, `SELECT name, type, "notnull", dflt_value, pk, hidden FROM pragma_table_xinfo(?, 'main') ORDER BY cid`, o.name)
	if err != nil {
		return err
	}
	defer rows.Close()
	autoIncr := strings.Contains(strings.ToUpper(o.sql), "AUTOINCREMENT")
	for rows.Next() {
		var c column
		if err := rows.Scan(&c.name, &c.decl, &c.notNull, &c.dflt, &c.pk, &c.hidden); err != nil {
			return err
		}
		if c.hidden == 1 {
			continue // a virtual table's hidden column
		}
		c.num = int64(len(o.cols)) + 1
		c.typ = typeOfDecl(c.decl)
		if c.dflt.Valid && c.num < pkeyAt-defaultsAt {
			c.defOID = o.oid + defaultsAt + c.num - 1
		}
		c.autoIncr = autoIncr && c.pk == 1
		o.cols = append(o.cols, c)
	}
	return rows.Err()
}

func (o *object) colNum(name string) int64 {
	for _, c := range o.cols {
		if strings.EqualFold(c.name, name) {
			return c.num
		}
	}
	return 0
}

func readIndexes(ctx context.Context, conn *sql.Conn, o *object, byName map[string]*object) error {
	rows, err := conn.QueryContext(ctx, `SELECT name, "unique", origin, partial FROM pragma_index_list(?, 'main') ORDER BY seq DESC`, o.name)
	if err != nil {
		return err
	}
	var idxs []*index
	for rows.Next() {
		ix := &index{}
		if err := rows.Scan(&ix.name, &ix.unique, &ix.origin, &ix.partial); err != nil {
			_ = rows.Close()
			return err
		}
		idxs = append(idxs, ix)
	}
	if err := rows.Close(); err != nil {
		return err
	}
	hasPKIndex := false
	for _, ix := range idxs {
		io := byName[strings.ToLower(ix.name)]
		if io == nil {
			continue
		}
		ix.oid = io.oid
		ix.sql = io.sql
		crows, err := conn.QueryContext(ctx, `SELECT cid, coalesce(name, ''), "desc" FROM pragma_index_xinfo(?, 'main') WHERE key ORDER BY seqno`, ix.name)
		if err != nil {
			return err
		}
		for crows.Next() {
			var cid int64
			var name string
			var desc bool
			if err := crows.Scan(&cid, &name, &desc); err != nil {
				_ = crows.Close()
				return err
			}
			if cid < 0 {
				ix.attnums = append(ix.attnums, 0)
			} else {
				ix.attnums = append(ix.attnums, o.colNum(name))
			}
			ix.names = append(ix.names, quoteIdent(name))
			ix.desc = append(ix.desc, desc)
		}
		if err := crows.Close(); err != nil {
			return err
		}
		switch ix.origin {
		case "pk":
			ix.primary, hasPKIndex = true, true
			ix.name = o.name + "_pkey"
		case "u":
			ix.name = o.name + "_" + strings.Join(unquoteAll(ix.names), "_") + "_key"
		}
		io.name = ix.name
		o.indexes = append(o.indexes, ix)
	}
	var pkCols []column
	for _, c := range o.cols {
		if c.pk > 0 {
			pkCols = append(pkCols, c)
		}
	}
	sort.Slice(pkCols, func(i, j int) bool { return pkCols[i].pk < pkCols[j].pk })
	if len(pkCols) > 0 && !hasPKIndex {
		// INTEGER PRIMARY KEY: the rowid is the key; PostgreSQL would show
		// an index, so the catalog shows one.
		o.rowidPK = true
		ix := &index{oid: o.oid + pkeyAt, name: o.name + "_pkey", unique: true, primary: true, origin: "pk"}
		for _, c := range pkCols {
			ix.attnums = append(ix.attnums, c.num)
			ix.names = append(ix.names, quoteIdent(c.name))
		}
		o.indexes = append([]*index{ix}, o.indexes...)
	}
	for _, ix := range o.indexes {
		ix.def = indexDef(o, ix)
		var typ byte
		switch ix.origin {
		case "pk":
			typ = 'p'
		case "u":
			typ = 'u'
		default:
			continue
		}
		if len(o.cons) >= defaultsAt-1 {
			continue
		}
		c := &constraint{oid: o.oid + int64(len(o.cons)) + 1, name: ix.name, typ: typ, cols: ix.attnums, colNames: ix.names, index: ix}
		if typ == 'p' {
			c.def = "PRIMARY KEY (" + strings.Join(ix.names, ", ") + ")"
		} else {
			c.def = "UNIQUE (" + strings.Join(ix.names, ", ") + ")"
		}
		o.cons = append(o.cons, c)
	}
	return nil
}

// indexDef is pg_get_indexdef's text for an index of table o.
func indexDef(o *object, ix *index) string {
	var b strings.Builder
	b.WriteString("CREATE ")
	if ix.unique {
		b.WriteString("UNIQUE ")
	}
	fmt.Fprintf(&b, "INDEX %s ON public.%s USING btree (", quoteIdent(ix.name), quoteIdent(o.name))
	cols := strings.Join(ix.names, ", ")
	if ix.sql != "" {
		// Written by CREATE INDEX: its own column list (expressions, order).
		if list, where := indexColumns(ix.sql); list != "" {
			cols = list
			if where != "" {
				b.WriteString(cols + ") WHERE " + where)
				return b.String()
			}
		}
	}
	b.WriteString(cols + ")")
	return b.String()
}

func readForeignKeys(ctx context.Context, conn *sql.Conn, o *object, byName map[string]*object) error {
	rows, err := conn.QueryContext(ctx, `SELECT id, "table", "from", coalesce("to", ''), on_update, on_delete FROM pragma_foreign_key_list(?, 'main') ORDER BY id, seq`, o.name)
	if err != nil {
		return err
	}
	defer rows.Close()
	var cur *constraint
	curID := int64(-1)
	var fks []*constraint
	for rows.Next() {
		var id int64
		var ref, from, to, onUpd, onDel string
		if err := rows.Scan(&id, &ref, &from, &to, &onUpd, &onDel); err != nil {
			return err
		}
		if id != curID {
			curID = id
			cur = &constraint{typ: 'f', refTable: ref, onUpdate: onUpd, onDelete: onDel}
			fks = append(fks, cur)
		}
		cur.cols = append(cur.cols, o.colNum(from))
		cur.colNames = append(cur.colNames, quoteIdent(from))
		cur.refCols = append(cur.refCols, to)
	}
	if err := rows.Err(); err != nil {
		return err
	}
	// pragma_foreign_key_list lists the last declared first.
	for i := len(fks) - 1; i >= 0; i-- {
		c := fks[i]
		if len(o.cons) >= defaultsAt-1 {
			break
		}
		c.oid = o.oid + int64(len(o.cons)) + 1
		c.name = o.name + "_" + strings.Join(unquoteAll(c.colNames), "_") + "_fkey"
		ref := byName[strings.ToLower(c.refTable)]
		for j, rc := range c.refCols {
			if rc == "" && ref != nil {
				// REFERENCES t without columns: t's primary key.
				for _, col := range ref.cols {
					if col.pk == int64(j+1) {
						rc = col.name
					}
				}
				c.refCols[j] = rc
			}
			if ref != nil {
				c.refNums = append(c.refNums, ref.colNum(rc))
			}
		}
		var quoted []string
		for _, rc := range c.refCols {
			quoted = append(quoted, quoteIdent(rc))
		}
		c.def = fmt.Sprintf("FOREIGN KEY (%s) REFERENCES %s(%s)", strings.Join(c.colNames, ", "), quoteIdent(c.refTable), strings.Join(quoted, ", "))
		if c.onUpdate != "" && c.onUpdate != "NO ACTION" {
			c.def += " ON UPDATE " + c.onUpdate
		}
		if c.onDelete != "" && c.onDelete != "NO ACTION" {
			c.def += " ON DELETE " + c.onDelete
		}
		o.cons = append(o.cons, c)
	}
	return nil
}

// fkAction is pg_constraint's code of a foreign key action.
func fkAction(a string) string {
	switch strings.ToUpper(a) {
	case "CASCADE":
		return "c"
	case "SET NULL":
		return "n"
	case "SET DEFAULT":
		return "d"
	case "RESTRICT":
		return "r"
	}
	return "a"
}

func unquoteAll(names []string) []string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = strings.Trim(n, `"`)
	}
	return out
}

// quoteIdent quotes a name as PostgreSQL's quote_ident does when it is
// not a plain lower-case identifier.
func quoteIdent(s string) string {
	if s == "" {
		return `""`
	}
	plain := true
	for i, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r == '_':
		case r >= '0' && r <= '9' && i > 0:
		default:
			plain = false
		}
	}
	if plain && !reserved[s] {
		return s
	}
	return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
}

// reserved are PostgreSQL's reserved key words, which quote_ident quotes.
var reserved = func() map[string]bool {
	m := map[string]bool{}
	for w := range strings.FieldsSeq(`all analyse analyze and any array as asc asymmetric both case cast check collate
		column constraint create current_catalog current_date current_role current_time current_timestamp current_user
		default deferrable desc distinct do else end except false fetch for foreign from grant group having in initially
		intersect into lateral leading limit localtime localtimestamp not null offset on only or order placing primary
		references returning select session_user some symmetric table then to trailing true union unique user using
		variadic when where window with`) {
		m[w] = true
	}
	return m
}()
