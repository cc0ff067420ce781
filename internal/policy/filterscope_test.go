package policy

import (
	"context"
	"strings"
	"testing"
)

const filterConfig = `
databases:
  - {name: app, kind: postgres, primary: "postgres://u@127.0.0.1:5432/app"}
  - {name: shop, kind: mysql, primary: "mysql://u@127.0.0.1:3306/shop"}
users:
  - {name: t7, password: a, roles: [tenant]}
roles:
  - name: tenant
    grants:
      - {database: "*", tables: ["*"], actions: [select, insert, update, delete, copy]}
      - {database: "*", tables: ["orders_archive", "shop.orders_archive"], actions: [select]}
    row_filters:
      - {database: app, table: orders, where: "tenant_id = 7"}
      - {database: shop, table: orders, where: "tenant_id = 7"}
`

// TestRowFilterEveryForm: a row filter holds whatever form the table is
// read in; forms it cannot be added to, and tables that may hold the
// filtered table's rows under another name, are refused.
func TestRowFilterEveryForm(t *testing.T) {
	p := policyFrom(t, filterConfig, Options{})
	ctx := context.Background()
	pg, my := []Dialect{Postgres}, []Dialect{MySQL}
	both := []Dialect{Postgres, MySQL}
	for _, tt := range []struct {
		dialects []Dialect
		sql      string
		denied   bool
		filtered bool // the text that runs carries the filter
	}{
		{both, "SELECT * FROM orders", false, true},
		{pg, "SELECT * FROM orders TABLESAMPLE SYSTEM (100)", false, true},
		{pg, "SELECT * FROM ONLY orders", false, true},
		{pg, "SELECT * FROM orders*", false, true},
		{pg, "SELECT * FROM public.orders o, LATERAL (SELECT o.id) x", false, true},
		{pg, "SELECT id FROM orders WHERE secret::int = 1", false, true},
		{my, "SELECT * FROM orders PARTITION (p0)", false, true},
		// Upserts on a filtered table are refused (upsert.go) before the
		// rewrite, which would add the filter to DO UPDATE … WHERE.
		{pg, "INSERT INTO orders (id, tenant_id) VALUES (1, 7) ON CONFLICT (id) DO UPDATE SET total = 0 RETURNING *", true, false},
		{both, "SELECT * FROM orders_archive", false, false},
		{both, "SELECT * FROM customers", false, false},
		{both, "SELECT * FROM orders_2024", true, false},
		{both, "SELECT * FROM orders2", true, false},
		{pg, "SELECT * FROM public.orders_p1", true, false},
		{pg, "SELECT * FROM customers c JOIN orders_default d ON d.cid = c.id", true, false},
		{pg, "MERGE INTO customers c USING orders o ON o.cid = c.id WHEN MATCHED THEN UPDATE SET name = o.secret", true, false},
		{pg, "COPY orders TO STDOUT", true, false},
		{pg, "COPY (SELECT * FROM orders) TO STDOUT", false, true},
		{my, "REPLACE INTO orders (id, tenant_id) VALUES (1, 7)", true, false},
		{my, "INSERT INTO orders (id, tenant_id) VALUES (1, 7) ON DUPLICATE KEY UPDATE total = 0", true, false},
		{my, "TABLE orders", true, false},
		{both, "EXPLAIN SELECT * FROM orders WHERE secret = 'x'", true, false},
		{pg, "EXPLAIN ANALYZE SELECT * FROM orders", true, false},
		{both, "EXPLAIN SELECT * FROM customers WHERE name = 'x'", false, false},
		{my, "DESCRIBE orders", false, false},
		{my, "SHOW COLUMNS FROM orders", false, false},
	} {
		for _, d := range tt.dialects {
			db, schema := "app", "public"
			if d == MySQL {
				db, schema = "shop", "shop"
			}
			dec := p.Check(ctx, Request{User: "t7", Roles: []string{"tenant"}, Database: db, DefaultSchema: schema, Dialect: d, SQL: tt.sql})
			if got := dec.Denial != nil; got != tt.denied {
				t.Errorf("%s %q: denied=%v (%v), want %v", d, tt.sql, got, dec.Denial, tt.denied)
				continue
			}
			if dec.Denial != nil && (dec.Denial.Code != "42501" || dec.Denial.Rule != "grant.row-filter") {
				t.Errorf("%s %q: denial %+v", d, tt.sql, dec.Denial)
			}
			if got := strings.Contains(dec.SQL, "tenant_id"); !tt.denied && got != tt.filtered {
				t.Errorf("%s %q: runs %q, filtered=%v, want %v", d, tt.sql, dec.SQL, got, tt.filtered)
			}
		}
	}
}
