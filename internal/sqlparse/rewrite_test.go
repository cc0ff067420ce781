package sqlparse

import "testing"

func TestRewritePostgres(t *testing.T) {
	filters := []RowFilter{{Table: "orders", Where: "tenant_id = 7"}, {Schema: "audit", Table: "log", Where: "level <> 'secret'"}, {Table: "sub", Where: "id IN (SELECT id FROM sub)"}}
	for _, tt := range []struct{ in, want string }{
		{"SELECT * FROM orders", "SELECT * FROM orders WHERE orders.tenant_id = 7"},
		{"SELECT id FROM public.orders o WHERE o.total > $1", "SELECT id FROM public.orders o WHERE o.total > $1 AND o.tenant_id = 7"},
		{"SELECT c.name FROM customers c JOIN orders o ON o.cid = c.id WHERE c.id = 1 OR c.id = 2",
			"SELECT c.name FROM customers c JOIN orders o ON o.cid = c.id WHERE (c.id = 1 OR c.id = 2) AND o.tenant_id = 7"},
		{"SELECT * FROM customers WHERE id IN (SELECT cid FROM orders)", "SELECT * FROM customers WHERE id IN (SELECT cid FROM orders WHERE orders.tenant_id = 7)"},
		{"WITH x AS (SELECT * FROM orders) SELECT * FROM x", "WITH x AS (SELECT * FROM orders WHERE orders.tenant_id = 7) SELECT * FROM x"},
		{"UPDATE orders SET total = 0 WHERE id = 3", "UPDATE orders SET total = 0 WHERE id = 3 AND orders.tenant_id = 7"},
		{"DELETE FROM orders", "DELETE FROM orders WHERE orders.tenant_id = 7"},
		{"SELECT * FROM sub", "SELECT * FROM sub WHERE sub.id IN (SELECT id FROM sub)"},
		{"SELECT * FROM audit.log", "SELECT * FROM audit.log WHERE log.level <> 'secret'"},
		{"SELECT * FROM log", ""}, // public.log: no filter
		{"SELECT * FROM other.orders", ""},
	} {
		checkRewrite(t, RewritePostgres, "public", filters, tt.in, tt.want)
	}
}

// checkRewrite compares one rewrite with want ("": left unchanged).
func checkRewrite(t *testing.T, rewrite func(string, string, []RowFilter) (string, bool, error), defSchema string, filters []RowFilter, in, want string) {
	t.Helper()
	got, changed, err := rewrite(in, defSchema, filters)
	switch {
	case err != nil:
		t.Errorf("%q: %v", in, err)
	case want == "" && changed:
		t.Errorf("%q rewritten to %q", in, got)
	case want != "" && got != want:
		t.Errorf("%q:\n got %s\nwant %s", in, got, want)
	}
}

func TestRewriteMySQL(t *testing.T) {
	filters := []RowFilter{{Table: "orders", Where: "tenant_id = 7"}, {Table: "t", Where: "id IN (SELECT id FROM t)"}}
	for _, tt := range []struct{ in, want string }{
		{"SELECT * FROM orders", "SELECT * FROM `orders` WHERE (`orders`.`tenant_id`=7)"},
		{"SELECT o.id FROM orders AS o JOIN customers c ON c.id = o.cid WHERE o.total > ?",
			"SELECT `o`.`id` FROM `orders` AS `o` JOIN `customers` AS `c` ON `c`.`id`=`o`.`cid` WHERE (`o`.`total`>?) AND (`o`.`tenant_id`=7)"},
		{"SELECT * FROM shop.orders", "SELECT * FROM `shop`.`orders` WHERE (`orders`.`tenant_id`=7)"},
		{"DELETE FROM orders WHERE id = 1", "DELETE FROM `orders` WHERE (`id`=1) AND (`orders`.`tenant_id`=7)"},
		{"SELECT * FROM customers", ""},
		{"SELECT * FROM other.orders", ""},
		// A filter that reads its own table is not applied to itself again.
		{"SELECT * FROM t", "SELECT * FROM `t` WHERE (`t`.`id` IN (SELECT `id` FROM `t`))"},
	} {
		checkRewrite(t, RewriteMySQL, "shop", filters, tt.in, tt.want)
	}
	if err := CheckFilter("tenant_id = 7 AND"); err == nil {
		t.Error("bad filter accepted")
	}
}
