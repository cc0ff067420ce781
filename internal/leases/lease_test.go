package leases_test

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"

	"github.com/floe-db/floe/internal/config"
	"github.com/floe-db/floe/internal/leases"
	"github.com/floe-db/floe/internal/secrets"
	"github.com/floe-db/floe/internal/vaulttest"
)

func pgDSN() string {
	if d := os.Getenv("FLOE_TEST_PG"); d != "" {
		return d
	}
	return "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
}

// setup serves engine role "ro" whose logins are members of a new
// template role, on the real PostgreSQL.
func setup(t *testing.T, ttl, maxTTL time.Duration) (*vaulttest.Server, *sql.DB) {
	t.Helper()
	if testing.Short() {
		t.Skip("needs PostgreSQL")
	}
	db, err := sql.Open("pgx", pgDSN())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	tmpl := "floe_t_lease_" + hex.EncodeToString(b)
	if _, err := db.Exec("CREATE ROLE " + tmpl + " NOLOGIN"); err != nil {
		t.Skipf("PostgreSQL: %v", err)
	}
	t.Cleanup(func() { _, _ = db.Exec("DROP ROLE IF EXISTS " + tmpl) })
	v := vaulttest.New(t, "root")
	v.AddDBRole(t, "database", "ro", vaulttest.DBRole{Driver: "pgx", DSN: pgDSN(), TTL: ttl, MaxTTL: maxTTL,
		Creation:   []string{`CREATE ROLE "{{name}}" LOGIN PASSWORD '{{password}}' VALID UNTIL '{{expiration}}' IN ROLE ` + tmpl},
		Revocation: []string{`DROP ROLE IF EXISTS "{{name}}"`}})
	return v, db
}

func roleExists(t *testing.T, db *sql.DB, name string) bool {
	t.Helper()
	var n int
	if err := db.QueryRow("SELECT count(*) FROM pg_roles WHERE rolname = $1", name).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n == 1
}

type events struct {
	mu   sync.Mutex
	list []leases.Event
}

func (e *events) add(ev leases.Event) { e.mu.Lock(); e.list = append(e.list, ev); e.mu.Unlock() }
func (e *events) kinds() string {
	e.mu.Lock()
	defer e.mu.Unlock()
	var k []string
	for _, ev := range e.list {
		k = append(k, ev.Kind)
	}
	return strings.Join(k, ",")
}

func open(t *testing.T, v *vaulttest.Server, ev *events) *leases.Lease {
	t.Helper()
	c, err := secrets.Client(config.Vault{Address: v.URL, Token: "root"})
	if err != nil {
		t.Fatal(err)
	}
	c.SetMaxRetries(0)
	l, err := leases.Open(context.Background(), "app", config.DynamicCreds{Role: "ro"}, leases.Options{Client: c, Event: ev.add})
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// waitFor polls cond until it holds or the test's deadline nears.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline, ok := t.Deadline()
	if !ok {
		deadline = time.Now().Add(time.Minute)
	}
	for !cond() {
		if time.Now().After(deadline.Add(-5 * time.Second)) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestLeaseRenewKeepsLogin(t *testing.T) {
	v, db := setup(t, 3*time.Second, time.Hour)
	ev := &events{}
	l := open(t, v, ev)
	user, pw, err := l.Creds()
	if err != nil || !roleExists(t, db, user) || pw == "" {
		t.Fatalf("creds %q, %v", user, err)
	}
	waitFor(t, "two renewals", func() bool { return l.Status().Renewals >= 2 })
	if u, _, _ := l.Creds(); u != user || l.Status().Rotations != 0 {
		t.Errorf("renewal changed the login: %q -> %q", user, u)
	}
	if got := v.Leases(); len(got) != 1 || got[0].Renewals < 2 {
		t.Errorf("server leases %+v", got)
	}
	l.Close(context.Background())
	if roleExists(t, db, user) {
		t.Error("Close left the leased role in pg_roles")
	}
	if k := ev.kinds(); !strings.HasPrefix(k, "obtained,renewed,renewed") || !strings.HasSuffix(k, "revoked") {
		t.Errorf("events %s", k)
	}
}

func TestLeaseRotatesAtMaxTTL(t *testing.T) {
	v, db := setup(t, 3*time.Second, 4*time.Second)
	ev := &events{}
	l := open(t, v, ev)
	first, _, _ := l.Creds()
	// A subscriber whose old connections stay busy until released.
	var mu sync.Mutex
	busy := true
	rotated := make(chan struct{}, 1)
	cancel := l.OnRotate(func() func() bool {
		rotated <- struct{}{}
		return func() bool { mu.Lock(); defer mu.Unlock(); return !busy }
	})
	defer cancel()
	<-rotated
	second, _, err := l.Creds()
	if err != nil || second == first {
		t.Fatalf("after rotation %q (was %q), %v", second, first, err)
	}
	if !roleExists(t, db, first) {
		t.Fatal("the old login was dropped while its connections were busy")
	}
	if st := l.Status(); st.Draining != 1 || st.Username != second || st.Rotations != 1 {
		t.Errorf("status %+v", st)
	}
	mu.Lock()
	busy = false
	mu.Unlock()
	waitFor(t, "the old lease revoked", func() bool { return !roleExists(t, db, first) })
	if !roleExists(t, db, second) {
		t.Error("the new login is gone")
	}
	l.Close(context.Background())
	if roleExists(t, db, second) {
		t.Error("Close left the new login")
	}
}

func TestLeaseVaultDown(t *testing.T) {
	v, db := setup(t, 3*time.Second, time.Hour)
	l := open(t, v, &events{})
	defer l.Close(context.Background())
	user, _, _ := l.Creds()
	v.SetDown(true)
	waitFor(t, "a failed renewal", func() bool { return l.Status().State == "vault_unreachable" })
	if u, _, err := l.Creds(); err != nil || u != user {
		t.Errorf("credentials in hand while Vault is down: %q, %v", u, err)
	}
	if ok, w := leases.Describe([]leases.Status{l.Status()}); !ok || !strings.Contains(w, "Vault unreachable") {
		t.Errorf("readiness %v %q", ok, w)
	}
	waitFor(t, "expiry", func() bool { _, _, err := l.Creds(); return err != nil })
	if ok, w := leases.Describe([]leases.Status{l.Status()}); ok || !strings.Contains(w, "expired") {
		t.Errorf("readiness after expiry %v %q", ok, w)
	}
	v.SetDown(false)
	waitFor(t, "new credentials", func() bool { _, _, err := l.Creds(); return err == nil })
	if u, _, _ := l.Creds(); u == user || !roleExists(t, db, u) {
		t.Errorf("after Vault came back: %q", u)
	}
	if st := l.Status(); st.State != "ok" || strings.Contains(st.Error, "A1a-") {
		t.Errorf("status %+v", st)
	}
}

func TestLeaseOpenFails(t *testing.T) {
	v, _ := setup(t, time.Minute, 0)
	c, _ := secrets.Client(config.Vault{Address: v.URL, Token: "root"})
	if _, err := leases.Open(context.Background(), "app", config.DynamicCreds{Role: "nope"}, leases.Options{Client: c}); err == nil {
		t.Error("opened a lease of an unknown role")
	}
	bad, _ := secrets.Client(config.Vault{Address: v.URL, Token: "wrong"})
	if _, err := leases.Open(context.Background(), "app", config.DynamicCreds{Role: "ro"}, leases.Options{Client: bad}); err == nil || !strings.Contains(err.Error(), "permission denied") {
		t.Errorf("bad token: %v", err)
	}
}
