package sqlite

import (
	"context"
	"log/slog"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/floe-db/floe/internal/sqlerr"
)

// The MySQL text → SQLite text the translation prints.
func TestTranslateMySQLText(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{`SELECT 'a\'b', "x""y", _binary'ab'`, "SELECT 'a''b' AS `a'b`,'x\"y' AS `x\"y`,X'6162' AS `ab`"},
		{`select a from t where b = ? and c <=> ? limit 2, 3`, "SELECT `a` FROM `t` WHERE ((`b` = ?1) AND ((`c`) IS (?2))) LIMIT 2,3"},
		{`SELECT CONCAT(a, 'x')`, "SELECT ((`a`) || ('x')) AS `CONCAT(a, 'x')`"},
		{`SELECT NOW(), CURDATE(), DATABASE(), @@version_comment, @v`, "SELECT datetime('now') AS `NOW()`,date('now') AS `CURDATE()`,?1 AS `DATABASE()`,?2 AS `@@version_comment`,?3 AS `@v`"},
		{`SELECT 7 DIV 2, TRUE, a || b FROM t`, "SELECT CAST((7) / (2) AS INTEGER) AS `7 DIV 2`,1 AS `TRUE`,(`a` OR `b`) AS `a || b` FROM `t`"},
		{`SELECT x FROM t WHERE n LIKE 'a\_%' FOR UPDATE`, "SELECT `x` FROM `t` WHERE ((`n`) LIKE ('a\\_%') ESCAPE '\\')"},
		{`INSERT INTO t (a, b) VALUES (1, ?) ON DUPLICATE KEY UPDATE b = VALUES(b)`, "INSERT INTO `t` (`a`, `b`) VALUES (1, ?1) ON CONFLICT DO UPDATE SET `b` = excluded.`b`"},
		{`INSERT IGNORE INTO t SET a = 1`, "INSERT OR IGNORE INTO `t` (`a`) VALUES (1)"},
		{`CREATE TABLE t (id INT AUTO_INCREMENT PRIMARY KEY, n VARCHAR(20) NOT NULL DEFAULT 'x' COMMENT 'c', KEY k (n)) ENGINE=InnoDB`,
			"CREATE TABLE `t` (`id` INTEGER PRIMARY KEY AUTOINCREMENT, `n` VARCHAR(20) NOT NULL DEFAULT 'x'); CREATE INDEX `t.k` ON `t` (`n`)"},
		{`START TRANSACTION`, "BEGIN"},
		{`TRUNCATE TABLE t`, "DELETE FROM `t`"},
		{`SELECT a FROM t USE INDEX (i) WHERE a > 1`, "SELECT `a` FROM `t` WHERE (`a` > 1)"},
		{`DROP TABLE IF EXISTS a, b`, "DROP TABLE IF EXISTS `a`; DROP TABLE IF EXISTS `b`"},
	} {
		st := translateMySQL(tc.in)
		if len(st) != 1 || st[0].My == nil || st[0].My.Err != nil {
			t.Errorf("%s: %+v", tc.in, st)
			continue
		}
		if st[0].SQL != tc.want {
			t.Errorf("%s:\n got %s\nwant %s", tc.in, st[0].SQL, tc.want)
		}
	}
}

// Database qualifiers are dropped (and listed for the front end to
// check); the catalog's are kept.
func TestTranslateMySQLSchemas(t *testing.T) {
	st := translateMySQL("SELECT shop.t.a, c.table_name FROM shop.t JOIN information_schema.columns AS c ON c.table_name = 't'")[0]
	want := "SELECT `t`.`a`,`c`.`table_name` FROM `t` JOIN `information_schema`.`columns` AS `c` ON (`c`.`table_name` = 't')"
	if st.SQL != want || st.My == nil || len(st.My.Schemas) != 1 || st.My.Schemas[0] != "shop" {
		t.Fatalf("%s\nwant %s\n%+v", st.SQL, want, st.My)
	}
}

// Constructs SQLite cannot run are refused with 0A000, naming them; the
// session statements are left to the front end.
func TestTranslateMySQLRefusals(t *testing.T) {
	for in, what := range map[string]string{
		"SELECT FOUND_ROWS()":                                  "FOUND_ROWS()",
		"SELECT SQL_CALC_FOUND_ROWS * FROM t":                  "SQL_CALC_FOUND_ROWS",
		"CREATE DATABASE d":                                    "CREATE DATABASE",
		"UPDATE t SET a = 1 ORDER BY a LIMIT 1":                "UPDATE … ORDER BY/LIMIT",
		"DELETE a FROM a JOIN b ON a.id = b.id":                "multi-table DELETE",
		"SELECT a FROM t INTO OUTFILE '/tmp/x'":                "SELECT … INTO",
		"SELECT GROUP_CONCAT(DISTINCT a SEPARATOR ';') FROM t": "GROUP_CONCAT(DISTINCT",
	} {
		st := translateMySQL(in)
		if len(st) != 1 || st[0].My == nil || st[0].My.Err == nil {
			t.Errorf("%s: not refused: %+v", in, st)
			continue
		}
		se, ok := sqlerr.As(st[0].My.Err)
		if !ok || se.Code != sqlerr.FeatureNotSupported || !strings.Contains(se.Message, what) || !strings.Contains(se.Message, "not supported by the embedded SQLite engine") {
			t.Errorf("%s: %v", in, st[0].My.Err)
		}
	}
	for _, in := range []string{"SET autocommit = 0", "SHOW TABLES", "DESCRIBE t", "PREPARE s FROM 'SELECT 1'", "EXECUTE s USING @a", "DEALLOCATE PREPARE s", "USE d"} {
		if st := translateMySQL(in); len(st) != 1 || st[0].My == nil || st[0].My.Local == nil {
			t.Errorf("%s: not left to the front end: %+v", in, st)
		}
	}
	// A text the parser cannot read goes on as the lexer splits it.
	if st := translateMySQL("SELEC 1; SELECT 2"); len(st) != 2 || st[0].My != nil {
		t.Errorf("unparseable: %+v", st)
	}
}

// The translated statements run on SQLite and give MySQL's values.
func TestTranslateMySQLValues(t *testing.T) {
	ctx := context.Background()
	e, err := Open(ctx, "lite", filepath.Join(t.TempDir(), "t.db"), slog.New(slog.DiscardHandler), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	one := func(q string, args ...any) any {
		t.Helper()
		st := translateMySQL(q)
		if len(st) != 1 || st[0].My == nil || st[0].My.Err != nil {
			t.Fatalf("%s: %+v", q, st)
		}
		var v any
		if err := e.DB().QueryRowContext(ctx, st[0].SQL, args...).Scan(&v); err != nil {
			t.Fatalf("%s (%s): %v", q, st[0].SQL, err)
		}
		if b, ok := v.([]byte); ok && !strings.Contains(q, "_binary") {
			v = string(b)
		}
		return v
	}
	for q, want := range map[string]any{
		`SELECT CONCAT('a', NULL)`:                          nil,
		`SELECT CONCAT('a', 'b', 1)`:                        "ab1",
		`SELECT 'it\'s'`:                                    "it's",
		`SELECT "dq ""x"""`:                                 `dq "x"`,
		`SELECT 'back\\slash'`:                              `back\slash`,
		`SELECT 'a\' OR 1=1 -- '`:                           `a' OR 1=1 -- `,
		`SELECT "a\" OR 1=1 -- "`:                           `a" OR 1=1 -- `,
		`SELECT 'x' /* ' */`:                                "x",
		"SELECT 'nul\\0byte'":                               "nul\x00byte",
		`SELECT IF(1 > 2, 'y', 'n')`:                        "n",
		`SELECT 7 DIV 2`:                                    int64(3),
		`SELECT NULL <=> NULL`:                              int64(1),
		`SELECT 'abc' LIKE 'A%'`:                            int64(1),
		`SELECT 'abc' LIKE 'a\_c'`:                          int64(0),
		`SELECT 'a_c' LIKE 'a\_c'`:                          int64(1),
		`SELECT TRUE + TRUE`:                                int64(2),
		`SELECT DATE_ADD('2020-01-31', INTERVAL 1 MONTH)`:   "2020-02-29",
		`SELECT '2020-01-31 10:00:00' - INTERVAL 90 MINUTE`: "2020-01-31 08:30:00",
		`SELECT DATE_SUB('2024-03-01', INTERVAL 1 DAY)`:     "2024-02-29",
		`SELECT DATE_FORMAT('2024-03-05 14:07:09', '%Y/%m/%d %H:%i:%s %W %b %D %p')`: "2024/03/05 14:07:09 Tuesday Mar 5th PM",
		`SELECT DATEDIFF('2024-03-01', '2024-02-01')`:                                int64(29),
		`SELECT UNIX_TIMESTAMP('1970-01-02 00:00:00')`:                               int64(86400),
		`SELECT FROM_UNIXTIME(86400)`:                                                "1970-01-02 00:00:00",
		`SELECT TIMESTAMPDIFF(MONTH, '2024-01-31', '2024-02-29')`:                    int64(0),
		`SELECT TIMESTAMPDIFF(DAY, '2024-01-31', '2024-02-29')`:                      int64(29),
		`SELECT CONCAT_WS('-', 'a', NULL, 'b')`:                                      "a-b",
		`SELECT LEFT('hello', 2)`:                                                    "he",
		`SELECT RIGHT('hello', 3)`:                                                   "llo",
		`SELECT LPAD('5', 3, '0')`:                                                   "005",
		`SELECT RPAD('ab', 5, 'xy')`:                                                 "abxyx",
		`SELECT REPEAT('ab', 2)`:                                                     "abab",
		`SELECT REVERSE('abc')`:                                                      "cba",
		`SELECT LOCATE('b', 'abcb', 3)`:                                              int64(4),
		`SELECT INSTR('abc', 'c')`:                                                   int64(3),
		`SELECT SUBSTRING_INDEX('a.b.c', '.', 2)`:                                    "a.b",
		`SELECT SUBSTRING_INDEX('a.b.c', '.', -1)`:                                   "c",
		`SELECT LENGTH('é')`:                                                         int64(2),
		`SELECT CHAR_LENGTH('é')`:                                                    int64(1),
		`SELECT 'Abc' REGEXP '^a'`:                                                   int64(1),
		`SELECT YEAR('2024-03-05') * 100 + MONTH('2024-03-05 10:11:12')`:             int64(202403),
		`SELECT DAYOFWEEK('2024-03-05')`:                                             int64(3),
		`SELECT WEEKDAY('2024-03-05')`:                                               int64(1),
		`SELECT HOUR('2024-03-05 10:11:12') * 100 + MINUTE('2024-03-05 10:11:12')`:   int64(1011),
		`SELECT GREATEST(1, 5, 3) + LEAST(4, 2)`:                                     int64(7),
		`SELECT GREATEST(1, NULL)`:                                                   nil,
		`SELECT ROUND(2.567, 1) * 10`:                                                float64(26),
		`SELECT FLOOR(2.5) + CEIL(2.5) + ABS(-1)`:                                    float64(6),
		`SELECT 'A' = 'a' COLLATE utf8mb4_general_ci`:                                int64(1),
		`SELECT 'A' = 'a' COLLATE utf8mb4_bin`:                                       int64(0),
		`SELECT 1 FROM DUAL`:                                                         int64(1),
		`SELECT CAST('12abc' AS SIGNED)`:                                             int64(12),
		`SELECT GROUP_CONCAT(x ORDER BY x DESC SEPARATOR '; ') FROM (SELECT 1 AS x UNION SELECT 2 UNION SELECT 3) AS t`: "3; 2; 1",
		`SELECT GROUP_CONCAT(x) FROM (SELECT 'a' AS x UNION SELECT 'b') AS t`:                                           "a,b",
	} {
		if got := one(q); got != want {
			t.Errorf("%s: %#v want %#v", q, got, want)
		}
	}
	if got := one(`SELECT _binary'ab'`); string(got.([]byte)) != "ab" {
		t.Errorf("_binary: %#v", got)
	}
	if got := one(`SELECT NOW()`); !regexp.MustCompile(`^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$`).MatchString(got.(string)) {
		t.Errorf("NOW(): %q", got)
	}
	// Session values bind after the client's parameters.
	st := translateMySQL("SELECT ? + 1, DATABASE()")[0]
	if st.NParams != 1 || len(st.My.Values) != 1 || st.My.Values[0] != "database" {
		t.Fatalf("values: %+v %+v", st, st.My)
	}
	var n int64
	var db string
	if err := e.DB().QueryRowContext(ctx, st.SQL, 41, "shop").Scan(&n, &db); err != nil || n != 42 || db != "shop" {
		t.Fatalf("bound: %d %q %v", n, db, err)
	}
	// DDL and upserts take effect as in MySQL.
	exec := func(q string) {
		t.Helper()
		for _, st := range translateMySQL(q) {
			if st.My == nil || st.My.Err != nil {
				t.Fatalf("%s: %+v", q, st)
			}
			if _, err := e.DB().ExecContext(ctx, st.SQL); err != nil {
				t.Fatalf("%s (%s): %v", q, st.SQL, err)
			}
		}
	}
	exec("CREATE TABLE items (id INT AUTO_INCREMENT PRIMARY KEY, code VARCHAR(8) NOT NULL UNIQUE, qty INT DEFAULT 0, at DATETIME DEFAULT CURRENT_TIMESTAMP) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4")
	exec("INSERT INTO items (code, qty) VALUES ('a', 1), ('b', 2)")
	exec("INSERT INTO items (code, qty) VALUES ('a', 5) ON DUPLICATE KEY UPDATE qty = qty + VALUES(qty)")
	exec("INSERT IGNORE INTO items (code, qty) VALUES ('b', 9)")
	var qa, qb int64
	var at string
	if err := e.DB().QueryRowContext(ctx, "SELECT (SELECT qty FROM items WHERE code = 'a'), (SELECT qty FROM items WHERE code = 'b'), (SELECT at FROM items WHERE id = 1)").Scan(&qa, &qb, &at); err != nil || qa != 6 || qb != 2 || len(at) < 19 {
		t.Fatalf("upserts: a=%d b=%d at=%q %v", qa, qb, at, err)
	}
}

// Any MySQL text: printed as SQLite statements, refused with a SQLSTATE,
// left to the front end (session statements) or to the lexer.
func FuzzTranslateMySQL(f *testing.F) {
	for _, q := range []string{
		"SELECT a, COUNT(*) FROM t GROUP BY a ORDER BY 2 DESC LIMIT 1, 3",
		"INSERT INTO t (a, b) VALUES (?, 'x\\'y') ON DUPLICATE KEY UPDATE b = VALUES(b)",
		"SELECT NOW(), DATABASE(), VERSION(), @@autocommit, IF(a > 1, 'x', \"y\") FROM t",
		"CREATE TABLE t (id INT AUTO_INCREMENT PRIMARY KEY, d DECIMAL(10,2), KEY k (d))",
		"SET autocommit = 0, NAMES utf8mb4",
		"SELECT _binary'ab\\0c', GROUP_CONCAT(a ORDER BY a SEPARATOR ';') FROM t",
	} {
		f.Add(q)
	}
	f.Fuzz(func(t *testing.T, q string) {
		for _, st := range translateMySQL(q) {
			if st.My != nil && st.My.Err != nil {
				if sqlerr.Code(st.My.Err) == "" {
					t.Fatalf("%q: error without a SQLSTATE: %v", q, st.My.Err)
				}
				continue
			}
			if st.SQL == "" && !st.Empty && (st.My == nil || st.My.Local == nil) {
				t.Fatalf("%q: empty statement %+v", q, st)
			}
		}
	})
}
