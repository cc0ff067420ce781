package policy

import (
	"strings"

	"github.com/floe-db/floe/internal/sqlparse"
)

// checkSessionRules applies the rules that depend on the session rather
// than on one statement's tables: prepared statement names (the relay's,
// and those the session did not prepare), upserts on tables with row
// filters, and search_path changes.
func (p *Policy) checkSessionRules(req Request, rules []rule, stmts []sqlparse.Statement) *Denial {
	if den := checkPrepared(req, stmts); den != nil {
		return den
	}
	if den := p.checkUpsertFilters(req, stmts); den != nil {
		return den
	}
	for i := range stmts {
		if why := searchPathChange(req, &stmts[i]); why != "" {
			n := need{act: actAdmin, kind: 'd', why: why}
			if ok, by := grantCheck(rules, n, req.Database, req.DefaultSchema); !ok {
				return grantDenial(req, n, by)
			}
		}
	}
	return nil
}

// searchPathChange says why a SET search_path needs admin: unqualified
// names are checked in the session's default schema, so a path that
// puts another schema in reach would let `t` be checked as public.t
// and read as other.t. A path of the default schema, "$user",
// pg_catalog and pg_temp (the server's own default) is free.
func searchPathChange(req Request, st *sqlparse.Statement) string {
	if req.Dialect != Postgres || !st.SetsSearchPath {
		return ""
	}
	for _, s := range st.SearchPath {
		switch s {
		case req.DefaultSchema, "$user", "pg_catalog", "pg_temp":
			continue
		}
		if strings.EqualFold(s, req.DefaultSchema) && s == strings.ToLower(s) {
			continue
		}
		return "SET search_path to a schema other than " + req.DefaultSchema
	}
	return ""
}
