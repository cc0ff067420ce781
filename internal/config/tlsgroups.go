package config

import (
	"crypto/tls"
	"fmt"
	"slices"
	"strings"
)

// TLS key-exchange groups (tls.groups). The names are crypto/tls's, with
// the NIST curves also accepted without their "Curve" prefix (P256 for
// CurveP256). Matching ignores case.
var tlsGroupNames = []struct {
	name string
	id   tls.CurveID
}{
	{"X25519MLKEM768", tls.X25519MLKEM768},
	{"SecP256r1MLKEM768", tls.SecP256r1MLKEM768},
	{"SecP384r1MLKEM1024", tls.SecP384r1MLKEM1024},
	{"X25519", tls.X25519},
	{"P256", tls.CurveP256},
	{"P384", tls.CurveP384},
	{"P521", tls.CurveP521},
}

// TLSGroupNames lists the names tls.groups accepts, post-quantum hybrids
// first (the order crypto/tls prefers them in).
func TLSGroupNames() []string {
	out := make([]string, len(tlsGroupNames))
	for i, g := range tlsGroupNames {
		out[i] = g.name
	}
	return out
}

// TLSGroup returns the crypto/tls identifier of a group name.
func TLSGroup(name string) (tls.CurveID, bool) {
	n := strings.TrimPrefix(strings.ToLower(name), "curve")
	for _, g := range tlsGroupNames {
		if strings.ToLower(g.name) == n {
			return g.id, true
		}
	}
	return 0, false
}

// CurveIDs returns the key-exchange groups tls.groups names, for
// tls.Config.CurvePreferences on every listener and backend connection;
// nil (crypto/tls's default, post-quantum first) when the key is absent
// or t is nil. Names are validated at load, so unknown ones cannot occur
// here; one that did would be left out, never widening the set.
func (t *TLS) CurveIDs() []tls.CurveID {
	if t == nil || len(t.Groups) == 0 {
		return nil
	}
	out := make([]tls.CurveID, 0, len(t.Groups))
	for _, n := range t.Groups {
		if id, ok := TLSGroup(n); ok {
			out = append(out, id)
		}
	}
	return out
}

// validateTLSGroups checks tls.groups: known names, each once. An empty
// list is refused (it would offer nothing); leaving the key out keeps
// crypto/tls's default.
func validateTLSGroups(v *checker, t *TLS) {
	if t == nil || t.Groups == nil {
		return
	}
	if len(t.Groups) == 0 {
		v.bad("tls.groups", "an empty list offers no key exchange; leave the key out for the default (%s first)", tlsGroupNames[0].name)
		return
	}
	var seen []tls.CurveID
	for i, n := range t.Groups {
		key := fmt.Sprintf("tls.groups[%d]", i)
		id, ok := TLSGroup(n)
		switch {
		case !ok:
			v.bad(key, "unknown key-exchange group %q (known: %s)", n, strings.Join(TLSGroupNames(), ", "))
		case slices.Contains(seen, id):
			v.bad(key, "%s is listed twice", n)
		default:
			seen = append(seen, id)
		}
	}
}
