package e2e

import (
	"context"
	"database/sql"
	"fmt"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// liteMyConfig is a SQLite database "lite" for MySQL clients: alice may
// do anything, reader may read table pub only.
func liteMyConfig(path string) string {
	return fmt.Sprintf(`databases:
  - {name: lite, kind: sqlite, path: %q}
users:
  - {name: alice, password: alice-secret, roles: [dba]}
  - {name: reader, password: reader-secret, roles: [pubreader]}
roles:
  - name: dba
    grants:
      - {database: "*", actions: [all]}
  - name: pubreader
    grants:
      - {database: lite, tables: [pub], actions: [select]}
`, path)
}

// liteRows reads a result as rows of strings ("NULL" for NULL).
func liteRows(t *testing.T, q interface {
	QueryContext(context.Context, string, ...any) (*sql.Rows, error)
}, query string, args ...any) ([]string, [][]string) {
	t.Helper()
	rows, err := q.QueryContext(context.Background(), query, args...)
	if err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	var out [][]string
	for rows.Next() {
		vals := make([]sql.NullString, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatalf("%s: %v", query, err)
		}
		row := make([]string, len(cols))
		for i, v := range vals {
			row[i] = "NULL"
			if v.Valid {
				row[i] = v.String
			}
		}
		out = append(out, row)
	}
	if err := rows.Err(); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return cols, out
}

func liteOne(t *testing.T, q interface {
	QueryContext(context.Context, string, ...any) (*sql.Rows, error)
}, query string, args ...any) string {
	t.Helper()
	_, rows := liteRows(t, q, query, args...)
	if len(rows) != 1 || len(rows[0]) != 1 {
		t.Fatalf("%s: %v", query, rows)
	}
	return rows[0][0]
}

// MySQL clients use the embedded engine in MySQL's dialect: MySQL DDL,
// functions, session variables, autocommit=0, SHOW and DESCRIBE.
func TestSQLiteMySQLDialect(t *testing.T) {
	if testing.Short() {
		t.Skip("e2e")
	}
	path := filepath.Join(t.TempDir(), "lite.db")
	g := start(t, liteMyConfig(path))
	ctx := context.Background()
	for _, mode := range []string{"binary", "text"} {
		t.Run(mode, func(t *testing.T) {
			db := g.mydb(t, "alice", "alice-secret", "lite", map[string]string{"interpolateParams": fmt.Sprint(mode == "text")})
			tbl := "items_" + mode
			if _, err := db.Exec("CREATE TABLE " + tbl + " (id INT AUTO_INCREMENT PRIMARY KEY, code VARCHAR(8) NOT NULL UNIQUE, price DECIMAL(10,2) DEFAULT 1.50, note TEXT, KEY idx_note (note)) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4"); err != nil {
				t.Fatal(err)
			}
			c, err := db.Conn(ctx)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			res, err := c.ExecContext(ctx, "INSERT INTO "+tbl+" (code, price, note) VALUES (?, ?, ?), ('b', 2, NULL)", `it's \ "q"`, "9.5", "n")
			if err != nil {
				t.Fatal(err)
			}
			if n, _ := res.RowsAffected(); n != 2 {
				t.Errorf("affected %d", n)
			}
			if got := liteOne(t, c, "SELECT LAST_INSERT_ID()"); got != "2" {
				t.Errorf("LAST_INSERT_ID() = %s", got)
			}
			if got := liteOne(t, c, "SELECT code FROM "+tbl+" WHERE id = 1"); got != `it's \ "q"` {
				t.Errorf("string round trip: %q", got)
			}
			if got := liteOne(t, c, "SELECT price FROM "+tbl+" WHERE id = 1"); got != "9.50" {
				t.Errorf("DECIMAL(10,2): %s", got)
			}
			if _, err := c.ExecContext(ctx, "INSERT INTO "+tbl+" (code) VALUES ('b') ON DUPLICATE KEY UPDATE note = CONCAT('x', 'y')"); err != nil {
				t.Fatal(err)
			}
			cols, rows := liteRows(t, c, "SELECT CONCAT(code, '-', note), CONCAT(code, NULL), IF(price > 5, 'dear', 'cheap'), GROUP_CONCAT(code ORDER BY id DESC SEPARATOR '|') FROM "+tbl+" GROUP BY 1, 2, 3 ORDER BY 1")
			if !slices.Equal(cols, []string{"CONCAT(code, '-', note)", "CONCAT(code, NULL)", "IF(price > 5, 'dear', 'cheap')", "GROUP_CONCAT(code ORDER BY id DESC SEPARATOR '|')"}) {
				t.Errorf("column names: %q", cols)
			}
			if len(rows) != 2 || rows[0][0] != "b-xy" || rows[0][1] != "NULL" || rows[0][2] != "cheap" || rows[1][2] != "dear" {
				t.Errorf("rows: %q", rows)
			}
			_, rows = liteRows(t, c, "SELECT DATABASE(), USER(), CURRENT_USER(), VERSION(), CONNECTION_ID() > 0, @@version_comment, @@autocommit, TRUE, FALSE, NOW() = CURRENT_TIMESTAMP, DATE_FORMAT('2024-03-05', '%d/%m/%Y'), DATE_ADD('2024-01-31', INTERVAL 1 MONTH)")
			r := rows[0]
			if r[0] != "lite" || !strings.HasPrefix(r[1], "alice@") || r[2] != r[1] || !strings.HasPrefix(r[3], "8.0.40-floe-SQLite-3.") || r[4] != "1" ||
				!strings.HasPrefix(r[5], "Floe (SQLite ") || r[6] != "1" || r[7] != "1" || r[8] != "0" || r[9] != "1" || r[10] != "05/03/2024" || r[11] != "2024-02-29" {
				t.Errorf("session functions: %q", r)
			}
			if now := liteOne(t, c, "SELECT NOW()"); !regexp.MustCompile(`^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$`).MatchString(now) {
				t.Errorf("NOW() = %q", now)
			}
			// Unsupported constructs: 1235 naming the construct.
			_, err = c.QueryContext(ctx, "SELECT FOUND_ROWS()")
			if myErrno(err) != 1235 || !strings.Contains(err.Error(), "FOUND_ROWS() is not supported by the embedded SQLite engine") {
				t.Errorf("FOUND_ROWS(): %v", err)
			}
			if _, err := c.ExecContext(ctx, "CREATE DATABASE other"); myErrno(err) != 1235 {
				t.Errorf("CREATE DATABASE: %v", err)
			}
		})
	}

	db := g.mydb(t, "alice", "alice-secret", "lite", nil)
	t.Run("show", func(t *testing.T) {
		cols, rows := liteRows(t, db, "SHOW FULL TABLES WHERE Table_type = 'BASE TABLE' AND Tables_in_lite LIKE 'items%'")
		if !slices.Equal(cols, []string{"Tables_in_lite", "Table_type"}) || len(rows) != 2 || rows[0][0] != "items_binary" || rows[1][1] != "BASE TABLE" {
			t.Errorf("SHOW FULL TABLES: %q %q", cols, rows)
		}
		if _, rows := liteRows(t, db, "SHOW TABLES LIKE '%\\_text'"); len(rows) != 1 || rows[0][0] != "items_text" {
			t.Errorf("SHOW TABLES LIKE: %q", rows)
		}
		// In the binary protocol too (a prepared SHOW, rows in binary).
		ps, err := db.Prepare("SHOW FULL TABLES LIKE 'items%'")
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		prows, err := ps.Query()
		if err != nil {
			t.Fatal(err)
		}
		for prows.Next() {
			var name, typ string
			if err := prows.Scan(&name, &typ); err != nil || !strings.HasPrefix(name, "items_") || typ != "BASE TABLE" {
				t.Errorf("prepared SHOW: %q %q %v", name, typ, err)
			}
			n++
		}
		prows.Close()
		ps.Close()
		if n != 2 {
			t.Errorf("prepared SHOW: %d rows", n)
		}
		if got := liteOne(t, db, "SHOW DATABASES"); got != "lite" {
			t.Errorf("SHOW DATABASES: %s", got)
		}
		_, rows = liteRows(t, db, "SHOW VARIABLES LIKE 'max_allowed%'")
		if len(rows) != 1 || rows[0][0] != "max_allowed_packet" || rows[0][1] != "67108864" {
			t.Errorf("SHOW VARIABLES: %q", rows)
		}
		_, rows = liteRows(t, db, "SHOW CREATE TABLE items_text")
		want := "CREATE TABLE `items_text` (\n  `id` int(11) NOT NULL AUTO_INCREMENT,\n  `code` varchar(8) NOT NULL,\n  `price` decimal(10,2) DEFAULT 1.50,\n  `note` text DEFAULT NULL,\n  PRIMARY KEY (`id`),\n  UNIQUE KEY `code` (`code`),\n  KEY `idx_note` (`note`)\n) ENGINE=SQLite DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin"
		if len(rows) != 1 || rows[0][0] != "items_text" || rows[0][1] != want {
			t.Errorf("SHOW CREATE TABLE:\n%s\nwant\n%s", rows, want)
		}
		_, rows = liteRows(t, db, "SHOW TABLE STATUS LIKE 'items_text'")
		if len(rows) != 1 || rows[0][1] != "SQLite" || rows[0][4] != "2" {
			t.Errorf("SHOW TABLE STATUS: %q", rows)
		}
		for _, q := range []string{"SHOW WARNINGS", "SHOW ERRORS", "SHOW STATUS LIKE 'x%'"} {
			if _, rows := liteRows(t, db, q); len(rows) != 0 {
				t.Errorf("%s: %q", q, rows)
			}
		}
		if _, rows := liteRows(t, db, "SHOW ENGINES"); len(rows) != 1 || rows[0][0] != "SQLite" {
			t.Errorf("SHOW ENGINES: %q", rows)
		}
		if _, rows := liteRows(t, db, "SHOW CHARACTER SET LIKE 'utf8%'"); len(rows) != 1 || rows[0][0] != "utf8mb4" {
			t.Errorf("SHOW CHARACTER SET: %q", rows)
		}
		if _, rows := liteRows(t, db, "SHOW COLLATION WHERE Charset = 'utf8mb4'"); len(rows) != 1 || rows[0][0] != "utf8mb4_bin" {
			t.Errorf("SHOW COLLATION: %q", rows)
		}
		if _, err := db.Query("DESCRIBE nosuch"); myErrno(err) != 1146 {
			t.Errorf("DESCRIBE of a missing table: %v", err)
		}
	})

	// DESCRIBE, SHOW COLUMNS and SHOW INDEX as MariaDB shows the same
	// table.
	t.Run("differential", func(t *testing.T) {
		_, maria := myTestDB(t)
		ddl := "CREATE TABLE diff (id INT AUTO_INCREMENT PRIMARY KEY, code VARCHAR(8) NOT NULL UNIQUE, qty INT NOT NULL DEFAULT 3, price DECIMAL(10,2) DEFAULT 1.50, big BIGINT, note TEXT, name VARCHAR(20) DEFAULT 'x', at DATETIME, KEY idx_name (name), KEY idx_multi (qty, price))"
		if _, err := maria.Exec(ddl); err != nil {
			t.Fatal(err)
		}
		if _, err := db.Exec(ddl); err != nil {
			t.Fatal(err)
		}
		for _, q := range []string{"DESCRIBE diff", "SHOW COLUMNS FROM diff", "SHOW FULL COLUMNS FROM diff LIKE 'n%'", "SHOW COLUMNS FROM diff WHERE `Key` <> ''"} {
			mc, mr := liteRows(t, maria, q)
			fc, fr := liteRows(t, db, q)
			if strings.Contains(q, "FULL") {
				// Collations differ by design (SQLite compares bytes).
				for _, rows := range [][][]string{mr, fr} {
					for _, r := range rows {
						r[2] = ""
					}
				}
			}
			if !slices.Equal(mc, fc) || fmt.Sprint(mr) != fmt.Sprint(fr) {
				t.Errorf("%s:\nMariaDB %q\n%q\nFloe    %q\n%q", q, mc, mr, fc, fr)
			}
		}
		// SHOW INDEX: the columns both name, and what identifies a key.
		pick := func(cols []string, rows [][]string) []string {
			var out []string
			for _, r := range rows {
				var parts []string
				for i, c := range cols {
					switch c {
					case "Table", "Non_unique", "Key_name", "Seq_in_index", "Column_name", "Null", "Index_type":
						parts = append(parts, r[i])
					}
				}
				out = append(out, strings.Join(parts, " "))
			}
			slices.Sort(out)
			return out
		}
		mi := pick(liteRows(t, maria, "SHOW INDEX FROM diff"))
		fi := pick(liteRows(t, db, "SHOW INDEX FROM diff"))
		if !slices.Equal(mi, fi) {
			t.Errorf("SHOW INDEX:\nMariaDB %q\nFloe    %q", mi, fi)
		}
	})

	// autocommit=0 as PyMySQL connects (SET NAMES, then SET AUTOCOMMIT = 0)
	// and as MariaDB Connector/J sets the session up.
	t.Run("autocommit", func(t *testing.T) {
		if _, err := db.Exec("CREATE TABLE ac (id INTEGER PRIMARY KEY, v TEXT)"); err != nil {
			t.Fatal(err)
		}
		c, err := db.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		count := func() string { return liteOne(t, db, "SELECT COUNT(*) FROM ac") }
		for _, q := range []string{"SET NAMES utf8mb4", "SET AUTOCOMMIT = 0", "INSERT INTO ac (v) VALUES ('rolled back')"} {
			if _, err := c.ExecContext(ctx, q); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		}
		if got := liteOne(t, c, "SELECT @@autocommit"); got != "0" {
			t.Errorf("@@autocommit = %s", got)
		}
		if got := count(); got != "0" {
			t.Errorf("an uncommitted row is seen by another session: %s", got)
		}
		if _, err := c.ExecContext(ctx, "ROLLBACK"); err != nil {
			t.Fatal(err)
		}
		for _, q := range []string{"INSERT INTO ac (v) VALUES ('one')", "COMMIT", "INSERT INTO ac (v) VALUES ('two')"} {
			if _, err := c.ExecContext(ctx, q); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		}
		if got := count(); got != "1" {
			t.Errorf("after COMMIT: %s rows", got)
		}
		// Connector/J's session setup: switching autocommit on commits.
		for _, q := range []string{"set autocommit=1, sql_mode = concat(@@sql_mode,',STRICT_TRANS_TABLES'), character_set_results = NULL", "SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED", "SET TRANSACTION ISOLATION LEVEL SERIALIZABLE"} {
			if _, err := c.ExecContext(ctx, q); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		}
		if got := count(); got != "2" {
			t.Errorf("autocommit=1 did not commit: %s rows", got)
		}
		_, rows := liteRows(t, c, "SELECT @@sql_mode, @@autocommit, @@character_set_results, @@transaction_isolation")
		if r := rows[0]; r[0] != "STRICT_TRANS_TABLES,NO_ENGINE_SUBSTITUTION" || r[1] != "1" || r[2] != "NULL" || r[3] != "READ-COMMITTED" {
			t.Errorf("session variables: %q", r)
		}
		// Another session sending the same text (its translation is shared)
		// reads its own variables.
		c2, err := db.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer c2.Close()
		if _, err := c2.ExecContext(ctx, "set autocommit=1, sql_mode = concat(@@sql_mode,',STRICT_TRANS_TABLES'), character_set_results = NULL"); err != nil {
			t.Fatal(err)
		}
		if got := liteOne(t, c2, "SELECT @@sql_mode"); got != "STRICT_TRANS_TABLES,NO_ENGINE_SUBSTITUTION" {
			t.Errorf("second session's sql_mode: %s", got)
		}
		// DDL commits the open transaction, as in MySQL.
		for _, q := range []string{"SET autocommit=0", "INSERT INTO ac (v) VALUES ('three')", "CREATE TABLE ac_ddl (id INT)", "ROLLBACK"} {
			if _, err := c2.ExecContext(ctx, q); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		}
		if got := count(); got != "3" {
			t.Errorf("CREATE TABLE did not commit: %s rows", got)
		}
		if got := liteOne(t, db, "SELECT COUNT(*) FROM ac_ddl"); got != "0" {
			t.Errorf("the table: %s", got)
		}
		if _, err := c.ExecContext(ctx, "SET autocommit = 'maybe'"); myErrno(err) != 1231 {
			t.Errorf("a wrong value: %v", err)
		}
		if _, err := c.ExecContext(ctx, "SET no_such_var = 1"); myErrno(err) != 1193 {
			t.Errorf("an unknown variable: %v", err)
		}
		if _, err := c.ExecContext(ctx, "SET GLOBAL wait_timeout = 1"); myErrno(err) != 1235 && myErrno(err) != 1227 {
			t.Errorf("SET GLOBAL: %v", err)
		}
	})

	// SQL PREPARE: the prepared text is decided on as a statement of its
	// own; user variables bind at EXECUTE.
	t.Run("prepare", func(t *testing.T) {
		for _, q := range []string{"CREATE TABLE pub (id INTEGER PRIMARY KEY, v TEXT)", "INSERT INTO pub VALUES (1, 'one'), (2, 'two')",
			"CREATE TABLE priv (id INTEGER PRIMARY KEY, s TEXT)", "INSERT INTO priv VALUES (1, 'hidden')"} {
			if _, err := db.Exec(q); err != nil {
				t.Fatal(err)
			}
		}
		// Tables qualified with the session's database are its own.
		if got := liteOne(t, db, "SELECT COUNT(*) FROM lite.pub WHERE lite.pub.id > 0"); got != "2" {
			t.Errorf("qualified table: %s", got)
		}
		if _, err := db.Query("SELECT * FROM other.pub"); myErrno(err) != 1049 {
			t.Errorf("another database: %v", err)
		}
		r := g.mydb(t, "reader", "reader-secret", "lite", nil)
		c, err := r.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		for _, q := range []string{"SET @id = 2", "PREPARE s FROM 'SELECT v FROM pub WHERE id = ?'"} {
			if _, err := c.ExecContext(ctx, q); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		}
		if got := liteOne(t, c, "EXECUTE s USING @id"); got != "two" {
			t.Errorf("EXECUTE: %s", got)
		}
		if _, err := c.ExecContext(ctx, "PREPARE p FROM 'SELECT s FROM priv'"); err == nil {
			t.Error("PREPARE of a table the user may not read was accepted")
		}
		if _, err := c.QueryContext(ctx, "EXECUTE p"); err == nil {
			t.Error("EXECUTE of a refused PREPARE ran")
		}
		if _, err := c.ExecContext(ctx, "DEALLOCATE PREPARE s"); err != nil {
			t.Fatal(err)
		}
		if _, err := c.QueryContext(ctx, "EXECUTE s USING @id"); myErrno(err) != 1243 {
			t.Errorf("EXECUTE after DEALLOCATE: %v", err)
		}
		if _, err := c.QueryContext(ctx, "DESCRIBE priv"); err == nil {
			t.Error("DESCRIBE of a table the user may not read was answered")
		}
	})
}

// The stock mysql client: its start-up queries, status and SHOW commands.
func TestSQLiteMySQLClient(t *testing.T) {
	if testing.Short() {
		t.Skip("e2e")
	}
	if _, err := exec.LookPath("mysql"); err != nil {
		t.Skip("no mysql client")
	}
	g := start(t, liteMyConfig(filepath.Join(t.TempDir(), "lite.db")))
	host, port, _ := strings.Cut(g.my, ":")
	run := func(sql string) string {
		t.Helper()
		out, err := exec.Command("mysql", "--no-defaults", "-h", host, "-P", port, "-u", "alice", "-palice-secret", "lite", "-e", sql).CombinedOutput()
		if err != nil {
			t.Fatalf("%s: %v\n%s", sql, err, out)
		}
		return string(out)
	}
	run("CREATE TABLE t (id INT AUTO_INCREMENT PRIMARY KEY, name VARCHAR(20) NOT NULL, price DECIMAL(10,2))")
	run("INSERT INTO t (name, price) VALUES ('widget', 9.5), ('gadget', 3)")
	if out := run("status"); !strings.Contains(out, "Current database:\tlite") || !strings.Contains(out, "Current user:\t\talice@") || !strings.Contains(out, "Floe (SQLite") {
		t.Errorf("status:\n%s", out)
	}
	if out := run("DESCRIBE t"); !strings.Contains(out, "id\tint(11)\tNO\tPRI\tNULL\tauto_increment") || !strings.Contains(out, "price\tdecimal(10,2)\tYES\t\tNULL\t") {
		t.Errorf("DESCRIBE:\n%s", out)
	}
	if out := run("SELECT name, price FROM t ORDER BY price"); !strings.Contains(out, "gadget\t3.00") || !strings.Contains(out, "widget\t9.50") {
		t.Errorf("SELECT:\n%s", out)
	}
	if out := run("SHOW CREATE TABLE t\\G"); !strings.Contains(out, "`name` varchar(20) NOT NULL") {
		t.Errorf("SHOW CREATE TABLE:\n%s", out)
	}
	if out := run("SET autocommit=0; INSERT INTO t (name) VALUES ('lost'); SELECT COUNT(*) FROM t; ROLLBACK; SELECT COUNT(*) AS n FROM t"); !strings.Contains(out, "COUNT(*)\n3") || !strings.Contains(out, "n\n2") {
		t.Errorf("autocommit=0:\n%s", out)
	}
}
