package e2e

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/jackc/pgx/v5"
)

// browser starts headless Chromium (Debian's chromium, which
// scripts/services.sh installs) for the test.
func browser(t *testing.T) context.Context {
	t.Helper()
	path, err := exec.LookPath("chromium")
	if err != nil {
		t.Fatal("chromium not found: run scripts/services.sh (apt-get install chromium)")
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-quic", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1400, 1000),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(func() { cancel(); cancelAlloc() })
	return ctx
}

// artifactsDir is where browser tests leave screenshots:
// $FLOE_ARTIFACTS, or artifacts/ at the top of the checkout.
func artifactsDir(t *testing.T) string {
	dir := os.Getenv("FLOE_ARTIFACTS")
	if dir == "" {
		dir = filepath.Join("..", "..", "artifacts")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// The dashboard in a real browser: sign in with an admin token, see the
// charts fill while statements run, see the session and its statement,
// kill it from the page.
func TestDashboardInBrowser(t *testing.T) {
	dsn := testDB(t)
	// With a shared store, grants are in force: alice and bob get a role.
	g := start(t, fmt.Sprintf(`databases:
  - {name: app, kind: postgres, primary: %q, pool: {mode: transaction, size: 4}}
users:
  - {name: alice, password: alice-secret, roles: [everything]}
  - {name: bob, password: bob-secret, roles: [everything]}
roles:
  - {name: everything, grants: [{database: "*", actions: [all]}]}
store: {kind: postgres, dsn: %q}
`, dsn, testDB(t)))
	ctx, cancel := context.WithTimeout(browser(t), 90*time.Second)
	defer cancel()

	// Load on the gateway while the page is open.
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		c, err := pgx.Connect(context.Background(), g.dsn("bob", "bob-secret", "app"))
		if err != nil {
			t.Error(err)
			return
		}
		defer c.Close(context.Background())
		for {
			select {
			case <-stop:
				return
			case <-time.After(5 * time.Millisecond):
			}
			_, _ = c.Exec(context.Background(), "SELECT count(*) FROM generate_series(1, 100)")
		}
	}()
	defer func() { close(stop); wg.Wait() }()
	victim := g.connect(t, "alice", "alice-secret", "app")
	if _, err := victim.Exec(context.Background(), "SELECT 'alice was here'"); err != nil {
		t.Fatal(err)
	}

	poll := func(expr string) chromedp.Action[chromedp.Void] {
		return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
			_, err := chromedp.Poll[bool](expr, chromedp.WithPollingTimeout(30*time.Second), chromedp.WithPollingInterval(200*time.Millisecond))(ctx, t)
			return err
		})
	}
	if err := chromedp.Do(ctx,
		chromedp.Navigate("http://"+g.admin+"/"),
		chromedp.WaitVisible(chromedp.ID("token")),
		chromedp.SendKeys(chromedp.ID("token"), "wrong-token"),
		chromedp.Click(chromedp.ID("login-button")),
		poll(`document.getElementById("login-error").textContent.length > 0`),
	); err != nil {
		t.Fatalf("bad sign-in: %v", err)
	}
	if err := chromedp.Do(ctx,
		chromedp.SetValue(chromedp.ID("token"), testAdminToken),
		chromedp.Click(chromedp.ID("login-button")),
		chromedp.WaitVisible(chromedp.ID("app")),
		poll(`(() => { const c = document.getElementById("chart-qps"); return Number(c.dataset.points) >= 3 && JSON.parse(c.dataset.last).statements > 0; })()`),
		poll(`(() => { const c = document.getElementById("chart-latency"); return !!c.dataset.last && JSON.parse(c.dataset.last).p50 > 0; })()`),
		poll(`document.querySelector('#sessions tr[data-user="alice"]') !== null`),
		poll(`[...document.querySelectorAll("#queries td.sql")].some(td => td.textContent.includes("generate_series"))`),
	); err != nil {
		t.Fatalf("dashboard: %v\ngateway log:\n%s", err, g.log.String())
	}
	who, err := chromedp.Run(ctx, chromedp.Text(chromedp.ID("who")))
	if err != nil {
		t.Fatal(err)
	}
	qps, err := chromedp.Run(ctx, chromedp.AttributeValue(chromedp.ID("chart-qps"), "data-last"))
	if err != nil {
		t.Fatal(err)
	}
	lat, err := chromedp.Run(ctx, chromedp.AttributeValue(chromedp.ID("chart-latency"), "data-last"))
	if err != nil {
		t.Fatal(err)
	}
	sql, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`#sessions tr[data-user="alice"] td.sql`)))
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("signed in as %q; statements/s %s; latency %s", who, qps.Value, lat.Value)
	if sql == "" || strings.Contains(sql, "alice was here") {
		t.Errorf("the session's statement shows as %q: want it with the literal masked", sql)
	}
	shot, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(artifactsDir(t), "dashboard.png")
	if err := os.WriteFile(out, shot, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s (%d bytes)", out, len(shot))

	// Kill alice's session from the page.
	// The page asks for confirmation; the test says yes.
	if err := chromedp.Do(ctx,
		chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
			_, err := chromedp.Evaluate[chromedp.Void](`window.confirm = () => true`)(ctx, t)
			return err
		}),
		chromedp.Click(chromedp.CSS(`#sessions tr[data-user="alice"] button.kill`)),
		poll(`document.querySelector('#sessions tr[data-user="alice"]') === null`),
	); err != nil {
		t.Fatalf("kill from the page: %v", err)
	}
	if _, err := victim.Exec(context.Background(), "SELECT 1"); sqlstate(err) != "57P01" {
		t.Fatalf("the killed session: %v, want 57P01", err)
	}

	// Make a role and a user on the page, then log in as that user with psql.
	if err := chromedp.Do(ctx,
		chromedp.SendKeys(chromedp.ID("role-name"), "viewer"),
		chromedp.SendKeys(chromedp.ID("role-database"), "app"),
		chromedp.SendKeys(chromedp.ID("role-actions"), "select"),
		chromedp.Click(chromedp.ID("role-save")),
		poll(`document.querySelector('#roles tr[data-role="viewer"]') !== null`),
		chromedp.SendKeys(chromedp.ID("user-name"), "erin"),
		chromedp.SendKeys(chromedp.ID("user-password"), "erin-secret-1"),
		chromedp.SendKeys(chromedp.ID("user-roles"), "viewer"),
		chromedp.Click(chromedp.ID("user-save")),
		poll(`document.querySelector('#users tr[data-user="erin"]') !== null`),
	); err != nil {
		msg, _ := chromedp.Run(ctx, chromedp.Text(chromedp.ID("error")))
		t.Fatalf("user and role from the page: %v (page says %q)", err, msg)
	}
	host, port, _ := strings.Cut(g.pg, ":")
	psql := exec.Command("psql", "-h", host, "-p", port, "-U", "erin", "-d", "app", "-Atc", "SELECT 40 + 2")
	psql.Env = append(os.Environ(), "PGPASSWORD=erin-secret-1", "PGSSLMODE=disable")
	psqlOut, err := psql.CombinedOutput()
	if err != nil || strings.TrimSpace(string(psqlOut)) != "42" {
		t.Fatalf("psql as the user made on the page: %v\n%s", err, psqlOut)
	}
	shot, err = chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err == nil {
		_ = os.WriteFile(filepath.Join(artifactsDir(t), "dashboard-users.png"), shot, 0o644)
	}
}

// At 1280×800 the top statements table fits its card: every column is
// visible and nothing overflows sideways, even with long statements
// (cut with an ellipsis).
func TestDashboardTopStatementsFitAt1280(t *testing.T) {
	g := start(t, withAdminTokens("databases: [{name: lite, kind: sqlite, path: "+filepath.Join(t.TempDir(), "l.db")+"}]\nusers: [{name: alice, password: alice-secret}]\n"))
	c := g.connect(t, "alice", "alice-secret", "lite")
	long := "SELECT 1 AS a_rather_long_column_name_to_make_the_statement_wide, 2 AS another_rather_long_column_name, 3 AS yet_another_long_column_name_for_width, 4 AS and_one_more"
	for _, q := range []string{long, "SELECT 42", long + ", 5 AS five"} {
		if _, err := c.Exec(context.Background(), q); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithTimeout(browser(t), 60*time.Second)
	defer cancel()
	fits := `(() => {
		const t = document.getElementById("queries");
		if (!t || t.querySelectorAll("td.sql").length < 3) return false;
		const card = t.closest(".card").getBoundingClientRect();
		const cells = [...t.rows[0].cells, ...t.rows[1].cells];
		return document.documentElement.scrollWidth <= 1280 && t.scrollWidth <= t.clientWidth + 1 &&
			t.getBoundingClientRect().right <= card.right &&
			cells.every((c) => { const r = c.getBoundingClientRect(); return r.width > 0 && r.left >= card.left && r.right <= card.right; });
	})()`
	if err := chromedp.Do(ctx,
		chromedp.EmulateViewport(1280, 800),
		chromedp.Navigate("http://"+g.admin+"/"),
		chromedp.WaitVisible(chromedp.ID("token")),
		chromedp.SendKeys(chromedp.ID("token"), testAdminToken),
		chromedp.Click(chromedp.ID("login-button")),
		chromedp.WaitVisible(chromedp.ID("app")),
		chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
			_, err := chromedp.Poll[bool](`document.querySelectorAll("#queries td.sql").length >= 3`,
				chromedp.WithPollingTimeout(20*time.Second), chromedp.WithPollingInterval(200*time.Millisecond))(ctx, t)
			return err
		}),
	); err != nil {
		t.Fatal(err)
	}
	report, err := chromedp.Run(ctx, chromedp.Evaluate[string](`(() => { const t = document.getElementById("queries"); const card = t.closest(".card").getBoundingClientRect();
		return JSON.stringify({page: document.documentElement.scrollWidth, table: [t.scrollWidth, t.clientWidth], card: [card.left, card.right],
			cells: [...t.rows[0].cells].map((c) => { const r = c.getBoundingClientRect(); return [c.textContent, Math.round(r.left), Math.round(r.right)]; })}); })()`))
	if err != nil {
		t.Fatal(err)
	}
	ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](fits))
	if err != nil {
		t.Fatal(err)
	}
	if shot, err := chromedp.Run(ctx, chromedp.FullScreenshot(80)); err == nil {
		_ = os.WriteFile(filepath.Join(artifactsDir(t), "dashboard-1280.jpg"), shot, 0o644)
	}
	if !ok {
		t.Fatalf("the top statements table does not fit at 1280 px: %s", report)
	}
}

// TestDashboardSlowPlan: the slow-statements panel lists a slow
// PostgreSQL statement with its masked text, and clicking it draws its
// plan as a tree (node type, relation, estimated rows, cost).
func TestDashboardSlowPlan(t *testing.T) {
	dsn := testDB(t)
	pgSetup(t, dsn, "CREATE TABLE items (id int primary key, name text)", "INSERT INTO items VALUES (1, 'one')")
	g := start(t, fmt.Sprintf(`databases:
  - {name: app, kind: postgres, primary: %q, pool: {mode: transaction, size: 2}, slow: {threshold: 100ms}}
users:
  - {name: alice, password: alice-secret}
`, dsn))
	c := g.connect(t, "alice", "alice-secret", "app")
	if _, err := c.Exec(context.Background(), "SELECT name FROM items, pg_sleep(0.2) WHERE name <> 'dashboard-literal'"); err != nil {
		t.Fatal(err)
	}
	slowFinal(t, g, "app", "items")
	ctx, cancel := context.WithTimeout(browser(t), 60*time.Second)
	defer cancel()
	poll := func(expr string) chromedp.Action[chromedp.Void] {
		return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
			_, err := chromedp.Poll[bool](expr, chromedp.WithPollingTimeout(20*time.Second), chromedp.WithPollingInterval(200*time.Millisecond))(ctx, t)
			return err
		})
	}
	if err := chromedp.Do(ctx,
		chromedp.Navigate("http://"+g.admin+"/"),
		chromedp.WaitVisible(chromedp.ID("token")),
		chromedp.SendKeys(chromedp.ID("token"), testReadToken),
		chromedp.Click(chromedp.ID("login-button")),
		chromedp.WaitVisible(chromedp.ID("app")),
		poll(`document.querySelectorAll("#slow tr.has-plan").length >= 1`),
		chromedp.Click(chromedp.CSS("#slow tr.has-plan td.sql")),
		poll(`!document.getElementById("plan").hidden && document.querySelectorAll("#plan-tree .plan-node").length >= 1`),
	); err != nil {
		t.Fatal(err)
	}
	got, err := chromedp.Run(ctx, chromedp.Evaluate[string](`JSON.stringify({rows: document.getElementById("slow").tBodies[0].textContent, tree: document.getElementById("plan-tree").textContent})`))
	if err != nil {
		t.Fatal(err)
	}
	if shot, err := chromedp.Run(ctx, chromedp.FullScreenshot(100)); err == nil {
		_ = os.WriteFile(filepath.Join(artifactsDir(t), "dashboard-slow-plan.png"), shot, 0o644)
	}
	if !strings.Contains(got, "pg_sleep") || strings.Contains(got, "dashboard-literal") ||
		!strings.Contains(got, "on public.items") && !strings.Contains(got, "on items") || !strings.Contains(got, "est. rows") || !strings.Contains(got, "cost") {
		t.Fatalf("slow panel: %s", got)
	}
}

// The dashboard's index advice panel: after a workload on a table
// without the index it needs, Check now shows the CREATE INDEX
// statement, verified by the planner, with the statement it helps.
func TestDashboardAdvice(t *testing.T) {
	dsn := testDB(t)
	direct, err := pgx.Connect(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer direct.Close(context.Background())
	if _, err := direct.Exec(context.Background(), `CREATE TABLE events (id int PRIMARY KEY, device int NOT NULL, payload text);
		INSERT INTO events SELECT g, g % 2000, 'x' FROM generate_series(1, 60000) g;
		ANALYZE events`); err != nil {
		t.Fatal(err)
	}
	g := start(t, fmt.Sprintf(`databases:
  - {name: app, kind: postgres, primary: %q, pool: {mode: transaction, size: 2}}
users:
  - {name: alice, password: alice-secret}
`, dsn))
	c := g.connect(t, "alice", "alice-secret", "app")
	for i := range 10 {
		if _, err := c.Exec(context.Background(), "SELECT payload FROM events WHERE device = $1", i); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithTimeout(browser(t), 60*time.Second)
	defer cancel()
	poll := func(expr string) chromedp.Action[chromedp.Void] {
		return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
			_, err := chromedp.Poll[bool](expr, chromedp.WithPollingTimeout(30*time.Second), chromedp.WithPollingInterval(200*time.Millisecond))(ctx, t)
			return err
		})
	}
	if err := chromedp.Do(ctx,
		chromedp.Navigate("http://"+g.admin+"/"),
		chromedp.WaitVisible(chromedp.ID("token")),
		chromedp.SendKeys(chromedp.ID("token"), testReadToken),
		chromedp.Click(chromedp.ID("login-button")),
		chromedp.WaitVisible(chromedp.ID("app")),
		poll(`!!document.getElementById("advice").dataset.loaded`),
		chromedp.Click(chromedp.ID("advice-refresh")),
		poll(`document.querySelector('#advice tr[data-table="public.events"][data-verified="true"]') !== null`),
	); err != nil {
		msg, _ := chromedp.Run(ctx, chromedp.Text(chromedp.ID("advice-note")))
		t.Fatalf("advice panel: %v (note %q)", err, msg)
	}
	row, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`#advice tr[data-table="public.events"]`)))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(row, "CREATE INDEX CONCURRENTLY floe_idx_events_device ON public.events (device)") ||
		!strings.Contains(row, "SELECT payload FROM events WHERE device = $1 (×10)") || !strings.Contains(row, "Seq Scan on events") {
		t.Errorf("advice row: %q", row)
	}
	if shot, err := chromedp.Run(ctx, chromedp.FullScreenshot(100)); err == nil {
		_ = os.WriteFile(filepath.Join(artifactsDir(t), "dashboard-advice.png"), shot, 0o644)
	}
}

// The dashboard's result-cache panel: the hit ratio of the last interval
// is charted per database and the caches are listed, while the same
// statement is read over HTTP (a miss, then hits).
func TestDashboardCacheInBrowser(t *testing.T) {
	dsn := testDB(t)
	pgSetup(t, dsn, "CREATE TABLE items (id int PRIMARY KEY, v text)", "INSERT INTO items VALUES (1, 'a')")
	g := start(t, fmt.Sprintf(`databases:
  - {name: app, kind: postgres, primary: %q, cache: {enabled: true, ttl: 1m, max_staleness: 1m}}
users:
  - {name: alice, password: alice-secret}
`, dsn))
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-stop:
				return
			case <-time.After(20 * time.Millisecond):
			}
			if _, err := g.dataQuery("app", "SELECT v FROM items WHERE id = 1"); err != nil {
				t.Error(err)
				return
			}
		}
	}()
	defer func() { close(stop); wg.Wait() }()
	ctx, cancel := context.WithTimeout(browser(t), 60*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx,
		chromedp.Navigate("http://"+g.admin+"/"),
		chromedp.WaitVisible(chromedp.ID("token")),
		chromedp.SendKeys(chromedp.ID("token"), testReadToken),
		chromedp.Click(chromedp.ID("login-button")),
		chromedp.WaitVisible(chromedp.ID("app")),
		chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
			_, err := chromedp.Poll[bool](`(() => { const c = document.getElementById("chart-cache");
				return !!c.dataset.last && JSON.parse(c.dataset.last).app > 90; })()`,
				chromedp.WithPollingTimeout(30*time.Second), chromedp.WithPollingInterval(200*time.Millisecond))(ctx, t)
			return err
		}),
	); err != nil {
		t.Fatalf("cache panel: %v\ngateway log:\n%s", err, g.log.String())
	}
	ratio, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`#caches tr[data-database="app"] td.ratio`)))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(ratio, " %") || strings.HasPrefix(ratio, "0") {
		t.Fatalf("the caches table shows hit ratio %q", ratio)
	}
	if shot, err := chromedp.Run(ctx, chromedp.FullScreenshot(80)); err == nil {
		_ = os.WriteFile(filepath.Join(artifactsDir(t), "dashboard-cache.jpg"), shot, 0o644)
	}
}
