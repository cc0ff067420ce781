package authn

import (
	"crypto/rand"
	"crypto/sha256"
	"fmt"
	"slices"
	"strings"

	"github.com/xdg-go/scram"

	"github.com/floe-db/floe/internal/config"
)

// User is a gateway user's identity and credentials.
type User struct {
	Name  string
	Roles []string
	// Databases the user may open; empty means every configured database.
	Databases []string
	// Auth is config.AuthPassword, AuthCertificate or
	// AuthCertificatePassword ("" is password); Certificate binds client
	// certificates to the user (package tlsauth matches them).
	Auth        string
	Certificate *config.CertBinding

	scram scram.StoredCredentials
	md5   string // "" when only a verifier was configured
	my    *mysqlCreds
}

// CredentialTag is a digest of the user's credentials that changes when
// the password (or verifier) does and stays across reloads that keep it:
// from a plaintext password, its md5 and MySQL hashes (the SCRAM salt is
// drawn afresh at each load); from a verifier, the verifier. Bearer tokens
// are bound to it.
func (u *User) CredentialTag() []byte {
	h := sha256.New()
	h.Write([]byte(u.Name))
	h.Write([]byte{0})
	if u.md5 != "" {
		h.Write([]byte(u.md5))
		if u.my != nil {
			h.Write(u.my.native)
		}
		return h.Sum(nil)
	}
	fmt.Fprintf(h, "%s\x00%d\x00", u.scram.Salt, u.scram.Iters)
	h.Write(u.scram.StoredKey)
	h.Write(u.scram.ServerKey)
	return h.Sum(nil)
}

// NeedsCertificate reports whether the user must present a client
// certificate that matches its binding.
func (u *User) NeedsCertificate() bool {
	return u.Auth == config.AuthCertificate || u.Auth == config.AuthCertificatePassword
}

// CertificateOnly reports whether a matching certificate alone logs the
// user in.
func (u *User) CertificateOnly() bool { return u.Auth == config.AuthCertificate }

// MayOpen reports whether the user may connect to database db.
func (u *User) MayOpen(db string) bool {
	return len(u.Databases) == 0 || slices.Contains(u.Databases, db)
}

// HasMD5 reports whether md5 authentication is possible for the user (it
// needs the password, so it is not for users configured with a verifier).
func (u *User) HasMD5() bool { return u.md5 != "" }

// MD5 returns the stored md5 hash.
func (u *User) MD5() string { return u.md5 }

// Spec describes one user for NewStore. Exactly one of Password and
// Verifier is set.
type Spec struct {
	Name      string
	Password  string
	Verifier  string
	Roles     []string
	Databases []string
	// Auth and Certificate: see User. A user with neither Password nor
	// Verifier (certificate alone) gets a random secret no client knows.
	Auth        string
	Certificate *config.CertBinding
}

// Store holds the users of one configuration.
type Store struct {
	users  map[string]*User
	secret []byte
	pw     passwordCache
}

// NewStore derives credentials for every user. Plaintext passwords are
// turned into a verifier and an md5 hash here and not kept.
func NewStore(specs []Spec) (*Store, error) {
	s := &Store{users: make(map[string]*User, len(specs)), secret: make([]byte, 32)}
	if _, err := rand.Read(s.secret); err != nil {
		return nil, err
	}
	for _, sp := range specs {
		u := &User{Name: sp.Name, Roles: sp.Roles, Databases: sp.Databases, Auth: sp.Auth, Certificate: sp.Certificate}
		var err error
		if sp.Password == "" && sp.Verifier == "" {
			// No password: one nobody knows, so every password check fails.
			b := make([]byte, 32)
			if _, err := rand.Read(b); err != nil {
				return nil, err
			}
			sp.Password = fmt.Sprintf("%x", b)
		}
		if sp.Verifier != "" {
			u.scram, err = ParseVerifier(sp.Verifier)
			u.my = newMySQLCreds("")
		} else {
			u.my = newMySQLCreds(sp.Password)
			salt := make([]byte, 16)
			if _, err := rand.Read(salt); err != nil {
				return nil, err
			}
			u.scram, err = storedCredentials(sp.Password, salt, DefaultIterations)
			u.md5 = MD5Hash(sp.Name, sp.Password)
		}
		if err != nil {
			return nil, fmt.Errorf("user %s: %w", sp.Name, err)
		}
		s.users[sp.Name] = u
	}
	return s, nil
}

// All returns every user, by name.
func (s *Store) All() []*User {
	out := make([]*User, 0, len(s.users))
	for _, u := range s.users {
		out = append(out, u)
	}
	slices.SortFunc(out, func(a, b *User) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// Lookup returns the named user.
func (s *Store) Lookup(name string) (*User, bool) {
	u, ok := s.users[name]
	return u, ok
}

// LookupFold returns the user whose name equals name in any case
// (Unicode case folding, as network rules compare names). A name that
// only a token can carry must not be taken for a configured user's.
func (s *Store) LookupFold(name string) (*User, bool) {
	if u, ok := s.users[name]; ok {
		return u, true
	}
	for n, u := range s.users {
		if strings.EqualFold(n, name) {
			return u, true
		}
	}
	return nil, false
}

// SCRAMServer runs the server side of one SCRAM-SHA-256 exchange for the
// user named at startup. PostgreSQL clients leave the SCRAM username
// empty, so the startup name is what counts.
type SCRAMServer struct {
	conv *scram.ServerConversation
}

// NewSCRAM starts an exchange for user (who may not exist: the exchange
// then fails at the final step, like a wrong password).
func (s *Store) NewSCRAM(user string) (*SCRAMServer, error) {
	creds := fakeCredentials(s.secret, user)
	if u, ok := s.users[user]; ok {
		creds = u.scram
	}
	srv, err := scram.SHA256.NewServer(func(string) (scram.StoredCredentials, error) { return creds, nil })
	if err != nil {
		return nil, err
	}
	return &SCRAMServer{conv: srv.NewConversation()}, nil
}

// Step consumes one client message and returns the server's answer.
func (c *SCRAMServer) Step(msg string) (string, error) { return c.conv.Step(msg) }

// Valid reports whether the exchange completed and the proof was right.
func (c *SCRAMServer) Valid() bool { return c.conv.Done() && c.conv.Valid() }
