package vaulttest

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Server is a fake Vault.
type Server struct {
	URL string

	mu       sync.Mutex
	tokens   map[string]bool
	roles    map[string]string // role id -> secret id
	versions map[string][]map[string]string
	reads    int
	down     bool
	// The database secrets engine (dbengine.go).
	dbRoles    map[string]*dbRole // by <mount>/creds/<role>
	leases     map[string]*lease
	leaseOrder []string
}

// New starts a server that accepts token and stops with the test.
func New(t testing.TB, token string) *Server {
	s := &Server{tokens: map[string]bool{token: true}, roles: map[string]string{}, versions: map[string][]map[string]string{}}
	srv := httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(srv.Close)
	s.URL = srv.URL
	return s
}

// Put stores a new version of the secret at path.
func (s *Server) Put(path string, data map[string]string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.versions[path] = append(s.versions[path], data)
}

// AddAppRole lets roleID with secretID log in.
func (s *Server) AddAppRole(roleID, secretID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.roles[roleID] = secretID
}

// Reads counts the secret reads served.
func (s *Server) Reads() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.reads
}

func fail(w http.ResponseWriter, code int, msg ...string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	if msg == nil {
		msg = []string{}
	}
	_ = json.NewEncoder(w).Encode(map[string]any{"errors": msg})
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	if s.down {
		fail(w, http.StatusServiceUnavailable, "Vault is sealed")
		return
	}
	if (r.Method == http.MethodPost || r.Method == http.MethodPut) && r.URL.Path == "/v1/auth/approle/login" {
		var body struct {
			RoleID   string `json:"role_id"`
			SecretID string `json:"secret_id"`
		}
		if json.NewDecoder(r.Body).Decode(&body) != nil || s.roles[body.RoleID] == "" || s.roles[body.RoleID] != body.SecretID {
			fail(w, http.StatusBadRequest, "invalid role or secret ID")
			return
		}
		tok := "s.approle-" + strconv.Itoa(len(s.tokens))
		s.tokens[tok] = true
		_ = json.NewEncoder(w).Encode(map[string]any{"auth": map[string]any{
			"client_token": tok, "accessor": "acc", "policies": []string{"default"}, "lease_duration": 3600, "renewable": true}})
		return
	}
	if !s.tokens[r.Header.Get("X-Vault-Token")] {
		fail(w, http.StatusForbidden, "permission denied")
		return
	}
	if s.serveDB(w, r) {
		return
	}
	path, ok := strings.CutPrefix(r.URL.Path, "/v1/secret/data/")
	if !ok || r.Method != http.MethodGet {
		fail(w, http.StatusNotFound)
		return
	}
	vs := s.versions[path]
	n := len(vs)
	if v := r.URL.Query().Get("version"); v != "" {
		n, _ = strconv.Atoi(v)
	}
	if n < 1 || n > len(vs) {
		fail(w, http.StatusNotFound)
		return
	}
	s.reads++
	data := map[string]any{}
	for k, v := range vs[n-1] {
		data[k] = v
	}
	_ = json.NewEncoder(w).Encode(map[string]any{
		"request_id": "r", "lease_id": "", "renewable": false, "lease_duration": 0,
		"data": map[string]any{"data": data, "metadata": map[string]any{
			"created_time": time.Now().UTC().Format(time.RFC3339Nano), "deletion_time": "", "destroyed": false, "version": n}},
	})
}
