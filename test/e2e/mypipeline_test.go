package e2e

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// myPipelineConfig is one MySQL database with a user who may do
// anything on it (alice), one who may read table t only, under a rate
// limit that refills too slowly to matter in a test (bob), one whose rows
// of t are filtered (tina), and an audit log.
func myPipelineConfig(myDSN, auditPath string) string {
	return fmt.Sprintf(`databases:
  - {name: shop, kind: mysql, primary: %q, pool: {mode: transaction, size: 4}}
users:
  - {name: alice, password: alice-secret, roles: [owner]}
  - {name: bob, password: bob-secret, roles: [reader]}
  - {name: tina, password: tina-secret, roles: [tenant]}
roles:
  - name: owner
    grants:
      - {database: shop, actions: [all]}
  - name: reader
    grants:
      - {database: shop, tables: [t], actions: [select]}
  - name: tenant
    grants:
      - {database: shop, tables: [t], actions: [select]}
    row_filters:
      - {database: shop, table: t, where: "id = 2"}
limits:
  - {per: user, user: bob, rate: 0.0001, burst: 2}
audit:
  file: %s
`, myDSN, auditPath)
}

// resultsOf waits for n "result" records of user over MySQL in the audit
// log and returns them in order.
func resultsOf(t *testing.T, path, user string, n int) []map[string]any {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		var out []map[string]any
		for _, e := range auditEvents(t, path, "result") {
			if e["user"] == user && e["protocol"] == "mysql" {
				out = append(out, e)
			}
		}
		if len(out) >= n || time.Now().After(deadline) {
			return out
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// queriesTotal reads floe_queries_total of shop for user and outcome.
func queriesTotal(t *testing.T, g *gateway, user, outcome string) int {
	t.Helper()
	resp, err := http.Get("http://" + g.admin + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	re := regexp.MustCompile(`(?m)^floe_queries_total\{database="shop",outcome="` + outcome + `",user="` + user + `"\} (\d+)$`)
	m := re.FindSubmatch(body)
	if m == nil {
		return 0
	}
	n, _ := strconv.Atoi(string(m[1]))
	return n
}

// TestMySQLStatementPipeline checks what the statement pipeline does for
// the MySQL relay: a refused statement takes no rate token, the audit's
// result records and the metrics count the statements, with the rows
// returned or affected, for text and prepared statements alike, and
// errors are recorded by SQLSTATE.
func TestMySQLStatementPipeline(t *testing.T) {
	myDSN, direct := myTestDB(t)
	for _, q := range []string{
		"CREATE TABLE t (id INT PRIMARY KEY, v INT)",
		"INSERT INTO t VALUES (1, 0), (2, 0), (3, 0), (4, 0), (5, 0)",
		"CREATE TABLE secret (id INT)",
	} {
		if _, err := direct.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	auditPath := filepath.Join(t.TempDir(), "audit.jsonl")
	g := start(t, myPipelineConfig(myDSN, auditPath))
	ctx := context.Background()

	t.Run("a refused statement takes no rate token", func(t *testing.T) {
		db := g.mydb(t, "bob", "bob-secret", "shop", nil)
		db.SetMaxOpenConns(1)
		for i := range 4 {
			_, err := db.Exec("SELECT id FROM secret")
			if err == nil || myErrno(err) == 1226 {
				t.Fatalf("refused statement %d: %v, want the grant's refusal", i, err)
			}
		}
		// The burst of two is still whole.
		for i := range 2 {
			var n int
			if err := db.QueryRow("SELECT COUNT(*) FROM t").Scan(&n); err != nil || n != 5 {
				t.Fatalf("allowed statement %d: %d, %v", i, n, err)
			}
		}
		if _, err := db.Exec("SELECT id FROM t"); myErrno(err) != 1226 {
			t.Fatalf("statement past the burst: %v, want 1226", err)
		}
		// Refusals count as errors: four by the grants, one by the rate.
		if ok, bad := queriesTotal(t, g, "bob", "ok"), queriesTotal(t, g, "bob", "error"); ok != 2 || bad != 5 {
			t.Errorf("floe_queries_total of bob: ok %d, error %d; want 2 and 5", ok, bad)
		}
	})

	t.Run("results are audited and counted with their rows", func(t *testing.T) {
		db := g.mydb(t, "alice", "alice-secret", "shop", map[string]string{"multiStatements": "true"})
		c, err := db.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		count := func(q string, args ...any) int {
			t.Helper()
			rows, err := c.QueryContext(ctx, q, args...)
			if err != nil {
				t.Fatalf("%s: %v", q, err)
			}
			defer rows.Close()
			n := 0
			for {
				for rows.Next() {
					n++
				}
				if !rows.NextResultSet() {
					break
				}
			}
			if err := rows.Err(); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
			return n
		}
		if n := count("SELECT id FROM t"); n != 5 {
			t.Fatalf("text query: %d rows", n)
		}
		// With arguments go-sql-driver prepares and executes
		// (COM_STMT_PREPARE, COM_STMT_EXECUTE, COM_STMT_CLOSE).
		if n := count("SELECT id FROM t WHERE id > ?", 2); n != 3 {
			t.Fatalf("prepared query: %d rows", n)
		}
		res, err := c.ExecContext(ctx, "UPDATE t SET v = v + 1 WHERE id <= 2")
		if err != nil {
			t.Fatal(err)
		}
		if n, _ := res.RowsAffected(); n != 2 {
			t.Fatalf("UPDATE affected %d rows", n)
		}
		res, err = c.ExecContext(ctx, "UPDATE t SET v = v + 1 WHERE id >= ?", 3)
		if err != nil {
			t.Fatal(err)
		}
		if n, _ := res.RowsAffected(); n != 3 {
			t.Fatalf("prepared UPDATE affected %d rows", n)
		}
		if n := count("SELECT id FROM t WHERE id = 1; SELECT id FROM t WHERE id > 3"); n != 3 {
			t.Fatalf("multi-statement query: %d rows", n)
		}
		if _, err := c.ExecContext(ctx, "SELECT * FROM no_such_table"); myErrno(err) != 1146 {
			t.Fatalf("unknown table: %v, want 1146", err)
		}
		var v int
		if err := direct.QueryRow("SELECT SUM(v) FROM t").Scan(&v); err != nil || v != 5 {
			t.Fatalf("sum of v after the updates: %d, %v", v, err)
		}

		want := []struct {
			rows float64
			err  string
		}{{5, ""}, {3, ""}, {2, ""}, {3, ""}, {3, ""}, {0, "42S02"}}
		got := resultsOf(t, auditPath, "alice", len(want))
		if len(got) != len(want) {
			t.Fatalf("%d result records of alice, want %d: %v", len(got), len(want), got)
		}
		for i, w := range want {
			e, _ := got[i]["error"].(string)
			if got[i]["rows"] != w.rows || e != w.err {
				t.Errorf("result %d: rows %v error %q, want %v %q", i, got[i]["rows"], e, w.rows, w.err)
			}
		}
		if ok, bad := queriesTotal(t, g, "alice", "ok"), queriesTotal(t, g, "alice", "error"); ok != 5 || bad != 1 {
			t.Errorf("floe_queries_total of alice: ok %d, error %d; want 5 and 1", ok, bad)
		}
	})

	t.Run("statistics key on the client's text", func(t *testing.T) {
		db := g.mydb(t, "tina", "tina-secret", "shop", nil)
		var id int
		if err := db.QueryRow("SELECT id FROM t WHERE id > ?", 0).Scan(&id); err != nil || id != 2 {
			t.Fatalf("filtered prepared query: %d, %v", id, err)
		}
		if got := resultsOf(t, auditPath, "tina", 1); len(got) != 1 || got[0]["rows"] != float64(1) {
			t.Fatalf("result records of tina: %v, want one of 1 row", got)
		}
		var top struct {
			Queries []struct {
				Database, Query string
				Count, Errors   int
			}
		}
		if code := g.adminCall(t, "GET", "/api/v1/queries?sort=count&limit=100", testReadToken, &top); code != 200 {
			t.Fatalf("queries: %d", code)
		}
		got := map[string]int{}
		for _, q := range top.Queries {
			if q.Database == "shop" {
				got[q.Query] = q.Count*100 + q.Errors
			}
			if strings.Contains(q.Query, "id = 2") {
				t.Errorf("the row filter shows in the statistics: %q", q.Query)
			}
		}
		for q, n := range map[string]int{
			"SELECT id FROM t WHERE id > ?":        200, // alice's and tina's
			"SELECT id FROM t":                     100,
			"UPDATE t SET v = v + ? WHERE id <= ?": 100,
			"SELECT * FROM no_such_table":          101,
		} {
			if got[q] != n {
				t.Errorf("%s: count*100+errors = %d, want %d (all: %v)", q, got[q], n, got)
			}
		}
	})
}
