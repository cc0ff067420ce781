package tlsauth

import (
	"crypto/x509"
	"errors"
	"fmt"
	"strings"

	"github.com/floe-db/floe/internal/authn"
	"github.com/floe-db/floe/internal/config"
)

// Errors of Decide and Identify.
var (
	// ErrCertificateRequired: the user must present a client certificate.
	ErrCertificateRequired = errors.New("a client certificate is required")
	// ErrCertificateMismatch: the certificate is not bound to the user.
	ErrCertificateMismatch = errors.New("the client certificate does not match the user")
	// ErrNoCertificateUser: no certificate-only user matches, or several do.
	ErrNoCertificateUser = errors.New("no single certificate user matches the client certificate")
)

// Matches reports whether a verified certificate is bound to the user
// named user by b (nil or empty b: the common name is the user's name).
func Matches(b *config.CertBinding, user string, cert *x509.Certificate) bool {
	if cert == nil {
		return false
	}
	if b == nil || len(b.Subjects) == 0 && len(b.SANs) == 0 {
		return cert.Subject.CommonName == user
	}
	subject := cert.Subject.String()
	for _, p := range b.Subjects {
		// A pattern with an attribute (CN=…,O=…) is matched against the
		// whole subject only, its wildcards staying inside one attribute
		// value; one without, against the common name only. So a common
		// name chosen to read like a subject ("svc-x,O=Acme", escaped
		// as svc-x\,O=Acme) cannot match a pattern meant for another
		// organisation.
		if strings.Contains(p, "=") {
			if subjectGlob(p, subject) {
				return true
			}
		} else if cert.Subject.CommonName != "" && Glob(p, cert.Subject.CommonName) {
			return true
		}
	}
	for _, p := range b.SANs {
		for _, d := range cert.DNSNames {
			if Glob(strings.ToLower(p), strings.ToLower(d)) {
				return true
			}
		}
		for _, e := range cert.EmailAddresses {
			if Glob(strings.ToLower(p), strings.ToLower(e)) {
				return true
			}
		}
		for _, u := range cert.URIs {
			if Glob(p, u.String()) {
				return true
			}
		}
	}
	return false
}

// Decision is what a certificate means for a login.
type Decision int

const (
	// Password: the password exchange decides (the user has no
	// certificate requirement, or also needs a password).
	Password Decision = iota
	// Certificate: the certificate alone logs the user in.
	Certificate
)

// Decide is the certificate part of a login of u with the verified
// client certificate cert (nil: none): a certificate-only user is logged
// in by a matching certificate; a certificate+password user goes on to
// the password exchange with one; a user who needs a certificate is
// refused without one, or with one not bound to it. Password users go on
// to the password exchange whatever the connection presented. A nil u
// (unknown user) goes on to the exchange, which fails as for a wrong
// password.
func Decide(u *authn.User, cert *x509.Certificate) (Decision, error) {
	if u == nil || !u.NeedsCertificate() {
		return Password, nil
	}
	if cert == nil {
		return 0, fmt.Errorf("user %q: %w", u.Name, ErrCertificateRequired)
	}
	if !Matches(u.Certificate, u.Name, cert) {
		return 0, fmt.Errorf("user %q: %w", u.Name, ErrCertificateMismatch)
	}
	if u.CertificateOnly() {
		return Certificate, nil
	}
	return Password, nil
}

// Identify finds the certificate-only user a verified certificate stands
// for, when the client names no user (HTTP and Flight SQL requests
// without credentials). Exactly one must match.
func Identify(users *authn.Store, cert *x509.Certificate) (*authn.User, error) {
	if cert == nil {
		return nil, ErrCertificateRequired
	}
	var found *authn.User
	for _, u := range users.All() {
		if u.CertificateOnly() && Matches(u.Certificate, u.Name, cert) {
			if found != nil {
				return nil, fmt.Errorf("%w (%s and %s)", ErrNoCertificateUser, found.Name, u.Name)
			}
			found = u
		}
	}
	if found == nil {
		return nil, ErrNoCertificateUser
	}
	return found, nil
}

// Subject is the subject of a certificate for logs and audit ("" for nil).
func Subject(cert *x509.Certificate) string {
	if cert == nil {
		return ""
	}
	return cert.Subject.String()
}

// Glob matches s against a pattern where * stands for any run of
// characters (slashes and commas too) and ? for one character.
func Glob(pattern, s string) bool { return glob(pattern, s, nil) }

// subjectGlob is Glob over an RFC 2253 subject whose wildcards do not
// match the separators of attributes (',', '+') or the escapes ('\\')
// that let a value contain them: a literal in the pattern still does.
func subjectGlob(pattern, subject string) bool {
	return glob(pattern, subject, func(r rune) bool { return r == ',' || r == '+' || r == '\\' })
}

// glob is Glob whose wildcards do not match a character stop reports
// (nil: every character matches).
func glob(pattern, s string, stop func(rune) bool) bool {
	p, t := []rune(pattern), []rune(s)
	wild := func(r rune) bool { return stop == nil || !stop(r) }
	pi, ti, star, mark := 0, 0, -1, 0
	for ti < len(t) {
		switch {
		case pi < len(p) && p[pi] == '*':
			star, mark = pi, ti
			pi++
		case pi < len(p) && (p[pi] == t[ti] || p[pi] == '?' && wild(t[ti])):
			pi++
			ti++
		case star >= 0 && wild(t[mark]):
			pi = star + 1
			mark++
			ti = mark
		default:
			return false
		}
	}
	for pi < len(p) && p[pi] == '*' {
		pi++
	}
	return pi == len(p)
}
