package backend

import (
	"crypto/tls"
	"slices"
)

// WithGroups returns t with CurvePreferences set to groups: a clone, so
// that a configuration in use is never modified. nil t (no TLS) and nil
// groups (crypto/tls's default, post-quantum first) return t unchanged.
func WithGroups(t *tls.Config, groups []tls.CurveID) *tls.Config {
	if t == nil || groups == nil {
		return t
	}
	c := t.Clone()
	c.CurvePreferences = slices.Clone(groups)
	return c
}
