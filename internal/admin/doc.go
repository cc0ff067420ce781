// Package admin serves the admin listener: /healthz (the process is up),
// /readyz (the gateway accepts work; 503 while starting, draining or
// drained), /metrics (Prometheus), the admin API under /api/v1 and the
// runtime profiles under /debug/pprof/.
//
// The API is JSON, described by the OpenAPI document it serves at
// /api/v1/openapi.json (openapi.json, embedded); durations in it are
// strings such as "5s", as in the configuration file (config's JSON
// methods). Every other /api/v1
// route needs a bearer token from admin.tokens: read-scope tokens may
// call GET routes, admin-scope tokens every route; errors are
// {"error": {"code", "message"}} with 401 (no or unknown token), 403
// (scope), 404, 405, 400 or 422. Tokens are kept as SHA-256 hashes and
// looked up by the hash of what the caller presents. Calls that change
// something, refusals of them, and every use of the break-glass
// credential are audited with the token's name through the Gateway.
//
// /debug/pprof/ serves the Go runtime's profiles (heap, goroutine, CPU,
// trace; net/http/pprof) behind the same guard with the admin scope: never
// unauthenticated, break-glass use audited, OIDC admins as for the API.
//
// GET /api/v1/advice (advice.go) serves the index advice of a Gateway
// that is also an Advisor (package advise computes it); with ?user= the
// app cuts it to the shapes that user may run.
//
// The package holds no state of its own: each request reads the
// credentials in force and the gateway's state through Gateway, which the
// app implements; requests run on net/http's goroutines.
package admin
