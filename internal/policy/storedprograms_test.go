package policy

import (
	"context"
	"strings"
	"testing"
)

// Stored programs on MySQL: a procedure the parser reads needs ddl on the
// database and what its body's statements need; one it cannot read (a
// function, trigger, event, SIGNAL, labels, characteristics) needs ddl on
// the database and a session that runs as an identity's login (Backed),
// and is refused in forms that would smuggle a second statement or run
// as another account.
func TestStoredPrograms(t *testing.T) {
	p := policyFrom(t, classConfig, Options{})
	fn := "CREATE FUNCTION f(a INT) RETURNS INT DETERMINISTIC BEGIN DECLARE x INT DEFAULT 0; IF a > 0 THEN SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'no'; END IF; RETURN a + x; END"
	trigger := "CREATE TRIGGER tr BEFORE INSERT ON t FOR EACH ROW BEGIN IF NEW.a < 0 THEN SET NEW.a = CASE WHEN NEW.a < -10 THEN 0 ELSE -NEW.a END; END IF; END"
	for _, c := range []struct {
		user   string
		backed bool
		sql    string
		want   string // "" allowed, else part of the denial's message
	}{
		// Parsed: the body's tables are checked as if run directly.
		{"ddl", false, "CREATE PROCEDURE p() BEGIN SELECT a FROM t; END", ""},
		{"ddl", false, "CREATE PROCEDURE p() BEGIN DECLARE c CURSOR FOR SELECT a FROM t; OPEN c; CLOSE c; END", ""},
		{"ins", true, "CREATE PROCEDURE p() BEGIN SELECT a FROM t; END", "no ddl grant on database shop"},
		{"ups", true, "CREATE PROCEDURE p() BEGIN SELECT a FROM t; END", "no ddl grant"},
		// (The parser does not read GRANT or INTO OUTFILE in a body: the
		// unread path refuses them without an identity.)
		{"ddl", false, "CREATE PROCEDURE p() BEGIN GRANT ALL ON *.* TO x; END", "refused"},
		{"ddl", false, "CREATE PROCEDURE p() BEGIN SET GLOBAL max_connections = 1; END", "no admin grant"},
		{"ddl", false, "CREATE PROCEDURE p() BEGIN SELECT a INTO OUTFILE '/tmp/x' FROM t; END", "refused"},
		{"ddl", false, "CREATE PROCEDURE p() BEGIN WHILE (SELECT count(*) FROM mysql.user) > 0 DO SELECT 1; END WHILE; END", "mysql.user"},
		// Not parsed: ddl on the database and an identity.
		{"ddl", true, fn, ""},
		{"ddl", false, fn, "runs only for roles with an identity"},
		{"ins", true, fn, "no ddl grant on database shop (CREATE FUNCTION)"},
		{"ddl", true, trigger, ""},
		{"ins", true, trigger, "no ddl grant"},
		{"ddl", true, "CREATE EVENT e ON SCHEDULE EVERY 1 HOUR DO DELETE FROM t", ""},
		{"ddl", true, "CREATE PROCEDURE p() SQL SECURITY INVOKER BEGIN l: LOOP LEAVE l; END LOOP; END;", ""},
		{"ddl", true, "DROP FUNCTION IF EXISTS f", ""},
		{"ddl", true, "CREATE DEFINER = CURRENT_USER FUNCTION f() RETURNS INT RETURN 1", ""},
		{"dba", true, "CREATE DEFINER = `root`@`localhost` FUNCTION f() RETURNS INT RETURN 1", "DEFINER other than CURRENT_USER"},
		{"dba", true, "CREATE FUNCTION f() RETURNS INT RETURN 1; DROP TABLE t", "statement of its own"},
		{"dba", true, "CREATE FUNCTION f() RETURNS INT BEGIN RETURN 1; END; DROP TABLE t", "statement of its own"},
		{"dba", true, "CREATE FUNCTION f() RETURNS INT BEGIN RETURN 1; END END; DROP TABLE t", "END without BEGIN"},
		{"dba", true, "CREATE FUNCTION f RETURNS STRING SONAME 'udf.so'", "loads code"},
		// Other text the parser cannot read stays refused.
		{"dba", true, "CREATE FUNKTION f", "could not be parsed"},
	} {
		dec := p.Check(context.Background(), Request{User: c.user, Roles: classRoles[c.user], Database: "shop", Dialect: MySQL,
			SQL: c.sql, DefaultSchema: "shop", Backed: c.backed})
		switch {
		case c.want == "" && dec.Denial != nil:
			t.Errorf("%s (backed %v) %q: %s", c.user, c.backed, c.sql, dec.Denial.Message)
		case c.want != "" && dec.Denial == nil:
			t.Errorf("%s (backed %v) %q: allowed, want %q", c.user, c.backed, c.sql, c.want)
		case c.want != "" && !strings.Contains(dec.Denial.Message, c.want):
			t.Errorf("%s (backed %v) %q: %s, want %q", c.user, c.backed, c.sql, dec.Denial.Message, c.want)
		}
	}
}
