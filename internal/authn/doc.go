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
// A Store is immutable and safe for concurrent use.
package authn
