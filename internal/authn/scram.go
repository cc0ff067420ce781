package authn

import (
	"crypto/hmac"
	"crypto/md5"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/xdg-go/scram"
)

// DefaultIterations is the PBKDF2 iteration count of new verifiers, as in
// PostgreSQL's scram_iterations default.
const DefaultIterations = 4096

// NewVerifier returns a SCRAM-SHA-256 verifier for password in the form
// PostgreSQL stores in pg_authid:
// SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>.
func NewVerifier(password string, iterations int) (string, error) {
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	return verifierWithSalt(password, salt, iterations)
}

func verifierWithSalt(password string, salt []byte, iterations int) (string, error) {
	creds, err := storedCredentials(password, salt, iterations)
	if err != nil {
		return "", err
	}
	return FormatVerifier(creds), nil
}

// FormatVerifier renders credentials in PostgreSQL's verifier syntax.
func FormatVerifier(c scram.StoredCredentials) string {
	b64 := base64.StdEncoding.EncodeToString
	return fmt.Sprintf("SCRAM-SHA-256$%d:%s$%s:%s", c.Iters, b64([]byte(c.Salt)), b64(c.StoredKey), b64(c.ServerKey))
}

func storedCredentials(password string, salt []byte, iterations int) (scram.StoredCredentials, error) {
	if iterations < 1 {
		return scram.StoredCredentials{}, errors.New("iterations must be positive")
	}
	// PostgreSQL applies SASLprep and falls back to the raw bytes when the
	// password is not valid for it; do the same so verifiers match.
	c, err := scram.SHA256.NewClient("", password, "")
	if err != nil {
		c, err = scram.SHA256.NewClientUnprepped("", password, "")
		if err != nil {
			return scram.StoredCredentials{}, err
		}
	}
	return c.GetStoredCredentials(scram.KeyFactors{Salt: string(salt), Iters: iterations}), nil
}

// ErrBadVerifier reports a verifier string that does not parse.
var ErrBadVerifier = errors.New("malformed SCRAM-SHA-256 verifier")

// ParseVerifier parses PostgreSQL's verifier syntax.
func ParseVerifier(v string) (scram.StoredCredentials, error) {
	var c scram.StoredCredentials
	rest, ok := strings.CutPrefix(v, "SCRAM-SHA-256$")
	if !ok {
		return c, ErrBadVerifier
	}
	params, keys, ok := strings.Cut(rest, "$")
	if !ok {
		return c, ErrBadVerifier
	}
	iterS, saltS, ok1 := strings.Cut(params, ":")
	storedS, serverS, ok2 := strings.Cut(keys, ":")
	if !ok1 || !ok2 {
		return c, ErrBadVerifier
	}
	iters, err := strconv.Atoi(iterS)
	if err != nil || iters < 1 {
		return c, ErrBadVerifier
	}
	dec := base64.StdEncoding.DecodeString
	salt, err1 := dec(saltS)
	stored, err2 := dec(storedS)
	server, err3 := dec(serverS)
	if err1 != nil || err2 != nil || err3 != nil || len(salt) == 0 || len(stored) != sha256.Size || len(server) != sha256.Size {
		return c, ErrBadVerifier
	}
	c.Salt, c.Iters, c.StoredKey, c.ServerKey = string(salt), iters, stored, server
	return c, nil
}

// MD5Hash returns PostgreSQL's stored md5 form: "md5" + md5(password || user).
func MD5Hash(user, password string) string {
	sum := md5.Sum([]byte(password + user))
	return "md5" + hex.EncodeToString(sum[:])
}

// CheckMD5 checks a client's md5 PasswordMessage response against the
// stored hash and the 4-byte salt sent in AuthenticationMD5Password.
func CheckMD5(stored string, salt [4]byte, response string) bool {
	inner := strings.TrimPrefix(stored, "md5")
	sum := md5.Sum(append([]byte(inner), salt[:]...))
	want := "md5" + hex.EncodeToString(sum[:])
	return subtle.ConstantTimeCompare([]byte(want), []byte(response)) == 1
}

// fakeCredentials derives stable, secret-dependent credentials for a user
// that does not exist, so that the exchange looks like any other failure.
func fakeCredentials(secret []byte, user string) scram.StoredCredentials {
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte("salt:" + user))
	salt := mac.Sum(nil)[:16]
	mac.Reset()
	mac.Write([]byte("key:" + user))
	key := mac.Sum(nil)
	return scram.StoredCredentials{
		KeyFactors: scram.KeyFactors{Salt: string(salt), Iters: DefaultIterations},
		StoredKey:  key,
		ServerKey:  key,
	}
}
