package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/floe-db/floe/internal/advise"
	"github.com/floe-db/floe/internal/cli"
)

// adviceReports reads GET /api/v1/advice with the query given.
func adviceReports(t *testing.T, g *gateway, query string) []advise.Report {
	t.Helper()
	var out struct{ Reports []advise.Report }
	if code := g.adminCall(t, "GET", "/api/v1/advice"+query, testReadToken, &out); code != 200 {
		t.Fatalf("GET /api/v1/advice%s: %d", query, code)
	}
	return out.Reports
}

// dataAdvice reads GET /v1/advice of the data API as user.
func dataAdvice(t *testing.T, g *gateway, user, password string) []advise.Report {
	t.Helper()
	req, _ := http.NewRequest("GET", "http://"+g.http+"/v1/advice", nil)
	req.SetBasicAuth(user, password)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("GET /v1/advice as %s: %d", user, resp.StatusCode)
	}
	var out struct{ Reports []advise.Report }
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatal(err)
	}
	return out.Reports
}

// adviceOn returns the advice on table, and the tables advised.
func adviceOn(reports []advise.Report, db, table string) (*advise.Advice, []string) {
	var found *advise.Advice
	var tables []string
	for _, r := range reports {
		if r.Database != db {
			continue
		}
		for i, a := range r.Advice {
			tables = append(tables, a.Table)
			if a.Table == table && found == nil {
				found = &r.Advice[i]
			}
		}
	}
	return found, tables
}

// shapeFigures are a shape's count and total time from GET
// /api/v1/queries.
func shapeFigures(t *testing.T, g *gateway, db, prefix string) (count int, totalMS float64) {
	t.Helper()
	var top struct {
		Queries []struct {
			Database, Query string
			Count           int
			TotalMS         float64 `json:"total_ms"`
		}
	}
	if code := g.adminCall(t, "GET", "/api/v1/queries?limit=1000", testReadToken, &top); code != 200 {
		t.Fatalf("queries: %d", code)
	}
	for _, q := range top.Queries {
		if q.Database == db && strings.HasPrefix(q.Query, prefix) {
			return q.Count, q.TotalMS
		}
	}
	t.Fatalf("no shape %q in %+v", prefix, top.Queries)
	return 0, 0
}

// A workload through the gateway on a table without the index it needs:
// the advice names the index, verified with a hypothetical index; once
// created, the plan uses it and the shape's mean latency drops. A table
// already indexed gets no advice; a user sees only the advice for
// shapes that user may run, on the admin API and on the data API.
func TestAdvicePostgres(t *testing.T) {
	dsn := testDB(t)
	ctx := context.Background()
	direct, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer direct.Close(ctx)
	if _, err := direct.Exec(ctx, `
		CREATE TABLE orders (id int PRIMARY KEY, customer_id int NOT NULL, status text NOT NULL, note text);
		INSERT INTO orders SELECT g, g % 5000, 'open', repeat('x', 60) FROM generate_series(1, 200000) g;
		CREATE TABLE items (id int PRIMARY KEY, sku int NOT NULL);
		INSERT INTO items SELECT g, g FROM generate_series(1, 50000) g;
		CREATE INDEX items_sku ON items (sku);
		CREATE TABLE payroll (id int PRIMARY KEY, employee int NOT NULL, amount int);
		INSERT INTO payroll SELECT g, g % 1000, g FROM generate_series(1, 100000) g;
		ANALYZE`); err != nil {
		t.Fatal(err)
	}
	g := start(t, fmt.Sprintf(`databases:
  - {name: app, kind: postgres, primary: %q, pool: {mode: transaction, size: 4}, advice: {min_gain: 0.5}}
users:
  - {name: alice, password: alice-secret, roles: [shop]}
  - {name: hr, password: hr-secret, roles: [payroll]}
roles:
  - name: shop
    grants:
      - {database: app, tables: [public.orders, public.items], actions: [select]}
  - name: payroll
    grants:
      - {database: app, tables: [public.payroll], actions: [select]}
advice: {top_shapes: 10, interval: 1h}
`, dsn))
	alice := g.connect(t, "alice", "alice-secret", "app")
	hr := g.connect(t, "hr", "hr-secret", "app")
	const ordersQ = "SELECT id, status FROM orders WHERE customer_id = $1"
	run := func(c *pgx.Conn, q string, n int) {
		t.Helper()
		for i := range n {
			rows, err := c.Query(ctx, q, i*7%5000)
			if err != nil {
				t.Fatal(err)
			}
			rows.Close()
			if rows.Err() != nil {
				t.Fatal(rows.Err())
			}
		}
	}
	run(alice, ordersQ, 25)
	run(alice, "SELECT id FROM items WHERE sku = $1", 25)
	run(hr, "SELECT amount FROM payroll WHERE employee = $1", 25)
	count1, total1 := shapeFigures(t, g, "app", "SELECT id, status FROM orders")

	reports := adviceReports(t, g, "?refresh=true")
	if len(reports) != 1 || !reports[0].Verified || reports[0].Kind != "postgres" {
		t.Fatalf("reports: %+v", reports)
	}
	orders, tables := adviceOn(reports, "app", "public.orders")
	if orders == nil || !slices.Equal(orders.Columns, []string{"customer_id"}) || !orders.Verified || orders.Gain < 0.5 {
		t.Fatalf("advice on public.orders: %+v (tables advised %v)", orders, tables)
	}
	if !strings.HasPrefix(orders.Statement, "CREATE INDEX CONCURRENTLY ") || !strings.Contains(orders.Statement, "ON public.orders (customer_id)") {
		t.Fatalf("statement: %s", orders.Statement)
	}
	if len(orders.Shapes) != 1 || orders.Shapes[0].Query != ordersQ || orders.Shapes[0].Count != 25 || orders.Shapes[0].CostAfter >= orders.Shapes[0].CostBefore {
		t.Fatalf("shapes helped: %+v", orders.Shapes)
	}
	if slices.Contains(tables, "public.items") {
		t.Fatalf("advice for the indexed table items: %v", tables)
	}
	if !slices.Contains(tables, "public.payroll") {
		raw, _ := json.MarshalIndent(reports, "", " ")
		t.Fatalf("no advice for payroll: %v\n%s", tables, raw)
	}

	// Each user sees the advice of the shapes the user may run only.
	for _, tc := range []struct {
		user, password string
		want, not      string
	}{
		{"alice", "alice-secret", "public.orders", "public.payroll"},
		{"hr", "hr-secret", "public.payroll", "public.orders"},
	} {
		_, admin := adviceOn(adviceReports(t, g, "?user="+tc.user), "app", "")
		_, data := adviceOn(dataAdvice(t, g, tc.user, tc.password), "app", "")
		for name, got := range map[string][]string{"admin API": admin, "data API": data} {
			if !slices.Contains(got, tc.want) || slices.Contains(got, tc.not) {
				t.Errorf("%s, user %s: advice on %v; want %s and never %s", name, tc.user, got, tc.want, tc.not)
			}
		}
	}
	var out struct{ Error struct{ Code string } }
	if code := g.adminCall(t, "GET", "/api/v1/advice?user=nobody", testReadToken, &out); code != 404 {
		t.Errorf("unknown user: %d %+v", code, out)
	}
	// floe admin advise: the statement and its verification in words;
	// --json is the API's answer.
	adviseCLI := func(args ...string) string {
		t.Helper()
		var stdout, stderr bytes.Buffer
		if code := cli.Main(ctx, append([]string{"admin", "--server", "http://" + g.admin, "--token", testReadToken, "advise"}, args...),
			strings.NewReader(""), &stdout, &stderr); code != 0 {
			t.Fatalf("floe admin advise %v: exit %d: %s", args, code, stderr.String())
		}
		return stdout.String()
	}
	if text := adviseCLI("--user", "alice"); !strings.Contains(text, orders.Statement+";") || !strings.Contains(text, "verified: estimated cost -") ||
		strings.Contains(text, "payroll") {
		t.Errorf("floe admin advise --user alice:\n%s", text)
	}
	var cliOut struct{ Reports []advise.Report }
	if err := json.Unmarshal([]byte(adviseCLI("--json", "--database", "app")), &cliOut); err != nil || len(cliOut.Reports) != 1 || len(cliOut.Reports[0].Advice) != 2 {
		t.Errorf("floe admin advise --json: %+v, %v", cliOut, err)
	}

	// Create the index the advice gives: the plan uses it, the shape's
	// mean latency drops, and the advice no longer names it.
	if _, err := direct.Exec(ctx, orders.Statement); err != nil {
		t.Fatal(err)
	}
	if _, err := direct.Exec(ctx, "ANALYZE orders"); err != nil {
		t.Fatal(err)
	}
	var plan string
	if err := direct.QueryRow(ctx, "EXPLAIN (FORMAT JSON) SELECT id, status FROM orders WHERE customer_id = 42").Scan(&plan); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(plan, `"Index Name": "floe_idx_orders_customer_id"`) {
		t.Fatalf("the plan does not use the index: %s", plan)
	}
	run(alice, ordersQ, 25)
	count2, total2 := shapeFigures(t, g, "app", "SELECT id, status FROM orders")
	before, after := total1/float64(count1), (total2-total1)/float64(count2-count1)
	t.Logf("mean latency of %q: %.3f ms before the index, %.3f ms after", ordersQ, before, after)
	if count2-count1 != 25 || after >= before/2 {
		t.Errorf("mean latency %.3f ms before, %.3f ms after (%d new statements): want it halved at least", before, after, count2-count1)
	}
	orders, tables = adviceOn(adviceReports(t, g, "?refresh=true"), "app", "public.orders")
	if orders != nil {
		t.Errorf("advice on orders after its index exists: %+v", orders)
	}
	if !slices.Contains(tables, "public.payroll") {
		t.Errorf("payroll advice gone: %v", tables)
	}
}

// MariaDB has no hypothetical indexes: the advice comes from the same
// reading of the statements, with EXPLAIN's evidence (a full scan),
// marked unverified; an indexed table gets none.
func TestAdviceMySQL(t *testing.T) {
	dsn, direct := myTestDB(t)
	for _, q := range []string{
		"CREATE TABLE orders (id int PRIMARY KEY, customer_id int NOT NULL, note varchar(40))",
		"INSERT INTO orders SELECT seq, seq % 500, 'x' FROM seq_1_to_20000",
		"CREATE TABLE items (id int PRIMARY KEY, sku int NOT NULL, KEY items_sku (sku))",
		"INSERT INTO items SELECT seq, seq FROM seq_1_to_5000",
		"ANALYZE TABLE orders, items",
		"CREATE VIEW orders_v AS SELECT * FROM orders",
	} {
		if _, err := direct.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	g := start(t, myRelayConfig(dsn, "transaction", 2))
	db := g.mydb(t, "alice", "alice-secret", "shop", nil)
	for i := range 15 {
		for _, q := range []string{"SELECT id, note FROM orders WHERE customer_id = %d", "SELECT id FROM items WHERE sku = %d"} {
			rows, err := db.Query(fmt.Sprintf(q, i))
			if err != nil {
				t.Fatal(err)
			}
			rows.Close()
		}
	}
	if _, err := db.Exec("SELECT note FROM orders_v WHERE customer_id = 3"); err != nil {
		t.Fatal(err)
	}
	// A write's access path is advised too (planned as the SELECT of its
	// rows: EXPLAIN of the write itself is refused in the planner's
	// READ ONLY session).
	for i := range 3 {
		if _, err := db.Exec(fmt.Sprintf("UPDATE orders SET note = 'y' WHERE customer_id = %d", 400+i)); err != nil {
			t.Fatal(err)
		}
	}
	reports := adviceReports(t, g, "?database=shop&refresh=true")
	if len(reports) != 1 || reports[0].Verified || reports[0].Kind != "mysql" || !strings.Contains(reports[0].Note, "not verified") {
		t.Fatalf("reports: %+v", reports)
	}
	// A view is not planned (planning could run what it calls).
	if len(reports[0].Skipped) != 1 || !strings.Contains(reports[0].Skipped[0].Reason, "it names the view orders_v") {
		t.Errorf("skipped: %+v", reports[0].Skipped)
	}
	schema := advise.MySQLSchema(dsn)
	orders, tables := adviceOn(reports, "shop", schema+".orders")
	if orders == nil || orders.Verified || !slices.Equal(orders.Columns, []string{"customer_id"}) {
		t.Fatalf("advice on orders: %+v (tables %v)", orders, tables)
	}
	if want := "CREATE INDEX `floe_idx_orders_customer_id` ON `" + schema + "`.`orders` (`customer_id`)"; orders.Statement != want {
		t.Errorf("statement %s, want %s", orders.Statement, want)
	}
	if len(orders.Shapes) != 2 {
		t.Fatalf("shapes: %+v", orders.Shapes)
	}
	for _, s := range orders.Shapes {
		if !strings.Contains(strings.Join(s.Evidence, ";"), "full scan of orders (access_type ALL") {
			t.Errorf("evidence of %q: %v", s.Query, s.Evidence)
		}
	}
	if slices.Contains(tables, schema+".items") {
		t.Errorf("advice for the indexed table items: %v", tables)
	}
	// The advice, applied, takes the full scan away.
	if _, err := direct.Exec(orders.Statement); err != nil {
		t.Fatal(err)
	}
	orders, _ = adviceOn(adviceReports(t, g, "?database=shop&refresh=true"), "shop", schema+".orders")
	if orders != nil {
		t.Errorf("advice on orders after its index exists: %+v", orders)
	}
}

// A database the advice cannot reach: operators are told why, with the
// server; a gateway user only that it could not be reached.
func TestAdviceUnreachable(t *testing.T) {
	g := start(t, `databases:
  - {name: gone, kind: postgres, primary: "postgres://floe_t_login@127.0.0.1:1/gone?sslmode=disable&connect_timeout=2"}
users:
  - {name: bob, password: bob-secret}
`)
	reports := adviceReports(t, g, "?refresh=true")
	if len(reports) != 1 || !strings.HasPrefix(reports[0].Note, advise.NoteUnreachable+": ") || !strings.Contains(reports[0].Note, "127.0.0.1") {
		t.Fatalf("admin view: %+v", reports)
	}
	user := dataAdvice(t, g, "bob", "bob-secret")
	if len(user) != 1 || user[0].Note != advise.NoteUnreachable {
		t.Errorf("user view: %+v", user)
	}
}
