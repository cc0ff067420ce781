package cache

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/floe-db/floe/internal/analysis"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// cacheableCases are statements and the dialects they are read in.
var cacheableCases = map[analysis.Dialect][]string{
	analysis.Postgres: {
		"SELECT * FROM orders WHERE id = 1",
		"SELECT count(*), sum(total) FROM orders o JOIN customers c ON c.id = o.customer_id GROUP BY c.region",
		"SELECT lower(name), coalesce(email, '') FROM customers",
		"SELECT 1",
		"WITH x AS (SELECT id FROM orders) SELECT * FROM x",
		"SELECT id FROM a UNION SELECT id FROM b",
		"SELECT 'now()' AS s, \"current_date\" FROM t",
		"SELECT now()",
		"SELECT CURRENT_TIMESTAMP",
		"SELECT * FROM events WHERE at > current_date - 1",
		"SELECT current_user",
		"SELECT random() FROM t",
		"SELECT nextval('s')",
		"SELECT gen_random_uuid()",
		"SELECT clock_timestamp()",
		"SELECT pg_sleep(1)",
		"SELECT txid_current()",
		"SELECT * FROM t TABLESAMPLE SYSTEM (10)",
		"SELECT my_function(id) FROM t",
		"SELECT app.total(id) FROM t",
		"SELECT * FROM t WHERE id = 1 FOR UPDATE",
		"SELECT * FROM t FOR SHARE",
		"SELECT * INTO copy_t FROM t",
		"SELECT * FROM pg_catalog.pg_class",
		"SELECT * FROM pg_stat_activity",
		"SELECT * FROM information_schema.tables",
		"SELECT 1; SELECT 2",
		"UPDATE t SET a = 1",
		"INSERT INTO t VALUES (1)",
		"DELETE FROM t",
		"WITH d AS (DELETE FROM t RETURNING *) SELECT * FROM d",
		"BEGIN",
		"COMMIT",
		"CREATE TEMP TABLE tt (a int)",
		"TRUNCATE t",
		"EXPLAIN SELECT * FROM t",
		"SHOW search_path",
		"SET search_path = app",
		"/* floe:primary */ SELECT * FROM t",
		"SELECT $$now()$$ FROM t",
		"SELECT session_user",
		"SELECT user",
		"SELECT current_role",
		"SELECT current_setting('app.tenant')",
		"SELECT pg_backend_pid()",
		"SELECT * FROM t WHERE owner = current_setting('app.tenant')",
		"SELECT inet_client_addr()",
		"SELECT * FROM t WHERE a === 1",
		"SELECT a OPERATOR(public.+) 1 FROM t",
		"SELECT a OPERATOR(pg_catalog.+) 1 FROM t",
		"SELECT * FROM t WHERE a <-> b < 5",
		"SELECT a->>'k', a #>> '{x}', b @> c, d && e, f || g, h ~* 'x' FROM t WHERE i <> 1 AND j != 2 AND k >= -1",
		"SELECT count(*) FROM t WHERE a <= $1 AND b % 2 = 0 AND c ^ 2 > 1 AND d / 2 * 3 - 1 + 2 > 0",
		"WITH w AS (INSERT INTO t VALUES (1) RETURNING *) SELECT * FROM w",
		"SELECT * FROM t WHERE a IN (SELECT f(b) FROM u)",
		"SELECT pg_read_file('/etc/passwd')",
		"SELECT * FROM t, LATERAL (SELECT set_config('search_path', 'x', false)) s",
		"SELECT current_database()",
	},
	analysis.MySQL: {
		"SELECT * FROM orders WHERE id = 1",
		"SELECT count(*) FROM orders GROUP BY region",
		"SELECT concat(first, ' ', last) FROM customers",
		"SELECT 'NOW()' FROM t",
		"SELECT NOW()",
		"SELECT CURRENT_TIMESTAMP",
		"SELECT SYSDATE()",
		"SELECT RAND()",
		"SELECT UUID()",
		"SELECT LAST_INSERT_ID()",
		"SELECT CONNECTION_ID()",
		"SELECT FOUND_ROWS()",
		"SELECT SQL_CALC_FOUND_ROWS * FROM t",
		"SELECT @x",
		"SELECT * FROM t WHERE a = @x",
		"SELECT @@version",
		"SELECT `@x` FROM t",
		"SELECT * FROM t LOCK IN SHARE MODE",
		"SELECT * FROM t FOR UPDATE",
		"SELECT my_func(a) FROM t",
		"SELECT * FROM mysql.user",
		"SELECT * FROM information_schema.tables",
		"SELECT * FROM performance_schema.threads",
		"SELECT a INTO @v FROM t",
		"SELECT * FROM t INTO OUTFILE '/tmp/x'",
		"UPDATE t SET a = 1",
		"CREATE TEMPORARY TABLE tt (a int)",
		"START TRANSACTION",
		"SHOW TABLES",
		"SELECT 1; SELECT 2",
		"SELECT USER()",
		"SELECT CURRENT_USER",
		"SELECT CURRENT_USER()",
		"SELECT SESSION_USER()",
		"SELECT DATABASE()",
		"SELECT SCHEMA()",
		"SELECT * FROM t WHERE owner = SUBSTRING_INDEX(USER(), '@', 1)",
		"SELECT ROW_COUNT()",
		"SELECT LOAD_FILE('/etc/passwd')",
		"SELECT * FROM t WHERE a = 1 /*!50000 AND b = @x */",
		"SELECT a FROM t PROCEDURE ANALYSE()",
		"SELECT VERSION()",
		"SELECT t.a FROM t JOIN u ON t.id = u.id WHERE u.x <=> NULL",
	},
}

func TestCacheableGolden(t *testing.T) {
	var b strings.Builder
	for _, d := range []analysis.Dialect{analysis.Postgres, analysis.MySQL} {
		z := analysis.New(d, 0)
		for _, q := range cacheableCases[d] {
			r := Explain(z.Of(q))
			v := "cacheable"
			if !r.OK() {
				v = "not cacheable: " + r.String()
			}
			fmt.Fprintf(&b, "%s\t%s\n\t-> %s\n", d, q, v)
		}
	}
	golden(t, "cacheable.golden", b.String())
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	p := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(p, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(p)
	if err != nil {
		t.Fatalf("%v (run with -update)", err)
	}
	if string(want) != got {
		t.Errorf("%s differs (run with -update and review the diff):\n%s", p, got)
	}
}
