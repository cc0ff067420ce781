package sqlparse

import (
	"go/ast"
	"go/build"
	"go/parser"
	"go/token"
	"os"
	"slices"
	"strings"
	"testing"

	pg_query "github.com/pganalyze/pg_query_go/v6"
)

// pgStatementNodes lists the statement messages of pg_query's Node
// oneof: every one whose name ends in Stmt, RawStmt (the wrapper) aside.
func pgStatementNodes() []string {
	var out []string
	f := (&pg_query.Node{}).ProtoReflect().Descriptor().Oneofs().Get(0).Fields()
	for i := range f.Len() {
		m := f.Get(i).Message()
		if m == nil {
			continue
		}
		if n := string(m.Name()); strings.HasSuffix(n, "Stmt") && n != "RawStmt" {
			out = append(out, n)
		}
	}
	return out
}

// TestPostgresNodeTableComplete fails when pg_query knows a statement
// node the classification table does not name, or the table names one
// pg_query does not know (a typo classifies nothing).
func TestPostgresNodeTableComplete(t *testing.T) {
	nodes := pgStatementNodes()
	if len(nodes) < 100 {
		t.Fatalf("found only %d statement nodes in the Node oneof", len(nodes))
	}
	for _, n := range nodes {
		if _, ok := pgNodes[n]; !ok {
			t.Errorf("pg_query statement node %s is not classified in pgNodes", n)
		}
	}
	for n := range pgNodes {
		if !slices.Contains(nodes, n) {
			t.Errorf("pgNodes names %s, which is not a pg_query statement node", n)
		}
	}
}

// tidbStatementTypes lists the exported types of the TiDB parser's ast
// package that embed stmtNode (directly or through ddlNode, dmlNode or
// another type), read from the package's source.
func tidbStatementTypes(t *testing.T) []string {
	t.Helper()
	pkg, err := build.Import("github.com/pingcap/tidb/pkg/parser/ast", ".", build.FindOnly)
	if err != nil {
		t.Fatalf("locating the TiDB ast package: %v", err)
	}
	fset := token.NewFileSet()
	pkgs, err := parser.ParseDir(fset, pkg.Dir, func(fi os.FileInfo) bool { return !strings.HasSuffix(fi.Name(), "_test.go") }, 0)
	if err != nil {
		t.Fatal(err)
	}
	embeds := map[string][]string{}
	for _, p := range pkgs {
		for _, f := range p.Files {
			for _, d := range f.Decls {
				g, ok := d.(*ast.GenDecl)
				if !ok {
					continue
				}
				for _, s := range g.Specs {
					ts, ok := s.(*ast.TypeSpec)
					if !ok {
						continue
					}
					st, ok := ts.Type.(*ast.StructType)
					if !ok {
						continue
					}
					for _, fl := range st.Fields.List {
						if id, ok := fl.Type.(*ast.Ident); ok && len(fl.Names) == 0 {
							embeds[ts.Name.Name] = append(embeds[ts.Name.Name], id.Name)
						}
					}
				}
			}
		}
	}
	var isStmt func(string, int) bool
	isStmt = func(n string, depth int) bool {
		if n == "stmtNode" {
			return true
		}
		if depth > 8 {
			return false
		}
		return slices.ContainsFunc(embeds[n], func(e string) bool { return isStmt(e, depth+1) })
	}
	var out []string
	for n := range embeds {
		if ast.IsExported(n) && isStmt(n, 0) {
			out = append(out, n)
		}
	}
	return out
}

// TestMySQLNodeTableComplete is TestPostgresNodeTableComplete for the
// TiDB parser's statement types.
func TestMySQLNodeTableComplete(t *testing.T) {
	types := tidbStatementTypes(t)
	if len(types) < 100 || !slices.Contains(types, "SelectStmt") || !slices.Contains(types, "CreateTableStmt") {
		t.Fatalf("found only %d statement types in the TiDB ast package: %v", len(types), types)
	}
	for _, n := range types {
		if _, ok := myNodes[n]; !ok {
			t.Errorf("TiDB statement type %s is not classified in myNodes", n)
		}
	}
	for n := range myNodes {
		if !slices.Contains(types, n) {
			t.Errorf("myNodes names %s, which is not a TiDB statement type", n)
		}
	}
}

// TestUnknownNodeUnclassified: a node the tables do not name is
// unclassified (policy asks admin for it), never utility.
func TestUnknownNodeUnclassified(t *testing.T) {
	for _, table := range []map[string]nodeClass{pgNodes, myNodes} {
		if c := classify(table, "FutureStmt"); c.kind != KindUnclassified {
			t.Errorf("unknown node: %s", c.kind)
		}
	}
}

// classCase is a statement and its expected kind, tables and privilege.
type classCase struct {
	sql        string
	kind       Kind
	tables     string
	privileged bool
}

func checkClasses(t *testing.T, parse func(string) ([]Statement, error), cases []classCase) {
	t.Helper()
	for _, c := range cases {
		sts, err := parse(c.sql)
		if err != nil || len(sts) != 1 {
			t.Errorf("%q: %v (%d statements)", c.sql, err, len(sts))
			continue
		}
		st := sts[0]
		if st.Kind != c.kind || tablesString(st.Tables) != c.tables || (st.Privileged != "") != c.privileged {
			t.Errorf("%q: kind %s tables %q privileged %q; want %s %q %v", c.sql, st.Kind, tablesString(st.Tables), st.Privileged, c.kind, c.tables, c.privileged)
		}
	}
}

func TestPostgresClassification(t *testing.T) {
	checkClasses(t, PostgresNoFingerprint, []classCase{
		// Upserts and MERGE: every action done to the target.
		{"INSERT INTO t VALUES (1) ON CONFLICT (id) DO UPDATE SET a = excluded.a", KindInsert, "t:insert t:update", false},
		{"INSERT INTO t VALUES (1) ON CONFLICT DO NOTHING", KindInsert, "t:insert", false},
		{"INSERT INTO t VALUES (1)", KindInsert, "t:insert", false},
		{"MERGE INTO t USING s ON t.id = s.id WHEN NOT MATCHED THEN INSERT VALUES (s.id)", KindMerge, "s:read t:insert", false},
		{"MERGE INTO t USING s ON t.id = s.id WHEN MATCHED THEN DELETE WHEN NOT MATCHED THEN INSERT VALUES (1)", KindMerge, "s:read t:delete t:insert", false},
		{"MERGE INTO t USING s ON t.id = s.id WHEN MATCHED THEN DO NOTHING", KindMerge, "s:read t:update", false},
		// DDL the prefix rule missed.
		{"CREATE RULE r AS ON INSERT TO t DO INSTEAD NOTHING", KindDDL, "t:ddl", false},
		{"CREATE AGGREGATE agg (int) (sfunc = int4pl, stype = int)", KindDDL, "", false},
		{"CREATE OPERATOR === (leftarg = text, rightarg = text, procedure = texteq)", KindDDL, "", false},
		{"CREATE COLLATION c (locale = 'C')", KindDDL, "", false},
		{"CREATE TEXT SEARCH DICTIONARY d (template = simple)", KindDDL, "", false},
		{"CREATE TEMP VIEW v AS SELECT * FROM secrets", KindDDL, "secrets:read v:ddl", false},
		{"CREATE OR REPLACE VIEW public.v AS SELECT 1", KindDDL, "public.v:ddl", false},
		{"CREATE TRIGGER tr BEFORE INSERT ON t FOR EACH ROW EXECUTE FUNCTION f()", KindDDL, "t:ddl", false},
		{"CREATE POLICY p ON t USING (true)", KindDDL, "t:ddl", false},
		{"ALTER TABLE t REPLICA IDENTITY FULL", KindDDL, "t:ddl", false},
		// Beyond the database: admin.
		{"SECURITY LABEL ON TABLE t IS 'x'", KindDDL, "", true},
		{"IMPORT FOREIGN SCHEMA s FROM SERVER srv INTO public", KindDDL, "", true},
		{"CREATE EXTENSION dblink", KindDDL, "", true},
		{"CREATE SUBSCRIPTION s CONNECTION 'host=x' PUBLICATION p", KindDDL, "", true},
		{"CREATE SERVER srv FOREIGN DATA WRAPPER postgres_fdw", KindDDL, "", true},
		{"CREATE DATABASE d", KindDDL, "", true},
		{"CREATE EVENT TRIGGER e ON ddl_command_start EXECUTE FUNCTION f()", KindDDL, "", true},
		{"ALTER DATABASE d SET search_path = x", KindDDL, "", true},
		{"PREPARE TRANSACTION 'x'", KindUtility, "", true},
		{"COMMIT PREPARED 'x'", KindUtility, "", true},
		{"ROLLBACK PREPARED 'x'", KindUtility, "", true},
		{"DROP OWNED BY bob", KindDCL, "", false},
		{"ALTER TABLE t OWNER TO bob", KindDDL, "t:ddl", false},
		{"ALTER FUNCTION f() OWNER TO bob", KindDCL, "", false},
		// Statements that carry another.
		{"PREPARE p AS INSERT INTO t VALUES ($1)", KindUtility, "t:insert", false},
		{"DECLARE c CURSOR FOR SELECT * FROM t", KindUtility, "t:read", false},
		{"EXPLAIN SELECT * FROM t", KindSelect, "t:read", false},
		{"EXECUTE p(1)", KindUtility, "", false},
		{"COMMIT", KindTCL, "", false},
		// Locks stronger than ACCESS SHARE block writers.
		{"LOCK TABLE t IN ACCESS EXCLUSIVE MODE", KindUtility, "t:update", false},
		{"LOCK TABLE t IN ACCESS SHARE MODE", KindUtility, "t:read", false},
		// Sequences.
		{"SELECT nextval('s')", KindSelect, "s:update", false},
		{"SELECT pg_catalog.setval('public.\"My Seq\"'::regclass, 5)", KindSelect, "public.My Seq:update", false},
		{"SELECT nextval(16384)", KindSelect, "", true},
		{"SELECT nextval('s' || 'x')", KindSelect, "", true},
		{"SELECT currval('s')", KindSelect, "", false},
	})
}

func TestPostgresPreparedName(t *testing.T) {
	for _, c := range []struct {
		sql, name string
		all       bool
	}{
		{"PREPARE Floe_Abc AS SELECT 1", "floe_abc", false},
		{`EXECUTE "floe_x"(1)`, "floe_x", false},
		{"DEALLOCATE PREPARE p", "p", false},
		{"DEALLOCATE ALL", "", true},
	} {
		sts, err := PostgresNoFingerprint(c.sql)
		if err != nil || sts[0].PreparedName != c.name || sts[0].DeallocateAll != c.all {
			t.Errorf("%q: %v %q %v", c.sql, err, sts[0].PreparedName, sts[0].DeallocateAll)
		}
	}
}

func TestMySQLClassification(t *testing.T) {
	checkClasses(t, MySQLNoFingerprint, []classCase{
		{"INSERT INTO t VALUES (1) ON DUPLICATE KEY UPDATE a = 2", KindInsert, "t:insert t:update", false},
		{"REPLACE INTO t VALUES (1)", KindInsert, "t:delete t:insert", false},
		{"REPLACE INTO t SELECT * FROM u", KindInsert, "t:delete t:insert u:read", false},
		{"INSERT IGNORE INTO t VALUES (1)", KindInsert, "t:insert", false},
		{"INSERT INTO t VALUES (1)", KindInsert, "t:insert", false},
		{"CREATE PROCEDURE p() BEGIN SELECT 1; END", KindDDL, "", false},
		{"DROP PROCEDURE p", KindDDL, "", false},
		{"CREATE VIEW v AS SELECT * FROM secrets", KindDDL, "secrets:ddl v:ddl", false},
		{"CREATE DATABASE d", KindDDL, "", true},
		{"DROP DATABASE d", KindDDL, "", true},
		{"PREPARE s FROM 'SELECT * FROM secrets'", KindSelect, "secrets:read", false}, // checked as the statement it prepares
		{"PREPARE s FROM @q", KindUtility, "", true},
		{"EXECUTE s", KindUtility, "", false},
		{"BINLOG 'abc'", KindUtility, "", true},
		{"SELECT NEXTVAL(s)", KindSelect, "s:update", false},
		{"SELECT NEXT VALUE FOR db.s", KindSelect, "db.s:update", false},
		{"SELECT SETVAL(s, 10)", KindSelect, "s:update", false},
		{"SELECT LASTVAL(s)", KindSelect, "s:read", false},
		{"DO SLEEP(1)", KindUtility, "", false},
		{"SHOW TABLES", KindUtility, "", false},
		{"SPLIT TABLE t BETWEEN (0) AND (100) REGIONS 4", KindUnclassified, "t:read", false},
	})
}
