package secrettest

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
)

// Infisical is a fake Infisical server: universal-auth login and
// GET /api/v3/secrets/raw/NAME.
type Infisical struct {
	URL                    string
	ClientID, ClientSecret string
	ProjectID, Environment string
	s                      *store
}

const infisicalToken = "inf-access-token"

// NewInfisical starts a fake Infisical server.
func NewInfisical(t testing.TB) *Infisical {
	f := &Infisical{ClientID: "floe-machine-identity", ClientSecret: "floe-universal-auth-secret", ProjectID: "floe-project", Environment: "prod",
		s: newStore(strconv.Itoa)}
	srv := httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(srv.Close)
	f.URL = srv.URL
	return f
}

// Put adds a version of the secret at path (/folder/NAME) and returns
// its version number.
func (f *Infisical) Put(path, value string) string {
	return f.s.put("/"+strings.Trim(path, "/"), value)
}

// Reads counts the values served.
func (f *Infisical) Reads() int { return f.s.count() }

func infisicalError(w http.ResponseWriter, code int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(map[string]any{"statusCode": code, "message": msg})
}

func (f *Infisical) serve(w http.ResponseWriter, r *http.Request) {
	switch {
	case r.Method == http.MethodPost && r.URL.Path == "/api/v1/auth/universal-auth/login":
		var in struct{ ClientID, ClientSecret string }
		if json.NewDecoder(r.Body).Decode(&in) != nil || in.ClientID != f.ClientID || in.ClientSecret != f.ClientSecret {
			infisicalError(w, http.StatusUnauthorized, "Invalid credentials")
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"accessToken": infisicalToken, "expiresIn": 7200, "accessTokenMaxTTL": 7200, "tokenType": "Bearer"})
	case r.Method == http.MethodGet && strings.HasPrefix(r.URL.Path, "/api/v3/secrets/raw/"):
		if r.Header.Get("Authorization") != "Bearer "+infisicalToken {
			infisicalError(w, http.StatusUnauthorized, "Token missing or invalid")
			return
		}
		q := r.URL.Query()
		if q.Get("workspaceId") != f.ProjectID || q.Get("environment") != f.Environment {
			infisicalError(w, http.StatusNotFound, "Project or environment not found")
			return
		}
		name := strings.TrimPrefix(r.URL.Path, "/api/v3/secrets/raw/")
		dir := strings.TrimRight(q.Get("secretPath"), "/")
		v, ok := f.s.get(dir+"/"+name, q.Get("version"))
		if !ok {
			infisicalError(w, http.StatusNotFound, "Secret with name '"+name+"' not found")
			return
		}
		n, _ := strconv.Atoi(v.id)
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"secret": map[string]any{
			"id": "sec-" + v.id, "_id": "sec-" + v.id, "workspace": f.ProjectID, "environment": f.Environment,
			"version": n, "type": "shared", "secretKey": name, "secretValue": v.value, "secretComment": "",
		}})
	default:
		infisicalError(w, http.StatusNotFound, "no route")
	}
}
