// Package config owns the gateway's configuration: typed structs matching
// the YAML file, ${env:} and ${file:} references, defaults, and validation
// whose errors name the file, line and key.
//
// Load reads a file into a yaml.Node tree, expands references in its
// scalars, checks every key against the struct tags (recording each key's
// line), decodes, applies defaults and validates. Validation
// (validate.go) runs one function per section — listen and tls, the
// protocols, log, databases (servers, pool, health, routing), identities,
// secrets, admin, store, oidc, roles, users, firewall, policy, limits,
// masking, audit — each adding its errors to one checker; a section that
// refers to names (grants to databases, users to roles, …) runs after the
// section that defines them; listen and tls read the certificate and
// key files (and mtls.go the client CAs and CRLs of client certificate
// authentication, and users' auth and certificate keys), and check
// tls.groups against crypto/tls's key-exchange groups (tlsgroups.go).
// LoadOptions.Check then runs the caller's checks of a valid
// file (the gateway's start-up checks), located the same way, and
// LoadOptions.Resolve can leave the references of unused keys unread
// (their values become Unresolved and are not validated). The result is immutable;
// a reload builds a new Config. Nothing here opens connections or starts
// goroutines, and nothing logs: resolved secrets stay inside the values.
//
// Types the admin API and the shared store carry as JSON write their
// durations as strings ("5s") and read strings or, from documents of
// earlier versions, numbers of nanoseconds (jsonduration.go).
package config
