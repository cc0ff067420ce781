package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/floe-db/floe/internal/cli"
	"github.com/floe-db/floe/internal/insight"
)

// slowList reads GET /api/v1/slow?database=db.
func slowList(t *testing.T, g *gateway, db string) []insight.Record {
	t.Helper()
	var out struct{ Slow []insight.Record }
	if code := g.adminCall(t, "GET", "/api/v1/slow?limit=100&database="+db, testReadToken, &out); code != 200 {
		t.Fatalf("GET /api/v1/slow: %d", code)
	}
	return out.Slow
}

// slowFinal waits until the newest record whose masked text contains
// frag has a settled plan status (not pending) and returns it.
func slowFinal(t *testing.T, g *gateway, db, frag string) insight.Record {
	t.Helper()
	var rec insight.Record
	eventually(t, 15*time.Second, func() error {
		for _, r := range slowList(t, g, db) {
			if strings.Contains(r.Text, frag) {
				if r.PlanStatus == insight.PlanPending {
					return fmt.Errorf("plan of %q pending", r.Text)
				}
				rec = r
				return nil
			}
		}
		return fmt.Errorf("no slow record with %q", frag)
	})
	return rec
}

// checkSplit: the phases add up to the duration, which passed the
// threshold.
func checkSplit(t *testing.T, r insight.Record, least time.Duration) {
	t.Helper()
	p := r.Phases
	if sum := p.PolicyMS + p.WaitMS + p.BackendMS + p.StreamMS; math.Abs(sum-r.DurationMS) > 0.01 {
		t.Errorf("%q: phases %+v add up to %.3f ms, duration %.3f ms", r.Text, p, sum, r.DurationMS)
	}
	if r.DurationMS < float64(least.Milliseconds()) {
		t.Errorf("%q: duration %.1f ms, want at least %v", r.Text, r.DurationMS, least)
	}
}

func planText(r insight.Record) string {
	b, _ := json.Marshal(r.Plan)
	return string(b)
}

func slowMetric(t *testing.T, g *gateway, db string) int {
	t.Helper()
	resp, err := http.Get("http://" + g.admin + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, l := range strings.Split(string(body), "\n") {
		if v, ok := strings.CutPrefix(l, fmt.Sprintf("floe_slow_statements_total{database=%q} ", db)); ok {
			n, _ := strconv.ParseFloat(v, 64)
			return int(n)
		}
	}
	return 0
}

// TestSlowStatementsPostgres: statements over the threshold are recorded
// with masked text and their time split; a read-only SELECT gets its
// plan (with its parameter values), once per shape within the plan
// interval; an UPDATE is recorded but never explained (checked by an
// effect of planning it: an immutable function that notifies); and the
// plan is captured as the user's backend login, so a table that login
// cannot read yields an error, never a plan.
func TestSlowStatementsPostgres(t *testing.T) {
	dsn := testDB(t)
	ctx := context.Background()
	admin := pgSetup(t, dsn,
		"CREATE TABLE items (id int primary key, name text)",
		"INSERT INTO items VALUES (1, 'one')",
		"CREATE TABLE hidden_ledger (id int, secret text)",
		// Planning a statement that calls mark(1) folds the call (it is
		// declared immutable), which sends a notification: the effect
		// that shows whether a statement was planned.
		`CREATE FUNCTION mark(i int) RETURNS int IMMUTABLE LANGUAGE plpgsql AS $$
		 BEGIN PERFORM pg_notify('floe_t_planned', i::text); RETURN i; END $$`,
	)
	reader := pgLogin(t, dsn, "GRANT SELECT, UPDATE ON items TO $LOGIN")
	g := start(t, fmt.Sprintf(`databases:
  - name: app
    kind: postgres
    primary: %s
    pool: {mode: transaction, size: 2}
    identities:
      - {role: analyst, user: %s, password: pw-%s}
    slow: {threshold: 200ms, plan_rate: 60/min, keep: 100}
users:
  - {name: alice, password: alice-secret, roles: [analyst]}
roles:
  - name: analyst
    grants:
      - {database: app, tables: ["*"], actions: [all]}
      - {database: app, functions: [pg_sleep, mark], actions: [execute]}
`, dsn, reader, reader))
	alice := g.connect(t, "alice", "alice-secret", "app")

	// A slow SELECT with a parameter and a literal: recorded, masked, explained.
	var name string
	if err := alice.QueryRow(ctx, "SELECT name FROM items, pg_sleep(0.3) WHERE id = $1 AND name <> 'topsecret-literal'", 1).Scan(&name); err != nil || name != "one" {
		t.Fatalf("slow select: %q, %v", name, err)
	}
	r := slowFinal(t, g, "app", "pg_sleep")
	if strings.Contains(r.Text, "topsecret-literal") || !strings.Contains(r.Text, "items") {
		t.Fatalf("text not masked: %q", r.Text)
	}
	checkSplit(t, r, 300*time.Millisecond)
	if r.User != "alice" || r.Database != "app" || r.Status != "ok" || r.Rows != 1 || r.Client == "" {
		t.Fatalf("record %+v", r)
	}
	if r.PlanStatus != insight.PlanCaptured || r.Plan == nil || r.Plan.Tree == nil {
		t.Fatalf("no plan: %s %s", r.PlanStatus, r.PlanNote)
	}
	if pt := planText(r); !strings.Contains(pt, `"relation":"items"`) || strings.Contains(pt, "topsecret-literal") {
		t.Fatalf("plan: %s", pt)
	}
	// The same shape again within the interval: recorded, not explained.
	if err := alice.QueryRow(ctx, "SELECT name FROM items, pg_sleep(0.3) WHERE id = $1 AND name <> 'topsecret-literal'", 1).Scan(&name); err != nil {
		t.Fatal(err)
	}
	eventually(t, 5*time.Second, func() error {
		recs := slowList(t, g, "app")
		if len(recs) < 2 || recs[0].Shape != r.Shape || recs[0].PlanStatus != insight.PlanRateLimited {
			return fmt.Errorf("records %+v", recs)
		}
		return nil
	})

	// The effect check works: planning an UPDATE that calls mark notifies.
	listener := pgSetup(t, dsn, "LISTEN floe_t_planned")
	notes := func(wait time.Duration) int {
		n := 0
		for {
			wctx, cancel := context.WithTimeout(ctx, wait)
			_, err := listener.WaitForNotification(wctx)
			cancel()
			if err != nil {
				return n
			}
			n++
		}
	}
	if _, err := admin.Exec(ctx, "EXPLAIN UPDATE items SET name = name WHERE mark(7) = 7"); err != nil {
		t.Fatal(err)
	}
	if n := notes(time.Second); n != 1 {
		t.Fatalf("planning an UPDATE with mark sent %d notifications, want 1", n)
	}
	// A slow UPDATE through the gateway: recorded, planned only by its
	// own run (one notification), never explained.
	if _, err := alice.Exec(ctx, "UPDATE items SET name = name WHERE (SELECT pg_sleep(0.3)) IS NOT NULL AND mark(1) = 1", pgx.QueryExecModeSimpleProtocol); err != nil {
		t.Fatal(err)
	}
	u := slowFinal(t, g, "app", "UPDATE items")
	checkSplit(t, u, 300*time.Millisecond)
	if u.PlanStatus != insight.PlanSkipped || u.Plan != nil || u.Rows != 1 {
		t.Fatalf("update record: %+v", u)
	}
	if n := notes(2 * time.Second); n != 1 {
		t.Fatalf("the UPDATE was planned %d times, want 1 (its own run)", n)
	}

	// A table the login cannot read: the statement waits on a lock (so it
	// is slow), then the server refuses it; the capture, as the same
	// login, gets the same refusal and no plan.
	tx, err := admin.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(ctx, "LOCK TABLE hidden_ledger IN ACCESS EXCLUSIVE MODE"); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := alice.Exec(ctx, "SELECT secret FROM hidden_ledger WHERE id = 5")
		done <- err
	}()
	time.Sleep(400 * time.Millisecond)
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	if err := <-done; sqlstate(err) != "42501" {
		t.Fatalf("reading hidden_ledger as the login: %v, want 42501", err)
	}
	h := slowFinal(t, g, "app", "hidden_ledger")
	t.Logf("hidden capture: %s: %s", h.PlanStatus, h.PlanNote)
	if h.Code != "42501" || h.PlanStatus != insight.PlanFailed || h.Plan != nil || !strings.HasPrefix(h.PlanNote, "42501: permission denied") {
		t.Fatalf("hidden record: %+v", h)
	}

	if n := slowMetric(t, g, "app"); n < 4 {
		t.Fatalf("floe_slow_statements_total = %d, want at least 4", n)
	}
	// floe admin slow: the table and the JSON.
	var out, errOut bytes.Buffer
	if code := cli.Main(ctx, []string{"admin", "--server", "http://" + g.admin, "--token", testReadToken, "slow", "--database", "app"}, strings.NewReader(""), &out, &errOut); code != 0 {
		t.Fatalf("floe admin slow: %d %s", code, errOut.String())
	}
	if !strings.Contains(out.String(), "PLAN_STATUS") || !strings.Contains(out.String(), "hidden_ledger") || strings.Contains(out.String(), "topsecret-literal") {
		t.Fatalf("floe admin slow:\n%s", out.String())
	}
	out.Reset()
	if code := cli.Main(ctx, []string{"admin", "--server", "http://" + g.admin, "--token", testReadToken, "--json", "slow", "--limit", "1"}, strings.NewReader(""), &out, &errOut); code != 0 {
		t.Fatalf("floe admin slow --json: %d %s", code, errOut.String())
	}
	var js struct{ Slow []insight.Record }
	if err := json.Unmarshal(out.Bytes(), &js); err != nil || len(js.Slow) != 1 || js.Slow[0].ID != h.ID {
		t.Fatalf("floe admin slow --json: %v %s", err, out.String())
	}
}

// TestSlowStatementsMySQL: on MariaDB, a slow prepared SELECT is recorded
// masked and explained with its COM_STMT_EXECUTE values; a slow UPDATE is
// recorded and not explained (MariaDB's user statistics show no
// connection made for it, where each capture makes one as the login);
// the capture runs as the user's backend
// login, so a view over a table that login cannot read (the user reads
// it through the view's definer) yields the server's refusal, never a
// plan naming the table.
func TestSlowStatementsMySQL(t *testing.T) {
	dsn, direct := myTestDB(t)
	var dbName string
	if err := direct.QueryRow("select database()").Scan(&dbName); err != nil {
		t.Fatal(err)
	}
	mySetup(t, direct,
		"CREATE TABLE items (id int primary key, name varchar(50))",
		"INSERT INTO items VALUES (1, 'one')",
		"CREATE TABLE hidden_ledger (id int, secret text)",
		"INSERT INTO hidden_ledger VALUES (1, 'x')",
		"CREATE SQL SECURITY DEFINER VIEW ledger_view AS SELECT id FROM hidden_ledger",
	)
	login := randName("floe_t_")
	t.Cleanup(func() { _, _ = direct.Exec(fmt.Sprintf("DROP USER IF EXISTS '%s'@'%%'", login)) })
	mySetup(t, direct,
		fmt.Sprintf("CREATE USER '%s'@'%%' IDENTIFIED BY 'pw-%s'", login, login),
		fmt.Sprintf("GRANT SELECT, UPDATE ON %s.items TO '%s'@'%%'", dbName, login),
		fmt.Sprintf("GRANT SELECT ON %s.ledger_view TO '%s'@'%%'", dbName, login),
	)
	// Connections the login made (MariaDB's user statistics): one pool
	// connection, and one more for each plan captured — the effect that
	// shows whether a statement was explained.
	var userstat int
	if err := direct.QueryRow("SELECT @@global.userstat").Scan(&userstat); err != nil {
		t.Fatal(err)
	}
	mySetup(t, direct, "SET GLOBAL userstat = 1")
	t.Cleanup(func() { _, _ = direct.Exec(fmt.Sprintf("SET GLOBAL userstat = %d", userstat)) })
	conns := func() int {
		t.Helper()
		var n int
		if err := direct.QueryRow("SELECT COALESCE(SUM(TOTAL_CONNECTIONS), 0) FROM information_schema.USER_STATISTICS WHERE USER = ?", login).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	g := start(t, fmt.Sprintf(`databases:
  - name: shop
    kind: mysql
    primary: %s
    pool: {mode: transaction, size: 1}
    identities:
      - {role: analyst, user: %s, password: pw-%s}
    slow: {threshold: 200ms, plan_interval: 1m}
users:
  - {name: alice, password: alice-secret, roles: [analyst]}
roles:
  - name: analyst
    grants:
      - {database: shop, tables: ["*"], actions: [all]}
      - {database: shop, functions: [sleep], actions: [execute]}
`, dsn, login, login))
	alice := g.mydb(t, "alice", "alice-secret", "shop", nil)

	var name string
	if err := alice.QueryRow("SELECT name FROM items WHERE id = ? AND SLEEP(0.3) = 0 AND name <> 'topsecret-literal'", 1).Scan(&name); err != nil || name != "one" {
		t.Fatalf("slow select: %q, %v", name, err)
	}
	r := slowFinal(t, g, "shop", "SLEEP")
	checkSplit(t, r, 300*time.Millisecond)
	if strings.Contains(r.Text, "topsecret-literal") || r.User != "alice" || r.Status != "ok" {
		t.Fatalf("record %+v", r)
	}
	if r.PlanStatus != insight.PlanCaptured || r.Plan == nil || r.Plan.Format != insight.FormatMySQL {
		t.Fatalf("no plan: %s %s", r.PlanStatus, r.PlanNote)
	}
	if pt := planText(r); !strings.Contains(pt, `"relation":"items"`) || strings.Contains(pt, "topsecret-literal") {
		t.Fatalf("plan: %s", pt)
	}
	if n := conns(); n != 2 {
		t.Fatalf("the login made %d connections, want 2 (the pool's, the capture's)", n)
	}

	if _, err := alice.Exec("UPDATE items SET name = name WHERE SLEEP(0.3) = 0"); err != nil {
		t.Fatal(err)
	}
	u := slowFinal(t, g, "shop", "UPDATE items")
	if u.PlanStatus != insight.PlanSkipped || u.Plan != nil {
		t.Fatalf("update record: %+v", u)
	}
	time.Sleep(500 * time.Millisecond)
	if n := conns(); n != 2 {
		t.Fatalf("the login made %d connections after the UPDATE, want still 2: it was explained", n)
	}

	var id, slept int
	if err := alice.QueryRow("SELECT id, SLEEP(0.3) FROM ledger_view").Scan(&id, &slept); err != nil || id != 1 {
		t.Fatalf("reading the view: %d, %v", id, err)
	}
	h := slowFinal(t, g, "shop", "ledger_view")
	t.Logf("view capture: %s: %s", h.PlanStatus, h.PlanNote)
	if n := conns(); n != 3 {
		t.Fatalf("the login made %d connections, want 3: the view's capture ran as the login", n)
	}
	if h.Status != "ok" || h.PlanStatus != insight.PlanFailed || h.Plan != nil || !strings.HasPrefix(h.PlanNote, "1345: ") || strings.Contains(h.PlanNote, "hidden_ledger") {
		t.Fatalf("view record: %+v", h)
	}
	// The same EXPLAIN as the DSN's login would have named the table.
	var plan string
	if err := direct.QueryRow("EXPLAIN FORMAT=JSON SELECT id, SLEEP(0.3) FROM ledger_view").Scan(&plan); err != nil || !strings.Contains(plan, "hidden_ledger") {
		t.Fatalf("EXPLAIN as the DSN's login: %v %s", err, plan)
	}
}
