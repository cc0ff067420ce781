package dataapi

import (
	"mime"
	"net/http"
	"strings"

	"github.com/floe-db/floe/internal/authn"
	"github.com/floe-db/floe/internal/sqlerr"
)

// jsonBody checks that a request body that will be executed is declared
// as JSON. Browsers send text/plain, application/x-www-form-urlencoded
// and multipart/form-data across sites without asking the server first
// (no CORS preflight), with the user's stored Basic credentials; a body
// of any of those types would run SQL on the user's behalf. A JSON body
// cannot be sent across sites without a preflight, which this API never
// approves. The only parameter accepted is charset=utf-8 (JSON is UTF-8).
func jsonBody(r *http.Request) *Error {
	ct := r.Header.Get("Content-Type")
	const want = "the request body must be JSON (Content-Type: application/json)"
	if ct == "" {
		return &Error{Status: http.StatusUnsupportedMediaType, Code: CodeBadRequest, Message: want + "; no Content-Type was given"}
	}
	media, params, err := mime.ParseMediaType(ct)
	if err != nil || media != "application/json" {
		return &Error{Status: http.StatusUnsupportedMediaType, Code: CodeBadRequest, Message: want}
	}
	for k, v := range params {
		if k != "charset" {
			return &Error{Status: http.StatusUnsupportedMediaType, Code: CodeBadRequest, Message: want + "; unexpected media type parameter " + k}
		}
		if cs := strings.ToLower(v); cs != "utf-8" && cs != "utf8" {
			return &Error{Status: http.StatusUnsupportedMediaType, Code: CodeBadRequest, Message: want + "; the only charset accepted is utf-8"}
		}
	}
	return nil
}

// mayMintToken refuses POST /v1/token to a caller that presents a bearer
// token the gateway issued: a token is only ever obtained with a password
// (HTTP Basic) or an OpenID Connect token of the configured issuer, so a
// stolen token cannot be renewed and dies at its expiry.
func (s *Service) mayMintToken(r *http.Request) *Error {
	scheme, cred, _ := strings.Cut(r.Header.Get("Authorization"), " ")
	if !strings.EqualFold(scheme, "bearer") {
		return nil
	}
	if s.gw.OIDC() != nil && authn.LooksLikeJWT(strings.TrimSpace(cred)) {
		return nil
	}
	return &Error{Status: http.StatusForbidden, Code: CodeForbidden, SQLState: sqlerr.InvalidAuthorizationSpecification,
		Message: "a bearer token cannot be exchanged for a new one: log in with a password (HTTP Basic) or an OpenID Connect token"}
}
