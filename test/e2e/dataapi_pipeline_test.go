package e2e

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/apache/arrow-adbc/go/adbc"
	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/jackc/pgx/v5"
	"google.golang.org/grpc/codes"
)

// grpcCode reports whether err is an ADBC error carrying the gRPC status
// code c.
func grpcCode(err error, c codes.Code) bool {
	var ae adbc.Error
	return errors.As(err, &ae) && ae.VendorCode == int32(c)
}

// pipelineDataConfig: the three databases of dataGateway; alice reads
// everything but secrets; rh (over HTTP) and rf (over Flight SQL) read
// the same with a rate limit of two statements (a token comes back every
// 1000 s: never during the test).
func pipelineDataConfig(pgDSN, myDSN, litePath, auditPath string) string {
	return fmt.Sprintf(`databases:
  - {name: app, kind: postgres, primary: %q, pool: {mode: transaction, size: 4}}
  - {name: shop, kind: mysql, primary: %q, pool: {mode: transaction, size: 4}}
  - {name: lite, kind: sqlite, path: %q}
users:
  - {name: alice, password: alice-secret, roles: [analyst]}
  - {name: rh, password: rh-secret, roles: [analyst]}
  - {name: rf, password: rf-secret, roles: [analyst]}
roles:
  - name: analyst
    grants:
      - {database: "*", tables: ["*"], actions: [select]}
      - {database: "*", tables: [secrets], actions: [select], deny: true}
limits:
  - {per: user, user: rh, rate: 0.001, burst: 2}
  - {per: user, user: rf, rate: 0.001, burst: 2}
audit: {file: %q}
`, pgDSN, myDSN, litePath, auditPath)
}

func pipelineDataGateway(t *testing.T, auditPath string) *gateway {
	t.Helper()
	pgDSN := testDB(t)
	myDSN, direct := myTestDB(t)
	ctx := context.Background()
	pgc, err := pgx.Connect(ctx, pgDSN)
	if err != nil {
		t.Fatal(err)
	}
	defer pgc.Close(ctx)
	for _, q := range []string{maskedTable, maskedRows, "CREATE TABLE secrets (k int)"} {
		if _, err := pgc.Exec(ctx, q); err != nil {
			t.Fatal(err)
		}
		if _, err := direct.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	lite := filepath.Join(t.TempDir(), "lite.db")
	seedSQLite(t, lite, maskedTable, maskedRows, "CREATE TABLE secrets (k int)")
	return start(t, pipelineDataConfig(pgDSN, myDSN, lite, auditPath))
}

// queryStats reads /api/v1/queries as "database: query" → count, errors
// and rows.
func (g *gateway) queryStats(t *testing.T) map[string][3]int64 {
	t.Helper()
	var top struct {
		Queries []struct {
			Database, Query     string
			Count, Errors, Rows int64
		}
	}
	if code := g.adminCall(t, "GET", "/api/v1/queries?sort=count&limit=100", testReadToken, &top); code != 200 {
		t.Fatalf("queries: %d", code)
	}
	out := map[string][3]int64{}
	for _, q := range top.Queries {
		out[q.Database+": "+q.Query] = [3]int64{q.Count, q.Errors, q.Rows}
	}
	return out
}

// adbcPrepared prepares q on c and runs it once per parameter in ids;
// it returns the rows of all runs.
func adbcPrepared(t *testing.T, c adbc.Connection, q string, ids ...int64) ([][]string, error) {
	t.Helper()
	st, err := c.NewStatement()
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := st.SetSqlQuery(q); err != nil {
		t.Fatal(err)
	}
	if err := st.Prepare(context.Background()); err != nil {
		return nil, err
	}
	b := array.NewRecordBuilder(memory.DefaultAllocator, arrow.NewSchema([]arrow.Field{{Name: "id", Type: arrow.PrimitiveTypes.Int64}}, nil))
	b.Field(0).(*array.Int64Builder).AppendValues(ids, nil)
	rec := b.NewRecordBatch()
	b.Release()
	defer rec.Release()
	if err := st.Bind(context.Background(), rec); err != nil {
		t.Fatal(err)
	}
	rdr, _, err := st.ExecuteQuery(context.Background())
	if err != nil {
		return nil, err
	}
	_, rows := readAll(t, rdr)
	return rows, nil
}

// Statements sent over HTTP and Flight SQL go through the database's
// statement pipeline like the wire paths' statements: /api/v1/queries
// shows their calls and rows, floe_queries_total counts them by outcome,
// the audit result records carry the rows returned, and a denied
// statement takes no rate token on either path.
func TestDataAPIPipelineStats(t *testing.T) {
	auditPath := filepath.Join(t.TempDir(), "audit.jsonl")
	g := pipelineDataGateway(t, auditPath)
	params := map[string]string{"app": "$1", "shop": "?", "lite": "$1"}
	for _, db := range []string{"app", "shop", "lite"} {
		for range 3 {
			a := g.post(t, "alice", "alice-secret", "/v1/query?format=csv", queryBody(db, "SELECT id, name FROM customers WHERE id <= 2"))
			if a.status != 200 || a.trailer.Get("Floe-Rows") != "2" {
				t.Fatalf("%s over HTTP: %d %s %v", db, a.status, a.body, a.trailer)
			}
		}
		if a := g.post(t, "alice", "alice-secret", "/v1/query", queryBody(db, "SELECT k FROM secrets")); a.status != 403 {
			t.Fatalf("%s: secrets over HTTP: %d %s", db, a.status, a.body)
		}
		c, err := g.adbcConn(t, "alice", "alice-secret", db)
		if err != nil {
			t.Fatal(err)
		}
		for range 2 {
			if _, rows, err := adbcQuery(t, c, "SELECT name FROM customers WHERE id <= 2"); err != nil || len(rows) != 2 {
				t.Fatalf("%s over Flight SQL: %v %v", db, rows, err)
			}
		}
		if _, _, err := adbcQuery(t, c, "SELECT k FROM secrets"); adbcStatus(err) != adbc.StatusUnauthorized {
			t.Fatalf("%s: secrets over Flight SQL: %v", db, err)
		}
		// A prepared statement runs once per parameter set: two
		// statements of one row each.
		if rows, err := adbcPrepared(t, c, "SELECT email FROM customers WHERE id = "+params[db], 1, 2); err != nil || len(rows) != 2 {
			t.Fatalf("%s: prepared over Flight SQL: %v %v", db, rows, err)
		}
		if _, err := adbcPrepared(t, c, "SELECT k FROM secrets WHERE k = "+params[db], 1); adbcStatus(err) != adbc.StatusUnauthorized {
			t.Fatalf("%s: prepared secrets over Flight SQL: %v", db, err)
		}
	}

	stats := g.queryStats(t)
	for _, db := range []string{"app", "shop", "lite"} {
		ph := "$1"
		if db == "shop" {
			ph = "?"
		}
		for q, want := range map[string][3]int64{
			"SELECT id, name FROM customers WHERE id <= ?": {3, 0, 6},
			"SELECT name FROM customers WHERE id <= ?":     {2, 0, 4},
			"SELECT email FROM customers WHERE id = " + ph: {2, 0, 2},
		} {
			if got := stats[db+": "+q]; got != want {
				t.Errorf("%s: %s: [calls errors rows] %v, want %v (all: %v)", db, q, got, want, stats)
			}
		}
		// 3 + 2 + 2 statements ran; the denied ones (HTTP, Flight SQL,
		// a Flight SQL prepare) are errors.
		if got := g.metric(t, fmt.Sprintf(`floe_queries_total{database=%q,outcome="ok",user="alice"}`, db)); got != 7 {
			t.Errorf("%s: ok statements %v, want 7", db, got)
		}
		if got := g.metric(t, fmt.Sprintf(`floe_queries_total{database=%q,outcome="error",user="alice"}`, db)); got != 3 {
			t.Errorf("%s: error statements %v, want 3", db, got)
		}
	}

	// One result record per statement run, with its rows: per database,
	// three of 2 rows over HTTP; two of 2 rows and two of 1 (the
	// prepared runs) over Flight SQL. Denied statements have none.
	want := map[string]string{}
	for _, db := range []string{"app", "shop", "lite"} {
		want[db+" http"] = "[2 2 2]"
		want[db+" flightsql"] = "[1 1 2 2]"
	}
	var got map[string]string
	for deadline := time.Now().Add(5 * time.Second); ; {
		rows := map[string][]int{}
		n := 0
		for _, e := range auditEvents(t, auditPath, "result") {
			if e["user"] == "alice" {
				k := fmt.Sprint(e["database"], " ", e["protocol"])
				r, _ := e["rows"].(float64)
				rows[k] = append(rows[k], int(r))
				n++
				if e["error"] != nil && e["error"] != "" {
					t.Errorf("result record with an error: %v", e)
				}
			}
		}
		got = map[string]string{}
		for k, r := range rows {
			slices.Sort(r)
			got[k] = fmt.Sprint(r)
		}
		if n >= 21 || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if !maps.Equal(got, want) {
		t.Errorf("audit result rows %v, want %v", got, want)
	}

	// Denied statements take no rate token: after any number of them the
	// two statements of the burst run, and the third is refused.
	for range 4 {
		if a := g.post(t, "rh", "rh-secret", "/v1/query", queryBody("app", "SELECT k FROM secrets")); a.status != 403 {
			t.Fatalf("denied over HTTP: %d %s", a.status, a.body)
		}
	}
	for i := range 2 {
		if a := g.post(t, "rh", "rh-secret", "/v1/query", queryBody("app", "SELECT id FROM customers")); a.status != 200 {
			t.Fatalf("statement %d over HTTP after denials: %d %s", i, a.status, a.body)
		}
	}
	if a := g.post(t, "rh", "rh-secret", "/v1/query", queryBody("app", "SELECT id FROM customers")); a.status != 429 {
		t.Fatalf("third statement over HTTP: %d %s", a.status, a.body)
	}
	c, err := g.adbcConn(t, "rf", "rf-secret", "shop")
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if _, _, err := adbcQuery(t, c, "SELECT k FROM secrets"); adbcStatus(err) != adbc.StatusUnauthorized {
			t.Fatalf("denied over Flight SQL: %v", err)
		}
		if _, err := adbcPrepared(t, c, "SELECT k FROM secrets WHERE k = ?", 1); adbcStatus(err) != adbc.StatusUnauthorized {
			t.Fatalf("denied prepare over Flight SQL: %v", err)
		}
	}
	for i := range 2 {
		if _, rows, err := adbcQuery(t, c, "SELECT id FROM customers"); err != nil || len(rows) != 2 {
			t.Fatalf("statement %d over Flight SQL after denials: %v %v", i, rows, err)
		}
	}
	if _, _, err := adbcQuery(t, c, "SELECT id FROM customers"); !grpcCode(err, codes.ResourceExhausted) {
		t.Fatalf("third statement over Flight SQL: %v", err)
	}
}
