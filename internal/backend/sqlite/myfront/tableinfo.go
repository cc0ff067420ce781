package myfront

import (
	"cmp"
	"context"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/pingcap/tidb/pkg/parser/ast"

	"github.com/floe-db/floe/internal/backend/sqlite"
	"github.com/floe-db/floe/internal/sqlerr"
	"github.com/floe-db/floe/internal/wire/mysqlwire"
)

// tableInfo is a table as DESCRIBE, SHOW INDEX and SHOW CREATE TABLE show
// it, read from SQLite's pragmas and described in MySQL's terms.
type tableInfo struct {
	name    string
	view    bool
	sql     string // a view's definition
	cols    []colInfo
	indexes []indexInfo
	fks     []fkInfo
}

type colInfo struct {
	name    string
	myType  string // as MySQL shows it: int(11), varchar(20), decimal(10,2)
	notNull bool
	pk      int    // position in the primary key, 0 if none
	dflt    any    // the default as DESCRIBE shows it (nil: NULL)
	dfltSQL string // … and as SHOW CREATE TABLE writes it ("" none)
	auto    bool   // the rowid: AUTO_INCREMENT
}

type indexInfo struct {
	name    string
	unique  bool
	primary bool
	seq     int
	cols    []string
}

type fkInfo struct {
	id       int
	table    string
	from, to []string
	onUpdate string
	onDelete string
}

func (t *tableInfo) col(name string) *colInfo {
	for i := range t.cols {
		if strings.EqualFold(t.cols[i].name, name) {
			return &t.cols[i]
		}
	}
	return nil
}

// key is DESCRIBE's Key column: PRI, UNI (the one column of a unique
// index), MUL (the first column of another index) or "".
func (t *tableInfo) key(c colInfo) string {
	if c.pk > 0 {
		return "PRI"
	}
	uni, mul := false, false
	for _, ix := range t.indexes {
		if len(ix.cols) == 0 || !strings.EqualFold(ix.cols[0], c.name) {
			continue
		}
		if ix.unique && len(ix.cols) == 1 {
			uni = true
		} else {
			mul = true
		}
	}
	switch {
	case uni:
		return "UNI"
	case mul:
		return "MUL"
	}
	return ""
}

var declParts = regexp.MustCompile(`^\s*([A-Za-z][A-Za-z ]*?)\s*(?:\(\s*(\d+)\s*(?:,\s*(\d+)\s*)?\))?\s*(UNSIGNED)?\s*$`)

// intWidths are MySQL's display widths of the integer types (signed,
// unsigned), as MariaDB shows them.
var intWidths = map[string][2]int{
	"tinyint": {4, 3}, "smallint": {6, 5}, "mediumint": {9, 8}, "int": {11, 10}, "bigint": {20, 20},
}

// myColumnType is the MySQL type DESCRIBE shows for a SQLite declared type.
func myColumnType(decl string) string {
	m := declParts.FindStringSubmatch(decl)
	if m == nil {
		if decl == "" {
			return "text"
		}
		return strings.ToLower(decl)
	}
	base := strings.ToLower(strings.Join(strings.Fields(m[1]), " "))
	unsigned := m[4] != ""
	suffix := ""
	if unsigned {
		suffix = " unsigned"
	}
	switch base {
	case "integer":
		base = "int"
	case "bool", "boolean":
		return "tinyint(1)"
	case "real", "double precision":
		return "double" + suffix
	case "numeric", "dec", "fixed":
		base = "decimal"
	}
	if w, ok := intWidths[base]; ok {
		n := w[0]
		if unsigned {
			n = w[1]
		}
		if m[2] != "" {
			n, _ = strconv.Atoi(m[2])
		}
		return base + "(" + strconv.Itoa(n) + ")" + suffix
	}
	switch base {
	case "decimal":
		p, s := "10", "0"
		if m[2] != "" {
			p = m[2]
		}
		if m[3] != "" {
			s = m[3]
		}
		return "decimal(" + p + "," + s + ")" + suffix
	case "char":
		if m[2] == "" {
			return "char(1)"
		}
	}
	if m[2] != "" {
		base += "(" + m[2]
		if m[3] != "" {
			base += "," + m[3]
		}
		base += ")"
	}
	return base + suffix
}

func isTextType(t string) bool {
	return strings.Contains(t, "char") || strings.Contains(t, "text") || strings.HasPrefix(t, "enum") || strings.HasPrefix(t, "set")
}

// myDefault reads SQLite's text of a column default: the value DESCRIBE
// shows and the text SHOW CREATE TABLE writes.
func myDefault(sql string, valid bool) (any, string) {
	if !valid {
		return nil, ""
	}
	s := strings.TrimSpace(sql)
	for len(s) > 1 && s[0] == '(' && s[len(s)-1] == ')' {
		s = strings.TrimSpace(s[1 : len(s)-1])
	}
	switch u := strings.ToUpper(s); {
	case u == "NULL":
		return nil, "NULL"
	case u == "CURRENT_TIMESTAMP" || u == "DATETIME('NOW')" || u == "DATETIME('NOW', 'LOCALTIME')":
		return "current_timestamp()", "current_timestamp()"
	case u == "CURRENT_DATE" || u == "DATE('NOW')":
		return "curdate()", "curdate()"
	case len(s) >= 2 && s[0] == '\'' && s[len(s)-1] == '\'':
		v := strings.ReplaceAll(s[1:len(s)-1], "''", "'")
		return v, "'" + strings.ReplaceAll(strings.ReplaceAll(v, `\`, `\\`), "'", "''") + "'"
	}
	return s, s
}

// tableInfo reads a table's (or view's) definition.
func (s *mySession) tableInfo(ctx context.Context, tn *ast.TableName) (*tableInfo, error) {
	if tn == nil {
		return nil, mysqlwire.Errorf(mysqlwire.ErParse, "You have an error in your SQL syntax: a table name is expected")
	}
	if tn.Schema.O != "" && !strings.EqualFold(tn.Schema.O, s.c.Database) {
		return nil, mysqlwire.Errorf(sqlerr.ErNoSuchTable, "Table '%s.%s' doesn't exist", tn.Schema.O, tn.Name.O)
	}
	t := &tableInfo{}
	var typ string
	err := s.conn.QueryRowContext(ctx, "SELECT name, type, coalesce(sql, '') FROM sqlite_schema WHERE type IN ('table','view') AND name = ? COLLATE NOCASE AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'", tn.Name.O).
		Scan(&t.name, &typ, &t.sql)
	if err != nil {
		return nil, mysqlwire.Errorf(sqlerr.ErNoSuchTable, "Table '%s.%s' doesn't exist", s.c.Database, tn.Name.O)
	}
	t.view = typ == "view"
	rows, err := s.conn.QueryContext(ctx, "SELECT name, type, \"notnull\", dflt_value, pk FROM pragma_table_info(?) ORDER BY cid", t.name)
	if err != nil {
		return nil, err
	}
	npk := 0
	for rows.Next() {
		var c colInfo
		var decl string
		var dflt *string
		if err := rows.Scan(&c.name, &decl, &c.notNull, &dflt, &c.pk); err != nil {
			_ = rows.Close()
			return nil, err
		}
		c.myType = myColumnType(decl)
		if dflt != nil {
			c.dflt, c.dfltSQL = myDefault(*dflt, true)
		}
		// SQLite's INTEGER PRIMARY KEY is the rowid, numbered as
		// AUTO_INCREMENT numbers.
		c.auto = c.pk == 1 && strings.EqualFold(strings.TrimSpace(decl), "INTEGER")
		if c.pk > 0 {
			npk++
		}
		t.cols = append(t.cols, c)
	}
	_ = rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if npk != 1 {
		for i := range t.cols {
			t.cols[i].auto = false
		}
	}
	if t.view {
		return t, nil
	}
	if npk > 0 {
		pk := indexInfo{name: "PRIMARY", unique: true, primary: true, seq: -1}
		byPos := slices.Clone(t.cols)
		slices.SortFunc(byPos, func(a, b colInfo) int { return a.pk - b.pk })
		for _, c := range byPos {
			if c.pk > 0 {
				pk.cols = append(pk.cols, c.name)
			}
		}
		t.indexes = append(t.indexes, pk)
	}
	rows, err = s.conn.QueryContext(ctx, "SELECT seq, name, \"unique\", origin FROM pragma_index_list(?)", t.name)
	if err != nil {
		return nil, err
	}
	var idx []indexInfo
	var origins []string
	for rows.Next() {
		var ix indexInfo
		var origin string
		if err := rows.Scan(&ix.seq, &ix.name, &ix.unique, &origin); err != nil {
			_ = rows.Close()
			return nil, err
		}
		if origin == "pk" {
			continue
		}
		idx = append(idx, ix)
		origins = append(origins, origin)
	}
	_ = rows.Close()
	for i := range idx {
		cols, err := s.conn.QueryContext(ctx, "SELECT coalesce(name, '') FROM pragma_index_info(?) ORDER BY seqno", idx[i].name)
		// (read under the SQLite name, before it is given the MySQL one)
		if err != nil {
			return nil, err
		}
		for cols.Next() {
			var n string
			if err := cols.Scan(&n); err == nil {
				idx[i].cols = append(idx[i].cols, n)
			}
		}
		_ = cols.Close()
		// A UNIQUE constraint's index is named, as MySQL names it, after
		// its first column; the others by their MySQL names.
		if origins[i] == "u" && len(idx[i].cols) > 0 {
			idx[i].name = idx[i].cols[0]
		} else {
			idx[i].name = sqlite.MySQLIndexName(t.name, idx[i].name)
		}
	}
	// Unique indexes first, then the others, each in creation order.
	slices.SortStableFunc(idx, func(a, b indexInfo) int {
		if a.unique != b.unique {
			if a.unique {
				return -1
			}
			return 1
		}
		return cmp.Compare(b.seq, a.seq)
	})
	t.indexes = append(t.indexes, idx...)
	fks, err := s.conn.QueryContext(ctx, "SELECT id, \"table\", \"from\", coalesce(\"to\", ''), on_update, on_delete FROM pragma_foreign_key_list(?) ORDER BY id, seq", t.name)
	if err != nil {
		return nil, err
	}
	defer fks.Close()
	for fks.Next() {
		var id int
		var tbl, from, to, upd, del string
		if err := fks.Scan(&id, &tbl, &from, &to, &upd, &del); err != nil {
			return nil, err
		}
		if n := len(t.fks); n == 0 || t.fks[n-1].id != id {
			t.fks = append(t.fks, fkInfo{id: id, table: tbl, onUpdate: upd, onDelete: del})
		}
		fk := &t.fks[len(t.fks)-1]
		fk.from = append(fk.from, from)
		fk.to = append(fk.to, to)
	}
	return t, fks.Err()
}

func quoteNames(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = quoteName(n)
	}
	return strings.Join(q, ",")
}

// createTable is SHOW CREATE TABLE's text, in MySQL's form.
func (t *tableInfo) createTable() string {
	var lines []string
	for _, c := range t.cols {
		l := "  " + quoteName(c.name) + " " + c.myType
		if c.notNull || c.pk > 0 {
			l += " NOT NULL"
		}
		switch {
		case c.auto:
			l += " AUTO_INCREMENT"
		case c.dfltSQL != "":
			l += " DEFAULT " + c.dfltSQL
		case !c.notNull && c.pk == 0:
			l += " DEFAULT NULL"
		}
		lines = append(lines, l)
	}
	for _, ix := range t.indexes {
		switch {
		case ix.primary:
			lines = append(lines, "  PRIMARY KEY ("+quoteNames(ix.cols)+")")
		case ix.unique:
			lines = append(lines, "  UNIQUE KEY "+quoteName(ix.name)+" ("+quoteNames(ix.cols)+")")
		default:
			lines = append(lines, "  KEY "+quoteName(ix.name)+" ("+quoteNames(ix.cols)+")")
		}
	}
	for i, fk := range t.fks {
		l := "  CONSTRAINT " + quoteName(t.name+"_ibfk_"+strconv.Itoa(i+1)) + " FOREIGN KEY (" + quoteNames(fk.from) + ") REFERENCES " + quoteName(fk.table)
		if len(fk.to) > 0 && fk.to[0] != "" {
			l += " (" + quoteNames(fk.to) + ")"
		}
		if fk.onDelete != "" && fk.onDelete != "NO ACTION" {
			l += " ON DELETE " + fk.onDelete
		}
		if fk.onUpdate != "" && fk.onUpdate != "NO ACTION" {
			l += " ON UPDATE " + fk.onUpdate
		}
		lines = append(lines, l)
	}
	return "CREATE TABLE " + quoteName(t.name) + " (\n" + strings.Join(lines, ",\n") + "\n) ENGINE=SQLite DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin"
}
