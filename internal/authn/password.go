package authn

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"strings"
	"sync"
	"time"
)

// passwordCache remembers recent successful password checks (by an HMAC
// of user and password under the store's secret), so HTTP clients sending
// Basic credentials on every request do not pay the SCRAM key derivation
// each time. It lives with the Store: a reload forgets it.
type passwordCache struct {
	mu   sync.Mutex
	seen map[[32]byte]struct{}
}

const passwordCacheSize = 4096

// CheckPassword checks a plaintext password (HTTP Basic, Flight SQL
// handshake) against the user's SCRAM verifier. Unknown users take the
// same time as wrong passwords.
func (s *Store) CheckPassword(name, password string) (*User, bool) {
	mac := hmac.New(sha256.New, s.secret)
	mac.Write([]byte(name))
	mac.Write([]byte{0})
	mac.Write([]byte(password))
	var key [32]byte
	copy(key[:], mac.Sum(nil))
	u, known := s.users[name]
	s.pw.mu.Lock()
	_, hit := s.pw.seen[key]
	s.pw.mu.Unlock()
	if hit && known {
		return u, true
	}
	creds := fakeCredentials(s.secret, name)
	if known {
		creds = u.scram
	}
	got, err := storedCredentials(password, []byte(creds.Salt), creds.Iters)
	if err != nil || subtle.ConstantTimeCompare(got.StoredKey, creds.StoredKey) != 1 || !known {
		return nil, false
	}
	s.pw.mu.Lock()
	if s.pw.seen == nil || len(s.pw.seen) >= passwordCacheSize {
		s.pw.seen = map[[32]byte]struct{}{}
	}
	s.pw.seen[key] = struct{}{}
	s.pw.mu.Unlock()
	return u, true
}

// Tokens issues and checks bearer tokens for gateway users: the user's
// name and an expiry, signed with HMAC-SHA-256 under a key made when the
// gateway starts (tokens do not outlive the process). The signature also
// covers the user's credential tag (User.CredentialTag), so a token dies
// when its user's password changes or the user goes, not only at expiry.
type Tokens struct {
	key []byte
	now func() time.Time
}

// NewTokens makes a token issuer with a fresh random key; now is the
// clock (nil: time.Now).
func NewTokens(now func() time.Time) (*Tokens, error) {
	k := make([]byte, 32)
	if _, err := rand.Read(k); err != nil {
		return nil, err
	}
	if now == nil {
		now = time.Now
	}
	return &Tokens{key: k, now: now}, nil
}

// ErrBadToken is a token that is malformed, forged or expired.
var ErrBadToken = errors.New("invalid or expired token")

// Issue returns a token for user, whose credential tag is tag, valid for
// ttl, and its expiry.
func (t *Tokens) Issue(user string, tag []byte, ttl time.Duration) (string, time.Time) {
	exp := t.now().Add(ttl).Truncate(time.Second)
	body := make([]byte, 8, 8+len(user))
	binary.BigEndian.PutUint64(body, uint64(exp.Unix()))
	body = append(body, user...)
	mac := hmac.New(sha256.New, t.key)
	mac.Write(body)
	mac.Write(tag)
	enc := base64.RawURLEncoding
	return "floe." + enc.EncodeToString(body) + "." + enc.EncodeToString(mac.Sum(nil)), exp
}

// Verify returns the user a valid token names; tagOf gives the credential
// tag of a user in force now (false: no such user).
func (t *Tokens) Verify(tok string, tagOf func(user string) ([]byte, bool)) (string, error) {
	rest, ok := strings.CutPrefix(tok, "floe.")
	if !ok {
		return "", ErrBadToken
	}
	b64, sig64, ok := strings.Cut(rest, ".")
	if !ok {
		return "", ErrBadToken
	}
	enc := base64.RawURLEncoding
	body, err1 := enc.DecodeString(b64)
	sig, err2 := enc.DecodeString(sig64)
	if err1 != nil || err2 != nil || len(body) < 8 {
		return "", ErrBadToken
	}
	tag, ok := tagOf(string(body[8:]))
	if !ok {
		return "", ErrBadToken
	}
	mac := hmac.New(sha256.New, t.key)
	mac.Write(body)
	mac.Write(tag)
	if !hmac.Equal(sig, mac.Sum(nil)) {
		return "", ErrBadToken
	}
	if t.now().Unix() >= int64(binary.BigEndian.Uint64(body)) {
		return "", ErrBadToken
	}
	return string(body[8:]), nil
}
