package config

import (
	"crypto/x509"
	"encoding/pem"
	"testing"

	"github.com/floe-db/floe/internal/tlsauth/certtest"
)

// FuzzParseCRLs feeds arbitrary CRL file contents (PEM or DER) to the
// parser: it returns lists or an error and never panics, and every list
// it returns is signed by the CA. Seeds are under testdata/fuzz.
func FuzzParseCRLs(f *testing.F) {
	ca := certtest.NewCA(f, "fuzz CA")
	good := ca.CRL(f, 1, ca.Issue(f, certtest.Options{CN: "x"}).Cert)
	f.Add(good)
	if b, _ := pem.Decode(good); b != nil {
		f.Add(b.Bytes)
	}
	f.Add([]byte("-----BEGIN X509 CRL-----\n-----END X509 CRL-----\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		lists, err := ParseCRLs("f", data, []*x509.Certificate{ca.Cert})
		if err != nil && len(lists) > 0 {
			t.Fatal("lists with an error")
		}
		for _, l := range lists {
			if l.CheckSignatureFrom(ca.Cert) != nil {
				t.Fatal("a list not signed by the CA was accepted")
			}
		}
	})
}
