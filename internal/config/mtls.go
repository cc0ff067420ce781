package config

import (
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"maps"
	"os"
	"slices"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// Client certificate authentication modes (tls.client_auth).
const (
	// ClientAuthNone asks no client for a certificate.
	ClientAuthNone = "none"
	// ClientAuthOptional asks for one and verifies it when given; a
	// client without one logs in as before (users whose auth needs a
	// certificate are then refused).
	ClientAuthOptional = "optional"
	// ClientAuthRequire refuses the TLS handshake of a client without a
	// valid certificate.
	ClientAuthRequire = "require"
)

// User authentication methods (users[].auth).
const (
	AuthPassword            = "password"
	AuthCertificate         = "certificate"
	AuthCertificatePassword = "certificate+password"
)

// DefaultCRLCheckInterval is how often, at most, handshakes look at the
// CRL files' modification times.
const DefaultCRLCheckInterval = 5 * time.Second

// Listener names under tls.listeners.
var tlsListeners = []string{"postgres", "mysql", "http", "flightsql"}

// ClientCerts configures client certificate (mutual TLS) authentication:
// the keys of tls: beside cert and key.
type ClientCerts struct {
	// ClientCA is a PEM file of the CA certificates client certificates
	// must chain to.
	ClientCA string `yaml:"client_ca"`
	// CRL lists certificate revocation lists (PEM or DER files), issued
	// by CAs of ClientCA. They are read again when a file changes.
	CRL Files `yaml:"crl"`
	// CRLCheckInterval: handshakes look at the CRL files' modification
	// times at most this often (default 5s).
	CRLCheckInterval time.Duration `yaml:"crl_check_interval"`
	// ClientAuth is none, optional or require; the default is optional
	// when ClientCA is set, none otherwise.
	ClientAuth string `yaml:"client_auth"`
	// Listeners override ClientAuth per listener: postgres, mysql, http,
	// flightsql.
	Listeners map[string]TLSListener `yaml:"listeners"`
}

// TLSListener holds one listener's client certificate settings.
type TLSListener struct {
	ClientAuth string `yaml:"client_auth"`
}

// ClientAuthFor is the client_auth mode of a listener, defaults applied.
func (c ClientCerts) ClientAuthFor(listener string) string {
	if l, ok := c.Listeners[listener]; ok && l.ClientAuth != "" {
		return l.ClientAuth
	}
	if c.ClientAuth != "" {
		return c.ClientAuth
	}
	if c.ClientCA != "" {
		return ClientAuthOptional
	}
	return ClientAuthNone
}

// Files is a list of file names; YAML may give a single name.
type Files []string

// UnmarshalYAML accepts a single file name.
func (f *Files) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		if n.Value != "" {
			*f = Files{n.Value}
		}
		return nil
	}
	var l []string
	if err := n.Decode(&l); err != nil {
		return err
	}
	*f = l
	return nil
}

// UserAuth is how a user proves who it is: the keys auth and certificate
// of users[].
type UserAuth struct {
	// Auth is password, certificate or certificate+password. Default:
	// password, or certificate+password when Certificate is set.
	Auth string `yaml:"auth" json:"auth,omitempty"`
	// Certificate binds client certificates to the user.
	Certificate *CertBinding `yaml:"certificate" json:"certificate,omitempty"`
}

// CertBinding says which client certificates stand for a user: one whose
// subject (RFC 2253 form, or its common name) matches a Subjects glob,
// or with a DNS, email or URI subject alternative name matching a SANs
// glob. With both lists empty, the certificate's common name must be
// the user's name (as PostgreSQL's cert method).
type CertBinding struct {
	Subjects []string `yaml:"subjects" json:"subjects,omitempty"`
	SANs     []string `yaml:"sans" json:"sans,omitempty"`
}

// AuthMethod is the user's authentication method, defaults applied.
func (u UserAuth) AuthMethod() string {
	switch {
	case u.Auth != "":
		return u.Auth
	case u.Certificate != nil:
		return AuthCertificatePassword
	}
	return AuthPassword
}

// CertificateOnly reports a user who logs in with a certificate alone.
func (u UserAuth) CertificateOnly() bool { return u.AuthMethod() == AuthCertificate }

// NeedsCertificate reports a user who must present a certificate.
func (u UserAuth) NeedsCertificate() bool { return u.AuthMethod() != AuthPassword }

// validateClientCerts checks the client certificate keys of tls:.
func validateClientCerts(v *checker, t *TLS) {
	modeOK := func(key, m string) {
		if m != "" && m != ClientAuthNone && m != ClientAuthOptional && m != ClientAuthRequire {
			v.bad(key, "%q: want none, optional or require", m)
		}
	}
	modeOK("tls.client_auth", t.ClientAuth)
	for _, name := range slices.Sorted(maps.Keys(t.Listeners)) {
		key := "tls.listeners." + name
		if !slices.Contains(tlsListeners, name) {
			v.bad(key, "unknown listener (known: %s)", strings.Join(tlsListeners, ", "))
			continue
		}
		modeOK(key+".client_auth", t.Listeners[name].ClientAuth)
	}
	if t.CRLCheckInterval < 0 {
		v.bad("tls.crl_check_interval", "must not be negative")
	}
	var cas []*x509.Certificate
	if t.ClientCA != "" {
		var err error
		if cas, err = ReadCertificates(t.ClientCA); err != nil {
			v.bad("tls.client_ca", "%v", err)
		}
	} else {
		if len(t.CRL) > 0 {
			v.bad("tls.crl", "needs tls.client_ca (the CAs that issue the lists)")
		}
		wants := func(m string) bool { return m == ClientAuthOptional || m == ClientAuthRequire }
		if wants(t.ClientAuth) {
			v.bad("tls.client_auth", "client certificates need tls.client_ca")
		}
		for _, name := range slices.Sorted(maps.Keys(t.Listeners)) {
			if wants(t.Listeners[name].ClientAuth) {
				v.bad("tls.listeners."+name+".client_auth", "client certificates need tls.client_ca")
			}
		}
	}
	for i, f := range t.CRL {
		if _, err := ReadCRLs(f, cas); err != nil {
			v.bad(fmt.Sprintf("tls.crl[%d]", i), "%v", err)
		}
	}
}

// validateUserAuth checks a user's auth and certificate keys.
func validateUserAuth(v *checker, key string, u User, t *TLS) {
	switch u.Auth {
	case "", AuthPassword, AuthCertificate, AuthCertificatePassword:
	default:
		v.bad(key+".auth", "%q: want password, certificate or certificate+password", u.Auth)
		return
	}
	if u.Auth == AuthPassword && u.Certificate != nil {
		v.bad(key+".certificate", "a certificate binding needs auth: certificate or certificate+password")
	}
	if u.CertificateOnly() && (u.Password != "" || u.SCRAM != "") {
		v.bad(key+".auth", "auth: certificate takes no password; use certificate+password for both")
	}
	if u.NeedsCertificate() && (t == nil || t.ClientCA == "") {
		v.bad(key+".auth", "certificate authentication needs tls.client_ca")
	}
	if c := u.Certificate; c != nil {
		for j, p := range c.Subjects {
			if p == "" {
				v.bad(fmt.Sprintf("%s.certificate.subjects[%d]", key, j), "empty pattern")
			}
		}
		for j, p := range c.SANs {
			if p == "" {
				v.bad(fmt.Sprintf("%s.certificate.sans[%d]", key, j), "empty pattern")
			}
		}
	}
}

// ReadCertificates reads the PEM certificates of a file (at least one).
func ReadCertificates(file string) ([]*x509.Certificate, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", file, unwrapPathErr(err))
	}
	var out []*x509.Certificate
	for {
		var b *pem.Block
		b, data = pem.Decode(data)
		if b == nil {
			break
		}
		if b.Type != "CERTIFICATE" {
			continue
		}
		c, err := x509.ParseCertificate(b.Bytes)
		if err != nil {
			return nil, fmt.Errorf("%s: %v", file, err)
		}
		out = append(out, c)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: no PEM certificate in the file", file)
	}
	return out, nil
}

// ReadCRLs reads the revocation lists of a file (PEM blocks "X509 CRL",
// or one DER list) and checks that each is signed by one of cas.
func ReadCRLs(file string, cas []*x509.Certificate) ([]*x509.RevocationList, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", file, unwrapPathErr(err))
	}
	return ParseCRLs(file, data, cas)
}

// ParseCRLs is ReadCRLs on the content of a file.
func ParseCRLs(file string, data []byte, cas []*x509.Certificate) ([]*x509.RevocationList, error) {
	var ders [][]byte
	if rest := data; strings.Contains(string(data), "-----BEGIN") {
		for {
			var b *pem.Block
			b, rest = pem.Decode(rest)
			if b == nil {
				break
			}
			if b.Type == "X509 CRL" {
				ders = append(ders, b.Bytes)
			}
		}
		if len(ders) == 0 {
			return nil, fmt.Errorf("%s: no PEM X509 CRL in the file", file)
		}
	} else {
		ders = [][]byte{data}
	}
	var out []*x509.RevocationList
	for _, der := range ders {
		l, err := x509.ParseRevocationList(der)
		if err != nil {
			return nil, fmt.Errorf("%s: %v", file, err)
		}
		signed := false
		for _, ca := range cas {
			if string(ca.RawSubject) == string(l.RawIssuer) && l.CheckSignatureFrom(ca) == nil {
				signed = true
				break
			}
		}
		if !signed {
			return nil, fmt.Errorf("%s: the list of %s is not signed by a CA of tls.client_ca", file, l.Issuer)
		}
		out = append(out, l)
	}
	return out, nil
}
