package cluster

import (
	"errors"
	"testing"

	"github.com/floe-db/floe/internal/config"
)

type fakeLease struct {
	user, password string
	err            error
	subs           []func() func() bool
}

func (f *fakeLease) Creds() (string, string, error) { return f.user, f.password, f.err }
func (f *fakeLease) OnRotate(d func() func() bool) func() {
	f.subs = append(f.subs, d)
	return func() { f.subs = nil }
}

func TestLoginsLeased(t *testing.T) {
	db := config.Database{Name: "app", Identities: []config.Identity{
		{Role: "a", User: "fixed", Password: "pw"},
		{Role: "b", Vault: &config.DynamicCreds{Role: "ro"}},
		{Role: "c", Vault: &config.DynamicCreds{Mount: "database", Role: "ro"}},
		{Role: "d", Vault: &config.DynamicCreds{Role: "other"}},
	}}
	fl := &fakeLease{user: "v-ro-1", password: "secret-1"}
	asked := map[string]int{}
	l := NewLogins(db, func(name string, d config.DynamicCreds) Dynamic {
		asked[name+" "+d.Key()]++
		if d.Role == "ro" {
			return fl
		}
		return nil
	})
	if l.Len() != 4 || asked["app vault:database/ro"] != 1 {
		t.Fatalf("logins %d, lease lookups %v", l.Len(), asked)
	}
	for _, tc := range []struct {
		roles          []string
		login          int
		user, password string
		err            error
	}{
		{[]string{"a"}, 1, "fixed", "pw", nil},
		{[]string{"b"}, 2, "v-ro-1", "secret-1", nil},
		{[]string{"c"}, 2, "v-ro-1", "secret-1", nil},
		// A leased login without a lease source is refused, never run
		// as the DSN's login.
		{[]string{"d"}, 3, "", "", ErrNoLease},
	} {
		i, err := l.For(tc.roles)
		if err != nil || i != tc.login {
			t.Fatalf("For(%v) = %d, %v", tc.roles, i, err)
		}
		u, p, err := l.Creds(i)
		if u != tc.user || p != tc.password || !errors.Is(err, tc.err) {
			t.Errorf("Creds(%d) = %q %q %v", i, u, p, err)
		}
		if l.Leased(i) != (i > 1) {
			t.Errorf("Leased(%d)", i)
		}
		if name := l.Name(i); name == tc.password && name != "" {
			t.Errorf("Name(%d) shows the password", i)
		}
	}
	// An expired lease refuses the login.
	fl.err = errors.New("expired")
	if _, _, err := l.Creds(2); !errors.Is(err, ErrNoLease) {
		t.Errorf("expired lease: %v", err)
	}
	// Rotations reach the relay's drain with the login's index.
	var rotated []int
	l.Watch(func(i int) func() bool { rotated = append(rotated, i); return func() bool { return true } })
	for _, d := range fl.subs {
		d()
	}
	if len(rotated) != 1 || rotated[0] != 2 {
		t.Errorf("rotated %v", rotated)
	}
	l.Unwatch()
	if fl.subs != nil {
		t.Error("Unwatch kept the subscription")
	}
	// Same: the engine role is part of the login.
	other := db
	other.Identities = append([]config.Identity(nil), db.Identities...)
	other.Identities[1] = config.Identity{Role: "b", Vault: &config.DynamicCreds{Role: "rw"}}
	if l.Same(other, false) || !l.Same(db, true) {
		t.Error("Same ignores the engine role")
	}
}
