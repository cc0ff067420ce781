package e2e

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
)

// randName is a fresh lower-case name with a prefix.
func randName(prefix string) string {
	b := make([]byte, 5)
	_, _ = rand.Read(b)
	return prefix + hex.EncodeToString(b)
}

// pgLogin creates a PostgreSQL login role for the test (dropped after
// it) and returns its name; setup runs as the superuser in dsn's database.
func pgLogin(t *testing.T, dsn string, setup ...string) string {
	t.Helper()
	ctx := context.Background()
	name := randName("floe_t_")
	c, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(ctx)
	if _, err := c.Exec(ctx, "CREATE ROLE "+name+" LOGIN PASSWORD 'pw-"+name+"'"); err != nil {
		t.Fatal(err)
	}
	dropPGLoginsLater(t, dsn, name)
	for _, q := range setup {
		if _, err := c.Exec(ctx, strings.ReplaceAll(q, "$LOGIN", name)); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	return name
}

// pgSetup connects to dsn's database as the superuser and runs stmts;
// the connection closes when the test ends.
func pgSetup(t *testing.T, dsn string, stmts ...string) *pgx.Conn {
	t.Helper()
	ctx := context.Background()
	c, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close(context.Background()) })
	for _, q := range stmts {
		if _, err := c.Exec(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	return c
}

// mySetup runs stmts on db.
func mySetup(t *testing.T, db *sql.DB, stmts ...string) {
	t.Helper()
	for _, q := range stmts {
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
}

// dropPGLoginsLater drops login roles when the test ends: their
// privileges and policies in dsn's database first (it still exists then:
// cleanups run last-registered first), then the roles.
func dropPGLoginsLater(t *testing.T, dsn string, names ...string) {
	t.Cleanup(func() {
		ctx := context.Background()
		c, err := pgx.Connect(ctx, dsn)
		if err != nil {
			t.Logf("drop logins: %v", err)
			return
		}
		defer c.Close(ctx)
		for _, n := range names {
			_, _ = c.Exec(ctx, "DROP OWNED BY "+n)
			if _, err := c.Exec(ctx, "DROP ROLE IF EXISTS "+n); err != nil {
				t.Logf("drop role %s: %v", n, err)
			}
		}
	})
}

// TestBackendIdentityPostgres: a role's sessions run on the backend as the
// login its identity names, so the server refuses what the login lacks
// even when Floe's own check lets a statement through (simulated here by
// a gateway grant far wider than the login's privileges, as a misread
// statement would be).
func TestBackendIdentityPostgres(t *testing.T) {
	dsn := testDB(t)
	ctx := context.Background()
	admin := pgSetup(t, dsn,
		"CREATE TABLE orders (id int primary key, total int)",
		"INSERT INTO orders VALUES (1, 10), (2, 20)",
		"CREATE TABLE secrets (id int, secret text)",
		"INSERT INTO secrets VALUES (1, 'the-secret')",
	)
	reader := pgLogin(t, dsn, "GRANT SELECT ON orders TO $LOGIN")
	writer := pgLogin(t, dsn, "GRANT SELECT, INSERT ON orders TO $LOGIN")
	g := start(t, fmt.Sprintf(`databases:
  - name: app
    kind: postgres
    primary: %s
    pool: {mode: transaction, size: 1}
    identities:
      - {role: analyst, user: %s, password: pw-%s}
      - {role: clerk, user: %s, password: pw-%s}
users:
  - {name: alice, password: alice-secret, roles: [analyst]}
  - {name: bob, password: bob-secret, roles: [clerk]}
  - {name: mallory, password: mallory-secret, roles: [nobody]}
roles:
  - name: analyst
    grants: [{database: app, tables: ["*"], actions: [all]}]
  - name: clerk
    grants: [{database: app, tables: ["*"], actions: [all]}]
  - name: nobody
    grants: [{database: app, tables: ["*"], actions: [select]}]
`, dsn, reader, reader, writer, writer))

	alice := g.connect(t, "alice", "alice-secret", "app")
	var who string
	if err := alice.QueryRow(ctx, "select current_user").Scan(&who); err != nil || who != reader {
		t.Fatalf("alice runs as %q (%v), want %q", who, err, reader)
	}
	var n int
	if err := alice.QueryRow(ctx, "select count(*) from orders").Scan(&n); err != nil || n != 2 {
		t.Fatalf("granted read: %d, %v", n, err)
	}
	// Floe allows these (its grant is *), the server does not.
	for _, q := range []string{
		"select secret from secrets",
		"insert into orders values (3, 30)",
		"select * from query_to_xml('select secret from secrets', true, true, '')",
		"copy (select 1) to program 'true'",
		"select pg_read_file('postgresql.conf')",
		"set role postgres",
		"set session authorization postgres",
	} {
		var err error
		rows, err := alice.Query(ctx, q)
		if err == nil {
			for rows.Next() {
				t.Errorf("%s: returned a row", q)
			}
			err = rows.Err()
			rows.Close()
		}
		if st := sqlstate(err); st != "42501" && st != "0A000" {
			t.Errorf("%s: %v (SQLSTATE %s), want the server's refusal", q, err, st)
		}
	}
	var orders int
	if err := admin.QueryRow(ctx, "select count(*) from orders").Scan(&orders); err != nil || orders != 2 {
		t.Fatalf("orders after refused insert: %d, %v", orders, err)
	}
	if err := alice.QueryRow(ctx, "select current_user").Scan(&who); err != nil || who != reader {
		t.Fatalf("after the attempts alice runs as %q (%v)", who, err)
	}

	// bob's login may insert; his connections are not alice's even with a
	// pool of one connection per login.
	bob := g.connect(t, "bob", "bob-secret", "app")
	if _, err := bob.Exec(ctx, "insert into orders values (3, 30)"); err != nil {
		t.Fatalf("bob insert: %v", err)
	}
	if err := bob.QueryRow(ctx, "select current_user").Scan(&who); err != nil || who != writer {
		t.Fatalf("bob runs as %q (%v), want %q", who, err, writer)
	}
	// State left by one login never reaches the other: a temporary table
	// named like the real one shadows it only for the login that made it.
	if _, err := bob.Exec(ctx, "begin; create temp table orders (id int, total int) on commit preserve rows; commit"); err != nil {
		t.Fatalf("bob temp table: %v", err)
	}
	if err := alice.QueryRow(ctx, "select count(*) from orders").Scan(&n); err != nil || n != 3 {
		t.Fatalf("alice reads orders: %d, %v (a temp table of bob's must not shadow it)", n, err)
	}

	// The HTTP data API runs as the same logins.
	a := g.post(t, "alice", "alice-secret", "/v1/query?format=csv", queryBody("app", "select current_user"))
	if _, rows := rowsOf(t, "csv", a.body); a.status != 200 || len(rows) != 1 || rows[0][0] != reader {
		t.Fatalf("HTTP as alice: %d %s, want %s", a.status, a.body, reader)
	}
	a = g.post(t, "alice", "alice-secret", "/v1/query?format=csv", queryBody("app", "select secret from secrets"))
	if _, st, _ := errorOf(t, a); st != "42501" || strings.Contains(string(a.body), "the-secret") {
		t.Fatalf("HTTP read of secrets as alice: %d %s, want the server's 42501", a.status, a.body)
	}
	a = g.post(t, "mallory", "mallory-secret", "/v1/query?format=csv", queryBody("app", "select secret from secrets"))
	if _, st, _ := errorOf(t, a); st != "42501" || strings.Contains(string(a.body), "the-secret") {
		t.Fatalf("HTTP as mallory (no identity): %d %s, want 42501", a.status, a.body)
	}

	// A user whose roles map no identity is refused at connect.
	c, err := pgx.Connect(ctx, g.dsn("mallory", "mallory-secret", "app"))
	if err == nil {
		c.Close(ctx)
		t.Fatal("mallory connected without a backend identity")
	}
	if st := sqlstate(err); st != "42501" {
		t.Fatalf("mallory: %v (SQLSTATE %s), want 42501", err, st)
	}
}

// TestBackendIdentityMySQL is TestBackendIdentityPostgres on MariaDB.
func TestBackendIdentityMySQL(t *testing.T) {
	dsn, direct := myTestDB(t)
	var dbName string
	if err := direct.QueryRow("select database()").Scan(&dbName); err != nil {
		t.Fatal(err)
	}
	mySetup(t, direct,
		"CREATE TABLE orders (id int primary key, total int)",
		"INSERT INTO orders VALUES (1, 10), (2, 20)",
		"CREATE TABLE secrets (id int, secret text)",
		"INSERT INTO secrets VALUES (1, 'the-secret')",
	)
	login := randName("floe_t_")
	for _, q := range []string{
		fmt.Sprintf("CREATE USER '%s'@'%%' IDENTIFIED BY 'pw-%s'", login, login),
		fmt.Sprintf("GRANT SELECT ON %s.orders TO '%s'@'%%'", dbName, login),
	} {
		if _, err := direct.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() { _, _ = direct.Exec(fmt.Sprintf("DROP USER IF EXISTS '%s'@'%%'", login)) })
	g := start(t, fmt.Sprintf(`databases:
  - name: shop
    kind: mysql
    primary: %s
    pool: {mode: transaction, size: 1}
    identities:
      - {role: analyst, user: %s, password: pw-%s}
users:
  - {name: alice, password: alice-secret, roles: [analyst]}
  - {name: bob, password: bob-secret, roles: [admin]}
roles:
  - name: analyst
    grants: [{database: shop, tables: ["*"], actions: [all]}]
  - name: admin
    grants: [{database: shop, tables: ["*"], actions: [all]}]
`, dsn, login, login))
	alice := g.mydb(t, "alice", "alice-secret", "shop", nil)
	var who string
	if err := alice.QueryRow("select current_user()").Scan(&who); err != nil || !strings.HasPrefix(who, login+"@") {
		t.Fatalf("alice runs as %q (%v), want %s", who, err, login)
	}
	var n int
	if err := alice.QueryRow("select count(*) from orders").Scan(&n); err != nil || n != 2 {
		t.Fatalf("granted read: %d, %v", n, err)
	}
	for _, q := range []string{
		"select secret from secrets",
		"insert into orders values (3, 30)",
		"create table made (id int)",
	} {
		var v sql.NullString
		err := alice.QueryRow(q).Scan(&v)
		if _, isExec := map[string]bool{"insert into orders values (3, 30)": true, "create table made (id int)": true}[q]; isExec {
			_, err = alice.Exec(q)
		}
		if err == nil && v.Valid {
			t.Errorf("%s: returned %q", q, v.String)
			continue
		}
		if e := myErrno(err); err != nil && e != 1142 && e != 1045 && e != 1044 && e != 1227 {
			t.Errorf("%s: %v, want the server's refusal", q, err)
		}
	}
	if err := direct.QueryRow("select count(*) from orders").Scan(&n); err != nil || n != 2 {
		t.Fatalf("orders after refused insert: %d, %v", n, err)
	}
	// bob has no identity on shop: refused.
	bob := g.mydb(t, "bob", "bob-secret", "shop", nil)
	err := bob.PingContext(context.Background())
	if myErrno(err) != 1044 {
		t.Fatalf("bob without an identity: %v, want 1044", err)
	}
}
