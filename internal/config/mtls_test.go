package config

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/floe-db/floe/internal/tlsauth/certtest"
)

func TestClientCertsConfig(t *testing.T) {
	dir := t.TempDir()
	ca, other := certtest.NewCA(t, "ca"), certtest.NewCA(t, "other")
	srvCert, srvKey := ca.Issue(t, certtest.Options{CN: "srv", Server: true}).Write(t, dir, "srv")
	caFile, crlFile, foreignCRL := filepath.Join(dir, "ca.crt"), filepath.Join(dir, "ca.crl"), filepath.Join(dir, "other.crl")
	certtest.WriteFile(t, caFile, ca.PEM)
	certtest.WriteFile(t, crlFile, ca.CRL(t, 1))
	certtest.WriteFile(t, foreignCRL, other.CRL(t, 1))
	base := fmt.Sprintf("databases: [{name: lite, kind: sqlite, path: ./x.db}]\ntls: {cert: %s, key: %s", srvCert, srvKey)
	for _, c := range []struct {
		name, tls, users string
		errs             []string // keys with errors; none: valid
	}{
		{"defaults", fmt.Sprintf(", client_ca: %s, crl: %s}", caFile, crlFile), "- {name: svc, auth: certificate, certificate: {subjects: [\"CN=svc\"]}}", nil},
		{"crl list and overrides", fmt.Sprintf(", client_ca: %s, crl: [%s], client_auth: none, listeners: {http: {client_auth: require}}}", caFile, crlFile), "- {name: a, password: x}", nil},
		{"bad mode", fmt.Sprintf(", client_ca: %s, client_auth: maybe}", caFile), "- {name: a, password: x}", []string{"tls.client_auth"}},
		{"unknown listener key", fmt.Sprintf(", client_ca: %s, listeners: {http: {clientauth: require}}}", caFile), "- {name: a, password: x}", []string{"tls.listeners.http.clientauth"}},
		{"unknown listener", fmt.Sprintf(", client_ca: %s, listeners: {admin: {client_auth: require}}}", caFile), "- {name: a, password: x}", []string{"tls.listeners.admin"}},
		{"require without CA", ", client_auth: require}", "- {name: a, password: x}", []string{"tls.client_auth"}},
		{"crl without CA", fmt.Sprintf(", crl: %s}", crlFile), "- {name: a, password: x}", []string{"tls.crl"}},
		{"foreign crl", fmt.Sprintf(", client_ca: %s, crl: %s}", caFile, foreignCRL), "- {name: a, password: x}", []string{"tls.crl[0]"}},
		{"missing CA file", ", client_ca: /nonexistent/ca.pem}", "- {name: a, password: x}", []string{"tls.client_ca"}},
		{"certificate user without CA", "}", "- {name: svc, auth: certificate}", []string{"users[0].auth"}},
		{"certificate user with password", fmt.Sprintf(", client_ca: %s}", caFile), "- {name: svc, auth: certificate, password: x}", []string{"users[0].auth"}},
		{"bad auth", fmt.Sprintf(", client_ca: %s}", caFile), "- {name: svc, auth: kerberos, password: x}", []string{"users[0].auth"}},
		{"binding with password auth", fmt.Sprintf(", client_ca: %s}", caFile), "- {name: svc, auth: password, password: x, certificate: {sans: [a]}}", []string{"users[0].certificate"}},
		{"empty pattern", fmt.Sprintf(", client_ca: %s}", caFile), "- {name: svc, auth: certificate, certificate: {subjects: [\"\"]}}", []string{"users[0].certificate.subjects[0]"}},
		{"password user needs a password", fmt.Sprintf(", client_ca: %s}", caFile), "- {name: svc}", []string{"users[0]"}},
	} {
		src := base + c.tls + "\nusers:\n  " + c.users + "\n"
		cfg, err := Parse("f.yaml", []byte(src), env(nil))
		if len(c.errs) == 0 {
			if err != nil {
				t.Errorf("%s: %v", c.name, err)
			}
			continue
		}
		if err == nil {
			t.Errorf("%s: accepted", c.name)
			continue
		}
		for _, k := range c.errs {
			if !strings.Contains(err.Error(), " "+k+": ") {
				t.Errorf("%s: %v, want an error at %s", c.name, err, k)
			}
		}
		_ = cfg
	}

	cfg, err := Parse("f.yaml", []byte(base+fmt.Sprintf(", client_ca: %s, listeners: {mysql: {client_auth: none}, http: {client_auth: require}}}", caFile)+
		"\nusers:\n  - {name: svc, auth: certificate, certificate: {subjects: [\"CN=svc\"], sans: [\"*.svc\"]}}\n  - {name: both, password: x, certificate: {}}\n  - {name: pat, password: x}\n"), env(nil))
	if err != nil {
		t.Fatal(err)
	}
	for l, want := range map[string]string{"postgres": ClientAuthOptional, "mysql": ClientAuthNone, "http": ClientAuthRequire, "flightsql": ClientAuthOptional} {
		if got := cfg.TLS.ClientAuthFor(l); got != want {
			t.Errorf("client_auth of %s: %s, want %s", l, got, want)
		}
	}
	for i, want := range []string{AuthCertificate, AuthCertificatePassword, AuthPassword} {
		if got := cfg.Users[i].AuthMethod(); got != want {
			t.Errorf("%s: auth %s, want %s", cfg.Users[i].Name, got, want)
		}
	}
	if b := cfg.Users[0].Certificate; b == nil || b.Subjects[0] != "CN=svc" || b.SANs[0] != "*.svc" {
		t.Errorf("binding: %+v", b)
	}
	// The shared store carries users as JSON: the keys sit beside name.
	j, err := json.Marshal(cfg.Users[0])
	if err != nil || !strings.Contains(string(j), `"auth":"certificate","certificate":{"subjects":["CN=svc"],"sans":["*.svc"]}`) {
		t.Errorf("JSON: %s %v", j, err)
	}
	var back User
	if err := json.Unmarshal(j, &back); err != nil || back.CertificateOnly() != true || back.Certificate.SANs[0] != "*.svc" {
		t.Errorf("JSON round trip: %+v %v", back, err)
	}
	// A certificate user from the store overlays the file.
	merged, err := cfg.WithOverlay(Overlay{Users: []User{{Name: "robot", UserAuth: UserAuth{Auth: AuthCertificate, Certificate: &CertBinding{Subjects: []string{"CN=robot"}}}}}}, nil)
	if err != nil {
		t.Fatalf("overlay of a certificate user: %v", err)
	}
	if u := merged.Users[len(merged.Users)-1]; u.Name != "robot" || !u.CertificateOnly() {
		t.Errorf("overlay user: %+v", u)
	}
}
