package e2e

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// sideConfig: alice sees customers.email masked; t7 reads orders and
// events through a row filter; root is an admin who sees everything.
func sideConfig(pgDSN, myDSN string) string {
	return fmt.Sprintf(`databases:
  - {name: app, kind: postgres, primary: %q, pool: {mode: transaction, size: 4}}
  - {name: shop, kind: mysql, primary: %q, pool: {mode: session, size: 4}}
users:
  - {name: alice, password: alice-secret, roles: [analyst]}
  - {name: t7, password: t7-secret, roles: [tenant]}
  - {name: root, password: root-secret, roles: [dba]}
roles:
  - name: analyst
    grants:
      - {database: "*", tables: ["*"], actions: [select, update]}
  - name: tenant
    grants:
      - {database: "*", tables: ["*"], actions: [select, insert, update, delete, copy]}
    row_filters:
      - {database: app, table: orders, where: "tenant_id = 7"}
      - {database: app, table: events, where: "tenant_id = 7"}
      - {database: shop, table: orders, where: "tenant_id = 7"}
  - name: dba
    grants:
      - {database: "*", actions: [all]}
masking:
  - {database: "*", table: customers, column: email, method: email, except_roles: [dba]}
`, pgDSN, myDSN)
}

var sideSetup = []string{
	"CREATE TABLE customers (id int PRIMARY KEY, name varchar(20), email varchar(40))",
	"INSERT INTO customers VALUES (1, 'Ada', 'ada@example.com'), (2, 'Bo', 'bo@example.org'), (3, 'Cy', 'cy@example.net')",
	"CREATE TABLE orders (id int PRIMARY KEY, tenant_id int, secret varchar(20))",
	"INSERT INTO orders VALUES (1, 7, '77'), (2, 8, 'eight-secret')",
}

// clearValues are what a masked or filtered user must never receive.
var clearValues = []string{"ada@example.com", "bo@example.org", "cy@example.net", "@example", "eight-secret", "eight-note"}

// pgNoLeak fails when any part of a PostgreSQL error carries a clear value.
func pgNoLeak(t *testing.T, what string, err error) {
	t.Helper()
	text := fmt.Sprint(err)
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		text += pe.Detail + pe.Hint + pe.Where + pe.InternalQuery
	}
	for _, v := range clearValues {
		if strings.Contains(text, v) {
			t.Errorf("%s: the error shows %q: %s", what, v, text)
		}
	}
}

func pgStrings(t *testing.T, c *pgx.Conn, q string) ([]string, error) {
	t.Helper()
	rows, err := c.Query(context.Background(), q, pgx.QueryExecModeSimpleProtocol)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		vals, err := rows.Values()
		if err != nil {
			return nil, err
		}
		out = append(out, cell(vals[0]))
	}
	return out, rows.Err()
}

// TestSideChannelsPostgres attacks masked columns, row filters and the
// catalogues through the PostgreSQL relay and checks what reaches the
// client: no clear value in any row or error, no filtered row, and
// refusals that leave the session usable.
func TestSideChannelsPostgres(t *testing.T) {
	pgDSN := testDB(t)
	myDSN, _ := myTestDB(t)
	ctx := context.Background()
	direct, err := pgx.Connect(ctx, pgDSN)
	if err != nil {
		t.Fatal(err)
	}
	defer direct.Close(ctx)
	for _, q := range append(sideSetup,
		"CREATE TABLE events (id int, tenant_id int, note text) PARTITION BY LIST (tenant_id)",
		"CREATE TABLE events_t7 PARTITION OF events FOR VALUES IN (7)",
		"CREATE TABLE events_t8 PARTITION OF events FOR VALUES IN (8)",
		"INSERT INTO events VALUES (1, 7, 'seven-note'), (2, 8, 'eight-note')",
		"ALTER TABLE customers ALTER COLUMN name SET NOT NULL",
		"ANALYZE customers") {
		if _, err := direct.Exec(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	g := start(t, sideConfig(pgDSN, myDSN))
	root := g.connect(t, "root", "root-secret", "app")
	alice := g.connect(t, "alice", "alice-secret", "app")
	t7 := g.connect(t, "t7", "t7-secret", "app")

	// The attacks work on the server: an admin's cast error prints the
	// value, and the statistics hold the column's values.
	if _, err := pgStrings(t, root, "SELECT 1 FROM customers WHERE email::int = 1"); err == nil || !strings.Contains(err.Error(), "@example") {
		t.Fatalf("the cast error does not show the value on this server (%v): the attacks below prove nothing", err)
	}
	if got, err := pgStrings(t, root, "SELECT histogram_bounds::text FROM pg_stats WHERE tablename = 'customers' AND attname = 'email'"); err != nil || !strings.Contains(strings.Join(got, ""), "ada@example.com") {
		t.Fatalf("pg_stats holds no email values (%v, %v): the statistics attack proves nothing", got, err)
	}

	t.Run("masked", func(t *testing.T) {
		for _, q := range []string{
			"SELECT 1 FROM customers WHERE email::int = 1",
			"SELECT 1 FROM customers WHERE CAST(email AS numeric) = 1",
			"SELECT 1 FROM customers WHERE email::inet IS NULL",
			"SELECT 1 FROM customers WHERE email::json IS NULL",
			"SELECT 1 FROM customers WHERE email::uuid IS NULL",
			"SELECT 1 FROM customers WHERE to_date(email, 'YYYY') IS NULL",
			"SELECT 1 FROM customers WHERE make_date(2000, 1, email::int) IS NULL",
			"SELECT id FROM customers ORDER BY email::int",
			"SELECT id FROM customers WHERE id IN (SELECT email::int FROM customers)",
			"SELECT * FROM customers c, LATERAL (SELECT c.email::int) x",
			"SELECT id FROM customers TABLESAMPLE SYSTEM (100) WHERE email::int = 1",
			"SELECT id FROM ONLY customers WHERE email::bigint = 1",
			"SELECT id FROM customers WHERE email LIKE 'ada%'",
			"SELECT id, email FROM customers ORDER BY 2",
			"SELECT email AS e FROM customers ORDER BY e",
			"SELECT count(*) FROM customers GROUP BY email",
			"EXPLAIN ANALYZE SELECT 1 FROM customers WHERE email::int = 1",
			"SELECT histogram_bounds::text FROM pg_stats WHERE tablename = 'customers'",
			"SELECT most_common_vals::text FROM pg_catalog.pg_stats",
			"SELECT stavalues1::text FROM pg_statistic",
		} {
			_, err := pgStrings(t, alice, q)
			if sqlstate(err) != "42501" {
				t.Errorf("%q: %v, want 42501", q, err)
			}
			pgNoLeak(t, q, err)
		}
		got, err := pgStrings(t, alice, "SELECT email FROM customers WHERE id = 1")
		if err != nil || strings.Join(got, ",") != "a***@example.com" {
			t.Errorf("the masked column as it is: %v, %v", got, err)
		}
		// A constraint violation's detail prints the whole row.
		const violate = "UPDATE customers SET name = NULL WHERE id = 1"
		var pe *pgconn.PgError
		if _, err := pgStrings(t, root, violate); !errors.As(err, &pe) || !strings.Contains(pe.Detail, "ada@example.com") {
			t.Errorf("the NOT NULL violation's detail does not show the row on this server: %v", err)
		}
		_, err = pgStrings(t, alice, violate)
		if sqlstate(err) != "23502" {
			t.Errorf("%q: %v, want the server's 23502", violate, err)
		}
		pgNoLeak(t, violate, err)
	})

	t.Run("catalogues", func(t *testing.T) {
		for _, q := range []string{
			"SELECT query FROM pg_stat_activity",
			"SELECT * FROM pg_stat_get_activity(NULL)",
			"SELECT * FROM pg_file_settings",
			"SELECT * FROM pg_hba_file_rules",
			"SELECT setting FROM pg_settings WHERE name = 'data_directory'",
			"SELECT rolpassword FROM pg_authid",
			"SELECT * FROM pg_user_mappings",
			"SELECT current_setting('data_directory')",
			"SHOW data_directory",
			"SHOW hba_file",
			"SELECT inet_server_addr()",
		} {
			for _, c := range []*pgx.Conn{alice, t7} {
				_, err := pgStrings(t, c, q)
				if sqlstate(err) != "42501" {
					t.Errorf("%s %q: %v, want 42501", c.Config().User, q, err)
				}
			}
		}
		if got, err := pgStrings(t, root, "SHOW data_directory"); err != nil || len(got) != 1 || got[0] == "" {
			t.Errorf("admin SHOW data_directory: %v, %v", got, err)
		}
		if _, err := pgStrings(t, root, "SELECT count(*) FROM pg_stat_activity"); err != nil {
			t.Errorf("admin pg_stat_activity: %v", err)
		}
		// Other databases do not show; this one does.
		got, err := pgStrings(t, alice, "SELECT datname FROM pg_database")
		if err != nil || len(got) != 1 || got[0] != direct.Config().Database {
			t.Errorf("pg_database for alice: %v, %v; want only %s", got, err, direct.Config().Database)
		}
		if got, err := pgStrings(t, root, "SELECT datname FROM pg_database"); err != nil || len(got) < 2 {
			t.Errorf("pg_database for root: %v, %v", got, err)
		}
		// What drivers and tools read keeps working.
		for _, q := range []string{"SELECT current_setting('search_path')", "SHOW server_version",
			"SELECT t.oid, t.typname FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace WHERE t.typname = 'int4'",
			"SELECT c.relname FROM pg_catalog.pg_class c LEFT JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE pg_catalog.pg_table_is_visible(c.oid) AND c.relname = 'customers'",
			"SELECT 1"} {
			if _, err := pgStrings(t, alice, q); err != nil {
				t.Errorf("alice %q: %v", q, err)
			}
		}
		host, port, _ := strings.Cut(g.pg, ":")
		cmd := exec.Command("psql", "-X", "-h", host, "-p", port, "-U", "alice", "-d", "app", "-c", `\dt`, "-c", `\d customers`, "-c", `\l`)
		cmd.Env = append(os.Environ(), "PGPASSWORD=alice-secret", "PGSSLMODE=disable")
		out, err := cmd.CombinedOutput()
		if err != nil || !strings.Contains(string(out), "customers") || strings.Contains(string(out), "template1") {
			t.Errorf("psql \\dt, \\d, \\l as alice: %v\n%s", err, out)
		}
	})

	t.Run("row filters", func(t *testing.T) {
		for _, q := range []string{
			"SELECT secret FROM orders",
			"SELECT secret FROM orders TABLESAMPLE SYSTEM (100)",
			"SELECT secret FROM orders TABLESAMPLE BERNOULLI (100) REPEATABLE (1)",
			"SELECT secret FROM ONLY orders",
			"SELECT secret FROM orders*",
			"SELECT o.secret FROM customers c, LATERAL (SELECT secret FROM orders WHERE orders.id >= c.id) o WHERE c.id = 1",
			"WITH x AS (SELECT * FROM orders) SELECT secret FROM x",
		} {
			got, err := pgStrings(t, t7, q)
			if err != nil || strings.Join(got, ",") != "77" {
				t.Errorf("%q: %v, %v; want only tenant 7's row", q, got, err)
			}
		}
		if got, err := pgStrings(t, t7, "SELECT note FROM events"); err != nil || strings.Join(got, ",") != "seven-note" {
			t.Errorf("events: %v, %v", got, err)
		}
		// A condition that would fail on another tenant's row.
		if _, err := pgStrings(t, root, "SELECT 1 FROM orders WHERE secret::int = 1"); err == nil || !strings.Contains(err.Error(), "eight-secret") {
			t.Errorf("the cast error does not show the value on this server: %v", err)
		}
		_, err := pgStrings(t, t7, "SELECT 1 FROM orders WHERE secret::int = 1")
		pgNoLeak(t, "cast on a filtered table", err)
		for _, q := range []string{
			"SELECT note FROM events_t8",
			"SELECT note FROM public.events_t7",
			"COPY orders TO STDOUT",
			"MERGE INTO customers c USING orders o ON o.id = c.id WHEN MATCHED THEN UPDATE SET name = o.secret",
			"TRUNCATE orders",
		} {
			_, err := pgStrings(t, t7, q)
			if sqlstate(err) != "42501" {
				t.Errorf("%q: %v, want 42501", q, err)
			}
			pgNoLeak(t, q, err)
		}
		got, err := pgStrings(t, t7, "INSERT INTO orders VALUES (2, 7, 'x') ON CONFLICT (id) DO UPDATE SET secret = 'pwned' RETURNING secret")
		if sqlstate(err) != "42501" || len(got) != 0 {
			t.Errorf("ON CONFLICT DO UPDATE of another tenant's row: %v, %v, want 42501", got, err)
		}
		var secret string
		var n int
		if err := direct.QueryRow(ctx, "SELECT secret FROM orders WHERE id = 2").Scan(&secret); err != nil || secret != "eight-secret" {
			t.Errorf("tenant 8's row after the attacks: %q, %v", secret, err)
		}
		if err := direct.QueryRow(ctx, "SELECT count(*) FROM orders").Scan(&n); err != nil || n != 2 {
			t.Errorf("orders after the attacks: %d rows, %v", n, err)
		}
		if _, err := pgStrings(t, t7, "SELECT 1"); err != nil {
			t.Errorf("the session after refusals: %v", err)
		}
	})
}

// TestSideChannelsMySQL is TestSideChannelsPostgres through the MySQL
// relay: conversion warnings, user variables, the server's catalogues and
// the row filter's forms.
func TestSideChannelsMySQL(t *testing.T) {
	pgDSN := testDB(t)
	myDSN, direct := myTestDB(t)
	for _, q := range sideSetup {
		if _, err := direct.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	g := start(t, sideConfig(pgDSN, myDSN))
	ctx := context.Background()
	conn := func(user string) *sql.Conn {
		c, err := g.mydb(t, user, user+"-secret", "shop", nil).Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		return c
	}
	strs := func(c *sql.Conn, q string) ([]string, error) {
		rows, err := c.QueryContext(ctx, q)
		if err != nil {
			return nil, err
		}
		defer rows.Close()
		var out []string
		for rows.Next() {
			var v sql.NullString
			if err := rows.Scan(&v); err != nil {
				return nil, err
			}
			out = append(out, fmt.Sprint(v.String))
		}
		return out, rows.Err()
	}
	run := func(c *sql.Conn, q string) error {
		rows, err := c.QueryContext(ctx, q)
		if err != nil {
			return err
		}
		defer rows.Close()
		cols, err := rows.Columns()
		if err != nil {
			return err
		}
		dest := make([]any, len(cols))
		for i := range dest {
			dest[i] = new(sql.RawBytes)
		}
		for rows.Next() {
			if err := rows.Scan(dest...); err != nil {
				return err
			}
		}
		return rows.Err()
	}
	noLeak := func(what string, err error) {
		t.Helper()
		for _, v := range clearValues {
			if strings.Contains(fmt.Sprint(err), v) {
				t.Errorf("%s: the error shows %q: %v", what, v, err)
			}
		}
	}
	root, alice, t7 := conn("root"), conn("alice"), conn("t7")

	// The attack works on the server: a conversion warning quotes the value.
	if _, err := strs(root, "SELECT 1 FROM customers WHERE CAST(email AS SIGNED) = 1"); err != nil {
		t.Fatal(err)
	}
	rows, err := root.QueryContext(ctx, "SHOW WARNINGS")
	if err != nil {
		t.Fatal(err)
	}
	var warned string
	for rows.Next() {
		var level, msg string
		var code int
		if err := rows.Scan(&level, &code, &msg); err != nil {
			t.Fatal(err)
		}
		warned += msg
	}
	rows.Close()
	if !strings.Contains(warned, "@example") {
		t.Fatalf("the warning does not quote the value on this server (%q): the attack below proves nothing", warned)
	}

	t.Run("masked", func(t *testing.T) {
		for _, q := range []string{
			"SELECT 1 FROM customers WHERE CAST(email AS SIGNED) = 1",
			"SELECT 1 FROM customers WHERE CAST(email AS DECIMAL) = 1",
			"SELECT 1 FROM customers WHERE email + 0 = 1",
			"SELECT 1 FROM customers WHERE extractvalue(1, concat(0x7e, email)) IS NULL",
			"SELECT id FROM customers WHERE email LIKE 'ada%'",
			"SELECT id, email FROM customers ORDER BY 2",
			"SELECT email AS e FROM customers ORDER BY e",
			"SELECT @x := email FROM customers",
			"SELECT 1 FROM customers WHERE (@x := email) IS NOT NULL",
			"SET @x = (SELECT email FROM customers LIMIT 1)",
		} {
			_, err := strs(alice, q)
			if myErrno(err) != 1143 {
				t.Errorf("%q: %v, want 1143", q, err)
			}
			noLeak(q, err)
		}
		if got, err := strs(alice, "SELECT @x"); err != nil || strings.Join(got, ",") != "" {
			t.Errorf("@x after the refused assignments: %v, %v", got, err)
		}
		for _, q := range []string{"SHOW WARNINGS", "SHOW ERRORS", "SHOW COUNT(*) WARNINGS"} {
			err := run(alice, q)
			if myErrno(err) != 1227 {
				t.Errorf("%q: %v, want 1227", q, err)
			}
		}
		if err := run(alice, "GET DIAGNOSTICS CONDITION 1 @m = MESSAGE_TEXT"); err == nil {
			t.Error("GET DIAGNOSTICS allowed to a masked session")
		}
		if got, err := strs(alice, "SELECT email FROM customers WHERE id = 1"); err != nil || strings.Join(got, ",") != "a***@example.com" {
			t.Errorf("the masked column as it is: %v, %v", got, err)
		}
	})

	t.Run("catalogues", func(t *testing.T) {
		for _, q := range []string{
			"SELECT info FROM information_schema.processlist",
			"SHOW PROCESSLIST",
			"SHOW FULL PROCESSLIST",
			"SELECT * FROM performance_schema.threads",
			"SELECT user FROM mysql.user",
			"SELECT * FROM mysql.column_stats",
			"SELECT * FROM information_schema.innodb_trx",
			"SHOW DATABASES",
			"SHOW GRANTS",
			"SELECT @@datadir",
			"SHOW VARIABLES LIKE 'datadir'",
			"SHOW VARIABLES",
		} {
			for _, c := range []*sql.Conn{alice, t7} {
				err := run(c, q)
				if myErrno(err) != 1227 {
					t.Errorf("%q: %v, want 1227", q, err)
				}
			}
		}
		var dbName string
		if err := direct.QueryRow("SELECT DATABASE()").Scan(&dbName); err != nil {
			t.Fatal(err)
		}
		if got, err := strs(alice, "SELECT schema_name FROM information_schema.schemata"); err != nil || strings.Join(got, ",") != dbName {
			t.Errorf("schemata for alice: %v, %v; want only %s", got, err, dbName)
		}
		if got, err := strs(alice, "SELECT DISTINCT table_schema FROM information_schema.tables"); err != nil || strings.Join(got, ",") != dbName {
			t.Errorf("tables for alice: %v, %v; want only %s", got, err, dbName)
		}
		if got, err := strs(root, "SELECT schema_name FROM information_schema.schemata"); err != nil || len(got) < 2 {
			t.Errorf("schemata for root: %v, %v", got, err)
		}
		if err := run(root, "SHOW FULL PROCESSLIST"); err != nil {
			t.Errorf("admin SHOW PROCESSLIST: %v", err)
		}
		for _, q := range []string{"SELECT @@version_comment LIMIT 1", "SELECT DATABASE()", "SHOW TABLES",
			"SHOW VARIABLES LIKE 'max_allowed_packet'", "SELECT @@max_allowed_packet"} {
			if err := run(alice, q); err != nil {
				t.Errorf("alice %q: %v", q, err)
			}
		}
		if _, err := exec.LookPath("mysql"); err == nil {
			host, port, _ := strings.Cut(g.my, ":")
			cmd := exec.Command("mysql", "--no-defaults", "-h", host, "-P", port, "-u", "alice", "-palice-secret", "-e", "SELECT email FROM customers WHERE id = 1", "shop")
			out, err := cmd.CombinedOutput()
			if err != nil || !strings.Contains(string(out), "a***@example.com") {
				t.Errorf("mysql client as alice: %v\n%s", err, out)
			}
		}
	})

	t.Run("row filters", func(t *testing.T) {
		if got, err := strs(t7, "SELECT secret FROM orders"); err != nil || strings.Join(got, ",") != "77" {
			t.Errorf("orders: %v, %v", got, err)
		}
		_, err := strs(t7, "SELECT 1 FROM orders WHERE CAST(secret AS SIGNED) = 1")
		noLeak("cast on a filtered table", err)
		if err := run(t7, "SHOW WARNINGS"); myErrno(err) != 1227 {
			t.Errorf("SHOW WARNINGS with a row filter: %v, want 1227", err)
		}
		for _, q := range []string{
			"REPLACE INTO orders VALUES (2, 7, 'pwned')",
			"INSERT INTO orders VALUES (2, 7, 'x') ON DUPLICATE KEY UPDATE secret = 'pwned'",
			"TABLE orders",
		} {
			_, err := strs(t7, q)
			if myErrno(err) != 1142 {
				t.Errorf("%q: %v, want 1142", q, err)
			}
			noLeak(q, err)
		}
		var secret string
		if err := direct.QueryRow("SELECT secret FROM orders WHERE id = 2").Scan(&secret); err != nil || secret != "eight-secret" {
			t.Errorf("tenant 8's row after the attacks: %q, %v", secret, err)
		}
	})
}
