package cli

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/floe-db/floe/internal/audit"
	"github.com/floe-db/floe/internal/authn"
)

func run(t *testing.T, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb strings.Builder
	code = Main(context.Background(), args, strings.NewReader(stdin), &out, &errb)
	return code, out.String(), errb.String()
}

func TestPasswd(t *testing.T) {
	code, out, _ := run(t, "s3cret\n", "passwd")
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	v := strings.TrimSpace(out)
	if _, err := authn.ParseVerifier(v); err != nil {
		t.Fatalf("output %q is not a verifier: %v", v, err)
	}
	if strings.Contains(out, "s3cret") {
		t.Fatal("password echoed")
	}
	// The verifier authenticates the password through a user store.
	store, err := authn.NewStore([]authn.Spec{{Name: "u", Verifier: v}})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := store.Lookup("u"); !ok {
		t.Fatal("user missing")
	}
	if code, _, _ := run(t, "\n", "passwd"); code == 0 {
		t.Fatal("empty password accepted")
	}
}

func TestConfigCheck(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.yaml")
	bad := filepath.Join(dir, "bad.yaml")
	_ = os.WriteFile(good, []byte("databases: [{name: a, kind: sqlite, path: x.db}]\nusers: [{name: u, password: p}]\n"), 0o600)
	_ = os.WriteFile(bad, []byte("databases:\n  - name: a\n    kind: sqlite\n    path: x.db\n    pool: {mode: often}\nusers: [{name: u, password: p}]\n"), 0o600)
	if code, out, _ := run(t, "", "config", "check", "--config", good); code != 0 || !strings.Contains(out, "ok (1 databases, 1 users)") {
		t.Fatalf("good config: %d %q", code, out)
	}
	code, _, errOut := run(t, "", "config", "check", "--config", bad)
	if code == 0 || !strings.Contains(errOut, "bad.yaml:5: databases[0].pool.mode") {
		t.Fatalf("bad config: %d %q", code, errOut)
	}
}

func TestAuditVerify(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.jsonl")
	w, err := audit.Open(path, audit.Options{Block: true})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		w.Log(audit.Event{Type: "statement", Fields: map[string]any{"n": i}})
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if code, out, errOut := run(t, "", "audit", "verify", path); code != 0 || !strings.Contains(out, "3 records") {
		t.Fatalf("intact log: exit %d, %q %q", code, out, errOut)
	}
	data, _ := os.ReadFile(path)
	if err := os.WriteFile(path, []byte(strings.Replace(string(data), `"n":1`, `"n":5`, 1)), 0o600); err != nil {
		t.Fatal(err)
	}
	code, _, errOut := run(t, "", "audit", "verify", path)
	if code == 0 || !strings.Contains(errOut, path+":2: record 2") {
		t.Fatalf("tampered log: exit %d, %q", code, errOut)
	}
}

func TestQueryConfigSQLite(t *testing.T) {
	dir := t.TempDir()
	dbPath := filepath.Join(dir, "l.db")
	db, err := sql.Open("sqlite", dbPath)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec("CREATE TABLE t (id INTEGER, name TEXT); INSERT INTO t VALUES (1, 'a,b'), (2, NULL)"); err != nil {
		t.Fatal(err)
	}
	db.Close()
	cfg := filepath.Join(dir, "floe.yaml")
	if err := os.WriteFile(cfg, []byte("databases:\n  - {name: l, kind: sqlite, path: "+dbPath+"}\nusers: [{name: u, password: p}]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, errs := run(t, "", "query", "--config", cfg, "SELECT id, name FROM t ORDER BY id")
	if code != 0 || out != "id,name\n1,\"a,b\"\n2,\n" {
		t.Fatalf("csv: exit %d, out %q, err %q", code, out, errs)
	}
	code, out, _ = run(t, "", "query", "--config", cfg, "--db", "l", "--format", "table", "SELECT id, name FROM t ORDER BY id")
	if code != 0 || out != "id | name\n-- | ----\n1  | a,b\n2  | \n(2 rows)\n" {
		t.Fatalf("table: exit %d, out %q", code, out)
	}
	pq := filepath.Join(dir, "out.parquet")
	if code, _, errs = run(t, "", "query", "--config", cfg, "--format", "parquet", "--out", pq, "SELECT * FROM t"); code != 0 {
		t.Fatalf("parquet: %s", errs)
	}
	if b, err := os.ReadFile(pq); err != nil || !strings.HasPrefix(string(b), "PAR1") || !strings.HasSuffix(string(b), "PAR1") {
		t.Fatalf("parquet file: %v", err)
	}
	// The engine's translation and functions, as a session has them:
	// PostgreSQL's LIKE (case-sensitive, floe_like), regular expressions,
	// casts, generate_series, arrays, the string functions.
	for _, c := range []struct{ q, want string }{
		{"SELECT count(*) AS n FROM t WHERE name LIKE 'A%'", "n\n0\n"},
		{"SELECT id FROM t WHERE name ~ '^a,' AND '7'::int = 7", "id\n1\n"},
		{"SELECT g, lpad(g::text, 3, '0') AS p FROM generate_series(1, 2) g", "g,p\n1,001\n2,002\n"},
		{"SELECT id FROM t WHERE id = ANY('{2,3}'::int[])", "id\n2\n"},
		{"SELECT split_part(name, ',', 2) AS s FROM t WHERE id = 1", "s\nb\n"},
	} {
		if code, out, errs := run(t, "", "query", "--config", cfg, c.q); code != 0 || out != c.want {
			t.Errorf("%s: exit %d, out %q, err %q; want %q", c.q, code, out, errs, c.want)
		}
	}
	// Read only: a write is refused and changes nothing.
	if code, _, _ := run(t, "", "query", "--config", cfg, "DELETE FROM t RETURNING id"); code == 0 {
		t.Errorf("a DELETE ran on the read-only database")
	}
	if code, out, _ := run(t, "", "query", "--config", cfg, "SELECT count(*) AS n FROM t"); code != 0 || out != "n\n2\n" {
		t.Errorf("after the refused DELETE: %q", out)
	}
	if code, _, errs = run(t, "", "query", "--config", cfg, "SELECT nope FROM t"); code == 0 || !strings.Contains(errs, "no such column") {
		t.Fatalf("error: exit %d %q", code, errs)
	}
	if code, _, errs = run(t, "", "query", "--config", cfg, "--db", "x", "SELECT 1"); code == 0 || !strings.Contains(errs, `no database "x"`) {
		t.Fatalf("unknown db: exit %d %q", code, errs)
	}
	if code, _, errs = run(t, "", "query", "--config", cfg, "--format", "xml", "SELECT 1"); code == 0 || !strings.Contains(errs, "unknown format") {
		t.Fatalf("unknown format: exit %d %q", code, errs)
	}
}

func TestQueryPartitioned(t *testing.T) {
	dir := t.TempDir()
	dbPath := filepath.Join(dir, "l.db")
	db, err := sql.Open("sqlite", dbPath)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec("CREATE TABLE t (id INTEGER); WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < 1000) INSERT INTO t SELECT n FROM s"); err != nil {
		t.Fatal(err)
	}
	db.Close()
	cfg := filepath.Join(dir, "floe.yaml")
	if err := os.WriteFile(cfg, []byte("databases:\n  - {name: l, kind: sqlite, path: "+dbPath+"}\nusers: [{name: u, password: p}]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, errs := run(t, "", "query", "--config", cfg, "--format", "ndjson", "--partition-column", "id", "--partitions", "3", "SELECT id FROM t")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	seen := map[string]bool{}
	for _, l := range lines {
		seen[l] = true
	}
	if len(lines) != 1000 || len(seen) != 1000 || !seen[`{"id":1}`] || !seen[`{"id":1000}`] {
		t.Fatalf("%d lines, %d distinct", len(lines), len(seen))
	}
}

func TestConfigScan(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	good := filepath.Join(dir, "good.yaml")
	os.WriteFile(bad, []byte("users:\n  - {name: a, password: hunter2}\n"), 0o600)
	os.WriteFile(good, []byte("users:\n  - {name: a, password: \"${env:A_PW}\"}\n"), 0o600)
	var out, errOut strings.Builder
	if code := Main(context.Background(), []string{"config", "scan", good, bad}, strings.NewReader(""), &out, &errOut); code != 1 {
		t.Fatalf("exit %d for a file with a secret", code)
	}
	if !strings.Contains(out.String(), bad+":2: users[0].password: plaintext secret") || strings.Contains(out.String(), "hunter2") || !strings.Contains(errOut.String(), "1 plaintext secret") {
		t.Errorf("out %q err %q", out.String(), errOut.String())
	}
	out.Reset()
	if code := Main(context.Background(), []string{"config", "scan", good}, strings.NewReader(""), &out, &errOut); code != 0 || !strings.Contains(out.String(), "no plaintext secrets") {
		t.Errorf("clean file: %d %q", code, out.String())
	}
}

func TestProvisionAndIdentityNotes(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "floe.yaml")
	// The DSN points nowhere: nothing here connects.
	cfg := "databases:\n  - {name: app, kind: postgres, primary: 'postgres://owner@127.0.0.1:1/app'}\n  - {name: lite, kind: sqlite, path: " + filepath.Join(dir, "x.db") + "}\nusers: [{name: u, password: p}]\n"
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := run(t, "", "config", "check", "--config", path)
	if code != 0 || !strings.Contains(out, "note: database app has no identities") || strings.Contains(out, "database lite") {
		t.Fatalf("config check: %d %q %q", code, out, errOut)
	}
	code, out, errOut = run(t, "", "provision", "--config", path)
	if code != 0 || !strings.Contains(out, "nothing to provision") {
		t.Fatalf("provision without identities: %d %q %q", code, out, errOut)
	}
	code, _, errOut = run(t, "", "provision", "--config", path, "--database", "app")
	if code == 0 || !strings.Contains(errOut, "no identities") {
		t.Fatalf("provision of a database without identities: %d %q", code, errOut)
	}
}

// TestConfigCheckStartup: config check runs the checks serve makes at
// start-up of what the file names (TLS files, verifiers, row filters,
// the allow-list, where files are written) and names file:line: key.
func TestConfigCheckStartup(t *testing.T) {
	dir := t.TempDir()
	junk := filepath.Join(dir, "junk.json")
	if err := os.WriteFile(junk, []byte("not json"), 0o600); err != nil {
		t.Fatal(err)
	}
	head := "databases: [{name: a, kind: sqlite, path: " + filepath.Join(dir, "a.db") + "}]\nusers: [{name: u, password: p}]\n"
	cases := []struct{ name, src, want string }{
		{"good", "", ""},
		{"tls cert missing", "tls: {cert: " + dir + "/none.crt, key: " + dir + "/none.key}\n", "c.yaml:3: tls.cert: " + dir + "/none.crt: no such file or directory"},
		{"row filter", "roles:\n  - name: r\n    row_filters: [{database: a, table: t, where: 'tenant = = 1'}]\n", "c.yaml:5: roles[0].row_filters[0].where: "},
		{"allow-list not a list", "firewall: {mode: learn, allowlist: " + junk + "}\n", "c.yaml:3: firewall.allowlist: " + junk + " is not an allow-list"},
		{"audit directory missing", "audit: {file: " + dir + "/no/such/audit.log}\n", "c.yaml:3: audit.file: directory " + dir + "/no/such: no such file or directory"},
		{"sqlite directory missing", "databases: [{name: b, kind: sqlite, path: " + dir + "/nope/b.db}]\nusers: [{name: u, password: p}]\n", "c.yaml:1: databases[0].path: directory " + dir + "/nope"},
		{"same port twice", "listen: {postgres: 127.0.0.1:7000, admin: 127.0.0.1:7000}\n", "c.yaml:3: listen.admin: port 7000 is also listen.postgres's"},
		{"postgres DSN option", "databases: [{name: p, kind: postgres, primary: 'postgres://u:pw-secret-3@127.0.0.1:5432/d?sslmode=bogus'}]\nusers: [{name: u, password: p}]\n", "c.yaml:1: databases[0].primary: invalid connection string: sslmode is invalid"},
		{"mysql DSN option", "databases:\n  - {name: m, kind: mysql, primary: 'mysql://u@127.0.0.1:3306/d', replicas: ['mysql://u@127.0.0.1:3307/d?tls=maybe']}\nusers: [{name: u, password: p}]\n", "c.yaml:2: databases[0].replicas[0]: tls=\"maybe\": want true, skip-verify or false"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			src := head + c.src
			if strings.HasPrefix(c.src, "databases:") {
				src = c.src
			}
			path := filepath.Join(dir, "c.yaml")
			if err := os.WriteFile(path, []byte(src), 0o600); err != nil {
				t.Fatal(err)
			}
			code, out, errOut := run(t, "", "config", "check", "--config", path)
			if c.want == "" {
				if code != 0 || !strings.Contains(out, ": ok") {
					t.Fatalf("exit %d, out %q, err %q", code, out, errOut)
				}
				return
			}
			if code == 0 || !strings.Contains(errOut, c.want) || strings.Contains(errOut, "pw-secret") {
				t.Fatalf("exit %d, err %q, want %q", code, errOut, c.want)
			}
		})
	}
}

// TestQueryNeedsOnlyItsSecrets: floe query --config reads the
// references of the database it runs on, not those of other databases,
// users or admin tokens.
func TestQueryNeedsOnlyItsSecrets(t *testing.T) {
	if testing.Short() {
		t.Skip("needs PostgreSQL on 127.0.0.1:5432")
	}
	dir := t.TempDir()
	dbPath := filepath.Join(dir, "l.db")
	db, err := sql.Open("sqlite", dbPath)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec("CREATE TABLE t (id INTEGER); INSERT INTO t VALUES (7)"); err != nil {
		t.Fatal(err)
	}
	db.Close()
	cfg := filepath.Join(dir, "floe.yaml")
	src := `databases:
  - {name: l, kind: sqlite, path: ` + dbPath + `}
  - {name: pg, kind: postgres, primary: "postgres://postgres:${env:FLOE_QTEST_PG_PW}@127.0.0.1:5432/test?sslmode=disable"}
users:
  - {name: u, password: "${env:FLOE_QTEST_USER_PW}"}
admin:
  tokens: [{name: ops, token: "${file:` + dir + `/no-such-token}", scopes: [admin]}]
`
	if err := os.WriteFile(cfg, []byte(src), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, errs := run(t, "", "query", "--config", cfg, "--db", "l", "SELECT id FROM t")
	if code != 0 || out != "id\n7\n" {
		t.Fatalf("sqlite: exit %d, out %q, err %q", code, out, errs)
	}
	// The PostgreSQL database needs its own variable, and only it.
	code, _, errs = run(t, "", "query", "--config", cfg, "--db", "pg", "SELECT 1")
	if code == 0 || !strings.Contains(errs, "FLOE_QTEST_PG_PW") || strings.Contains(errs, "FLOE_QTEST_USER_PW") {
		t.Fatalf("pg without its variable: exit %d, err %q", code, errs)
	}
	t.Setenv("FLOE_QTEST_PG_PW", "unused-with-trust")
	code, out, errs = run(t, "", "query", "--config", cfg, "--db", "pg", "SELECT 40 + 2 AS n")
	if code != 0 || out != "n\n42\n" {
		t.Fatalf("pg: exit %d, out %q, err %q", code, out, errs)
	}
	// Serving needs every reference: config check still names them.
	code, _, errs = run(t, "", "config", "check", "--config", cfg)
	if code == 0 || !strings.Contains(errs, "FLOE_QTEST_USER_PW") || !strings.Contains(errs, "no-such-token") {
		t.Fatalf("config check: exit %d, err %q", code, errs)
	}
}
