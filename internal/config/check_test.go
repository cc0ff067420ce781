package config_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/floe-db/floe/internal/authn"
	"github.com/floe-db/floe/internal/config"
)

const base = "databases: [{name: d, kind: sqlite, path: x.db}]\n"

// parse loads src (after base) and returns its error text ("" when it
// loads).
func parse(t *testing.T, src string, getenv map[string]string) string {
	t.Helper()
	_, err := config.Parse("f.yaml", []byte(src), func(k string) string { return getenv[k] })
	if err == nil {
		return ""
	}
	return err.Error()
}

func TestListenPorts(t *testing.T) {
	users := "users: [{name: u, password: p}]\n"
	cases := []struct{ name, listen, want string }{
		{"defaults", "", ""},
		{"port too big", "listen: {postgres: 127.0.0.1:70000}\n", "f.yaml:3: listen.postgres: port 70000: want 0 to 65535"},
		{"not a port", "listen: {mysql: '127.0.0.1:abc'}\n", `f.yaml:3: listen.mysql: port "abc": want a number`},
		{"service name", "listen: {http: '127.0.0.1:http-alt'}\n", ""},
		{"same port twice", "listen: {postgres: 127.0.0.1:7000, mysql: 127.0.0.1:7000}\n", "f.yaml:3: listen.mysql: port 7000 is also listen.postgres's"},
		{"default port reused", "listen: {admin: 127.0.0.1:6432}\n", "f.yaml:3: listen.admin: port 6432 is also listen.postgres's"},
		{"wildcard and loopback", "listen: {postgres: 0.0.0.0:7000, http: 127.0.0.1:7000}\n", "listen.http: port 7000 is also listen.postgres's"},
		{"other hosts", "listen: {postgres: 127.0.0.1:7000, mysql: 127.0.0.2:7000}\n", ""},
		{"ports 0", "listen: {postgres: 127.0.0.1:0, mysql: 127.0.0.1:0, http: 127.0.0.1:0, flightsql: 127.0.0.1:0, admin: 127.0.0.1:0}\n", ""},
		{"off twice", "listen: {postgres: 'off', mysql: 'off'}\n", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := parse(t, base+users+c.listen, nil)
			if c.want == "" && got != "" || c.want != "" && !strings.Contains(got, c.want) {
				t.Fatalf("got %q, want %q", got, c.want)
			}
		})
	}
}

// writeCert writes a self-signed certificate and its key to dir and
// returns their paths.
func writeCert(t *testing.T, dir, name string) (cert, key string) {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.PublicKey, k)
	if err != nil {
		t.Fatal(err)
	}
	kd, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	cert, key = filepath.Join(dir, name+".crt"), filepath.Join(dir, name+".key")
	if err := os.WriteFile(cert, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(key, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kd}), 0o600); err != nil {
		t.Fatal(err)
	}
	return cert, key
}

func TestTLSFiles(t *testing.T) {
	dir := t.TempDir()
	cert, key := writeCert(t, dir, "a")
	_, otherKey := writeCert(t, dir, "b")
	notPEM := filepath.Join(dir, "junk")
	if err := os.WriteFile(notPEM, []byte("hello"), 0o600); err != nil {
		t.Fatal(err)
	}
	unreadable := filepath.Join(dir, "locked.key")
	if err := os.WriteFile(unreadable, []byte("x"), 0o000); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(dir, "missing.pem")
	cases := []struct{ name, cert, key, want string }{
		{"good pair", cert, key, ""},
		{"missing cert", missing, key, "f.yaml:4: tls.cert: " + missing + ": no such file or directory"},
		{"missing key", cert, missing, "f.yaml:5: tls.key: " + missing + ": no such file or directory"},
		{"cert not PEM", notPEM, key, "f.yaml:4: tls.cert: " + notPEM + ": no PEM certificate in the file"},
		{"key not PEM", cert, notPEM, "f.yaml:5: tls.key: " + notPEM + ": no PEM private key in the file"},
		{"key of another cert", cert, otherKey, "f.yaml:5: tls.key: the key does not match the certificate"},
		{"cert given as key", cert, cert, "tls.key: " + cert + ": no PEM private key in the file"},
	}
	if os.Geteuid() != 0 { // root reads any file
		cases = append(cases, struct{ name, cert, key, want string }{"unreadable key", cert, unreadable, "f.yaml:5: tls.key: " + unreadable + ": permission denied"})
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			src := base + "users: [{name: u, password: p}]\ntls:\n  cert: " + c.cert + "\n  key: " + c.key + "\n"
			got := parse(t, src, nil)
			if c.want == "" && got != "" || c.want != "" && !strings.Contains(got, c.want) {
				t.Fatalf("got %q, want %q", got, c.want)
			}
		})
	}
}

// TestSCRAMVerifierFormat holds validation to what the authenticator
// reads: a verifier validation passes is one authn.ParseVerifier takes.
func TestSCRAMVerifierFormat(t *testing.T) {
	good, err := authn.NewVerifier("pw", 4096)
	if err != nil {
		t.Fatal(err)
	}
	_, after, _ := strings.Cut(good, "$")
	params, keys, _ := strings.Cut(after, "$")
	stored, server, _ := strings.Cut(keys, ":")
	cases := []struct{ name, v, want string }{
		{"from floe passwd", good, ""},
		{"other mechanism", "SCRAM-SHA-1$" + after, "not a SCRAM-SHA-256 verifier"},
		{"truncated", "SCRAM-SHA-256$" + params, "malformed verifier"},
		{"no server key", "SCRAM-SHA-256$" + params + "$" + stored, "malformed verifier"},
		{"zero iterations", "SCRAM-SHA-256$0:" + strings.SplitN(params, ":", 2)[1] + "$" + keys, "iteration count"},
		{"salt not base64", "SCRAM-SHA-256$4096:@@@$" + keys, "salt is not base64"},
		{"short key", "SCRAM-SHA-256$" + params + "$" + stored + ":" + server[:20], "32 bytes"},
		{"keys not base64", "SCRAM-SHA-256$" + params + "$" + stored + ":!" + server[1:], "32 bytes"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := parse(t, base+"users:\n  - name: u\n    scram: '"+c.v+"'\n", nil)
			if c.want == "" && got != "" || c.want != "" && (!strings.HasPrefix(got, "f.yaml:4: users[0].scram: ") || !strings.Contains(got, c.want)) {
				t.Fatalf("got %q, want %q", got, c.want)
			}
			_, perr := authn.ParseVerifier(c.v)
			if (perr == nil) != (got == "") {
				t.Fatalf("validation (%q) and authn.ParseVerifier (%v) disagree", got, perr)
			}
		})
	}
}

// TestResolveOnly: with LoadOptions.Resolve, references outside the
// keys it names are not read, so unset variables of other databases
// and users do not stop the load, while the chosen database's are read.
func TestResolveOnly(t *testing.T) {
	src := `databases:
  - {name: a, kind: postgres, primary: "postgres://u:${env:A_PW}@h/a"}
  - {name: b, kind: postgres, primary: "postgres://u:${env:B_PW}@h/b"}
users:
  - {name: u, password: "${env:USER_PW}"}
admin:
  tokens: [{name: t, token: "${env:ADMIN_TOKEN}", scopes: [admin]}]
`
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	c, err := config.ParseWith("f.yaml", []byte(src), config.LoadOptions{Getenv: env(map[string]string{"B_PW": "bsecret"}),
		Resolve: config.OnlyDatabase([]byte(src), "b")})
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := c.Database("b"); b.Primary != "postgres://u:bsecret@h/b" {
		t.Fatalf("b's DSN: %q", b.Primary)
	}
	if a, _ := c.Database("a"); strings.Contains(a.Primary, "${") {
		t.Fatalf("a's reference left in place: %q", a.Primary)
	}
	if c.Users[0].Password != config.Unresolved {
		t.Fatalf("user password: %q", c.Users[0].Password)
	}
	// The chosen database's own references are still required.
	_, err = config.ParseWith("f.yaml", []byte(src), config.LoadOptions{Getenv: env(nil), Resolve: config.OnlyDatabase([]byte(src), "b")})
	if err == nil || !strings.Contains(err.Error(), "f.yaml:3: databases[1].primary: environment variable B_PW") {
		t.Fatalf("missing B_PW: %v", err)
	}
	// Without Resolve every reference is read.
	_, err = config.ParseWith("f.yaml", []byte(src), config.LoadOptions{Getenv: env(map[string]string{"B_PW": "x"})})
	if err == nil || !strings.Contains(err.Error(), "A_PW") || !strings.Contains(err.Error(), "USER_PW") {
		t.Fatalf("full load: %v", err)
	}
}
