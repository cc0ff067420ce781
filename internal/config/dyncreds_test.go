package config

import (
	"strings"
	"testing"
)

func TestDynamicCreds(t *testing.T) {
	base := `%s
databases:
  - name: app
    kind: postgres
    primary: postgres://owner@127.0.0.1/app
%s    identities:
%s
roles: [{name: a}, {name: b}]
users:
  - {name: u1, password: p, roles: [a]}
  - {name: u2, password: p, roles: [a, b]}
`
	vault := "secrets:\n  vault: {address: 'http://127.0.0.1:8200', token: t}"
	for _, tc := range []struct {
		name, secrets, extra, ids, err string
	}{
		{"ok", vault, "", "      - {role: a, vault: {mount: database, role: app-ro}}", ""},
		{"default mount", vault, "", "      - {role: a, vault: {role: app-ro}}", ""},
		{"same engine role for two roles", vault, "", "      - {role: a, vault: {role: r}}\n      - {role: b, vault: {mount: database, role: r}}", ""},
		{"two engine roles for one user", vault, "", "      - {role: a, vault: {role: r}}\n      - {role: b, vault: {role: s}}", "different backend logins"},
		{"no vault server", "", "", "      - {role: a, vault: {role: r}}", "needs secrets.vault"},
		{"no engine role", vault, "", "      - {role: a, vault: {mount: database}}", "vault.role: is required"},
		{"user beside vault", vault, "", "      - {role: a, user: x, vault: {role: r}}", "leave user and password out"},
		{"path escape", vault, "", "      - {role: a, vault: {role: '../sys/raw'}}", "plain Vault path segment"},
		{"query in mount", vault, "", "      - {role: a, vault: {mount: 'x?y', role: r}}", "plain Vault path segment"},
		{"provisioned", vault, "    provision: true\n", "      - {role: a, vault: {role: r}}", "cannot be provisioned"},
		{"unknown key", vault, "", "      - {role: a, vault: {role: r, ttl: 5}}", "ttl"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src := strings.Replace(strings.Replace(strings.Replace(base, "%s", tc.secrets, 1), "%s", tc.extra, 1), "%s", tc.ids, 1)
			_, err := Parse("f.yaml", []byte(src), env(nil))
			switch {
			case tc.err == "" && err != nil:
				t.Fatalf("unexpected error: %v", err)
			case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
				t.Fatalf("error %v, want %q", err, tc.err)
			}
		})
	}
}

func TestDynamicCredsNames(t *testing.T) {
	d := DynamicCreds{Role: "ro"}
	if d.Path() != "database/creds/ro" || d.Key() != "vault:database/ro" {
		t.Errorf("default mount: %q %q", d.Path(), d.Key())
	}
	d = DynamicCreds{Mount: "pg", Role: "ro"}
	if d.Path() != "pg/creds/ro" || (Identity{Role: "a", Vault: &d}).Login() != "vault:pg/ro" {
		t.Errorf("mount pg: %q", d.Path())
	}
}
