package tlsauth

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/floe-db/floe/internal/authn"
	"github.com/floe-db/floe/internal/config"
	"github.com/floe-db/floe/internal/tlsauth/certtest"
)

type fixture struct {
	dir       string
	ca, other *certtest.CA
	tls       *config.TLS
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	f := &fixture{dir: t.TempDir(), ca: certtest.NewCA(t, "test CA"), other: certtest.NewCA(t, "test CA")}
	srvCert, srvKey := f.ca.Issue(t, certtest.Options{CN: "server", Server: true}).Write(t, f.dir, "server")
	ca := filepath.Join(f.dir, "ca.crt")
	certtest.WriteFile(t, ca, f.ca.PEM)
	crl := filepath.Join(f.dir, "ca.crl")
	certtest.WriteFile(t, crl, f.ca.CRL(t, 1))
	f.tls = &config.TLS{Cert: srvCert, Key: srvKey, ClientCerts: config.ClientCerts{ClientCA: ca, CRL: config.Files{crl}}}
	return f
}

// clock is a settable clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func TestCheck(t *testing.T) {
	f := newFixture(t)
	revoked := f.ca.Issue(t, certtest.Options{CN: "revoked"})
	certtest.WriteFile(t, f.tls.CRL[0], f.ca.CRL(t, 2, revoked.Cert))
	m := New(Options{})
	if err := m.Load(f.tls); err != nil {
		t.Fatal(err)
	}
	st := m.cur.Load()
	past := time.Now().Add(-72 * time.Hour)
	for _, c := range []struct {
		name   string
		leaf   *certtest.Leaf
		reason string
	}{
		{"good", f.ca.Issue(t, certtest.Options{CN: "good"}), ""},
		{"other CA", f.other.Issue(t, certtest.Options{CN: "good"}), ReasonUnknownCA},
		{"expired", f.ca.Issue(t, certtest.Options{CN: "old", NotBefore: past, NotAfter: past.Add(time.Hour)}), ReasonExpired},
		{"not yet valid", f.ca.Issue(t, certtest.Options{CN: "new", NotBefore: time.Now().Add(time.Hour), NotAfter: time.Now().Add(2 * time.Hour)}), ReasonNotYetValid},
		{"server usage", f.ca.Issue(t, certtest.Options{CN: "srv", Usage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}), ReasonWrongUsage},
		{"revoked", revoked, ReasonRevoked},
	} {
		reason, err := st.check([]*x509.Certificate{c.leaf.Cert}, time.Now())
		if reason != c.reason || (err == nil) != (c.reason == "") {
			t.Errorf("%s: reason %q (%v), want %q", c.name, reason, err, c.reason)
		}
	}
}

// TestCRLRefresh: a rewritten CRL is read at the first check after the
// interval, not before; a broken rewrite keeps the lists read before.
func TestCRLRefresh(t *testing.T) {
	f := newFixture(t)
	f.tls.CRLCheckInterval = 5 * time.Second
	clk := &clock{t: time.Now()}
	m := New(Options{Now: clk.now})
	if err := m.Load(f.tls); err != nil {
		t.Fatal(err)
	}
	leaf := f.ca.Issue(t, certtest.Options{CN: "x"})
	chain := []*x509.Certificate{leaf.Cert}
	check := func() string {
		r, _ := m.cur.Load().check(chain, clk.now())
		return r
	}
	if r := check(); r != "" {
		t.Fatalf("before revocation: %s", r)
	}
	certtest.WriteFile(t, f.tls.CRL[0], f.ca.CRL(t, 2, leaf.Cert))
	later := time.Now().Add(time.Minute)
	if err := os.Chtimes(f.tls.CRL[0], later, later); err != nil {
		t.Fatal(err)
	}
	clk.add(time.Second)
	if r := check(); r != "" {
		t.Errorf("read again within the interval: %s", r)
	}
	clk.add(5 * time.Second)
	if r := check(); r != ReasonRevoked {
		t.Errorf("after the interval: %q, want revoked", r)
	}
	// A broken file keeps the lists read before.
	certtest.WriteFile(t, f.tls.CRL[0], []byte("-----BEGIN X509 CRL-----\ngarbage\n"))
	clk.add(10 * time.Second)
	if r := check(); r != ReasonRevoked {
		t.Errorf("broken CRL: %q, want revoked (lists kept)", r)
	}
	// A list signed by another CA is refused at load.
	certtest.WriteFile(t, f.tls.CRL[0], f.other.CRL(t, 3))
	if err := m.Load(f.tls); err == nil || !strings.Contains(err.Error(), "not signed") {
		t.Errorf("foreign CRL: %v", err)
	}
}

func TestGlob(t *testing.T) {
	for _, c := range []struct {
		p, s string
		ok   bool
	}{
		{"*", "", true}, {"*", "anything, at/all", true}, {"CN=svc,*", "CN=svc,O=Acme", true},
		{"CN=svc", "CN=svc,O=Acme", false}, {"CN=sv?", "CN=svc", true}, {"CN=sv?", "CN=sv", false},
		{"*@example.com", "a@example.com", true}, {"*@example.com", "a@example.com.evil", false},
		{"spiffe://acme/*", "spiffe://acme/ns/a", true}, {"a*b*c", "abxbc", true}, {"a*b*c", "acb", false},
	} {
		if got := Glob(c.p, c.s); got != c.ok {
			t.Errorf("Glob(%q, %q) = %v", c.p, c.s, got)
		}
	}
}

func TestMatchesDecideIdentify(t *testing.T) {
	ca := certtest.NewCA(t, "ca")
	svc := ca.Issue(t, certtest.Options{CN: "svc", O: "Acme"}).Cert
	web := ca.Issue(t, certtest.Options{CN: "web", DNS: []string{"web.acme.internal"}, URIs: []string{"spiffe://acme/web"}}).Cert
	mail := ca.Issue(t, certtest.Options{CN: "someone", Emails: []string{"Ann@Acme.com"}}).Cert
	store, err := authn.NewStore([]authn.Spec{
		{Name: "svc", Auth: config.AuthCertificate, Certificate: &config.CertBinding{Subjects: []string{"CN=svc,O=Acme"}}},
		{Name: "web", Auth: config.AuthCertificate, Certificate: &config.CertBinding{SANs: []string{"*.acme.internal"}}},
		{Name: "ann", Password: "pw", Auth: config.AuthCertificatePassword, Certificate: &config.CertBinding{SANs: []string{"ann@acme.com"}}},
		{Name: "someone", Auth: config.AuthCertificate}, // common name
		{Name: "pat", Password: "pw"},
	})
	if err != nil {
		t.Fatal(err)
	}
	user := func(n string) *authn.User { u, _ := store.Lookup(n); return u }
	for _, c := range []struct {
		user string
		cert *x509.Certificate
		want Decision
		err  error
	}{
		{"svc", svc, Certificate, nil},
		{"svc", web, 0, ErrCertificateMismatch},
		{"svc", nil, 0, ErrCertificateRequired},
		{"web", web, Certificate, nil},
		{"ann", mail, Password, nil},
		{"ann", svc, 0, ErrCertificateMismatch},
		{"ann", nil, 0, ErrCertificateRequired},
		{"someone", mail, Certificate, nil},
		{"someone", svc, 0, ErrCertificateMismatch},
		{"pat", nil, Password, nil},
		{"pat", svc, Password, nil},
		{"nobody", svc, Password, nil},
	} {
		d, err := Decide(user(c.user), c.cert)
		if !errors.Is(err, c.err) || err == nil && d != c.want {
			t.Errorf("%s with %s: %v, %v; want %v, %v", c.user, Subject(c.cert), d, err, c.want, c.err)
		}
	}
	// A certificate-only user's password is none the client can know.
	if _, ok := store.CheckPassword("svc", ""); ok {
		t.Error("a certificate-only user logs in with an empty password")
	}
	for cert, want := range map[*x509.Certificate]string{svc: "svc", web: "web", mail: "someone"} {
		if u, err := Identify(store, cert); err != nil || u.Name != want {
			t.Errorf("Identify(%s) = %v, %v; want %s", Subject(cert), u, err, want)
		}
	}
	if _, err := Identify(store, ca.Issue(t, certtest.Options{CN: "pat"}).Cert); !errors.Is(err, ErrNoCertificateUser) {
		t.Errorf("Identify of a password user's name: %v", err)
	}
}

// TestHandshake runs real handshakes: a good certificate passes and is
// the peer certificate; refused ones end the handshake and are reported
// with reason and subject; require refuses clients without one.
func TestHandshake(t *testing.T) {
	f := newFixture(t)
	f.tls.Listeners = map[string]config.TLSListener{"http": {ClientAuth: config.ClientAuthRequire}}
	var mu sync.Mutex
	var rejected []Rejection
	m := New(Options{OnReject: func(r Rejection) { mu.Lock(); rejected = append(rejected, r); mu.Unlock() }})
	if err := m.Load(f.tls); err != nil {
		t.Fatal(err)
	}
	good := f.ca.Issue(t, certtest.Options{CN: "good"})
	bad := f.other.Issue(t, certtest.Options{CN: "bad", O: "Evil"})
	handshake := func(listener string, leaf *certtest.Leaf) (*x509.Certificate, error, error) {
		cc, sc := net.Pipe()
		defer cc.Close()
		defer sc.Close()
		ccfg := &tls.Config{RootCAs: certtest.Pool(f.ca), ServerName: "localhost"}
		if leaf != nil {
			ccfg.Certificates = []tls.Certificate{leaf.TLS(t)}
		}
		srv := tls.Server(sc, m.Config(listener))
		done := make(chan error, 1)
		go func() {
			err := srv.Handshake()
			if err != nil {
				sc.Close()
			}
			done <- err
		}()
		cl := tls.Client(cc, ccfg)
		cerr := cl.Handshake()
		if cerr == nil {
			// TLS 1.3: the client learns of a refusal on its first read.
			_ = cl.SetReadDeadline(time.Now().Add(5 * time.Second))
			go func() { _, _ = srv.Write([]byte{1}) }()
			_, cerr = cl.Read(make([]byte, 1))
		}
		serr := <-done
		if serr != nil {
			m.Failed(listener, sc.RemoteAddr(), serr)
		}
		cs := srv.ConnectionState()
		return PeerCertificate(&cs), serr, cerr
	}
	if peer, serr, cerr := handshake("postgres", good); serr != nil || cerr != nil || peer == nil || peer.Subject.CommonName != "good" {
		t.Errorf("good certificate: peer %v, server %v, client %v", peer, serr, cerr)
	}
	if peer, serr, cerr := handshake("postgres", nil); serr != nil || cerr != nil || peer != nil {
		t.Errorf("optional, no certificate: peer %v, server %v, client %v", peer, serr, cerr)
	}
	if _, serr, cerr := handshake("postgres", bad); serr == nil || cerr == nil || !strings.Contains(cerr.Error(), "unknown certificate authority") {
		t.Errorf("other CA: server %v, client %v", serr, cerr)
	}
	past := time.Now().Add(-72 * time.Hour)
	expired := f.ca.Issue(t, certtest.Options{CN: "old", NotBefore: past, NotAfter: past.Add(time.Hour)})
	if _, serr, cerr := handshake("postgres", expired); serr == nil || cerr == nil || !strings.Contains(cerr.Error(), "expired certificate") {
		t.Errorf("expired: server %v, client %v", serr, cerr)
	}
	// Revoked: the CRL check in VerifyConnection (read again at once:
	// the interval is the default, the clock real, so rewrite the
	// settings by loading them again).
	revoked := f.ca.Issue(t, certtest.Options{CN: "gone"})
	certtest.WriteFile(t, f.tls.CRL[0], f.ca.CRL(t, 2, revoked.Cert))
	if err := m.Load(f.tls); err != nil {
		t.Fatal(err)
	}
	if _, serr, cerr := handshake("postgres", revoked); serr == nil || cerr == nil || !strings.Contains(cerr.Error(), "bad certificate") {
		t.Errorf("revoked: server %v, client %v", serr, cerr)
	}
	if _, serr, _ := handshake("http", nil); serr == nil {
		t.Error("require without a certificate: accepted")
	}
	mu.Lock()
	defer mu.Unlock()
	var got []string
	for _, r := range rejected {
		got = append(got, r.Listener+" "+r.Reason+" "+r.Subject)
	}
	want := []string{"postgres unknown_ca CN=bad,O=Evil", "postgres expired CN=old", "postgres revoked CN=gone"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("rejections: %q, want %q", got, want)
	}
}

// TestRecheck: a chain verified at a handshake is refused later once the
// revocation lists in force name it.
func TestRecheck(t *testing.T) {
	f := newFixture(t)
	m := New(Options{})
	if err := m.Recheck(nil); err != nil {
		t.Fatalf("nothing loaded: %v", err)
	}
	if err := m.Load(f.tls); err != nil {
		t.Fatal(err)
	}
	leaf := f.ca.Issue(t, certtest.Options{CN: "x"})
	chain := []*x509.Certificate{leaf.Cert}
	for _, tc := range []struct {
		name   string
		chain  []*x509.Certificate
		revoke bool
		ok     bool
	}{
		{"no certificate", nil, false, true},
		{"valid", chain, false, true},
		{"other CA", []*x509.Certificate{f.other.Issue(t, certtest.Options{CN: "x"}).Cert}, false, false},
		{"revoked since", chain, true, false},
	} {
		if tc.revoke {
			certtest.WriteFile(t, f.tls.CRL[0], f.ca.CRL(t, 2, leaf.Cert))
			if err := m.Load(f.tls); err != nil {
				t.Fatal(err)
			}
		}
		if err := m.Recheck(tc.chain); (err == nil) != tc.ok {
			t.Errorf("%s: %v, want ok %v", tc.name, err, tc.ok)
		}
	}
}

// TestMatchesSubjectSpoof: a common name written to read like a subject
// (escaped in the RFC 2253 form) does not match a subject pattern meant
// for another organisation, and a subject pattern is not tried against
// the bare common name; legitimate subjects and common-name patterns
// still match.
func TestMatchesSubjectSpoof(t *testing.T) {
	ca := certtest.NewCA(t, "CA")
	for _, c := range []struct {
		name     string
		cn, o    string
		patterns []string
		ok       bool
	}{
		{"legitimate", "svc-x", "Acme", []string{"CN=svc-*,O=Acme"}, true},
		{"escaped comma in CN", "svc-x,O=Acme", "Evil", []string{"CN=svc-*,O=Acme"}, false},
		{"escaped comma, trailing star", "svc-x,O=Acme", "Evil", []string{"CN=svc-*,O=Acme*"}, false},
		{"plus in CN", "svc-x+O=Acme", "Evil", []string{"CN=svc-*"}, false},
		{"subject pattern vs bare CN", "CN=svc-x,O=Acme", "", []string{"CN=svc-*,O=Acme"}, false},
		{"CN pattern", "svc-x", "Evil", []string{"svc-*"}, true},
		{"question mark cannot eat a separator", "svc,O=Acme", "Evil", []string{"CN=svc?O=Acme*"}, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			leaf := ca.Issue(t, certtest.Options{CN: c.cn, O: c.o})
			b := &config.CertBinding{Subjects: c.patterns}
			if got := Matches(b, "svc", leaf.Cert); got != c.ok {
				t.Fatalf("subject %q, patterns %q: matched %v, want %v", leaf.Cert.Subject.String(), c.patterns, got, c.ok)
			}
		})
	}
}
