package e2e

import (
	"errors"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/floe-db/floe/internal/oidctest"
)

// OpenID Connect tokens of a test issuer (keys made in the test, JWKS over
// httptest) on the admin API and the HTTP data API: groups map to admin
// scopes and gateway roles; wrong audience, expiry, issuer or signature
// are refused.
func TestOIDCTokens(t *testing.T) {
	iss := oidctest.NewIssuer(t)
	dir := t.TempDir()
	auditPath := filepath.Join(dir, "audit.jsonl")
	g := start(t, fmt.Sprintf(`databases:
  - {name: lite, kind: sqlite, path: %s}
users:
  - {name: alice, password: alice-secret, roles: [analyst]}
roles:
  - name: analyst
    grants:
      - {database: lite, tables: ["*"], actions: [select]}
oidc:
  issuer: %s
  audience: floe
  roles: {analysts: [analyst]}
  admin_scopes: {ops: admin, viewers: read}
audit: {file: %s}
`, filepath.Join(dir, "lite.db"), iss.URL, auditPath))
	token := func(groups ...string) string {
		return iss.Token(t, oidctest.Claims{"aud": "floe", "sub": "u-1", "preferred_username": "ann", "groups": groups})
	}

	t.Run("admin API", func(t *testing.T) {
		for _, tc := range []struct {
			name, method, path, token string
			want                      int
		}{
			{"admin scope changes", "POST", "/api/v1/drain", token("ops"), 200},
			{"and undoes", "POST", "/api/v1/undrain", token("ops"), 200},
			{"read scope reads", "GET", "/api/v1/sessions", token("viewers"), 200},
			{"read scope may not change", "POST", "/api/v1/drain", token("viewers"), 403},
			{"no mapped group", "GET", "/api/v1/sessions", token("analysts"), 403},
			{"wrong audience", "GET", "/api/v1/sessions", iss.Token(t, oidctest.Claims{"aud": "other", "groups": []string{"ops"}}), 401},
			{"expired", "GET", "/api/v1/sessions", iss.Token(t, oidctest.Claims{"aud": "floe", "groups": []string{"ops"}, "exp": time.Now().Add(-time.Minute).Unix()}), 401},
			{"other issuer", "GET", "/api/v1/sessions", iss.Token(t, oidctest.Claims{"aud": "floe", "groups": []string{"ops"}, "iss": "https://evil.example"}), 401},
			{"forged signature", "GET", "/api/v1/sessions", iss.Forged(t, oidctest.Claims{"aud": "floe", "groups": []string{"ops"}}), 401},
			{"static tokens still work", "GET", "/api/v1/sessions", testReadToken, 200},
		} {
			if code := g.adminCall(t, tc.method, tc.path, tc.token, nil); code != tc.want {
				t.Errorf("%s: %s %s = %d, want %d", tc.name, tc.method, tc.path, code, tc.want)
			}
		}
		eventually(t, 5*time.Second, func() error {
			for _, e := range auditEvents(t, auditPath, "admin") {
				if e["actor"] == "oidc:ann" && e["path"] == "/api/v1/drain" && e["status"] == float64(200) {
					return nil
				}
			}
			return errors.New("the OIDC caller's drain is not in the audit log")
		})
	})

	t.Run("data API", func(t *testing.T) {
		q := func(tok string) httpAnswer {
			req, _ := http.NewRequest("POST", "http://"+g.http+"/v1/query?format=json", strings.NewReader(queryBody("lite", "SELECT 40 + 2 AS n")))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Authorization", "Bearer "+tok)
			return do(t, req)
		}
		if a := q(token("analysts")); a.status != 200 || !strings.Contains(string(a.body), "42") {
			t.Fatalf("token with a mapped group: %d %s", a.status, a.body)
		}
		if a := q(token("ops")); a.status != 403 {
			t.Errorf("token without a role: %d %s", a.status, a.body)
		}
		if a := q(iss.Forged(t, oidctest.Claims{"aud": "floe", "groups": []string{"analysts"}})); a.status != 401 {
			t.Errorf("forged token: %d %s", a.status, a.body)
		}
		if a := q(iss.Token(t, oidctest.Claims{"aud": "floe", "groups": []string{"analysts"}, "exp": time.Now().Add(-time.Minute).Unix()})); a.status != 401 {
			t.Errorf("expired token: %d %s", a.status, a.body)
		}
	})
}
