package policy

import (
	"fmt"
	"slices"
	"strings"

	"github.com/floe-db/floe/internal/sqlerr"
	"github.com/floe-db/floe/internal/sqlparse"
)

// reviewFilterRelatives refuses reads of tables that may hold a filtered
// table's rows under another name: partitions and inheritance children
// are tables of their own, read directly without the parent's filter.
// The text alone cannot tell a partition from an unrelated table, so for
// a user with row filters on the database a table whose name starts with
// a filtered table's name and a separator or digit (orders_2024,
// orders_p1, orders2) must have a row filter of its own or be named, not
// matched by a pattern, in one of the user's grants.
func (p *Policy) reviewFilterRelatives(req Request, stmts []sqlparse.Statement) *Denial {
	filtered := p.filteredTables(req)
	if len(filtered) == 0 {
		return nil
	}
	for i := range stmts {
		describe := slices.ContainsFunc(stmts[i].Exposes, func(e string) bool { return strings.HasPrefix(e, sqlparse.ExposeShow) })
		if stmts[i].Node == "ExplainStmt" && !describe { // MySQL DESCRIBE t is an EXPLAIN of SHOW COLUMNS
			for _, t := range stmts[i].Tables {
				if slices.Contains(filtered, qualified(t.String(), req.DefaultSchema)) {
					// Plans show rows the filter removed and estimates
					// drawn from every tenant's values.
					return &Denial{Rule: "grant.row-filter", Code: sqlerr.InsufficientPrivilege, Errno: sqlerr.ErTableAccessDenied,
						Message: fmt.Sprintf("permission denied: EXPLAIN of table %s, which has a row filter for user %q: a plan counts the rows the filter removes", t, req.User)}
				}
			}
		}
		for _, t := range stmts[i].Tables {
			name := qualified(t.String(), req.DefaultSchema)
			parent := relativeOf(name, filtered)
			if parent == "" || p.namedInGrant(req, name) {
				continue
			}
			return &Denial{Rule: "grant.row-filter", Code: sqlerr.InsufficientPrivilege, Errno: sqlerr.ErTableAccessDenied,
				Message: fmt.Sprintf("permission denied: table %s may be a partition or child of %s, which has a row filter for user %q; "+
					"give it a row filter of its own or name it in a grant", t, parent, req.User)}
		}
	}
	return nil
}

// filteredTables lists the tables ("schema.name", lower case) a row
// filter of the request's roles applies to on its database.
func (p *Policy) filteredTables(req Request) []string {
	var out []string
	for _, r := range req.Roles {
		for _, f := range p.filters[r] {
			if f.Database == req.Database {
				out = append(out, qualified(f.Table, req.DefaultSchema))
			}
		}
	}
	return out
}

// qualified returns "schema.name" in lower case.
func qualified(table, defSchema string) string {
	table = strings.ToLower(table)
	if !strings.Contains(table, ".") {
		table = strings.ToLower(defSchema) + "." + table
	}
	return table
}

// relativeOf returns the filtered table whose name name extends, or "".
func relativeOf(name string, filtered []string) string {
	for _, f := range filtered {
		if name == f {
			return ""
		}
	}
	for _, f := range filtered {
		rest, ok := strings.CutPrefix(name, f)
		if ok && rest != "" && strings.ContainsRune("_$-0123456789", rune(rest[0])) {
			return f
		}
	}
	return ""
}

// namedInGrant reports whether a grant of the user's roles names the
// table itself (no pattern), or a row filter of theirs covers it.
func (p *Policy) namedInGrant(req Request, name string) bool {
	for _, r := range req.Roles {
		for _, f := range p.filters[r] {
			if f.Database == req.Database && qualified(f.Table, req.DefaultSchema) == name {
				return true
			}
		}
		for _, ru := range p.rules[r] {
			if ru.deny || !globMatch(ru.database, req.Database) && ru.database != "*" {
				continue
			}
			for _, t := range ru.tables {
				if strings.ContainsAny(t, "*?[") {
					continue
				}
				if strings.HasPrefix(t, ".") {
					t = strings.ToLower(req.DefaultSchema) + t
				}
				if t == name {
					return true
				}
			}
		}
	}
	return false
}
