package admin

import (
	"context"
	"embed"
	"encoding/json"
	"errors"
	"io/fs"
	"log/slog"
	"net/http"
	"net/http/pprof"
	"strconv"
	"strings"
	"time"

	"github.com/floe-db/floe/internal/authn"
	"github.com/floe-db/floe/internal/observe"
)

// Gateway is what the admin API reads and acts on. Its methods are safe
// for concurrent use; the app implements it.
type Gateway interface {
	// Ready reports whether the gateway accepts work, and why not.
	Ready() (ok bool, reason string)
	// Tokens returns the admin credentials in force (a reload changes them).
	Tokens() *Tokens
	// OIDC is the OpenID Connect verifier in force (nil: none).
	OIDC() *authn.OIDC
	// Backends lists every checked server.
	Backends() any
	// Pools lists the backend pools of every database.
	Pools() any
	// Secrets lists the cloud secret references in use: provider, name,
	// key, version in use, last read and last error; never a value.
	Secrets() any
	// Sessions lists the client sessions.
	Sessions() []Session
	// CancelSession cancels what a session runs; KillSession ends it.
	// Both report whether the session exists.
	CancelSession(id string) bool
	KillSession(id string) bool
	// Denials returns up to limit recent denials, newest first, and how
	// many there were in all.
	Denials(limit int) ([]observe.Denial, uint64)
	// Stats are the counters the dashboard charts.
	Stats() Stats
	// TopQueries returns up to limit statement shapes with their
	// figures, ordered by sort (total, count, errors, mean, p99).
	TopQueries(limit int, sort string) []observe.QueryStat
	// Reload re-reads the configuration; an invalid one is refused with
	// the reason and the running one stays.
	Reload(ctx context.Context) error
	// SetDrained takes the instance out of (or back into) service.
	SetDrained(on bool)
	// AuditAdmin writes an admin action to the audit log.
	AuditAdmin(fields map[string]any)
	Editor
}

// LeaseLister is a Gateway with backend logins leased from Vault: Leases
// lists their state (user name, expiry, renewals; never a password or
// lease id) for GET /api/v1/leases.
type LeaseLister interface {
	Leases() any
}

// SlowLister is a Gateway that keeps a slow-statement log: Slow lists up
// to limit records of database ("" every database), newest first, for
// GET /api/v1/slow.
type SlowLister interface {
	Slow(database string, limit int) any
}

// CDCLister is a Gateway that follows change streams: CDC lists their
// status (cdc.Status per database) for GET /api/v1/cdc.
type CDCLister interface {
	CDC() any
}

// Stats are cumulative counters and current gauges; the dashboard takes
// rates and interval percentiles from the difference of two snapshots.
type Stats struct {
	Time       time.Time      `json:"time"`
	Statements observe.Totals `json:"statements"`
	// Denials counts denials since start.
	Denials  uint64 `json:"denials"`
	Sessions int    `json:"sessions"`
	Pools    any    `json:"pools"`
}

// Session is one client session.
type Session struct {
	ID       string `json:"id"` // pg-<pid> or my-<connection id>
	Protocol string `json:"protocol"`
	User     string `json:"user"`
	Database string `json:"database"`
	Client   string `json:"client"`
	// State is idle, idle in transaction or active.
	State string `json:"state"`
	// Statement is the last SQL text, its literals masked.
	Statement      string     `json:"statement,omitempty"`
	StatementSince *time.Time `json:"statement_since,omitempty"`
	Since          time.Time  `json:"since"`
}

//go:embed openapi.json
var openAPI []byte

//go:embed ui
var uiFiles embed.FS

// Handler returns the admin HTTP handler: /healthz, /readyz and /metrics
// open to all, /api/v1 behind admin tokens.
func Handler(gw Gateway, m *observe.Metrics, log *slog.Logger) http.Handler {
	a := &api{gw: gw, log: log}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, _ *http.Request) {
		ok, reason := gw.Ready()
		switch {
		case !ok:
			writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "unavailable", "reason": reason})
		case reason != "":
			// Serving, with a warning (the shared store is unreachable).
			writeJSON(w, http.StatusOK, map[string]string{"status": "degraded", "reason": reason})
		default:
			writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
		}
	})
	mux.Handle("GET /metrics", m.Handler())
	ui, _ := fs.Sub(uiFiles, "ui")
	files := http.StripPrefix("/ui/", http.FileServerFS(ui))
	mux.Handle("GET /ui/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// The page loads its own script and style only, and may not be
		// framed; the token it holds stays in this origin.
		w.Header().Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		w.Header().Set("Referrer-Policy", "no-referrer")
		files.ServeHTTP(w, r)
	}))
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/ui/", http.StatusFound)
	})
	mux.HandleFunc("GET /api/v1/openapi.json", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(openAPI)
	})
	for _, r := range a.routes() {
		mux.Handle(r.method+" "+r.path, a.guard(r))
	}
	for _, r := range a.profileRoutes() {
		mux.Handle(r.method+" "+r.path, a.guard(r))
	}
	mux.HandleFunc("/api/", func(w http.ResponseWriter, r *http.Request) {
		if methods := allowed(a.routes(), r.URL.Path); len(methods) > 0 {
			w.Header().Set("Allow", strings.Join(methods, ", "))
			writeError(w, http.StatusMethodNotAllowed, "method_not_allowed", r.Method+" is not allowed on "+r.URL.Path+"; use "+strings.Join(methods, " or "))
			return
		}
		writeError(w, http.StatusNotFound, "not_found", "no such endpoint: "+r.Method+" "+r.URL.Path)
	})
	return mux
}

type route struct {
	method, path string
	scope        string
	// change: the call changes something and is audited.
	change bool
	h      func(w http.ResponseWriter, r *http.Request, p Principal)
}

type api struct {
	gw  Gateway
	log *slog.Logger
}

func (a *api) routes() []route {
	return append(append(a.userRoutes(), a.cacheRoutes()...), []route{
		{"GET", "/api/v1/whoami", ScopeRead, false, func(w http.ResponseWriter, _ *http.Request, p Principal) {
			writeJSON(w, http.StatusOK, p)
		}},
		{"GET", "/api/v1/backends", ScopeRead, false, func(w http.ResponseWriter, _ *http.Request, _ Principal) {
			writeJSON(w, http.StatusOK, map[string]any{"backends": a.gw.Backends()})
		}},
		{"GET", "/api/v1/pools", ScopeRead, false, func(w http.ResponseWriter, _ *http.Request, _ Principal) {
			writeJSON(w, http.StatusOK, map[string]any{"pools": a.gw.Pools()})
		}},
		{"GET", "/api/v1/secrets", ScopeRead, false, func(w http.ResponseWriter, _ *http.Request, _ Principal) {
			writeJSON(w, http.StatusOK, map[string]any{"secrets": a.gw.Secrets()})
		}},
		{"GET", "/api/v1/leases", ScopeRead, false, func(w http.ResponseWriter, _ *http.Request, _ Principal) {
			var leases any = []any{}
			if l, ok := a.gw.(LeaseLister); ok {
				leases = l.Leases()
			}
			writeJSON(w, http.StatusOK, map[string]any{"leases": leases})
		}},
		{"GET", "/api/v1/cdc", ScopeRead, false, func(w http.ResponseWriter, _ *http.Request, _ Principal) {
			var streams any = []any{}
			if l, ok := a.gw.(CDCLister); ok {
				streams = l.CDC()
			}
			writeJSON(w, http.StatusOK, map[string]any{"cdc": streams})
		}},
		{"GET", "/api/v1/sessions", ScopeRead, false, func(w http.ResponseWriter, _ *http.Request, _ Principal) {
			writeJSON(w, http.StatusOK, map[string]any{"sessions": a.gw.Sessions()})
		}},
		{"POST", "/api/v1/sessions/{id}/cancel", ScopeAdmin, true, func(w http.ResponseWriter, r *http.Request, _ Principal) {
			a.sessionAction(w, r, a.gw.CancelSession, "cancelled")
		}},
		{"POST", "/api/v1/sessions/{id}/kill", ScopeAdmin, true, func(w http.ResponseWriter, r *http.Request, _ Principal) {
			a.sessionAction(w, r, a.gw.KillSession, "killed")
		}},
		{"GET", "/api/v1/denials", ScopeRead, false, func(w http.ResponseWriter, r *http.Request, _ Principal) {
			limit, ok := intParam(w, r, "limit", 100, 10000)
			if !ok {
				return
			}
			ds, total := a.gw.Denials(limit)
			if ds == nil {
				ds = []observe.Denial{}
			}
			writeJSON(w, http.StatusOK, map[string]any{"denials": ds, "total": total})
		}},
		{"GET", "/api/v1/slow", ScopeRead, false, func(w http.ResponseWriter, r *http.Request, _ Principal) {
			limit, ok := intParam(w, r, "limit", 100, 10000)
			if !ok {
				return
			}
			var slow any = []any{}
			if l, ok := a.gw.(SlowLister); ok {
				slow = l.Slow(r.URL.Query().Get("database"), limit)
			}
			writeJSON(w, http.StatusOK, map[string]any{"slow": slow})
		}},
		{"GET", "/api/v1/stats", ScopeRead, false, func(w http.ResponseWriter, _ *http.Request, _ Principal) {
			writeJSON(w, http.StatusOK, a.gw.Stats())
		}},
		{"GET", "/api/v1/queries", ScopeRead, false, func(w http.ResponseWriter, r *http.Request, _ Principal) {
			limit, ok := intParam(w, r, "limit", 20, 1000)
			if !ok {
				return
			}
			sort := r.URL.Query().Get("sort")
			switch sort {
			case "":
				sort = "total"
			case "total", "count", "errors", "mean", "p99":
			default:
				writeError(w, http.StatusBadRequest, "bad_request", "sort: want total, count, errors, mean or p99")
				return
			}
			qs := a.gw.TopQueries(limit, sort)
			if qs == nil {
				qs = []observe.QueryStat{}
			}
			writeJSON(w, http.StatusOK, map[string]any{"queries": qs, "sort": sort})
		}},
		{"GET", "/api/v1/advice", ScopeRead, false, a.serveAdvice},
		{"POST", "/api/v1/reload", ScopeAdmin, true, func(w http.ResponseWriter, r *http.Request, _ Principal) {
			if err := a.gw.Reload(r.Context()); err != nil {
				writeError(w, http.StatusUnprocessableEntity, "invalid_config", err.Error())
				return
			}
			writeJSON(w, http.StatusOK, map[string]string{"status": "reloaded"})
		}},
		{"POST", "/api/v1/drain", ScopeAdmin, true, func(w http.ResponseWriter, _ *http.Request, _ Principal) {
			a.gw.SetDrained(true)
			writeJSON(w, http.StatusOK, map[string]string{"status": "drained"})
		}},
		{"POST", "/api/v1/undrain", ScopeAdmin, true, func(w http.ResponseWriter, _ *http.Request, _ Principal) {
			a.gw.SetDrained(false)
			writeJSON(w, http.StatusOK, map[string]string{"status": "serving"})
		}},
	}...)
}

// profileRoutes serve the Go runtime's profiles (net/http/pprof) under
// /debug/pprof/ to admin-scope callers only: a profile shows memory
// contents and call stacks. The command line is not served. They are outside the versioned API and its
// OpenAPI document; reads are not audited (break-glass use is, as for
// every route).
func (a *api) profileRoutes() []route {
	wrap := func(h http.HandlerFunc) func(http.ResponseWriter, *http.Request, Principal) {
		return func(w http.ResponseWriter, r *http.Request, _ Principal) { h(w, r) }
	}
	return []route{
		{"GET", "/debug/pprof/", ScopeAdmin, false, wrap(pprof.Index)},
		{"GET", "/debug/pprof/profile", ScopeAdmin, false, wrap(pprof.Profile)},
		{"GET", "/debug/pprof/symbol", ScopeAdmin, false, wrap(pprof.Symbol)},
		{"POST", "/debug/pprof/symbol", ScopeAdmin, false, wrap(pprof.Symbol)},
		{"GET", "/debug/pprof/trace", ScopeAdmin, false, wrap(pprof.Trace)},
	}
}

// intParam reads a numeric query parameter between 1 and most; a bad one
// is answered with 400.
func intParam(w http.ResponseWriter, r *http.Request, name string, def, most int) (int, bool) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return def, true
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > most {
		writeError(w, http.StatusBadRequest, "bad_request", name+": want a number from 1 to "+strconv.Itoa(most))
		return 0, false
	}
	return n, true
}

func (a *api) sessionAction(w http.ResponseWriter, r *http.Request, act func(string) bool, done string) {
	id := r.PathValue("id")
	if !act(id) {
		writeError(w, http.StatusNotFound, "not_found", "no session "+strconv.Quote(id))
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"id": id, "status": done})
}

// guard authenticates the caller, checks the route's scope, and audits
// changes (and every use of the break-glass credential).
func (a *api) guard(rt route) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tokens := a.gw.Tokens()
		tok := bearer(r)
		p, ok := tokens.Lookup(tok)
		if o := a.gw.OIDC(); !ok && o != nil && authn.LooksLikeJWT(tok) {
			id, err := o.Verify(r.Context(), tok)
			switch {
			case errors.Is(err, authn.ErrOIDCUnavailable):
				a.log.Warn("OpenID Connect issuer unreachable", "error", err.Error())
				writeError(w, http.StatusServiceUnavailable, "unavailable", "the identity provider cannot be reached to check the token; retry shortly")
				return
			case err == nil:
				p, ok = Principal{Name: "oidc:" + id.Username, Scopes: o.AdminScopes(id)}, true
			}
		}
		if !ok {
			msg := "an admin token is required (Authorization: Bearer …)"
			if tok != "" {
				msg = "this admin token is not valid"
			}
			if tokens.Empty() && a.gw.OIDC() == nil {
				msg = "no admin tokens are configured (admin.tokens); the admin API is closed"
			}
			w.Header().Set("WWW-Authenticate", `Bearer realm="floe-admin"`)
			writeError(w, http.StatusUnauthorized, "unauthorized", msg)
			return
		}
		if p.BreakGlass {
			a.log.Error("break-glass admin credential used", "method", r.Method, "path", r.URL.Path, "remote", r.RemoteAddr)
		}
		if !p.Can(rt.scope) {
			a.audit(p, r, http.StatusForbidden)
			writeError(w, http.StatusForbidden, "forbidden", "token "+strconv.Quote(p.Name)+" lacks the "+rt.scope+" scope")
			return
		}
		sw := &statusWriter{ResponseWriter: w, code: http.StatusOK}
		rt.h(sw, r, p)
		if rt.change || p.BreakGlass {
			a.audit(p, r, sw.code)
		}
	})
}

func (a *api) audit(p Principal, r *http.Request, code int) {
	f := map[string]any{"actor": p.Name, "method": r.Method, "path": r.URL.Path, "remote": r.RemoteAddr, "status": code}
	if p.BreakGlass {
		f["break_glass"] = true
	}
	a.gw.AuditAdmin(f)
}

type statusWriter struct {
	http.ResponseWriter
	code int
}

func (w *statusWriter) WriteHeader(code int) {
	w.code = code
	w.ResponseWriter.WriteHeader(code)
}

// Error is the body of every error answer: {"error": {"code", "message"}}.
type Error struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

func writeError(w http.ResponseWriter, status int, code, msg string) {
	writeJSON(w, status, map[string]Error{"error": {Code: code, Message: msg}})
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}

// allowed lists the methods routes accept for path (nil: no such path).
func allowed(routes []route, path string) []string {
	var out []string
	for _, rt := range routes {
		if pathMatches(rt.path, path) {
			out = append(out, rt.method)
		}
	}
	return out
}

// pathMatches matches a route pattern ({name} is one segment) to a path.
func pathMatches(pattern, path string) bool {
	ps, xs := strings.Split(pattern, "/"), strings.Split(path, "/")
	if len(ps) != len(xs) {
		return false
	}
	for i := range ps {
		if !(strings.HasPrefix(ps[i], "{") && xs[i] != "") && ps[i] != xs[i] {
			return false
		}
	}
	return true
}
