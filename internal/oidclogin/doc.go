// Package oidclogin is the client side of token logins: it obtains an
// access token from an OpenID Connect issuer, found through its
// discovery document, with the device authorization flow (RFC 8628: the
// user approves a code in a browser while the client polls) or the
// client credentials flow (a service with a client secret), and records
// a token in a PostgreSQL password file (~/.pgpass).
//
// Data flow: Login discovers the issuer's endpoints, runs one flow and
// returns the token; the caller (floe login) prints it or hands it to
// WritePgpass, which rewrites the file through a temporary file of mode
// 0600 renamed over it. Nothing here logs or prints a token or a secret;
// the device flow's prompt (verification URL and user code) goes to the
// callback the caller gives. No goroutines; every call takes a context.
package oidclogin
