package admin

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"net/http"
	"slices"
	"strings"

	"github.com/floe-db/floe/internal/config"
)

// Scopes.
const (
	ScopeRead  = "read"
	ScopeAdmin = "admin"
)

// Principal is who called the admin API.
type Principal struct {
	Name   string   `json:"name"`
	Scopes []string `json:"scopes"`
	// BreakGlass marks the emergency credential.
	BreakGlass bool `json:"break_glass,omitempty"`
}

// Can reports whether p has scope (admin includes read).
func (p Principal) Can(scope string) bool {
	return slices.Contains(p.Scopes, ScopeAdmin) || slices.Contains(p.Scopes, scope)
}

// Tokens is the set of admin credentials in force, kept as hashes.
type Tokens struct {
	byHash map[string]Principal
}

// NewToken makes a random admin token.
func NewToken() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return "floe_" + base64.RawURLEncoding.EncodeToString(b), nil
}

// HashToken is the form a token is kept in: sha256:<hex>.
func HashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return "sha256:" + hex.EncodeToString(sum[:])
}

// NewTokens builds the credential set of an admin config: plaintext
// tokens are hashed here and not kept.
func NewTokens(cfg config.Admin) *Tokens {
	t := &Tokens{byHash: map[string]Principal{}}
	for _, tok := range cfg.Tokens {
		h := tok.Hash
		if tok.Token != "" {
			h = HashToken(tok.Token)
		}
		t.byHash[h] = Principal{Name: tok.Name, Scopes: slices.Clone(tok.Scopes)}
	}
	if bg := cfg.BreakGlass; bg.Enabled && bg.Hash != "" {
		t.byHash[bg.Hash] = Principal{Name: "break-glass", Scopes: []string{ScopeAdmin}, BreakGlass: true}
	}
	return t
}

// Empty reports whether no credential is configured.
func (t *Tokens) Empty() bool { return t == nil || len(t.byHash) == 0 }

// Lookup finds the principal of a bearer token. Tokens are compared by
// their SHA-256, so the time taken says nothing about the tokens kept.
func (t *Tokens) Lookup(token string) (Principal, bool) {
	if t == nil || token == "" {
		return Principal{}, false
	}
	p, ok := t.byHash[HashToken(token)]
	return p, ok
}

// bearer returns the token of an Authorization: Bearer header.
func bearer(r *http.Request) string {
	h := r.Header.Get("Authorization")
	if len(h) > 7 && strings.EqualFold(h[:7], "bearer ") {
		return strings.TrimSpace(h[7:])
	}
	return ""
}
