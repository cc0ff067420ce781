package policy

import (
	"fmt"
	"slices"

	"github.com/floe-db/floe/internal/sqlerr"
	"github.com/floe-db/floe/internal/sqlparse"
)

// checkUpsertFilters refuses a statement that changes existing rows of a
// table through an upsert or a MERGE when a row filter of the user's
// roles applies to that table: the filter is added to the WHERE of
// SELECT, UPDATE and DELETE only, so an upsert would change rows outside
// it (INSERT … ON CONFLICT DO UPDATE of another tenant's key).
func (p *Policy) checkUpsertFilters(req Request, stmts []sqlparse.Statement) *Denial {
	var filtered []string
	for _, st := range stmts {
		if !st.Upsert {
			continue
		}
		if filtered == nil {
			if filtered = p.filteredTables(req); len(filtered) == 0 {
				return nil
			}
		}
		for _, t := range st.Tables {
			if t.Action != sqlparse.ActionUpdate && t.Action != sqlparse.ActionDelete {
				continue
			}
			if slices.Contains(filtered, qualified(t.String(), req.DefaultSchema)) {
				return &Denial{Rule: "grant.row-filter", Code: sqlerr.InsufficientPrivilege, Errno: sqlerr.ErTableAccessDenied,
					Message: fmt.Sprintf("permission denied: table %s has a row filter for user %q; upserts and MERGE cannot be filtered, use INSERT and UPDATE", t, req.User)}
			}
		}
	}
	return nil
}
