package sqlite

// The MySQL translation of DDL: CREATE TABLE (with the indexes it
// defines), CREATE INDEX, ALTER TABLE, printed by hand from the parse.

import (
	"regexp"
	"strconv"
	"strings"

	"github.com/pingcap/tidb/pkg/parser/ast"
	"github.com/pingcap/tidb/pkg/parser/mysql"
)

var sqliteTypeName = regexp.MustCompile(`^[a-z ]+(\(\d+(,\d+)?\))?`)

// columnType is the SQLite declared type of a MySQL column type: MySQL's
// own name, so that SQLite's affinity and the engine's types follow it.
func columnType(def *ast.ColumnDef) string {
	if def.Tp == nil {
		return ""
	}
	s := strings.ToLower(def.Tp.CompactStr())
	switch def.Tp.GetType() {
	case mysql.TypeEnum, mysql.TypeSet:
		return "TEXT"
	case mysql.TypeLong:
		// INT and INTEGER are one type to MySQL; SQLite's INTEGER PRIMARY
		// KEY is the rowid, numbered as MySQL numbers AUTO_INCREMENT.
		if mysql.HasUnsignedFlag(def.Tp.GetFlag()) {
			return "INTEGER UNSIGNED"
		}
		return "INTEGER"
	}
	s = strings.ReplaceAll(s, " binary", "")
	if m := sqliteTypeName.FindString(s); m != "" {
		s = m
	}
	if mysql.HasUnsignedFlag(def.Tp.GetFlag()) && !strings.Contains(s, "unsigned") {
		s += " unsigned"
	}
	return strings.ToUpper(strings.TrimSpace(s))
}

func (p *myPrinter) createTable(x *ast.CreateTableStmt) (string, error) {
	if x.ReferTable != nil {
		return "", notSupported("CREATE TABLE … LIKE")
	}
	if x.Select != nil {
		return "", notSupported("CREATE TABLE … SELECT")
	}
	x.Accept(p)
	if p.err != nil {
		return "", p.err
	}
	var b strings.Builder
	b.WriteString("CREATE ")
	if x.TemporaryKeyword != ast.TemporaryNone {
		b.WriteString("TEMPORARY ")
	}
	b.WriteString("TABLE ")
	if x.IfNotExists {
		b.WriteString("IF NOT EXISTS ")
	}
	b.WriteString(quoteIdent(x.Table.Name.O) + " (")
	var parts, after []string
	// A single-column integer primary key with AUTO_INCREMENT becomes
	// SQLite's INTEGER PRIMARY KEY AUTOINCREMENT (the rowid).
	for _, def := range x.Cols {
		typ := columnType(def)
		col := quoteIdent(def.Name.Name.O)
		auto, pk := false, false
		var opts []string
		for _, o := range def.Options {
			switch o.Tp {
			case ast.ColumnOptionPrimaryKey:
				pk = true
			case ast.ColumnOptionAutoIncrement:
				auto = true
			case ast.ColumnOptionNotNull:
				opts = append(opts, "NOT NULL")
			case ast.ColumnOptionNull:
				opts = append(opts, "NULL")
			case ast.ColumnOptionUniqKey:
				opts = append(opts, "UNIQUE")
			case ast.ColumnOptionDefaultValue:
				s, err := restore(o.Expr)
				if err != nil {
					return "", notSupported("this DEFAULT")
				}
				if _, isRaw := o.Expr.(*rawExpr); isRaw && !strings.HasPrefix(s, "'") && !strings.HasPrefix(s, "X'") {
					if _, err := strconv.ParseFloat(s, 64); err != nil && s != "NULL" {
						s = "(" + s + ")"
					}
				}
				opts = append(opts, "DEFAULT "+s)
			case ast.ColumnOptionCheck:
				s, err := restore(o.Expr)
				if err != nil {
					return "", notSupported("this CHECK")
				}
				opts = append(opts, "CHECK ("+s+")")
			case ast.ColumnOptionReference:
				s, err := referenceDef(o.Refer)
				if err != nil {
					return "", err
				}
				opts = append(opts, s)
			case ast.ColumnOptionGenerated:
				s, err := restore(o.Expr)
				if err != nil {
					return "", notSupported("this generated column")
				}
				kind := "VIRTUAL"
				if o.Stored {
					kind = "STORED"
				}
				opts = append(opts, "GENERATED ALWAYS AS ("+s+") "+kind)
			case ast.ColumnOptionComment, ast.ColumnOptionCollate, ast.ColumnOptionColumnFormat, ast.ColumnOptionStorage, ast.ColumnOptionOnUpdate:
				// Nothing SQLite keeps.
			default:
				return "", notSupported("this column option")
			}
		}
		if auto && strings.Contains(typ, "INT") || pk && strings.HasPrefix(typ, "INTEGER") {
			typ = "INTEGER"
		}
		s := col
		if typ != "" {
			s += " " + typ
		}
		if pk {
			s += " PRIMARY KEY"
			if auto {
				s += " AUTOINCREMENT"
			}
		}
		if len(opts) > 0 {
			s += " " + strings.Join(opts, " ")
		}
		parts = append(parts, s)
	}
	for _, c := range x.Constraints {
		keys, err := indexKeys(c.Keys)
		if err != nil {
			return "", err
		}
		switch c.Tp {
		case ast.ConstraintPrimaryKey:
			// AUTO_INCREMENT on the one key column: make it the rowid.
			if len(c.Keys) == 1 && c.Keys[0].Column != nil {
				if i := autoColumn(x.Cols, c.Keys[0].Column.Name.L); i >= 0 {
					parts[i] = strings.Replace(parts[i], " INTEGER", " INTEGER PRIMARY KEY AUTOINCREMENT", 1)
					continue
				}
			}
			parts = append(parts, "PRIMARY KEY ("+keys+")")
		case ast.ConstraintUniq, ast.ConstraintUniqKey, ast.ConstraintUniqIndex:
			name := c.Name
			if name == "" {
				name = x.Table.Name.O + "_" + c.Keys[0].Column.Name.O
			}
			after = append(after, "CREATE UNIQUE INDEX "+quoteIdent(IndexName(x.Table.Name.O, name))+" ON "+quoteIdent(x.Table.Name.O)+" ("+keys+")")
		case ast.ConstraintKey, ast.ConstraintIndex:
			name := c.Name
			if name == "" {
				name = x.Table.Name.O + "_" + c.Keys[0].Column.Name.O
			}
			after = append(after, "CREATE INDEX "+quoteIdent(IndexName(x.Table.Name.O, name))+" ON "+quoteIdent(x.Table.Name.O)+" ("+keys+")")
		case ast.ConstraintForeignKey:
			s, err := referenceDef(c.Refer)
			if err != nil {
				return "", err
			}
			fk := "FOREIGN KEY (" + keys + ") " + s
			if c.Name != "" {
				fk = "CONSTRAINT " + quoteIdent(c.Name) + " " + fk
			}
			parts = append(parts, fk)
		case ast.ConstraintCheck:
			s, err := restore(c.Expr)
			if err != nil {
				return "", notSupported("this CHECK")
			}
			parts = append(parts, "CHECK ("+s+")")
		default:
			return "", notSupported("this table constraint")
		}
	}
	b.WriteString(strings.Join(parts, ", ") + ")")
	// Table options (ENGINE, CHARSET, COMMENT…) mean nothing to SQLite.
	if len(after) == 0 {
		return b.String(), nil
	}
	// Indexes the definition names are created with the table: the
	// statement becomes several, run as one.
	return b.String() + "; " + strings.Join(after, "; "), nil
}

func autoColumn(cols []*ast.ColumnDef, name string) int {
	for i, c := range cols {
		if c.Name.Name.L != name {
			continue
		}
		for _, o := range c.Options {
			if o.Tp == ast.ColumnOptionAutoIncrement {
				return i
			}
		}
	}
	return -1
}

func indexKeys(keys []*ast.IndexPartSpecification) (string, error) {
	var out []string
	for _, k := range keys {
		if k.Column == nil {
			return "", notSupported("an index on an expression")
		}
		s := quoteIdent(k.Column.Name.O)
		if k.Desc {
			s += " DESC"
		}
		out = append(out, s)
	}
	return strings.Join(out, ", "), nil
}

func referenceDef(r *ast.ReferenceDef) (string, error) {
	if r == nil || r.Table == nil {
		return "", notSupported("this REFERENCES clause")
	}
	keys, err := indexKeys(r.IndexPartSpecifications)
	if err != nil {
		return "", err
	}
	s := "REFERENCES " + quoteIdent(r.Table.Name.O)
	if keys != "" {
		s += " (" + keys + ")"
	}
	if r.OnDelete != nil && r.OnDelete.ReferOpt != ast.ReferOptionNoOption {
		s += " ON DELETE " + r.OnDelete.ReferOpt.String()
	}
	if r.OnUpdate != nil && r.OnUpdate.ReferOpt != ast.ReferOptionNoOption {
		s += " ON UPDATE " + r.OnUpdate.ReferOpt.String()
	}
	return s, nil
}

func (p *myPrinter) createIndex(x *ast.CreateIndexStmt) (string, error) {
	keys, err := indexKeys(x.IndexPartSpecifications)
	if err != nil {
		return "", err
	}
	s := "CREATE "
	switch x.KeyType {
	case ast.IndexKeyTypeUnique:
		s += "UNIQUE "
	case ast.IndexKeyTypeNone:
	default:
		return "", notSupported("this index type")
	}
	s += "INDEX "
	if x.IfNotExists {
		s += "IF NOT EXISTS "
	}
	return s + quoteIdent(IndexName(x.Table.Name.O, x.IndexName)) + " ON " + quoteIdent(x.Table.Name.O) + " (" + keys + ")", nil
}

func (p *myPrinter) alterTable(x *ast.AlterTableStmt) (string, error) {
	if len(x.Specs) != 1 {
		return "", notSupported("ALTER TABLE with several changes")
	}
	t := "ALTER TABLE " + quoteIdent(x.Table.Name.O)
	spec := x.Specs[0]
	switch spec.Tp {
	case ast.AlterTableAddColumns:
		if len(spec.NewColumns) != 1 || spec.Position != nil && spec.Position.Tp != ast.ColumnPositionNone {
			return "", notSupported("this ALTER TABLE … ADD COLUMN")
		}
		ct := &ast.CreateTableStmt{Table: x.Table, Cols: spec.NewColumns}
		s, err := p.createTable(ct)
		if err != nil {
			return "", err
		}
		def := s[strings.Index(s, "(")+1 : len(s)-1]
		return t + " ADD COLUMN " + def, nil
	case ast.AlterTableDropColumn:
		return t + " DROP COLUMN " + quoteIdent(spec.OldColumnName.Name.O), nil
	case ast.AlterTableRenameColumn:
		return t + " RENAME COLUMN " + quoteIdent(spec.OldColumnName.Name.O) + " TO " + quoteIdent(spec.NewColumnName.Name.O), nil
	case ast.AlterTableRenameTable:
		return t + " RENAME TO " + quoteIdent(spec.NewTable.Name.O), nil
	}
	return "", notSupported("this ALTER TABLE")
}
