package e2e

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/floe-db/floe/internal/audit"
)

// sessionConfig: PostgreSQL app and MariaDB shop with a data-API pool of
// ONE connection each, so every request runs on the same backend
// connection; mallory may do nearly anything a statement can (so only the
// data API's own rules stand in the way), admin reads.
func sessionConfig(pgDSN, myDSN string) string {
	return fmt.Sprintf(`databases:
  - {name: app, kind: postgres, primary: %q, pool: {size: 1}}
  - {name: shop, kind: mysql, primary: %q, pool: {size: 1}}
users:
  - {name: mallory, password: mallory-secret, roles: [writer]}
  - {name: admin, password: admin-secret, roles: [reader]}
roles:
  - name: writer
    grants:
      - {database: "*", tables: ["*"], actions: [select, insert, update, delete, ddl]}
      - {database: "*", functions: ["*"], actions: [execute]}
  - name: reader
    grants:
      - {database: "*", tables: ["*"], actions: [select]}
      # admin: the catalogue views the test reads to see what state a
      # connection holds (pg_prepared_statements) need it
      - {database: "*", tables: ["*"], actions: [admin]}
`, pgDSN, myDSN)
}

// sessionGateway starts the gateway over a fresh PostgreSQL and MariaDB
// database, each holding customers(id, name) with two real rows, a
// visit_log table, and a function that changes session state from inside
// (which no reading of the calling statement can see).
func sessionGateway(t *testing.T) (g *gateway, pg *pgx.Conn, my *sql.DB) {
	t.Helper()
	pgDSN := testDB(t)
	myDSN, direct := myTestDB(t)
	ctx := context.Background()
	pgc, err := pgx.Connect(ctx, pgDSN)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pgc.Close(context.Background()) })
	for _, q := range []string{
		"CREATE TABLE customers (id int PRIMARY KEY, name text)",
		"INSERT INTO customers VALUES (1, 'real-one'), (2, 'real-two')",
		"CREATE TABLE visit_log (note text)",
		"CREATE SCHEMA evil",
		"CREATE TABLE evil.customers (id int, name text)",
		"INSERT INTO evil.customers VALUES (1, 'evil-shadow')",
		`CREATE FUNCTION sneaky() RETURNS int LANGUAGE plpgsql AS $$
		 BEGIN
		   PERFORM set_config('search_path', 'evil, public', false);
		   EXECUTE 'CREATE TEMP TABLE customers AS SELECT 1 AS id, ''temp-shadow''::text AS name';
		   RETURN 1;
		 END $$`,
	} {
		if _, err := pgc.Exec(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	for _, q := range []string{
		"CREATE TABLE customers (id int PRIMARY KEY, name varchar(40))",
		"INSERT INTO customers VALUES (1, 'real-one'), (2, 'real-two')",
		"CREATE TABLE visit_log (note varchar(200))",
		`CREATE FUNCTION sneaky() RETURNS int DETERMINISTIC BEGIN SET @planted = 'from-mallory'; RETURN 1; END`,
	} {
		if _, err := direct.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	return start(t, sessionConfig(pgDSN, myDSN)), pgc, direct
}

// one runs a query over HTTP and returns its rows as text.
func one(t *testing.T, g *gateway, user, pw, db, sql string) (int, [][]string, httpAnswer) {
	t.Helper()
	a := g.post(t, user, pw, "/v1/query?format=csv", queryBody(db, sql))
	if a.status != 200 {
		return a.status, nil, a
	}
	_, rows := rowsOf(t, "csv", a.body)
	return a.status, rows, a
}

// A browser sends text/plain, form and multipart bodies across sites
// without a preflight, with the user's stored Basic credentials: none of
// them runs. The INSERT in the refused bodies must not have happened.
func TestHTTPOnlyJSONBodiesRun(t *testing.T) {
	g, pgc, direct := sessionGateway(t)
	for _, db := range []string{"app", "shop"} {
		for _, ct := range []string{"", "text/plain", "text/plain; charset=utf-8", "application/x-www-form-urlencoded",
			"multipart/form-data; boundary=xyz", "application/json; charset=utf-16", "text/json"} {
			t.Run(db+"/"+ct, func(t *testing.T) {
				body := queryBody(db, "INSERT INTO visit_log (note) VALUES ('csrf "+ct+"')")
				req, _ := http.NewRequest("POST", "http://"+g.http+"/v1/query", strings.NewReader(body))
				req.SetBasicAuth("mallory", "mallory-secret")
				if ct != "" {
					req.Header.Set("Content-Type", ct)
				}
				a := do(t, req)
				if a.status != 415 {
					t.Fatalf("status %d %s, want 415", a.status, a.body)
				}
				if code, _, msg := errorOf(t, a); code != "bad_request" || !strings.Contains(msg, "application/json") {
					t.Fatalf("error %q %q", code, msg)
				}
			})
		}
	}
	var n int
	if err := pgc.QueryRow(context.Background(), "SELECT count(*) FROM visit_log").Scan(&n); err != nil || n != 0 {
		t.Fatalf("PostgreSQL visit_log has %d rows (%v): a refused body ran", n, err)
	}
	if err := direct.QueryRow("SELECT count(*) FROM visit_log").Scan(&n); err != nil || n != 0 {
		t.Fatalf("MariaDB visit_log has %d rows (%v): a refused body ran", n, err)
	}
	// JSON, with or without a charset, runs.
	for _, db := range []string{"app", "shop"} {
		for _, ct := range []string{"application/json", "application/json; charset=utf-8", "application/json;charset=UTF-8"} {
			a := g.post(t, "mallory", "mallory-secret", "/v1/query", queryBody(db, "INSERT INTO visit_log (note) VALUES ('ok')"), "Content-Type", ct)
			if a.status != 200 {
				t.Fatalf("%s %q: %d %s", db, ct, a.status, a.body)
			}
		}
	}
	if err := pgc.QueryRow(context.Background(), "SELECT count(*) FROM visit_log").Scan(&n); err != nil || n != 3 {
		t.Fatalf("PostgreSQL visit_log has %d rows (%v), want 3", n, err)
	}
	if err := direct.QueryRow("SELECT count(*) FROM visit_log").Scan(&n); err != nil || n != 3 {
		t.Fatalf("MariaDB visit_log has %d rows (%v), want 3", n, err)
	}
}

// A token obtains no new token: only a password (or an OpenID Connect
// token) does, so a stolen token dies at its expiry.
func TestHTTPBearerCannotMintTokens(t *testing.T) {
	g, _, _ := sessionGateway(t)
	a := g.post(t, "admin", "admin-secret", "/v1/token", "")
	var tok struct{ Token string }
	if a.status != 200 || json.Unmarshal(a.body, &tok) != nil || tok.Token == "" {
		t.Fatalf("token from password: %d %s", a.status, a.body)
	}
	a = g.post(t, "", "", "/v1/token", "", "Authorization", "Bearer "+tok.Token)
	if a.status != 403 || strings.Contains(string(a.body), "floe.") {
		t.Fatalf("token from token: %d %s, want 403 and no token", a.status, a.body)
	}
	if code, _, _ := errorOf(t, a); code != "forbidden" {
		t.Fatalf("token from token: code %q", code)
	}
	// Lower-case scheme, extra spaces: the same.
	a = g.post(t, "", "", "/v1/token", "", "Authorization", "bearer   "+tok.Token)
	if a.status != 403 {
		t.Fatalf("token from token (bearer): %d %s", a.status, a.body)
	}
	// The token itself still works for queries until it expires.
	a = g.post(t, "", "", "/v1/query?format=csv", queryBody("app", "SELECT count(*) AS n FROM customers"), "Authorization", "Bearer "+tok.Token)
	if _, rows := rowsOf(t, "csv", a.body); a.status != 200 || fmt.Sprint(rows) != "[[2]]" {
		t.Fatalf("query with token: %d %s", a.status, a.body)
	}
}

// Nothing one user leaves on a pooled data-API connection reaches the
// next user: session statements are refused, and what a function does
// to the session from inside is reset before the connection is reused.
// The pool has one connection, so every request shares it (checked by
// the backend's connection id).
func TestDataAPISessionStateDoesNotCross(t *testing.T) {
	g, _, direct := sessionGateway(t)
	var defaultMode string
	if err := direct.QueryRow("SELECT @@GLOBAL.sql_mode").Scan(&defaultMode); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		db, pid string
		refused []string
		sneaky  string
		checks  []struct{ sql, want string }
	}{
		{
			db: "app", pid: "SELECT pg_backend_pid()",
			refused: []string{
				"SET search_path = evil, public",
				"set session search_path to evil",
				"SELECT set_config('search_path', 'evil, public', false)",
				"SELECT pg_catalog.set_config('search_path', 'evil, public', false)",
				"CREATE TEMP TABLE customers AS SELECT 1 AS id, 'temp-shadow'::text AS name",
				"CREATE TABLE pg_temp.customers AS SELECT 1 AS id, 'temp-shadow'::text AS name",
				"CREATE TEMP VIEW customers AS SELECT 1 AS id, 'temp-shadow'::text AS name",
				"SELECT 1 AS id, 'temp-shadow'::text AS name INTO TEMP customers",
				"PREPARE p AS SELECT 1",
				"SET ROLE postgres",
				"SELECT pg_advisory_lock(42)",
				"LISTEN ch",
				"BEGIN",
				"SELECT 1; SET search_path = evil",
			},
			sneaky: "SELECT sneaky()",
			checks: []struct{ sql, want string }{
				{"SELECT current_setting('search_path')", `[["$user", public]]`},
				{"SELECT name FROM customers ORDER BY id", "[[real-one] [real-two]]"},
				{"SELECT count(*) FROM pg_prepared_statements WHERE name <> 'floe_arrow'", "[[0]]"},
				{"SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'", "[[0]]"},
				{"SELECT count(*) FROM pg_listening_channels()", "[[0]]"},
			},
		},
		{
			db: "shop", pid: "SELECT CONNECTION_ID()",
			refused: []string{
				"SET sql_mode = 'NO_BACKSLASH_ESCAPES,ANSI_QUOTES'",
				"SET @@session.sql_mode = 'ANSI'",
				"SET SESSION sql_mode = 'ANSI'",
				"/*!40101 SET sql_mode = 'ANSI' */",
				"SET @planted = 'x'",
				"SELECT @planted := 'x'",
				"SELECT 'x' INTO @planted",
				"SELECT 1 /*M! , @planted := 'x' */",
				"CREATE TEMPORARY TABLE customers (id int, name varchar(40))",
				"PREPARE s FROM 'SELECT 1'",
				"USE mysql",
				"SET NAMES gbk",
				"SELECT GET_LOCK('held', 0)",
				"LOCK TABLES customers READ",
			},
			sneaky: "SELECT sneaky()",
			checks: []struct{ sql, want string }{
				{"SELECT @@SESSION.sql_mode", "[[" + defaultMode + "]]"},
				{"SELECT @planted IS NULL", "[[1]]"},
				{"SELECT name FROM customers ORDER BY id", "[[real-one] [real-two]]"},
				{"SELECT DATABASE() = (SELECT table_schema FROM information_schema.tables WHERE table_name = 'visit_log' LIMIT 1)", "[[1]]"},
				{"SELECT COALESCE(IS_USED_LOCK('held'), 0)", "[[0]]"},
				{"SELECT @@character_set_client <> 'gbk'", "[[1]]"},
			},
		},
	}
	for _, tc := range cases {
		t.Run(tc.db, func(t *testing.T) {
			_, pid, _ := one(t, g, "admin", "admin-secret", tc.db, tc.pid)
			for _, q := range tc.refused {
				a := g.post(t, "mallory", "mallory-secret", "/v1/query", queryBody(tc.db, q))
				if a.status != 403 || !strings.Contains(string(a.body), "dataapi.session-state") {
					t.Errorf("%q: %d %s, want 403 dataapi.session-state", q, a.status, a.body)
				}
			}
			// Not visible in the text: the function changes the session
			// from inside; the reset on release undoes it.
			if st, rows, a := one(t, g, "mallory", "mallory-secret", tc.db, tc.sneaky); st != 200 || fmt.Sprint(rows) != "[[1]]" {
				t.Fatalf("%s: %d %s", tc.sneaky, st, a.body)
			}
			for _, c := range tc.checks {
				st, rows, a := one(t, g, "admin", "admin-secret", tc.db, c.sql)
				if st != 200 || fmt.Sprint(rows) != c.want {
					t.Errorf("admin %s: %d %v %s, want %s", c.sql, st, rows, a.body, c.want)
				}
			}
			if _, again, _ := one(t, g, "admin", "admin-secret", tc.db, tc.pid); fmt.Sprint(again) != fmt.Sprint(pid) {
				t.Fatalf("the requests did not share one backend connection (%v, then %v): the test proves nothing", pid, again)
			}
		})
	}
}

// Through the real gateway: the audit log is keyed and checkpointed, a
// refused session statement is recorded as denied with the text as
// received (literals masked), and the log verifies after shutdown with
// the key and the checkpoints — and not once its last record is cut.
func TestAuditKeyedThroughGateway(t *testing.T) {
	pgDSN := testDB(t)
	myDSN, _ := myTestDB(t)
	dir := t.TempDir()
	keyFile, logPath, ckPath := dir+"/audit.key", dir+"/audit.jsonl", dir+"/audit.ckpt"
	key := "e2e-audit-key-0123456789abcdef-0123456789"
	if err := os.WriteFile(keyFile, []byte(key+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	g := start(t, sessionConfig(pgDSN, myDSN)+fmt.Sprintf("audit: {file: %q, key: '${file:%s}', checkpoints: %q, checkpoint_every: 2, on_full: block}\n", logPath, keyFile, ckPath))
	a := g.post(t, "mallory", "mallory-secret", "/v1/query", queryBody("app", "SET search_path = 'secret-schema-name'"))
	if a.status != 403 {
		t.Fatalf("SET: %d %s", a.status, a.body)
	}
	if st, _, a := one(t, g, "admin", "admin-secret", "app", "SELECT 1"); st != 200 {
		t.Fatalf("SELECT: %d %s", st, a.body)
	}
	g.stop(t)
	data, _ := os.ReadFile(logPath)
	var found bool
	for _, l := range strings.Split(string(data), "\n") {
		if strings.Contains(l, `"rule":"dataapi.session-state"`) {
			found = true
			if !strings.Contains(l, `"decision":"denied"`) || !strings.Contains(l, `"sql":"SET search_path = ?"`) || strings.Contains(l, "secret-schema-name") {
				t.Errorf("refusal record: %s", l)
			}
		}
		if strings.Contains(l, `"hash":`) {
			t.Errorf("unkeyed record in a keyed log: %s", l)
		}
	}
	if !found {
		t.Fatalf("no audit record of the refusal:\n%s", data)
	}
	rep, err := audit.VerifyWith(audit.VerifyOptions{Key: []byte(key), Checkpoints: ckPath}, logPath)
	if err != nil || rep.Records < 3 || !rep.Keyed {
		t.Fatalf("verify: %+v %v", rep, err)
	}
	lines := strings.SplitAfter(strings.TrimRight(string(data), "\n"), "\n")
	if err := os.WriteFile(logPath, []byte(strings.Join(lines[:len(lines)-1], "")), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := audit.VerifyWith(audit.VerifyOptions{Key: []byte(key), Checkpoints: ckPath}, logPath); err == nil {
		t.Fatal("a log cut at its end verified")
	}
}
