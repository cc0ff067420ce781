package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
)

// classConfig fronts a PostgreSQL database (app) and a MariaDB database
// (shop), each through one pooled backend connection (so a statement
// the relay prepared for one user sits on the connection the next user
// gets), with a user who may only read and insert into t.
func classConfig(pgDSN, myDSN string) string {
	return fmt.Sprintf(`databases:
  - {name: app, kind: postgres, primary: %q, pool: {mode: transaction, size: 1}}
  - {name: shop, kind: mysql, primary: %q, pool: {mode: transaction, size: 1}}
users:
  - {name: mallory, password: mallory-secret, roles: [writer]}
  - {name: root, password: root-secret, roles: [dba]}
  - {name: tina, password: tina-secret, roles: [tenant]}
roles:
  - name: tenant
    grants:
      - {database: app, tables: [t], actions: [select, insert, update]}
      - {database: shop, tables: [t], actions: [select, insert, update, delete]}
    row_filters:
      - {database: app, table: public.t, where: "a = 2"}
      - {database: shop, table: t, where: "a = 2"}
  - name: writer
    grants:
      - {database: app, tables: [t], actions: [select, insert]}
      - {database: shop, tables: [t], actions: [select, insert]}
  - name: dba
    grants:
      - {database: "*", actions: [all]}
`, pgDSN, myDSN)
}

// TestClassAttacksPostgres: SQL-running functions, upserts, DDL the old
// prefix rule missed, large objects, sequences and the relay's own
// prepared statements, through the PostgreSQL relay by the simple and
// the extended protocol; each refusal is 42501 and the database shows
// that nothing happened.
func TestClassAttacksPostgres(t *testing.T) {
	pgDSN := testDB(t)
	myDSN, _ := myTestDB(t)
	ctx := context.Background()
	direct, err := pgx.Connect(ctx, pgDSN)
	if err != nil {
		t.Fatal(err)
	}
	defer direct.Close(ctx)
	if _, err := direct.Exec(ctx, `CREATE TABLE t (a int PRIMARY KEY, v text);
		CREATE TABLE secrets (s text);
		CREATE SEQUENCE s;
		INSERT INTO t VALUES (1, 'original');
		INSERT INTO secrets VALUES ('the-secret');
		CREATE SCHEMA private;
		CREATE TABLE private.t (a int, v text);
		INSERT INTO private.t VALUES (1, 'private-secret');
		SELECT setval('s', 42)`); err != nil {
		t.Fatal(err)
	}
	g := start(t, classConfig(pgDSN, myDSN))

	attacks := []string{
		`SELECT query_to_xml('select s from secrets', true, true, '')`,
		`SELECT pg_catalog.query_to_xml('select s from secrets', true, true, '')`,
		`SELECT "query_to_xml"('select s from secrets', true, true, '')`,
		`SELECT xpath('//s/text()', query_to_xml('select s from secrets', true, true, ''))`,
		`SELECT * FROM xmltable('/table/row' PASSING query_to_xml('select s from secrets', true, false, '') COLUMNS s text PATH 's')`,
		`SELECT table_to_xml('secrets', true, true, '')`,
		`SELECT query_to_xml_and_xmlschema('select s from secrets', true, true, '')`,
		`SELECT schema_to_xml('public', true, true, '')`,
		`SELECT database_to_xml(true, true, '')`,
		`SELECT * FROM ts_stat('select to_tsvector(s) from secrets')`,
		`SELECT a FROM t WHERE a = 1 AND query_to_xml('select s from secrets', true, true, '') IS NOT NULL`,
		`INSERT INTO t VALUES (1, 'pwned') ON CONFLICT (a) DO UPDATE SET v = excluded.v`,
		`CREATE RULE r AS ON INSERT TO t DO INSTEAD NOTHING`,
		`CREATE TEMP VIEW v AS SELECT a FROM t`,
		`CREATE AGGREGATE evil_agg (int) (sfunc = int4pl, stype = int)`,
		`CREATE TRIGGER tr BEFORE INSERT ON t FOR EACH ROW EXECUTE FUNCTION suppress_redundant_updates_trigger()`,
		`CREATE POLICY pol ON t USING (false)`,
		`SELECT lo_create(4242)`,
		`SELECT lo_from_bytea(4243, 'x')`,
		`SELECT setval('s', 1000)`,
		`SELECT nextval('s')`,
		`SELECT nextval('public.s'::regclass)`,
		`SELECT name, statement FROM pg_prepared_statements`,
		`EXECUTE not_mine`,
		`PREPARE TRANSACTION 'x'`,
		`SET search_path = private, public`,
	}
	modes := map[string]pgx.QueryExecMode{"simple": pgx.QueryExecModeSimpleProtocol, "extended": pgx.QueryExecModeExec}
	for _, q := range attacks {
		for name, mode := range modes {
			c := g.connect(t, "mallory", "mallory-secret", "app")
			var got []string
			rows, err := c.Query(ctx, q, mode)
			if err == nil {
				for rows.Next() {
					got = append(got, fmt.Sprint(rows.RawValues()))
				}
				rows.Close()
				err = rows.Err()
			}
			if sqlstate(err) != "42501" || len(got) > 0 {
				t.Errorf("%s %q: %v, rows %v; want 42501 and nothing", name, q, err, got)
			}
			// The session continues, and t is still public.t.
			var v string
			if err := c.QueryRow(ctx, "SELECT v FROM t WHERE a = 1", mode).Scan(&v); err != nil || v != "original" {
				t.Errorf("%s after %q: %q %v", name, q, v, err)
			}
			c.Close(ctx)
		}
	}

	// A tenant whose row filter shows only a = 2 cannot upsert row 1.
	for name, mode := range modes {
		c := g.connect(t, "tina", "tina-secret", "app")
		_, err := c.Exec(ctx, "INSERT INTO t VALUES (1, 'pwned') ON CONFLICT (a) DO UPDATE SET v = excluded.v", mode)
		if sqlstate(err) != "42501" {
			t.Errorf("%s tenant upsert: %v", name, err)
		}
		c.Close(ctx)
	}

	// Effects: nothing changed on the server.
	var v string
	var n int
	if err := direct.QueryRow(ctx, "SELECT v FROM t WHERE a = 1").Scan(&v); err != nil || v != "original" {
		t.Errorf("row after the upsert attack: %q %v", v, err)
	}
	for what, q := range map[string]string{
		"rules":         "SELECT count(*) FROM pg_rules WHERE tablename = 't'",
		"aggregates":    "SELECT count(*) FROM pg_proc WHERE proname = 'evil_agg'",
		"triggers":      "SELECT count(*) FROM pg_trigger WHERE tgname = 'tr'",
		"policies":      "SELECT count(*) FROM pg_policies WHERE tablename = 't'",
		"large objects": "SELECT count(*) FROM pg_largeobject_metadata",
		"sequence":      "SELECT CASE WHEN last_value = 42 THEN 0 ELSE 1 END FROM s",
		"xacts":         "SELECT count(*) FROM pg_prepared_xacts",
	} {
		if err := direct.QueryRow(ctx, q).Scan(&n); err != nil || n != 0 {
			t.Errorf("%s after the attacks: %d %v", what, n, err)
		}
	}

	// The relay's statement for root, on the one pooled connection, is
	// not runnable by mallory in SQL, nor by its own name by root.
	root := g.connect(t, "root", "root-secret", "app")
	defer root.Close(ctx)
	if err := root.QueryRow(ctx, "SELECT s FROM secrets WHERE $1::int = 1", 1).Scan(&v); err != nil || v != "the-secret" {
		t.Fatalf("root: %q %v", v, err)
	}
	var floeName string
	if err := root.QueryRow(ctx, "SELECT name FROM pg_prepared_statements WHERE statement LIKE '%secrets%' AND name LIKE 'floe\\_%'",
		pgx.QueryExecModeSimpleProtocol).Scan(&floeName); err != nil {
		t.Fatalf("the relay's statement name: %v", err)
	}
	for _, c := range []struct {
		user, q string
	}{
		{"mallory", "EXECUTE " + floeName + "(1)"},
		{"mallory", "EXECUTE " + strings.ToUpper(floeName) + "(1)"},
		{"mallory", "DEALLOCATE " + floeName},
		{"mallory", "PREPARE " + floeName + " AS SELECT 1"},
		{"root", "EXECUTE " + floeName + "(1)"},
	} {
		conn := root
		if c.user == "mallory" {
			conn = g.connect(t, "mallory", "mallory-secret", "app")
			defer conn.Close(ctx)
		}
		rows, err := conn.Query(ctx, c.q, pgx.QueryExecModeSimpleProtocol)
		var got []string
		if err == nil {
			for rows.Next() {
				got = append(got, fmt.Sprint(rows.RawValues()))
			}
			rows.Close()
			err = rows.Err()
		}
		if sqlstate(err) != "42501" || len(got) > 0 {
			t.Errorf("%s %q: %v, rows %v; want 42501 and nothing", c.user, c.q, err, got)
		}
	}

	// Benign statements keep working for the restricted user.
	m := g.connect(t, "mallory", "mallory-secret", "app")
	defer m.Close(ctx)
	for _, q := range []string{
		"INSERT INTO t VALUES (2, 'two')",
		"INSERT INTO t VALUES (1, 'dup') ON CONFLICT DO NOTHING",
		"INSERT INTO t VALUES (1, 'dup') ON CONFLICT (a) DO NOTHING",
		"SELECT lower(v), now(), count(*) FROM t GROUP BY v",
		"SELECT relname FROM pg_class WHERE relname = 't'",
		"BEGIN", "COMMIT",
	} {
		if _, err := m.Exec(ctx, q, pgx.QueryExecModeSimpleProtocol); err != nil {
			t.Errorf("%q: %v", q, err)
		}
	}
	if _, err := m.Exec(ctx, "PREPARE mine AS SELECT v FROM t WHERE a = $1", pgx.QueryExecModeSimpleProtocol); err != nil {
		t.Fatalf("PREPARE: %v", err)
	}
	if err := m.QueryRow(ctx, "EXECUTE mine(2)", pgx.QueryExecModeSimpleProtocol).Scan(&v); err != nil || v != "two" {
		t.Errorf("EXECUTE of the session's own statement: %q %v", v, err)
	}
	if _, err := m.Exec(ctx, "DEALLOCATE mine", pgx.QueryExecModeSimpleProtocol); err != nil {
		t.Errorf("DEALLOCATE: %v", err)
	}
	if err := direct.QueryRow(ctx, "SELECT count(*) FROM t").Scan(&n); err != nil || n != 2 {
		t.Errorf("rows in t: %d %v", n, err)
	}
}

// TestClassAttacksMySQL: upserts, REPLACE, DDL without a grant, sequences
// and SQL-level PREPARE/EXECUTE through the MySQL relay; each refusal is
// a MySQL error and the database shows that nothing happened.
func TestClassAttacksMySQL(t *testing.T) {
	pgDSN := testDB(t)
	myDSN, direct := myTestDB(t)
	for _, q := range []string{
		"CREATE TABLE t (a int PRIMARY KEY, v varchar(20))",
		"CREATE TABLE secrets (s varchar(20))",
		"CREATE SEQUENCE s START WITH 42 NOCACHE",
		"INSERT INTO t VALUES (1, 'original')",
		"INSERT INTO secrets VALUES ('the-secret')",
	} {
		if _, err := direct.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	var next0 int64
	if err := direct.QueryRow("SELECT next_not_cached_value FROM s").Scan(&next0); err != nil {
		t.Fatal(err)
	}
	g := start(t, classConfig(pgDSN, myDSN))
	db := g.mydb(t, "mallory", "mallory-secret", "shop", nil)
	ctx := context.Background()
	for _, c := range []struct {
		q     string
		errno uint16
	}{
		{"INSERT INTO t VALUES (1, 'pwned') ON DUPLICATE KEY UPDATE v = 'pwned'", 1142},
		{"INSERT INTO t SET a = 1, v = 'pwned' ON DUPLICATE KEY UPDATE v = VALUES(v)", 1142},
		{"REPLACE INTO t VALUES (1, 'pwned')", 1142},
		{"REPLACE t SET a = 1, v = 'pwned'", 1142},
		{"CREATE PROCEDURE evil() SELECT s FROM secrets", 1142},
		{"CREATE PROCEDURE evil() SELECT 1", 1227},
		{"CREATE VIEW v AS SELECT a FROM t", 1142},
		{"SELECT NEXTVAL(s)", 1142},
		{"SELECT NEXT VALUE FOR s", 1142},
		{"SELECT SETVAL(s, 1000)", 1142},
		// The prepared text is checked as the statement it prepares.
		{"PREPARE p FROM 'SELECT s FROM secrets'", 1142},
	} {
		conn, err := db.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		rows, err := conn.QueryContext(ctx, c.q)
		n := 0
		if err == nil {
			for rows.Next() {
				n++
			}
			err = rows.Err()
			rows.Close()
		}
		if myErrno(err) != c.errno || n > 0 {
			t.Errorf("%q: %v, %d rows; want errno %d and nothing", c.q, err, n, c.errno)
		}
		// EXECUTE of a name the session did not prepare.
		if _, err := conn.ExecContext(ctx, "EXECUTE p"); myErrno(err) != 1243 {
			t.Errorf("EXECUTE p after %q: %v", c.q, err)
		}
		var one int
		if err := conn.QueryRowContext(ctx, "SELECT 1").Scan(&one); err != nil || one != 1 {
			t.Errorf("session after %q: %v", c.q, err)
		}
		conn.Close()
	}
	tina := g.mydb(t, "tina", "tina-secret", "shop", nil)
	for _, q := range []string{
		"INSERT INTO t VALUES (1, 'pwned') ON DUPLICATE KEY UPDATE v = 'pwned'",
		"REPLACE INTO t VALUES (1, 'pwned')",
	} {
		if _, err := tina.ExecContext(ctx, q); myErrno(err) != 1142 {
			t.Errorf("tenant %q: %v", q, err)
		}
	}
	var v string
	if err := direct.QueryRow("SELECT v FROM t WHERE a = 1").Scan(&v); err != nil || v != "original" {
		t.Errorf("row after the upsert attacks: %q %v", v, err)
	}
	var n int
	if err := direct.QueryRow("SELECT count(*) FROM information_schema.routines WHERE routine_schema = DATABASE()").Scan(&n); err != nil || n != 0 {
		t.Errorf("routines: %d %v", n, err)
	}
	if err := direct.QueryRow("SELECT count(*) FROM information_schema.views WHERE table_schema = DATABASE()").Scan(&n); err != nil || n != 0 {
		t.Errorf("views: %d %v", n, err)
	}
	var next int64
	if err := direct.QueryRow("SELECT next_not_cached_value FROM s").Scan(&next); err != nil || next != next0 {
		t.Errorf("sequence moved: %d -> %d (%v)", next0, next, err)
	}
	// Benign statements keep working.
	for _, q := range []string{
		"INSERT INTO t VALUES (2, 'two')",
		"INSERT IGNORE INTO t VALUES (1, 'dup')",
		"SELECT LOWER(v), NOW(), COUNT(*) FROM t GROUP BY v",
	} {
		if _, err := db.ExecContext(ctx, q); err != nil {
			t.Errorf("%q: %v", q, err)
		}
	}
	if err := direct.QueryRow("SELECT count(*) FROM t").Scan(&n); err != nil || n != 2 {
		t.Errorf("rows in t: %d %v", n, err)
	}
}
