package admin

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"regexp"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/floe-db/floe/internal/config"
	"github.com/floe-db/floe/internal/policy"
)

// Errors the Gateway's edits return, translated to HTTP statuses here.
var (
	// ErrConflict: the edit cannot apply (no shared store; the name is
	// the configuration file's): 409.
	ErrConflict = errors.New("conflict")
	// ErrInvalid: the result would not be a valid configuration: 422.
	ErrInvalid = errors.New("invalid")
	// ErrNotFound: nothing of that name in the store: 404.
	ErrNotFound = errors.New("not found")
)

// UserInfo is a gateway user as the API shows it: never a secret.
type UserInfo struct {
	Name      string   `json:"name"`
	Roles     []string `json:"roles"`
	Databases []string `json:"databases"`
	// Source is file (the configuration file) or store (the shared store).
	Source string `json:"source"`
}

// UserSpec is the body of PUT /api/v1/users/{name}. Password (or a SCRAM
// verifier) is required for a new user and optional for an existing one;
// it is kept only as a verifier.
type UserSpec struct {
	Password  string   `json:"password,omitempty"`
	SCRAM     string   `json:"scram,omitempty"`
	Roles     []string `json:"roles"`
	Databases []string `json:"databases,omitempty"`
}

// DatabaseInfo is a logical database as the API shows it: DSNs with their
// passwords replaced (file) or as stored, with references (store).
type DatabaseInfo struct {
	Name     string   `json:"name"`
	Kind     string   `json:"kind"`
	Primary  string   `json:"primary,omitempty"`
	Replicas []string `json:"replicas"`
	Path     string   `json:"path,omitempty"`
	PoolMode string   `json:"pool_mode"`
	PoolSize int      `json:"pool_size"`
	Source   string   `json:"source"`
}

// RoleInfo is a role with where it is defined.
type RoleInfo struct {
	config.Role
	Source string `json:"source"`
}

// Editor is the part of Gateway that edits users and roles in the shared
// store.
type Editor interface {
	Users() []UserInfo
	PutUser(ctx context.Context, name string, spec UserSpec) error
	DeleteUser(ctx context.Context, name string) error
	Roles() []RoleInfo
	PutRole(ctx context.Context, name string, r config.Role) error
	DeleteRole(ctx context.Context, name string) error
	// Rules lists a rule list's entries (masking, limits,
	// firewall_overrides, network) from the file and from the store; PutRules
	// replaces the store's with a JSON array.
	Rules(kind string) (file, store any, ok bool)
	// Databases lists the file's and the store's databases, without
	// secrets; PutDatabase and DeleteDatabase edit the store's.
	// Allowlist is the firewall's allow-list of this instance (false:
	// none is configured); Forget removes an entry.
	Allowlist() ([]policy.Entry, bool)
	Forget(user, database, fingerprint string) (found, ok bool)
	Databases() []DatabaseInfo
	PutDatabase(ctx context.Context, name string, db config.Database) error
	DeleteDatabase(ctx context.Context, name string) error
	PutRules(ctx context.Context, kind string, rules json.RawMessage) error
}

var validName = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.@-]{0,62}$`)

func (a *api) userRoutes() []route {
	return slices.Concat([]route{
		{"GET", "/api/v1/users", ScopeRead, false, func(w http.ResponseWriter, _ *http.Request, _ Principal) {
			writeJSON(w, http.StatusOK, map[string]any{"users": a.gw.Users()})
		}},
		{"PUT", "/api/v1/users/{name}", ScopeAdmin, true, func(w http.ResponseWriter, r *http.Request, _ Principal) {
			var spec UserSpec
			name, ok := nameAndBody(w, r, &spec)
			if !ok {
				return
			}
			if spec.Password != "" && len(spec.Password) < 8 {
				writeError(w, http.StatusUnprocessableEntity, "invalid", "password: at least 8 characters")
				return
			}
			editResult(w, a.gw.PutUser(r.Context(), name, spec), map[string]string{"name": name, "status": "saved"})
		}},
		{"DELETE", "/api/v1/users/{name}", ScopeAdmin, true, func(w http.ResponseWriter, r *http.Request, _ Principal) {
			name := r.PathValue("name")
			editResult(w, a.gw.DeleteUser(r.Context(), name), map[string]string{"name": name, "status": "deleted"})
		}},
		{"GET", "/api/v1/roles", ScopeRead, false, func(w http.ResponseWriter, _ *http.Request, _ Principal) {
			writeJSON(w, http.StatusOK, map[string]any{"roles": a.gw.Roles()})
		}},
		{"PUT", "/api/v1/roles/{name}", ScopeAdmin, true, func(w http.ResponseWriter, r *http.Request, _ Principal) {
			var role config.Role
			name, ok := nameAndBody(w, r, &role)
			if !ok {
				return
			}
			editResult(w, a.gw.PutRole(r.Context(), name, role), map[string]string{"name": name, "status": "saved"})
		}},
		{"DELETE", "/api/v1/roles/{name}", ScopeAdmin, true, func(w http.ResponseWriter, r *http.Request, _ Principal) {
			name := r.PathValue("name")
			editResult(w, a.gw.DeleteRole(r.Context(), name), map[string]string{"name": name, "status": "deleted"})
		}},
		{"GET", "/api/v1/databases", ScopeRead, false, func(w http.ResponseWriter, _ *http.Request, _ Principal) {
			writeJSON(w, http.StatusOK, map[string]any{"databases": a.gw.Databases()})
		}},
		{"PUT", "/api/v1/databases/{name}", ScopeAdmin, true, func(w http.ResponseWriter, r *http.Request, _ Principal) {
			name := r.PathValue("name")
			if !validName.MatchString(name) {
				writeError(w, http.StatusBadRequest, "bad_request", "name: letters, digits and _ . @ - (at most 63)")
				return
			}
			// The body is JSON, read with the configuration file's YAML
			// decoder (JSON is YAML): the same keys, durations as "5s".
			raw, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
			var db config.Database
			if err == nil {
				dec := yaml.NewDecoder(bytes.NewReader(raw))
				dec.KnownFields(true)
				err = dec.Decode(&db)
			}
			if err != nil {
				writeError(w, http.StatusBadRequest, "bad_request", "body: "+strings.TrimPrefix(err.Error(), "yaml: "))
				return
			}
			editResult(w, a.gw.PutDatabase(r.Context(), name, db), map[string]string{"name": name, "status": "saved"})
		}},
		{"DELETE", "/api/v1/databases/{name}", ScopeAdmin, true, func(w http.ResponseWriter, r *http.Request, _ Principal) {
			name := r.PathValue("name")
			editResult(w, a.gw.DeleteDatabase(r.Context(), name), map[string]string{"name": name, "status": "deleted"})
		}},
		{"GET", "/api/v1/firewall/allowlist", ScopeRead, false, func(w http.ResponseWriter, r *http.Request, _ Principal) {
			es, ok := a.gw.Allowlist()
			if !ok {
				writeError(w, http.StatusNotFound, "not_found", "no firewall allow-list is configured (firewall.allowlist)")
				return
			}
			q := r.URL.Query()
			out := []policy.Entry{}
			for _, e := range es {
				if (q.Get("user") == "" || e.User == q.Get("user")) && (q.Get("database") == "" || e.Database == q.Get("database")) {
					out = append(out, e)
				}
			}
			writeJSON(w, http.StatusOK, map[string]any{"entries": out})
		}},
		{"DELETE", "/api/v1/firewall/allowlist", ScopeAdmin, true, func(w http.ResponseWriter, r *http.Request, _ Principal) {
			q := r.URL.Query()
			user, db, fp := q.Get("user"), q.Get("database"), q.Get("fingerprint")
			if user == "" || db == "" || fp == "" {
				writeError(w, http.StatusBadRequest, "bad_request", "user, database and fingerprint are required")
				return
			}
			found, ok := a.gw.Forget(user, db, fp)
			switch {
			case !ok:
				writeError(w, http.StatusNotFound, "not_found", "no firewall allow-list is configured (firewall.allowlist)")
			case !found:
				writeError(w, http.StatusNotFound, "not_found", "no such entry")
			default:
				writeJSON(w, http.StatusOK, map[string]string{"status": "deleted"})
			}
		}},
	}, a.ruleRoutes("masking", "/api/v1/masking"), a.ruleRoutes("limits", "/api/v1/limits"),
		a.ruleRoutes("firewall_overrides", "/api/v1/firewall/overrides"), a.ruleRoutes("network", "/api/v1/network"))
}

// ruleRoutes serve one rule list: GET shows the file's and the store's
// entries, PUT {"rules": […]} replaces the store's.
func (a *api) ruleRoutes(kind, path string) []route {
	return []route{
		{"GET", path, ScopeRead, false, func(w http.ResponseWriter, _ *http.Request, _ Principal) {
			file, store, _ := a.gw.Rules(kind)
			writeJSON(w, http.StatusOK, map[string]any{"file": file, "store": store})
		}},
		{"PUT", path, ScopeAdmin, true, func(w http.ResponseWriter, r *http.Request, _ Principal) {
			var body struct {
				Rules json.RawMessage `json:"rules"`
			}
			dec := json.NewDecoder(io.LimitReader(r.Body, 1<<20))
			dec.DisallowUnknownFields()
			if err := dec.Decode(&body); err != nil || len(body.Rules) == 0 {
				writeError(w, http.StatusBadRequest, "bad_request", `body: want {"rules": […]}`)
				return
			}
			editResult(w, a.gw.PutRules(r.Context(), kind, body.Rules), map[string]string{"status": "saved"})
		}},
	}
}

// nameAndBody reads the {name} of the path and a JSON body (at most
// 1 MiB, no unknown fields); a bad one is answered.
func nameAndBody(w http.ResponseWriter, r *http.Request, into any) (string, bool) {
	name := r.PathValue("name")
	if !validName.MatchString(name) {
		writeError(w, http.StatusBadRequest, "bad_request", "name: letters, digits and _ . @ - (at most 63)")
		return "", false
	}
	dec := json.NewDecoder(io.LimitReader(r.Body, 1<<20))
	dec.DisallowUnknownFields()
	if err := dec.Decode(into); err != nil {
		writeError(w, http.StatusBadRequest, "bad_request", "body: "+strings.TrimPrefix(err.Error(), "json: "))
		return "", false
	}
	return name, true
}

func editResult(w http.ResponseWriter, err error, ok any) {
	switch {
	case err == nil:
		writeJSON(w, http.StatusOK, ok)
	case errors.Is(err, ErrNotFound):
		writeError(w, http.StatusNotFound, "not_found", "nothing of that name in the shared store")
	case errors.Is(err, ErrConflict):
		writeError(w, http.StatusConflict, "conflict", err.Error())
	case errors.Is(err, ErrInvalid):
		writeError(w, http.StatusUnprocessableEntity, "invalid", err.Error())
	default:
		writeError(w, http.StatusServiceUnavailable, "unavailable", "the shared store could not be changed: "+err.Error())
	}
}
