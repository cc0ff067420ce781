package admin

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/floe-db/floe/internal/authn"
	"github.com/floe-db/floe/internal/config"
	"github.com/floe-db/floe/internal/observe"
	"github.com/floe-db/floe/internal/policy"
)

// stubGateway records what the API asks of it; it answers from fields.
type stubGateway struct {
	mu      sync.Mutex
	tokens  *Tokens
	audited []map[string]any
	drained bool
	killed  []string
}

func (s *stubGateway) Ready() (bool, string)                      { return !s.drained, "" }
func (s *stubGateway) OIDC() *authn.OIDC                          { return nil }
func (s *stubGateway) Stats() Stats                               { return Stats{} }
func (s *stubGateway) Tokens() *Tokens                            { return s.tokens }
func (s *stubGateway) Backends() any                              { return []string{} }
func (s *stubGateway) Pools() any                                 { return []string{} }
func (s *stubGateway) Secrets() any                               { return []string{} }
func (s *stubGateway) Sessions() []Session                        { return []Session{{ID: "pg-1"}} }
func (s *stubGateway) CancelSession(id string) bool               { return id == "pg-1" }
func (s *stubGateway) Denials(int) ([]observe.Denial, uint64)     { return nil, 0 }
func (s *stubGateway) TopQueries(int, string) []observe.QueryStat { return nil }
func (s *stubGateway) Reload(context.Context) error               { return errors.New("databases[0].kind: bad") }
func (s *stubGateway) SetDrained(on bool)                         { s.drained = on }
func (s *stubGateway) KillSession(id string) bool {
	s.killed = append(s.killed, id)
	return id == "pg-1"
}
func (s *stubGateway) AuditAdmin(f map[string]any) {
	s.mu.Lock()
	s.audited = append(s.audited, f)
	s.mu.Unlock()
}

func (s *stubGateway) Users() []UserInfo                                          { return nil }
func (s *stubGateway) PutUser(context.Context, string, UserSpec) error            { return ErrConflict }
func (s *stubGateway) DeleteUser(context.Context, string) error                   { return ErrNotFound }
func (s *stubGateway) Roles() []RoleInfo                                          { return nil }
func (s *stubGateway) PutRole(context.Context, string, config.Role) error         { return ErrInvalid }
func (s *stubGateway) DeleteRole(context.Context, string) error                   { return nil }
func (s *stubGateway) Allowlist() ([]policy.Entry, bool)                          { return nil, false }
func (s *stubGateway) Forget(string, string, string) (bool, bool)                 { return false, false }
func (s *stubGateway) Databases() []DatabaseInfo                                  { return nil }
func (s *stubGateway) PutDatabase(context.Context, string, config.Database) error { return nil }
func (s *stubGateway) DeleteDatabase(context.Context, string) error               { return nil }
func (s *stubGateway) Rules(string) (any, any, bool)                              { return []int{}, []int{}, true }
func (s *stubGateway) PutRules(context.Context, string, json.RawMessage) error {
	return ErrInvalid
}

func TestTokens(t *testing.T) {
	tok, err := NewToken()
	if err != nil || !strings.HasPrefix(tok, "floe_") || len(tok) < 40 {
		t.Fatalf("NewToken = %q, %v", tok, err)
	}
	ts := NewTokens(config.Admin{
		Tokens:     []config.AdminToken{{Name: "ops", Hash: HashToken(tok), Scopes: []string{"admin"}}, {Name: "ro", Token: "plain-token-0123456789", Scopes: []string{"read"}}},
		BreakGlass: config.BreakGlass{Enabled: false, Hash: HashToken("glass")},
	})
	for _, tc := range []struct {
		token, name string
		ok          bool
		read, adm   bool
	}{
		{tok, "ops", true, true, true},
		{"plain-token-0123456789", "ro", true, true, false},
		{"glass", "", false, false, false}, // disabled
		{"", "", false, false, false},
		{tok + "x", "", false, false, false},
	} {
		p, ok := ts.Lookup(tc.token)
		if ok != tc.ok || p.Name != tc.name || p.Can(ScopeRead) != tc.read || p.Can(ScopeAdmin) != tc.adm {
			t.Errorf("Lookup(%q) = %+v, %v", tc.token, p, ok)
		}
	}
	if !(*Tokens)(nil).Empty() || NewTokens(config.Admin{}).Empty() != true || ts.Empty() {
		t.Error("Empty")
	}
	bg := NewTokens(config.Admin{BreakGlass: config.BreakGlass{Enabled: true, Hash: HashToken("glass")}})
	if p, ok := bg.Lookup("glass"); !ok || !p.BreakGlass || !p.Can(ScopeAdmin) {
		t.Errorf("break glass: %+v %v", p, ok)
	}
}

func TestRoutesAuthAndErrors(t *testing.T) {
	gw := &stubGateway{tokens: NewTokens(config.Admin{Tokens: []config.AdminToken{
		{Name: "ops", Token: "admin-token-0123456789", Scopes: []string{"admin"}},
		{Name: "ro", Token: "read-token-0123456789", Scopes: []string{"read"}},
	}})}
	srv := httptest.NewServer(Handler(gw, observe.NewMetrics(), slog.New(slog.NewTextHandler(io.Discard, nil))))
	defer srv.Close()
	call := func(method, path, token string) (int, string) {
		req, _ := http.NewRequest(method, srv.URL+path, nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var body struct{ Error Error }
		raw, _ := io.ReadAll(resp.Body)
		_ = json.Unmarshal(raw, &body)
		if resp.StatusCode >= 400 && (body.Error.Code == "" || body.Error.Message == "") {
			t.Errorf("%s %s: %d without a structured error: %s", method, path, resp.StatusCode, raw)
		}
		return resp.StatusCode, body.Error.Code
	}
	for _, tc := range []struct {
		method, path, token string
		code                int
		errCode             string
	}{
		{"GET", "/api/v1/sessions", "", 401, "unauthorized"},
		{"GET", "/api/v1/sessions", "wrong", 401, "unauthorized"},
		{"GET", "/api/v1/sessions", "read-token-0123456789", 200, ""},
		{"POST", "/api/v1/sessions/pg-1/kill", "read-token-0123456789", 403, "forbidden"},
		{"POST", "/api/v1/sessions/pg-1/kill", "admin-token-0123456789", 200, ""},
		{"POST", "/api/v1/sessions/pg-2/kill", "admin-token-0123456789", 404, "not_found"},
		{"POST", "/api/v1/sessions/pg-1/cancel", "admin-token-0123456789", 200, ""},
		{"POST", "/api/v1/reload", "admin-token-0123456789", 422, "invalid_config"},
		{"GET", "/api/v1/reload", "admin-token-0123456789", 405, "method_not_allowed"},
		{"DELETE", "/api/v1/sessions/pg-1/kill", "admin-token-0123456789", 405, "method_not_allowed"},
		{"GET", "/api/v1/denials?limit=x", "read-token-0123456789", 400, "bad_request"},
		{"GET", "/api/v1/queries?sort=p99&limit=5", "read-token-0123456789", 200, ""},
		{"GET", "/api/v1/queries?sort=fastest", "read-token-0123456789", 400, "bad_request"},
		{"GET", "/api/v2/anything", "admin-token-0123456789", 404, "not_found"},
		{"GET", "/api/v1/openapi.json", "", 200, ""},
		{"GET", "/healthz", "", 200, ""},
		{"GET", "/api/v1/users", "read-token-0123456789", 200, ""},
		{"GET", "/api/v1/secrets", "", 401, "unauthorized"},
		{"GET", "/api/v1/secrets", "read-token-0123456789", 200, ""},
		{"DELETE", "/api/v1/users/bob", "read-token-0123456789", 403, "forbidden"},
		{"DELETE", "/api/v1/users/bob", "admin-token-0123456789", 404, "not_found"},
		{"DELETE", "/api/v1/roles/r", "admin-token-0123456789", 200, ""},
		{"GET", "/api/v1/advice", "", 401, "unauthorized"},
		{"GET", "/api/v1/advice", "read-token-0123456789", 501, "not_implemented"},
	} {
		if code, ec := call(tc.method, tc.path, tc.token); code != tc.code || ec != tc.errCode {
			t.Errorf("%s %s (%q): %d %q, want %d %q", tc.method, tc.path, tc.token, code, ec, tc.code, tc.errCode)
		}
	}
	// Changes are audited with who made them, refusals too; reads are not.
	gw.mu.Lock()
	defer gw.mu.Unlock()
	var got []string
	for _, f := range gw.audited {
		got = append(got, f["actor"].(string)+" "+f["path"].(string))
	}
	want := "ro /api/v1/sessions/pg-1/kill,ops /api/v1/sessions/pg-1/kill,ops /api/v1/sessions/pg-2/kill,ops /api/v1/sessions/pg-1/cancel,ops /api/v1/reload,ro /api/v1/users/bob,ops /api/v1/users/bob,ops /api/v1/roles/r"
	if strings.Join(got, ",") != want {
		t.Errorf("audited %v\nwant %s", got, want)
	}
}

// Every route is in the OpenAPI document with its method, and the
// document names no route that does not exist.
func TestOpenAPICoversRoutes(t *testing.T) {
	var doc struct {
		Paths map[string]map[string]any `json:"paths"`
	}
	if err := json.Unmarshal(openAPI, &doc); err != nil {
		t.Fatal(err)
	}
	a := &api{}
	inCode := map[string]bool{"GET /api/v1/openapi.json": true}
	for _, r := range a.routes() {
		inCode[r.method+" "+r.path] = true
		if _, ok := doc.Paths[r.path][strings.ToLower(r.method)]; !ok {
			t.Errorf("openapi.json lacks %s %s", r.method, r.path)
		}
	}
	for path, ops := range doc.Paths {
		for m := range ops {
			if !inCode[strings.ToUpper(m)+" "+path] {
				t.Errorf("openapi.json documents %s %s, which is not served", m, path)
			}
		}
	}
}

func TestPathMatches(t *testing.T) {
	for _, tc := range []struct {
		pattern, path string
		want          bool
	}{
		{"/api/v1/sessions", "/api/v1/sessions", true},
		{"/api/v1/sessions/{id}/kill", "/api/v1/sessions/pg-1/kill", true},
		{"/api/v1/sessions/{id}/kill", "/api/v1/sessions//kill", false},
		{"/api/v1/sessions/{id}/kill", "/api/v1/sessions/pg-1/cancel", false},
		{"/api/v1/sessions", "/api/v1/sessions/x", false},
	} {
		if got := pathMatches(tc.pattern, tc.path); got != tc.want {
			t.Errorf("pathMatches(%q, %q) = %v", tc.pattern, tc.path, got)
		}
	}
}

// The Limit schema of the OpenAPI document has the keys and JSON types
// config.Limit is written with (durations as strings).
func TestOpenAPILimitSchema(t *testing.T) {
	var doc struct {
		Components struct {
			Schemas map[string]struct {
				Properties map[string]struct {
					Type string `json:"type"`
				} `json:"properties"`
			} `json:"schemas"`
		} `json:"components"`
	}
	if err := json.Unmarshal(openAPI, &doc); err != nil {
		t.Fatal(err)
	}
	props := doc.Components.Schemas["Limit"].Properties
	b, err := json.Marshal(config.Limit{Per: "user", User: "u", Database: "d", Client: "10.0.0.0/8", Rate: 1.5, Burst: 2, Shared: true,
		ConcurrentQueries: 3, Connections: 4, StatementTimeout: 5 * time.Second, MaxResultRows: 6, MaxResultBytes: 7})
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	if len(got) != len(props) {
		t.Errorf("config.Limit has %d keys, the schema %d", len(got), len(props))
	}
	for k, v := range got {
		want := map[string]string{"string": "string", "bool": "boolean", "float64": "number"}[fmt.Sprintf("%T", v)]
		typ := props[k].Type
		if typ == "integer" {
			typ = "number"
		}
		if typ != want {
			t.Errorf("%s: schema says %q, JSON holds %T", k, props[k].Type, v)
		}
	}
	if got["statement_timeout"] != "5s" {
		t.Errorf("statement_timeout written as %v", got["statement_timeout"])
	}
}

// The runtime profiles need an admin-scope token; with one, the heap
// profile is served (gzipped protobuf, and as text with debug=1).
func TestProfiles(t *testing.T) {
	gw := &stubGateway{tokens: NewTokens(config.Admin{Tokens: []config.AdminToken{
		{Name: "ops", Token: "admin-token-0123456789", Scopes: []string{"admin"}},
		{Name: "ro", Token: "read-token-0123456789", Scopes: []string{"read"}},
	}})}
	srv := httptest.NewServer(Handler(gw, observe.NewMetrics(), slog.New(slog.NewTextHandler(io.Discard, nil))))
	defer srv.Close()
	get := func(path, token string) (int, []byte) {
		req, _ := http.NewRequest("GET", srv.URL+path, nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, body
	}
	for _, tc := range []struct {
		path, token string
		code        int
		prefix      string
	}{
		{"/debug/pprof/heap", "", 401, `{"error":{"code":"unauthorized"`},
		{"/debug/pprof/heap", "wrong", 401, `{"error":{"code":"unauthorized"`},
		{"/debug/pprof/heap", "read-token-0123456789", 403, `{"error":{"code":"forbidden"`},
		{"/debug/pprof/", "", 401, `{"error":{"code":"unauthorized"`},
		{"/debug/pprof/goroutine?debug=1", "read-token-0123456789", 403, `{"error":{"code":"forbidden"`},
		{"/debug/pprof/cmdline", "admin-token-0123456789", 404, ""},
		{"/debug/pprof/heap", "admin-token-0123456789", 200, "\x1f\x8b"},
		{"/debug/pprof/heap?debug=1", "admin-token-0123456789", 200, "heap profile: "},
		{"/debug/pprof/goroutine?debug=1", "admin-token-0123456789", 200, "goroutine profile: total "},
	} {
		code, body := get(tc.path, tc.token)
		if code != tc.code || !strings.HasPrefix(string(body), tc.prefix) {
			t.Errorf("GET %s (%q): %d %.60q, want %d %q…", tc.path, tc.token, code, body, tc.code, tc.prefix)
		}
	}
}
