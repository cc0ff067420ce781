package cluster

import (
	"errors"
	"fmt"
	"slices"
	"sync"

	"github.com/floe-db/floe/internal/config"
)

// Logins are a relay's backend logins: login 0 is the DSN's own, the
// others are the distinct logins of the database's identities
// (config.Identity), which map gateway roles to logins that hold only
// what the roles' grants give. A relay keeps a pool per server and login,
// so a connection, and whatever state a statement left on it, never
// serves another login. Passwords change through Rekey (a rotated
// secret); users and the role mapping are fixed for the Logins' life,
// except for a login leased from Vault (identities[].vault), whose user
// and password come from its Dynamic source and change when it rotates.
type Logins struct {
	db    config.Database // Name and Identities, passwords stripped
	users []string        // by login; "" for the DSN's; the engine key for a leased one
	dyn   []Dynamic       // by login; nil for a fixed one
	stop  []func()        // cancels Watch's subscriptions

	mu struct {
		sync.Mutex
		passwords []string // by login; the DSN's is not kept here
	}
}

// Dynamic is the source of a leased login (*leases.Lease): its current
// credentials, and rotations, on which the relay swaps the login's pools.
type Dynamic interface {
	// Creds fails once the lease has expired with no successor.
	Creds() (user, password string, err error)
	// OnRotate calls drain when the login changes; drain makes new
	// connections use the new login, closes the old ones as they come
	// back, and returns whether none is left.
	OnRotate(drain func() (drained func() bool)) (cancel func())
}

// LeaseFor returns the Dynamic source of an identity's vault login on a
// database; nil when there is none (the login is then refused).
type LeaseFor func(database string, d config.DynamicCreds) Dynamic

// NewLogins reads db's identities; leases gives the sources of the
// logins leased from Vault (nil: there are none).
func NewLogins(db config.Database, leases LeaseFor) *Logins {
	l := &Logins{db: config.Database{Name: db.Name, Identities: slices.Clone(db.Identities)}}
	for i := range l.db.Identities {
		l.db.Identities[i].Password = ""
	}
	l.users, l.mu.passwords = loginsOf(db)
	l.dyn = make([]Dynamic, len(l.users))
	for _, id := range db.Identities {
		if id.Vault == nil {
			continue
		}
		i := slices.Index(l.users, id.Login())
		if l.dyn[i] == nil && leases != nil {
			if d := leases(db.Name, *id.Vault); d != nil {
				l.dyn[i] = d
			}
		}
	}
	return l
}

func loginsOf(db config.Database) (users, passwords []string) {
	users, passwords = []string{""}, []string{""}
	for _, id := range db.Identities {
		key := id.User
		if id.Vault != nil {
			key = id.Login()
		}
		if key == "" || slices.Contains(users, key) {
			continue
		}
		users = append(users, key)
		passwords = append(passwords, id.Password)
	}
	return users, passwords
}

// Len is the number of logins.
func (l *Logins) Len() int { return len(l.users) }

// Name is login i's name for logs (never its password): the engine
// role's key for a leased login.
func (l *Logins) Name(i int) string {
	if i == 0 {
		return "(dsn)"
	}
	return l.users[i]
}

// Leased reports whether login i is leased from Vault.
func (l *Logins) Leased(i int) bool { return i > 0 && l.isLeased(i) }

func (l *Logins) isLeased(i int) bool {
	return slices.ContainsFunc(l.db.Identities, func(id config.Identity) bool { return id.Vault != nil && id.Login() == l.users[i] })
}

// Creds returns login i's current user and password (i > 0). A leased
// login whose lease has expired, or that has no source, fails: a login
// past its lease is never used.
func (l *Logins) Creds(i int) (user, password string, err error) {
	if l.isLeased(i) {
		if l.dyn[i] == nil {
			return "", "", ErrNoLease
		}
		user, password, err = l.dyn[i].Creds()
		if err != nil {
			return "", "", fmt.Errorf("%w: %v", ErrNoLease, err)
		}
		return user, password, nil
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.users[i], l.mu.passwords[i], nil
}

// User is login i's user ("" for the DSN's; the current one of a leased
// login, "" when it has none).
func (l *Logins) User(i int) string {
	u, _, _ := l.Creds(i)
	return u
}

// Password is login i's current password (i > 0).
func (l *Logins) Password(i int) string {
	_, p, _ := l.Creds(i)
	return p
}

// Watch subscribes drain to the rotations of every leased login, until
// Unwatch: drain(i) swaps login i's pools and reports when the old ones
// are empty.
func (l *Logins) Watch(drain func(login int) (drained func() bool)) {
	for i, d := range l.dyn {
		if d != nil {
			l.stop = append(l.stop, d.OnRotate(func() func() bool { return drain(i) }))
		}
	}
}

// Unwatch ends Watch's subscriptions (the relay closes).
func (l *Logins) Unwatch() {
	for _, c := range l.stop {
		c()
	}
}

// For returns the login a user with roles runs as; the error (wrapping
// config.ErrNoIdentity or config.ErrAmbiguousIdentity) refuses the
// session.
func (l *Logins) For(roles []string) (int, error) {
	i, err := l.db.IdentityFor(roles)
	if err != nil {
		return 0, err
	}
	if i < 0 || l.db.Identities[i].Login() == "(dsn)" {
		return 0, nil
	}
	key := l.db.Identities[i].User
	if l.db.Identities[i].Vault != nil {
		key = l.db.Identities[i].Login()
	}
	return slices.Index(l.users, key), nil
}

// Same reports whether db maps the same roles to the same logins (and,
// with passwords, with the same passwords).
func (l *Logins) Same(db config.Database, passwords bool) bool {
	if !slices.EqualFunc(l.db.Identities, db.Identities, func(a, b config.Identity) bool {
		return a.Role == b.Role && a.User == b.User && a.Login() == b.Login()
	}) {
		return false
	}
	if !passwords {
		return true
	}
	_, want := loginsOf(db)
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Equal(l.mu.passwords, want)
}

// Rekey takes the passwords of db, whose identities are Same but for
// them: connections made from now on log in with them.
func (l *Logins) Rekey(db config.Database) {
	_, pw := loginsOf(db)
	l.mu.Lock()
	l.mu.passwords = pw
	l.mu.Unlock()
}

// ErrNoLease refuses a connection for a leased login that has no lease
// source (the gateway could not open it).
var ErrNoLease = errors.New("the backend login's Vault lease is not available")
