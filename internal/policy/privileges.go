package policy

import (
	"slices"

	"github.com/floe-db/floe/internal/config"
)

// TablePrivileges is what a set of roles' grants give on one table, in
// the terms a database's own privilege system can hold: for each action
// (select, insert, update, delete, ddl), nil when the whole table is
// granted, or the columns when only some are (select only). Actions
// absent are not granted. It is the same reading of the grants that
// Check applies (deny rules win, column-narrowed grants narrow), so a
// backend login given exactly these privileges backs Floe's decisions.
func TablePrivileges(roles []config.Role, names []string, db, defSchema, schema, table string) map[string][]string {
	compiled := compileRules(roles)
	var rules []rule
	for _, n := range names {
		rules = append(rules, compiled[n]...)
	}
	out := map[string][]string{}
	for _, a := range []action{actSelect, actInsert, actUpdate, actDelete, actDDL} {
		n := need{act: a, kind: 't', schema: schema, name: table}
		allowed, _ := grantCheck(rules, n, db, defSchema)
		if !allowed {
			continue
		}
		var cols []string
		whole := false
		for i := range rules {
			r := &rules[i]
			if r.deny || !r.matches(n, db, defSchema) {
				continue
			}
			if len(r.columns) == 0 || a != actSelect {
				whole = true
				break
			}
			cols = append(cols, r.columns...)
		}
		if whole {
			out[a.String()] = nil
			continue
		}
		// Column deny rules take columns away from a narrowed grant.
		cols = slices.DeleteFunc(slices.Compact(sortedCopy(cols)), func(c string) bool {
			for i := range rules {
				r := &rules[i]
				if r.deny && len(r.columns) > 0 && r.matches(n, db, defSchema) && slices.Contains(r.columns, c) {
					return true
				}
			}
			return false
		})
		if len(cols) > 0 {
			out[a.String()] = cols
		}
	}
	return out
}

// DeniedColumns lists the columns of a table that deny rules of the
// roles take from a whole-table select grant.
func DeniedColumns(roles []config.Role, names []string, db, defSchema, schema, table string) []string {
	compiled := compileRules(roles)
	n := need{act: actSelect, kind: 't', schema: schema, name: table}
	var out []string
	for _, name := range names {
		for _, r := range compiled[name] {
			if r.deny && len(r.columns) > 0 && r.matches(n, db, defSchema) {
				out = append(out, r.columns...)
			}
		}
	}
	return slices.Compact(sortedCopy(out))
}

func sortedCopy(s []string) []string {
	c := slices.Clone(s)
	slices.Sort(c)
	return c
}
