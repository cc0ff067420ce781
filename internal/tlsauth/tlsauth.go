package tlsauth

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"sync/atomic"
	"time"

	"github.com/floe-db/floe/internal/config"
)

// Reasons a client certificate is refused (Rejection.Reason).
const (
	ReasonUnknownCA   = "unknown_ca"
	ReasonExpired     = "expired"
	ReasonNotYetValid = "not_yet_valid"
	ReasonRevoked     = "revoked"
	ReasonWrongUsage  = "wrong_usage"
	ReasonInvalid     = "invalid"
)

// Rejection is a client certificate refused during a TLS handshake.
type Rejection struct {
	Listener string // postgres, mysql, http, flightsql
	Client   net.Addr
	Reason   string // one of the Reason constants
	Subject  string // the certificate's subject, RFC 2253 form
	Err      error
}

// Options configures a Manager.
type Options struct {
	// OnReject is told of every refused client certificate. It must not
	// block.
	OnReject func(Rejection)
	// Log receives CRL refresh problems.
	Log *slog.Logger
	// Now is the clock (time.Now when nil).
	Now func() time.Time
}

// Manager holds the TLS settings in force for every listener.
type Manager struct {
	opts Options
	cur  atomic.Pointer[settings]
}

// settings are the TLS settings of one configuration load.
type settings struct {
	cert  tls.Certificate
	roots *x509.CertPool // nil: no client_ca
	crl   *crlCache      // nil: no CRL
	modes map[string]tls.ClientAuthType
	// curves are tls.groups (nil: crypto/tls's default).
	curves []tls.CurveID
}

// New returns a Manager with no settings (Load them).
func New(opts Options) *Manager {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	return &Manager{opts: opts}
}

// Load reads the certificate, key, client CAs and CRLs of t and puts them
// in force for the handshakes that start after it returns. On error the
// settings in force stay.
func (m *Manager) Load(t *config.TLS) error {
	commit, err := m.Prepare(t)
	if err != nil {
		return err
	}
	commit()
	return nil
}

// Prepare reads t as Load does; commit puts it in force (a reload
// commits once nothing else can fail).
func (m *Manager) Prepare(t *config.TLS) (commit func(), err error) {
	st, err := m.build(t)
	if err != nil {
		return nil, err
	}
	return func() { m.cur.Store(st) }, nil
}

func (m *Manager) build(t *config.TLS) (*settings, error) {
	cert, err := tls.LoadX509KeyPair(t.Cert, t.Key)
	if err != nil {
		return nil, fmt.Errorf("tls: %w", err)
	}
	st := &settings{cert: cert, modes: map[string]tls.ClientAuthType{}, curves: t.CurveIDs()}
	var cas []*x509.Certificate
	if t.ClientCA != "" {
		if cas, err = config.ReadCertificates(t.ClientCA); err != nil {
			return nil, fmt.Errorf("tls.client_ca: %w", err)
		}
		st.roots = x509.NewCertPool()
		for _, c := range cas {
			st.roots.AddCert(c)
		}
	}
	if len(t.CRL) > 0 {
		interval := t.CRLCheckInterval
		if interval <= 0 {
			interval = config.DefaultCRLCheckInterval
		}
		if st.crl, err = newCRLCache(t.CRL, cas, interval, m.opts.Now, m.opts.Log); err != nil {
			return nil, fmt.Errorf("tls.crl: %w", err)
		}
	}
	for _, l := range []string{"postgres", "mysql", "http", "flightsql"} {
		switch t.ClientAuthFor(l) {
		case config.ClientAuthOptional:
			st.modes[l] = tls.VerifyClientCertIfGiven
		case config.ClientAuthRequire:
			st.modes[l] = tls.RequireAndVerifyClientCert
		default:
			st.modes[l] = tls.NoClientCert
		}
		if st.modes[l] != tls.NoClientCert && st.roots == nil {
			return nil, fmt.Errorf("tls: client certificates on %s need tls.client_ca", l)
		}
	}
	return st, nil
}

// Config returns the server tls.Config of a listener (postgres, mysql,
// http, flightsql), offering nextProtos in ALPN. Each handshake uses the
// settings in force when it starts.
func (m *Manager) Config(listener string, nextProtos ...string) *tls.Config {
	base := &tls.Config{MinVersion: tls.VersionTLS12, NextProtos: nextProtos}
	if st := m.cur.Load(); st != nil {
		// Some servers (net/http) look for a certificate here.
		base.Certificates = []tls.Certificate{st.cert}
		base.CurvePreferences = st.curves
	}
	base.GetConfigForClient = func(hello *tls.ClientHelloInfo) (*tls.Config, error) {
		st := m.cur.Load()
		if st == nil {
			return nil, errors.New("tls: no certificate loaded")
		}
		// TLS 1.3 stays allowed (the post-quantum key exchanges need it);
		// curves nil is crypto/tls's default, X25519MLKEM768 first.
		c := &tls.Config{MinVersion: tls.VersionTLS12, NextProtos: nextProtos, Certificates: []tls.Certificate{st.cert},
			ClientAuth: st.modes[listener], Time: m.opts.Now, CurvePreferences: st.curves}
		if c.ClientAuth == tls.NoClientCert {
			return c, nil
		}
		var client net.Addr
		if hello.Conn != nil {
			client = hello.Conn.RemoteAddr()
		}
		// crypto/tls verifies the chain to the client CAs, the validity
		// period and the client-auth key usage, ending a failed handshake
		// with the alert that says why (unknown_ca, certificate_expired,
		// bad_certificate); the front end reports that failure (Failed).
		// VerifyConnection, called on resumed sessions too, checks the
		// chain again with the CRLs.
		c.ClientCAs = st.roots
		c.VerifyConnection = func(cs tls.ConnectionState) error {
			return m.verify(st, listener, client, cs.PeerCertificates)
		}
		return c, nil
	}
	return base
}

// verify checks a client's certificate chain; no certificate passes
// (client_auth require makes crypto/tls refuse that itself).
func (m *Manager) verify(st *settings, listener string, client net.Addr, certs []*x509.Certificate) error {
	if len(certs) == 0 {
		return nil
	}
	leaf := certs[0]
	reason, err := st.check(certs, m.opts.Now())
	if err == nil {
		return nil
	}
	if m.opts.OnReject != nil {
		m.opts.OnReject(Rejection{Listener: listener, Client: client, Reason: reason, Subject: leaf.Subject.String(), Err: err})
	}
	return err
}

// Failed reports a TLS handshake that failed on a listener because
// crypto/tls refused the client's certificate (any other handshake error
// is not reported). Front ends call it with the error of Handshake.
func (m *Manager) Failed(listener string, client net.Addr, err error) {
	var ve *tls.CertificateVerificationError
	if m.opts.OnReject == nil || !errors.As(err, &ve) || len(ve.UnverifiedCertificates) == 0 {
		return
	}
	leaf := ve.UnverifiedCertificates[0]
	m.opts.OnReject(Rejection{Listener: listener, Client: client, Reason: reasonOf(ve.Err), Subject: leaf.Subject.String(), Err: err})
}

// reasonOf names why x509 verification failed.
func reasonOf(err error) string {
	var ua x509.UnknownAuthorityError
	var ci x509.CertificateInvalidError
	switch {
	case errors.As(err, &ua):
		return ReasonUnknownCA
	case errors.As(err, &ci) && ci.Reason == x509.Expired:
		if strings.Contains(ci.Detail, "is before") {
			return ReasonNotYetValid
		}
		return ReasonExpired
	case errors.As(err, &ci) && ci.Reason == x509.IncompatibleUsage:
		return ReasonWrongUsage
	}
	return ReasonInvalid
}

// check verifies a chain at time now and names the reason of a refusal.
func (st *settings) check(certs []*x509.Certificate, now time.Time) (string, error) {
	leaf := certs[0]
	switch {
	case now.Before(leaf.NotBefore):
		return ReasonNotYetValid, fmt.Errorf("tls: client certificate %q is not valid before %s", leaf.Subject, leaf.NotBefore.UTC().Format(time.RFC3339))
	case now.After(leaf.NotAfter):
		return ReasonExpired, fmt.Errorf("tls: client certificate %q expired at %s", leaf.Subject, leaf.NotAfter.UTC().Format(time.RFC3339))
	}
	opts := x509.VerifyOptions{Roots: st.roots, Intermediates: x509.NewCertPool(), CurrentTime: now,
		KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}
	for _, c := range certs[1:] {
		opts.Intermediates.AddCert(c)
	}
	chains, err := leaf.Verify(opts)
	if err != nil {
		var ua x509.UnknownAuthorityError
		var ci x509.CertificateInvalidError
		switch {
		case errors.As(err, &ua):
			return ReasonUnknownCA, fmt.Errorf("tls: client certificate %q is not signed by a CA of tls.client_ca", leaf.Subject)
		case errors.As(err, &ci) && ci.Reason == x509.Expired:
			return ReasonExpired, fmt.Errorf("tls: client certificate chain of %q: %w", leaf.Subject, err)
		case errors.As(err, &ci) && ci.Reason == x509.IncompatibleUsage:
			return ReasonWrongUsage, fmt.Errorf("tls: client certificate %q is not for client authentication", leaf.Subject)
		}
		return ReasonInvalid, fmt.Errorf("tls: client certificate %q: %w", leaf.Subject, err)
	}
	if st.crl != nil {
		for _, chain := range chains {
			if c := st.crl.revoked(chain); c != nil {
				return ReasonRevoked, fmt.Errorf("tls: client certificate %q is revoked (serial %s)", c.Subject, c.SerialNumber)
			}
		}
	}
	return "", nil
}

// Recheck verifies again, with the settings and revocation lists in
// force now, a client certificate chain that a handshake verified
// earlier: a connection that lives on (HTTP keep-alive, a gRPC channel)
// must not outlast its certificate's revocation or expiry. No chain
// passes, and so does any chain when no client CA is configured any more
// (no user can then be bound to a certificate).
func (m *Manager) Recheck(certs []*x509.Certificate) error {
	_, err := m.RecheckReason(certs)
	return err
}

// RecheckReason is Recheck that also names why a chain no longer passes
// (one of the Reason constants).
func (m *Manager) RecheckReason(certs []*x509.Certificate) (string, error) {
	st := m.cur.Load()
	if len(certs) == 0 || st == nil || st.roots == nil {
		return "", nil
	}
	return st.check(certs, m.opts.Now())
}

// PeerCertificate returns the verified client certificate of a TLS
// connection state (nil: none).
func PeerCertificate(cs *tls.ConnectionState) *x509.Certificate {
	if cs == nil || len(cs.PeerCertificates) == 0 {
		return nil
	}
	return cs.PeerCertificates[0]
}
