package config_test

import (
	"crypto/tls"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/floe-db/floe/internal/config"
)

func TestTLSGroups(t *testing.T) {
	cert, key := writeCert(t, t.TempDir(), "g")
	base := "databases: [{name: a, kind: sqlite, path: x}]\nusers: [{name: u, password: p}]\ntls:\n  cert: " + cert + "\n  key: " + key + "\n"
	cases := []struct {
		name   string
		groups string // the tls.groups line, "" for none
		want   []tls.CurveID
		err    string
	}{
		{name: "absent: crypto/tls default", want: nil},
		{name: "pinned classical", groups: "[X25519]", want: []tls.CurveID{tls.X25519}},
		{name: "post-quantum and classical", groups: "[X25519MLKEM768, X25519, P256]", want: []tls.CurveID{tls.X25519MLKEM768, tls.X25519, tls.CurveP256}},
		{name: "every known name", groups: "[X25519MLKEM768, SecP256r1MLKEM768, SecP384r1MLKEM1024, X25519, P256, P384, P521]",
			want: []tls.CurveID{tls.X25519MLKEM768, tls.SecP256r1MLKEM768, tls.SecP384r1MLKEM1024, tls.X25519, tls.CurveP256, tls.CurveP384, tls.CurveP521}},
		{name: "crypto/tls spelling, any case", groups: "[CurveP384, x25519mlkem768]", want: []tls.CurveID{tls.CurveP384, tls.X25519MLKEM768}},
		{name: "unknown name", groups: "[X25519, Kyber512]", err: `f.yaml:6: tls.groups[1]: unknown key-exchange group "Kyber512"`},
		{name: "misspelt", groups: "[X25519MLKEM]", err: `f.yaml:6: tls.groups[0]: unknown key-exchange group "X25519MLKEM" (known: X25519MLKEM768,`},
		{name: "twice", groups: "[X25519, x25519]", err: "f.yaml:6: tls.groups[1]: x25519 is listed twice"},
		{name: "empty list", groups: "[]", err: "f.yaml:6: tls.groups: an empty list offers no key exchange"},
		{name: "not a list", groups: "X25519", err: "f.yaml:6: tls.groups: must be a list"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			src := base
			if tc.groups != "" {
				src += "  groups: " + tc.groups + "\n"
			}
			c, err := config.Parse("f.yaml", []byte(src), noEnv)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("want %q in the error, got %v", tc.err, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := c.TLS.CurveIDs(); !slices.Equal(got, tc.want) {
				t.Fatalf("CurveIDs() = %v, want %v", got, tc.want)
			}
		})
	}
}

// TestTLSGroupsNeedCertificate: groups without a certificate are refused
// as tls: without one is, not taken as a listener without TLS.
func TestTLSGroupsNeedCertificate(t *testing.T) {
	src := "databases: [{name: a, kind: sqlite, path: x}]\nusers: [{name: u, password: p}]\ntls: {groups: [X25519]}\n"
	_, err := config.Parse("f.yaml", []byte(src), noEnv)
	if err == nil || !strings.Contains(err.Error(), "tls: both cert and key are required") {
		t.Fatalf("want the certificate required, got %v", err)
	}
}

// TestTLSGroupNamesMatchCryptoTLS: every name maps to the crypto/tls
// group whose String() it is (or CurveP… for P…), and a nil TLS gives
// crypto/tls's default.
func TestTLSGroupNamesMatchCryptoTLS(t *testing.T) {
	for _, n := range config.TLSGroupNames() {
		id, ok := config.TLSGroup(n)
		if !ok {
			t.Fatalf("%s is not accepted", n)
		}
		if s := id.String(); s != n && s != "Curve"+n {
			t.Errorf("%s maps to %s", n, s)
		}
	}
	if (*config.TLS)(nil).CurveIDs() != nil {
		t.Error("no tls: must give crypto/tls's default")
	}
	if _, ok := config.TLSGroup(fmt.Sprint(tls.CurveID(9999))); ok {
		t.Error("an unnamed group was accepted")
	}
}
