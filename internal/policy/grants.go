package policy

import (
	"fmt"
	"path"
	"slices"
	"strings"

	"github.com/floe-db/floe/internal/config"
	"github.com/floe-db/floe/internal/sqlparse"
)

// action is a bit of what a grant allows.
type action uint16

const (
	actSelect action = 1 << iota
	actInsert
	actUpdate
	actDelete
	actDDL
	actCopy
	actExecute
	actAdmin
	actAll = actSelect | actInsert | actUpdate | actDelete | actDDL | actCopy | actExecute | actAdmin
)

var actionNames = map[string]action{
	"select": actSelect, "insert": actInsert, "update": actUpdate, "delete": actDelete,
	"ddl": actDDL, "copy": actCopy, "execute": actExecute, "admin": actAdmin, "all": actAll,
}

func (a action) String() string {
	for n, v := range actionNames {
		if v == a && n != "all" {
			return n
		}
	}
	return fmt.Sprintf("action(%d)", uint16(a))
}

// rule is one compiled grant.
type rule struct {
	role      string
	database  string   // glob
	tables    []string // "schema.name" globs, lower case; "" schema means the default
	functions []string // globs, lower case
	columns   []string // lower case; empty: every column
	actions   action
	deny      bool
}

func compileRules(roles []config.Role) map[string][]rule {
	out := make(map[string][]rule, len(roles))
	for _, r := range roles {
		for _, g := range r.Grants {
			ru := rule{role: r.Name, database: g.Database, deny: g.Deny}
			for _, a := range g.Actions {
				ru.actions |= actionNames[a]
			}
			for _, t := range g.Tables {
				t = strings.ToLower(t)
				switch {
				case t == "*":
					t = "*.*"
				case !strings.Contains(t, "."):
					t = "." + t // the session's default schema
				}
				ru.tables = append(ru.tables, t)
			}
			for _, f := range g.Functions {
				ru.functions = append(ru.functions, strings.ToLower(f))
			}
			for _, c := range g.Columns {
				ru.columns = append(ru.columns, strings.ToLower(c))
			}
			out[r.Name] = append(out[r.Name], ru)
		}
	}
	return out
}

// need is one permission a statement requires.
type need struct {
	act      action
	kind     byte // 't' table, 'f' function, 'd' the database itself
	schema   string
	name     string
	why      string // for database-level needs: what asked for it
	readOnly bool   // a catalogue read
}

func (n need) object() string {
	switch n.kind {
	case 't':
		if n.schema == "" {
			return "table " + n.name
		}
		return "table " + n.schema + "." + n.name
	case 'f':
		return "function " + n.name
	}
	return "database"
}

// matches reports whether r applies to n on database db.
func (r *rule) matches(n need, db, defSchema string) bool {
	if r.actions&n.act == 0 {
		return false
	}
	if ok, _ := path.Match(r.database, db); !ok && r.database != "*" {
		return false
	}
	switch {
	case len(r.tables) == 0 && len(r.functions) == 0:
		return true // the whole database
	case n.kind == 't':
		if len(r.tables) == 0 {
			return false
		}
		schema := n.schema
		if schema == "" {
			schema = defSchema
		}
		obj := strings.ToLower(schema + "." + n.name)
		for _, p := range r.tables {
			if strings.HasPrefix(p, ".") {
				p = strings.ToLower(defSchema) + p
			}
			if ok, _ := path.Match(p, obj); ok {
				return true
			}
		}
	case n.kind == 'f':
		for _, p := range r.functions {
			if ok, _ := path.Match(p, n.name); ok {
				return true
			}
		}
	case n.kind == 'd':
		// Database-level actions (DDL without a table, admin) need a
		// grant on every table of the database.
		return slices.Contains(r.tables, "*.*")
	}
	return false
}

var tableActions = map[sqlparse.Action]action{
	sqlparse.ActionRead: actSelect, sqlparse.ActionInsert: actInsert, sqlparse.ActionUpdate: actUpdate,
	sqlparse.ActionDelete: actDelete, sqlparse.ActionDDL: actDDL,
}

// isCatalog reports whether a table is a system catalogue of the dialect.
func isCatalog(d Dialect, t sqlparse.Table) bool {
	s := strings.ToLower(t.Schema)
	switch d {
	case Postgres:
		return s == "pg_catalog" || s == "information_schema" || (s == "" && strings.HasPrefix(strings.ToLower(t.Name), "pg_"))
	case MySQL:
		return s == "information_schema"
	}
	return false
}

// needs lists what st requires.
func needs(d Dialect, st *sqlparse.Statement, catalogFree bool) []need {
	var out []need
	dbNeed := func(a action, why string) {
		out = append(out, need{act: a, kind: 'd', why: why})
	}
	switch {
	case st.FileAccess:
		dbNeed(actAdmin, "access to server files")
	case st.Privileged != "":
		dbNeed(actAdmin, st.Privileged)
	case st.Kind == sqlparse.KindDCL:
		dbNeed(actAdmin, "DCL")
	case st.Kind == sqlparse.KindUnclassified:
		dbNeed(actAdmin, "statement "+st.Node+", which the gateway does not classify")
	case st.Kind == sqlparse.KindDDL && len(st.Tables) == 0:
		dbNeed(actDDL, "DDL")
	}
	for _, t := range st.Tables {
		n := need{act: tableActions[t.Action], kind: 't', schema: t.Schema, name: t.Name}
		if why := sessionStateCatalog(d, t); why != "" {
			dbNeed(actAdmin, why)
		}
		if isCatalog(d, t) {
			if catalogFree && t.Action == sqlparse.ActionRead {
				continue
			}
			n.readOnly = true
		}
		out = append(out, n)
		if st.Kind == sqlparse.KindCopy {
			n.act = actCopy
			out = append(out, n)
		}
	}
	for i, f := range st.Functions {
		class := functionClass(f)
		if class == classLargeObject {
			dbNeed(actAdmin, "large object function "+f)
			continue
		}
		if st.Kind == sqlparse.KindCall && i == 0 || governed(class) {
			out = append(out, need{act: actExecute, kind: 'f', name: f})
		}
	}
	if st.StoredProgram != "" {
		// The tables are the body's (checked first); the procedure
		// itself is DDL of the database.
		dbNeed(actDDL, "CREATE "+strings.ToUpper(st.StoredProgram))
	}
	return out
}

// grantCheck decides n for the rules of a user's roles. Column-narrowed
// rules are left to columnCheck: a deny on some columns does not deny
// the table, and an allow of some columns allows the table only for them.
func grantCheck(rules []rule, n need, db, defSchema string) (allowed bool, by *rule) {
	for i := range rules {
		if rules[i].deny && len(rules[i].columns) == 0 && rules[i].matches(n, db, defSchema) {
			return false, &rules[i]
		}
	}
	for i := range rules {
		if !rules[i].deny && rules[i].matches(n, db, defSchema) {
			return true, &rules[i]
		}
	}
	return false, nil
}

// columnCheck decides a column read: deny rules naming the column (or
// any column, for a star) win; when every allow rule that covers the
// table names columns, the column must be among them (a star is refused:
// it would read the others).
func columnCheck(rules []rule, u sqlparse.ColumnUse, db, defSchema string) (ok bool, by *rule, narrowed bool) {
	n := need{act: actSelect, kind: 't', schema: u.Schema, name: u.Table}
	for i := range rules {
		r := &rules[i]
		if r.deny && len(r.columns) > 0 && r.matches(n, db, defSchema) && (u.Column == "*" || slices.Contains(r.columns, u.Column)) {
			return false, r, false
		}
	}
	var allowed []string
	for i := range rules {
		r := &rules[i]
		if r.deny || !r.matches(n, db, defSchema) {
			continue
		}
		if len(r.columns) == 0 {
			return true, nil, false
		}
		allowed = append(allowed, r.columns...)
	}
	if allowed == nil {
		return true, nil, false // no grant: the table check decides
	}
	return u.Column != "*" && slices.Contains(allowed, u.Column), nil, true
}

// denyFunctions checks every function called against deny rules, even
// functions that need no grant.
func denyFunctions(rules []rule, st *sqlparse.Statement, db, defSchema string) (string, *rule) {
	for _, f := range st.Functions {
		n := need{act: actExecute, kind: 'f', name: f}
		for i := range rules {
			if rules[i].deny && len(rules[i].functions) > 0 && rules[i].matches(n, db, defSchema) {
				return f, &rules[i]
			}
		}
	}
	return "", nil
}

func globMatch(pattern, s string) bool {
	ok, _ := path.Match(pattern, s)
	return ok
}
