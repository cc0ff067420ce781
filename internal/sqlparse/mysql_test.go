package sqlparse

import (
	"errors"
	"strings"
	"testing"
)

func TestMySQL(t *testing.T) {
	tests := []parseCase{
		{"SELECT 1", KindSelect, "", ""},
		{"SELECT a FROM t JOIN shop.u ON t.id = u.id WHERE x IN (SELECT y FROM v)", KindSelect, "shop.u:read t:read v:read", ""},
		{"WITH c AS (SELECT * FROM base) SELECT * FROM c", KindSelect, "base:read", ""},
		{"INSERT INTO t (a) SELECT b FROM u", KindInsert, "t:insert u:read", ""},
		{"REPLACE INTO t VALUES (1)", KindInsert, "t:delete t:insert", ""},
		{"UPDATE t SET a = 1 WHERE id = 2", KindUpdate, "t:update", ""},
		{"UPDATE t JOIN u ON t.id = u.id SET t.a = u.b", KindUpdate, "t:update u:read", ""},
		{"UPDATE t AS x JOIN u ON x.id = u.id SET x.a = 1", KindUpdate, "t:update u:read", ""},
		{"DELETE FROM t WHERE id = 1", KindDelete, "t:delete", ""},
		{"DELETE a FROM t AS a JOIN u ON a.id = u.id", KindDelete, "t:delete u:read", ""},
		{"CREATE TABLE x (a INT)", KindDDL, "x:ddl", ""},
		{"CREATE TABLE x AS SELECT * FROM t", KindDDL, "t:read x:ddl", ""},
		{"DROP TABLE x, s.y", KindDDL, "s.y:ddl x:ddl", ""},
		{"TRUNCATE TABLE t", KindDDL, "t:ddl", ""},
		{"GRANT SELECT ON db.t TO 'bob'@'%'", KindDCL, "", ""},
		{"BEGIN", KindTCL, "", ""},
		{"SET @a = 1", KindUtility, "", ""},
		{"SHOW TABLES", KindUtility, "", ""},
		{"LOAD DATA LOCAL INFILE '/etc/passwd' INTO TABLE t", KindCopy, "t:insert", ""},
		{"CALL p(1)", KindCall, "", "p"},
		{"SELECT SLEEP(5), BENCHMARK(10, MD5('a'))", KindSelect, "", "benchmark md5 sleep"},
		{"SELECT LOAD_FILE('/etc/passwd')", KindSelect, "", "load_file"},
		{"SELECT * FROM mysql.user", KindSelect, "mysql.user:read", ""},
	}
	checkParses(t, MySQL, tests)
	sts, err := MySQL("SELECT * FROM t INTO OUTFILE '/tmp/x'")
	if err != nil || !sts[0].SelectInto {
		t.Errorf("INTO OUTFILE: %v %+v", err, sts)
	}
	sts, err = MySQL("SELECT 1 FROM a; UPDATE b SET x = 'y'")
	if err != nil || len(sts) != 2 || sts[1].Kind != KindUpdate {
		t.Fatalf("multi: %v %+v", err, sts)
	}
	a, _ := MySQL("SELECT * FROM t WHERE id = 1")
	b, _ := MySQL("select *  from t where id = 42")
	if a[0].Fingerprint != b[0].Fingerprint {
		t.Error("literals change the fingerprint")
	}
	if _, err := MySQL("SELEC 1"); !errors.Is(err, ErrSyntax) {
		t.Fatalf("syntax error: %v", err)
	}
}

func FuzzMySQL(f *testing.F) {
	for _, s := range []string{"SELECT 1", "DELETE a FROM t a JOIN u", "UPDATE t SET a=1; SELECT @x", "LOAD DATA INFILE 'x' INTO TABLE t", "WITH c AS (SELECT 1) SELECT * FROM c"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, sql string) {
		sts, err := MySQL(sql)
		if err != nil {
			return
		}
		for _, st := range sts {
			if st.Kind == "" {
				t.Fatalf("no kind for %q", st.Text)
			}
		}
	})
}

func TestMySQLParserPanicIsASyntaxError(t *testing.T) {
	// TiDB's decimal conversion panics on integers of more than 81 digits.
	_, err := MySQL("SELECT " + strings.Repeat("1", 90))
	if !errors.Is(err, ErrSyntax) {
		t.Fatalf("err = %v, want a syntax error", err)
	}
}
