package config

import (
	"errors"
	"strings"
	"testing"
)

func TestIdentities(t *testing.T) {
	base := `databases:
  - name: app
    kind: postgres
    primary: postgres://owner@127.0.0.1/app
    identities:
%s
roles: [{name: a}, {name: b}, {name: c}]
users:
  - {name: u1, password: p, roles: [a]}
%s`
	for _, tc := range []struct {
		name, ids, users, err string
	}{
		{"ok", "      - {role: a, user: app_a, password: x}\n      - {role: b, user: app_b}\n      - {role: '*', user: app_ro}", "", ""},
		{"dsn login", "      - {role: a}", "", ""},
		{"unknown role", "      - {role: zz, user: x}", "", "no role \"zz\""},
		{"twice", "      - {role: a, user: x}\n      - {role: a, user: y}", "", "two identities"},
		{"no role", "      - {user: x}", "", "role: is required"},
		{"password without user", "      - {role: a, password: x}", "", "needs a user"},
		{"odd user", "      - {role: a, user: \"x; drop\"}", "", "plain login name"},
		{"ambiguous user", "      - {role: a, user: x}\n      - {role: b, user: y}", "  - {name: u2, password: p, roles: [a, b]}\n", "different backend logins"},
		{"same login twice", "      - {role: a, user: x}\n      - {role: b, user: x}", "  - {name: u2, password: p, roles: [a, b]}\n", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse("f.yaml", []byte(strings.Replace(strings.Replace(base, "%s", tc.ids, 1), "%s", tc.users, 1)), env(nil))
			switch {
			case tc.err == "" && err != nil:
				t.Fatalf("unexpected error: %v", err)
			case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
				t.Fatalf("error %v, want %q", err, tc.err)
			}
		})
	}
}

func TestIdentityFor(t *testing.T) {
	db := Database{Name: "app", Identities: []Identity{{Role: "a", User: "x"}, {Role: "b", User: "y"}, {Role: "c", User: "x"}, {Role: "*", User: "ro"}}}
	for _, tc := range []struct {
		roles []string
		want  int
		err   error
	}{
		{[]string{"a"}, 0, nil},
		{[]string{"b"}, 1, nil},
		{[]string{"a", "c"}, 0, nil},
		{[]string{"z"}, 3, nil},
		{[]string{"z", "b"}, 1, nil},
		{[]string{"a", "b"}, 0, ErrAmbiguousIdentity},
		{nil, 3, nil},
	} {
		got, err := db.IdentityFor(tc.roles)
		if !errors.Is(err, tc.err) || (err == nil && got != tc.want) {
			t.Errorf("%v: %d, %v; want %d, %v", tc.roles, got, err, tc.want, tc.err)
		}
	}
	noStar := Database{Name: "app", Identities: []Identity{{Role: "a", User: "x"}}}
	if _, err := noStar.IdentityFor([]string{"b"}); !errors.Is(err, ErrNoIdentity) {
		t.Errorf("no identity: %v", err)
	}
	if i, err := (&Database{}).IdentityFor([]string{"a"}); i != -1 || err != nil {
		t.Errorf("no identities: %d, %v", i, err)
	}
}

// TestOverlayIdentityPasswords: a database from the shared store keeps
// references only, identity passwords included; they are resolved by
// each instance.
func TestOverlayIdentityPasswords(t *testing.T) {
	base, err := Parse("f.yaml", []byte("databases: [{name: lite, kind: sqlite, path: x.db}]\nroles: [{name: a}]\nusers: [{name: u, password: p, roles: [a]}]\n"), env(nil))
	if err != nil {
		t.Fatal(err)
	}
	db := Database{Name: "app", Kind: KindPostgres, Primary: "postgres://owner:${env:OWNER_PW}@127.0.0.1/app",
		Identities: []Identity{{Role: "a", User: "app_a", Password: "plain"}}}
	if _, err := base.WithOverlay(Overlay{Databases: []Database{db}}, func(s string) (string, error) { return "x", nil }); err == nil || !strings.Contains(err.Error(), "identities[0].password") {
		t.Fatalf("plaintext identity password from the store: %v", err)
	}
	db.Identities[0].Password = "${env:APP_A_PW}"
	expand := func(s string) (string, error) {
		return strings.NewReplacer("${env:OWNER_PW}", "o", "${env:APP_A_PW}", "secret-a").Replace(s), nil
	}
	c, err := base.WithOverlay(Overlay{Databases: []Database{db}}, expand)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := c.Database("app")
	if got.Identities[0].Password != "secret-a" || db.Identities[0].Password != "${env:APP_A_PW}" {
		t.Fatalf("expanded %q, store copy %q", got.Identities[0].Password, db.Identities[0].Password)
	}
}
