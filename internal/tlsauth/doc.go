// Package tlsauth owns client certificate (mutual TLS) authentication:
// the server tls.Config of each listener, the verification of client
// certificates (chain to tls.client_ca, validity period, the client
// authentication key usage, revocation through CRLs), the CRL cache, and
// the matching of a verified certificate to a gateway user.
//
// A Manager holds the settings in force (Load at start and on every
// reload swaps them atomically). Config(listener) returns a tls.Config
// whose GetConfigForClient reads the settings in force at each
// handshake, so one tls.Config serves a listener across reloads. The
// per-handshake config asks for a certificate as the listener's
// client_auth says; crypto/tls verifies the chain, validity period and
// key usage (ending a failed handshake with the alert that says why), and
// VerifyConnection (called on resumed sessions too) verifies the chain
// again with the CRLs. A refused certificate is reported to
// Options.OnReject with the reason and the certificate's subject (the
// gateway audits it): by VerifyConnection itself, or, for refusals of
// crypto/tls, by the front end, which hands its handshake error to
// Manager.Failed. The front ends then
// read the verified certificate from the connection state and pass it
// up; Decide and Identify say what it means for a login.
//
// CRL files are stat'ed at most once per crl_check_interval, during a
// handshake; a changed file is read again. A file that cannot be read
// or parsed keeps the lists last read from it (and is reported), so a
// CRL being rewritten does not let revoked certificates in.
//
// Nothing here starts goroutines or keeps package-level state; a
// Manager is safe for concurrent use.
package tlsauth
