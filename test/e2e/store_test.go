package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/floe-db/floe/internal/cli"
)

func redisAddr() string {
	if v := os.Getenv("FLOE_TEST_REDIS"); v != "" {
		return v
	}
	return "127.0.0.1:6379"
}

// adminSend calls the admin API with a JSON body.
func (g *gateway) adminSend(t *testing.T, method, path string, body any) int {
	t.Helper()
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest(method, "http://"+g.admin+path, bytes.NewReader(b))
	req.Header.Set("Authorization", "Bearer "+testAdminToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// Three instances share a store (PostgreSQL, then Redis): a user and a
// role made through one reach the others within a second, a revoked
// grant is enforced by the others within a second on sessions already
// open, a new instance starts from the store, and a store outage leaves
// every instance serving with the last good users and roles, saying so on
// /readyz, until the store is back.
func TestSharedStore(t *testing.T) {
	appDSN := testDB(t)
	c, err := pgx.Connect(context.Background(), appDSN)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Exec(context.Background(), "CREATE TABLE t (id int); INSERT INTO t VALUES (1)"); err != nil {
		t.Fatal(err)
	}
	c.Close(context.Background())

	for _, kind := range []string{"postgres", "redis"} {
		t.Run(kind, func(t *testing.T) {
			var proxy *faultProxy
			var storeCfg string
			switch kind {
			case "postgres":
				dsn := testDB(t)
				host := strings.SplitN(strings.SplitN(dsn, "@", 2)[1], "/", 2)[0]
				proxy = newFaultProxy(t, host)
				storeCfg = fmt.Sprintf("store: {kind: postgres, dsn: %q}\n", strings.Replace(dsn, host, proxy.addr(), 1))
			case "redis":
				prefix := redisPrefix(t)
				proxy = newFaultProxy(t, redisAddr())
				storeCfg = fmt.Sprintf("store: {kind: redis, address: %q, prefix: %s}\n", proxy.addr(), prefix)
			}
			cfg := fmt.Sprintf(`databases:
  - {name: app, kind: postgres, primary: %q}
users:
  - {name: root, password: root-secret, roles: [dba]}
roles:
  - name: dba
    grants:
      - {database: "*", actions: [all]}
firewall: {mode: detect}
%s`, appDSN, storeCfg)
			g1, g2, g3 := start(t, cfg), start(t, cfg), start(t, cfg)
			ctx := context.Background()
			within := func(what string, limit time.Duration, ok func() bool) time.Duration {
				t.Helper()
				return within(t, what, limit, ok)
			}

			// Made through g1, usable through g2 and g3.
			if code := g1.adminSend(t, "PUT", "/api/v1/roles/reader", map[string]any{"grants": []map[string]any{{"database": "app", "tables": []string{"t"}, "actions": []string{"select"}}}}); code != 200 {
				t.Fatalf("PUT role: %d", code)
			}
			if code := g1.adminSend(t, "PUT", "/api/v1/users/dana", map[string]any{"password": "dana-secret-1", "roles": []string{"reader"}}); code != 200 {
				t.Fatalf("PUT user: %d", code)
			}
			sessions := map[*gateway]*pgx.Conn{}
			for _, g := range []*gateway{g2, g3} {
				d := within("the new user logs in through another instance", time.Second, func() bool {
					c, err := pgx.Connect(ctx, g.dsn("dana", "dana-secret-1", "app"))
					if err != nil {
						return false
					}
					sessions[g] = c
					return true
				})
				t.Cleanup(func() { sessions[g].Close(ctx) })
				t.Logf("user reached instance %s in %v", g.admin, d.Round(time.Millisecond))
				if _, err := sessions[g].Exec(ctx, "SELECT id FROM t"); err != nil {
					t.Fatalf("granted read: %v", err)
				}
			}
			var users struct {
				Users []struct{ Name, Source string }
			}
			g3.adminCall(t, "GET", "/api/v1/users", testReadToken, &users)
			if fmt.Sprint(users.Users) != "[{root file} {dana store}]" {
				t.Errorf("users on g3: %v", users.Users)
			}
			if code := g1.adminSend(t, "PUT", "/api/v1/users/root", map[string]any{"password": "another-1", "roles": []string{}}); code != 409 {
				t.Errorf("PUT of a file user: %d, want 409", code)
			}
			if code := g1.adminSend(t, "PUT", "/api/v1/users/eve", map[string]any{"password": "eve-secret-1", "roles": []string{"ghost"}}); code != 422 {
				t.Errorf("PUT of a user with an unknown role: %d, want 422", code)
			}

			// The command line edits the store too.
			cliRun := func(stdin string, args ...string) (string, int) {
				var out, errOut strings.Builder
				code := cli.Main(ctx, append([]string{"admin", "--server", "http://" + g2.admin, "--token", testAdminToken}, args...), strings.NewReader(stdin), &out, &errOut)
				return out.String() + errOut.String(), code
			}
			if out, code := cliRun("", "roles", "set", "auditor", "--grants", `[{"database":"app","tables":["t"],"actions":["select"]}]`); code != 0 {
				t.Fatalf("floe admin roles set: %s", out)
			}
			if out, code := cliRun("frank-secret-1\n", "users", "set", "frank", "--roles", "auditor", "--password-stdin"); code != 0 {
				t.Fatalf("floe admin users set: %s", out)
			}
			if out, code := cliRun("", "users"); code != 0 || !strings.Contains(out, "frank") || !strings.Contains(out, "auditor") {
				t.Fatalf("floe admin users: %d %s", code, out)
			}
			within("the CLI's user logs in through another instance", time.Second, func() bool {
				c, err := pgx.Connect(ctx, g3.dsn("frank", "frank-secret-1", "app"))
				if err == nil {
					c.Close(ctx)
				}
				return err == nil
			})
			if out, code := cliRun("", "--json", "users", "delete", "frank"); code != 0 || strings.TrimSpace(out) != `{"name":"frank","status":"deleted"}` {
				t.Fatalf("floe admin --json users delete: %s", out)
			}
			if out, code := cliRun("", "--json", "users", "delete", "frank"); code == 0 || !strings.Contains(out, "nothing of that name") {
				t.Fatalf("floe admin --json users delete of a deleted user: %d %s", code, out)
			}

			// Revoked through g1: the open sessions on g2 and g3 are refused.
			if code := g1.adminSend(t, "PUT", "/api/v1/roles/reader", map[string]any{"grants": []any{}}); code != 200 {
				t.Fatalf("revoke: %d", code)
			}
			for _, g := range []*gateway{g2, g3} {
				d := within("the revoked grant is enforced by another instance", time.Second, func() bool {
					_, err := sessions[g].Exec(ctx, "SELECT id FROM t")
					return sqlstate(err) == "42501"
				})
				t.Logf("revocation enforced on %s in %v", g.admin, d.Round(time.Millisecond))
			}

			// A new instance starts from the store: it knows dana (her
			// password checks out) and her revoked role (she may not open
			// app): 42501, where an unknown user gets 28P01.
			g4 := start(t, cfg)
			if _, err := pgx.Connect(ctx, g4.dsn("dana", "dana-secret-1", "app")); sqlstate(err) != "42501" {
				t.Errorf("new instance, dana: %v, want 42501", err)
			}
			if _, err := pgx.Connect(ctx, g4.dsn("dana", "wrong-password", "app")); sqlstate(err) != "28P01" {
				t.Errorf("new instance, wrong password: %v, want 28P01", err)
			}

			// Rule lists: a limit and a masking rule set through g1 hold on g2
			// and g3, and go away again.
			rootOn := func(g *gateway) *pgx.Conn {
				c, err := pgx.Connect(ctx, g.dsn("root", "root-secret", "app"))
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { c.Close(ctx) })
				return c
			}
			r2, r3 := rootOn(g2), rootOn(g3)
			if code := g1.adminSend(t, "PUT", "/api/v1/limits", map[string]any{"rules": []map[string]any{{"per": "user", "user": "root", "rate": 0.5, "burst": 1}}}); code != 200 {
				t.Fatalf("PUT limits: %d", code)
			}
			within("a limit set through g1 holds on g2", time.Second, func() bool {
				_, err := r2.Exec(ctx, "SELECT 1")
				return sqlstate(err) == "53400"
			})
			if code := g1.adminSend(t, "PUT", "/api/v1/limits", map[string]any{"rules": []any{}}); code != 200 {
				t.Fatalf("PUT empty limits: %d", code)
			}
			within("the limit is lifted on g2", time.Second, func() bool {
				_, err := r2.Exec(ctx, "SELECT 1")
				return err == nil
			})
			// Durations go in and come out as strings such as "250ms".
			if code := g1.adminSend(t, "PUT", "/api/v1/limits", map[string]any{"rules": []map[string]any{{"per": "user", "user": "root", "statement_timeout": "250ms"}}}); code != 200 {
				t.Fatalf("PUT a statement timeout: %d", code)
			}
			within("GET limits on g2 shows the statement timeout as \"250ms\"", time.Second, func() bool {
				var limits struct{ Store []map[string]any }
				return g2.adminCall(t, "GET", "/api/v1/limits", testReadToken, &limits) == 200 && len(limits.Store) == 1 && limits.Store[0]["statement_timeout"] == "250ms"
			})
			// Each try that runs before the timeout reaches g2 takes its
			// whole second: the window leaves room for several.
			within("a statement timeout set through g1 holds on g2", 5*time.Second, func() bool {
				_, err := r2.Exec(ctx, "SELECT pg_sleep(1)")
				return sqlstate(err) == "57014"
			})
			if code := g1.adminSend(t, "PUT", "/api/v1/limits", map[string]any{"rules": []map[string]any{{"per": "user", "user": "root", "statement_timeout": "soon"}}}); code < 400 || code >= 500 {
				t.Errorf("PUT of a statement timeout that is no duration: %d", code)
			}
			if code := g1.adminSend(t, "PUT", "/api/v1/limits", map[string]any{"rules": []any{}}); code != 200 {
				t.Fatalf("PUT empty limits: %d", code)
			}
			if code := g1.adminSend(t, "PUT", "/api/v1/masking", map[string]any{"rules": []map[string]any{{"database": "app", "table": "t", "column": "id", "method": "null"}}}); code != 200 {
				t.Fatalf("PUT masking: %d", code)
			}
			within("a masking rule set through g1 holds on g3", time.Second, func() bool {
				var id *int
				err := r3.QueryRow(ctx, "SELECT id FROM t").Scan(&id)
				return err == nil && id == nil
			})
			if code := g1.adminSend(t, "PUT", "/api/v1/masking", map[string]any{"rules": []map[string]any{{"database": "app", "table": "t", "column": "id", "method": "sideways"}}}); code != 422 {
				t.Errorf("PUT of a bad masking rule: %d, want 422", code)
			}
			var lists struct{ File, Store []map[string]any }
			if g3.adminCall(t, "GET", "/api/v1/masking", testReadToken, &lists) != 200 || len(lists.Store) != 1 || len(lists.File) != 0 {
				t.Errorf("GET masking on g3: %+v", lists)
			}
			if code := g1.adminSend(t, "PUT", "/api/v1/masking", map[string]any{"rules": []any{}}); code != 200 {
				t.Fatalf("PUT empty masking: %d", code)
			}

			// A database defined through g1 is served by g3; its DSN's
			// password must be a reference.
			t.Setenv("FLOE_TEST_EXTRA_PW", "unused-under-trust")
			extraDSN := strings.Replace(appDSN, "postgres@", "postgres:${env:FLOE_TEST_EXTRA_PW}@", 1)
			if code := g1.adminSend(t, "PUT", "/api/v1/databases/extra", map[string]any{"kind": "postgres", "primary": strings.Replace(appDSN, "postgres@", "postgres:hunter2@", 1)}); code != 422 {
				t.Errorf("PUT of a database with a plaintext password: %d, want 422", code)
			}
			if code := g1.adminSend(t, "PUT", "/api/v1/databases/extra", map[string]any{"kind": "postgres", "primary": extraDSN, "pool": map[string]any{"size": 3, "acquire_timeout": "2s"}}); code != 200 {
				t.Fatalf("PUT database: %d", code)
			}
			within("a database defined through g1 is served by g3", time.Second, func() bool {
				c, err := pgx.Connect(ctx, g3.dsn("root", "root-secret", "extra"))
				if err != nil {
					return false
				}
				defer c.Close(ctx)
				_, err = c.Exec(ctx, "SELECT id FROM t")
				return err == nil
			})
			var dbs struct {
				Databases []struct{ Name, Primary, Source string }
			}
			g3.adminCall(t, "GET", "/api/v1/databases", testReadToken, &dbs)
			if len(dbs.Databases) != 2 || dbs.Databases[1].Source != "store" || !strings.Contains(dbs.Databases[1].Primary, "${env:FLOE_TEST_EXTRA_PW}") {
				t.Errorf("databases on g3: %+v", dbs.Databases)
			}
			if code := g2.adminSend(t, "DELETE", "/api/v1/databases/extra", nil); code != 200 {
				t.Fatalf("DELETE database: %d", code)
			}
			within("the deleted database is gone from g3", time.Second, func() bool {
				_, err := pgx.Connect(ctx, g3.dsn("root", "root-secret", "extra"))
				return sqlstate(err) == "3D000"
			})

			// A firewall override set through g1: root's injection-shaped
			// statement, logged in detect mode, is refused on g2.
			injection := "SELECT id FROM t WHERE id = 1 OR 1=1"
			if _, err := r2.Exec(ctx, injection); err != nil {
				t.Fatalf("detect mode refused: %v", err)
			}
			if code := g1.adminSend(t, "PUT", "/api/v1/firewall/overrides", map[string]any{"rules": []map[string]any{{"user": "root", "mode": "protect"}}}); code != 200 {
				t.Fatalf("PUT firewall overrides: %d", code)
			}
			within("a firewall override set through g1 holds on g2", time.Second, func() bool {
				_, err := r2.Exec(ctx, injection)
				return sqlstate(err) == "42501"
			})
			if code := g1.adminSend(t, "PUT", "/api/v1/firewall/overrides", map[string]any{"rules": []map[string]any{{"user": "root", "mode": "sometimes"}}}); code != 422 {
				t.Errorf("PUT of a bad firewall override: %d, want 422", code)
			}
			if code := g1.adminSend(t, "PUT", "/api/v1/firewall/overrides", map[string]any{"rules": []any{}}); code != 200 {
				t.Fatalf("PUT empty overrides: %d", code)
			}

			// The store goes away: every instance serves on, and says so.
			proxy.set(0, true)
			proxy.cut()
			for _, g := range []*gateway{g1, g2, g3} {
				within("/readyz reports the store outage", 15*time.Second, func() bool {
					var r map[string]string
					code := g.adminCall(t, "GET", "/readyz", "", &r)
					return code == 200 && r["status"] == "degraded" && strings.Contains(r["reason"], "shared store unreachable")
				})
				if _, err := pgx.Connect(ctx, g.dsn("dana", "dana-secret-1", "app")); sqlstate(err) != "42501" {
					t.Errorf("the last good users and roles during the outage: %v, want dana known and refused (42501)", err)
				}
				c, err := pgx.Connect(ctx, g.dsn("root", "root-secret", "app"))
				if err != nil {
					t.Fatalf("a file user during the outage: %v", err)
				}
				if _, err := c.Exec(ctx, "SELECT id FROM t"); err != nil {
					t.Errorf("service during the outage: %v", err)
				}
				c.Close(ctx)
				if g.metric(t, "floe_store_up") != 0 {
					t.Errorf("floe_store_up on %s during the outage", g.admin)
				}
			}
			if code := g1.adminSend(t, "PUT", "/api/v1/users/zoe", map[string]any{"password": "zoe-secret-1", "roles": []string{}}); code != 503 {
				t.Errorf("change during the outage: %d, want 503", code)
			}
			proxy.set(0, false)
			for _, g := range []*gateway{g1, g2, g3} {
				within("/readyz after the store is back", 15*time.Second, func() bool {
					var r map[string]string
					return g.adminCall(t, "GET", "/readyz", "", &r) == 200 && r["status"] == "ready"
				})
			}
			if code := g2.adminSend(t, "DELETE", "/api/v1/users/dana", nil); code != 200 {
				t.Fatalf("DELETE user: %d", code)
			}
			within("the deleted user is unknown to another instance", time.Second, func() bool {
				_, err := pgx.Connect(ctx, g3.dsn("dana", "dana-secret-1", "app"))
				return sqlstate(err) == "28P01"
			})
		})
	}
}

// A rate limit marked shared holds for three instances together (GCRA in
// Redis): the statements they let through in all stay within one
// instance's budget.
func TestSharedRateLimit(t *testing.T) {
	appDSN := testDB(t)
	prefix := redisPrefix(t)
	cfg := fmt.Sprintf(`databases:
  - {name: app, kind: postgres, primary: %q}
users:
  - {name: bob, password: bob-secret, roles: [everything]}
roles:
  - {name: everything, grants: [{database: "*", actions: [all]}]}
store: {kind: redis, address: %q, prefix: %s}
limits:
  - {per: user, user: bob, rate: 20, burst: 5, shared: true}
`, appDSN, redisAddr(), prefix)
	gs := []*gateway{start(t, cfg), start(t, cfg), start(t, cfg)}
	ctx := context.Background()
	type result struct{ ok, limited int }
	results := make(chan result, len(gs))
	const run = 2 * time.Second
	began := time.Now()
	for _, g := range gs {
		go func() {
			var r result
			c, err := pgx.Connect(ctx, g.dsn("bob", "bob-secret", "app"))
			if err != nil {
				t.Error(err)
				results <- r
				return
			}
			defer c.Close(ctx)
			for time.Since(began) < run {
				_, err := c.Exec(ctx, "SELECT 1")
				switch {
				case err == nil:
					r.ok++
				case sqlstate(err) == "53400":
					r.limited++
				default:
					t.Errorf("statement: %v", err)
				}
			}
			results <- r
		}()
	}
	var total result
	for range gs {
		r := <-results
		total.ok += r.ok
		total.limited += r.limited
	}
	elapsed := time.Since(began).Seconds()
	budget := 5 + 20*elapsed // burst + rate × time, for the fleet
	t.Logf("3 instances, shared limit 20/s burst 5, %.2fs: %d statements let through (budget %.0f; unshared it would be %.0f), %d refused", elapsed, total.ok, budget, 3*budget, total.limited)
	if float64(total.ok) > budget*1.1+2 || float64(total.ok) < 20*elapsed*0.8 {
		t.Errorf("%d statements let through, want about %.0f", total.ok, budget)
	}
	if total.limited == 0 {
		t.Error("nothing was refused")
	}
}
