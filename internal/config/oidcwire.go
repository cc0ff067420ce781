package config

import "time"

// OIDCWire lets PostgreSQL and MySQL wire clients log in with an OpenID
// Connect token of oidc.issuer sent as the password: a startup user that
// is not a configured gateway user is taken as a token login. Tokens are
// accepted only over TLS; the token's username must equal the user the
// client names, and its groups map to roles through oidc.roles.
type OIDCWire struct {
	// Enabled turns token logins on for the wire protocols.
	Enabled bool `yaml:"enabled"`
	// OnExpiry is what happens when the token of a live session
	// expires: close (default) ends the session at once, rolling back
	// an open transaction; transaction_end ends it at its next
	// transaction boundary.
	OnExpiry string `yaml:"on_expiry"`
	// ExpiryGrace bounds transaction_end: a session still inside a
	// transaction this long after its token expired is ended as with
	// close (default 1m), so that a transaction held open does not
	// keep a session past its token.
	ExpiryGrace time.Duration `yaml:"expiry_grace"`
}

// DefaultExpiryGrace is oidc.wire.expiry_grace when unset.
const DefaultExpiryGrace = time.Minute

// The values of oidc.wire.on_expiry.
const (
	OnExpiryClose          = "close"
	OnExpiryTransactionEnd = "transaction_end"
)

// WireSSO reports whether wire clients may log in with tokens.
func (c *Config) WireSSO() bool {
	return c.OIDC != nil && c.OIDC.Wire != nil && c.OIDC.Wire.Enabled
}

// validateOIDCWire defaults and checks oidc.wire.
func (c *Config) validateOIDCWire(bad func(key, format string, args ...any)) {
	if c.OIDC == nil || c.OIDC.Wire == nil {
		return
	}
	w := c.OIDC.Wire
	switch w.OnExpiry {
	case "":
		w.OnExpiry = OnExpiryClose
	case OnExpiryClose, OnExpiryTransactionEnd:
	default:
		bad("oidc.wire.on_expiry", "%q: want close or transaction_end", w.OnExpiry)
	}
	switch {
	case w.ExpiryGrace == 0:
		w.ExpiryGrace = DefaultExpiryGrace
	case w.ExpiryGrace < 0:
		bad("oidc.wire.expiry_grace", "%v: want a positive duration", w.ExpiryGrace)
	}
	if !w.Enabled {
		return
	}
	if c.TLS == nil {
		bad("oidc.wire", "needs tls: a token is sent as a password and is accepted only over TLS")
	}
	if len(c.OIDC.Roles) == 0 {
		bad("oidc.wire", "needs oidc.roles: a token login takes the roles its groups map to")
	}
}
