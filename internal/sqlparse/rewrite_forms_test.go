package sqlparse

import (
	"errors"
	"strings"
	"testing"
)

func TestRewritePostgresFilterScope(t *testing.T) {
	fs := []RowFilter{{Table: "orders", Where: "tenant = 7"}}
	for _, tc := range []struct {
		sql    string
		refuse bool
		want   string // a fragment of the rewritten text
	}{
		{sql: "SELECT * FROM orders TABLESAMPLE SYSTEM (100)", want: "WHERE orders.tenant = 7"},
		{sql: "SELECT * FROM x JOIN orders o TABLESAMPLE BERNOULLI (5) ON true", want: "WHERE o.tenant = 7"},
		{sql: "SELECT * FROM orders", want: "WHERE orders.tenant = 7"},
		{sql: "INSERT INTO orders VALUES (1, 7, 1)"},
		{sql: "COPY (SELECT * FROM orders) TO STDOUT", want: "WHERE orders.tenant = 7"},
		{sql: "MERGE INTO mine m USING (SELECT * FROM orders) o ON true WHEN NOT MATCHED THEN INSERT VALUES (o.id)", want: "WHERE orders.tenant = 7"},
		{sql: "COPY orders TO STDOUT", refuse: true},
		{sql: "COPY public.orders (id) TO STDOUT", refuse: true},
		{sql: "MERGE INTO mine m USING orders o ON true WHEN NOT MATCHED THEN INSERT VALUES (o.id)", refuse: true},
		{sql: "MERGE INTO mine m USING x JOIN orders o ON true ON true WHEN NOT MATCHED THEN INSERT VALUES (o.id)", refuse: true},
		{sql: "MERGE INTO orders o USING x ON true WHEN NOT MATCHED THEN INSERT VALUES (1)", refuse: true},
		{sql: "TRUNCATE orders", refuse: true},
		{sql: "LOCK TABLE ORDERS", refuse: true},
		{sql: "SELECT 1; TRUNCATE public.orders", refuse: true},
		{sql: "SELECT 1 FROM other"},
		// An UPDATE may not move a row out of the filter.
		{sql: "UPDATE orders SET total = 0", want: "WHERE orders.tenant = 7"},
		{sql: "UPDATE orders SET tenant = 8 WHERE id = 1", refuse: true},
		{sql: "UPDATE orders SET (total, TENANT) = (0, 8)", refuse: true},
		{sql: "WITH m AS (UPDATE public.orders SET tenant = $1 RETURNING id) SELECT * FROM m", refuse: true},
		{sql: "UPDATE other SET tenant = 8 FROM orders", want: "WHERE orders.tenant = 7"},
		{sql: "PREPARE p AS UPDATE orders SET tenant = $1", refuse: true},
		{sql: "UPDATE orders SET (tenant) = (SELECT 8)", refuse: true},
	} {
		out, _, err := RewritePostgres(tc.sql, "public", fs)
		if tc.refuse {
			if !errors.Is(err, ErrFilterForm) {
				t.Errorf("%s: %v, want ErrFilterForm", tc.sql, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", tc.sql, err)
			continue
		}
		if !strings.Contains(out, tc.want) {
			t.Errorf("%s: rewritten to %s, want it to contain %q", tc.sql, out, tc.want)
		}
	}
}

func TestRewriteMySQLFilterScope(t *testing.T) {
	fs := []RowFilter{{Table: "orders", Where: "tenant = 7"}}
	for _, tc := range []struct {
		sql    string
		refuse bool
	}{
		{sql: "SELECT * FROM orders"},
		{sql: "SELECT * FROM (orders o JOIN x ON 1=1)"},
		{sql: "SELECT (SELECT count(*) FROM orders) FROM dual"},
		{sql: "UPDATE orders SET total = 0"},
		{sql: "UPDATE orders SET tenant = 8 WHERE id = 1", refuse: true},
		{sql: "UPDATE orders o JOIN x ON o.id = x.id SET o.tenant = 8", refuse: true},
		{sql: "UPDATE orders o JOIN x ON o.id = x.id SET x.tenant = 8"},
		{sql: "UPDATE orders SET `Tenant` = ?", refuse: true},
		{sql: "DELETE o FROM orders o JOIN x ON o.id = x.id"},
		{sql: "DELETE FROM orders USING orders JOIN x ON orders.id = x.id"},
		{sql: "INSERT INTO orders VALUES (1, 7, 1)"},
		{sql: "INSERT INTO x SELECT * FROM orders"},
		{sql: "SHOW COLUMNS FROM orders"},
		{sql: "TRUNCATE orders", refuse: true},
		{sql: "TRUNCATE TABLE shop.orders", refuse: true},
		{sql: "LOCK TABLES orders WRITE", refuse: true},
		{sql: "ALTER TABLE orders ADD COLUMN c int", refuse: true},
		{sql: "SELECT 1; TRUNCATE ORDERS", refuse: true},
	} {
		_, _, err := RewriteMySQL(tc.sql, "shop", fs)
		if tc.refuse != errors.Is(err, ErrFilterForm) || !tc.refuse && err != nil {
			t.Errorf("%s: %v, refuse %v", tc.sql, err, tc.refuse)
		}
	}
}
