package policy

import (
	"strings"

	"github.com/floe-db/floe/internal/sqlparse"
)

// statisticsCatalog names why reading t needs admin: PostgreSQL's planner
// statistics hold column values of every analysed table — most common
// values, histogram bounds, extended-statistics values — which the
// server shows to whoever may read the table, and the backend login may
// read tables the gateway user may not, rows its row filter hides and
// columns that are masked or denied (pg_stats of a filtered orders table
// lists the other tenants' totals). "" for other tables.
func statisticsCatalog(d Dialect, t sqlparse.Table) string {
	if d != Postgres {
		return ""
	}
	if s := strings.ToLower(t.Schema); s != "" && s != "pg_catalog" {
		return ""
	}
	switch n := strings.ToLower(t.Name); n {
	case "pg_stats", "pg_stats_ext", "pg_stats_ext_exprs", "pg_statistic", "pg_statistic_ext_data":
		return "the planner statistics " + n + ", which hold column values"
	}
	return ""
}
