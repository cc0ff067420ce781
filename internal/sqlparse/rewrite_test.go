package sqlparse

import (
	"errors"
	"testing"
)

func TestRewritePostgres(t *testing.T) {
	filters := []RowFilter{{Table: "orders", Where: "tenant_id = 7"}, {Schema: "audit", Table: "log", Where: "level <> 'secret'"}, {Table: "sub", Where: "id IN (SELECT id FROM sub)"}}
	for _, tt := range []struct{ in, want string }{
		{"SELECT * FROM orders", "SELECT * FROM orders WHERE orders.tenant_id = 7"},
		{"SELECT id FROM public.orders o WHERE o.total > $1", "SELECT id FROM public.orders o WHERE o.tenant_id = 7 AND o.total > $1"},
		{"SELECT c.name FROM customers c JOIN orders o ON o.cid = c.id WHERE c.id = 1 OR c.id = 2",
			"SELECT c.name FROM customers c JOIN orders o ON o.cid = c.id WHERE o.tenant_id = 7 AND (c.id = 1 OR c.id = 2)"},
		{"SELECT * FROM customers WHERE id IN (SELECT cid FROM orders)", "SELECT * FROM customers WHERE id IN (SELECT cid FROM orders WHERE orders.tenant_id = 7)"},
		{"WITH x AS (SELECT * FROM orders) SELECT * FROM x", "WITH x AS (SELECT * FROM orders WHERE orders.tenant_id = 7) SELECT * FROM x"},
		{"UPDATE orders SET total = 0 WHERE id = 3", "UPDATE orders SET total = 0 WHERE orders.tenant_id = 7 AND id = 3"},
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
			"SELECT `o`.`id` FROM `orders` AS `o` JOIN `customers` AS `c` ON `c`.`id`=`o`.`cid` WHERE (`o`.`tenant_id`=7) AND (`o`.`total`>?)"},
		{"SELECT * FROM shop.orders", "SELECT * FROM `shop`.`orders` WHERE (`orders`.`tenant_id`=7)"},
		{"DELETE FROM orders WHERE id = 1", "DELETE FROM `orders` WHERE (`orders`.`tenant_id`=7) AND (`id`=1)"},
		{"SELECT * FROM customers", ""},
		{"SELECT * FROM other.orders", ""},
		// A filter that reads its own table is not applied to itself again.
		{"SELECT * FROM t", "SELECT * FROM `t` WHERE (`t`.`id` IN (SELECT `id` FROM `t`))"},
		// Strings keep the form the client wrote: no charset introducer
		// is added (SQLite behind the MySQL front end reads the text too),
		// one the client wrote stays.
		{"SELECT * FROM orders WHERE region = 'eu'", "SELECT * FROM `orders` WHERE (`orders`.`tenant_id`=7) AND (`region`='eu')"},
		{"SELECT * FROM orders WHERE region = _latin1'eu'", "SELECT * FROM `orders` WHERE (`orders`.`tenant_id`=7) AND (`region`=_LATIN1'eu')"},
	} {
		checkRewrite(t, RewriteMySQL, "shop", filters, tt.in, tt.want)
	}
	if err := CheckFilter("tenant_id = 7 AND"); err == nil {
		t.Error("bad filter accepted")
	}
}

// TestRewriteEveryForm: the filter reaches every form of table reference
// that reads rows (TABLESAMPLE, ONLY, t*, LATERAL, locking clauses, ON
// CONFLICT DO UPDATE), and a statement that names the table in a form the
// filter cannot be added to is refused rather than run unfiltered.
func TestRewriteEveryForm(t *testing.T) {
	filters := []RowFilter{{Table: "orders", Where: "tenant_id = 7"}}
	for _, tt := range []struct{ in, want string }{
		{"SELECT * FROM orders TABLESAMPLE SYSTEM (100)", "SELECT * FROM orders TABLESAMPLE system(100) WHERE orders.tenant_id = 7"},
		{"SELECT * FROM orders o TABLESAMPLE BERNOULLI (50) REPEATABLE (1)", "SELECT * FROM orders o TABLESAMPLE bernoulli(50) REPEATABLE (1) WHERE o.tenant_id = 7"},
		{"SELECT * FROM ONLY orders", "SELECT * FROM ONLY orders WHERE orders.tenant_id = 7"},
		{"SELECT * FROM orders*", "SELECT * FROM orders WHERE orders.tenant_id = 7"},
		{"SELECT * FROM customers c, LATERAL (SELECT * FROM orders o WHERE o.cid = c.id) x", "SELECT * FROM customers c, LATERAL (SELECT * FROM orders o WHERE o.tenant_id = 7 AND o.cid = c.id) x"},
		{"SELECT * FROM orders FOR UPDATE OF orders", "SELECT * FROM orders WHERE orders.tenant_id = 7 FOR UPDATE OF orders"},
		{"INSERT INTO orders (id, tenant_id) VALUES (1, 7)", ""},
		{"INSERT INTO orders (id, tenant_id) VALUES (1, 7) ON CONFLICT (id) DO NOTHING", ""},
		{"INSERT INTO orders AS o (id, tenant_id) VALUES (1, 7) ON CONFLICT (id) DO UPDATE SET total = 0 RETURNING *",
			"INSERT INTO orders AS o (id, tenant_id) VALUES (1, 7) ON CONFLICT (id) DO UPDATE SET total = 0 WHERE o.tenant_id = 7 RETURNING *"},
		{"COPY orders FROM STDIN", ""},
	} {
		checkRewrite(t, RewritePostgres, "public", filters, tt.in, tt.want)
	}
	for _, in := range []string{
		"COPY orders TO STDOUT",
		"MERGE INTO orders o USING customers c ON o.cid = c.id WHEN MATCHED THEN UPDATE SET total = 0",
		"MERGE INTO customers c USING orders o ON o.cid = c.id WHEN MATCHED THEN UPDATE SET name = o.secret",
		"TRUNCATE orders",
		"LOCK TABLE orders",
		"ALTER TABLE orders ADD COLUMN x int",
		"CREATE TABLE x (LIKE orders)",
		"CREATE TRIGGER t AFTER INSERT ON orders FOR EACH ROW EXECUTE FUNCTION f()",
		"CREATE RULE r AS ON INSERT TO orders DO ALSO NOTIFY x",
		"VACUUM orders",
	} {
		if out, _, err := RewritePostgres(in, "public", filters); !errors.Is(err, ErrFilterForm) {
			t.Errorf("pg %q: %q, %v; want it refused", in, out, err)
		}
	}
	for _, tt := range []struct{ in, want string }{
		{"SELECT * FROM orders PARTITION (p0)", "SELECT * FROM `orders` PARTITION(`p0`) WHERE (`orders`.`tenant_id`=7)"},
		{"INSERT INTO orders (id, tenant_id) VALUES (1, 7)", ""},
		{"INSERT INTO copy SELECT * FROM orders", "INSERT INTO `copy` SELECT * FROM `orders` WHERE (`orders`.`tenant_id`=7)"},
		{"DELETE o FROM orders o JOIN customers c ON c.id = o.cid", "DELETE `o` FROM `orders` AS `o` JOIN `customers` AS `c` ON `c`.`id`=`o`.`cid` WHERE (`o`.`tenant_id`=7)"},
		{"SHOW COLUMNS FROM orders", ""},
	} {
		checkRewrite(t, RewriteMySQL, "shop", filters, tt.in, tt.want)
	}
	for _, in := range []string{
		"REPLACE INTO orders (id, tenant_id) VALUES (1, 7)",
		"INSERT INTO orders (id, tenant_id) VALUES (1, 7) ON DUPLICATE KEY UPDATE total = 0",
		"TABLE orders",
		"TRUNCATE orders",
		"LOCK TABLES orders READ",
		"ALTER TABLE orders ADD COLUMN x int",
		"CREATE TABLE x LIKE orders",
	} {
		if out, _, err := RewriteMySQL(in, "shop", filters); !errors.Is(err, ErrFilterForm) {
			t.Errorf("mysql %q: %q, %v; want it refused", in, out, err)
		}
	}
}
