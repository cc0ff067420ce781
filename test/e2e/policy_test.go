package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/go-mysql-org/go-mysql/client"
	gomysql "github.com/go-mysql-org/go-mysql/mysql"
	"github.com/jackc/pgx/v5"

	"github.com/floe-db/floe/internal/audit"
)

// policyConfig fronts a PostgreSQL database (app), a MariaDB database
// (shop) and a SQLite file (lite) with roles, the firewall and the audit log.
func policyConfig(pgDSN, myDSN, litePath, auditPath string) string {
	return fmt.Sprintf(`databases:
  - {name: app, kind: postgres, primary: %q, pool: {mode: transaction, size: 4}}
  - {name: shop, kind: mysql, primary: %q, pool: {mode: transaction, size: 4}}
  - {name: lite, kind: sqlite, path: %q}
users:
  - {name: alice, password: alice-secret, roles: [analyst]}
  - {name: bob, password: bob-secret, roles: [writer]}
  - {name: root, password: root-secret, roles: [dba]}
  - {name: nobody, password: nobody-secret}
  - {name: tina, password: tina-secret, roles: [tenant]}
  - {name: sue, password: sue-secret, roles: [support]}
roles:
  - name: support
    grants:
      - {database: app, tables: [customers], columns: [id, name], actions: [select]}
      - {database: shop, tables: [orders], columns: [id], actions: [select]}
  - name: tenant
    grants:
      - {database: app, tables: [customers], actions: [select, update]}
      - {database: shop, tables: [orders], actions: [select]}
    row_filters:
      - {database: app, table: public.customers, where: "id = 1"}
      - {database: shop, table: orders, where: "id = 2"}
  - name: analyst
    grants:
      - {database: app, tables: ["public.*"], actions: [select]}
      - {database: app, tables: [salaries], actions: [all], deny: true}
      - {database: shop, tables: [orders], actions: [select]}
      - {database: lite, tables: ["*"], actions: [select]}
  - name: writer
    grants:
      - {database: app, tables: [customers], actions: [select, insert]}
      - {database: shop, tables: [orders], actions: [select, insert]}
      - {database: lite, tables: [notes], actions: [select, insert]}
  - name: dba
    grants:
      - {database: "*", actions: [all]}
firewall:
  mode: protect
audit:
  file: %s
`, pgDSN, myDSN, litePath, auditPath)
}

// outcome of one statement: "ok", or the SQLSTATE (PG) / errno (MySQL).
type policyCase struct {
	user, db, sql string
	want          string
}

func TestPolicyThroughBothProtocols(t *testing.T) {
	pgDSN := testDB(t)
	myDSN, direct := myTestDB(t)
	ctx := context.Background()
	pgc, err := pgx.Connect(ctx, pgDSN)
	if err != nil {
		t.Fatal(err)
	}
	defer pgc.Close(ctx)
	if _, err := pgc.Exec(ctx, `CREATE TABLE customers (id int PRIMARY KEY, name text);
		CREATE TABLE salaries (id int, amount int);
		INSERT INTO customers VALUES (1, 'Ada'), (2, 'Brian');
		INSERT INTO salaries VALUES (1, 100)`); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{"CREATE TABLE orders (id int PRIMARY KEY, total int)", "CREATE TABLE secrets (v text)",
		"INSERT INTO orders VALUES (1, 10), (2, 20)", "INSERT INTO secrets VALUES ('s')"} {
		if _, err := direct.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	dir := t.TempDir()
	auditPath := filepath.Join(dir, "audit.jsonl")
	g := start(t, policyConfig(pgDSN, myDSN, filepath.Join(dir, "lite.db"), auditPath))
	root := g.connect(t, "root", "root-secret", "lite")
	if _, err := root.Exec(ctx, "CREATE TABLE notes (id integer, body text)", pgx.QueryExecModeSimpleProtocol); err != nil {
		t.Fatal(err)
	}

	cases := []policyCase{
		{"alice", "app", "SELECT name FROM customers WHERE id = 1", "ok"},
		{"alice", "app", "SELECT c.name FROM customers c JOIN salaries s ON s.id = c.id", "42501"},
		{"alice", "app", "SELECT * FROM salaries", "42501"},
		{"alice", "app", "INSERT INTO customers VALUES (9, 'Eve')", "42501"},
		{"alice", "app", "WITH x AS (DELETE FROM customers RETURNING id) SELECT * FROM x", "42501"},
		{"alice", "app", "SELECT name FROM customers WHERE name = '' OR 1=1", "42501"},
		{"alice", "app", "SELECT pg_sleep(0)", "42501"},
		{"alice", "app", "SELEC name FROM customers", "42601"},
		{"bob", "app", "INSERT INTO customers VALUES (3, 'Cy') ON CONFLICT DO NOTHING", "ok"},
		{"bob", "app", "DELETE FROM customers WHERE id = 3", "42501"},
		{"alice", "shop", "SELECT total FROM orders WHERE id = 1", "ok"},
		{"alice", "shop", "SELECT * FROM secrets", "1142"},
		{"alice", "shop", "DELETE FROM orders", "1142"},
		{"alice", "shop", "SELECT total FROM orders WHERE id = 1 OR 'a'='a'", "1148"},
		{"alice", "shop", "SELECT LOAD_FILE('/etc/passwd')", "1370"},
		{"alice", "shop", "SELEC 1", "1064"},
		{"bob", "shop", "INSERT IGNORE INTO orders VALUES (3, 30)", "ok"},
		{"alice", "lite", "SELECT id FROM notes", "ok"},
		{"alice", "lite", "INSERT INTO notes VALUES (1, 'x')", "deny"},
		{"bob", "lite", "INSERT INTO notes VALUES (1, 'x')", "ok"},
		{"sue", "app", "SELECT id, name FROM customers WHERE id = 1", "ok"},
		{"sue", "app", "SELECT * FROM customers", "42501"},
		{"sue", "shop", "SELECT id FROM orders", "ok"},
		{"sue", "shop", "SELECT total FROM orders", "1143"},
	}
	pgPaths := map[string]pgx.QueryExecMode{"simple": pgx.QueryExecModeSimpleProtocol, "extended": pgx.QueryExecModeCacheStatement, "describe": pgx.QueryExecModeDescribeExec}
	for _, tc := range cases {
		if tc.db == "shop" {
			continue
		}
		for path, mode := range pgPaths {
			c := g.connect(t, tc.user, tc.user+"-secret", tc.db)
			rows, err := c.Query(ctx, tc.sql, mode)
			if err == nil {
				for rows.Next() {
				}
				rows.Close()
				err = rows.Err()
			}
			checkOutcome(t, "pg/"+path, tc, err, sqlstate(err))
			c.Close(ctx)
		}
	}
	for _, tc := range cases {
		if tc.db == "app" {
			continue
		}
		db := g.mydb(t, tc.user, tc.user+"-secret", tc.db, nil)
		// COM_QUERY
		rows, err := db.Query(tc.sql)
		if err == nil {
			for rows.Next() {
			}
			err = rows.Err()
			rows.Close()
		}
		checkOutcome(t, "mysql/text", tc, err, fmt.Sprint(myErrno(err)))
		// COM_STMT_PREPARE + EXECUTE
		st, err := db.Prepare(tc.sql)
		if err == nil {
			var rows interface {
				Next() bool
				Err() error
				Close() error
			}
			rows, err = st.Query()
			if err == nil {
				for rows.Next() {
				}
				err = rows.Err()
				rows.Close()
			}
			st.Close()
		}
		checkOutcome(t, "mysql/prepared", tc, err, fmt.Sprint(myErrno(err)))
		db.Close()
	}

	// Row filters: tina sees only her rows, however she asks.
	for path, mode := range pgPaths {
		c := g.connect(t, "tina", "tina-secret", "app")
		var names []string
		var rows pgx.Rows
		var err error
		if mode == pgx.QueryExecModeSimpleProtocol {
			rows, err = c.Query(ctx, "SELECT name FROM customers ORDER BY 1", mode)
		} else {
			rows, err = c.Query(ctx, "SELECT c.name FROM customers c WHERE c.id > $1 ORDER BY 1", mode, 0)
		}
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var n string
			_ = rows.Scan(&n)
			names = append(names, n)
		}
		if rows.Err() != nil || strings.Join(names, ",") != "Ada" {
			t.Errorf("%s: tina sees %v (%v)", path, names, rows.Err())
		}
		// Writes are filtered too: this updates nothing outside her rows.
		tag, err := c.Exec(ctx, "UPDATE customers SET name = name", mode)
		if err != nil || tag.RowsAffected() != 1 {
			t.Errorf("%s: filtered update: %v %v", path, tag, err)
		}
		c.Close(ctx)
	}
	tdb := g.mydb(t, "tina", "tina-secret", "shop", nil)
	for _, q := range []string{"SELECT id FROM orders", "SELECT o.id FROM orders o WHERE o.total > ?"} {
		var ids []int
		var rows interface {
			Next() bool
			Scan(...any) error
			Close() error
		}
		var err error
		if strings.Contains(q, "?") {
			rows, err = tdb.Query(q, 0)
		} else {
			rows, err = tdb.Query(q)
		}
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var id int
			_ = rows.Scan(&id)
			ids = append(ids, id)
		}
		rows.Close()
		if fmt.Sprint(ids) != "[2]" {
			t.Errorf("mysql %q: tina sees %v", q, ids)
		}
	}

	// A denial inside a transaction aborts it, as the server's own error
	// would: the insert before it is not committed (simple and extended).
	for path, mode := range pgPaths {
		c := g.connect(t, "bob", "bob-secret", "app")
		tx, err := c.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := tx.Exec(ctx, "INSERT INTO customers VALUES (77, 'tx')", mode); err != nil {
			t.Fatal(err)
		}
		if _, err := tx.Exec(ctx, "DELETE FROM customers", mode); sqlstate(err) != "42501" {
			t.Errorf("%s: delete in transaction: %v", path, err)
		}
		if _, err := tx.Exec(ctx, "SELECT 1", mode); sqlstate(err) != "25P02" {
			t.Errorf("%s: statement after a denial: %v, want 25P02", path, err)
		}
		_ = tx.Commit(ctx)
		var n int
		if err := pgc.QueryRow(ctx, "SELECT count(*) FROM customers WHERE id = 77").Scan(&n); err != nil || n != 0 {
			t.Errorf("%s: transaction with a denied statement committed (%d, %v)", path, n, err)
		}
		// The connection is usable afterwards.
		if _, err := c.Exec(ctx, "SELECT name FROM customers", mode); err != nil {
			t.Errorf("%s: after rollback: %v", path, err)
		}
		c.Close(ctx)
	}

	// Users whose roles grant nothing on a database cannot open it.
	if _, err := pgx.Connect(ctx, g.dsn("nobody", "nobody-secret", "app")); sqlstate(err) != "42501" {
		t.Errorf("nobody connected to app: %v", err)
	}
	if err := g.mydb(t, "nobody", "nobody-secret", "shop", nil).Ping(); myErrno(err) != 1044 {
		t.Errorf("nobody connected to shop: %v", err)
	}

	// COM_FIELD_LIST shows a table's columns only to users who may read it.
	for _, db := range []string{"shop", "lite"} {
		raw, err := client.Connect(g.my, "alice", "alice-secret", db)
		if err != nil {
			t.Fatal(err)
		}
		table, hidden := "orders", "secrets"
		if db == "lite" {
			table, hidden = "notes", ""
		}
		if fields, err := raw.FieldList(table, ""); err != nil || len(fields) != 2 {
			t.Errorf("%s COM_FIELD_LIST %s: %v %v", db, table, len(fields), err)
		}
		if hidden != "" {
			_, err = raw.FieldList(hidden, "")
			if me, ok := err.(*gomysql.MyError); !ok || me.Code != 1142 {
				t.Errorf("%s COM_FIELD_LIST %s: %v, want 1142", db, hidden, err)
			}
		}
		raw.Close()
	}
	bob, err := client.Connect(g.my, "bob", "bob-secret", "lite")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := bob.FieldList("other", ""); err == nil {
		t.Error("COM_FIELD_LIST of a table without a grant answered")
	}
	bob.Close()

	// Nothing denied reached the databases.
	var n int
	if err := pgc.QueryRow(ctx, "SELECT count(*) FROM customers WHERE id = 9").Scan(&n); err != nil || n != 0 {
		t.Errorf("denied insert ran: %d %v", n, err)
	}
	if err := direct.QueryRow("SELECT count(*) FROM orders").Scan(&n); err != nil || n != 3 {
		t.Errorf("orders: %d %v", n, err)
	}

	g.stop(t)
	checkAudit(t, auditPath)
}

func checkOutcome(t *testing.T, path string, tc policyCase, err error, code string) {
	t.Helper()
	switch {
	case tc.want == "ok" && err != nil:
		t.Errorf("%s %s@%s %q: %v", path, tc.user, tc.db, tc.sql, err)
	case tc.want == "deny" && err == nil:
		t.Errorf("%s %s@%s %q: allowed", path, tc.user, tc.db, tc.sql)
	case tc.want == "deny" && code != "42501" && code != "1142":
		t.Errorf("%s %s@%s %q: %v, want a permission error", path, tc.user, tc.db, tc.sql, err)
	case tc.want != "ok" && tc.want != "deny" && code != tc.want:
		t.Errorf("%s %s@%s %q: got %q (%v), want %s", path, tc.user, tc.db, tc.sql, code, err, tc.want)
	}
}

func checkAudit(t *testing.T, path string) {
	t.Helper()
	n, err := audit.Verify(path)
	if err != nil {
		t.Fatalf("audit log does not verify: %v", err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	s := string(data)
	if testing.Verbose() {
		for _, l := range strings.Split(s, "\n") {
			if strings.Contains(l, `"type":"result"`) {
				t.Log(l)
			}
		}
	}
	for _, want := range []string{`"type":"auth"`, `"type":"connect"`, `"decision":"denied"`, `"decision":"allowed"`, `"rule":"grant.denied"`, `"rule":"sqli.tautology"`, `"type":"disconnect"`,
		`"type":"result"`, `"rows":1`, `"error":"25P02"`} {
		if !strings.Contains(s, want) {
			t.Errorf("audit log (%d records) lacks %s", n, want)
		}
	}
	if strings.Contains(s, "Eve") || strings.Contains(s, "alice-secret") {
		t.Error("audit log holds a literal or a password")
	}
}
