package e2e

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/floe-db/floe/internal/admin"
	"github.com/floe-db/floe/internal/cli"
)

const breakGlassToken = "break-glass-token-0123456789abcdef"

// adminConfig is a gateway over a PostgreSQL and a MySQL database with a
// role that may read only table t, the test tokens, a break-glass
// credential and an audit log.
func adminConfig(pgDSN, myDSN, auditPath string) string {
	return fmt.Sprintf(`databases:
  - name: pgapp
    kind: postgres
    primary: %q
  - name: myapp
    kind: mysql
    primary: %q
users:
  - {name: alice, password: alice-secret, roles: [dba]}
  - {name: bob, password: bob-secret, roles: [reader]}
roles:
  - name: dba
    grants:
      - {database: "*", actions: [all]}
  - name: reader
    grants:
      - {database: pgapp, tables: [t], actions: [select]}
audit:
  file: %s
admin:
  tokens:
    - {name: test-admin, token: %s, scopes: [admin]}
    - {name: test-read, token: %s, scopes: [read]}
  break_glass: {enabled: true, hash: %q}
`, pgDSN, myDSN, auditPath, testAdminToken, testReadToken, admin.HashToken(breakGlassToken))
}

type apiError struct {
	Error struct{ Code, Message string }
}

type apiSessions struct {
	Sessions []admin.Session
}

func (g *gateway) sessionOf(t *testing.T, protocol, user string) admin.Session {
	t.Helper()
	var out apiSessions
	if code := g.adminCall(t, "GET", "/api/v1/sessions", testReadToken, &out); code != 200 {
		t.Fatalf("GET /api/v1/sessions: %d", code)
	}
	for _, s := range out.Sessions {
		if s.Protocol == protocol && s.User == user {
			return s
		}
	}
	t.Fatalf("no %s session of %s in %+v", protocol, user, out.Sessions)
	return admin.Session{}
}

// auditEvents reads the audit log's records of one type.
func auditEvents(t *testing.T, path, typ string) []map[string]any {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []map[string]any
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var rec map[string]any
		if err := json.Unmarshal(sc.Bytes(), &rec); err != nil {
			t.Fatalf("audit record: %v", err)
		}
		if rec["type"] == typ {
			out = append(out, rec)
		}
	}
	return out
}

func TestAdminAPI(t *testing.T) {
	pgDSN := testDB(t)
	myDSN, direct := myTestDB(t)
	if _, err := direct.Exec("CREATE TABLE t (id int)"); err != nil {
		t.Fatal(err)
	}
	pgc, err := pgx.Connect(context.Background(), pgDSN)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{"CREATE TABLE t (id int)", "CREATE TABLE secret (v text)"} {
		if _, err := pgc.Exec(context.Background(), q); err != nil {
			t.Fatal(err)
		}
	}
	pgc.Close(context.Background())
	auditPath := filepath.Join(t.TempDir(), "audit.jsonl")
	g := start(t, adminConfig(pgDSN, myDSN, auditPath))
	ctx := context.Background()

	t.Run("authentication and scopes", func(t *testing.T) {
		var e apiError
		if code := g.adminCall(t, "GET", "/api/v1/sessions", "", &e); code != 401 || e.Error.Code != "unauthorized" {
			t.Errorf("no token: %d %+v", code, e)
		}
		if code := g.adminCall(t, "GET", "/api/v1/sessions", "not-a-token", &e); code != 401 {
			t.Errorf("unknown token: %d", code)
		}
		if code := g.adminCall(t, "POST", "/api/v1/reload", testReadToken, &e); code != 403 || e.Error.Code != "forbidden" {
			t.Errorf("read token on reload: %d %+v", code, e)
		}
		var who admin.Principal
		if code := g.adminCall(t, "GET", "/api/v1/whoami", testReadToken, &who); code != 200 || who.Name != "test-read" {
			t.Errorf("whoami: %d %+v", code, who)
		}
		if code := g.adminCall(t, "GET", "/api/v1/nothing", testAdminToken, &e); code != 404 || e.Error.Code != "not_found" {
			t.Errorf("unknown endpoint: %d %+v", code, e)
		}
		if code := g.adminCall(t, "GET", "/api/v1/reload", testAdminToken, &e); code != 405 || e.Error.Code != "method_not_allowed" {
			t.Errorf("wrong method: %d %+v", code, e)
		}
		for _, open := range []string{"/healthz", "/readyz", "/metrics"} {
			if code := g.adminCall(t, "GET", open, "", nil); code != 200 {
				t.Errorf("%s without a token: %d", open, code)
			}
		}
	})

	t.Run("openapi", func(t *testing.T) {
		var doc struct {
			OpenAPI string                                `json:"openapi"`
			Paths   map[string]map[string]json.RawMessage `json:"paths"`
		}
		if code := g.adminCall(t, "GET", "/api/v1/openapi.json", "", &doc); code != 200 || !strings.HasPrefix(doc.OpenAPI, "3.") {
			t.Fatalf("openapi.json: %d %q", code, doc.OpenAPI)
		}
		for path, ops := range map[string]string{
			"/api/v1/whoami": "get", "/api/v1/backends": "get", "/api/v1/pools": "get", "/api/v1/sessions": "get",
			"/api/v1/sessions/{id}/cancel": "post", "/api/v1/sessions/{id}/kill": "post", "/api/v1/denials": "get",
			"/api/v1/reload": "post", "/api/v1/drain": "post", "/api/v1/undrain": "post",
		} {
			if _, ok := doc.Paths[path][ops]; !ok {
				t.Errorf("openapi.json lacks %s %s", ops, path)
			}
		}
	})

	t.Run("sessions, cancel and kill", func(t *testing.T) {
		c := g.connect(t, "alice", "alice-secret", "pgapp")
		if _, err := c.Exec(ctx, "SELECT 'a-secret-literal' AS x"); err != nil {
			t.Fatal(err)
		}
		s := g.sessionOf(t, "postgres", "alice")
		// The relay ends its work on the answer a moment after the client
		// has it; then the session waits, idle, for the next statement.
		eventually(t, 5*time.Second, func() error {
			if s = g.sessionOf(t, "postgres", "alice"); s.State != "idle" {
				return fmt.Errorf("session %+v, want it idle", s)
			}
			return nil
		})
		if s.Database != "pgapp" || s.State != "idle" || !strings.HasPrefix(s.ID, "pg-") || s.Client == "" || s.Since.IsZero() {
			t.Errorf("session %+v", s)
		}
		if strings.Contains(s.Statement, "a-secret-literal") || !strings.Contains(strings.ToUpper(s.Statement), "SELECT") {
			t.Errorf("statement shown as %q: want it with the literal masked", s.Statement)
		}
		db := g.mydb(t, "alice", "alice-secret", "myapp", nil)
		db.SetMaxOpenConns(1)
		var n int
		if err := db.QueryRow("SELECT 42 + 1").Scan(&n); err != nil {
			t.Fatal(err)
		}
		ms := g.sessionOf(t, "mysql", "alice")
		if ms.Database != "myapp" || !strings.HasPrefix(ms.ID, "my-") || strings.Contains(ms.Statement, "42") {
			t.Errorf("MySQL session %+v", ms)
		}

		// Cancel a running statement.
		done := make(chan error, 1)
		go func() { _, err := c.Exec(ctx, "SELECT pg_sleep(30)"); done <- err }()
		eventually(t, 5*time.Second, func() error {
			if cur := g.sessionOf(t, "postgres", "alice"); cur.State != "active" || !strings.Contains(cur.Statement, "pg_sleep") {
				return fmt.Errorf("the session does not show as active in pg_sleep: %+v", cur)
			}
			return nil
		})
		// The statement reaches the server a moment after the session
		// shows it; a cancel before that finds nothing to cancel, as on
		// PostgreSQL itself, so it is repeated until the statement ends.
		var cancelErr error
		eventually(t, 10*time.Second, func() error {
			var out map[string]string
			if code := g.adminCall(t, "POST", "/api/v1/sessions/"+s.ID+"/cancel", testAdminToken, &out); code != 200 || out["status"] != "cancelled" {
				t.Fatalf("cancel: %d %v", code, out)
			}
			select {
			case cancelErr = <-done:
				return nil
			case <-time.After(100 * time.Millisecond):
				return errors.New("the statement still runs after the cancel")
			}
		})
		if sqlstate(cancelErr) != "57014" {
			t.Fatalf("cancelled statement: %v, want 57014", cancelErr)
		}
		if _, err := c.Exec(ctx, "SELECT 1"); err != nil {
			t.Fatalf("session after the cancel: %v", err)
		}

		// Kill both sessions.
		if code := g.adminCall(t, "POST", "/api/v1/sessions/"+s.ID+"/kill", testAdminToken, nil); code != 200 {
			t.Fatalf("kill: %d", code)
		}
		_, err := c.Exec(ctx, "SELECT 1")
		if sqlstate(err) != "57P01" {
			t.Fatalf("killed session: %v, want 57P01", err)
		}
		if code := g.adminCall(t, "POST", "/api/v1/sessions/"+ms.ID+"/kill", testAdminToken, nil); code != 200 {
			t.Fatalf("kill MySQL: %d", code)
		}
		// The killed sessions leave the list (a driver that finds its
		// connection closed opens a new session, with a new id).
		eventually(t, 5*time.Second, func() error {
			var out apiSessions
			g.adminCall(t, "GET", "/api/v1/sessions", testReadToken, &out)
			for _, x := range out.Sessions {
				if x.ID == s.ID || x.ID == ms.ID {
					return fmt.Errorf("killed sessions still listed: %+v", out.Sessions)
				}
			}
			return nil
		})
		var e apiError
		for _, id := range []string{s.ID, "pg-999999", "xx-1", "my-abc"} {
			if code := g.adminCall(t, "POST", "/api/v1/sessions/"+id+"/kill", testAdminToken, &e); code != 404 {
				t.Errorf("kill %s: %d, want 404", id, code)
			}
		}
	})

	t.Run("pools and denials", func(t *testing.T) {
		var pools struct {
			Pools []struct {
				Database, Server, Mode string
				Size                   int
				Total                  int `json:"total"`
			}
		}
		if code := g.adminCall(t, "GET", "/api/v1/pools", testReadToken, &pools); code != 200 {
			t.Fatalf("pools: %d", code)
		}
		seen := map[string]bool{}
		for _, p := range pools.Pools {
			seen[p.Database+"/"+p.Server] = p.Size == 20 && p.Mode == "transaction"
		}
		if !seen["pgapp/primary"] || !seen["myapp/primary"] {
			t.Errorf("pools %+v", pools.Pools)
		}
		c := g.connect(t, "bob", "bob-secret", "pgapp")
		if _, err := c.Exec(ctx, "SELECT v FROM secret WHERE v = 'hunter2'"); sqlstate(err) != "42501" {
			t.Fatalf("denied read: %v", err)
		}
		var ds struct {
			Denials []struct{ User, Database, Rule, SQLState, SQL, Message string }
			Total   int
		}
		if code := g.adminCall(t, "GET", "/api/v1/denials?limit=5", testReadToken, &ds); code != 200 || len(ds.Denials) == 0 || ds.Total < 1 {
			t.Fatalf("denials: %d %+v", code, ds)
		}
		d := ds.Denials[0]
		if d.User != "bob" || d.Database != "pgapp" || d.SQLState != "42501" || d.Rule == "" || !strings.Contains(d.SQL, "secret") || strings.Contains(d.SQL, "hunter2") {
			t.Errorf("newest denial %+v", d)
		}
		if code := g.adminCall(t, "GET", "/api/v1/denials?limit=0", testReadToken, nil); code != 400 {
			t.Errorf("limit=0: %d, want 400", code)
		}
	})

	t.Run("top queries", func(t *testing.T) {
		c := g.connect(t, "alice", "alice-secret", "pgapp")
		for i := range 5 {
			if _, err := c.Exec(ctx, fmt.Sprintf("SELECT id FROM t WHERE id = %d", 1000+i), pgx.QueryExecModeSimpleProtocol); err != nil {
				t.Fatal(err)
			}
		}
		for i := range 3 {
			if _, err := c.Exec(ctx, "SELECT id FROM t WHERE id = $1", i); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := c.Exec(ctx, "SELECT * FROM no_such_table"); err == nil {
			t.Fatal("query of a missing table succeeded")
		}
		db := g.mydb(t, "alice", "alice-secret", "myapp", nil)
		for i := range 4 {
			if _, err := db.Exec(fmt.Sprintf("SELECT id FROM t WHERE id = %d", 7000+i)); err != nil {
				t.Fatal(err)
			}
		}
		var top struct {
			Queries []struct {
				Database, Query string
				Count, Errors   int
				P50MS           float64 `json:"p50_ms"`
				P99MS           float64 `json:"p99_ms"`
			}
		}
		if code := g.adminCall(t, "GET", "/api/v1/queries?sort=count&limit=100", testReadToken, &top); code != 200 {
			t.Fatalf("queries: %d", code)
		}
		got := map[string]int{}
		for _, q := range top.Queries {
			if strings.Contains(q.Query, "1000") || strings.Contains(q.Query, "7000") {
				t.Errorf("a literal shows in %q", q.Query)
			}
			if q.P99MS < q.P50MS || (q.Count > 0 && q.P50MS <= 0) {
				t.Errorf("percentiles of %q: p50 %v p99 %v", q.Query, q.P50MS, q.P99MS)
			}
			got[q.Database+": "+q.Query] = q.Count*100 + q.Errors
		}
		for want, n := range map[string]int{
			"pgapp: SELECT id FROM t WHERE id = ?":  500,
			"pgapp: SELECT id FROM t WHERE id = $1": 300,
			"pgapp: SELECT * FROM no_such_table":    101,
			"myapp: SELECT id FROM t WHERE id = ?":  400,
		} {
			if got[want] != n {
				t.Errorf("%s: count*100+errors = %d, want %d (all: %v)", want, got[want], n, got)
			}
		}
	})

	t.Run("drain and undrain", func(t *testing.T) {
		open := g.connect(t, "alice", "alice-secret", "pgapp")
		if code := g.adminCall(t, "POST", "/api/v1/drain", testAdminToken, nil); code != 200 {
			t.Fatalf("drain: %d", code)
		}
		if code := g.adminCall(t, "GET", "/readyz", "", nil); code != 503 {
			t.Errorf("/readyz while drained: %d", code)
		}
		if _, err := pgx.Connect(ctx, g.dsn("alice", "alice-secret", "pgapp")); sqlstate(err) != "57P03" {
			t.Errorf("new session while drained: %v, want 57P03", err)
		}
		if _, err := open.Exec(ctx, "SELECT 1"); err != nil {
			t.Errorf("open session while drained: %v", err)
		}
		if code := g.adminCall(t, "POST", "/api/v1/undrain", testAdminToken, nil); code != 200 {
			t.Fatalf("undrain: %d", code)
		}
		if code := g.adminCall(t, "GET", "/readyz", "", nil); code != 200 {
			t.Errorf("/readyz after undrain: %d", code)
		}
		g.connect(t, "alice", "alice-secret", "pgapp")
	})

	t.Run("reload", func(t *testing.T) {
		g.rewrite(t, adminConfig(pgDSN, myDSN, auditPath)+"colour: red\n")
		var e apiError
		if code := g.adminCall(t, "POST", "/api/v1/reload", testAdminToken, &e); code != 422 || !strings.Contains(e.Error.Message, "colour") {
			t.Fatalf("invalid config: %d %+v", code, e)
		}
		g.connect(t, "alice", "alice-secret", "pgapp") // the running config stays
		g.rewrite(t, adminConfig(pgDSN, myDSN, auditPath))
		if code := g.adminCall(t, "POST", "/api/v1/reload", testAdminToken, nil); code != 200 {
			t.Fatalf("valid config: %d", code)
		}
	})

	t.Run("break glass and the audit of admin actions", func(t *testing.T) {
		var who admin.Principal
		if code := g.adminCall(t, "GET", "/api/v1/whoami", breakGlassToken, &who); code != 200 || !who.BreakGlass {
			t.Fatalf("break-glass whoami: %d %+v", code, who)
		}
		if !strings.Contains(g.log.String(), "break-glass admin credential used") {
			t.Error("break-glass use not logged")
		}
		var events []map[string]any
		eventually(t, 5*time.Second, func() error {
			if events = auditEvents(t, auditPath, "admin"); len(events) == 0 || events[len(events)-1]["break_glass"] != true {
				return fmt.Errorf("no audit record of the break-glass use yet: %v", events)
			}
			return nil
		})
		actions := map[string]bool{}
		for _, e := range events {
			actions[fmt.Sprint(e["actor"], " ", e["method"], " ", e["path"], " ", e["status"])] = true
			if e["method"] == "GET" && e["break_glass"] != true {
				t.Errorf("a read was audited as a change: %v", e)
			}
		}
		for _, want := range []string{
			"test-admin POST /api/v1/drain 200", "test-admin POST /api/v1/undrain 200",
			"test-admin POST /api/v1/reload 422", "test-admin POST /api/v1/reload 200",
			"test-read POST /api/v1/reload 403", "break-glass GET /api/v1/whoami 200",
		} {
			if !actions[want] {
				t.Errorf("audit log lacks %q (has %v)", want, actions)
			}
		}
		killed := false
		for a := range actions {
			killed = killed || strings.HasPrefix(a, "test-admin POST /api/v1/sessions/pg-") && strings.HasSuffix(a, "/kill 200")
		}
		if !killed {
			t.Error("audit log lacks the session kill")
		}
		resp, err := http.Get("http://" + g.admin + "/healthz")
		if err == nil {
			resp.Body.Close()
		}
	})
}

// floe admin runs the same calls from the command line.
func TestAdminCLI(t *testing.T) {
	pgDSN := testDB(t)
	myDSN, _ := myTestDB(t)
	g := start(t, adminConfig(pgDSN, myDSN, filepath.Join(t.TempDir(), "audit.jsonl")))
	c := g.connect(t, "alice", "alice-secret", "pgapp")
	if _, err := c.Exec(context.Background(), "SELECT 'cli-literal'"); err != nil {
		t.Fatal(err)
	}
	run := func(token string, args ...string) (string, string, int) {
		var out, errOut strings.Builder
		code := cli.Main(context.Background(), append([]string{"admin", "--server", "http://" + g.admin, "--token", token}, args...), strings.NewReader(""), &out, &errOut)
		return out.String(), errOut.String(), code
	}
	out, _, code := run(testReadToken, "sessions")
	if code != 0 || !strings.Contains(out, "alice") || !strings.Contains(out, "pgapp") || strings.Contains(out, "cli-literal") || !strings.HasPrefix(out, "ID") {
		t.Fatalf("sessions (%d):\n%s", code, out)
	}
	out, _, code = run(testReadToken, "--json", "sessions")
	var js apiSessions
	if code != 0 || json.Unmarshal([]byte(out), &js) != nil || len(js.Sessions) != 1 {
		t.Fatalf("sessions --json (%d): %s", code, out)
	}
	if _, errOut, code := run(testReadToken, "kill", js.Sessions[0].ID); code == 0 || !strings.Contains(errOut, "lacks the admin scope") {
		t.Fatalf("kill with a read token: %d %s", code, errOut)
	}
	if out, _, code := run(testAdminToken, "kill", js.Sessions[0].ID); code != 0 || strings.TrimSpace(out) != "killed" {
		t.Fatalf("kill: %d %s", code, out)
	}
	for _, args := range [][]string{{"whoami"}, {"backends"}, {"pools"}, {"top", "--sort", "count"}, {"denials", "--limit", "3"}, {"reload"}, {"drain"}, {"undrain"}} {
		if out, errOut, code := run(testAdminToken, args...); code != 0 {
			t.Errorf("floe admin %v: %d %s %s", args, code, out, errOut)
		}
	}
	// --json: every subcommand prints one JSON document on stdout;
	// errors go to stderr alone, with a non-zero exit.
	for _, args := range [][]string{{"whoami"}, {"sessions"}, {"backends"}, {"pools"}, {"top", "--sort", "count"}, {"denials", "--limit", "3"},
		{"users"}, {"roles"}, {"reload"}, {"drain"}, {"undrain"}, {"new-token"}} {
		out, errOut, code := run(testAdminToken, append([]string{"--json"}, args...)...)
		var doc map[string]any
		if code != 0 || errOut != "" || json.Unmarshal([]byte(out), &doc) != nil || len(doc) == 0 {
			t.Errorf("floe admin --json %v: %d %q %q", args, code, out, errOut)
		}
		if args[0] == "new-token" {
			if tok, _ := doc["token"].(string); tok == "" || doc["hash"] != admin.HashToken(tok) {
				t.Errorf("new-token --json: %q", out)
			}
		}
	}
	if out, errOut, code := run(testAdminToken, "--json", "kill", "pg-999999"); code == 0 || out != "" || errOut == "" {
		t.Errorf("--json kill of no session: %d %q %q", code, out, errOut)
	}
	if _, errOut, code := run("", "sessions"); code == 0 || !strings.Contains(errOut, "no admin token") {
		t.Errorf("without a token: %d %s", code, errOut)
	}
	var out2, errOut strings.Builder
	if code := cli.Main(context.Background(), []string{"admin", "new-token"}, strings.NewReader(""), &out2, &errOut); code != 0 {
		t.Fatal(errOut.String())
	}
	lines := strings.Split(strings.TrimSpace(out2.String()), "\n")
	tok := strings.TrimSpace(strings.TrimPrefix(lines[0], "token:"))
	if len(lines) != 2 || strings.TrimSpace(strings.TrimPrefix(lines[1], "hash:")) != admin.HashToken(tok) {
		t.Fatalf("new-token: %q", out2.String())
	}
}

// With no admin tokens configured, the API is closed and says why.
func TestAdminAPIClosedWithoutTokens(t *testing.T) {
	g := start(t, "databases: [{name: lite, kind: sqlite, path: "+filepath.Join(t.TempDir(), "l.db")+"}]\nusers: [{name: alice, password: alice-secret}]\nadmin: {tokens: []}\n")
	var e apiError
	if code := g.adminCall(t, "GET", "/api/v1/sessions", testAdminToken, &e); code != 401 || !strings.Contains(e.Error.Message, "no admin tokens") {
		t.Fatalf("%d %+v", code, e)
	}
}

// The firewall allow-list through the API: what learn mode recorded is
// listed, and an entry removed is gone (from the file too).
func TestFirewallAllowlistAPI(t *testing.T) {
	dir := t.TempDir()
	list := filepath.Join(dir, "allow.json")
	g := start(t, fmt.Sprintf(`databases: [{name: lite, kind: sqlite, path: %s}]
users: [{name: alice, password: alice-secret}]
firewall: {mode: learn, allowlist: %s}
`, filepath.Join(dir, "l.db"), list))
	c := g.connect(t, "alice", "alice-secret", "lite")
	if _, err := c.Exec(context.Background(), "SELECT 40 + 2"); err != nil {
		t.Fatal(err)
	}
	var got struct {
		Entries []struct{ User, Database, Fingerprint, Example string }
	}
	eventually(t, 5*time.Second, func() error {
		if code := g.adminCall(t, "GET", "/api/v1/firewall/allowlist?user=alice", testReadToken, &got); code != 200 || len(got.Entries) == 0 {
			return fmt.Errorf("allow-list: %d %+v", code, got)
		}
		return nil
	})
	e := got.Entries[0]
	if e.Database != "lite" || e.Fingerprint == "" || strings.Contains(e.Example, "40") {
		t.Errorf("entry %+v", e)
	}
	path := "/api/v1/firewall/allowlist?user=alice&database=lite&fingerprint=" + url.QueryEscape(e.Fingerprint)
	if code := g.adminCall(t, "DELETE", path, testReadToken, nil); code != 403 {
		t.Errorf("DELETE with a read token: %d", code)
	}
	if code := g.adminCall(t, "DELETE", path, testAdminToken, nil); code != 200 {
		t.Fatalf("DELETE: %d", code)
	}
	if code := g.adminCall(t, "DELETE", path, testAdminToken, nil); code != 404 {
		t.Errorf("second DELETE: %d", code)
	}
	eventually(t, 5*time.Second, func() error {
		if data, _ := os.ReadFile(list); strings.Contains(string(data), e.Fingerprint) {
			return errors.New("the removed entry is still in the file")
		}
		return nil
	})
}

// Sessions waiting inside a transaction show as idle in transaction (and
// PostgreSQL's failed ones as idle in transaction (aborted)) on the
// PostgreSQL and MySQL relays and on SQLite over both protocols, with no
// idle_in_transaction_timeout set.
func TestSessionStateInTransaction(t *testing.T) {
	pgDSN := testDB(t)
	myDSN, _ := myTestDB(t)
	yaml := adminConfig(pgDSN, myDSN, filepath.Join(t.TempDir(), "audit.jsonl"))
	yaml = strings.Replace(yaml, "users:\n", "  - {name: lite, kind: sqlite, path: "+filepath.Join(t.TempDir(), "l.db")+"}\nusers:\n", 1)
	g := start(t, yaml)
	ctx := context.Background()
	// The session is listed once its connection is registered: until
	// then its state is "" (and the wait goes on).
	state := func(protocol string) string {
		var out apiSessions
		if code := g.adminCall(t, "GET", "/api/v1/sessions", testReadToken, &out); code != 200 {
			t.Fatalf("GET /api/v1/sessions: %d", code)
		}
		for _, s := range out.Sessions {
			if s.Protocol == protocol && s.User == "alice" {
				return s.State
			}
		}
		return ""
	}
	waitState := func(protocol, want string) {
		t.Helper()
		eventually(t, 2*time.Second, func() error {
			if got := state(protocol); got != want {
				return fmt.Errorf("%s session state %q, want %q", protocol, got, want)
			}
			return nil
		})
	}
	for _, db := range []string{"pgapp", "lite"} {
		t.Run("postgres-"+db, func(t *testing.T) {
			c := g.connect(t, "alice", "alice-secret", db)
			waitState("postgres", "idle")
			if _, err := c.Exec(ctx, "BEGIN"); err != nil {
				t.Fatal(err)
			}
			waitState("postgres", "idle in transaction")
			if _, err := c.Exec(ctx, "SELECT * FROM no_such_table_at_all"); err == nil {
				t.Fatal("a query of a missing table succeeded")
			}
			waitState("postgres", "idle in transaction (aborted)")
			if _, err := c.Exec(ctx, "ROLLBACK"); err != nil {
				t.Fatal(err)
			}
			waitState("postgres", "idle")
			c.Close(ctx)
		})
	}
	for _, db := range []string{"myapp", "lite"} {
		t.Run("mysql-"+db, func(t *testing.T) {
			pool := g.mydb(t, "alice", "alice-secret", db, nil)
			conn, err := pool.Conn(ctx)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			waitState("mysql", "idle")
			if _, err := conn.ExecContext(ctx, "BEGIN"); err != nil {
				t.Fatal(err)
			}
			waitState("mysql", "idle in transaction")
			if _, err := conn.ExecContext(ctx, "COMMIT"); err != nil {
				t.Fatal(err)
			}
			waitState("mysql", "idle")
		})
	}
}

// A database whose connects all fail is down in the admin API, with a
// reason that names no backend login or password.
func TestBackendsDownWithReason(t *testing.T) {
	g := start(t, withAdminTokens(`databases:
  - {name: pgdown, kind: postgres, primary: "postgres://floe_bk_login:floe-bk-pw-1@127.0.0.1:1/test?sslmode=disable", health: {interval: 200ms, timeout: 200ms, fail_after: 2}}
  - {name: mydown, kind: mysql, primary: "mysql://root:floe-bk-pw-2@127.0.0.1:3306/test", health: {interval: 500ms, timeout: 500ms, fail_after: 2}}
users: [{name: alice, password: alice-secret}]
`))
	var out struct {
		Backends []struct {
			Database  string `json:"database"`
			Healthy   bool   `json:"healthy"`
			LastError string `json:"last_error"`
		} `json:"backends"`
	}
	eventually(t, 5*time.Second, func() error {
		out.Backends = nil
		if code := g.adminCall(t, "GET", "/api/v1/backends", testReadToken, &out); code != 200 {
			return fmt.Errorf("GET /api/v1/backends: %d", code)
		}
		if len(out.Backends) != 2 || out.Backends[0].LastError == "" || out.Backends[1].LastError == "" {
			return fmt.Errorf("backends: %+v", out.Backends)
		}
		return nil
	})
	want := map[string]string{"pgdown": "connection refused", "mydown": "access denied"}
	for _, b := range out.Backends {
		if b.Healthy || !strings.Contains(b.LastError, want[b.Database]) {
			t.Errorf("%s: healthy %v, last_error %q, want down and %q", b.Database, b.Healthy, b.LastError, want[b.Database])
		}
		for _, s := range []string{"floe_bk_login", "floe-bk-pw", "root"} {
			if strings.Contains(b.LastError, s) {
				t.Errorf("%s: last_error %q names %q", b.Database, b.LastError, s)
			}
		}
	}
	// A server never seen up is logged when found down, with the
	// driver's message.
	eventually(t, 5*time.Second, func() error {
		for _, db := range []string{"pgdown", "mydown"} {
			if !strings.Contains(g.log.String(), `"msg":"backend state changed","component":"health","database":"`+db+`"`) {
				return fmt.Errorf("the log does not say %s is down", db)
			}
		}
		return nil
	})
}
