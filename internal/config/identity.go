package config

import (
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
)

// Identity maps a gateway role to the login its sessions use on one
// database's servers (primary and replicas alike). The login should hold
// exactly the privileges the role's grants give (`floe provision` makes
// it so), so that a statement Floe misreads still runs with no more
// rights than the role has.
type Identity struct {
	// Role is the gateway role, or "*" for every role without an entry
	// of its own.
	Role string `yaml:"role" json:"role"`
	// User is the backend login; "" keeps the login of the DSN (meant
	// for operator roles).
	User string `yaml:"user" json:"user,omitempty"`
	// Password is the login's password (a ${env:}, ${file:} or ${vault:}
	// reference in practice); "" with User set means no password.
	Password string `yaml:"password" json:"password,omitempty"`
	// Vault takes the login from Vault's database secrets engine instead
	// of User and Password (dyncreds.go).
	Vault *DynamicCreds `yaml:"vault" json:"vault,omitempty"`
}

// Login names the backend login of an identity for logs and pool keys:
// never its password.
func (id Identity) Login() string {
	if id.Vault != nil {
		return id.Vault.Key()
	}
	if id.User == "" {
		return "(dsn)"
	}
	return id.User
}

// ErrNoIdentity and ErrAmbiguousIdentity are IdentityFor's refusals.
var (
	ErrNoIdentity        = errors.New("no backend identity")
	ErrAmbiguousIdentity = errors.New("ambiguous backend identity")
)

// IdentityFor returns the index in db.Identities of the login a user
// with the given roles runs as on db: -1 (the DSN's login) when db has
// no identities. Every role the user holds that has an entry must map
// to the same login, so that no session mixes two roles' rights; roles
// without one take the "*" entry, if there is one, else add nothing. A
// user none of whose roles maps a login is refused.
func (db *Database) IdentityFor(roles []string) (int, error) {
	if len(db.Identities) == 0 {
		return -1, nil
	}
	star := slices.IndexFunc(db.Identities, func(id Identity) bool { return id.Role == "*" })
	chosen := -1
	for _, r := range roles {
		i := slices.IndexFunc(db.Identities, func(id Identity) bool { return id.Role == r })
		if i < 0 {
			continue
		}
		if chosen >= 0 && !db.sameLogin(chosen, i) {
			return 0, fmt.Errorf("%w: roles %q and %q use different backend logins on database %q", ErrAmbiguousIdentity,
				db.Identities[chosen].Role, db.Identities[i].Role, db.Name)
		}
		if chosen < 0 {
			chosen = i
		}
	}
	if chosen >= 0 {
		return chosen, nil
	}
	if star >= 0 {
		return star, nil
	}
	return 0, fmt.Errorf("%w: no role of the user (%s) has a backend identity on database %q", ErrNoIdentity, strings.Join(roles, ", "), db.Name)
}

func (db *Database) sameLogin(i, j int) bool {
	return db.Identities[i].Login() == db.Identities[j].Login()
}

// validateIdentities checks db's identities: each role once, every
// name a role of the configuration (or "*"), and no user whose roles map
// different logins.
func (c *Config) validateIdentities(bad func(key, format string, args ...any)) {
	roles := map[string]bool{}
	for _, r := range c.Roles {
		roles[r.Name] = true
	}
	for i := range c.Databases {
		d := &c.Databases[i]
		if d.Provision && len(d.Identities) == 0 {
			bad(fmt.Sprintf("databases[%d].provision", i), "needs identities to provision")
		}
		if len(d.Identities) == 0 {
			continue
		}
		key := fmt.Sprintf("databases[%d].identities", i)
		if d.Kind == KindSQLite {
			bad(key, "kind sqlite has no backend logins")
			continue
		}
		seen := map[string]bool{}
		for j, id := range d.Identities {
			k := fmt.Sprintf("%s[%d]", key, j)
			switch {
			case id.Role == "":
				bad(k+".role", "is required (a role name, or * for every other role)")
			case seen[id.Role]:
				bad(k+".role", "role %q has two identities", id.Role)
			case id.Role != "*" && !roles[id.Role]:
				bad(k+".role", "no role %q is defined", id.Role)
			}
			seen[id.Role] = true
			if id.User == "" && id.Password != "" {
				bad(k+".password", "a password needs a user (no user keeps the DSN's login and password)")
			}
			if strings.ContainsAny(id.User, "\x00'\"`\\ ;") {
				bad(k+".user", "must be a plain login name")
			}
		}
		for _, u := range c.Users {
			if _, err := d.IdentityFor(u.Roles); errors.Is(err, ErrAmbiguousIdentity) {
				bad(key, "user %q: %v", u.Name, err)
			}
		}
	}
}

// WithLogin returns dsn (a postgres:// or mysql:// URL) with its user and
// password replaced.
func WithLogin(dsn, user, password string) string {
	u, err := url.Parse(dsn)
	if err != nil {
		return dsn
	}
	if password == "" {
		u.User = url.User(user)
	} else {
		u.User = url.UserPassword(user, password)
	}
	return u.String()
}
