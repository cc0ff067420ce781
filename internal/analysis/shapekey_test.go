package analysis

import "testing"

func TestShapeKey(t *testing.T) {
	for _, tt := range []struct {
		d    Dialect
		a, b string
		same bool // equal keys (and both simple)
	}{
		{Postgres, "SELECT * FROM t WHERE id = 1 AND name = 'x'", "SELECT * FROM t WHERE id = 42 AND name = 'yz'", true},
		{MySQL, `SELECT * FROM t WHERE name = "x"`, `SELECT * FROM t WHERE name = "y"`, true},
		{Postgres, "SELECT * FROM t WHERE id = 1", "SELECT * FROM t2 WHERE id = 1", false},
		{Postgres, "SELECT * FROM t WHERE a = 'x'", "SELECT * FROM t WHERE a = 'x' -- c", false},
		// Literals a parser could read differently are never shared.
		{Postgres, "SELECT 'a' FROM t", `SELECT 'a\' FROM secrets --' FROM t`, false},
		{MySQL, "SELECT 'a' FROM t", `SELECT 'a\' FROM t`, false},
		{Postgres, "SELECT 1 /* /* */ , 'x' FROM t", "SELECT 1 /* /* */ , '*/ , secret' FROM t", false},
		{Postgres, "SELECT 'x' FROM t", "SELECT $q$x$q$ FROM t", false},
		{Postgres, "SELECT 'a''b'", "SELECT 'ab'", false},
		{Postgres, "SELECT 1e5", "SELECT 1", false},
		// Comments the server ends elsewhere than the lexer, with a quote
		// inside, would put a literal's contents on the server's code side.
		{MySQL, "SELECT a FROM t WHERE id = 1--'\n' AND a <> '\n--'", "SELECT a FROM t WHERE id = 1--'\n' UNION SELECT s FROM secret WHERE s <> '\n--'", false},
		{MySQL, "SELECT a FROM t WHERE id = 1--x\n", "SELECT a FROM t WHERE id = 2--x\n", false},
		{MySQL, "SELECT a FROM t WHERE id = 1 -- x\n", "SELECT a FROM t WHERE id = 2 -- x\n", true},
		{MySQL, "SELECT a /*! # */ FROM t WHERE id = 1", "SELECT a /*! # */ FROM t WHERE id = 2", false},
		{MySQL, "SELECT a /*!50000 SQL_NO_CACHE */ FROM t WHERE id = 1", "SELECT a /*!50000 SQL_NO_CACHE */ FROM t WHERE id = 2", true},
		{Postgres, "SELECT a FROM t WHERE a = /* /* */ -- */ '\n' AND a <> '\n/* /* */ -- */ '", "SELECT a FROM t WHERE a = /* /* */ -- */ '\n' UNION SELECT s FROM secret WHERE s <> '\n/* /* */ -- */ '", false},
		{Postgres, "SELECT a FROM t /* a 'quoted' note */ WHERE id = 1", "SELECT a FROM t /* a 'quoted' note */ WHERE id = 2", false},
		{Postgres, "SELECT a FROM t /* app=web */ WHERE id = 1", "SELECT a FROM t /* app=web */ WHERE id = 2", true},
		{Postgres, "SELECT a FROM t WHERE id = 1 -- x\r\n", "SELECT a FROM t WHERE id = 2 -- x\r\n", false},
		{MySQL, "SELECT a FROM t WHERE id = 1 #/* x\n", "SELECT a FROM t WHERE id = 2 #/* x\n", false},
		{Postgres, "SELECT a FROM t WHERE id = 1 -- note\n", "SELECT a FROM t WHERE id = 2 -- note\n", true},
		// UESCAPE's string decides which identifier U&"…" names: with
		// '!', U&"s!0061laries" is salaries; with '#', s!0061laries.
		{Postgres, `SELECT * FROM U&"s!0061laries" UESCAPE '#'`, `SELECT * FROM U&"s!0061laries" UESCAPE '!'`, false},
		{Postgres, `SELECT U&"pg_read_fil!0065" UESCAPE '#' ('/etc/passwd')`, `SELECT U&"pg_read_fil!0065" uescape '!' ('/etc/passwd')`, false},
		{Postgres, `SELECT U&'d!0061ta' UESCAPE '#' FROM t`, `SELECT U&'d!0061ta' UESCAPE '!' FROM t`, false},
		// The empty string is no alias to the MySQL parser, an alias to
		// the server: it does not share with another string.
		{MySQL, "SELECT email AS '' FROM customers ORDER BY id", "SELECT email AS 'id' FROM customers ORDER BY id", false},
		{MySQL, "SELECT a FROM t WHERE b = ''", "SELECT a FROM t WHERE b = ''", true},
		// A number run together with a word is an identifier to MySQL.
		{MySQL, "SELECT 1.5abc FROM t", "SELECT 1abc FROM t", false},
		{MySQL, "SELECT t.1abc FROM t", "SELECT t.2abc FROM t", false},
	} {
		ka, _, oka := ShapeKey(tt.d, tt.a)
		kb, _, okb := ShapeKey(tt.d, tt.b)
		if same := oka && okb && ka == kb; same != tt.same {
			t.Errorf("%q vs %q: same=%v (ok %v %v)", tt.a, tt.b, same, oka, okb)
		}
	}
}
