package e2e

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// litePipelineConfig fronts a SQLite file whose table t readers may
// select from (and writers update), with one rate-limited user per
// protocol and the audit log.
func litePipelineConfig(litePath, auditPath string) string {
	return fmt.Sprintf(`databases:
  - {name: lite, kind: sqlite, path: %q}
users:
  - {name: pgrate, password: pgrate-secret, roles: [reader]}
  - {name: myrate, password: myrate-secret, roles: [reader]}
  - {name: pgrows, password: pgrows-secret, roles: [writer]}
  - {name: myrows, password: myrows-secret, roles: [writer]}
  - {name: pgslow, password: pgslow-secret, roles: [reader]}
  - {name: myslow, password: myslow-secret, roles: [reader]}
  - {name: pgcancel, password: pgcancel-secret, roles: [reader]}
roles:
  - name: reader
    grants:
      - {database: lite, tables: [t], actions: [select]}
  - name: writer
    grants:
      - {database: lite, tables: [t], actions: [select, update]}
limits:
  - {per: user, user: pgrate, rate: 0.001, burst: 4}
  - {per: user, user: myrate, rate: 0.001, burst: 4}
  - {per: user, user: pgslow, statement_timeout: 200ms}
  - {per: user, user: myslow, statement_timeout: 200ms}
audit:
  file: %s
`, litePath, auditPath)
}

// seedLite makes table t (ids 1 to 5) and table secret in a new file.
func seedLite(t *testing.T, path string) {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, q := range []string{
		"CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)",
		"INSERT INTO t (id, v) VALUES (1, 'a'), (2, 'b'), (3, 'c'), (4, 'd'), (5, 'e')",
		"CREATE TABLE secret (id INTEGER PRIMARY KEY, s TEXT)",
		"INSERT INTO secret VALUES (1, 'hidden')",
	} {
		if _, err := db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
}

// The embedded engine runs every statement through the pipeline on both
// protocols: a denied statement takes no rate token, and the audit's
// result records, the query statistics and the query counters show the
// rows each statement returned or affected.
func TestSQLiteStatementPipeline(t *testing.T) {
	dir := t.TempDir()
	litePath, auditPath := filepath.Join(dir, "lite.db"), filepath.Join(dir, "audit.jsonl")
	seedLite(t, litePath)
	g := start(t, litePipelineConfig(litePath, auditPath))
	ctx := context.Background()

	t.Run("denied statements take no rate token", func(t *testing.T) {
		c := g.connect(t, "pgrate", "pgrate-secret", "lite")
		for i := range 5 {
			mode := pgx.QueryExecModeSimpleProtocol
			if i%2 == 1 {
				mode = pgx.QueryExecModeCacheStatement // refused at Parse
			}
			if _, err := c.Exec(ctx, "SELECT * FROM secret", mode); err == nil || sqlstate(err) == "53400" {
				t.Fatalf("denied statement %d (%v): %v, want a grant refusal", i, mode, err)
			}
		}
		// The burst of 4 is whole: two simple queries and two executions.
		for i, mode := range []pgx.QueryExecMode{pgx.QueryExecModeSimpleProtocol, pgx.QueryExecModeCacheStatement, pgx.QueryExecModeSimpleProtocol, pgx.QueryExecModeCacheStatement} {
			var n int
			if err := c.QueryRow(ctx, "SELECT count(*) FROM t", mode).Scan(&n); err != nil || n != 5 {
				t.Fatalf("allowed statement %d (%v): %d, %v", i, mode, n, err)
			}
		}
		if _, err := c.Exec(ctx, "SELECT count(*) FROM t", pgx.QueryExecModeSimpleProtocol); sqlstate(err) != "53400" {
			t.Fatalf("fifth allowed statement: %v, want 53400", err)
		}

		db := g.mydb(t, "myrate", "myrate-secret", "lite", nil)
		db.SetMaxOpenConns(1)
		for i := range 5 {
			var err error
			if i%2 == 0 {
				_, err = db.Exec("SELECT * FROM secret") // COM_QUERY
			} else {
				_, err = db.Exec("SELECT * FROM secret WHERE id = ?", 1) // refused at COM_STMT_PREPARE
			}
			if err == nil || myErrno(err) == 1226 {
				t.Fatalf("denied MySQL statement %d: %v, want a grant refusal", i, err)
			}
		}
		for i := range 4 {
			var n int
			var err error
			if i%2 == 0 {
				err = db.QueryRow("SELECT count(*) FROM t").Scan(&n)
			} else {
				err = db.QueryRow("SELECT count(*) FROM t WHERE id > ?", 0).Scan(&n)
			}
			if err != nil || n != 5 {
				t.Fatalf("allowed MySQL statement %d: %d, %v", i, n, err)
			}
		}
		if _, err := db.Exec("SELECT count(*) FROM t"); myErrno(err) != 1226 {
			t.Fatalf("fifth allowed MySQL statement: %v, want 1226", err)
		}
	})

	// Each user's statements in order: rows returned or affected, and the
	// error's SQLSTATE.
	type result struct {
		rows int
		err  string
	}
	var wantPG, wantMy []result

	t.Run("rows over PostgreSQL", func(t *testing.T) {
		c := g.connect(t, "pgrows", "pgrows-secret", "lite")
		simple := pgx.QueryExecModeSimpleProtocol
		if n, err := countRows(c.Query(ctx, "SELECT id FROM t", simple)); err != nil || n != 5 {
			t.Fatalf("simple select: %d, %v", n, err)
		}
		if n, err := countRows(c.Query(ctx, "SELECT id FROM t WHERE id > $1", 2)); err != nil || n != 3 {
			t.Fatalf("extended select: %d, %v", n, err)
		}
		if tag, err := c.Exec(ctx, "UPDATE t SET v = 'x' WHERE id <= 2", simple); err != nil || tag.RowsAffected() != 2 {
			t.Fatalf("simple update: %v, %v", tag, err)
		}
		if _, err := c.PgConn().Exec(ctx, "SELECT id FROM t WHERE id = 1; SELECT id FROM t WHERE id < 5").ReadAll(); err != nil {
			t.Fatalf("two statements in one text: %v", err)
		}
		if tag, err := c.Exec(ctx, "UPDATE t SET v = $1 WHERE id >= $2", "y", 4); err != nil || tag.RowsAffected() != 2 {
			t.Fatalf("extended update: %v, %v", tag, err)
		}
		if _, err := c.Exec(ctx, "SELECT nope FROM t", simple); sqlstate(err) != "42703" {
			t.Fatalf("unknown column: %v", err)
		}
		wantPG = []result{{5, ""}, {3, ""}, {2, ""}, {1 + 4, ""}, {2, ""}, {0, "42703"}}
	})

	t.Run("rows over MySQL", func(t *testing.T) {
		db := g.mydb(t, "myrows", "myrows-secret", "lite", nil)
		db.SetMaxOpenConns(1)
		if n, err := countRows(db.Query("SELECT id FROM t")); err != nil || n != 5 {
			t.Fatalf("text select: %d, %v", n, err)
		}
		if n, err := countRows(db.Query("SELECT id FROM t WHERE id > ?", 2)); err != nil || n != 3 {
			t.Fatalf("prepared select: %d, %v", n, err)
		}
		if res, err := db.Exec("UPDATE t SET v = 'z' WHERE id <= 3"); err != nil {
			t.Fatal(err)
		} else if n, _ := res.RowsAffected(); n != 3 {
			t.Fatalf("text update: %d rows", n)
		}
		if res, err := db.Exec("UPDATE t SET v = ? WHERE id >= ?", "w", 5); err != nil {
			t.Fatal(err)
		} else if n, _ := res.RowsAffected(); n != 1 {
			t.Fatalf("prepared update: %d rows", n)
		}
		if _, err := db.Exec("SELECT nope FROM t"); myErrno(err) != 1054 {
			t.Fatalf("unknown column: %v", err)
		}
		wantMy = []result{{5, ""}, {3, ""}, {3, ""}, {1, ""}, {0, "42S22"}}
	})

	// A statement the timeout stops is an error; one the client cancels
	// is cancelled. Both are recorded under 57014.
	const long = "WITH RECURSIVE s(g) AS (SELECT 1 UNION ALL SELECT g + 1 FROM s WHERE g < 100000000) SELECT count(*) FROM s"
	t.Run("timeout and cancel", func(t *testing.T) {
		c := g.connect(t, "pgslow", "pgslow-secret", "lite")
		if _, err := c.Exec(ctx, long); sqlstate(err) != "57014" || !strings.Contains(err.Error(), "statement timeout") {
			t.Fatalf("long statement: %v, want 57014 saying it was the statement timeout", err)
		}
		db := g.mydb(t, "myslow", "myslow-secret", "lite", nil)
		if _, err := db.Exec(long); myErrno(err) != 3024 {
			t.Fatalf("long MySQL statement: %v, want 3024 (as the MySQL relay answers a statement timeout)", err)
		}
		cc := g.connect(t, "pgcancel", "pgcancel-secret", "lite")
		cctx, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
		defer cancel()
		if _, err := cc.Exec(cctx, long); err == nil {
			t.Fatal("the cancelled statement ran to its end")
		}
		// The gateway ends the statement after the client has given up.
		ended := regexp.MustCompile(`(?m)^floe_queries_total\{database="lite",outcome="\w+",user="pgcancel"\} [1-9]`)
		for deadline := time.Now().Add(10 * time.Second); !ended.Match(liteMetrics(t, g)); time.Sleep(20 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatal("the cancelled statement did not end")
			}
		}
	})
	if t.Failed() {
		return
	}

	t.Run("query statistics", func(t *testing.T) {
		var top struct {
			Queries []struct {
				Database, Query string
				Count, Errors   int
				Rows            int64
			}
		}
		if code := g.adminCall(t, "GET", "/api/v1/queries?sort=count&limit=100", testReadToken, &top); code != 200 {
			t.Fatalf("queries: %d", code)
		}
		got := map[string]string{}
		for _, q := range top.Queries {
			if q.Database == "lite" {
				got[q.Query] = fmt.Sprintf("%d calls, %d rows, %d errors", q.Count, q.Rows, q.Errors)
			}
		}
		for q, want := range map[string]string{
			"SELECT id FROM t":                    "2 calls, 10 rows, 0 errors",
			"SELECT id FROM t WHERE id > $1":      "1 calls, 3 rows, 0 errors",
			"SELECT id FROM t WHERE id > ?":       "1 calls, 3 rows, 0 errors",
			"SELECT count(*) FROM t":              "6 calls, 6 rows, 0 errors",
			"SELECT count(*) FROM t WHERE id > ?": "2 calls, 2 rows, 0 errors",
			"SELECT nope FROM t":                  "2 calls, 0 rows, 2 errors",
		} {
			if got[q] != want {
				t.Errorf("%s: %q, want %q (all: %v)", q, got[q], want, got)
			}
		}
	})

	t.Run("query counters", func(t *testing.T) {
		body := liteMetrics(t, g)
		for _, c := range []struct {
			user, outcome string
			want          int
		}{
			// Five grant refusals and one rate refusal each.
			{"pgrate", "ok", 4}, {"pgrate", "error", 6},
			{"myrate", "ok", 4}, {"myrate", "error", 6},
			{"pgrows", "ok", 5}, {"pgrows", "error", 1},
			{"myrows", "ok", 4}, {"myrows", "error", 1},
			{"pgslow", "error", 1}, {"myslow", "error", 1}, {"pgcancel", "cancelled", 1},
		} {
			re := regexp.MustCompile(`(?m)^floe_queries_total\{database="lite",outcome="` + c.outcome + `",user="` + c.user + `"\} (\d+)$`)
			m := re.FindSubmatch(body)
			if m == nil {
				t.Errorf("no floe_queries_total for %s %s", c.user, c.outcome)
				continue
			}
			if n, _ := strconv.Atoi(string(m[1])); n != c.want {
				t.Errorf("floe_queries_total %s %s = %d, want %d", c.user, c.outcome, n, c.want)
			}
		}
	})

	// Stopping the gateway flushes the audit log.
	g.stop(t)
	results := map[string][]result{}
	for _, e := range auditEvents(t, auditPath, "result") {
		user, _ := e["user"].(string)
		rows, _ := e["rows"].(float64)
		code, _ := e["error"].(string)
		results[user] = append(results[user], result{int(rows), code})
	}
	stopped := []result{{0, "57014"}}
	for user, want := range map[string][]result{"pgrows": wantPG, "myrows": wantMy, "pgslow": stopped, "myslow": stopped, "pgcancel": stopped} {
		if !slices.Equal(results[user], want) {
			t.Errorf("audit results of %s: %v, want %v", user, results[user], want)
		}
	}
	// The rate refusal is audited; the grant refusals are not results.
	wantRate := []result{{1, ""}, {1, ""}, {1, ""}, {1, ""}, {0, "53400"}}
	for _, user := range []string{"pgrate", "myrate"} {
		if !slices.Equal(results[user], wantRate) {
			t.Errorf("audit results of %s: %v, want %v", user, results[user], wantRate)
		}
	}
}

// liteMetrics reads the gateway's metrics.
func liteMetrics(t *testing.T, g *gateway) []byte {
	t.Helper()
	resp, err := http.Get("http://" + g.admin + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return body
}
