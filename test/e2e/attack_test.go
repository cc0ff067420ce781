package e2e

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
)

// Attacks by a restricted gateway user on the row filter of its role,
// without provisioned logins (Floe's rewrite is then the only line), on
// PostgreSQL. Each case checks the effect on the database: the rows of
// tenant 8 were neither read nor written.
func TestAttackRowFilterPostgres(t *testing.T) {
	dsn := testDB(t)
	ctx := context.Background()
	admin, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close(ctx)
	for _, q := range []string{
		"CREATE TABLE orders (id int primary key, tenant int, total int)",
		"INSERT INTO orders VALUES (1, 7, 10), (2, 7, 20), (3, 8, 30)",
		"CREATE TABLE mine (id int primary key, total int)",
	} {
		if _, err := admin.Exec(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	g := start(t, fmt.Sprintf(`databases:
  - {name: app, kind: postgres, primary: %q, pool: {mode: transaction, size: 4}}
users:
  - {name: tess, password: tess-secret, roles: [tenant]}
roles:
  - name: tenant
    grants:
      - {database: app, tables: [orders], actions: [select, insert, update, delete, copy]}
      - {database: app, tables: [mine], actions: [select, insert, update, delete]}
    row_filters:
      - {database: app, table: orders, where: "tenant = 7"}
`, dsn))
	c := g.connect(t, "tess", "tess-secret", "app")
	reset := func() {
		t.Helper()
		for _, q := range []string{"DELETE FROM mine", "DELETE FROM orders", "INSERT INTO orders VALUES (1, 7, 10), (2, 7, 20), (3, 8, 30)"} {
			if _, err := admin.Exec(ctx, q); err != nil {
				t.Fatal(err)
			}
		}
	}
	// other8 is what the database holds of tenant 8's order.
	other8 := func() string {
		var s string
		if err := admin.QueryRow(ctx, "SELECT coalesce((SELECT tenant || ':' || total FROM orders WHERE id = 3), 'gone') || '/' || (SELECT count(*) FROM mine WHERE id = 3 OR total = 30)").Scan(&s); err != nil {
			t.Fatal(err)
		}
		return s
	}
	const untouched = "8:30/0"
	for _, tc := range []struct {
		name, sql string
	}{
		{"tablesample", "SELECT id, tenant, total FROM orders TABLESAMPLE SYSTEM (100)"},
		{"tablesample in subquery", "SELECT * FROM (SELECT id, tenant, total FROM orders TABLESAMPLE BERNOULLI (100) REPEATABLE (1)) s"},
		{"tablesample joined", "SELECT o.id, o.tenant, o.total FROM mine m RIGHT JOIN orders o TABLESAMPLE SYSTEM (100) ON m.id = o.id"},
		{"merge reads source", "MERGE INTO mine m USING orders o ON m.id = o.id WHEN NOT MATCHED THEN INSERT VALUES (o.id, o.total)"},
		{"merge reads source subquery alias", "MERGE INTO mine m USING public.orders AS o ON m.id = o.id WHEN NOT MATCHED THEN INSERT (id, total) VALUES (o.id, o.total)"},
		{"merge updates target", "MERGE INTO orders o USING (VALUES (3)) v(id) ON o.id = v.id WHEN MATCHED THEN UPDATE SET tenant = 7"},
		{"merge deletes target", "MERGE INTO orders o USING mine m ON true WHEN MATCHED THEN DELETE"},
		{"upsert takes another tenant's row", "INSERT INTO orders VALUES (3, 7, 0) ON CONFLICT (id) DO UPDATE SET tenant = 7 RETURNING *"},
		{"upsert in writable cte", "WITH x AS (INSERT INTO orders VALUES (3, 7, 0) ON CONFLICT (id) DO UPDATE SET tenant = excluded.tenant RETURNING total) INSERT INTO mine SELECT 3, total FROM x"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			reset()
			if tc.name == "merge deletes target" {
				if _, err := admin.Exec(ctx, "INSERT INTO mine VALUES (99, 0)"); err != nil {
					t.Fatal(err)
				}
			}
			rows, err := c.Query(ctx, tc.sql)
			var seen []string
			if err == nil {
				for rows.Next() {
					v, _ := rows.Values()
					seen = append(seen, fmt.Sprint(v))
				}
				rows.Close()
				err = rows.Err()
			}
			for _, s := range seen {
				if strings.Contains(s, "30") {
					t.Errorf("%s returned tenant 8's row: %v", tc.sql, seen)
				}
			}
			if got := other8(); got != untouched {
				t.Errorf("%s: tenant 8's order is now %s (want %s) — err %v", tc.sql, got, untouched, err)
			}
		})
	}
	// An UPDATE may not move the tenant's rows into another tenant's
	// reach: no row of tenant 7 may become tenant 8's.
	for _, q := range []string{
		"UPDATE orders SET tenant = 8 WHERE id = 1 RETURNING *",
		"UPDATE orders SET (total, tenant) = (0, 8)",
		"WITH m AS (UPDATE public.orders SET tenant = 8 RETURNING id) SELECT * FROM m",
		"PREPARE mv AS UPDATE orders SET tenant = 8 WHERE id = 1",
	} {
		t.Run("move rows: "+q, func(t *testing.T) {
			reset()
			_, err := c.Exec(ctx, q)
			if sqlstate(err) != "42501" {
				t.Errorf("%s: %v, want 42501", q, err)
			}
			var n int
			if err := admin.QueryRow(ctx, "SELECT count(*) FROM orders WHERE tenant = 8").Scan(&n); err != nil || n != 1 {
				t.Errorf("%s: tenant 8 now has %d orders (%v), want 1", q, n, err)
			}
		})
	}
	t.Run("copy table to stdout", func(t *testing.T) {
		reset()
		var buf bytes.Buffer
		_, err := c.PgConn().CopyTo(ctx, &buf, "COPY orders TO STDOUT")
		if strings.Contains(buf.String(), "30") {
			t.Errorf("COPY orders TO STDOUT returned tenant 8's row: %q", buf.String())
		}
		if sqlstate(err) != "42501" {
			t.Errorf("COPY orders TO STDOUT: %v, want 42501", err)
		}
	})
	// Benign: what the filter allows keeps working.
	reset()
	var n int
	if err := c.QueryRow(ctx, "SELECT count(*) FROM orders").Scan(&n); err != nil || n != 2 {
		t.Errorf("tenant reads %d orders (%v), want 2", n, err)
	}
	if _, err := c.Exec(ctx, "UPDATE orders SET total = total + 1"); err != nil {
		t.Errorf("update own rows: %v", err)
	}
	if _, err := c.Exec(ctx, "INSERT INTO orders VALUES (4, 7, 40)"); err != nil {
		t.Errorf("insert: %v", err)
	}
	if got := other8(); got != untouched {
		t.Errorf("benign statements changed tenant 8's order: %s", got)
	}
	var buf bytes.Buffer
	if _, err := c.PgConn().CopyTo(ctx, &buf, "COPY (SELECT id FROM orders ORDER BY id) TO STDOUT"); err != nil || buf.String() != "1\n2\n4\n" {
		t.Errorf("COPY (SELECT …) TO STDOUT: %q %v", buf.String(), err)
	}
}

// TestAttackRowFilterMySQL: MariaDB has no row-level security, so Floe's
// rewrite is the only line for row filters there. A tenant with ddl,
// update and delete on its filtered table cannot empty, lock or change
// another tenant's rows by statements whose WHERE cannot carry the filter.
func TestAttackRowFilterMySQL(t *testing.T) {
	myDSN, direct := myTestDB(t)
	for _, q := range []string{
		"CREATE TABLE orders (id int primary key, tenant int, total int)",
	} {
		if _, err := direct.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	g := start(t, fmt.Sprintf(`databases:
  - {name: shop, kind: mysql, primary: %q, pool: {mode: transaction, size: 4}}
users:
  - {name: tess, password: tess-secret, roles: [tenant]}
roles:
  - name: tenant
    grants:
      - {database: shop, tables: [orders], actions: [select, insert, update, delete, ddl]}
    row_filters:
      - {database: shop, table: orders, where: "tenant = 7"}
`, myDSN))
	db := g.mydb(t, "tess", "tess-secret", "shop", map[string]string{"multiStatements": "true"})
	reset := func() {
		t.Helper()
		for _, q := range []string{"DELETE FROM orders", "INSERT INTO orders VALUES (1, 7, 10), (2, 7, 20), (3, 8, 30)"} {
			if _, err := direct.Exec(q); err != nil {
				t.Fatal(err)
			}
		}
	}
	other8 := func() string {
		var s sql.NullString
		if err := direct.QueryRow("SELECT concat(tenant, ':', total) FROM orders WHERE id = 3").Scan(&s); err != nil && err != sql.ErrNoRows {
			t.Fatal(err)
		}
		return s.String
	}
	for _, q := range []string{
		"TRUNCATE orders",
		"TRUNCATE TABLE `orders`",
		"select 1; truncate table ORDERS",
		"INSERT INTO orders VALUES (3, 7, 0) ON DUPLICATE KEY UPDATE tenant = 7",
		"REPLACE INTO orders VALUES (3, 7, 0)",
		"ALTER TABLE orders DROP COLUMN total",
		// moving a row out of the filter (MariaDB has no row-level
		// security to stop it)
		"UPDATE orders SET tenant = 8 WHERE id = 1",
		"UPDATE orders o JOIN orders p ON o.id = p.id SET o.tenant = 8",
	} {
		t.Run(q, func(t *testing.T) {
			reset()
			_, err := db.Exec(q)
			if myErrno(err) != 1142 {
				t.Errorf("%s: %v, want 1142", q, err)
			}
			if got := other8(); got != "8:30" {
				t.Errorf("%s: tenant 8's order is now %q", q, got)
			}
			var n int
			if err := direct.QueryRow("SELECT count(*) FROM orders WHERE tenant = 8").Scan(&n); err != nil || n != 1 {
				t.Errorf("%s: tenant 8 now has %d orders (%v), want 1", q, n, err)
			}
		})
	}
	reset()
	var n int
	if err := db.QueryRow("SELECT count(*) FROM orders").Scan(&n); err != nil || n != 2 {
		t.Errorf("tenant reads %d orders (%v), want 2", n, err)
	}
	if _, err := db.Exec("UPDATE orders SET total = 0"); err != nil {
		t.Errorf("update own rows: %v", err)
	}
	if _, err := db.Exec("INSERT INTO orders VALUES (4, 7, 40)"); err != nil {
		t.Errorf("insert: %v", err)
	}
	rows, err := db.Query("SHOW COLUMNS FROM orders")
	if err != nil {
		t.Errorf("SHOW COLUMNS: %v", err)
	} else {
		rows.Close()
	}
	if got := other8(); got != "8:30" {
		t.Errorf("benign statements changed tenant 8's order: %q", got)
	}
}
