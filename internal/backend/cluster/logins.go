package cluster

import (
	"slices"
	"sync"

	"github.com/floe-db/floe/internal/config"
)

// Logins are a relay's backend logins: login 0 is the DSN's own, the
// others are the distinct users of the database's identities
// (config.Identity), which map gateway roles to logins that hold only
// what the roles' grants give. A relay keeps a pool per server and login,
// so a connection, and whatever state a statement left on it, never
// serves another login. Passwords change through Rekey (a rotated
// secret); users and the role mapping are fixed for the Logins' life.
type Logins struct {
	db    config.Database // Name and Identities, passwords stripped
	users []string        // by login; "" for the DSN's

	mu struct {
		sync.Mutex
		passwords []string // by login; the DSN's is not kept here
	}
}

// NewLogins reads db's identities.
func NewLogins(db config.Database) *Logins {
	l := &Logins{db: config.Database{Name: db.Name, Identities: slices.Clone(db.Identities)}}
	for i := range l.db.Identities {
		l.db.Identities[i].Password = ""
	}
	l.users, l.mu.passwords = loginsOf(db)
	return l
}

func loginsOf(db config.Database) (users, passwords []string) {
	users, passwords = []string{""}, []string{""}
	for _, id := range db.Identities {
		if id.User == "" || slices.Contains(users, id.User) {
			continue
		}
		users = append(users, id.User)
		passwords = append(passwords, id.Password)
	}
	return users, passwords
}

// Len is the number of logins.
func (l *Logins) Len() int { return len(l.users) }

// User is login i's user ("" for the DSN's).
func (l *Logins) User(i int) string { return l.users[i] }

// Name is login i's name for logs (never its password).
func (l *Logins) Name(i int) string {
	if i == 0 {
		return "(dsn)"
	}
	return l.users[i]
}

// Password is login i's current password (i > 0).
func (l *Logins) Password(i int) string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.mu.passwords[i]
}

// For returns the login a user with roles runs as; the error (wrapping
// config.ErrNoIdentity or config.ErrAmbiguousIdentity) refuses the
// session.
func (l *Logins) For(roles []string) (int, error) {
	i, err := l.db.IdentityFor(roles)
	if err != nil {
		return 0, err
	}
	if i < 0 || l.db.Identities[i].User == "" {
		return 0, nil
	}
	return slices.Index(l.users, l.db.Identities[i].User), nil
}

// Same reports whether db maps the same roles to the same logins (and,
// with passwords, with the same passwords).
func (l *Logins) Same(db config.Database, passwords bool) bool {
	if !slices.EqualFunc(l.db.Identities, db.Identities, func(a, b config.Identity) bool { return a.Role == b.Role && a.User == b.User }) {
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
