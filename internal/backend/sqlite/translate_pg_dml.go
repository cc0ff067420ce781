package sqlite

import (
	"strings"

	pg_query "github.com/pganalyze/pg_query_go/v6"
)

// returning prints RETURNING and returns the result's types; target is
// the table as printed (with its alias), for the statement's describe
// query.
func (p *pgPrinter) returning(list []*pg_query.Node, target string) (types []Type) {
	if len(list) == 0 {
		return nil
	}
	p.w(" RETURNING ")
	start := p.b.Len()
	defer func() {
		p.describe = "SELECT " + p.b.String()[start:] + " FROM " + target + " WHERE 0"
	}()
	star := false // the columns * stands for are SQLite's to tell
	defer func() {
		if star {
			types = nil
		}
	}()
	for i, n := range list {
		if i > 0 {
			p.w(", ")
		}
		rt := n.GetResTarget()
		if c := rt.Val.GetColumnRef(); c != nil && isStar(c) {
			if len(c.Fields) > 1 {
				p.fail("qualified * in RETURNING")
			}
			p.w("*")
			star = true
			continue
		}
		if c := rt.Val.GetColumnRef(); c != nil && len(c.Fields) > 1 {
			// SQLite's RETURNING names columns of the target table only.
			p.ident(columnName(rt.Val))
			types = append(types, TypeUnknown)
		} else {
			types = append(types, p.expr(rt.Val))
		}
		name := rt.Name
		if name == "" && rt.Val.GetColumnRef() == nil {
			name = pgColumnName(rt.Val)
		}
		if name != "" {
			p.w(" AS ")
			p.ident(name)
		}
	}
	return types
}

func (p *pgPrinter) insert(s *pg_query.InsertStmt) []Type {
	if s.WithClause != nil {
		p.with(s.WithClause)
	}
	if s.Override != pg_query.OverridingKind_OVERRIDING_NOT_SET && s.Override != pg_query.OverridingKind_OVERRIDING_KIND_UNDEFINED {
		p.fail("OVERRIDING")
	}
	p.w("INSERT INTO ")
	start := p.b.Len()
	p.rangeVar(s.Relation, false)
	if s.Relation.Alias != nil {
		p.w(" AS ")
		p.ident(s.Relation.Alias.Aliasname)
	}
	target := p.b.String()[start:]
	var cols []string
	if len(s.Cols) > 0 {
		p.w(" (")
		for i, c := range s.Cols {
			rt := c.GetResTarget()
			if len(rt.Indirection) > 0 {
				p.fail("subscripts in INSERT column lists")
			}
			if i > 0 {
				p.w(", ")
			}
			p.ident(rt.Name)
			cols = append(cols, rt.Name)
		}
		p.w(")")
	}
	sel := s.SelectStmt.GetSelectStmt()
	switch {
	case s.SelectStmt == nil:
		p.w(" DEFAULT VALUES")
	case sel != nil && len(sel.ValuesLists) > 0 && sel.Op == pg_query.SetOperation_SETOP_NONE && len(sel.SortClause) == 0 && sel.LimitCount == nil && sel.WithClause == nil:
		p.w(" VALUES ")
		for i, row := range sel.ValuesLists {
			if i > 0 {
				p.w(", ")
			}
			p.w("(")
			for j, it := range row.GetList().GetItems() {
				if j > 0 {
					p.w(", ")
				}
				if it.GetSetToDefault() != nil {
					p.fail("DEFAULT in VALUES")
				}
				if k := paramNumber(it); k > 0 && j < len(cols) {
					p.paramCol(k, cols[j])
				}
				p.expr(it)
			}
			p.w(")")
		}
	default:
		p.w(" ")
		p.selectNode(s.SelectStmt, false)
		if s.OnConflictClause != nil && sel != nil && sel.WhereClause == nil && len(sel.ValuesLists) == 0 && sel.Op == pg_query.SetOperation_SETOP_NONE && len(sel.SortClause) == 0 && sel.LimitCount == nil {
			// SQLite reads ON after a SELECT's FROM as a join's: a WHERE
			// ends the SELECT.
			p.w(" WHERE true")
		}
	}
	if oc := s.OnConflictClause; oc != nil {
		p.w(" ON CONFLICT")
		if oc.Infer != nil {
			if oc.Infer.Conname != "" {
				p.fail("ON CONFLICT ON CONSTRAINT")
			}
			p.w(" (")
			p.list(oc.Infer.IndexElems, func(n *pg_query.Node) {
				ie := n.GetIndexElem()
				if ie.Name != "" {
					p.ident(ie.Name)
				} else {
					p.expr(ie.Expr)
				}
			})
			p.w(")")
			if oc.Infer.WhereClause != nil {
				p.w(" WHERE ")
				p.expr(oc.Infer.WhereClause)
			}
		}
		switch oc.Action {
		case pg_query.OnConflictAction_ONCONFLICT_NOTHING:
			p.w(" DO NOTHING")
		case pg_query.OnConflictAction_ONCONFLICT_UPDATE:
			p.w(" DO UPDATE SET ")
			p.setList(oc.TargetList)
			if oc.WhereClause != nil {
				p.w(" WHERE ")
				p.expr(oc.WhereClause)
			}
		}
	}
	return p.returning(s.ReturningList, target)
}

// setList prints SET col = expr, … (UPDATE, ON CONFLICT DO UPDATE).
func (p *pgPrinter) setList(targets []*pg_query.Node) {
	skip := 0 // the other columns of a SET (a, b) = …
	for i, t := range targets {
		if skip > 0 {
			skip--
			continue
		}
		rt := t.GetResTarget()
		if i > 0 {
			p.w(", ")
		}
		if len(rt.Indirection) > 0 {
			p.fail("subscripts in SET")
		}
		if ma := rt.Val.GetMultiAssignRef(); ma != nil {
			// SET (a, b) = (1, 2) | (SELECT …): SQLite has row values.
			if ma.Colno != 1 || i+int(ma.Ncolumns) > len(targets) {
				p.fail("SET (a, b) = …")
			}
			p.w("(")
			for j := 0; j < int(ma.Ncolumns); j++ {
				if j > 0 {
					p.w(", ")
				}
				p.ident(targets[i+j].GetResTarget().Name)
			}
			p.w(") = ")
			if sl := ma.Source.GetSubLink(); sl != nil && sl.SubLinkType == pg_query.SubLinkType_MULTIEXPR_SUBLINK {
				p.w("(")
				p.selectNode(sl.Subselect, false)
				p.w(")")
			} else {
				p.expr(ma.Source)
			}
			skip = int(ma.Ncolumns) - 1
			continue
		}
		if rt.Val.GetSetToDefault() != nil {
			p.fail("SET … = DEFAULT")
		}
		p.ident(rt.Name)
		p.w(" = ")
		if k := paramNumber(rt.Val); k > 0 {
			p.paramCol(k, rt.Name)
		}
		p.expr(rt.Val)
	}
}

func (p *pgPrinter) update(s *pg_query.UpdateStmt) []Type {
	if s.WithClause != nil {
		p.with(s.WithClause)
	}
	p.w("UPDATE ")
	start := p.b.Len()
	p.rangeVar(s.Relation, true)
	target := p.b.String()[start:]
	p.w(" SET ")
	p.setList(s.TargetList)
	if len(s.FromClause) > 0 {
		p.w(" FROM ")
		p.list(s.FromClause, p.fromItem)
	}
	if s.WhereClause != nil {
		if s.WhereClause.GetCurrentOfExpr() != nil {
			p.fail("WHERE CURRENT OF")
		}
		p.w(" WHERE ")
		p.expr(s.WhereClause)
	}
	return p.returning(s.ReturningList, target)
}

func (p *pgPrinter) delete(s *pg_query.DeleteStmt) []Type {
	if s.WithClause != nil {
		p.with(s.WithClause)
	}
	p.w("DELETE FROM ")
	start := p.b.Len()
	p.rangeVar(s.Relation, true)
	target := p.b.String()[start:]
	if len(s.UsingClause) > 0 {
		// DELETE … USING u WHERE cond: the rows for which a row of u
		// meets cond.
		p.w(" WHERE EXISTS (SELECT 1 FROM ")
		p.list(s.UsingClause, p.fromItem)
		if s.WhereClause != nil {
			p.w(" WHERE ")
			p.expr(s.WhereClause)
		}
		p.w(")")
	} else if s.WhereClause != nil {
		if s.WhereClause.GetCurrentOfExpr() != nil {
			p.fail("WHERE CURRENT OF")
		}
		p.w(" WHERE ")
		p.expr(s.WhereClause)
	}
	return p.returning(s.ReturningList, target)
}

func (p *pgPrinter) createTable(c *pg_query.CreateStmt) {
	if len(c.InhRelations) > 0 || c.Partspec != nil || c.Partbound != nil || c.OfTypename != nil {
		p.fail("INHERITS, PARTITION and OF in CREATE TABLE")
	}
	p.w("CREATE ")
	if c.Relation.Relpersistence == "t" {
		p.w("TEMP ")
	}
	p.w("TABLE ")
	if c.IfNotExists {
		p.w("IF NOT EXISTS ")
	}
	p.rangeVar(c.Relation, false)
	p.w(" (")
	// A table-level primary key of one serial column makes it SQLite's
	// INTEGER PRIMARY KEY (the rowid, numbered as a sequence would).
	pkCol := ""
	for _, e := range c.TableElts {
		if con := e.GetConstraint(); con != nil && con.Contype == pg_query.ConstrType_CONSTR_PRIMARY && len(con.Keys) == 1 {
			pkCol = strs(con.Keys)[0]
		}
	}
	movedPK := false
	for i, e := range c.TableElts {
		if i > 0 {
			p.w(", ")
		}
		switch x := e.Node.(type) {
		case *pg_query.Node_ColumnDef:
			if p.columnDef(x.ColumnDef, pkCol) {
				movedPK = true
			}
		case *pg_query.Node_Constraint:
			if movedPK && x.Constraint.Contype == pg_query.ConstrType_CONSTR_PRIMARY {
				// Printed with its column; remove the separator.
				s := strings.TrimSuffix(p.b.String(), ", ")
				p.b.Reset()
				p.b.WriteString(s)
				continue
			}
			p.constraint(x.Constraint, true)
		default:
			p.fail("LIKE in CREATE TABLE")
		}
	}
	p.w(")")
}

// columnDef prints a column; it reports whether it printed the table's
// one-column primary key pkCol as its own.
func (p *pgPrinter) columnDef(cd *pg_query.ColumnDef, pkCol string) bool {
	p.ident(cd.Colname)
	decl, serial := p.declType(cd.TypeName)
	identity := false
	pk := false
	for _, c := range cd.Constraints {
		switch c.GetConstraint().Contype {
		case pg_query.ConstrType_CONSTR_IDENTITY:
			identity = true
		case pg_query.ConstrType_CONSTR_PRIMARY:
			pk = true
		}
	}
	moved := false
	if (serial || identity) && !pk && pkCol == cd.Colname {
		pk, moved = true, true
	}
	if (serial || identity) && pk {
		p.w(" INTEGER PRIMARY KEY")
	} else {
		p.w(" ", decl)
		if pk {
			p.w(" PRIMARY KEY")
		}
	}
	if cd.CollClause != nil {
		p.fail("COLLATE in column definitions")
	}
	for _, c := range cd.Constraints {
		con := c.GetConstraint()
		switch con.Contype {
		case pg_query.ConstrType_CONSTR_PRIMARY, pg_query.ConstrType_CONSTR_IDENTITY:
			continue
		}
		p.w(" ")
		p.constraint(con, false)
	}
	return moved
}

// constraint prints a column (table false) or table constraint.
func (p *pgPrinter) constraint(c *pg_query.Constraint, table bool) {
	if c.Conname != "" {
		p.w("CONSTRAINT ")
		p.ident(c.Conname)
		p.w(" ")
	}
	keys := func(ns []*pg_query.Node) {
		p.w("(")
		for i, k := range strs(ns) {
			if i > 0 {
				p.w(", ")
			}
			p.ident(k)
		}
		p.w(")")
	}
	switch c.Contype {
	case pg_query.ConstrType_CONSTR_NOTNULL:
		p.w("NOT NULL")
	case pg_query.ConstrType_CONSTR_NULL:
		p.w("NULL")
	case pg_query.ConstrType_CONSTR_DEFAULT:
		p.w("DEFAULT ")
		switch {
		case isNowCall(c.RawExpr):
			p.w("CURRENT_TIMESTAMP")
		case c.RawExpr.GetSqlvalueFunction() != nil && c.RawExpr.GetSqlvalueFunction().Op == pg_query.SQLValueFunctionOp_SVFOP_CURRENT_DATE:
			p.w("CURRENT_DATE")
		default:
			p.w("(")
			p.expr(c.RawExpr)
			p.w(")")
		}
	case pg_query.ConstrType_CONSTR_CHECK:
		p.w("CHECK (")
		p.expr(c.RawExpr)
		p.w(")")
	case pg_query.ConstrType_CONSTR_PRIMARY:
		p.w("PRIMARY KEY")
		if table {
			p.w(" ")
			keys(c.Keys)
		}
	case pg_query.ConstrType_CONSTR_UNIQUE:
		p.w("UNIQUE")
		if table {
			p.w(" ")
			keys(c.Keys)
		}
	case pg_query.ConstrType_CONSTR_FOREIGN:
		if table {
			p.w("FOREIGN KEY ")
			keys(c.FkAttrs)
			p.w(" ")
		}
		p.w("REFERENCES ")
		p.rangeVar(c.Pktable, false)
		if len(c.PkAttrs) > 0 {
			p.w(" ")
			keys(c.PkAttrs)
		}
		for _, a := range []struct {
			when, action string
		}{{" ON DELETE ", c.FkDelAction}, {" ON UPDATE ", c.FkUpdAction}} {
			switch a.action {
			case "c":
				p.w(a.when, "CASCADE")
			case "n":
				p.w(a.when, "SET NULL")
			case "d":
				p.w(a.when, "SET DEFAULT")
			case "r":
				p.w(a.when, "RESTRICT")
			}
		}
	case pg_query.ConstrType_CONSTR_GENERATED:
		p.w("GENERATED ALWAYS AS (")
		p.expr(c.RawExpr)
		p.w(") STORED")
	case pg_query.ConstrType_CONSTR_ATTR_DEFERRABLE, pg_query.ConstrType_CONSTR_ATTR_NOT_DEFERRABLE,
		pg_query.ConstrType_CONSTR_ATTR_DEFERRED, pg_query.ConstrType_CONSTR_ATTR_IMMEDIATE:
		p.fail("DEFERRABLE constraints")
	default:
		p.fail("EXCLUDE constraints")
	}
}

// isNowCall reports now(), CURRENT_TIMESTAMP and LOCALTIMESTAMP.
func isNowCall(n *pg_query.Node) bool {
	if f := n.GetFuncCall(); f != nil {
		_, name := nameOf(f.Funcname)
		return name == "now" && len(f.Args) == 0
	}
	if s := n.GetSqlvalueFunction(); s != nil {
		switch s.Op {
		case pg_query.SQLValueFunctionOp_SVFOP_CURRENT_TIMESTAMP, pg_query.SQLValueFunctionOp_SVFOP_CURRENT_TIMESTAMP_N,
			pg_query.SQLValueFunctionOp_SVFOP_LOCALTIMESTAMP, pg_query.SQLValueFunctionOp_SVFOP_LOCALTIMESTAMP_N:
			return true
		}
	}
	return false
}

func (p *pgPrinter) createIndex(s *pg_query.IndexStmt) {
	if am := s.AccessMethod; am != "" && am != "btree" {
		p.fail("index methods other than btree")
	}
	if len(s.IndexIncludingParams) > 0 {
		p.fail("INCLUDE in indexes")
	}
	p.w("CREATE ")
	if s.Unique {
		p.w("UNIQUE ")
	}
	p.w("INDEX ")
	if s.IfNotExists {
		p.w("IF NOT EXISTS ")
	}
	name := s.Idxname
	if name == "" {
		// PostgreSQL's choice: table_column_idx.
		parts := []string{s.Relation.Relname}
		for _, e := range s.IndexParams {
			if ie := e.GetIndexElem(); ie.Name != "" {
				parts = append(parts, ie.Name)
			} else {
				parts = append(parts, "expr")
			}
		}
		name = strings.Join(parts, "_") + "_idx"
		if s.Unique {
			name = strings.TrimSuffix(name, "_idx") + "_key"
		}
	}
	if s.Relation.Schemaname != "" && s.Relation.Schemaname != "public" {
		p.ident(s.Relation.Schemaname)
		p.w(".")
	}
	p.ident(name)
	p.w(" ON ")
	p.ident(s.Relation.Relname)
	p.tables = append(p.tables, s.Relation.Relname)
	p.w(" (")
	p.list(s.IndexParams, func(n *pg_query.Node) {
		ie := n.GetIndexElem()
		if ie.Name != "" {
			p.ident(ie.Name)
		} else {
			p.w("(")
			p.expr(ie.Expr)
			p.w(")")
		}
		if len(ie.Opclass) > 0 {
			p.fail("operator classes")
		}
		if ie.Ordering == pg_query.SortByDir_SORTBY_DESC {
			p.w(" DESC")
		}
	})
	p.w(")")
	if s.WhereClause != nil {
		p.w(" WHERE ")
		p.expr(s.WhereClause)
	}
}

// drop prints DROP TABLE/INDEX/VIEW of one object. CASCADE drops the
// object named (SQLite keeps no dependencies to follow).
func (p *pgPrinter) drop(d *pg_query.DropStmt) Statement {
	kind := ""
	switch d.RemoveType {
	case pg_query.ObjectType_OBJECT_TABLE:
		kind = "TABLE"
	case pg_query.ObjectType_OBJECT_INDEX:
		kind = "INDEX"
	case pg_query.ObjectType_OBJECT_VIEW:
		kind = "VIEW"
	case pg_query.ObjectType_OBJECT_SCHEMA:
		p.fail("DROP SCHEMA")
	case pg_query.ObjectType_OBJECT_EXTENSION:
		p.fail("DROP EXTENSION")
	default:
		p.fail("DROP of this kind of object")
	}
	if len(d.Objects) != 1 {
		p.fail("DROP of several objects in one statement")
	}
	if d.Concurrent {
		p.fail("DROP INDEX CONCURRENTLY")
	}
	parts := strs(d.Objects[0].GetList().GetItems())
	if len(parts) == 0 || len(parts) > 2 {
		p.fail("this object name")
	}
	p.w("DROP ", kind, " ")
	if d.MissingOk {
		p.w("IF EXISTS ")
	}
	if len(parts) == 2 && parts[0] != "public" {
		p.ident(parts[0])
		p.w(".")
	}
	p.ident(parts[len(parts)-1])
	return Statement{Verb: "DROP " + kind}
}

func (p *pgPrinter) alterTable(a *pg_query.AlterTableStmt) {
	if a.Objtype != pg_query.ObjectType_OBJECT_TABLE {
		p.fail("ALTER of this kind of object")
	}
	if a.MissingOk {
		p.fail("ALTER TABLE IF EXISTS")
	}
	if len(a.Cmds) != 1 {
		p.fail("ALTER TABLE with several actions")
	}
	cmd := a.Cmds[0].GetAlterTableCmd()
	p.w("ALTER TABLE ")
	p.rangeVar(a.Relation, false)
	switch cmd.Subtype {
	case pg_query.AlterTableType_AT_AddColumn:
		if cmd.MissingOk {
			p.fail("ADD COLUMN IF NOT EXISTS")
		}
		p.w(" ADD COLUMN ")
		p.columnDef(cmd.Def.GetColumnDef(), "")
	case pg_query.AlterTableType_AT_DropColumn:
		if cmd.MissingOk {
			p.fail("DROP COLUMN IF EXISTS")
		}
		p.w(" DROP COLUMN ")
		p.ident(cmd.Name)
	default:
		p.fail("this ALTER TABLE action")
	}
}

func (p *pgPrinter) rename(r *pg_query.RenameStmt) {
	if r.MissingOk {
		p.fail("ALTER … IF EXISTS")
	}
	switch r.RenameType {
	case pg_query.ObjectType_OBJECT_TABLE:
		p.w("ALTER TABLE ")
		p.rangeVar(r.Relation, false)
		p.w(" RENAME TO ")
		p.ident(r.Newname)
	case pg_query.ObjectType_OBJECT_COLUMN:
		if r.RelationType != pg_query.ObjectType_OBJECT_TABLE {
			p.fail("renaming columns of this kind of object")
		}
		p.w("ALTER TABLE ")
		p.rangeVar(r.Relation, false)
		p.w(" RENAME COLUMN ")
		p.ident(r.Subname)
		p.w(" TO ")
		p.ident(r.Newname)
	default:
		p.fail("renaming this kind of object")
	}
}

func (p *pgPrinter) createView(v *pg_query.ViewStmt) {
	if v.Replace {
		p.fail("CREATE OR REPLACE VIEW")
	}
	if v.WithCheckOption != pg_query.ViewCheckOption_NO_CHECK_OPTION && v.WithCheckOption != pg_query.ViewCheckOption_VIEW_CHECK_OPTION_UNDEFINED {
		p.fail("WITH CHECK OPTION")
	}
	p.w("CREATE ")
	if v.View.Relpersistence == "t" {
		p.w("TEMP ")
	}
	p.w("VIEW ")
	p.rangeVar(v.View, false)
	if len(v.Aliases) > 0 {
		p.w(" (")
		for i, a := range strs(v.Aliases) {
			if i > 0 {
				p.w(", ")
			}
			p.ident(a)
		}
		p.w(")")
	}
	p.w(" AS ")
	p.selectNode(v.Query, false)
}
