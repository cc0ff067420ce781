package e2e

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/jackc/pgx/v5"
)

// The PostgreSQL relay hands its statements to the statement pipeline:
// these tests check what the pipeline records of them (limits, audit
// results, statistics, metrics) against what the client saw.

func pgPipelineConfig(dsn, auditPath string) string {
	return fmt.Sprintf(`databases:
  - {name: app, kind: postgres, primary: %q, pool: {mode: transaction, size: 4}}
users:
  - {name: pia, password: pia-secret, roles: [reader]}
  - {name: rex, password: rex-secret, roles: [writer]}
  - {name: sam, password: sam-secret, roles: [writer]}
roles:
  - name: reader
    grants:
      - {database: app, tables: [items], actions: [select]}
  - name: writer
    grants:
      - {database: app, tables: [items], actions: [select, update]}
limits:
  - {per: user, user: pia, rate: 0.001, burst: 3}
  - {per: user, user: sam, max_result_rows: 5}
audit:
  file: %s
`, dsn, auditPath)
}

func pgPipelineGateway(t *testing.T) (g *gateway, dsn, auditPath string) {
	t.Helper()
	dsn = testDB(t)
	ctx := context.Background()
	direct, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer direct.Close(ctx)
	if _, err := direct.Exec(ctx, `CREATE TABLE items (id int PRIMARY KEY, v int);
		INSERT INTO items SELECT g, 0 FROM generate_series(1, 7) g;
		CREATE TABLE secrets (s text)`); err != nil {
		t.Fatal(err)
	}
	auditPath = filepath.Join(t.TempDir(), "audit.jsonl")
	return start(t, pgPipelineConfig(dsn, auditPath)), dsn, auditPath
}

// auditResults reads the "result" records of user from the audit log:
// rows and error code of each, in order.
func auditResults(t *testing.T, path, user string) []string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var r map[string]any
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("audit record %q: %v", sc.Text(), err)
		}
		if r["type"] != "result" || r["user"] != user {
			continue
		}
		s := fmt.Sprint(r["rows"])
		if e, ok := r["error"]; ok {
			s += " " + fmt.Sprint(e)
		}
		out = append(out, s)
	}
	return out
}

// A statement the policy denies takes no rate token, whether it comes as
// a simple Query or as a Parse; a prepare-only batch takes none either.
// Every refusal is counted once.
func TestPGRelayDeniedTakesNoToken(t *testing.T) {
	g, _, _ := pgPipelineGateway(t)
	ctx := context.Background()
	c := g.connect(t, "pia", "pia-secret", "app")
	for _, mode := range []pgx.QueryExecMode{pgx.QueryExecModeSimpleProtocol, pgx.QueryExecModeCacheStatement} {
		for i := range 5 {
			if _, err := c.Exec(ctx, "SELECT * FROM secrets", mode); sqlstate(err) != "42501" {
				t.Fatalf("%v denied statement %d: %v, want 42501", mode, i, err)
			}
		}
	}
	// The burst of 3 is whole: three statements run, the fourth is refused.
	modes := []pgx.QueryExecMode{pgx.QueryExecModeSimpleProtocol, pgx.QueryExecModeCacheStatement, pgx.QueryExecModeSimpleProtocol}
	for i, mode := range modes {
		var n int
		if err := c.QueryRow(ctx, "SELECT count(*) FROM items", mode).Scan(&n); err != nil || n != 7 {
			t.Fatalf("allowed statement %d (%v): %d, %v", i, mode, n, err)
		}
	}
	if _, err := c.Exec(ctx, "SELECT count(*) FROM items", pgx.QueryExecModeCacheStatement); sqlstate(err) != "53400" {
		t.Fatalf("fourth statement: %v, want 53400 (rate)", err)
	}
	if ok, failed := queriesTotal(t, g, "app", "pia", "ok"), queriesTotal(t, g, "app", "pia", "error"); ok != 3 || failed != 11 {
		t.Fatalf("floe_queries_total for pia: ok %d error %d, want 3 and 11", ok, failed)
	}
}

// The audit's result records, the statement statistics and the metrics
// show the rows the client got: counted for a query, the command tag's
// for a write, the rows sent before a stopped result.
func TestPGRelayStatementAccounting(t *testing.T) {
	g, dsn, auditPath := pgPipelineGateway(t)
	ctx := context.Background()
	rex := g.connect(t, "rex", "rex-secret", "app")
	count := func(rows pgx.Rows, err error) int {
		t.Helper()
		n, err := countRows(rows, err)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	if n := count(rex.Query(ctx, "SELECT id FROM items", pgx.QueryExecModeSimpleProtocol)); n != 7 {
		t.Fatalf("simple query: %d rows", n)
	}
	if n := count(rex.Query(ctx, "SELECT id FROM items WHERE id <= $1", 4)); n != 4 {
		t.Fatalf("extended query: %d rows", n)
	}
	if tag, err := rex.Exec(ctx, "UPDATE items SET v = v + 1 WHERE id <= 3", pgx.QueryExecModeSimpleProtocol); err != nil || tag.RowsAffected() != 3 {
		t.Fatalf("simple update: %v %v", tag, err)
	}
	if tag, err := rex.Exec(ctx, "UPDATE items SET v = v + 1 WHERE id <= $1", 2); err != nil || tag.RowsAffected() != 2 {
		t.Fatalf("extended update: %v %v", tag, err)
	}
	// Two statements in one Query are one statement of the pipeline.
	if _, err := rex.PgConn().Exec(ctx, "SELECT id FROM items WHERE id <= 2; SELECT id FROM items WHERE id = 7").ReadAll(); err != nil {
		t.Fatal(err)
	}
	if _, err := rex.Exec(ctx, "SELECT * FROM secrets"); sqlstate(err) != "42501" {
		t.Fatalf("denied: %v", err)
	}
	direct, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer direct.Close(ctx)
	var v int
	if err := direct.QueryRow(ctx, "SELECT sum(v) FROM items").Scan(&v); err != nil || v != 5 {
		t.Fatalf("the updates' effect: sum %d, %v; want 5", v, err)
	}
	sam := g.connect(t, "sam", "sam-secret", "app")
	for _, mode := range []pgx.QueryExecMode{pgx.QueryExecModeSimpleProtocol, pgx.QueryExecModeCacheStatement} {
		n, err := countRows(sam.Query(ctx, "SELECT id FROM items ORDER BY id", mode))
		if sqlstate(err) != "53400" || n != 5 {
			t.Fatalf("%v: %d rows then %v, want 5 rows then 53400", mode, n, err)
		}
	}

	if ok, failed := queriesTotal(t, g, "app", "rex", "ok"), queriesTotal(t, g, "app", "rex", "error"); ok != 5 || failed != 1 {
		t.Errorf("floe_queries_total for rex: ok %d error %d, want 5 and 1", ok, failed)
	}
	if failed := queriesTotal(t, g, "app", "sam", "error"); failed != 2 {
		t.Errorf("floe_queries_total for sam: error %d, want 2", failed)
	}
	var top struct {
		Queries []struct {
			Database, Query     string
			Count, Errors, Rows int
		}
	}
	if code := g.adminCall(t, "GET", "/api/v1/queries?sort=count&limit=100", testReadToken, &top); code != 200 {
		t.Fatalf("queries: %d", code)
	}
	got := map[string]string{}
	for _, q := range top.Queries {
		got[q.Query] = fmt.Sprintf("count %d errors %d rows %d", q.Count, q.Errors, q.Rows)
	}
	for q, want := range map[string]string{
		"SELECT id FROM items":                                                  "count 1 errors 0 rows 7",
		"SELECT id FROM items WHERE id <= $1":                                   "count 1 errors 0 rows 4",
		"UPDATE items SET v = v + ? WHERE id <= ?":                              "count 1 errors 0 rows 3",
		"UPDATE items SET v = v + ? WHERE id <= $1":                             "count 1 errors 0 rows 2",
		"SELECT id FROM items ORDER BY id":                                      "count 2 errors 2 rows 10",
		"SELECT id FROM items WHERE id <= ?; SELECT id FROM items WHERE id = ?": "count 1 errors 0 rows 3",
	} {
		if got[q] != want {
			t.Errorf("statistics of %q: %q, want %q (all: %v)", q, got[q], want, got)
		}
	}

	g.stop(t) // the audit log is complete once the gateway has stopped
	if got, want := auditResults(t, auditPath, "rex"), []string{"7", "4", "3", "2", "3"}; !slices.Equal(got, want) {
		t.Errorf("rex's audit results %q, want %q", got, want)
	}
	if got, want := auditResults(t, auditPath, "sam"), []string{"5 53400", "5 53400"}; !slices.Equal(got, want) {
		t.Errorf("sam's audit results %q, want %q", got, want)
	}
}
