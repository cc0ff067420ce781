// Package oidctest runs an OpenID Connect issuer for tests: a discovery
// document and a JWKS served over httptest, with RSA keys generated in
// the test, and tokens signed with them (or with a key it does not
// publish, for forgery tests).
package oidctest
