package app

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"

	"google.golang.org/grpc/credentials"

	"github.com/floe-db/floe/internal/audit"
	"github.com/floe-db/floe/internal/authn"
	"github.com/floe-db/floe/internal/policy"
	"github.com/floe-db/floe/internal/sqlerr"
	"github.com/floe-db/floe/internal/tlsauth"
	"github.com/floe-db/floe/internal/wire/activity"
	"github.com/floe-db/floe/internal/wire/mysqlwire"
	"github.com/floe-db/floe/internal/wire/pgwire"
)

// certRejected audits and logs a client certificate refused during a
// TLS handshake.
func (a *App) certRejected(r tlsauth.Rejection) {
	host := policy.HostOf(r.Client)
	a.metrics.AuthFailures.WithLabelValues(r.Listener, "certificate").Inc()
	a.log.Info("client certificate refused", "listener", r.Listener, "client", host, "reason", r.Reason, "subject", r.Subject)
	if p := a.policyNow(); p != nil {
		p.Audit(audit.Event{Type: "auth", Fields: map[string]any{"protocol": r.Listener, "client": host, "ok": false,
			"method": "certificate", "stage": "tls", "reason": r.Reason, "subject": r.Subject, "error": r.Err.Error()}})
	}
}

// tlsFailed reports a listener's failed TLS handshakes to the TLS
// manager, which audits refused client certificates.
func (a *App) tlsFailed(listener string) func(net.Addr, error) {
	return func(client net.Addr, err error) { a.tlsm.Failed(listener, client, err) }
}

// httpHandshakes watches the HTTP data API's new TLS connections: a
// goroutine runs the handshake net/http is about to run (tls.Conn
// serializes the two; both get its one result) to report its failure.
func (a *App) httpHandshakes(c net.Conn, s http.ConnState) {
	tc, ok := c.(*tls.Conn)
	if s != http.StateNew || !ok {
		return
	}
	go func() {
		if err := tc.Handshake(); err != nil {
			a.tlsm.Failed("http", c.RemoteAddr(), err)
		}
	}()
}

// reportingCreds reports failed gRPC TLS handshakes.
type reportingCreds struct {
	credentials.TransportCredentials
	failed func(net.Addr, error)
}

func (r reportingCreds) ServerHandshake(raw net.Conn) (net.Conn, credentials.AuthInfo, error) {
	c, info, err := r.TransportCredentials.ServerHandshake(raw)
	if err != nil {
		r.failed(raw.RemoteAddr(), err)
	}
	return c, info, err
}

func (r reportingCreds) Clone() credentials.TransportCredentials {
	return reportingCreds{TransportCredentials: r.TransportCredentials.Clone(), failed: r.failed}
}

// certAuth audits the certificate part of a login: refused (err), or
// accepted, alone (final) or with a password exchange to follow. A
// refusal counts toward the login lockout like a wrong password.
func (a *App) certAuth(protocol, user, db string, cert *x509.Certificate, client net.Addr, err error, final bool) {
	p := a.policyNow()
	if p == nil {
		return
	}
	host := policy.HostOf(client)
	if err != nil || final {
		p.LoginResult(user, host, err == nil)
	}
	f := map[string]any{"protocol": protocol, "user": user, "database": db, "client": host, "ok": err == nil,
		"method": "certificate", "subject": tlsauth.Subject(cert)}
	switch {
	case err != nil:
		f["error"] = err.Error()
		f["reason"] = certReason(err)
	case !final:
		f["next"] = "password"
	}
	p.Audit(audit.Event{Type: "auth", Fields: f})
}

// certReason names why a certificate did not log a user in.
func certReason(err error) string {
	switch {
	case errors.Is(err, tlsauth.ErrCertificateRequired):
		return "certificate_required"
	case errors.Is(err, tlsauth.ErrCertificateMismatch):
		return "certificate_mismatch"
	case errors.Is(err, tlsauth.ErrNoCertificateUser):
		return "no_certificate_user"
	}
	return "invalid"
}

// peerAuth is the certificate step of a PostgreSQL or MySQL login: the
// user it returns is logged in by its certificate; nil and no denial:
// the password exchange follows.
func (a *App) peerAuth(protocol, user, db string, cert *x509.Certificate, client net.Addr) (*authn.User, *policy.Denial) {
	u, known := a.Users().Lookup(user)
	if !known || !u.NeedsCertificate() {
		// Unknown users fail in the password exchange, as with a wrong
		// password, so that names cannot be probed.
		return nil, nil
	}
	d, err := tlsauth.Decide(u, cert)
	a.certAuth(protocol, user, db, cert, client, err, err == nil && d == tlsauth.Certificate)
	if err != nil {
		return nil, certDenial(protocol, user, client, err)
	}
	if d == tlsauth.Certificate {
		return u, nil
	}
	return nil, nil
}

// certDenial is the error a client refused by peerAuth sees: 28000 /
// 1045 naming what was missing, before any password exchange.
func certDenial(protocol, user string, client net.Addr, err error) *policy.Denial {
	what := "the client certificate does not match the user"
	if errors.Is(err, tlsauth.ErrCertificateRequired) {
		what = "a valid client certificate is required"
	}
	msg := fmt.Sprintf("certificate authentication failed for user %q: %s", user, what)
	if protocol == "mysql" {
		msg = fmt.Sprintf("Access denied for user '%s'@'%s' (%s)", user, policy.HostOf(client), what)
	}
	return &policy.Denial{Rule: "certificate", Code: sqlerr.InvalidAuthorizationSpecification, Errno: sqlerr.ErAccessDenied, Message: msg}
}

// CertResult implements dataapi.Gateway.
func (a *App) CertResult(protocol, user string, cert *x509.Certificate, client net.Addr, err error, final bool) {
	a.certAuth(protocol, user, "", cert, client, err, final)
}

// endRevokedSessions ends the PostgreSQL and MySQL sessions whose client
// certificate no longer passes the checks of the TLS settings in force —
// revoked by a revocation list read since the session logged in, expired,
// or from a CA no longer in tls.client_ca — and audits each. (The data
// APIs check the certificate again at every request.)
func (a *App) endRevokedSessions() {
	check := func(protocol string, info activity.Info, cs *tls.ConnectionState) (string, bool) {
		if cs == nil || len(cs.PeerCertificates) == 0 {
			return "", false
		}
		reason, err := a.tlsm.RecheckReason(cs.PeerCertificates)
		if err == nil {
			return "", false
		}
		subject := tlsauth.Subject(cs.PeerCertificates[0])
		a.log.Info("session ended: its client certificate is no longer valid", "protocol", protocol, "user", info.User,
			"client", info.Client, "reason", reason, "subject", subject)
		if p := a.policyNow(); p != nil {
			p.Audit(audit.Event{Type: "auth", Fields: map[string]any{"protocol": protocol, "user": info.User, "database": info.Database,
				"client": info.Client, "ok": false, "method": "certificate", "stage": "session", "reason": reason, "subject": subject,
				"error": err.Error()}})
		}
		return reason, true
	}
	if a.pg != nil {
		a.pg.EndIf(func(info pgwire.SessionInfo, cs *tls.ConnectionState) *pgwire.Error {
			if reason, end := check("postgres", info, cs); end {
				return pgwire.Fatalf(pgwire.CodeInvalidAuthSpec, "terminating connection because its client certificate is no longer valid (%s)", reason)
			}
			return nil
		})
	}
	if a.my != nil {
		a.my.EndIf(func(info mysqlwire.SessionInfo, cs *tls.ConnectionState) *mysqlwire.Error {
			if reason, end := check("mysql", info, cs); end {
				return mysqlwire.Fatalf(mysqlwire.ErConnectionKilled, "Connection closed: its client certificate is no longer valid (%s)", reason)
			}
			return nil
		})
	}
}
