// Package oidctest runs an OpenID Connect issuer for tests: a discovery
// document and a JWKS served over httptest, with RSA keys generated in
// the test, and tokens signed with them (or with a key it does not
// publish, for forgery tests). Its token endpoint serves the
// client_credentials grant for clients registered with AddClient and the
// device authorization flow (RFC 8628): POST /device starts it, a GET of
// the verification URL approves the user code as the user DeviceUser
// names, and the device_code grant answers authorization_pending until
// then. Tokens of both grants are JWTs signed with the published key.
// An Issuer is safe for concurrent use.
package oidctest
