package authn

import (
	"crypto/sha1"
	"crypto/sha256"
	"crypto/subtle"
	"sync"
)

// mysqlCreds are the password-equivalent hashes MySQL's authentication
// plugins check against, held in memory only:
//   - native: SHA1(SHA1(password)), what mysql_native_password verifies;
//   - sha2:   SHA256(SHA256(password)), the caching_sha2_password fast-path
//     cache. For users configured with a SCRAM verifier it is empty until
//     the first full authentication proves the password, as in MySQL.
type mysqlCreds struct {
	native []byte
	mu     struct {
		sync.Mutex
		sha2 []byte
	}
}

func newMySQLCreds(password string) *mysqlCreds {
	c := &mysqlCreds{}
	if password == "" {
		return c
	}
	s1 := sha1.Sum([]byte(password))
	s2 := sha1.Sum(s1[:])
	c.native = s2[:]
	c.mu.sha2 = doubleSHA256([]byte(password))
	return c
}

func doubleSHA256(p []byte) []byte {
	a := sha256.Sum256(p)
	b := sha256.Sum256(a[:])
	return b[:]
}

func xorBytes(a, b []byte) []byte {
	out := make([]byte, len(a))
	for i := range a {
		out[i] = a[i] ^ b[i%len(b)]
	}
	return out
}

// HasMySQLNative reports whether mysql_native_password can verify the
// user (it needs the password, so not for verifier-only users).
func (u *User) HasMySQLNative() bool { return u != nil && len(u.my.native) > 0 }

// CheckMySQLNative checks a mysql_native_password scramble:
// reply = SHA1(pw) XOR SHA1(nonce || SHA1(SHA1(pw))).
func (u *User) CheckMySQLNative(nonce, reply []byte) bool {
	if !u.HasMySQLNative() || len(reply) != sha1.Size {
		return false
	}
	h := sha1.New()
	h.Write(nonce)
	h.Write(u.my.native)
	stage1 := xorBytes(reply, h.Sum(nil))
	got := sha1.Sum(stage1)
	return subtle.ConstantTimeCompare(got[:], u.my.native) == 1
}

// CheckMySQLSHA2Fast checks a caching_sha2_password fast-path scramble:
// reply = SHA256(pw) XOR SHA256(SHA256(SHA256(pw)) || nonce). It returns
// false when nothing is cached for the user (the client must then do
// full authentication) or the scramble does not match.
func (u *User) CheckMySQLSHA2Fast(nonce, reply []byte) bool {
	if u == nil || len(reply) != sha256.Size {
		return false
	}
	u.my.mu.Lock()
	cached := u.my.mu.sha2
	u.my.mu.Unlock()
	if cached == nil {
		return false
	}
	h := sha256.New()
	h.Write(cached)
	h.Write(nonce)
	stage1 := xorBytes(reply, h.Sum(nil))
	got := sha256.Sum256(stage1)
	return subtle.ConstantTimeCompare(got[:], cached) == 1
}

// CheckPassword checks a cleartext password (caching_sha2_password full
// authentication, which travels over TLS or RSA-encrypted) against the
// user's SCRAM verifier; on success it fills the fast-path cache.
func (u *User) CheckPassword(password string) bool {
	if u == nil {
		return false
	}
	c, err := storedCredentials(password, []byte(u.scram.Salt), u.scram.Iters)
	if err != nil || subtle.ConstantTimeCompare(c.StoredKey, u.scram.StoredKey) != 1 {
		return false
	}
	u.my.mu.Lock()
	u.my.mu.sha2 = doubleSHA256([]byte(password))
	u.my.mu.Unlock()
	return true
}
