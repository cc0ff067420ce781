package e2e

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-adbc/go/adbc"
	"github.com/jackc/pgx/v5"
)

// The adversarial suite runs every attack class of the security work on
// every path a statement can take into Floe — PostgreSQL simple and
// extended protocol, MySQL text and server-side prepared statements, the
// HTTP data API and Flight SQL on both databases — and checks the effect
// on the database through a direct superuser connection: the secret is in
// no row and no error text, no row, rule, view, large object, sequence or
// setting changed, the attacker's session still works afterwards, and a
// victim who runs next on the same pooled connection (pool of one) sees
// nothing of it. Benign statements must pass on every path.
//
// One gateway and one database pair serve the whole suite.

const (
	advSecretPG = "S3CR3T-pg-41f7"
	advSecretMy = "S3CR3T-my-41f7"
)

// advPath is one way into the gateway for one user.
type advPath struct {
	name    string
	dialect string // "pg" or "my"
	// run sends sql; "{p}" in it is a placeholder bound to 1 where the
	// path binds parameters, the literal 1 where it does not.
	run func(sql string) (rows [][]string, code string, err error)
	// end closes the session and opens a new one (wire paths), so that
	// its backend connection goes back to the pool for the next user.
	end func()
}

// advCase is one attack or benign statement.
type advCase struct {
	class, name string
	pg, my      string // the statement per dialect ("" = does not apply)
	// refuse: the statement must fail (by Floe or by the server) with
	// one of codes; otherwise it may run but must be harmless.
	refuse bool
	codes  []string
	// skipPaths names paths that cannot carry the case, with the reason;
	// the statement is still sent there and must fail with one of
	// altCodes.
	skipPaths map[string]string
	altCodes  []string
	// benign: must succeed; want (if set) is the first row, joined by ",".
	benign bool
	want   string
	// landedPG/landedMy, on the wire paths, ask the attacker's own
	// session whether the state the case plants is there (so that the
	// victim's clean view proves the reset, not a failed attack); landed
	// is the expected answer.
	landedPG, landedMy, landed string
	// forbid: text that must be in no row (another tenant's value).
	forbid string
	// wide runs the case as the user whose gateway grant is wider than
	// its backend login.
	wide bool
}

var sqlstateRE = regexp.MustCompile(`SQLSTATE[^0-9A-Z]{0,4}([0-9A-Z]{5})`)

func advRows(rows pgx.Rows) ([][]string, error) {
	var out [][]string
	for rows.Next() {
		vals, err := rows.Values()
		if err != nil {
			rows.Close()
			return out, err
		}
		r := make([]string, len(vals))
		for i, v := range vals {
			r[i] = fmt.Sprint(v)
		}
		out = append(out, r)
	}
	rows.Close()
	return out, rows.Err()
}

func advSQLRows(rows *sql.Rows) ([][]string, error) {
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return nil, err
	}
	var out [][]string
	for rows.Next() {
		raw := make([]sql.RawBytes, len(cols))
		ptrs := make([]any, len(cols))
		for i := range raw {
			ptrs[i] = &raw[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return out, err
		}
		r := make([]string, len(cols))
		for i, b := range raw {
			if b == nil {
				r[i] = "NULL"
			} else {
				r[i] = string(b)
			}
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

func advPGPath(t *testing.T, g *gateway, name, user, pw, db string, mode pgx.QueryExecMode) advPath {
	c := g.connect(t, user, pw, db)
	end := func() {
		c.Close(context.Background())
		c = g.connect(t, user, pw, db)
	}
	return advPath{name: name, dialect: "pg", end: end, run: func(q string) ([][]string, string, error) {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		args := []any{mode}
		if mode == pgx.QueryExecModeSimpleProtocol {
			q = strings.ReplaceAll(q, "{p}", "1")
		} else if strings.Contains(q, "{p}") {
			q = strings.ReplaceAll(q, "{p}", "$1::int")
			args = append(args, 1)
		}
		rows, err := c.Query(ctx, q, args...)
		if err != nil {
			return nil, sqlstate(err), err
		}
		out, err := advRows(rows)
		return out, sqlstate(err), err
	}}
}

func advMyPath(t *testing.T, g *gateway, name, user, pw, db string, prepared bool) advPath {
	pool := g.mydb(t, user, pw, db, map[string]string{"interpolateParams": "false"})
	ctx := context.Background()
	pool.SetMaxIdleConns(0)
	conn, err := pool.Conn(ctx)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	t.Cleanup(func() { conn.Close() })
	end := func() {
		conn.Close()
		if conn, err = pool.Conn(ctx); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}
	code := func(err error) string {
		if n := myErrno(err); n != 0 {
			return fmt.Sprint(n)
		}
		return ""
	}
	return advPath{name: name, dialect: "my", end: end, run: func(q string) ([][]string, string, error) {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		var rows *sql.Rows
		var err error
		switch {
		case !prepared:
			rows, err = conn.QueryContext(ctx, strings.ReplaceAll(q, "{p}", "1"))
		case strings.Contains(q, "{p}"):
			rows, err = conn.QueryContext(ctx, strings.ReplaceAll(q, "{p}", "?"), 1)
		default:
			var st *sql.Stmt
			if st, err = conn.PrepareContext(ctx, q); err == nil {
				rows, err = st.QueryContext(ctx)
				defer st.Close()
			}
		}
		if err != nil {
			return nil, code(err), err
		}
		out, err := advSQLRows(rows)
		return out, code(err), err
	}}
}

func advHTTPPath(g *gateway, t *testing.T, name, dialect, user, pw, db string) advPath {
	ph := "$1"
	if dialect == "my" {
		ph = "?"
	}
	return advPath{name: name, dialect: dialect, end: func() {}, run: func(q string) ([][]string, string, error) {
		body := queryBody(db, q)
		if strings.Contains(q, "{p}") {
			body = queryBody(db, strings.ReplaceAll(q, "{p}", ph), 1)
		}
		a := g.post(t, user, pw, "/v1/query?format=json", body)
		if a.status != 200 {
			code, st, msg := errorOf(t, a)
			return nil, st, fmt.Errorf("HTTP %d %s: %s", a.status, code, msg)
		}
		_, rows := rowsOf(t, "json", a.body)
		return rows, "", nil
	}}
}

func advFlightPath(t *testing.T, g *gateway, name, dialect, user, pw, db string, prepared bool) advPath {
	c, err := g.adbcConn(t, user, pw, db)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return advPath{name: name, dialect: dialect, end: func() {}, run: func(q string) ([][]string, string, error) {
		q = strings.ReplaceAll(q, "{p}", "1")
		st, err := c.NewStatement()
		if err != nil {
			return nil, "", err
		}
		defer st.Close()
		if err := st.SetSqlQuery(q); err != nil {
			return nil, "", err
		}
		if prepared {
			// CreatePreparedStatement, then the execution of its handle.
			if err := st.Prepare(context.Background()); err != nil {
				return nil, flightCode(err), err
			}
		}
		rdr, _, err := st.ExecuteQuery(context.Background())
		if err != nil {
			return nil, flightCode(err), err
		}
		defer rdr.Release()
		var rows [][]string
		for rdr.Next() {
			rows = append(rows, batchRows(rdr.RecordBatch())...)
		}
		if err := rdr.Err(); err != nil {
			return rows, flightCode(err), err
		}
		return rows, "", nil
	}}
}

func flightCode(err error) string {
	if m := sqlstateRE.FindStringSubmatch(err.Error()); m != nil {
		return m[1]
	}
	var ae adbc.Error
	if errors.As(err, &ae) {
		return "adbc:" + ae.Code.String()
	}
	return ""
}

func TestAdversarialSuite(t *testing.T) {
	ctx := context.Background()
	pgDSN := testDB(t)
	myDSN, my := myTestDB(t)
	var myName string
	if err := my.QueryRow("select database()").Scan(&myName); err != nil {
		t.Fatal(err)
	}
	pg := pgSetup(t, pgDSN,
		"CREATE TABLE orders (id int primary key, tenant int, total int)",
		"INSERT INTO orders VALUES (1, 7, 10), (2, 7, 20), (3, 8, 30)",
		"CREATE TABLE secrets (id int, secret text)",
		"INSERT INTO secrets VALUES (1, '"+advSecretPG+"'), (2, '"+advSecretPG+"')",
		"CREATE TABLE items (id int primary key, v text)",
		"INSERT INTO items VALUES (1, 'original')",
		"CREATE SEQUENCE seq",
		"SELECT setval('seq', 42)",
		"CREATE SCHEMA evil",
		"CREATE TABLE evil.orders (id int, tenant int, total int)",
		"INSERT INTO evil.orders VALUES (666, 7, 666)",
		"ANALYZE orders", "ANALYZE secrets", // planner statistics now hold their values
		// Functions made in the database run without a grant; this one
		// leaves state on its connection where Floe cannot see it.
		`CREATE FUNCTION plant() RETURNS int LANGUAGE plpgsql AS $$ BEGIN
		   PERFORM set_config('search_path', 'evil, public', false);
		   CREATE TEMP TABLE IF NOT EXISTS orders (id int, tenant int, total int) ON COMMIT PRESERVE ROWS;
		   RETURN 1; END $$`,
	)
	mySetup(t, my,
		"CREATE TABLE orders (id int primary key, tenant int, total int)",
		"INSERT INTO orders VALUES (1, 7, 10), (2, 7, 20), (3, 8, 30)",
		"CREATE TABLE secrets (id int, secret text)",
		"INSERT INTO secrets VALUES (1, '"+advSecretMy+"')",
		"CREATE TABLE items (id int primary key, v text)",
		"INSERT INTO items VALUES (1, 'original')",
		"CREATE PROCEDURE plant() BEGIN SET @planted = 'yes'; CREATE TEMPORARY TABLE IF NOT EXISTS orders (id int, tenant int, total int); END",
	)
	// The backend-identity logins hold SELECT on orders only.
	pgLoginName := pgLogin(t, pgDSN, "GRANT SELECT ON orders TO $LOGIN")
	myLogin := randName("floe_t_")
	mySetup(t, my,
		fmt.Sprintf("CREATE USER '%s'@'%%' IDENTIFIED BY 'pw-%s'", myLogin, myLogin),
		fmt.Sprintf("GRANT SELECT ON %s.orders TO '%s'@'%%'", myName, myLogin),
	)
	t.Cleanup(func() { _, _ = my.Exec(fmt.Sprintf("DROP USER IF EXISTS '%s'@'%%'", myLogin)) })

	g := start(t, fmt.Sprintf(`databases:
  - {name: app, kind: postgres, primary: %[1]q, pool: {mode: transaction, size: 1}}
  - {name: shop, kind: mysql, primary: %[2]q, pool: {mode: transaction, size: 1}}
  - name: appw
    kind: postgres
    primary: %[1]q
    pool: {mode: transaction, size: 1}
    identities: [{role: wide, user: %[3]s, password: pw-%[3]s}]
  - name: shopw
    kind: mysql
    primary: %[2]q
    pool: {mode: transaction, size: 1}
    identities: [{role: wide, user: %[4]s, password: pw-%[4]s}]
users:
  - {name: mallory, password: mallory-secret, roles: [tenant]}
  - {name: victor, password: victor-secret, roles: [reader]}
  - {name: wendy, password: wendy-secret, roles: [wide]}
roles:
  - name: tenant
    grants:
      - {database: app, tables: [orders], actions: [select, insert, update, delete, copy]}
      - {database: app, tables: [items], actions: [select, insert]}
      - {database: shop, tables: [orders], actions: [select, insert, update, delete]}
      - {database: shop, tables: [items], actions: [select, insert]}
      - {database: shop, functions: [plant], actions: [execute]}
    row_filters:
      - {database: app, table: orders, where: "tenant = 7"}
      - {database: shop, table: orders, where: "tenant = 7"}
  - name: reader
    grants:
      - {database: app, tables: ["*"], actions: [select]}
      - {database: shop, tables: ["*"], actions: [select]}
  - name: wide
    grants:
      - {database: appw, tables: ["*"], actions: [all]}
      - {database: shopw, tables: ["*"], actions: [all]}
`, pgDSN, myDSN, pgLoginName, myLogin))

	paths := func(user, pw, pgDB, myDB string) []advPath {
		return []advPath{
			advPGPath(t, g, "pg-simple", user, pw, pgDB, pgx.QueryExecModeSimpleProtocol),
			advPGPath(t, g, "pg-ext-exec", user, pw, pgDB, pgx.QueryExecModeExec),
			advPGPath(t, g, "pg-ext-cache", user, pw, pgDB, pgx.QueryExecModeCacheStatement),
			advMyPath(t, g, "my-text", user, pw, myDB, false),
			advMyPath(t, g, "my-prepared", user, pw, myDB, true),
			advHTTPPath(g, t, "http-pg", "pg", user, pw, pgDB),
			advHTTPPath(g, t, "http-my", "my", user, pw, myDB),
			advFlightPath(t, g, "flight-pg", "pg", user, pw, pgDB, false),
			advFlightPath(t, g, "flight-my", "my", user, pw, myDB, false),
			advFlightPath(t, g, "flight-prep-pg", "pg", user, pw, pgDB, true),
			advFlightPath(t, g, "flight-prep-my", "my", user, pw, myDB, true),
		}
	}
	attacker := paths("mallory", "mallory-secret", "app", "shop")
	wide := paths("wendy", "wendy-secret", "appw", "shopw")

	// The victim: its own sessions on the same pools (of one connection)
	// as the attacker's, plus a relay-prepared statement on secrets.
	victimPG := advPGPath(t, g, "victim-pg", "victor", "victor-secret", "app", pgx.QueryExecModeSimpleProtocol)
	victimPGExt := advPGPath(t, g, "victim-pg-ext", "victor", "victor-secret", "app", pgx.QueryExecModeCacheStatement)
	victimMy := advMyPath(t, g, "victim-my", "victor", "victor-secret", "shop", false)
	const victimPGQ = `SELECT (SELECT count(*) || ':' || sum(total) FROM orders) || '|' || current_setting('search_path') || '|' ||
		current_setting('standard_conforming_strings') || '|' || current_setting('client_encoding') || '|' || current_setting('application_name')`
	const victimMyQ = `SELECT concat((SELECT concat(count(*), ':', sum(total)) FROM orders), '|', coalesce(@planted, '-'), '|',
		@@session.sql_mode, '|', @@session.character_set_client)`
	victim := func() string {
		a, _, errA := victimPG.run(victimPGQ)
		b, _, errB := victimMy.run(victimMyQ)
		if errA != nil || errB != nil || len(a) != 1 || len(b) != 1 {
			return fmt.Sprintf("victim failed: %v %v %v %v", a, errA, b, errB)
		}
		return a[0][0] + " // " + b[0][0]
	}
	primeVictim := func() {
		if rows, _, err := victimPGExt.run("SELECT secret FROM secrets"); err != nil || len(rows) != 2 {
			t.Fatalf("victim's prepared read of secrets: %v %v", rows, err)
		}
	}
	primeVictim()
	victimBase := victim()
	// The victim's statements run on the attacker's backend connection
	// (one per pool), or the cross-user cases would prove nothing.
	for _, pair := range [][2]advPath{{attacker[0], victimPG}, {attacker[3], victimMy}} {
		q := "SELECT pg_backend_pid()"
		if pair[0].dialect == "my" {
			// (the relay answers a bare connection_id() with the
			// session's own id; the expression reaches the server)
			q = "SELECT connection_id() + 0"
		}
		a, _, errA := pair[0].run(q)
		pair[0].end()
		b, _, errB := pair[1].run(q)
		if errA != nil || errB != nil || fmt.Sprint(a) != fmt.Sprint(b) {
			t.Fatalf("%s and %s run on different backend connections: %v %v / %v %v", pair[0].name, pair[1].name, a, errA, b, errB)
		}
	}
	if !strings.HasPrefix(victimBase, "3:60|") || !strings.Contains(victimBase, "// 3:60|-|") {
		t.Fatalf("victim baseline: %s", victimBase)
	}

	// The database's state as the superuser sees it.
	state := func() string {
		var a, b string
		if err := pg.QueryRow(ctx, `SELECT concat_ws(' | ',
			(SELECT string_agg(id || ':' || tenant || ':' || total, ',' ORDER BY id) FROM orders),
			(SELECT string_agg(id || ':' || v, ',' ORDER BY id) FROM items),
			(SELECT string_agg(secret, ',') FROM secrets),
			(SELECT last_value FROM seq),
			(SELECT count(*) FROM pg_rules WHERE schemaname NOT IN ('pg_catalog')),
			(SELECT count(*) FROM pg_class WHERE relkind = 'v' AND relnamespace NOT IN ('pg_catalog'::regnamespace, 'information_schema'::regnamespace)),
			(SELECT count(*) FROM pg_largeobject_metadata),
			(SELECT count(*) FROM pg_db_role_setting),
			(SELECT count(*) FROM pg_class WHERE relpersistence = 'p' AND relnamespace = 'public'::regnamespace),
			(SELECT string_agg(id::text, ',') FROM evil.orders))`).Scan(&a); err != nil {
			t.Fatalf("PostgreSQL state: %v", err)
		}
		if err := my.QueryRow(`SELECT concat_ws(' | ',
			(SELECT group_concat(concat(id, ':', tenant, ':', total) ORDER BY id) FROM orders),
			(SELECT group_concat(concat(id, ':', v) ORDER BY id) FROM items),
			(SELECT group_concat(secret) FROM secrets),
			(SELECT count(*) FROM information_schema.tables WHERE table_schema = database()),
			@@global.sql_mode, @@global.character_set_client)`).Scan(&b); err != nil {
			t.Fatalf("MariaDB state: %v", err)
		}
		return a + " // " + b
	}
	base := state()

	cases := []advCase{
		// (1) Lexing desync: settings that change how the server reads text.
		{class: "lexing", name: "scs off", pg: "SET standard_conforming_strings = off", refuse: true, codes: []string{"42501"}},
		{class: "lexing", name: "scs off via set_config", pg: "SELECT set_config('standard_conforming_strings', 'off', false)", refuse: true, codes: []string{"42501"}},
		{class: "lexing", name: "client encoding SJIS", pg: "SET client_encoding = 'SJIS'", refuse: true, codes: []string{"42501"}},
		{class: "lexing", name: "sql_mode NO_BACKSLASH_ESCAPES", my: "SET sql_mode = 'NO_BACKSLASH_ESCAPES'", refuse: true, codes: []string{"1227", "42501"}},
		{class: "lexing", name: "sql_mode concat", my: "SET SESSION sql_mode = CONCAT(@@sql_mode, ',ANSI_QUOTES')", refuse: true, codes: []string{"1227", "42501"}},
		{class: "lexing", name: "SET NAMES gbk", my: "SET NAMES gbk", refuse: true, codes: []string{"1227", "42501"}},
		{class: "lexing", name: "/*M! union */ inside a statement", my: "SELECT id FROM orders WHERE id = {p} /*M! UNION SELECT secret FROM secrets */", refuse: true, codes: []string{"1235", "0A000"}},
		{class: "lexing", name: "PREPARE FROM @q", my: "PREPARE s FROM @q", refuse: true, codes: []string{"1235", "0A000", "1142", "42501"}},
		{class: "lexing", name: "PREPARE FROM literal over secrets", my: "PREPARE s FROM 'SELECT secret FROM secrets'", refuse: true, codes: []string{"1142", "42501"}},

		// (2) Functions that run SQL given as text or read files.
		{class: "sql-functions", name: "query_to_xml over secrets", pg: "SELECT query_to_xml('SELECT secret FROM secrets', true, true, '')", refuse: true, codes: []string{"42501"}},
		{class: "sql-functions", name: "quoted, qualified query_to_xml", pg: `SELECT pg_catalog."query_to_xml"('SELECT secret FROM secrets', true, true, '')`, refuse: true, codes: []string{"42501"}},
		{class: "sql-functions", name: "query_to_xml nested in xpath", pg: "SELECT xpath('//secret/text()', query_to_xml('SELECT secret FROM secrets', true, true, '')) FROM orders WHERE id = {p}", refuse: true, codes: []string{"42501"}},
		{class: "sql-functions", name: "pg_read_file", pg: "SELECT pg_read_file('postgresql.conf')", refuse: true, codes: []string{"42501"}},
		{class: "sql-functions", name: "LOAD_FILE", my: "SELECT LOAD_FILE('/etc/passwd')", refuse: true, codes: []string{"1370", "1142", "1227", "42501"}},
		{class: "sql-functions", name: "secret read directly", pg: "SELECT secret FROM secrets", my: "SELECT secret FROM secrets", refuse: true, codes: []string{"42501", "1142"}},

		// (3) State crossing users on a pooled connection.
		{class: "cross-user", name: "set_config in a function + temp table", pg: "SELECT plant()",
			landedPG: "SELECT current_setting('search_path') || '/' || (SELECT count(*) FROM pg_class WHERE relname = 'orders' AND relpersistence = 't' AND pg_table_is_visible(oid))", landed: "evil, public/1"},
		{class: "cross-user", name: "temp table shadowing", pg: "CREATE TEMP TABLE orders (id int, tenant int, total int)", my: "CREATE TEMPORARY TABLE orders (id int, tenant int, total int)", refuse: true, codes: []string{"42501", "1142"}},
		{class: "cross-user", name: "user variable", my: "SET @planted = 'yes'",
			skipPaths: map[string]string{"http-my": "SET is refused as session state", "flight-my": "SET is refused as session state", "flight-prep-my": "SET is refused as session state"}, altCodes: []string{"0A000"},
			landedMy: "SELECT @planted", landed: "yes"},
		{class: "cross-user", name: "procedure leaves a variable and a temp table", my: "CALL plant()",
			landedMy: "SELECT concat(@planted, '/', (SELECT count(*) FROM orders))", landed: "yes/0"},

		// (4) Weak classification.
		{class: "classification", name: "upsert with an insert-only grant", pg: "INSERT INTO items VALUES (1, 'pwned') ON CONFLICT (id) DO UPDATE SET v = excluded.v",
			my: "INSERT INTO items VALUES (1, 'pwned') ON DUPLICATE KEY UPDATE v = 'pwned'", refuse: true, codes: []string{"42501", "1142"}},
		{class: "classification", name: "REPLACE", my: "REPLACE INTO items VALUES (1, 'pwned')", refuse: true, codes: []string{"1142", "42501"}},
		{class: "classification", name: "CREATE RULE", pg: "CREATE RULE r AS ON INSERT TO items DO INSTEAD NOTHING", refuse: true, codes: []string{"42501"}},
		{class: "classification", name: "CREATE TEMP VIEW", pg: "CREATE TEMP VIEW leak AS SELECT 1 AS x", refuse: true, codes: []string{"42501"}},
		{class: "classification", name: "setval", pg: "SELECT setval('seq', 1000)", refuse: true, codes: []string{"42501"}},
		{class: "classification", name: "nextval in a select", pg: "SELECT nextval('seq') FROM orders WHERE id = {p}", refuse: true, codes: []string{"42501"}},
		{class: "classification", name: "lo_create", pg: "SELECT lo_create(4242)", refuse: true, codes: []string{"42501"}},
		{class: "classification", name: "EXECUTE the relay's statement", pg: "EXECUTE " + advRelayName("SELECT secret FROM secrets"), refuse: true, codes: []string{"42501"}},

		// (5) Row-filter side channels.
		{class: "row-filter", name: "TABLESAMPLE is filtered", pg: "SELECT id, tenant, total FROM orders TABLESAMPLE SYSTEM (100)", benign: true, want: "1,7,10"},
		{class: "row-filter", name: "COPY of a filtered table", pg: "COPY orders TO STDOUT", refuse: true, codes: []string{"42501"}},
		{class: "row-filter", name: "MERGE source", pg: "MERGE INTO items i USING orders o ON i.id = o.id WHEN NOT MATCHED THEN INSERT VALUES (o.id + 100, o.total::text)", refuse: true, codes: []string{"42501"}},
		{class: "row-filter", name: "other tenant by WHERE", pg: "SELECT total FROM orders WHERE tenant = 8", my: "SELECT total FROM orders WHERE tenant = 8", benign: true, want: ""},

		// (6) Parser exhaustion.
		{class: "parser", name: "200 KB +1 chain", pg: "SELECT 1" + strings.Repeat("+1", 100000), my: "SELECT 1" + strings.Repeat("+1", 100000), refuse: true, codes: []string{"54001", "1436"}},

		// Backend identity: the gateway grant (all) is wider than the login.
		{class: "identity", name: "server refuses an ungranted table", pg: "SELECT secret FROM secrets", my: "SELECT secret FROM secrets", refuse: true, codes: []string{"42501", "1142"}, wide: true},
		{class: "identity", name: "server refuses a write", pg: "INSERT INTO orders VALUES (9, 8, 90)", my: "INSERT INTO orders VALUES (9, 8, 90)", refuse: true, codes: []string{"42501", "1142"}, wide: true},
		{class: "identity", name: "server refuses query_to_xml over secrets", pg: "SELECT query_to_xml('SELECT secret FROM secrets', true, true, '')", refuse: true, codes: []string{"42501"}, wide: true},

		// Variants of the classes above.
		{class: "lexing", name: "scs off, SESSION TO form", pg: "SET SESSION standard_conforming_strings TO off", refuse: true, codes: []string{"42501"}},
		{class: "lexing", name: "scs off via computed set_config name", pg: "SELECT set_config('standard' || '_conforming_strings', 'off', false)", refuse: true, codes: []string{"42501"}},
		{class: "lexing", name: "scs off via pg_settings", pg: "UPDATE pg_settings SET setting = 'off' WHERE name = 'standard_conforming_strings'", refuse: true, codes: []string{"42501"}},
		{class: "lexing", name: "PREPARE of set_config", pg: "PREPARE x AS SELECT set_config('search_path', 'evil, public', false)", refuse: true, codes: []string{"42501"}},
		{class: "lexing", name: "search_path to another schema", pg: "SET search_path = evil, public", refuse: true, codes: []string{"42501"}},
		{class: "lexing", name: "stacked SET after a select", pg: "SELECT 1; SET standard_conforming_strings = off", refuse: true, codes: []string{"42501", "42601"}},
		{class: "lexing", name: "sql_mode by @@session", my: "SET @@session.sql_mode = 'ANSI_QUOTES'", refuse: true, codes: []string{"1227"}},
		{class: "lexing", name: "character_set_client gbk", my: "SET character_set_client = gbk", refuse: true, codes: []string{"1227"}},
		{class: "lexing", name: "SET CHARACTER SET sjis", my: "SET CHARACTER SET sjis", refuse: true, codes: []string{"1227"}},
		{class: "lexing", name: "version-gated SET NAMES gbk", my: "/*!50700 SET NAMES gbk */", refuse: true, codes: []string{"1227", "1235"}},
		{class: "lexing", name: "MariaDB-only comment as a statement", my: "/*M! SELECT secret FROM secrets */", refuse: true, codes: []string{"1142", "1235"}},
		{class: "lexing", name: "EXECUTE IMMEDIATE", my: "EXECUTE IMMEDIATE 'SELECT secret FROM secrets'", refuse: true, codes: []string{"1235", "1142"}},
		{class: "lexing", name: "SET STATEMENT … FOR", my: "SET STATEMENT max_statement_time = 10 FOR SELECT secret FROM secrets", refuse: true, codes: []string{"1235", "1142"}},
		{class: "sql-functions", name: "query_to_xml in xmltable", pg: "SELECT * FROM xmltable('/table/row' PASSING query_to_xml('SELECT secret FROM secrets', true, false, '') COLUMNS s text PATH 'secret')", refuse: true, codes: []string{"42501"}},
		{class: "sql-functions", name: "query_to_xml in a CTE", pg: "WITH x AS (SELECT query_to_xml('SELECT secret FROM secrets', true, true, '') AS v) SELECT v FROM x", refuse: true, codes: []string{"42501"}},
		{class: "sql-functions", name: "query_to_xml under EXPLAIN ANALYZE", pg: "EXPLAIN ANALYZE SELECT query_to_xml('SELECT secret FROM secrets', true, true, '')", refuse: true, codes: []string{"42501"}},
		{class: "sql-functions", name: "table_to_xml", pg: "SELECT table_to_xml('secrets', true, true, '')", refuse: true, codes: []string{"42501"}},
		{class: "sql-functions", name: "lo_import", pg: "SELECT lo_import('/etc/hostname')", refuse: true, codes: []string{"42501"}},
		{class: "sql-functions", name: "COPY TO PROGRAM", pg: "COPY (SELECT 1) TO PROGRAM 'true'", refuse: true, codes: []string{"42501"}},
		{class: "sql-functions", name: "stacked read of secrets", pg: "SELECT 1; SELECT secret FROM secrets", my: "SELECT 1; SELECT secret FROM secrets", refuse: true, codes: []string{"42501", "42601", "1142", "1064"}},
		{class: "classification", name: "upsert in a writable CTE", pg: "WITH x AS (INSERT INTO items VALUES (1, 'pwned') ON CONFLICT (id) DO UPDATE SET v = 'pwned' RETURNING 1) SELECT * FROM x", refuse: true, codes: []string{"42501"}},
		{class: "classification", name: "upsert, SET form", my: "INSERT INTO items SET id = 1, v = 'pwned' ON DUPLICATE KEY UPDATE v = 'pwned'", refuse: true, codes: []string{"1142"}},
		{class: "classification", name: "upsert from a select", my: "INSERT INTO items SELECT 1, 'pwned' FROM orders WHERE id = {p} ON DUPLICATE KEY UPDATE v = 'pwned'", refuse: true, codes: []string{"1142"}},
		{class: "classification", name: "REPLACE, SET form", my: "REPLACE items SET id = 1, v = 'pwned'", refuse: true, codes: []string{"1142"}},
		{class: "classification", name: "qualified setval with regclass", pg: "SELECT pg_catalog.setval('public.seq'::regclass, 1000, false)", refuse: true, codes: []string{"42501"}},
		{class: "classification", name: "lo_from_bytea", pg: "SELECT lo_from_bytea(0, 'x')", refuse: true, codes: []string{"42501"}},
		{class: "classification", name: "CREATE TEMP TABLE AS over secrets", pg: "CREATE TEMP TABLE t AS SELECT secret FROM secrets", refuse: true, codes: []string{"42501"}},
		{class: "classification", name: "EXECUTE the relay's statement, upper case", pg: "EXECUTE " + strings.ToUpper(advRelayName("SELECT secret FROM secrets")), refuse: true, codes: []string{"42501"}},
		{class: "classification", name: "DEALLOCATE the relay's statement", pg: "DEALLOCATE " + advRelayName("SELECT secret FROM secrets"), refuse: true, codes: []string{"42501"}},
		{class: "row-filter", name: "TABLESAMPLE BERNOULLI REPEATABLE", pg: "SELECT * FROM (SELECT id, tenant, total FROM orders TABLESAMPLE BERNOULLI (100) REPEATABLE (1)) s ORDER BY id", benign: true, want: "1,7,10"},
		{class: "row-filter", name: "TABLE orders", pg: "TABLE orders ORDER BY id", benign: true, want: "1,7,10"},
		{class: "row-filter", name: "COPY of a column list", pg: "COPY public.orders (id, total) TO STDOUT", refuse: true, codes: []string{"42501"}},
		{class: "row-filter", name: "HANDLER read", my: "HANDLER orders OPEN", refuse: true, codes: []string{"1142", "1235", "1064"}},
		{class: "row-filter", name: "planner statistics of the filtered table", pg: "SELECT histogram_bounds::text FROM pg_stats WHERE tablename = 'orders' AND attname = 'total'",
			my: "SELECT hex(histogram) FROM mysql.column_stats WHERE table_name = 'orders'", forbid: "30", refuse: true, codes: []string{"42501", "1142"}},
		{class: "row-filter", name: "planner statistics of an ungranted table", pg: "SELECT most_common_vals::text FROM pg_catalog.pg_stats WHERE tablename = 'secrets'", refuse: true, codes: []string{"42501"}},
		{class: "row-filter", name: "planner statistics in a subquery", pg: "SELECT id FROM orders WHERE 30 = ANY (SELECT unnest(histogram_bounds::text::int[]) FROM pg_stats WHERE tablename = 'orders' AND attname = 'total')", refuse: true, codes: []string{"42501"}},
		{class: "parser", name: "deep parentheses", pg: "SELECT " + strings.Repeat("(", 5000) + "1" + strings.Repeat(")", 5000), my: "SELECT " + strings.Repeat("(", 5000) + "1" + strings.Repeat(")", 5000), refuse: true, codes: []string{"54001", "1436"}},
		{class: "parser", name: "long cast chain", pg: "SELECT 1" + strings.Repeat("::int", 30000), refuse: true, codes: []string{"54001"}},
		{class: "parser", name: "MySQL AND chain", my: "SELECT 1" + strings.Repeat(" AND 1", 30000), refuse: true, codes: []string{"1436"}},

		// Benign statements that must keep working on every path.
		{class: "benign", name: "plain select", pg: "SELECT id, total FROM orders WHERE id = {p}", my: "SELECT id, total FROM orders WHERE id = {p}", benign: true, want: "1,10"},
		{class: "benign", name: "insert with a grant", pg: "INSERT INTO items VALUES (100, 'new')", my: "INSERT INTO items VALUES (100, 'new')", benign: true},
		{class: "benign", name: "ON CONFLICT DO NOTHING", pg: "INSERT INTO items VALUES (1, 'dup') ON CONFLICT DO NOTHING", my: "INSERT IGNORE INTO items VALUES (1, 'dup')", benign: true},
		{class: "benign", name: "PREPARE of a granted select", pg: "PREPARE ok AS SELECT total FROM items, orders WHERE orders.id = 1 AND items.id = 1",
			my: "PREPARE ok FROM 'SELECT v FROM items WHERE id = 1'", benign: true,
			skipPaths: map[string]string{"http-pg": "PREPARE is refused as session state", "http-my": "PREPARE is refused as session state",
				"flight-pg": "PREPARE is refused as session state", "flight-my": "PREPARE is refused as session state",
				"flight-prep-pg": "PREPARE is refused as session state", "flight-prep-my": "PREPARE is refused as session state",
				"my-prepared": "MariaDB does not prepare PREPARE"},
			altCodes: []string{"42501", "1227", "0A000", "1295", "1142"}},
		{class: "benign", name: "SET application_name", pg: "SET application_name = 'floe-suite'", benign: true,
			skipPaths: map[string]string{"http-pg": "SET is refused as session state", "flight-pg": "SET is refused as session state", "flight-prep-pg": "SET is refused as session state"},
			altCodes:  []string{"42501", "0A000"}},
	}

	// The table of outcomes: case × path.
	table := map[string]map[string]string{}
	var order []string
	record := func(c advCase, p, outcome string) {
		key := c.class + " / " + c.name
		if table[key] == nil {
			table[key] = map[string]string{}
			order = append(order, key)
		}
		table[key][p] = outcome
	}
	restore := func() {
		if _, err := pg.Exec(ctx, "DELETE FROM items WHERE id >= 100"); err != nil {
			t.Fatal(err)
		}
		if _, err := my.Exec("DELETE FROM items WHERE id >= 100"); err != nil {
			t.Fatal(err)
		}
	}

	for _, c := range cases {
		c := c
		set := attacker
		if c.wide {
			set = wide
		}
		for _, p := range set {
			q := c.pg
			secret := advSecretPG
			if p.dialect == "my" {
				q, secret = c.my, advSecretMy
			}
			if q == "" {
				continue
			}
			t.Run(c.class+"/"+c.name+"/"+p.name, func(t *testing.T) {
				rows, code, err := p.run(q)
				if strings.Contains(fmt.Sprint(rows), secret) || (err != nil && strings.Contains(err.Error(), secret)) {
					t.Errorf("the secret came back: rows %v, err %v", rows, err)
				}
				if c.forbid != "" && strings.Contains(fmt.Sprint(rows), c.forbid) {
					t.Errorf("another tenant's value came back: %v", rows)
				}
				why, cannot := c.skipPaths[p.name]
				dataPath := strings.HasPrefix(p.name, "http") || strings.HasPrefix(p.name, "flight")
				outcome := ""
				switch {
				case cannot:
					if err == nil || !advContains(c.altCodes, code) {
						t.Errorf("%s (%s): got %v %v (code %q), want a refusal with one of %v", p.name, why, rows, err, code, c.altCodes)
					}
					outcome = "n/a: " + why + " (refused " + code + ")"
				case c.benign:
					if err != nil {
						t.Errorf("benign statement refused: %v (code %q)", err, code)
					} else if c.want != "" && (len(rows) == 0 || strings.Join(rows[0], ",") != c.want) {
						t.Errorf("benign statement returned %v, want first row %s", rows, c.want)
					} else if c.want == "" && strings.HasPrefix(q, "SELECT") && len(rows) != 0 && c.class == "row-filter" {
						t.Errorf("returned another tenant's rows: %v", rows)
					}
					outcome = "ok"
					if c.class == "row-filter" {
						outcome = fmt.Sprintf("ok, filtered (%d rows)", len(rows))
					}
				case c.refuse:
					if err == nil {
						t.Errorf("ran: %v, want a refusal with one of %v", rows, c.codes)
					} else if dataPath && advSessionState(code, err) {
						outcome = "refused " + code + " (session-state)"
						break
					} else if !advContains(c.codes, code) && !(dataPath && p.dialect == "my" && advContains(advMyStates(c.codes), code)) {
						t.Errorf("refused with %v (code %q), want one of %v", err, code, c.codes)
					}
					if outcome == "" {
						outcome = "refused " + code
					}
				default:
					if err != nil {
						outcome = "refused " + code
					} else {
						outcome = "ran, harmless"
					}
				}
				landedQ := c.landedPG
				if p.dialect == "my" {
					landedQ = c.landedMy
				}
				if landedQ != "" && !dataPath && err == nil {
					if r, _, err := p.run(landedQ); err != nil || len(r) != 1 || r[0][0] != c.landed {
						t.Errorf("the planted state is not in the attacker's own session (%v %v, want %s): the case proves nothing", r, err, c.landed)
					} else {
						outcome = "ran; state stayed in its session"
					}
				}
				if landedQ != "" && dataPath && err == nil {
					// A data-API request is reset before the next one.
					if r, _, err := p.run(landedQ); err != nil || len(r) != 1 || r[0][0] == c.landed {
						t.Errorf("the next request saw the planted state: %v %v", r, err)
					}
				}
				// The session (or the next request) still works; then it
				// ends, its connection goes back to the pool of one, and
				// the victim runs next on it.
				if r, _, err := p.run("SELECT 1"); err != nil || len(r) != 1 || r[0][0] != "1" {
					t.Errorf("the session no longer works after the case: %v %v", r, err)
				}
				p.end()
				restore()
				if got := state(); got != base {
					t.Errorf("the database changed:\n got %s\nwant %s", got, base)
				}
				if got := victim(); got != victimBase {
					t.Errorf("the victim noticed:\n got %s\nwant %s", got, victimBase)
				}
				record(c, p.name, outcome)
			})
		}
	}
	primeVictim()

	// The table, for the record.
	var names []string
	for _, p := range attacker {
		names = append(names, p.name)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%-60s", "case")
	for _, n := range names {
		fmt.Fprintf(&b, " | %-12s", n)
	}
	b.WriteString("\n")
	for _, k := range order {
		fmt.Fprintf(&b, "%-60s", k)
		for _, n := range names {
			v := table[k][n]
			if v == "" {
				v = "-"
			}
			fmt.Fprintf(&b, " | %-12s", v)
		}
		b.WriteString("\n")
	}
	t.Logf("outcomes:\n%s", b.String())
}

func advContains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// advRelayName is the name the PostgreSQL relay gives the server-side
// statement of a parameterless text.
func advRelayName(query string) string {
	h := sha256.Sum256([]byte(query))
	return "floe_" + hex.EncodeToString(h[:12])
}

// advSessionState: the data APIs refuse statements that would change
// session state (a request has no session), before any other check.
func advSessionState(code string, err error) bool {
	return code == "0A000" && strings.Contains(err.Error(), "would change the state of the connection")
}

// advMyStates are the SQLSTATEs of MySQL error numbers: the data APIs
// report a MariaDB refusal by its SQLSTATE and Floe's own refusals by
// the PostgreSQL SQLSTATE of the same rule.
func advMyStates(codes []string) []string {
	states := map[string][]string{
		"1142": {"42000", "42501"}, "1227": {"42000", "42501"}, "1370": {"42000", "42501"},
		"1235": {"42000", "0A000"}, "1436": {"HY000", "54001"}, "1064": {"42000", "42601"},
	}
	var out []string
	for _, c := range codes {
		out = append(out, states[c]...)
	}
	return out
}
