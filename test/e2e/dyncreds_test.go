package e2e

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/floe-db/floe/internal/vaulttest"
)

// leaseStatus is one entry of the admin API's GET /api/v1/leases.
type leaseStatus struct {
	Database  string    `json:"database"`
	Login     string    `json:"login"`
	Username  string    `json:"username"`
	Expires   time.Time `json:"lease_expires"`
	Renewals  int       `json:"renewals"`
	Rotations int       `json:"rotations"`
	Draining  int       `json:"draining"`
	State     string    `json:"state"`
}

// leasesOf reads the admin API's leases and the raw answer.
func leasesOf(t *testing.T, g *gateway) ([]leaseStatus, string) {
	t.Helper()
	var raw json.RawMessage
	if code := g.adminCall(t, "GET", "/api/v1/leases", testReadToken, &raw); code != 200 {
		t.Fatalf("GET /api/v1/leases: %d", code)
	}
	var out struct {
		Leases []leaseStatus `json:"leases"`
	}
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatal(err)
	}
	return out.Leases, string(raw)
}

// waitLease polls the admin API until cond holds for the only lease.
func waitLease(t *testing.T, g *gateway, what string, cond func(leaseStatus) bool) leaseStatus {
	t.Helper()
	var last leaseStatus
	eventually(t, 60*time.Second, func() error {
		ls, _ := leasesOf(t, g)
		if len(ls) != 1 {
			return fmt.Errorf("leases %+v", ls)
		}
		last = ls[0]
		if !cond(last) {
			return fmt.Errorf("%s: lease %+v", what, last)
		}
		return nil
	})
	return last
}

// noSecrets fails when a leased password appears in any of texts.
func noSecrets(t *testing.T, v *vaulttest.Server, texts map[string]string) {
	t.Helper()
	for _, l := range v.Leases() {
		for where, s := range texts {
			if strings.Contains(s, l.Password) || strings.Contains(s, l.ID) {
				t.Errorf("the password or lease id of %s appears in the %s", l.Username, where)
			}
		}
	}
}

// dynScenario is what the dynamic-credentials test does on one kind of
// server.
type dynScenario struct {
	// config is the gateway's databases section.
	config string
	// role serves the engine role app-ro on the real server.
	role vaulttest.DBRole
	// open starts a client session of alice; whoami and begin/commit run
	// on it; exists looks the login up on the server.
	open   func(t *testing.T, g *gateway) dynSession
	exists func(t *testing.T, user string) bool
	// whoami is a statement whose one column u names the backend login
	// it runs as (over the HTTP data API and Flight SQL).
	whoami string
}

// dataWhoami runs sc.whoami for alice over the HTTP data API and Flight
// SQL and returns the login each ran as.
func dataWhoami(t *testing.T, g *gateway, sc dynScenario) (httpUser, flightUser string) {
	t.Helper()
	a := g.post(t, "alice", "alice-secret", "/v1/query?format=json", queryBody("app", sc.whoami))
	if a.status != 200 {
		t.Fatalf("data API: %d %s", a.status, a.body)
	}
	if _, rows := rowsOf(t, "json", a.body); len(rows) == 1 && len(rows[0]) == 1 {
		httpUser = rows[0][0]
	} else {
		t.Fatalf("data API rows: %s", a.body)
	}
	c, err := g.adbcConn(t, "alice", "alice-secret", "app")
	if err != nil {
		t.Fatal(err)
	}
	_, rows, err := adbcQuery(t, c, sc.whoami)
	if err != nil || len(rows) != 1 || len(rows[0]) != 1 {
		t.Fatalf("Flight SQL: %v %v", rows, err)
	}
	return httpUser, rows[0][0]
}

type dynSession interface {
	whoami(t *testing.T) string
	count(t *testing.T) int
	exec(t *testing.T, sql string)
}

// runDynScenario: sessions run as the leased login; renewal keeps it;
// a rotation at the lease's max TTL gives new sessions a new login while
// an open transaction on the old one finishes, after which the old
// login is dropped; shutdown drops the new one; no password reaches the
// log, the audit log or the admin API.
func runDynScenario(t *testing.T, sc dynScenario) {
	v := vaulttest.New(t, "vault-root")
	// Renewed at 4s (to 10s), then at 8s capped to 13s: a rotation with
	// five seconds for the old login's connections to drain.
	sc.role.TTL, sc.role.MaxTTL = 6*time.Second, 13*time.Second
	v.AddDBRole(t, "database", "app-ro", sc.role)
	auditPath := filepath.Join(t.TempDir(), "audit.jsonl")
	g := start(t, fmt.Sprintf(`secrets: {vault: {address: %q, token: vault-root}}
%s    pool: {mode: transaction, size: 4}
    identities: [{role: analyst, vault: {mount: database, role: app-ro}}]
roles:
  - name: analyst
    grants: [{database: app, tables: ["*"], actions: [select]}]
users:
  - {name: alice, password: alice-secret, roles: [analyst]}
audit: {file: %q}
`, v.URL, sc.config, auditPath))

	s1 := sc.open(t, g)
	first := s1.whoami(t)
	leased := v.Leases()
	if len(leased) != 1 || first != leased[0].Username || !strings.HasPrefix(first, "v-app_ro-") {
		t.Fatalf("the session runs as %q; leased %+v", first, leased)
	}
	if n := s1.count(t); n != 2 {
		t.Errorf("rows through the leased login: %d", n)
	}
	// The data APIs run as the leased login, never as the DSN's (owner)
	// login, and read what it may read.
	if hu, fu := dataWhoami(t, g, sc); hu != first || fu != first {
		t.Errorf("data API runs as %q, Flight SQL as %q, want the leased %q", hu, fu, first)
	}
	a := g.post(t, "alice", "alice-secret", "/v1/query?format=json", queryBody("app", "SELECT count(*) AS n FROM floe_t_items"))
	if _, rows := rowsOf(t, "json", a.body); a.status != 200 || fmt.Sprint(rows) != "[[2]]" {
		t.Errorf("data API rows through the leased login: %d %s", a.status, a.body)
	}

	// Renewal keeps the login.
	st := waitLease(t, g, "renewed", func(l leaseStatus) bool { return l.Renewals >= 1 })
	if st.Username != first || st.Rotations != 0 || st.State != "ok" {
		t.Fatalf("after renewal %+v", st)
	}
	if u := sc.open(t, g).whoami(t); u != first {
		t.Errorf("a new session after renewal runs as %q, want %q", u, first)
	}

	// Rotation: a transaction open on the old login goes on.
	s1.exec(t, "BEGIN")
	if u := s1.whoami(t); u != first {
		t.Fatalf("in the transaction: %q", u)
	}
	st = waitLease(t, g, "rotated", func(l leaseStatus) bool { return l.Rotations >= 1 })
	second := st.Username
	if second == first || st.Draining != 1 {
		t.Fatalf("after rotation %+v (first login %s)", st, first)
	}
	if u := sc.open(t, g).whoami(t); u != second {
		t.Errorf("a new session after rotation runs as %q, want %q", u, second)
	}
	if hu, fu := dataWhoami(t, g, sc); hu != second || fu != second {
		t.Errorf("after rotation the data API runs as %q, Flight SQL as %q, want %q", hu, fu, second)
	}
	if !sc.exists(t, first) {
		t.Fatal("the old login was dropped while a transaction was open on it")
	}
	if u := s1.whoami(t); u != first {
		t.Errorf("the open transaction moved to %q", u)
	}
	if n := s1.count(t); n != 2 {
		t.Errorf("rows in the open transaction: %d", n)
	}
	s1.exec(t, "COMMIT")
	eventually(t, 30*time.Second, func() error {
		if sc.exists(t, first) {
			return errors.New("the old login is still on the server")
		}
		return nil
	})
	if u := s1.whoami(t); u != second {
		t.Errorf("the session's next transaction runs as %q, want %q", u, second)
	}
	_, raw := leasesOf(t, g)
	if !strings.Contains(raw, second) {
		t.Errorf("admin API leases: %s", raw)
	}

	// Shutdown revokes.
	g.stop(t)
	if sc.exists(t, second) {
		t.Error("the login is still on the server after shutdown")
	}
	auditLog, err := os.ReadFile(auditPath)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"event":"obtained"`, `"event":"renewed"`, `"event":"rotated"`, `"reason":"drained"`, `"reason":"shutdown"`} {
		if !strings.Contains(string(auditLog), want) {
			t.Errorf("audit log lacks %s", want)
		}
	}
	noSecrets(t, v, map[string]string{"log": g.log.String(), "audit log": string(auditLog), "admin API": raw})
}

type pgDynSession struct{ c *pgx.Conn }

func (s pgDynSession) whoami(t *testing.T) string {
	t.Helper()
	var u string
	if err := s.c.QueryRow(context.Background(), "SELECT current_user").Scan(&u); err != nil {
		t.Fatal(err)
	}
	return u
}

func (s pgDynSession) count(t *testing.T) int {
	t.Helper()
	var n int
	if err := s.c.QueryRow(context.Background(), "SELECT count(*) FROM floe_t_items").Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func (s pgDynSession) exec(t *testing.T, q string) {
	t.Helper()
	if _, err := s.c.Exec(context.Background(), q); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
}

func pgRoleExists(t *testing.T, user string) bool {
	t.Helper()
	c := pgSetup(t, pgAdminDSN())
	defer c.Close(context.Background())
	var n int
	if err := c.QueryRow(context.Background(), "SELECT count(*) FROM pg_roles WHERE rolname = $1", user).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n > 0
}

// pgDynRole serves the engine role on the real PostgreSQL: logins that
// are members of a template role holding SELECT on floe_t_items.
func pgDynRole(t *testing.T, dsn string) vaulttest.DBRole {
	pgSetup(t, dsn, "CREATE TABLE floe_t_items (id int)", "INSERT INTO floe_t_items VALUES (1), (2)")
	tmpl := pgLogin(t, dsn, "GRANT SELECT ON floe_t_items TO $LOGIN")
	return vaulttest.DBRole{Driver: "pgx", DSN: pgAdminDSN(),
		Creation:   []string{`CREATE ROLE "{{name}}" LOGIN PASSWORD '{{password}}' VALID UNTIL '{{expiration}}' IN ROLE ` + tmpl},
		Revocation: []string{`DROP ROLE IF EXISTS "{{name}}"`}}
}

func TestDynamicCredsPostgres(t *testing.T) {
	if testing.Short() {
		t.Skip("e2e")
	}
	dsn := testDB(t)
	runDynScenario(t, dynScenario{
		config: fmt.Sprintf("databases:\n  - name: app\n    kind: postgres\n    primary: %s\n", dsn),
		role:   pgDynRole(t, dsn),
		open: func(t *testing.T, g *gateway) dynSession {
			return pgDynSession{g.connect(t, "alice", "alice-secret", "app")}
		},
		exists: pgRoleExists,
		whoami: "SELECT current_user AS u",
	})
}

type myDynSession struct{ c *sql.Conn }

func (s myDynSession) whoami(t *testing.T) string {
	t.Helper()
	var u string
	if err := s.c.QueryRowContext(context.Background(), "SELECT CURRENT_USER()").Scan(&u); err != nil {
		t.Fatal(err)
	}
	return strings.TrimSuffix(u, "@%")
}

func (s myDynSession) count(t *testing.T) int {
	t.Helper()
	var n int
	if err := s.c.QueryRowContext(context.Background(), "SELECT count(*) FROM floe_t_items").Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func (s myDynSession) exec(t *testing.T, q string) {
	t.Helper()
	if _, err := s.c.ExecContext(context.Background(), q); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
}

func TestDynamicCredsMySQL(t *testing.T) {
	if testing.Short() {
		t.Skip("e2e")
	}
	dsn, direct := myTestDB(t)
	mySetup(t, direct, "CREATE TABLE floe_t_items (id int)", "INSERT INTO floe_t_items VALUES (1), (2)")
	dbName := dsn[strings.LastIndexByte(dsn, '/')+1:]
	admin := myAdminConfig(t)
	admin.DBName = ""
	runDynScenario(t, dynScenario{
		config: fmt.Sprintf("databases:\n  - name: app\n    kind: mysql\n    primary: %s\n", dsn),
		role: vaulttest.DBRole{Driver: "mysql", DSN: admin.FormatDSN(),
			Creation: []string{"CREATE USER '{{name}}'@'%' IDENTIFIED BY '{{password}}'",
				"GRANT SELECT ON " + dbName + ".* TO '{{name}}'@'%'"},
			Revocation: []string{"DROP USER IF EXISTS '{{name}}'@'%'"}},
		open: func(t *testing.T, g *gateway) dynSession {
			db := g.mydb(t, "alice", "alice-secret", "app", nil)
			c, err := db.Conn(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { c.Close() })
			return myDynSession{c}
		},
		exists: func(t *testing.T, user string) bool {
			var n int
			if err := direct.QueryRow("SELECT count(*) FROM mysql.user WHERE user = ?", user).Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n > 0
		},
		whoami: "SELECT SUBSTRING_INDEX(CURRENT_USER(), '@', 1) AS u",
	})
}

// While Vault does not answer, the login in hand serves until its lease
// ends (/readyz says degraded); then its connections close, statements
// that need one fail with 08006 and /readyz says unavailable; once Vault
// answers, a new login serves.
func TestDynamicCredsVaultDown(t *testing.T) {
	if testing.Short() {
		t.Skip("e2e")
	}
	dsn := testDB(t)
	v := vaulttest.New(t, "vault-root")
	role := pgDynRole(t, dsn)
	role.TTL = 6 * time.Second
	v.AddDBRole(t, "database", "app-ro", role)
	g := start(t, fmt.Sprintf(`secrets: {vault: {address: %q, token: vault-root}}
databases:
  - name: app
    kind: postgres
    primary: %s
    pool: {mode: transaction, size: 2}
    identities: [{role: analyst, vault: {role: app-ro}}]
roles:
  - name: analyst
    grants: [{database: app, tables: ["*"], actions: [select]}]
users:
  - {name: alice, password: alice-secret, roles: [analyst]}
`, v.URL, dsn))
	s := pgDynSession{g.connect(t, "alice", "alice-secret", "app")}
	first := s.whoami(t)
	sc := dynScenario{whoami: "SELECT current_user AS u"}
	// The data APIs' pools now hold connections of the first login.
	if hu, fu := dataWhoami(t, g, sc); hu != first || fu != first {
		t.Fatalf("data API runs as %q, Flight SQL as %q, want %q", hu, fu, first)
	}
	v.SetDown(true)
	var ready map[string]string
	eventually(t, 30*time.Second, func() error {
		code := g.adminCall(t, "GET", "/readyz", "", &ready)
		if code != 200 || ready["status"] != "degraded" || !strings.Contains(ready["reason"], "Vault unreachable") {
			return fmt.Errorf("/readyz %d %v", code, ready)
		}
		return nil
	})
	exp := waitLease(t, g, "vault unreachable", func(l leaseStatus) bool { return l.State == "vault_unreachable" }).Expires
	if time.Now().Before(exp) {
		// Still valid: the login in hand serves.
		if u := s.whoami(t); u != first {
			t.Errorf("while Vault is down: %q", u)
		}
	}
	waitLease(t, g, "expired", func(l leaseStatus) bool { return l.State == "expired" })
	if code := g.adminCall(t, "GET", "/readyz", "", &ready); code != 503 || !strings.Contains(ready["reason"], "lease expired") {
		t.Errorf("/readyz after expiry: %d %v", code, ready)
	}
	_, err := s.c.Exec(context.Background(), "SELECT 1")
	if sqlstate(err) != "08006" || !strings.Contains(err.Error(), "lease has expired") {
		t.Errorf("a statement after the lease expired: %v", err)
	}
	// Nor does the data API run anything on the expired login: 503,
	// naming no login.
	a := g.post(t, "alice", "alice-secret", "/v1/query?format=json", queryBody("app", sc.whoami))
	if code, state, msg := errorOf(t, a); a.status != 503 || code != "unavailable" || state != "08006" || strings.Contains(string(a.body), first) {
		t.Errorf("data API after the lease expired: %d %s %s %s", a.status, code, state, msg)
	}
	v.SetDown(false)
	var after string
	eventually(t, 60*time.Second, func() error {
		c, err := pgx.Connect(context.Background(), g.dsn("alice", "alice-secret", "app"))
		if err != nil {
			return err
		}
		defer c.Close(context.Background())
		return c.QueryRow(context.Background(), "SELECT current_user").Scan(&after)
	})
	if after == first || after == "" {
		t.Errorf("after Vault came back: %q (first %q)", after, first)
	}
	if hu, fu := dataWhoami(t, g, sc); hu != after || fu != after {
		t.Errorf("after Vault came back the data API runs as %q, Flight SQL as %q, want %q", hu, fu, after)
	}
	noSecrets(t, v, map[string]string{"log": g.log.String()})
}
