package sqlparse

import (
	"errors"
	"slices"
	"testing"
)

// The statements of a procedure body count as the procedure's, with the
// action each does, through control flow, handlers, cursors and the
// conditions' subqueries.
func TestProcedureBody(t *testing.T) {
	for _, c := range []struct {
		sql, tables string
	}{
		{"CREATE PROCEDURE p() BEGIN SELECT * FROM t; END", "t:read"},
		{"CREATE PROCEDURE p() SELECT s FROM secrets", "secrets:read"},
		{"CREATE PROCEDURE p(IN a INT) BEGIN DECLARE x INT DEFAULT (SELECT max(id) FROM d); DECLARE CONTINUE HANDLER FOR SQLEXCEPTION UPDATE h SET v = 1; IF a > 0 THEN INSERT INTO t VALUES (a); ELSEIF a < 0 THEN DELETE FROM u; ELSE UPDATE w SET v = 2; END IF; WHILE x < (SELECT count(*) FROM c) DO SET x = x + 1; END WHILE; END",
			"d:read h:update t:insert u:delete w:update c:read"},
		{"CREATE PROCEDURE p() BEGIN DECLARE c CURSOR FOR SELECT a FROM cur; OPEN c; CLOSE c; END", "cur:read"},
		{"CREATE PROCEDURE p() BEGIN REPEAT DELETE FROM r; UNTIL (SELECT 1 FROM u2) END REPEAT; END", "r:delete u2:read"},
		{"CREATE PROCEDURE p(a INT) BEGIN CASE a WHEN 1 THEN SELECT * FROM k1; ELSE SELECT * FROM k2; END CASE; END", "k1:read k2:read"},
	} {
		sts, err := MySQL(c.sql)
		if err != nil {
			t.Fatalf("%q: %v", c.sql, err)
		}
		st := sts[0]
		var got []string
		for _, tb := range st.Tables {
			got = append(got, tb.Name+":"+string(tb.Action))
		}
		want := splitWords(c.tables)
		slices.Sort(got)
		slices.Sort(want)
		if st.Kind != KindDDL || st.StoredProgram != "procedure" || !slices.Equal(got, want) {
			t.Errorf("%q: kind %s program %q tables %v, want %v", c.sql, st.Kind, st.StoredProgram, got, want)
		}
	}
	sts, err := MySQL("CREATE PROCEDURE p() BEGIN GRANT ALL ON *.* TO x; END")
	if err == nil && sts[0].Privileged == "" {
		t.Error("GRANT in a procedure body is not privileged")
	}
}

func splitWords(s string) []string {
	var out []string
	w := ""
	for _, r := range s + " " {
		if r == ' ' {
			if w != "" {
				out = append(out, w)
			}
			w = ""
			continue
		}
		w += string(r)
	}
	return out
}

// Stored programs the parser does not read are recognised by their words:
// one statement, its body's semicolons inside BEGIN … END.
func TestMySQLStoredProgram(t *testing.T) {
	for _, c := range []struct {
		sql          string
		ok           bool
		verb, object string
		name         string
		refused      bool
	}{
		{"CREATE FUNCTION f(a INT) RETURNS INT RETURN a + 1", true, "create", "function", "f", false},
		{"create or replace function `db`.`f`() returns int begin return 1; end", true, "create", "function", "db.f", false},
		{"CREATE DEFINER=CURRENT_USER() TRIGGER tr BEFORE INSERT ON t FOR EACH ROW BEGIN IF NEW.a < 0 THEN SIGNAL SQLSTATE '45000'; END IF; SET NEW.b = CASE WHEN NEW.a > 1 THEN 1 ELSE 0 END; END;", true, "create", "trigger", "tr", false},
		{"CREATE EVENT IF NOT EXISTS e ON SCHEDULE EVERY 1 HOUR DO DELETE FROM t", true, "create", "event", "e", false},
		{"CREATE AGGREGATE FUNCTION g(x INT) RETURNS INT BEGIN DECLARE s INT DEFAULT 0; DECLARE CONTINUE HANDLER FOR NOT FOUND RETURN s; LOOP FETCH GROUP NEXT ROW; SET s = s + x; END LOOP; END", true, "create", "function", "g", false},
		{"DROP TRIGGER IF EXISTS tr", true, "drop", "trigger", "tr", false},
		{"ALTER PROCEDURE p COMMENT 'x'", true, "alter", "procedure", "p", false},
		{"/* note */ CREATE PROCEDURE p() BEGIN SELECT ';'; END", true, "create", "procedure", "p", false},
		{"CREATE FUNCTION f() RETURNS INT RETURN 1; DROP TABLE t", true, "create", "function", "f", true},
		{"CREATE FUNCTION f() RETURNS INT BEGIN RETURN 1; END; SELECT 1", true, "create", "function", "f", true},
		{"CREATE DEFINER='root'@'%' PROCEDURE p() SELECT 1", true, "create", "procedure", "p", true},
		{"CREATE FUNCTION f RETURNS STRING SONAME 'x.so'", true, "create", "function", "f", true},
		{"CREATE FUNCTION f() RETURNS INT BEGIN RETURN 1;", true, "create", "function", "f", true},
		{"CREATE TABLE t (a INT)", false, "", "", "", false},
		{"ALTER TRIGGER tr", false, "", "", "", false},
		{"SELECT 'CREATE FUNCTION f'", false, "", "", "", false},
	} {
		sp, ok, err := MySQLStoredProgram(c.sql)
		if ok != c.ok || c.refused != (err != nil) || err != nil && !errors.Is(err, ErrStoredProgram) {
			t.Errorf("%q: ok %v err %v, want ok %v refused %v", c.sql, ok, err, c.ok, c.refused)
			continue
		}
		if ok && (sp.Verb != c.verb || sp.Object != c.object || sp.Name != c.name) {
			t.Errorf("%q: %+v", c.sql, sp)
		}
	}
}
