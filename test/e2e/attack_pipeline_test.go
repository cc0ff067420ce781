package e2e

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/go-mysql-org/go-mysql/client"
	"github.com/jackc/pgx/v5"
)

// attackPipelineConfig is one PostgreSQL database (app) and one MySQL
// database (shop), each with a public table pub, a table secret, and
// (on MySQL) a table t whose rows are filtered for eve. Eve may read pub
// and her rows of t only, nums, and people with email masked, in results
// of at most 3 rows. The backend logins are the test servers'
// administrators: Floe's reading is the only line here, as it is for
// masks and MySQL row filters in any deployment.
func attackPipelineConfig(pgDSN, myDSN, auditPath string) string {
	return fmt.Sprintf(`databases:
  - {name: app, kind: postgres, primary: %q, pool: {mode: transaction, size: 4}}
  - {name: shop, kind: mysql, primary: %q, pool: {mode: transaction, size: 4}}
users:
  - {name: eve, password: eve-secret, roles: [narrow]}
  - {name: rita, password: rita-secret, roles: [narrow]}
  - {name: rose, password: rose-secret, roles: [narrow]}
  - {name: dev, password: dev-secret, roles: [developer]}
roles:
  - name: narrow
    grants:
      - {database: app, tables: [pub], actions: [select]}
      - {database: app, tables: [nums], actions: [select, copy]}
      - {database: "*", tables: [people], actions: [select]}
      - {database: shop, tables: [pub, t, nums], actions: [select]}
    row_filters:
      - {database: shop, table: t, where: "owner = 'eve'"}
  - name: developer
    grants:
      - {database: app, actions: [select, ddl]}
limits:
  - {per: user, user: eve, max_result_rows: 3}
  - {per: user, user: rita, rate: 0.0001, burst: 2}
  - {per: user, user: rose, rate: 0.0001, burst: 2}
masking:
  - {database: "*", table: people, column: email, method: full}
audit:
  file: %s
`, pgDSN, myDSN, auditPath)
}

// attackPipelineSetup creates the tables on both servers and starts the
// gateway.
func attackPipelineSetup(t *testing.T) (*gateway, string) {
	t.Helper()
	ctx := context.Background()
	pgDSN := testDB(t)
	admin, err := pgx.Connect(ctx, pgDSN)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close(ctx)
	for _, q := range []string{
		"CREATE TABLE pub (id int PRIMARY KEY, name text)",
		"INSERT INTO pub VALUES (1, 'hello')",
		"CREATE TABLE secret (s text)",
		"INSERT INTO secret VALUES ('pg-top-secret')",
		"CREATE TABLE nums (n int PRIMARY KEY)",
		"INSERT INTO nums SELECT generate_series(1, 6)",
		"CREATE TABLE people (id int PRIMARY KEY, email text)",
		"INSERT INTO people VALUES (1, 'zed@example.com'), (2, 'amy@example.com')",
	} {
		if _, err := admin.Exec(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	myDSN, direct := myTestDB(t)
	for _, q := range []string{
		"CREATE TABLE pub (id INT PRIMARY KEY, name VARCHAR(40))",
		"INSERT INTO pub VALUES (1, 'hello')",
		"CREATE TABLE secret (s VARCHAR(40))",
		"INSERT INTO secret VALUES ('my-top-secret')",
		"CREATE TABLE t (id INT PRIMARY KEY, owner VARCHAR(40), note VARCHAR(40))",
		"INSERT INTO t VALUES (1, 'eve', 'eve-note'), (2, 'bob', 'bob-note')",
		"CREATE TABLE nums (n INT PRIMARY KEY)",
		"INSERT INTO nums VALUES (1), (2), (3), (4), (5), (6)",
		"CREATE TABLE people (id INT PRIMARY KEY, email VARCHAR(40))",
		"INSERT INTO people VALUES (1, 'zed@example.com'), (2, 'amy@example.com')",
	} {
		if _, err := direct.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	auditPath := filepath.Join(t.TempDir(), "audit.jsonl")
	return start(t, attackPipelineConfig(pgDSN, myDSN, auditPath)), auditPath
}

// TestAttackShapeDesync sends pairs of texts that differ, to the shape
// key's lexer, only in one string literal, where the server reads the
// part the lexer calls a literal as SQL: a comment the lexer ends
// earlier or later than the server does moves every later quote to the
// other side. The first text of each pair is harmless and allowed; the
// second, if it were read with the first's parse, would read a table
// the user has no grant on, or the rows of a filtered table that are not
// hers. Each must be refused, and nothing of the secret must come back,
// on every path that shares the analysis.
func TestAttackShapeDesync(t *testing.T) {
	g, _ := attackPipelineSetup(t)

	// PostgreSQL nests block comments; the lexer does not. The lexer
	// ends "/* /* */" at the first "*/" and reads "-- */ '" as a line
	// comment; PostgreSQL is still in the comment, leaves it at "*/" and
	// opens a string at the quote, so the lexer's next string literal
	// is code to the server.
	pgBenign := "SELECT name FROM pub WHERE name = /* /* */ -- */ '\n' AND name <> '\n/* /* */ -- */ '"
	pgAttack := "SELECT name FROM pub WHERE name = /* /* */ -- */ '\n' UNION SELECT s FROM secret WHERE s <> '\n/* /* */ -- */ '"

	t.Run("postgres relay", func(t *testing.T) {
		c := g.connect(t, "eve", "eve-secret", "app")
		if got, err := pgStrings(t, c, "SELECT name FROM pub WHERE name = 'x' OR name <> 'y'"); err != nil || len(got) != 1 {
			t.Fatalf("benign query: %v, %v", got, err)
		}
		if _, err := pgStrings(t, c, pgBenign); err != nil {
			// Refusing the odd text outright is as good as reading it right.
			t.Logf("first text of the shape: %v", err)
		}
		got, err := pgStrings(t, c, pgAttack)
		if strings.Contains(strings.Join(got, ","), "secret") {
			t.Fatalf("the second text of the shape read table secret: %v", got)
		}
		if err == nil {
			t.Fatalf("the second text of the shape ran (%v); want the grant's refusal", got)
		}
	})

	t.Run("http after the relay", func(t *testing.T) {
		// The data API shares the database's analyzer: a shape first
		// seen on the relay must not lend its parse to an HTTP request.
		c := g.connect(t, "eve", "eve-secret", "app")
		_, _ = pgStrings(t, c, pgBenign)
		a := g.post(t, "eve", "eve-secret", "/v1/query", queryBody("app", pgAttack))
		if strings.Contains(string(a.body), "top-secret") || a.status == 200 {
			t.Fatalf("HTTP after the relay's first text of the shape: %d %s", a.status, a.body)
		}
		if a := g.post(t, "eve", "eve-secret", "/v1/query", queryBody("app", "SELECT name FROM pub")); a.status != 200 {
			t.Fatalf("benign HTTP query: %d %s", a.status, a.body)
		}
	})

	// MySQL reads "--" as a comment only before a space or a control
	// character; the lexer reads "--'" as one. The server sees
	// 1 - -'\n' and then, as code, what the lexer reads as the next
	// string literal.
	myBenign := "SELECT name FROM pub WHERE id = 1--'\n' AND name <> '\n--'"
	myAttacks := map[string]string{
		"ungranted table": "SELECT name FROM pub WHERE id = 1--'\n' UNION SELECT s FROM secret WHERE s <> '\n--'",
		"filtered rows":   "SELECT name FROM pub WHERE id = 1--'\n' UNION SELECT note FROM t WHERE note <> '\n--'",
	}

	t.Run("mysql relay", func(t *testing.T) {
		db := g.mydb(t, "eve", "eve-secret", "shop", nil)
		db.SetMaxOpenConns(1)
		strs := func(q string) ([]string, error) { return sqlStrings(db.Query(q)) }
		// The benign cases keep working: the filter holds on t.
		if got, err := strs("SELECT note FROM t WHERE note <> 'x'"); err != nil || strings.Join(got, ",") != "eve-note" {
			t.Fatalf("filtered read of t: %v, %v", got, err)
		}
		for name, attack := range myAttacks {
			if _, err := strs(myBenign); err != nil {
				t.Logf("first text of the shape: %v", err)
			}
			got, err := strs(attack)
			joined := strings.Join(got, ",")
			if strings.Contains(joined, "top-secret") || strings.Contains(joined, "bob-note") {
				t.Errorf("%s: the second text of the shape read %v", name, got)
				continue
			}
			if name == "ungranted table" && err == nil {
				t.Errorf("%s: the second text of the shape ran (%v); want the grant's refusal", name, got)
			}
		}
	})
}

// TestAttackShapeLiteralNames sends pairs of texts that differ only in
// a string literal that decides what a name means to the server: the
// UESCAPE character of a PostgreSQL U&"…" identifier, a MySQL alias
// written as a string that ORDER BY then names. The first text of each
// pair names nothing eve may not use and is allowed (the server may
// then fail it); the second names a governed function, a catalogue view
// of other sessions or a masked column, and must be refused with nothing
// of it coming back.
func TestAttackShapeLiteralNames(t *testing.T) {
	g, _ := attackPipelineSetup(t)
	c := g.connect(t, "eve", "eve-secret", "app")
	for _, tt := range []struct{ name, first, attack, leak string }{
		{"governed function", `SELECT U&"pg_read_fil!0065" UESCAPE '#' ('/etc/hostname')`, `SELECT U&"pg_read_fil!0065" UESCAPE '!' ('/etc/hostname')`, ""},
		{"other sessions", `SELECT query FROM U&"pg_stat_!0061ctivity" UESCAPE '#'`, `SELECT query FROM U&"pg_stat_!0061ctivity" UESCAPE '!'`, "pg_stat"},
	} {
		if _, err := pgStrings(t, c, tt.first); err != nil {
			t.Logf("%s: first text of the shape: %v", tt.name, err)
		}
		got, err := pgStrings(t, c, tt.attack)
		if len(got) > 0 || sqlstate(err) != "42501" {
			t.Errorf("%s: the second text of the shape gave %q, %v; want the policy's refusal and no rows", tt.name, got, err)
		}
	}
	// A number the parser reads as a constant, then one it reads as a
	// position: ordering by the masked column (people: 1 zed@…, 2 amy@…).
	if _, err := pgStrings(t, c, "SELECT id::text, email FROM people ORDER BY 99999999999"); err != nil {
		t.Logf("first text of the ORDER BY shape: %v", err)
	}
	if got, err := pgStrings(t, c, "SELECT id::text, email FROM people ORDER BY 2"); err == nil || len(got) > 0 {
		t.Errorf("ordering by the masked column by position: %q, %v; want a refusal", got, err)
	}

	db := g.mydb(t, "eve", "eve-secret", "shop", nil)
	db.SetMaxOpenConns(1)
	// people: 1 zed@…, 2 amy@…; email is masked for eve, so ordering by
	// it would give its order away.
	if got, err := sqlStrings(db.Query("SELECT id AS 'email' FROM people ORDER BY email")); err != nil || strings.Join(got, ",") != "1,2" {
		t.Fatalf("ordering by the alias: %v, %v", got, err)
	}
	got, err := sqlStrings(db.Query("SELECT id AS 'zz' FROM people ORDER BY email"))
	if err == nil || strings.Join(got, ",") == "2,1" {
		t.Errorf("ordering by the masked column after a text of its shape: %v, %v; want a refusal", got, err)
	}
	// ids, in the order of the rows.
	ids := func(q string) ([]string, error) { return sqlStrings(db.Query(q)) }
	for _, pair := range [][2]string{
		{"SELECT id, email FROM people ORDER BY 1.5", "SELECT id, email FROM people ORDER BY 2"},
		{"SELECT id, email AS '' FROM people ORDER BY id", "SELECT id, email AS 'id' FROM people ORDER BY id"},
	} {
		if got, err := ids(pair[0]); err != nil || strings.Join(got, ",") != "1,2" {
			t.Fatalf("first text of the shape %q: %v, %v", pair[0], got, err)
		}
		if got, err := ids(pair[1]); err == nil || len(got) > 0 {
			t.Errorf("%q after %q: %v, %v; want a refusal", pair[1], pair[0], got, err)
		}
	}
	// MariaDB reads (2) and +2 as positions too.
	for _, q := range []string{"SELECT id, email FROM people ORDER BY (2)", "SELECT id, email FROM people ORDER BY +2"} {
		if got, err := ids(q); err == nil || len(got) > 0 {
			t.Errorf("%q: %v, %v; want a refusal", q, got, err)
		}
	}
	if got, err := pgStrings(t, c, "SELECT count(*)::text, email FROM people GROUP BY ROLLUP(2)"); err == nil || len(got) > 0 {
		t.Errorf("grouping by the masked column in ROLLUP: %q, %v; want a refusal", got, err)
	}
}

// TestAttackGrantMemoAcrossUsers: a user whose role may read table
// secret runs a query on it, and a user whose role may not then sends a
// text of the same shape on the same gateway (the same database's
// analysis, the same remembered grant checks). The second must be
// refused with nothing of the table coming back, and the first keeps
// its access.
func TestAttackGrantMemoAcrossUsers(t *testing.T) {
	g, _ := attackPipelineSetup(t)
	dev := g.connect(t, "dev", "dev-secret", "app")
	eve := g.connect(t, "eve", "eve-secret", "app")
	for i := range 3 {
		if got, err := pgStrings(t, dev, fmt.Sprintf("SELECT s FROM secret WHERE s <> 'x%d'", i)); err != nil || strings.Join(got, ",") != "pg-top-secret" {
			t.Fatalf("dev's read of secret: %v, %v", got, err)
		}
		got, err := pgStrings(t, eve, fmt.Sprintf("SELECT s FROM secret WHERE s <> 'y%d'", i))
		if len(got) > 0 || sqlstate(err) != "42501" {
			t.Fatalf("eve after dev, round %d: %v, %v; want the grant's refusal", i, got, err)
		}
	}
}

// TestAttackPreparedAfterRevoke prepares a statement while a grant
// allows it, has the grant revoked by a reload, and executes the
// prepared statement again: the decision made at prepare time must not
// outlive the policy it was made under, on the PostgreSQL and the MySQL
// relay and Flight SQL alike.
func TestAttackPreparedAfterRevoke(t *testing.T) {
	g, _ := attackPipelineSetup(t)
	ctx := context.Background()
	cfg, err := os.ReadFile(g.cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	wide := func(s string) string {
		return strings.NewReplacer(
			"{database: app, tables: [pub]", "{database: app, tables: [pub, secret]",
			"{database: shop, tables: [pub, t, nums]", "{database: shop, tables: [pub, t, nums, secret]").Replace(s)
	}
	var pgDSN, myDSN, auditPath string
	for _, line := range strings.Split(string(cfg), "\n") {
		switch {
		case strings.Contains(line, "name: app"):
			pgDSN = between(line, `primary: "`, `"`)
		case strings.Contains(line, "name: shop"):
			myDSN = between(line, `primary: "`, `"`)
		case strings.HasPrefix(strings.TrimSpace(line), "file: "):
			auditPath = strings.TrimPrefix(strings.TrimSpace(line), "file: ")
		}
	}
	narrow := attackPipelineConfig(pgDSN, myDSN, auditPath)
	g.rewrite(t, wide(narrow))
	g.sig <- syscall.SIGHUP
	waitPG := func(want bool) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for {
			c, err := pgx.Connect(ctx, g.dsn("eve", "eve-secret", "app"))
			if err == nil {
				_, err = pgStrings(t, c, "SELECT s FROM secret WHERE s <> 'probe'")
				c.Close(ctx)
			}
			if (err == nil) == want {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("the reload did not apply (secret readable: %v): %v", want, err)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	waitPG(true)

	c := g.connect(t, "eve", "eve-secret", "app")
	if _, err := c.Prepare(ctx, "peek", "SELECT s FROM secret"); err != nil {
		t.Fatalf("prepare under the wide grant: %v", err)
	}
	if got, err := pgStrings(t, c, "peek"); err != nil || len(got) != 1 {
		t.Fatalf("prepared statement under the wide grant: %v, %v", got, err)
	}
	my := g.mydb(t, "eve", "eve-secret", "shop", nil)
	my.SetMaxOpenConns(1)
	ps, err := my.Prepare("SELECT s FROM secret WHERE s <> ?")
	if err != nil {
		t.Fatalf("MySQL prepare under the wide grant: %v", err)
	}
	defer ps.Close()
	myRead := func() ([]string, error) { return sqlStrings(ps.Query("x")) }
	if got, err := myRead(); err != nil || len(got) != 1 {
		t.Fatalf("MySQL prepared statement under the wide grant: %v, %v", got, err)
	}
	fc, err := g.adbcConn(t, "eve", "eve-secret", "app")
	if err != nil {
		t.Fatal(err)
	}
	fst, err := fc.NewStatement()
	if err != nil {
		t.Fatal(err)
	}
	defer fst.Close()
	if err := fst.SetSqlQuery("SELECT s FROM secret"); err != nil {
		t.Fatal(err)
	}
	if err := fst.Prepare(ctx); err != nil {
		t.Fatalf("Flight SQL prepare under the wide grant: %v", err)
	}
	flightRead := func() (string, error) {
		rdr, _, err := fst.ExecuteQuery(ctx)
		if err != nil {
			return "", err
		}
		_, rows := readAll(t, rdr)
		return fmt.Sprint(rows), nil
	}
	if got, err := flightRead(); err != nil || !strings.Contains(got, "pg-top-secret") {
		t.Fatalf("Flight SQL prepared statement under the wide grant: %v, %v", got, err)
	}

	// The grant on secret is revoked.
	g.rewrite(t, narrow)
	g.sig <- syscall.SIGHUP
	waitPG(false)

	if got, err := pgStrings(t, c, "peek"); err == nil || len(got) > 0 {
		t.Errorf("PostgreSQL prepared statement after the revoke: %v, %v; want the grant's refusal", got, err)
	}
	if got, err := myRead(); err == nil || len(got) > 0 {
		t.Errorf("MySQL prepared statement after the revoke: %v, %v; want the grant's refusal", got, err)
	}
	if got, err := flightRead(); err == nil || strings.Contains(got, "top-secret") {
		t.Errorf("Flight SQL prepared statement after the revoke: %v, %v; want the grant's refusal", got, err)
	}
	// Statements the narrow grant allows still run on both sessions.
	if got, err := pgStrings(t, c, "SELECT name FROM pub"); err != nil || len(got) != 1 {
		t.Errorf("PostgreSQL after the revoke: %v, %v", got, err)
	}
	var name string
	if err := my.QueryRow("SELECT name FROM pub WHERE id = ?", 1).Scan(&name); err != nil || name != "hello" {
		t.Errorf("MySQL after the revoke: %q, %v", name, err)
	}
}

// configDSN is the backend DSN of database db in the gateway's config.
func configDSN(t *testing.T, g *gateway, db string) string {
	t.Helper()
	cfg, err := os.ReadFile(g.cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(cfg), "\n") {
		if strings.Contains(line, "name: "+db+",") {
			return between(line, `primary: "`, `"`)
		}
	}
	t.Fatalf("no database %s in the config", db)
	return ""
}

// between returns the part of s between the first from and the next to.
func between(s, from, to string) string {
	_, rest, _ := strings.Cut(s, from)
	v, _, _ := strings.Cut(rest, to)
	return v
}

// TestAttackCursorFetch reads a MySQL read-only cursor (COM_STMT_EXECUTE
// with a cursor flag, then COM_STMT_FETCH): the rows that come with the
// fetches are the statement's rows like any others, counted in the
// audit's result records and held to the result bounds.
func TestAttackCursorFetch(t *testing.T) {
	g, auditPath := attackPipelineSetup(t)
	raw, err := client.Connect(g.my, "eve", "eve-secret", "shop")
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	send := func(p ...byte) {
		t.Helper()
		raw.ResetSequence()
		if err := raw.WritePacket(append([]byte{0, 0, 0, 0}, p...)); err != nil {
			t.Fatal(err)
		}
	}
	read := func() []byte {
		t.Helper()
		p, err := raw.ReadPacket()
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	send(append([]byte{0x16}, "SELECT n FROM nums ORDER BY n"...)...)
	ok := read()
	if ok[0] != 0 {
		t.Fatalf("prepare: %q", ok)
	}
	id := ok[1:5]
	read() // the column definition (CLIENT_DEPRECATE_EOF)
	send(append(append([]byte{0x17}, id...), 1, 1, 0, 0, 0)...)
	if p := read(); p[0] != 1 {
		t.Fatalf("column count %q", p)
	}
	read()                                           // column definition
	if p := read(); p[0] != 0xfe || p[3]&0x40 == 0 { // SERVER_STATUS_CURSOR_EXISTS
		t.Fatalf("no cursor opened: %q", p)
	}
	// One fetch of 10 rows: the result bound (3 rows) stops it.
	send(append(append([]byte{0x1c}, id...), 10, 0, 0, 0)...)
	rows, errno := 0, uint16(0)
	for {
		p := read()
		if p[0] == 0xff {
			errno = uint16(p[1]) | uint16(p[2])<<8
			break
		}
		if p[0] == 0xfe && len(p) < 16 {
			break
		}
		rows++
	}
	if rows > 3 || errno != 1226 {
		t.Errorf("a fetch of 10 rows under a bound of 3: %d rows, error %d; want at most 3 and 1226", rows, errno)
	}
	// The rows that reached the client are on record.
	var recorded float64
	for _, e := range resultsOf(t, auditPath, "eve", 2) {
		recorded += e["rows"].(float64)
	}
	if recorded != float64(rows) {
		t.Errorf("the audit's result records count %v rows; %d reached the client", recorded, rows)
	}
}

// TestAttackCopyOut reads a table with COPY … TO STDOUT, which answers
// with CopyData messages rather than rows: they are the result's rows
// all the same, held to the result bounds and counted in the audit.
func TestAttackCopyOut(t *testing.T) {
	g, auditPath := attackPipelineSetup(t)
	ctx := context.Background()
	c := g.connect(t, "eve", "eve-secret", "app")
	for i, q := range []string{"COPY nums TO STDOUT", "COPY (SELECT n FROM nums) TO STDOUT"} {
		var out bytes.Buffer
		_, err := c.PgConn().CopyTo(ctx, &out, q)
		lines := strings.Count(out.String(), "\n")
		if lines > 3 || sqlstate(err) != "53400" {
			t.Errorf("%s under a bound of 3 rows: %d rows, %v; want at most 3 and 53400", q, lines, err)
		}
		var got []map[string]any
		deadline := time.Now().Add(10 * time.Second)
		for len(got) <= i && time.Now().Before(deadline) {
			got = got[:0]
			for _, e := range auditEvents(t, auditPath, "result") {
				if e["user"] == "eve" && e["protocol"] == "postgres" {
					got = append(got, e)
				}
			}
			time.Sleep(20 * time.Millisecond)
		}
		if len(got) <= i || got[i]["rows"] != float64(lines) {
			t.Errorf("%s: result records %v; want the %d rows relayed", q, got, lines)
		}
	}
	// Below the bound COPY works, with its rows on record.
	var out bytes.Buffer
	if _, err := c.PgConn().CopyTo(ctx, &out, "COPY (SELECT n FROM nums WHERE n <= 2) TO STDOUT"); err != nil || out.String() != "1\n2\n" {
		t.Fatalf("COPY of 2 rows: %q, %v", out.String(), err)
	}
}

// TestAttackMaskedOrderPosition orders by a masked column through its
// position (ORDER BY 2), which the policy refuses as it refuses ORDER BY
// email: the order would reveal the values. A first text of the same
// shape with position 0 names no column; the second must not borrow
// its reading.
func TestAttackMaskedOrderPosition(t *testing.T) {
	g, _ := attackPipelineSetup(t)
	pg := g.connect(t, "eve", "eve-secret", "app")
	my := g.mydb(t, "eve", "eve-secret", "shop", nil)
	my.SetMaxOpenConns(1)
	myIDs := func(q string) ([]string, error) { return sqlStrings(my.Query(q)) }
	pgIDs := func(q string) ([]string, error) { return pgStrings(t, pg, q) }
	for name, ids := range map[string]func(string) ([]string, error){"postgres": pgIDs, "mysql": myIDs} {
		// The benign case: the masked column comes back masked.
		if got, err := ids("SELECT id, email FROM people ORDER BY id"); err != nil || strings.Join(got, ",") != "1,2" {
			t.Fatalf("%s: masked read: %v, %v", name, got, err)
		}
		if _, err := ids("SELECT id, email FROM people ORDER BY 2"); err == nil {
			t.Fatalf("%s: ORDER BY the masked column's position ran", name)
		}
		_, _ = ids("SELECT id, email FROM people  ORDER BY 0") // the server refuses position 0
		got, err := ids("SELECT id, email FROM people  ORDER BY 2")
		if err == nil {
			t.Errorf("%s: after a text of position 0, ORDER BY 2 ran (ids in email order: %v)", name, got)
		}
	}
}

// TestAttackBatchRate sends many statements in one extended-protocol
// batch (one Sync), and many in one simple Query: the rate limits count
// every statement that runs, not the batch or the text, so a burst of two
// lets two through.
func TestAttackBatchRate(t *testing.T) {
	g, _ := attackPipelineSetup(t)
	ctx := context.Background()
	c := g.connect(t, "rita", "rita-secret", "app")
	b := &pgx.Batch{}
	for i := range 10 {
		b.Queue("SELECT name FROM pub WHERE id = $1", i)
	}
	ran := 0
	br := c.SendBatch(ctx, b)
	for range 10 {
		if _, err := br.Exec(); err == nil {
			ran++
		}
	}
	_ = br.Close()
	if ran != 2 {
		t.Errorf("%d statements of one batch ran under a burst of 2, want 2", ran)
	}
	// A text of three statements needs three tokens: refused whole.
	r := g.connect(t, "rose", "rose-secret", "app")
	res, err := r.PgConn().Exec(ctx, "SELECT 1 FROM pub; SELECT 2 FROM pub; SELECT 3 FROM pub").ReadAll()
	if sqlstate(err) != "53400" || len(res) != 0 {
		t.Errorf("three statements in one Query under a burst of 2: %d results, %v; want 53400 before any ran", len(res), err)
	}
	// Its two tokens are still there for two statements.
	if _, err := r.PgConn().Exec(ctx, "SELECT 1 FROM pub; SELECT 2 FROM pub").ReadAll(); err != nil {
		t.Errorf("two statements in one Query under a burst of 2: %v", err)
	}
}

// TestAttackFunctionLanguageString creates a function whose language is
// written as a string (LANGUAGE 'c'): an untrusted language needs admin
// on the database, a DDL grant is not enough. A first text of the same
// shape naming 'sql' must not lend its reading.
func TestAttackFunctionLanguageString(t *testing.T) {
	g, _ := attackPipelineSetup(t)
	ctx := context.Background()
	admin, err := pgx.Connect(ctx, configDSN(t, g, "app"))
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close(ctx)
	var libdir string
	if err := admin.QueryRow(ctx, "SELECT setting FROM pg_config WHERE name = 'PKGLIBDIR'").Scan(&libdir); err != nil {
		t.Fatal(err)
	}
	// A module with a magic block; the function is created, never called.
	create := func(lang string) string {
		return fmt.Sprintf("CREATE OR REPLACE FUNCTION floe_probe() RETURNS language_handler AS '%s/plpgsql.so', 'plpgsql_call_handler' LANGUAGE %s", libdir, lang)
	}
	c := g.connect(t, "dev", "dev-secret", "app")
	// The benign case: a DDL grant creates SQL functions.
	if _, err := c.Exec(ctx, "CREATE FUNCTION floe_one() RETURNS int AS 'SELECT 1' LANGUAGE sql"); err != nil {
		t.Fatalf("SQL function: %v", err)
	}
	if _, err := c.Exec(ctx, create("c")); err == nil {
		t.Fatal("a C function was created with a DDL grant")
	}
	// The server refuses two AS items for SQL; the policy allows it.
	_, _ = c.Exec(ctx, create("'sql'"))
	_, err = c.Exec(ctx, create("'c'"))
	var lang string
	_ = admin.QueryRow(ctx, "SELECT l.lanname FROM pg_proc p JOIN pg_language l ON l.oid = p.prolang WHERE p.proname = 'floe_probe'").Scan(&lang)
	if err == nil || lang != "" {
		t.Errorf("after a first text in 'sql', LANGUAGE 'c' ran (%v): function floe_probe in language %q", err, lang)
	}
}

// TestAttackSQLiteReading hides SQL from the policy's parser in text
// SQLite reads differently: PostgreSQL nests block comments (SQLite ends
// one at the first "*/"; the engine prints parsed texts again, without
// their comments), MySQL reads backslash escapes and double quotes
// in strings (SQLite neither). SQLite has no grants of its own: the
// policy's reading is the only line. Nothing of table secret may come
// back, on the PostgreSQL and MySQL front ends and over HTTP, while
// strings with escapes keep their MySQL values.
func TestAttackSQLiteReading(t *testing.T) {
	dir := t.TempDir()
	litePath, auditPath := filepath.Join(dir, "lite.db"), filepath.Join(dir, "audit.jsonl")
	seedLite(t, litePath)
	g := start(t, litePipelineConfig(litePath, auditPath))
	c := g.connect(t, "pgrows", "pgrows-secret", "lite")
	for _, q := range []string{
		"SELECT v FROM t WHERE id = 1 /* /* */ UNION SELECT s FROM secret -- */",
		"SELECT v FROM t WHERE id = 1 /* /* */ ; SELECT s FROM secret; -- */",
	} {
		// The engine runs what it prints from PostgreSQL's parse: the
		// nested comment is a comment, as the policy read it.
		got, err := pgStrings(t, c, q)
		if err != nil || strings.Join(got, ",") != "a" {
			t.Errorf("PostgreSQL front end, %q: %v, %v; want PostgreSQL's reading (a)", q, got, err)
		}
		a := g.post(t, "pgrows", "pgrows-secret", "/v1/query", queryBody("lite", q))
		// (The data API may refuse the second as more than one statement.)
		if strings.Contains(string(a.body), "hidden") || a.status == 200 && !strings.Contains(string(a.body), `"v":"a"`) {
			t.Errorf("HTTP, %q: %d %s", q, a.status, a.body)
		}
	}
	if got, err := pgStrings(t, c, "SELECT v FROM t WHERE id = 1 /* a comment */"); err != nil || strings.Join(got, ",") != "a" {
		t.Errorf("PostgreSQL front end, a comment: %v, %v", got, err)
	}
	my := g.mydb(t, "myrows", "myrows-secret", "lite", nil)
	strs := func(q string, args ...any) ([]string, error) { return sqlStrings(my.Query(q, args...)) }
	for _, q := range []string{
		`SELECT v FROM t WHERE v = 'a\' UNION SELECT s FROM secret -- '`,
		`SELECT v FROM t WHERE v = "a\" UNION SELECT s FROM secret -- "`,
	} {
		if got, err := strs(q); strings.Contains(strings.Join(got, ","), "hidden") {
			t.Errorf("MySQL front end, %q: %v, %v", q, got, err)
		}
	}
	// Strings keep their MySQL values: escapes decoded, double quotes quoting.
	if _, err := my.Exec(`UPDATE t SET v = 'it\'s "x"\\' WHERE id = 5`); err != nil {
		t.Fatal(err)
	}
	if got, err := strs(`SELECT v FROM t WHERE v = "it's \"x\"\\"`); err != nil || strings.Join(got, ",") != `it's "x"\` {
		t.Errorf("MySQL string with escapes: %q, %v", got, err)
	}
	if got, err := strs("SELECT v FROM t WHERE id = 1 AND v = 'a'"); err != nil || strings.Join(got, ",") != "a" {
		t.Errorf("MySQL plain string: %v, %v", got, err)
	}
}

// TestAttackUnparsedBatchRate sends, on a database whose only policy is
// a rate limit, a multi-statement text in a syntax the gateway's parser
// does not read (MariaDB's INSERT … RETURNING): the server splits it at
// its semicolons all the same, so the rate limit counts the statements
// the lexer finds there, and three inserts do not pass a burst of two.
func TestAttackUnparsedBatchRate(t *testing.T) {
	dsn, direct := myTestDB(t)
	if _, err := direct.Exec("CREATE TABLE t (id INT PRIMARY KEY)"); err != nil {
		t.Fatal(err)
	}
	g := start(t, myRelayConfig(dsn, "transaction", 2)+`limits:
  - {per: user, user: alice, rate: 0.0001, burst: 2}
`)
	db := g.mydb(t, "alice", "alice-secret", "shop", map[string]string{"multiStatements": "true"})
	_, err := db.Exec("INSERT INTO t VALUES (1) RETURNING id; INSERT INTO t VALUES (2) RETURNING id; INSERT INTO t VALUES (3) RETURNING id")
	if myErrno(err) != 1226 {
		t.Errorf("three statements under a burst of 2: %v, want 1226", err)
	}
	var n int
	if err := direct.QueryRow("SELECT count(*) FROM t").Scan(&n); err != nil || n != 0 {
		t.Fatalf("rows inserted: %d (%v), want 0", n, err)
	}
	// Two fit the burst.
	if _, err := db.Exec("INSERT INTO t VALUES (1) RETURNING id; INSERT INTO t VALUES (2) RETURNING id"); err != nil {
		t.Fatalf("two statements under a burst of 2: %v", err)
	}
	if err := direct.QueryRow("SELECT count(*) FROM t").Scan(&n); err != nil || n != 2 {
		t.Fatalf("rows inserted: %d (%v), want 2", n, err)
	}
}
