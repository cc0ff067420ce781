package secrettest

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
)

// Azure is a fake Azure Key Vault with its Entra ID authority, both on
// one TLS server (URL) whose certificate authority is in CAFile. Point
// secrets.azure.vault_url and authority_host at URL.
type Azure struct {
	URL    string
	CAFile string
	// TenantID, ClientID and ClientSecret are the accepted service
	// principal.
	TenantID, ClientID, ClientSecret string
	s                                *store
	token                            string
}

// NewAzure starts a fake Key Vault and authority.
func NewAzure(t testing.TB) *Azure {
	tok := make([]byte, 16)
	_, _ = rand.Read(tok)
	f := &Azure{TenantID: "00000000-0000-4000-8000-00000000f10e", ClientID: "11111111-0000-4000-8000-00000000f10e",
		ClientSecret: "floe-azure-client-secret", token: "az-" + hex.EncodeToString(tok),
		s: newStore(func(n int) string { return fmt.Sprintf("%032x", n*0x1f10e) })}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(f.serve))
	srv.TLS, f.CAFile = testTLS(t)
	srv.StartTLS()
	t.Cleanup(srv.Close)
	f.URL = srv.URL
	return f
}

// Put adds a version of the secret name and returns its version id.
func (f *Azure) Put(name, value string) string { return f.s.put(name, value) }

// Reads counts the values served.
func (f *Azure) Reads() int { return f.s.count() }

func (f *Azure) json(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}

func (f *Azure) serve(w http.ResponseWriter, r *http.Request) {
	tenant := "/" + f.TenantID
	switch {
	case r.Method == http.MethodGet && r.URL.Path == tenant+"/v2.0/.well-known/openid-configuration":
		f.json(w, http.StatusOK, map[string]any{
			"token_endpoint":                        f.URL + tenant + "/oauth2/v2.0/token",
			"authorization_endpoint":                f.URL + tenant + "/oauth2/v2.0/authorize",
			"issuer":                                f.URL + tenant + "/v2.0",
			"jwks_uri":                              f.URL + tenant + "/discovery/v2.0/keys",
			"response_modes_supported":              []string{"query"},
			"subject_types_supported":               []string{"pairwise"},
			"id_token_signing_alg_values_supported": []string{"RS256"},
			"token_endpoint_auth_methods_supported": []string{"client_secret_post"},
			"tenant_region_scope":                   "EU",
		})
	case r.Method == http.MethodPost && r.URL.Path == tenant+"/oauth2/v2.0/token":
		_ = r.ParseForm()
		if r.PostForm.Get("grant_type") != "client_credentials" || r.PostForm.Get("client_id") != f.ClientID || r.PostForm.Get("client_secret") != f.ClientSecret {
			f.json(w, http.StatusUnauthorized, map[string]any{"error": "invalid_client", "error_description": "AADSTS7000215: Invalid client secret provided.", "error_codes": []int{7000215}})
			return
		}
		if !slices.Contains(strings.Fields(r.PostForm.Get("scope")), f.resource()+"/.default") {
			f.json(w, http.StatusBadRequest, map[string]any{"error": "invalid_scope", "error_description": "AADSTS70011: The provided value for scope is not valid."})
			return
		}
		f.json(w, http.StatusOK, map[string]any{"token_type": "Bearer", "expires_in": 3600, "ext_expires_in": 3600, "access_token": f.token})
	case r.Method == http.MethodGet && strings.HasPrefix(r.URL.Path, "/secrets/"):
		if r.Header.Get("Authorization") != "Bearer "+f.token {
			// Key Vault's challenge: where to sign in, for which resource.
			w.Header().Set("WWW-Authenticate", fmt.Sprintf(`Bearer authorization="%s%s", resource="%s"`, f.URL, tenant, f.resource()))
			f.json(w, http.StatusUnauthorized, map[string]any{"error": map[string]string{"code": "Unauthorized", "message": "AKV10000: Request is missing a Bearer or PoP token."}})
			return
		}
		name, ver, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/secrets/"), "/")
		v, ok := f.s.get(name, ver)
		if !ok {
			f.json(w, http.StatusNotFound, map[string]any{"error": map[string]string{"code": "SecretNotFound", "message": "A secret with (name/id) " + name + " was not found in this key vault."}})
			return
		}
		f.json(w, http.StatusOK, map[string]any{
			"value": v.value, "id": f.URL + "/secrets/" + name + "/" + v.id,
			"attributes": map[string]any{"enabled": true, "created": 1700000000, "updated": 1700000000, "recoveryLevel": "Recoverable+Purgeable"},
		})
	default:
		f.json(w, http.StatusNotFound, map[string]any{"error": map[string]string{"code": "NotFound", "message": "no route"}})
	}
}

// resource is the resource the challenge names. The SDK checks that the
// vault's host ends with "." and the resource's host (vault.azure.net
// for NAME.vault.azure.net); for a vault at 127.0.0.1:PORT that is
// 0.0.1:PORT.
func (f *Azure) resource() string {
	u, _ := url.Parse(f.URL)
	return "https://" + strings.TrimPrefix(u.Host, "127.")
}
