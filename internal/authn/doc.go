// Package authn owns gateway user credentials: SCRAM-SHA-256 verifiers in
// PostgreSQL's text form, optional MD5 hashes, and the server side of the
// SCRAM exchange.
//
// A Store is built from the configuration once per load (and again on
// reload); it never holds a plaintext password after construction. Front
// ends ask it for a user's credentials during their protocol's
// authentication exchange. Unknown users get a deterministic fake
// credential so that the exchange fails at the same step, and in the same
// time, as a wrong password: the client cannot tell which it was.
//
// OIDC verifies OpenID Connect tokens of one issuer (admin API, data
// APIs) and, through WireLogin, tokens that PostgreSQL and MySQL clients
// send as their password (oidc.wire): the token's user must be the one
// the client named and its groups must map to a role; the session's user
// and the token's expiry come back. Its errors never carry the token.
//
// A Store is immutable and safe for concurrent use.
package authn
