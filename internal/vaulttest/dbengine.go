package vaulttest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	// The drivers the engine's roles run their statements with.
	_ "github.com/go-sql-driver/mysql"
	_ "github.com/jackc/pgx/v5/stdlib"
)

// DBRole is a role of the fake database secrets engine. Reading
// <mount>/creds/<role> runs Creation on the real server (as Vault's
// database plugins do), with {{name}}, {{password}} and {{expiration}}
// replaced, and leases the login; revoking the lease runs Revocation
// with {{name}}.
type DBRole struct {
	// Driver is the database/sql driver: pgx or mysql.
	Driver string
	// DSN is the engine's own (administrative) connection.
	DSN        string
	Creation   []string
	Revocation []string
	// TTL is the lease's duration and renewal increment; MaxTTL caps
	// the lease's whole life (0: no cap). Both are whole seconds.
	TTL, MaxTTL time.Duration
	// NotRenewable leases credentials that cannot be renewed.
	NotRenewable bool
}

// Lease is a lease of the fake engine as tests inspect it.
type Lease struct {
	ID       string
	Path     string
	Username string
	// Password is kept for tests that check it is never shown.
	Password string
	Expires  time.Time
	Renewals int
	Revoked  bool
}

type dbRole struct {
	DBRole
	db *sql.DB
}

type lease struct {
	Lease
	role    *dbRole
	maxEnds time.Time
}

// AddDBRole serves the engine role role under mount; its connection
// closes, and every lease still live is revoked (its login dropped),
// when the test ends.
func (s *Server) AddDBRole(t testing.TB, mount, role string, r DBRole) {
	t.Helper()
	db, err := sql.Open(r.Driver, r.DSN)
	if err != nil {
		t.Fatal(err)
	}
	db.SetMaxOpenConns(2)
	t.Cleanup(func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		for _, l := range s.leases {
			if l.role.db == db && !l.Revoked {
				if err := s.revokeLocked(l); err != nil {
					t.Errorf("vaulttest: revoking %s: %v", l.Username, err)
				}
			}
		}
		_ = db.Close()
	})
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.dbRoles == nil {
		s.dbRoles = map[string]*dbRole{}
		s.leases = map[string]*lease{}
	}
	s.dbRoles[mount+"/creds/"+role] = &dbRole{DBRole: r, db: db}
}

// SetDown makes every request fail with 503 (a sealed or unreachable
// Vault) until it is called with false.
func (s *Server) SetDown(down bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.down = down
}

// Leases lists the engine's leases, oldest first.
func (s *Server) Leases() []Lease {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Lease, 0, len(s.leaseOrder))
	for _, id := range s.leaseOrder {
		out = append(out, s.leases[id].Lease)
	}
	return out
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// serveDB answers the database engine's paths; false when r is not one.
func (s *Server) serveDB(w http.ResponseWriter, r *http.Request) bool {
	path := strings.TrimPrefix(r.URL.Path, "/v1/")
	if role, ok := s.dbRoles[path]; ok && r.Method == http.MethodGet {
		s.issueLocked(w, r.Context(), path, role)
		return true
	}
	var body struct {
		LeaseID   string `json:"lease_id"`
		Increment int    `json:"increment"`
	}
	switch {
	case r.Method == http.MethodPut && path == "sys/leases/renew":
		if json.NewDecoder(r.Body).Decode(&body) != nil {
			fail(w, http.StatusBadRequest, "invalid request")
			return true
		}
		s.renewLocked(w, body.LeaseID, body.Increment)
		return true
	case r.Method == http.MethodPut && path == "sys/leases/revoke":
		if json.NewDecoder(r.Body).Decode(&body) != nil {
			fail(w, http.StatusBadRequest, "invalid request")
			return true
		}
		l, ok := s.leases[body.LeaseID]
		if ok && !l.Revoked {
			if err := s.revokeLocked(l); err != nil {
				fail(w, http.StatusInternalServerError, "failed to revoke entry: "+err.Error())
				return true
			}
		}
		w.WriteHeader(http.StatusNoContent)
		return true
	}
	return false
}

func (s *Server) issueLocked(w http.ResponseWriter, ctx context.Context, path string, role *dbRole) {
	now := time.Now()
	name := "v-" + strings.ReplaceAll(path[strings.LastIndex(path, "/")+1:], "-", "_")
	if len(name) > 24 {
		name = name[:24]
	}
	name += "-" + randomHex(4)
	password := "A1a-" + randomHex(12)
	expires := now.Add(role.TTL)
	for _, st := range role.Creation {
		st = strings.NewReplacer("{{name}}", name, "{{password}}", password,
			"{{expiration}}", expires.UTC().Format("2006-01-02 15:04:05-0700")).Replace(st)
		if _, err := role.db.ExecContext(ctx, st); err != nil {
			fail(w, http.StatusInternalServerError, "creating the login failed")
			return
		}
	}
	l := &lease{Lease: Lease{ID: path + "/" + randomHex(8), Path: path, Username: name, Password: password, Expires: expires}, role: role}
	if role.MaxTTL > 0 {
		l.maxEnds = now.Add(role.MaxTTL)
	}
	s.leases[l.ID] = l
	s.leaseOrder = append(s.leaseOrder, l.ID)
	_ = json.NewEncoder(w).Encode(map[string]any{
		"request_id": "r", "lease_id": l.ID, "renewable": !role.NotRenewable, "lease_duration": int(role.TTL.Seconds()),
		"data": map[string]any{"username": name, "password": password},
	})
}

func (s *Server) renewLocked(w http.ResponseWriter, id string, increment int) {
	l, ok := s.leases[id]
	now := time.Now()
	if !ok || l.Revoked || now.After(l.Expires) {
		fail(w, http.StatusBadRequest, "lease not found")
		return
	}
	if l.role.NotRenewable {
		fail(w, http.StatusBadRequest, "lease is not renewable")
		return
	}
	d := l.role.TTL
	if increment > 0 {
		d = time.Duration(increment) * time.Second
	}
	var warnings []string
	if !l.maxEnds.IsZero() && now.Add(d).After(l.maxEnds) {
		d = l.maxEnds.Sub(now).Truncate(time.Second)
		warnings = append(warnings, "TTL exceeded the effective max_ttl; TTL value is capped accordingly")
	}
	l.Expires = now.Add(d)
	l.Renewals++
	_ = json.NewEncoder(w).Encode(map[string]any{
		"request_id": "r", "lease_id": l.ID, "renewable": true, "lease_duration": int(d.Seconds()), "warnings": warnings,
	})
}

func (s *Server) revokeLocked(l *lease) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for _, st := range l.role.Revocation {
		if _, err := l.role.db.ExecContext(ctx, strings.ReplaceAll(st, "{{name}}", l.Username)); err != nil {
			return fmt.Errorf("%s: %w", strings.ReplaceAll(st, "{{name}}", l.Username), err)
		}
	}
	l.Revoked = true
	return nil
}
