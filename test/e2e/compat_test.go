package e2e

import (
	"bufio"
	"context"
	"database/sql"
	"flag"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/floe-db/floe/internal/backend/sqlite"
)

// TestDriverCompat runs real client libraries (test/compat: PgJDBC,
// MariaDB Connector/J, psycopg2, PyMySQL, SQLAlchemy, node pg and mysql2;
// pgx and go-sql-driver in Go) against one gateway with three databases:
// an embedded SQLite database seeded like the demo, the real PostgreSQL
// and the real MariaDB. Every client runs against each database its
// protocol reaches. Through the relays every step must pass (that
// validates the scripts); on the embedded engine the results are compared
// with test/compat/testdata/expected.txt: a step expected ok that fails
// fails the test, a step that newly passes is logged so the file can be
// tightened (-compat.update rewrites it). -compat.report writes the
// matrix (docs/compatibility.md, `make compat`).

var (
	compatReport = flag.String("compat.report", "", "write the driver compatibility matrix (Markdown) to this file")
	compatUpdate = flag.Bool("compat.update", false, "rewrite test/compat/testdata/expected.txt from this run")
)

const compatExpected = "../compat/testdata/expected.txt"

// compatEnv is where a client connects and the table it creates.
type compatEnv struct {
	host, port, user, password, db, table string
}

func (e compatEnv) environ() []string {
	return append(os.Environ(), "FLOE_HOST="+e.host, "FLOE_PORT="+e.port, "FLOE_USER="+e.user,
		"FLOE_PASSWORD="+e.password, "FLOE_DB="+e.db, "COMPAT_TABLE="+e.table)
}

// compatClient is one client library and the steps it runs.
type compatClient struct {
	name  string // as in the expectation file and the matrix
	label string // as the matrix shows it
	mysql bool   // speaks the MySQL protocol (else PostgreSQL)
	steps []string
	// run returns the client's output, or an error when the client could
	// not run (a library that is not installed names what to install).
	run func(t *testing.T, ctx context.Context, e compatEnv) (string, error)
}

// compatTarget is one database of the gateway.
type compatTarget struct {
	kind, db string // kind: sqlite, postgres or mariadb
}

var (
	compatCommon = []string{"connect", "version", "create_table", "insert_params", "select_int", "select_text", "select_bool",
		"select_numeric", "select_timestamp", "select_null", "result_types", "tx_commit", "tx_rollback", "missing_table"}
	compatJDBC       = append(slices.Clone(compatCommon), "meta_tables", "meta_columns", "meta_primary_keys", "meta_index_info")
	compatSQLAlchemy = append(slices.Clone(compatCommon), "inspect_table_names", "inspect_columns", "inspect_pk", "inspect_indexes", "has_table", "orm_session")
)

const (
	compatPython   = "/usr/bin/python3" // Debian's: its modules are the ones scripts/compat-deps.sh installs
	compatPgJar    = "/usr/share/java/postgresql.jar"
	compatMariaJar = "/usr/share/java/mariadb-java-client.jar"
	compatInstall  = "run scripts/compat-deps.sh as root (or: apt-get install default-jdk-headless libpostgresql-jdbc-java libmariadb-java python3-psycopg2 python3-pymysql python3-sqlalchemy nodejs npm; cd test/compat/node && npm ci)"
)

func compatClients(t *testing.T) []compatClient {
	javaDir := t.TempDir()
	var javaErr error
	javaBuilt := false
	java := func(flavour string) func(*testing.T, context.Context, compatEnv) (string, error) {
		return func(t *testing.T, ctx context.Context, e compatEnv) (string, error) {
			if !javaBuilt {
				javaBuilt = true
				javaErr = compileCompatJava(javaDir)
			}
			if javaErr != nil {
				return "", javaErr
			}
			cp := javaDir + ":" + compatPgJar + ":" + compatMariaJar
			return compatCommand(ctx, e, "java", "-Xshare:auto", "-XX:TieredStopAtLevel=1", "-cp", cp, "Compat", flavour)
		}
	}
	python := func(script string, args ...string) func(*testing.T, context.Context, compatEnv) (string, error) {
		return func(t *testing.T, ctx context.Context, e compatEnv) (string, error) {
			if _, err := os.Stat(compatPython); err != nil {
				return "", fmt.Errorf("%s is missing: %s", compatPython, compatInstall)
			}
			return compatCommand(ctx, e, compatPython, append([]string{filepath.Join("..", "compat", "python", script)}, args...)...)
		}
	}
	node := func(script string) func(*testing.T, context.Context, compatEnv) (string, error) {
		return func(t *testing.T, ctx context.Context, e compatEnv) (string, error) {
			if _, err := exec.LookPath("node"); err != nil {
				return "", fmt.Errorf("node is missing: %s", compatInstall)
			}
			if _, err := os.Stat(filepath.Join("..", "compat", "node", "node_modules")); err != nil {
				return "", fmt.Errorf("test/compat/node/node_modules is missing: %s", compatInstall)
			}
			return compatCommand(ctx, e, "node", filepath.Join("..", "compat", "node", script))
		}
	}
	inGo := func(f func(context.Context, compatEnv) string) func(*testing.T, context.Context, compatEnv) (string, error) {
		return func(t *testing.T, ctx context.Context, e compatEnv) (string, error) { return f(ctx, e), nil }
	}
	return []compatClient{
		{"pgjdbc", "PgJDBC", false, compatJDBC, java("postgresql")},
		{"psycopg2", "psycopg2", false, compatCommon, python("psycopg2_client.py")},
		{"sqlalchemy-pg", "SQLAlchemy (psycopg2)", false, compatSQLAlchemy, python("sqlalchemy_client.py", "postgresql")},
		{"node-pg", "node pg", false, compatCommon, node("pg_client.js")},
		{"pgx", "pgx", false, compatCommon, inGo(runPgxClient)},
		{"mariadb-jdbc", "MariaDB Connector/J", true, compatJDBC, java("mariadb")},
		{"pymysql", "PyMySQL", true, compatCommon, python("pymysql_client.py")},
		{"sqlalchemy-mysql", "SQLAlchemy (PyMySQL)", true, compatSQLAlchemy, python("sqlalchemy_client.py", "mysql")},
		{"node-mysql2", "node mysql2", true, compatCommon, node("mysql2_client.js")},
		{"go-mysql", "go-sql-driver/mysql", true, compatCommon, inGo(runGoMySQLClient)},
	}
}

// compileCompatJava compiles test/compat/java into dir, once per run.
func compileCompatJava(dir string) error {
	for _, f := range []string{compatPgJar, compatMariaJar} {
		if _, err := os.Stat(f); err != nil {
			return fmt.Errorf("%s is missing: %s", f, compatInstall)
		}
	}
	if _, err := exec.LookPath("javac"); err != nil {
		return fmt.Errorf("javac is missing: %s", compatInstall)
	}
	out, err := exec.Command("javac", "-d", dir, filepath.Join("..", "compat", "java", "Compat.java")).CombinedOutput()
	if err != nil {
		return fmt.Errorf("javac: %v\n%s", err, out)
	}
	return nil
}

// compatCommand runs a client script and returns what it printed.
func compatCommand(ctx context.Context, e compatEnv, name string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = e.environ()
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return string(out), fmt.Errorf("%s: %v: %s (if a client library is missing: %s)", name, err, strings.TrimSpace(stderr.String()), compatInstall)
	}
	return string(out), nil
}

// compatResult is one step's outcome: ok, or the error.
type compatResult struct {
	ok  bool
	err string
}

// parseCompat reads a client's lines; the "driver" line names the library
// version.
func parseCompat(out string) (map[string]compatResult, string) {
	res := map[string]compatResult{}
	driver := ""
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "ok "):
			res[strings.TrimPrefix(line, "ok ")] = compatResult{ok: true}
		case strings.HasPrefix(line, "fail "):
			name, msg, _ := strings.Cut(strings.TrimPrefix(line, "fail "), ": ")
			res[name] = compatResult{err: msg}
		case strings.HasPrefix(line, "driver "):
			driver = strings.TrimPrefix(line, "driver ")
		}
	}
	return res, driver
}

// readCompatExpected reads "<client> <step> ok|fail" lines.
func readCompatExpected(t *testing.T) map[string]bool {
	t.Helper()
	b, err := os.ReadFile(compatExpected)
	if err != nil {
		if *compatUpdate {
			return map[string]bool{}
		}
		t.Fatal(err)
	}
	exp := map[string]bool{}
	for i, line := range strings.Split(string(b), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Fields(line)
		if len(f) != 3 || (f[2] != "ok" && f[2] != "fail") {
			t.Fatalf("%s:%d: want <client> <step> ok|fail, got %q", compatExpected, i+1, line)
		}
		exp[f[0]+" "+f[1]] = f[2] == "ok"
	}
	return exp
}

func TestDriverCompat(t *testing.T) {
	ctx := context.Background()
	litePath := filepath.Join(t.TempDir(), "lite.db")
	lite, err := sql.Open("sqlite", litePath)
	if err != nil {
		t.Fatal(err)
	}
	if err := sqlite.SeedDemo(ctx, lite); err != nil {
		t.Fatal(err)
	}
	lite.Close()
	pgDSN := testDB(t)
	myDSN, _ := myTestDB(t)
	g := start(t, fmt.Sprintf(`databases:
  - name: lite
    kind: sqlite
    path: %s
  - name: pgdb
    kind: postgres
    primary: %s
  - name: mydb
    kind: mysql
    primary: %s
users:
  - name: alice
    password: alice-secret
`, litePath, pgDSN, myDSN))

	clients := compatClients(t)
	targets := map[bool][]compatTarget{
		false: {{"sqlite", "lite"}, {"postgres", "pgdb"}},
		true:  {{"sqlite", "lite"}, {"mariadb", "mydb"}},
	}
	expected := readCompatExpected(t)
	results := map[string]map[string]compatResult{} // client/kind → step → result
	drivers := map[string]string{}
	var newly []string // "<client> <step>" that pass on the embedded engine, expected to fail
	for _, c := range clients {
		for _, tg := range targets[c.mysql] {
			t.Run(c.name+"/"+tg.kind, func(t *testing.T) {
				addr := g.pg
				if c.mysql {
					addr = g.my
				}
				host, port, _ := net.SplitHostPort(addr)
				e := compatEnv{host: host, port: port, user: "alice", password: "alice-secret", db: tg.db,
					table: "compat_" + strings.ReplaceAll(c.name, "-", "_")}
				rctx, cancel := context.WithTimeout(ctx, 90*time.Second)
				defer cancel()
				begin := time.Now()
				out, runErr := c.run(t, rctx, e)
				res, driver := parseCompat(out)
				if driver != "" {
					drivers[c.name] = driver
				}
				results[c.name+"/"+tg.kind] = res
				t.Logf("%s against %s in %v:\n%s", c.name, tg.kind, time.Since(begin).Round(time.Millisecond), out)
				if runErr != nil {
					t.Errorf("%s: %v", c.name, runErr)
				}
				for s := range res {
					if !slices.Contains(c.steps, s) {
						t.Errorf("%s printed step %q, which its list in compatClients does not have", c.name, s)
					}
				}
				for _, s := range c.steps {
					r, ran := res[s]
					if tg.kind != "sqlite" {
						switch {
						case !ran:
							t.Errorf("%s %s: step did not run", c.name, s)
						case !r.ok:
							t.Errorf("%s %s through the %s relay: %s", c.name, s, tg.kind, r.err)
						}
						continue
					}
					want, known := expected[c.name+" "+s]
					switch {
					case *compatUpdate:
					case !known:
						t.Errorf("%s %s: no expectation in %s (ran: %v; -compat.update rewrites the file)", c.name, s, compatExpected, r.ok)
					case want && !r.ok:
						msg := r.err
						if !ran {
							msg = "step did not run"
						}
						t.Errorf("%s %s on the embedded engine: expected ok, got: %s", c.name, s, msg)
					case !want && r.ok:
						newly = append(newly, c.name+" "+s)
						t.Logf("NEWLY PASSES: %s %s on the embedded engine (tighten %s)", c.name, s, compatExpected)
					}
				}
			})
		}
	}
	if *compatUpdate {
		if n := len(results); n != 2*len(clients) {
			t.Fatalf("-compat.update needs every client's run (%d of %d ran)", n, 2*len(clients))
		}
		writeCompatExpected(t, clients, results)
	}
	if *compatReport != "" {
		writeCompatReport(t, *compatReport, clients, targets, results, drivers, newly)
	}
}

func writeCompatExpected(t *testing.T, clients []compatClient, results map[string]map[string]compatResult) {
	var b strings.Builder
	b.WriteString("# Expected results of the driver compatibility suite (test/e2e/compat_test.go) on the\n")
	b.WriteString("# embedded SQLite engine: <client> <step> ok|fail. A step listed ok that fails fails the\n")
	b.WriteString("# test; a step listed fail that passes is logged. go test ./test/e2e -run TestDriverCompat\n")
	b.WriteString("# -args -compat.update rewrites this file from a run.\n")
	for _, c := range clients {
		for _, s := range c.steps {
			v := "fail"
			if results[c.name+"/sqlite"][s].ok {
				v = "ok"
			}
			fmt.Fprintf(&b, "%s %s %s\n", c.name, s, v)
		}
	}
	if err := os.WriteFile(compatExpected, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
}

// compatPort matches the gateway's port in an error text: the report
// does not change with the port a run listened on.
var compatPort = regexp.MustCompile(`((?:port=|127\.0\.0\.1:))\d+`)

func writeCompatReport(t *testing.T, path string, clients []compatClient, targets map[bool][]compatTarget,
	results map[string]map[string]compatResult, drivers map[string]string, newly []string) {
	var b strings.Builder
	b.WriteString("# Driver compatibility\n\n")
	b.WriteString("Real client libraries run a scripted session against Floe: connect (with the\n")
	b.WriteString("driver's own session setup), the server version, CREATE TABLE and CREATE INDEX,\n")
	b.WriteString("INSERT with parameters, SELECT with parameters of several types (int, text, bool,\n")
	b.WriteString("numeric, timestamp, NULL), the result's column types, a committed and a rolled back\n")
	b.WriteString("transaction, an error (a missing table: its SQLSTATE or errno, and the connection\n")
	b.WriteString("still usable), and the metadata calls of JDBC (`DatabaseMetaData`) and SQLAlchemy\n")
	b.WriteString("(`inspect`, `has_table`, an ORM session). Each step checks the values it gets back.\n")
	b.WriteString("Every client runs against each database its protocol reaches: the embedded SQLite\n")
	b.WriteString("engine (a `kind: sqlite` database seeded like the demo), and the PostgreSQL or\n")
	b.WriteString("MariaDB relay in front of the real server.\n\n")
	b.WriteString("This file is written by `make compat` (the test `TestDriverCompat` in\n")
	b.WriteString("`test/e2e/compat_test.go`; the clients are in `test/compat`, installed by\n")
	b.WriteString("`scripts/compat-deps.sh`). Through the relays every step must pass; on the embedded\n")
	b.WriteString("engine the test holds the results to `test/compat/testdata/expected.txt`.\n\n")
	b.WriteString("## Summary\n\n| client | library | embedded SQLite | relay |\n|---|---|---|---|\n")
	for _, c := range clients {
		cells := []string{}
		for _, tg := range targets[c.mysql] {
			n := 0
			for _, s := range c.steps {
				if results[c.name+"/"+tg.kind][s].ok {
					n++
				}
			}
			cells = append(cells, fmt.Sprintf("%d/%d", n, len(c.steps)))
		}
		relay := map[string]string{"postgres": "PostgreSQL", "mariadb": "MariaDB"}[targets[c.mysql][1].kind]
		fmt.Fprintf(&b, "| %s | %s | %s | %s: %s |\n", c.label, drivers[c.name], cells[0], relay, cells[1])
	}
	b.WriteString("\n## Steps\n\n`ok` passes; `fail` fails (the errors on the embedded engine are listed below); `—` the\n")
	b.WriteString("client's protocol does not reach that database or the client has no such step.\n\n")
	b.WriteString("| client | step | embedded SQLite | PostgreSQL relay | MariaDB relay |\n|---|---|---|---|---|\n")
	cell := func(c compatClient, kind, step string) string {
		r, ok := results[c.name+"/"+kind]
		if !ok {
			return "—"
		}
		if r[step].ok {
			return "ok"
		}
		return "**fail**"
	}
	for _, c := range clients {
		for _, s := range c.steps {
			fmt.Fprintf(&b, "| %s | %s | %s | %s | %s |\n", c.label, s, cell(c, "sqlite", s), cell(c, "postgres", s), cell(c, "mariadb", s))
		}
	}
	b.WriteString("\n## Failures on the embedded engine\n\n")
	var lines []string
	for _, c := range clients {
		var notRun []string
		for _, s := range c.steps {
			r, ran := results[c.name+"/sqlite"][s]
			switch {
			case !ran:
				notRun = append(notRun, "`"+s+"`")
			case !r.ok:
				lines = append(lines, fmt.Sprintf("- %s `%s`: %s", c.label, s, compatPort.ReplaceAllString(r.err, "$1…")))
			}
		}
		if len(notRun) > 0 {
			lines = append(lines, fmt.Sprintf("- %s: did not run (a step they need failed): %s", c.label, strings.Join(notRun, ", ")))
		}
	}
	if len(lines) == 0 {
		lines = []string{"None."}
	}
	b.WriteString(strings.Join(lines, "\n") + "\n")
	if len(newly) > 0 {
		b.WriteString("\n## Newly passing\n\nThese pass on the embedded engine but `test/compat/testdata/expected.txt` still lists them\nas failing: change them to `ok` there.\n\n")
		for _, n := range newly {
			fmt.Fprintf(&b, "- `%s`\n", n)
		}
	}
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
}
