package e2e

import (
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestHTTPTokenDiesWithPassword: a bearer token is bound to its user's
// credentials: after a reload that changes the password (or removes the
// user) it is refused at once, not only at its expiry.
func TestHTTPTokenDiesWithPassword(t *testing.T) {
	lite := filepath.Join(t.TempDir(), "lite.db")
	seedSQLite(t, lite, "CREATE TABLE t (n int)", "INSERT INTO t VALUES (1)")
	conf := func(password string) string {
		return fmt.Sprintf(`databases: [{name: lite, kind: sqlite, path: %q}]
users: [{name: bob, password: %s, roles: [r]}, {name: carol, password: carol-secret, roles: [r]}]
roles: [{name: r, grants: [{database: lite, tables: ["*"], actions: [select]}]}]
`, lite, password)
	}
	g := start(t, conf("bob-first"))
	a := g.post(t, "bob", "bob-first", "/v1/token", "")
	var tok struct{ Token string }
	if a.status != 200 || json.Unmarshal(a.body, &tok) != nil || tok.Token == "" {
		t.Fatalf("token: %d %s", a.status, a.body)
	}
	query := func() int {
		return g.post(t, "", "", "/v1/query?format=csv", queryBody("lite", "SELECT n FROM t"), "Authorization", "Bearer "+tok.Token).status
	}
	if s := query(); s != 200 {
		t.Fatalf("query with the token: %d", s)
	}
	// A reload that keeps bob's password keeps his token.
	g.rewrite(t, conf("bob-first")+"# touched\n")
	g.sig <- syscall.SIGHUP
	eventually(t, 5*time.Second, func() error {
		if !strings.Contains(g.log.String(), `"configuration reloaded"`) {
			return errors.New("the reload has not been applied")
		}
		return nil
	})
	if s := query(); s != 200 {
		t.Fatalf("token after a reload that kept the password: %d", s)
	}
	g.rewrite(t, conf("bob-second"))
	g.sig <- syscall.SIGHUP
	eventually(t, 5*time.Second, func() error {
		if s := g.post(t, "bob", "bob-second", "/v1/query?format=csv", queryBody("lite", "SELECT n FROM t")).status; s != 200 {
			return fmt.Errorf("the new password was not taken: %d", s)
		}
		return nil
	})
	if s := query(); s != 401 {
		t.Fatalf("token issued before the password changed: %d, want 401", s)
	}
}
