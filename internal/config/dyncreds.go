package config

import (
	"fmt"
	"strings"
)

// DynamicCreds takes a backend login from the database secrets engine of
// Vault or OpenBao (secrets.vault) instead of a fixed user and password:
// the gateway reads <mount>/creds/<role>, which creates a login on the
// server and leases it, renews the lease, and replaces the login before
// the lease reaches its end (see package leases).
type DynamicCreds struct {
	// Mount is the path of the database secrets engine (default
	// database).
	Mount string `yaml:"mount" json:"mount"`
	// Role is the engine's role whose credentials the login takes.
	Role string `yaml:"role" json:"role"`
}

// Path is where the credentials are read: <mount>/creds/<role>.
func (d DynamicCreds) Path() string { return d.mountOrDefault() + "/creds/" + d.Role }

// Key names the login for pool keys, logs and the admin API: the
// engine's mount and role, never a user or password.
func (d DynamicCreds) Key() string { return "vault:" + d.mountOrDefault() + "/" + d.Role }

func (d DynamicCreds) mountOrDefault() string {
	if d.Mount == "" {
		return "database"
	}
	return d.Mount
}

// validateDynCreds checks the vault entries of db's identities: a role
// of the engine, plain path segments, no user or password beside them,
// and a Vault server to read them from.
func (c *Config) validateDynCreds(bad func(key, format string, args ...any)) {
	for i := range c.Databases {
		d := &c.Databases[i]
		for j, id := range d.Identities {
			if id.Vault == nil {
				continue
			}
			k := fmt.Sprintf("databases[%d].identities[%d]", i, j)
			if id.User != "" || id.Password != "" {
				bad(k+".vault", "takes the user and password from Vault: leave user and password out")
			}
			if c.Secrets.Vault == nil {
				bad(k+".vault", "needs secrets.vault (the Vault or OpenBao server to read credentials from)")
			}
			if id.Vault.Role == "" {
				bad(k+".vault.role", "is required (a role of the database secrets engine)")
			}
			for _, f := range []struct{ key, v string }{{"role", id.Vault.Role}, {"mount", id.Vault.Mount}} {
				if strings.ContainsAny(f.v, "\x00?#% \t\r\n") || strings.Contains(f.v, "..") || strings.HasPrefix(f.v, "/") || strings.HasSuffix(f.v, "/") {
					bad(k+".vault."+f.key, "must be a plain Vault path segment")
				}
			}
			if d.Provision {
				bad(k+".vault", "a login from Vault cannot be provisioned (the engine's role creates it)")
			}
		}
	}
}
