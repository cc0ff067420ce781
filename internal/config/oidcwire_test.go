package config_test

import (
	"strings"
	"testing"
	"time"

	"github.com/floe-db/floe/internal/config"
)

func noEnv(string) string { return "" }

func TestOIDCWire(t *testing.T) {
	crt, key := writeCert(t, t.TempDir(), "gw")
	withTLS := "tls: {cert: " + crt + ", key: " + key + "}"
	base := `databases: [{name: lite, kind: sqlite, path: /tmp/x.db}]
roles: [{name: reader}]
users: [{name: u1, password: p}]
%s
oidc:
  issuer: https://id.example
  audience: floe
%s  wire: %s
`
	for _, tc := range []struct {
		name, tls, roles, wire, err, onExpiry string
		on                                    bool
	}{
		{"defaults to close", withTLS, "  roles: {g: [reader]}\n", "{enabled: true}", "", "close", true},
		{"transaction_end", withTLS, "  roles: {g: [reader]}\n", "{enabled: true, on_expiry: transaction_end}", "", "transaction_end", true},
		{"off needs nothing", "", "  admin_scopes: {g: read}\n", "{enabled: false}", "", "close", false},
		{"bad on_expiry", withTLS, "  roles: {g: [reader]}\n", "{enabled: true, on_expiry: later}", "oidc.wire.on_expiry", "", false},
		{"needs tls", "", "  roles: {g: [reader]}\n", "{enabled: true}", "needs tls", "", false},
		{"needs roles", withTLS, "  admin_scopes: {g: read}\n", "{enabled: true}", "needs oidc.roles", "", false},
		{"expiry grace", withTLS, "  roles: {g: [reader]}\n", "{enabled: true, on_expiry: transaction_end, expiry_grace: 30s}", "", "transaction_end", true},
		{"negative expiry grace", withTLS, "  roles: {g: [reader]}\n", "{enabled: true, on_expiry: transaction_end, expiry_grace: -1s}", "oidc.wire.expiry_grace", "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src := strings.Replace(base, "%s", tc.tls, 1)
			src = strings.Replace(src, "%s", tc.roles, 1)
			src = strings.Replace(src, "%s", tc.wire, 1)
			c, err := config.Parse("f.yaml", []byte(src), noEnv)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatalf("unexpected error: %v", err)
			}
			if c.WireSSO() != tc.on || c.OIDC.Wire.OnExpiry != tc.onExpiry {
				t.Fatalf("WireSSO %v on_expiry %q, want %v %q", c.WireSSO(), c.OIDC.Wire.OnExpiry, tc.on, tc.onExpiry)
			}
			want := config.DefaultExpiryGrace
			if strings.Contains(tc.wire, "expiry_grace: 30s") {
				want = 30 * time.Second
			}
			if c.OIDC.Wire.ExpiryGrace != want {
				t.Fatalf("expiry_grace %v, want %v", c.OIDC.Wire.ExpiryGrace, want)
			}
		})
	}
	c, err := config.Parse("f.yaml", []byte("databases: [{name: lite, kind: sqlite, path: /tmp/x.db}]\nusers: [{name: u1, password: p}]\n"), noEnv)
	if err != nil || c.WireSSO() {
		t.Fatalf("no oidc: WireSSO %v, err %v", c != nil && c.WireSSO(), err)
	}
}
