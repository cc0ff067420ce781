package e2e

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/jackc/pgx/v5"

	"github.com/floe-db/floe/internal/config"
	"github.com/floe-db/floe/internal/provision"
)

func parseConfig(t *testing.T, yaml string) *config.Config {
	t.Helper()
	c, err := config.Parse("floe.yaml", []byte(yaml), func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// pgAs connects to dsn's database as login.
func pgAs(t *testing.T, dsn, login, password string) *pgx.Conn {
	t.Helper()
	u, _ := url.Parse(dsn)
	u.User = url.UserPassword(login, password)
	c, err := pgx.Connect(context.Background(), u.String())
	if err != nil {
		t.Fatalf("connect as %s: %v", login, err)
	}
	t.Cleanup(func() { c.Close(context.Background()) })
	return c
}

// TestProvisionPostgres: floe provision gives each identity's login
// exactly its roles' grants — tables, columns, sequences, row filters as
// row-level security — so the server refuses the rest even when Floe lets
// a statement through (simulated by a gateway whose own grants are wider
// than those provisioned, as a misread statement would be).
func TestProvisionPostgres(t *testing.T) {
	dsn := testDB(t)
	ctx := context.Background()
	admin := pgSetup(t, dsn,
		"CREATE TABLE orders (id serial primary key, tenant int, total int)",
		"INSERT INTO orders (tenant, total) VALUES (7, 10), (7, 20), (8, 30)",
		"CREATE TABLE customers (id int, name text, email text)",
		"INSERT INTO customers VALUES (1, 'Ann', 'ann@example.com')",
		"CREATE TABLE secrets (id int, secret text)",
		"INSERT INTO secrets VALUES (1, 'the-secret')",
	)
	an, cl, tn := randName("floe_t_"), randName("floe_t_"), randName("floe_t_")
	dropPGLoginsLater(t, dsn, an, cl, tn)
	cfgText := func(analystGrants string) string {
		return fmt.Sprintf(`databases:
  - name: app
    kind: postgres
    primary: %s
    identities:
      - {role: analyst, user: %s, password: pw-a}
      - {role: clerk, user: %s, password: pw-c}
      - {role: tenant, user: %s, password: pw-t}
users:
  - {name: alice, password: alice-secret, roles: [analyst]}
  - {name: tess, password: tess-secret, roles: [tenant]}
roles:
  - name: analyst
    grants: %s
  - name: clerk
    grants:
      - {database: app, tables: [orders], actions: [select, insert]}
  - name: tenant
    grants: [{database: app, tables: [orders], actions: [select]}]
    row_filters: [{database: app, table: orders, where: "tenant = 7"}]
`, dsn, an, cl, tn, analystGrants)
	}
	exact := `[{database: app, tables: [orders], actions: [select]}, {database: app, tables: [customers], columns: [id, name], actions: [select]}]`
	cfg := parseConfig(t, cfgText(exact))
	for range 2 { // a second run changes nothing and must not fail
		if _, err := provision.Run(ctx, cfg, "", false); err != nil {
			t.Fatalf("provision: %v", err)
		}
	}
	if warns, err := provision.Check(ctx, cfg); err != nil || len(warns) > 0 {
		t.Fatalf("check after provisioning: %v %q", err, warns)
	}

	refused := func(c *pgx.Conn, q string) {
		t.Helper()
		_, err := c.Exec(ctx, q)
		if sqlstate(err) != "42501" {
			t.Errorf("%s: %v, want 42501 from the server", q, err)
		}
	}
	count := func(c *pgx.Conn, q string) int {
		t.Helper()
		var n int
		if err := c.QueryRow(ctx, q).Scan(&n); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		return n
	}
	a := pgAs(t, dsn, an, "pw-a")
	if n := count(a, "select count(*) from orders"); n != 3 {
		t.Errorf("analyst reads %d orders, want 3 (row-level security on orders must not hide rows from logins without a filter)", n)
	}
	count(a, "select count(name) from customers")
	refused(a, "select email from customers")
	refused(a, "select secret from secrets")
	refused(a, "insert into orders (tenant, total) values (1, 1)")
	refused(a, "create table made (id int)")
	c := pgAs(t, dsn, cl, "pw-c")
	if _, err := c.Exec(ctx, "insert into orders (tenant, total) values (9, 90)"); err != nil {
		t.Errorf("clerk insert (serial column, so the sequence too): %v", err)
	}
	refused(c, "delete from orders")
	refused(c, "select * from customers")
	tc := pgAs(t, dsn, tn, "pw-t")
	if n := count(tc, "select count(*) from orders"); n != 2 {
		t.Errorf("tenant reads %d orders, want the 2 of tenant 7", n)
	}
	if n := count(tc, "select count(*) from orders tablesample system (100)"); n != 2 {
		t.Errorf("tenant reads %d orders through TABLESAMPLE, want 2", n)
	}

	// Through the gateway, with Floe's own grants far wider than the
	// logins' and no row filter: the server still holds the line.
	wide := strings.Replace(cfgText(`[{database: app, tables: ["*"], actions: [all]}]`), `    row_filters: [{database: app, table: orders, where: "tenant = 7"}]
`, "", 1)
	wide = strings.Replace(wide, "grants: [{database: app, tables: [orders], actions: [select]}]", `grants: [{database: app, tables: ["*"], actions: [all]}]`, 1)
	g := start(t, wide)
	alice := g.connect(t, "alice", "alice-secret", "app")
	refused(alice, "select secret from secrets")
	refused(alice, "select email from customers")
	refused(alice, "update orders set total = 0")
	refused(alice, "select * from query_to_xml('select secret from secrets', true, true, '')")
	tess := g.connect(t, "tess", "tess-secret", "app")
	if n := count(tess, "select count(*) from orders"); n != 2 {
		t.Errorf("tenant through the gateway without Floe's row filter reads %d orders, want 2 (row-level security)", n)
	}
	if n := count(admin, "select count(*) from orders where total = 0"); n != 0 {
		t.Errorf("%d orders were zeroed", n)
	}

	// Narrowing the grants and provisioning again takes privileges away.
	narrow := parseConfig(t, cfgText(`[{database: app, tables: [customers], columns: [id], actions: [select]}]`))
	if _, err := provision.Run(ctx, narrow, "", false); err != nil {
		t.Fatal(err)
	}
	refused(a, "select count(*) from orders")
	refused(a, "select name from customers")
	count(a, "select count(id) from customers")

	// Privileges granted by hand beyond the grants are reported.
	if _, err := admin.Exec(ctx, "GRANT SELECT ON secrets TO "+an); err != nil {
		t.Fatal(err)
	}
	warns, err := provision.Check(ctx, narrow)
	if err != nil || len(warns) != 1 || !strings.Contains(warns[0], "SELECT on public.secrets") {
		t.Fatalf("check: %v %q", err, warns)
	}
	// A database without identities served by a superuser is reported.
	plain := parseConfig(t, fmt.Sprintf("databases: [{name: app, kind: postgres, primary: %q}]\nusers: [{name: u, password: p}]\n", dsn))
	warns, err = provision.Check(ctx, plain)
	if err != nil || len(warns) != 1 || !strings.Contains(warns[0], "superuser") {
		t.Fatalf("check of a superuser DSN: %v %q", err, warns)
	}
}

// TestProvisionMySQL is TestProvisionPostgres on MariaDB (which has no
// row-level security: row filters are reported as Floe's alone).
func TestProvisionMySQL(t *testing.T) {
	dsn, direct := myTestDB(t)
	var schema string
	if err := direct.QueryRow("select database()").Scan(&schema); err != nil {
		t.Fatal(err)
	}
	mySetup(t, direct,
		"CREATE TABLE orders (id int auto_increment primary key, tenant int, total int)",
		"INSERT INTO orders (tenant, total) VALUES (7, 10), (7, 20), (8, 30)",
		"CREATE TABLE customers (id int, name text, email text)",
		"INSERT INTO customers VALUES (1, 'Ann', 'ann@example.com')",
		"CREATE TABLE secrets (id int, secret text)",
		"INSERT INTO secrets VALUES (1, 'the-secret')",
	)
	an := randName("floe_t_")
	t.Cleanup(func() {
		_, _ = direct.Exec(fmt.Sprintf("DROP USER IF EXISTS '%s'@'%%'", an))
		_, _ = direct.Exec("DROP ROLE IF EXISTS `floe_provisioned_" + schema + "`")
	})
	cfgText := `databases:
  - name: shop
    kind: mysql
    primary: %s
    identities: [{role: analyst, user: %s, password: "pw'\\a"}]
users:
  - {name: alice, password: alice-secret, roles: [analyst]}
roles:
  - name: analyst
    grants:
      - {database: shop, tables: [orders], actions: [select, insert]}
      - {database: shop, tables: [customers], columns: [id, name], actions: [select]}
    row_filters: [{database: shop, table: orders, where: "tenant = 7"}]
`
	cfg := parseConfig(t, fmt.Sprintf(cfgText, dsn, an))
	var res []provision.Result
	var err error
	for range 2 {
		if res, err = provision.Run(context.Background(), cfg, "", false); err != nil {
			t.Fatalf("provision: %v", err)
		}
	}
	if len(res) != 1 || len(res[0].Notes) != 1 {
		t.Fatalf("notes: %+v", res)
	}
	for _, q := range res[0].Statements {
		if strings.Contains(q, `pw'`) {
			t.Fatalf("a statement shown carries the password: %s", q)
		}
	}
	if warns, err := provision.Check(context.Background(), cfg); err != nil || len(warns) > 0 {
		t.Fatalf("check after provisioning: %v %q", err, warns)
	}
	mc := myAdminConfig(t)
	mc.User, mc.Passwd, mc.DBName = an, `pw'\a`, schema
	conn, err := sql.Open("mysql", mc.FormatDSN())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	var n int
	if err := conn.QueryRow("select count(*) from orders").Scan(&n); err != nil || n != 3 {
		t.Fatalf("orders: %d, %v", n, err)
	}
	if _, err := conn.Exec("insert into orders (tenant, total) values (1, 1)"); err != nil {
		t.Errorf("insert: %v", err)
	}
	for _, q := range []string{"select email from customers", "select secret from secrets", "delete from orders", "create table made (id int)"} {
		_, err := conn.Exec(q)
		var me *mysql.MySQLError
		if !errors.As(err, &me) || (me.Number != 1142 && me.Number != 1143 && me.Number != 1044) {
			t.Errorf("%s: %v, want the server's refusal", q, err)
		}
	}
	if err := conn.QueryRow("select count(name) from customers").Scan(&n); err != nil {
		t.Errorf("granted columns: %v", err)
	}

	// The analyst's identity now keeps the DSN's login: the provisioned
	// login is retired, its privileges revoked and its account locked.
	text := fmt.Sprintf(cfgText, dsn, an)
	i := strings.Index(text, "identities: [")
	j := i + strings.Index(text[i:], "\n")
	retire := parseConfig(t, text[:i]+"identities: [{role: analyst}]"+text[j:])
	if _, err := provision.Run(context.Background(), retire, "", false); err != nil {
		t.Fatalf("provision without the login: %v", err)
	}
	var grants int
	if err := direct.QueryRow("select count(*) from information_schema.table_privileges where grantee = ?", fmt.Sprintf("'%s'@'%%'", an)).Scan(&grants); err != nil || grants != 0 {
		t.Errorf("retired login keeps %d table privileges (%v)", grants, err)
	}
	fresh, err := sql.Open("mysql", mc.FormatDSN())
	if err != nil {
		t.Fatal(err)
	}
	defer fresh.Close()
	if err := fresh.Ping(); err == nil {
		t.Error("the retired login can still log in")
	}
}

// TestProvisionOnStartAndReload: with databases[].provision the gateway
// provisions its logins at start and on every reload; a login the new
// configuration no longer names loses its rights and its login.
func TestProvisionOnStartAndReload(t *testing.T) {
	dsn := testDB(t)
	ctx := context.Background()
	admin := pgSetup(t, dsn, "CREATE TABLE orders (id int)", "INSERT INTO orders VALUES (1)", "CREATE TABLE secrets (s text)")
	an, cl := randName("floe_t_"), randName("floe_t_")
	dropPGLoginsLater(t, dsn, an, cl)
	conf := func(withClerk bool) string {
		ids := fmt.Sprintf("      - {role: analyst, user: %s, password: pw-a}\n", an)
		if withClerk {
			ids += fmt.Sprintf("      - {role: clerk, user: %s, password: pw-c}\n", cl)
		}
		return fmt.Sprintf(`databases:
  - name: app
    kind: postgres
    primary: %s
    provision: true
    identities:
%susers:
  - {name: alice, password: alice-secret, roles: [analyst]}
  - {name: carl, password: carl-secret, roles: [clerk]}
roles:
  - name: analyst
    grants: [{database: app, tables: [orders], actions: [select]}]
  - name: clerk
    grants: [{database: app, tables: [orders], actions: [select, insert]}]
`, dsn, ids)
	}
	g := start(t, conf(true))
	alice := g.connect(t, "alice", "alice-secret", "app")
	var n int
	if err := alice.QueryRow(ctx, "select count(*) from orders").Scan(&n); err != nil || n != 1 {
		t.Fatalf("alice reads orders: %d, %v", n, err)
	}
	carl := g.connect(t, "carl", "carl-secret", "app")
	if _, err := carl.Exec(ctx, "insert into orders values (2)"); err != nil {
		t.Fatalf("carl inserts: %v", err)
	}
	carl.Close(ctx)

	// The clerk's identity goes: its login is retired on reload.
	g.rewrite(t, conf(false))
	g.sig <- syscall.SIGHUP
	eventually(t, 10*time.Second, func() error {
		var canLogin bool
		if err := admin.QueryRow(ctx, "select rolcanlogin from pg_roles where rolname = $1", cl).Scan(&canLogin); err != nil {
			t.Fatal(err)
		}
		if canLogin {
			return errors.New("the retired login can still log in")
		}
		return nil
	})
	var has bool
	if err := admin.QueryRow(ctx, "select has_table_privilege($1, 'orders', 'INSERT')", cl).Scan(&has); err != nil || has {
		t.Fatalf("retired login keeps INSERT on orders: %v %v", has, err)
	}
	if err := alice.QueryRow(ctx, "select count(*) from orders").Scan(&n); err != nil || n != 2 {
		t.Fatalf("alice after the reload: %d, %v", n, err)
	}
}
