package secrettest

import (
	"crypto/tls"
	"net"
	"path/filepath"
	"testing"

	"github.com/floe-db/floe/internal/tlsauth/certtest"
)

// testTLS makes a certificate authority and a server certificate for
// 127.0.0.1, ::1 and localhost signed by it; it writes the authority's
// PEM to a file and returns the server's configuration and the file's
// path.
func testTLS(t testing.TB) (*tls.Config, string) {
	t.Helper()
	ca := certtest.NewCA(t, "floe test CA")
	leaf := ca.Issue(t, certtest.Options{CN: "127.0.0.1", Server: true, IPs: []net.IP{net.IPv6loopback}})
	path := filepath.Join(t.TempDir(), "ca.pem")
	certtest.WriteFile(t, path, ca.PEM)
	return &tls.Config{Certificates: []tls.Certificate{leaf.TLS(t)}, MinVersion: tls.VersionTLS12}, path
}
