package oidctest

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// Issuer is a test OpenID Connect issuer.
type Issuer struct {
	URL    string
	key    *rsa.PrivateKey
	forged *rsa.PrivateKey // same kid, not published
	t      testing.TB

	mu      sync.Mutex
	clients map[string]client  // by client id
	devices map[string]*device // by device code
}

// NewIssuer starts an issuer that stops when the test ends.
func NewIssuer(t testing.TB) *Issuer {
	t.Helper()
	gen := func() *rsa.PrivateKey {
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	iss := &Issuer{key: gen(), forged: gen(), t: t, clients: map[string]client{}, devices: map[string]*device{}}
	mux := http.NewServeMux()
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	iss.URL = srv.URL
	mux.HandleFunc("/.well-known/openid-configuration", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{
			"issuer": iss.URL, "jwks_uri": iss.URL + "/keys",
			"authorization_endpoint": iss.URL + "/auth", "token_endpoint": iss.URL + "/token",
			"device_authorization_endpoint":         iss.URL + "/device",
			"grant_types_supported":                 []string{"client_credentials", DeviceGrant},
			"id_token_signing_alg_values_supported": []string{"RS256"},
		})
	})
	mux.HandleFunc("/keys", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{
			{Key: &iss.key.PublicKey, KeyID: "k1", Algorithm: "RS256", Use: "sig"},
		}})
	})
	mux.HandleFunc("POST /device", iss.deviceAuthorization)
	mux.HandleFunc("GET /device/verify", iss.verify)
	mux.HandleFunc("POST /token", iss.tokenEndpoint)
	return iss
}

// Claims are a token's claims; Token fills iss, iat and (if unset) exp.
type Claims map[string]any

// Token signs claims with the published key.
func (i *Issuer) Token(t testing.TB, c Claims) string { return i.sign(t, i.key, c) }

// Forged signs claims with a key of the same id that is not published.
func (i *Issuer) Forged(t testing.TB, c Claims) string { return i.sign(t, i.forged, c) }

func (i *Issuer) sign(t testing.TB, key *rsa.PrivateKey, c Claims) string {
	t.Helper()
	sig, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: key},
		(&jose.SignerOptions{}).WithType("JWT").WithHeader("kid", "k1"))
	if err != nil {
		t.Fatal(err)
	}
	all := map[string]any{"iss": i.URL, "iat": time.Now().Unix(), "exp": time.Now().Add(time.Hour).Unix()}
	for k, v := range c {
		all[k] = v
	}
	raw, err := jwt.Signed(sig).Claims(all).Serialize()
	if err != nil {
		t.Fatal(err)
	}
	return raw
}
