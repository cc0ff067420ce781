package advise

import (
	"testing"

	"github.com/floe-db/floe/internal/analysis"
)

// FuzzExtract: reading any text never panics, and the '?' conversion
// never adds statements.
func FuzzExtract(f *testing.F) {
	for _, s := range []string{
		"SELECT * FROM t WHERE a = ? AND b > ? ORDER BY c",
		"SELECT * FROM a JOIN b ON a.id = b.a_id WHERE b.k IN (?, ?)",
		"WITH x AS (SELECT * FROM t) SELECT * FROM x WHERE y = $1",
		"UPDATE t SET a = ? WHERE id = ?",
		"DELETE FROM t USING u WHERE t.id = u.id AND u.k BETWEEN ? AND ?",
		"SELECT `a` FROM `s`.`t` AS x WHERE x.a <=> ?",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, sql string) {
		for _, d := range []analysis.Dialect{analysis.Postgres, analysis.MySQL} {
			uses, err := Extract(d, sql, "s")
			if err != nil {
				continue
			}
			for _, u := range uses {
				if u.Table.Name == "" || u.Table.Schema == "" {
					t.Fatalf("Extract(%q): unnamed table %+v", sql, u.Table)
				}
			}
			_ = Candidates(uses)
		}
		_, _ = PostgresPlaceholders(sql)
		_ = MySQLLiterals(sql)
	})
}

// FuzzPlan: reading any EXPLAIN document never panics.
func FuzzPlan(f *testing.F) {
	f.Add([]byte(`[{"Plan":{"Node Type":"Seq Scan","Relation Name":"t","Total Cost":10,"Plans":[]}}]`))
	f.Add([]byte(`{"query_block":{"table":{"table_name":"t","access_type":"ALL","rows":5},"filesort":{}}}`))
	f.Add([]byte(`[{"Plan":{"Plans":[1,"x",null,{"Node Type":"Sort"}]}}]`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		_, _ = pgPlan(raw)
		_, _ = myPlan(raw)
	})
}
