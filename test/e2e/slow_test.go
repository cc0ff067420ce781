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
	if h.Code != "42501" || h.PlanStatus != insight.PlanFailed || h.Plan != nil || !strings.Contains(h.PlanNote, "permission denied") {
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
