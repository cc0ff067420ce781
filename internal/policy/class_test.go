package policy

import (
	"context"
	"strings"
	"testing"

	"github.com/floe-db/floe/internal/sqlparse"
)

// classConfig gives each role exactly one kind of right, so that every
// statement below shows which right it needs.
const classConfig = `
databases:
  - {name: app, kind: postgres, primary: "postgres://u@127.0.0.1:5432/app"}
  - {name: shop, kind: mysql, primary: "mysql://u@127.0.0.1:3306/shop"}
users:
  - {name: ins, password: x, roles: [ins]}
  - {name: ups, password: x, roles: [ups]}
  - {name: rep, password: x, roles: [rep]}
  - {name: xml, password: x, roles: [ins, xml]}
  - {name: ddl, password: x, roles: [ddl]}
  - {name: seq, password: x, roles: [seq]}
  - {name: dba, password: x, roles: [dba]}
  - {name: ten, password: x, roles: [ten]}
roles:
  - name: ten
    grants:
      - {database: app, tables: [t], actions: [select, insert, update, delete]}
      - {database: shop, tables: [t], actions: [select, insert, update, delete]}
    row_filters:
      - {database: app, table: public.t, where: "a = 1"}
      - {database: shop, table: t, where: "a = 1"}
  - name: ins
    grants:
      - {database: app, tables: [t, s, secrets, "pg_catalog.*"], actions: [select, insert]}
      - {database: shop, tables: [t, s], actions: [select, insert]}
  - name: ups
    grants:
      - {database: app, tables: [t], actions: [select, insert, update]}
      - {database: shop, tables: [t], actions: [select, insert, update]}
  - name: rep
    grants:
      - {database: shop, tables: [t], actions: [select, insert, delete]}
  - name: xml
    grants:
      - {database: app, functions: [query_to_xml], actions: [execute]}
  - name: ddl
    grants:
      - {database: app, actions: [select, insert, update, delete, ddl]}
      - {database: shop, actions: [select, insert, update, delete, ddl]}
  - name: seq
    grants:
      - {database: app, tables: [s], actions: [select, update]}
      - {database: shop, tables: [s], actions: [select, update]}
  - name: dba
    grants:
      - {database: "*", actions: [all]}
`

var classRoles = map[string][]string{"ins": {"ins"}, "ups": {"ups"}, "rep": {"rep"}, "xml": {"ins", "xml"},
	"ddl": {"ddl"}, "seq": {"seq"}, "dba": {"dba"}, "ten": {"ten"}}

type classDecision struct {
	user, db, sql string
	want          string // "" allowed, else the deciding rule
	msg           string // part of the message
}

func checkClassDecisions(t *testing.T, p *Policy, cases []classDecision) {
	t.Helper()
	for _, tt := range cases {
		d, schema := Postgres, "public"
		if tt.db == "shop" {
			d, schema = MySQL, "shop"
		}
		dec := p.Check(context.Background(), Request{User: tt.user, Roles: classRoles[tt.user], Database: tt.db, Dialect: d, SQL: tt.sql, DefaultSchema: schema})
		got, msg := "", ""
		if dec.Denial != nil {
			got, msg = dec.Denial.Rule, dec.Denial.Message
			want := "42501"
			if got == "parse.ambiguous" {
				want = "0A000" // feature not supported: text the gateway cannot read
			}
			if dec.Denial.Code != want || dec.Denial.Errno == 0 {
				t.Errorf("%s@%s %q: codes %+v", tt.user, tt.db, tt.sql, dec.Denial)
			}
		}
		if got != tt.want || !strings.Contains(msg, tt.msg) {
			t.Errorf("%s@%s %q: got %q (%s), want %q (%s)", tt.user, tt.db, tt.sql, got, msg, tt.want, tt.msg)
		}
	}
}

// TestSQLRunningFunctions: functions that run SQL given as text (or read
// every table of a schema or database) need an execute grant, however
// they are named or wrapped.
func TestSQLRunningFunctions(t *testing.T) {
	p := policyFrom(t, classConfig, Options{})
	var cases []classDecision
	for _, sql := range []string{
		`SELECT query_to_xml('select * from secrets', true, true, '')`,
		`SELECT pg_catalog.query_to_xml('select 1', true, true, '')`,
		`SELECT "query_to_xml"('select 1', true, true, '')`,
		`SELECT "pg_catalog"."query_to_xml"('select 1', true, true, '')`,
		`SELECT PG_CATALOG.QUERY_TO_XML('select 1', true, true, '')`,
		`SELECT xpath('/row/a/text()', query_to_xml('select pg_read_file(''/etc/passwd'')', true, true, ''))`,
		`SELECT * FROM xmltable('/table/row' PASSING query_to_xml('select * from pg_authid', true, false, '') COLUMNS a text PATH 'rolpassword')`,
		`SELECT * FROM t WHERE a IN (SELECT (xpath('//a/text()', query_to_xml('select set_config(''x'',''y'',false)', true, true, '')))[1]::text)`,
		`WITH x AS (SELECT query_to_xml('select pg_sleep(10)', true, true, '') AS v) SELECT * FROM x`,
		`INSERT INTO t SELECT query_to_xml('select 1', true, true, '')::text`,
		`EXPLAIN ANALYZE SELECT query_to_xml('select 1', true, true, '')`,
		`PREPARE p1 AS SELECT query_to_xml('select 1', true, true, '')`,
		`DECLARE c1 CURSOR FOR SELECT query_to_xml('select 1', true, true, '')`,
		`VALUES (query_to_xml('select 1', true, true, ''))`,
		`SELECT query_to_xml_and_xmlschema('select 1', true, true, '')`,
		`SELECT query_to_xmlschema('select 1', true, true, '')`,
		`SELECT table_to_xml('secrets', true, true, '')`,
		`SELECT table_to_xml('pg_authid'::regclass, true, true, '')`,
		`SELECT table_to_xmlschema('secrets', true, true, '')`,
		`SELECT table_to_xml_and_xmlschema('secrets', true, true, '')`,
		`SELECT cursor_to_xml('c1', 10, true, true, '')`,
		`SELECT schema_to_xml('public', true, true, '')`,
		`SELECT database_to_xml(true, true, '')`,
		`SELECT database_to_xml_and_xmlschema(true, true, '')`,
		`SELECT * FROM ts_stat('select to_tsvector(secret) from secrets')`,
		`SELECT ts_rewrite('a'::tsquery, 'select ''a''::tsquery, ''b''::tsquery')`,
		`SELECT * FROM dblink('dbname=app', 'select * from secrets') AS r(a text)`,
		`SELECT * FROM crosstab('select * from secrets') AS r(a text)`,
		`SELECT pg_prepared_statement()`,
	} {
		cases = append(cases, classDecision{"ins", "app", sql, RuleGrant, "no execute grant on function"})
	}
	cases = append(cases,
		classDecision{"xml", "app", `SELECT query_to_xml('select 1', true, true, '')`, "", ""},
		classDecision{"xml", "app", `SELECT table_to_xml('secrets', true, true, '')`, RuleGrant, "function table_to_xml"},
		classDecision{"dba", "app", `SELECT query_to_xml('select 1', true, true, '')`, "", ""},
		// ordinary functions keep working
		classDecision{"ins", "app", `SELECT lower('A'), now(), count(*), coalesce(max(a), 0) FROM t`, "", ""},
		classDecision{"ins", "app", `SELECT xmlelement(name a, 'x'), to_tsvector('a b')`, "", ""},
		classDecision{"ins", "shop", `SELECT LOWER('A'), NOW(), COUNT(*) FROM t`, "", ""},
	)
	checkClassDecisions(t, p, cases)
}

// TestWriteClassification: upserts need update, REPLACE needs delete,
// MERGE needs each action it takes; plain inserts keep needing insert.
func TestWriteClassification(t *testing.T) {
	p := policyFrom(t, classConfig, Options{})
	checkClassDecisions(t, p, []classDecision{
		{"ins", "app", "INSERT INTO t VALUES (1)", "", ""},
		{"ins", "app", "INSERT INTO t VALUES (1) ON CONFLICT DO NOTHING", "", ""},
		{"ins", "app", "INSERT INTO t VALUES (1) ON CONFLICT (a) DO NOTHING", "", ""},
		{"ins", "app", "INSERT INTO t VALUES (1) ON CONFLICT (a) DO UPDATE SET a = excluded.a", RuleGrant, "no update grant on table t"},
		{"ins", "app", "WITH x AS (INSERT INTO t VALUES (1) ON CONFLICT (a) DO UPDATE SET a = 2 RETURNING a) SELECT * FROM x", RuleGrant, "no update grant on table t"},
		{"ups", "app", "INSERT INTO t VALUES (1) ON CONFLICT (a) DO UPDATE SET a = excluded.a", "", ""},
		{"ups", "app", "MERGE INTO t USING (SELECT 1 AS a) s ON t.a = s.a WHEN MATCHED THEN UPDATE SET a = 2 WHEN NOT MATCHED THEN INSERT VALUES (s.a)", "", ""},
		{"ups", "app", "MERGE INTO t USING (SELECT 1 AS a) s ON t.a = s.a WHEN MATCHED THEN DELETE", RuleGrant, "no delete grant on table t"},
		{"ins", "app", "MERGE INTO t USING (SELECT 1 AS a) s ON t.a = s.a WHEN NOT MATCHED THEN INSERT VALUES (s.a)", "", ""},
		{"ins", "app", "MERGE INTO t USING (SELECT 1 AS a) s ON t.a = s.a WHEN NOT MATCHED THEN INSERT VALUES (s.a) WHEN MATCHED THEN UPDATE SET a = 3", RuleGrant, "no update grant on table t"},
		{"ins", "app", "LOCK TABLE t IN ACCESS EXCLUSIVE MODE", RuleGrant, "no update grant on table t"},
		{"ins", "app", "LOCK TABLE t IN ACCESS SHARE MODE", "", ""},
		{"ins", "shop", "INSERT INTO t VALUES (1)", "", ""},
		{"ins", "shop", "INSERT IGNORE INTO t VALUES (1)", "", ""},
		{"ins", "shop", "INSERT INTO t VALUES (1) ON DUPLICATE KEY UPDATE a = 2", RuleGrant, "no update grant on table t"},
		{"ins", "shop", "INSERT INTO t SET a = 1 ON DUPLICATE KEY UPDATE a = VALUES(a)", RuleGrant, "no update grant on table t"},
		{"ups", "shop", "INSERT INTO t VALUES (1) ON DUPLICATE KEY UPDATE a = 2", "", ""},
		{"ins", "shop", "REPLACE INTO t VALUES (1)", RuleGrant, "no delete grant on table t"},
		{"ins", "shop", "REPLACE t SET a = 1", RuleGrant, "no delete grant on table t"},
		{"ups", "shop", "REPLACE INTO t VALUES (1)", RuleGrant, "no delete grant on table t"},
		{"rep", "shop", "REPLACE INTO t VALUES (1)", "", ""},
		// Row filters are not added to upserts: refused on filtered tables.
		{"ten", "app", "INSERT INTO t VALUES (2) ON CONFLICT (a) DO UPDATE SET a = excluded.a", "grant.row-filter", "row filter"},
		{"ten", "app", "WITH x AS (INSERT INTO t VALUES (2) ON CONFLICT (a) DO UPDATE SET a = 3 RETURNING a) SELECT * FROM x", "grant.row-filter", "row filter"},
		{"ten", "app", "MERGE INTO t USING (SELECT 2 AS a) s ON t.a = s.a WHEN MATCHED THEN DELETE", "grant.row-filter", "row filter"},
		{"ten", "app", "INSERT INTO t VALUES (2) ON CONFLICT DO NOTHING", "", ""},
		// An UPDATE may not assign the column the filter reads (it would
		// move the row out of the filter); other columns it may.
		{"ten", "app", "UPDATE t SET a = 5", "grant.row-filter", "which its row filter reads"},
		{"ten", "shop", "UPDATE t SET a = 5", "grant.row-filter", "which its row filter reads"},
		{"ten", "app", "UPDATE t SET b = 5", "", ""},
		{"ten", "shop", "UPDATE t SET b = 5", "", ""},
		{"ten", "shop", "INSERT INTO t VALUES (2) ON DUPLICATE KEY UPDATE a = 3", "grant.row-filter", "row filter"},
		{"ten", "shop", "REPLACE INTO t VALUES (2)", "grant.row-filter", "row filter"},
		{"ten", "shop", "INSERT IGNORE INTO t VALUES (2)", "", ""},
	})
}

// TestDDLClassification: every schema change needs ddl, changes beyond
// the database need admin, whatever the statement's node is called.
func TestDDLClassification(t *testing.T) {
	p := policyFrom(t, classConfig, Options{})
	var cases []classDecision
	for _, sql := range []string{
		"CREATE RULE r AS ON INSERT TO t DO INSTEAD NOTHING",
		"CREATE TEMP VIEW v AS SELECT * FROM t",
		"CREATE OR REPLACE VIEW t AS SELECT 1 AS a",
		"CREATE TRIGGER tr BEFORE INSERT ON t FOR EACH ROW EXECUTE FUNCTION f()",
		"CREATE POLICY pol ON t USING (true)",
		"ALTER TABLE t ENABLE ROW LEVEL SECURITY",
		"CREATE INDEX ON t (a)",
		"CREATE TYPE ty AS (a int)",
		"CREATE SEQUENCE sq",
		"TRUNCATE t",
	} {
		cases = append(cases, classDecision{"ins", "app", sql, RuleGrant, "no ddl grant on table"})
		cases = append(cases, classDecision{"ddl", "app", sql, "", ""})
	}
	for _, sql := range []string{
		"CREATE AGGREGATE agg (int) (sfunc = int4pl, stype = int)",
		"CREATE OPERATOR === (leftarg = text, rightarg = text, procedure = texteq)",
		"CREATE COLLATION c1 (locale = 'C')",
		"CREATE TEXT SEARCH DICTIONARY d1 (template = simple)",
		"CREATE FUNCTION f() RETURNS int LANGUAGE sql AS 'select 1'",
		"COMMENT ON FUNCTION f() IS 'x'",
	} {
		cases = append(cases, classDecision{"ins", "app", sql, RuleGrant, "no ddl grant on database app"})
		cases = append(cases, classDecision{"ddl", "app", sql, "", ""})
	}
	for _, sql := range []string{
		"SECURITY LABEL ON TABLE t IS 'x'",
		"IMPORT FOREIGN SCHEMA s FROM SERVER srv INTO public",
		"CREATE EXTENSION dblink",
		"CREATE SERVER srv FOREIGN DATA WRAPPER postgres_fdw",
		"CREATE USER MAPPING FOR CURRENT_USER SERVER srv",
		"CREATE FOREIGN TABLE ft (a int) SERVER srv",
		"CREATE SUBSCRIPTION sub CONNECTION 'host=x' PUBLICATION p",
		"CREATE PUBLICATION pub FOR ALL TABLES",
		"CREATE LANGUAGE plperlu",
		"CREATE EVENT TRIGGER e ON ddl_command_start EXECUTE FUNCTION f()",
		"CREATE DATABASE d",
		"DROP DATABASE app",
		"CREATE TABLESPACE ts LOCATION '/tmp'",
		"PREPARE TRANSACTION 'x'",
		"COMMIT PREPARED 'x'",
		"ROLLBACK PREPARED 'x'",
		"DROP OWNED BY bob",
		"ALTER FUNCTION f() OWNER TO bob",
		"CREATE FUNCTION g() RETURNS int LANGUAGE plpython3u AS 'return 1'",
	} {
		cases = append(cases, classDecision{"ddl", "app", sql, RuleGrant, "no admin grant on database app"})
		cases = append(cases, classDecision{"dba", "app", sql, "", ""})
	}
	for _, sql := range []string{
		"CREATE PROCEDURE p() BEGIN SELECT 1; END",
		"DROP PROCEDURE p",
		"CREATE VIEW v AS SELECT * FROM t",
	} {
		cases = append(cases, classDecision{"ins", "shop", sql, RuleGrant, "no ddl grant"})
		cases = append(cases, classDecision{"ddl", "shop", sql, "", ""})
	}
	for _, sql := range []string{
		"CREATE DATABASE d",
		"SPLIT TABLE t BETWEEN (0) AND (100) REGIONS 4",
		"BINLOG 'abc'",
	} {
		cases = append(cases, classDecision{"ddl", "shop", sql, RuleGrant, "no admin grant on database shop"})
	}
	// SQL text the parser cannot read is refused whoever asks; the text
	// of PREPARE … FROM '…' is checked as what it prepares.
	cases = append(cases, classDecision{"ddl", "shop", "PREPARE s FROM @q", "parse.ambiguous", "cannot check"},
		classDecision{"dba", "shop", "PREPARE s FROM @q", "parse.ambiguous", "cannot check"})
	// A search_path that reaches another schema would make unqualified
	// names resolve where the grants were not checked: pinned for every
	// role (see settings.go).
	for _, sql := range []string{
		"ALTER DATABASE app SET search_path = x",
		"SET search_path = private",
		"SET search_path TO public, private",
		`SET LOCAL search_path = "Public"`,
		"SET SESSION search_path = 'public,private'",
		"CREATE FUNCTION h() RETURNS int LANGUAGE sql SET search_path = private AS 'select 1'",
	} {
		cases = append(cases, classDecision{"ddl", "app", sql, "setting.pinned", "search_path"})
		cases = append(cases, classDecision{"dba", "app", sql, "setting.pinned", "search_path"})
	}
	// Session utilities keep working with any grant.
	for _, sql := range []string{"BEGIN", "COMMIT", "SET search_path = public", `SET search_path TO "$user", public`,
		"SET search_path = pg_catalog, public", "RESET search_path", "SET search_path TO DEFAULT", "SHOW work_mem", "LISTEN ch", "DISCARD ALL", "SET CONSTRAINTS ALL DEFERRED"} {
		cases = append(cases, classDecision{"ins", "app", sql, "", ""})
	}
	checkClassDecisions(t, p, cases)
}

// TestUnclassifiedNeedsAdmin: a statement no table names needs admin.
func TestUnclassifiedNeedsAdmin(t *testing.T) {
	st := sqlparse.Statement{Kind: sqlparse.KindUnclassified, Node: "FutureStmt"}
	ns := needs(Postgres, &st, true)
	if len(ns) != 1 || ns[0].act != actAdmin || ns[0].kind != 'd' || !strings.Contains(ns[0].why, "FutureStmt") {
		t.Fatalf("needs: %+v", ns)
	}
}

// TestLargeObjectsAndSequences: large-object functions need admin;
// nextval and setval need update on the sequence they name, or admin
// when the name is not a literal.
func TestLargeObjectsAndSequences(t *testing.T) {
	p := policyFrom(t, classConfig, Options{})
	var cases []classDecision
	for _, sql := range []string{
		"SELECT lo_create(0)",
		"SELECT lo_creat(-1)",
		"SELECT lowrite(lo_open(16400, 131072), 'x')",
		"SELECT loread(lo_open(16400, 262144), 100)",
		"SELECT lo_truncate(lo_open(16400, 131072), 0)",
		"SELECT lo_unlink(16400)",
		"SELECT lo_from_bytea(0, 'x')",
		"SELECT pg_catalog.lo_import('/etc/passwd')",
		"SELECT lo_export(16400, '/tmp/x')",
		"SELECT lo_get(16400)",
	} {
		cases = append(cases, classDecision{"ddl", "app", sql, RuleGrant, "(large object function"})
		cases = append(cases, classDecision{"dba", "app", sql, "", ""})
	}
	cases = append(cases,
		classDecision{"ins", "app", "SELECT nextval('s')", RuleGrant, "no update grant on table s"},
		classDecision{"ins", "app", "SELECT setval('public.s', 100)", RuleGrant, "no update grant on table public.s"},
		classDecision{"ins", "app", `SELECT pg_catalog.setval('"s"'::regclass, 100, false)`, RuleGrant, "no update grant on table s"},
		classDecision{"ins", "app", "SELECT nextval(16384)", RuleGrant, "not named by a literal"},
		classDecision{"seq", "app", "SELECT nextval(16384)", RuleGrant, "no admin grant"},
		classDecision{"seq", "app", "SELECT nextval('s'), setval('s', 5)", "", ""},
		classDecision{"seq", "app", "SELECT nextval('other')", RuleGrant, "no update grant on table other"},
		classDecision{"ins", "app", "SELECT currval('s')", "", ""},
		classDecision{"ins", "shop", "SELECT NEXTVAL(s)", RuleGrant, "no update grant on table s"},
		classDecision{"ins", "shop", "SELECT NEXT VALUE FOR s", RuleGrant, "no update grant on table s"},
		classDecision{"ins", "shop", "SELECT SETVAL(s, 10)", RuleGrant, "no update grant on table s"},
		classDecision{"seq", "shop", "SELECT NEXTVAL(s), SETVAL(s, 10)", "", ""},
	)
	checkClassDecisions(t, p, cases)
}

// TestReservedPreparedNames: the relay's statement names cannot be
// prepared, executed or dropped in SQL, and the catalogue views that
// list a shared connection's statements need admin.
func TestReservedPreparedNames(t *testing.T) {
	p := policyFrom(t, classConfig, Options{})
	var cases []classDecision
	for _, sql := range []string{
		"EXECUTE floe_0123456789abcdef01234567",
		"EXECUTE FLOE_0123456789abcdef01234567(1, 2)",
		`EXECUTE "floe_0123456789abcdef01234567"`,
		"PREPARE floe_0123456789abcdef01234567 AS SELECT * FROM t",
		"DEALLOCATE floe_0123456789abcdef01234567",
		"DEALLOCATE PREPARE floe_x",
		"SELECT 1; EXECUTE floe_x",
	} {
		cases = append(cases, classDecision{"dba", "app", sql, RulePrepared, "reserved for the gateway"})
	}
	for _, sql := range []string{"EXECUTE floe_x", "PREPARE floe_x FROM 'SELECT 1'", "DEALLOCATE PREPARE Floe_x"} {
		cases = append(cases, classDecision{"dba", "shop", sql, RulePrepared, "reserved for the gateway"})
	}
	cases = append(cases,
		classDecision{"ins", "app", "EXECUTE other", RulePrepared, "not prepared by this session"},
		classDecision{"ins", "shop", "EXECUTE other", RulePrepared, "not prepared by this session"},
		classDecision{"ins", "app", "PREPARE mine AS SELECT * FROM t; EXECUTE mine", "", ""},
		classDecision{"ins", "app", "DEALLOCATE other", "", ""}, // can only drop
		classDecision{"ins", "app", "DEALLOCATE ALL", "", ""},
		classDecision{"ins", "app", "SELECT * FROM pg_prepared_statements", RuleGrant, "catalogue view pg_prepared_statements"},
		classDecision{"ins", "app", "SELECT name FROM pg_catalog.pg_prepared_statements", RuleGrant, "pg_prepared_statements"},
		classDecision{"ins", "app", "SELECT * FROM pg_cursors", RuleGrant, "pg_cursors"},
		classDecision{"ins", "app", "SELECT * FROM pg_prepared_xacts", RuleGrant, "pg_prepared_xacts"},
		classDecision{"dba", "app", "SELECT * FROM pg_prepared_statements", "", ""},
		classDecision{"ins", "app", "SELECT relname FROM pg_class", "", ""},
	)
	checkClassDecisions(t, p, cases)
}

func TestGatePreparedNames(t *testing.T) {
	p := policyFrom(t, classConfig, Options{})
	src := func() *Policy { return p }
	for _, d := range []Dialect{Postgres, MySQL} {
		db, schema, prep := "app", "public", "PREPARE %s AS SELECT * FROM t"
		if d == MySQL {
			db, schema, prep = "shop", "shop", "PREPARE %s FROM 'SELECT * FROM t'"
		}
		user := "ins"
		if d == MySQL {
			user = "dba" // PREPARE from text needs admin there
		}
		base := Request{User: user, Roles: classRoles[user], Database: db, Dialect: d, DefaultSchema: schema}
		a, b := NewGate(src, base), NewGate(src, base)
		ctx := context.Background()
		step := func(g *Gate, sql string, allowed bool) {
			t.Helper()
			if got := g.Check(ctx, "query", sql); got.Allowed() != allowed {
				t.Errorf("%s %q: allowed %v (%v)", d, sql, got.Allowed(), got.Denial)
			}
		}
		step(a, strings.ReplaceAll(prep, "%s", "p1"), true)
		step(a, "EXECUTE p1", true)
		step(b, "EXECUTE p1", false) // another session
		step(a, "DEALLOCATE PREPARE p1", true)
		step(a, "EXECUTE p1", false)
		step(a, strings.ReplaceAll(prep, "%s", "p2"), true)
		step(a, "DEALLOCATE ALL", d == Postgres)
		if d == Postgres {
			step(a, "EXECUTE p2", false)
			step(a, "PREPARE p3 AS SELECT * FROM secrets_elsewhere", false)
			step(a, "EXECUTE p3", false)
		}
	}
}
