package secrettest

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"hash/crc32"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// GCP is a fake Google Cloud Secret Manager (REST v1
// projects.secrets.versions.access) with the OAuth token endpoint of a
// service account. CredentialsFile is a service account key it
// accepts; Endpoint goes in secrets.gcp.endpoint.
type GCP struct {
	URL             string
	CredentialsFile string
	Email           string
	key             *rsa.PrivateKey
	token           string
	s               *store
}

// NewGCP starts a fake Secret Manager and writes a service account key
// for it.
func NewGCP(t testing.TB) *GCP {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	tok := make([]byte, 16)
	_, _ = rand.Read(tok)
	f := &GCP{Email: "floe-reader@floe-test.iam.gserviceaccount.com", key: key, token: "ya29.floe-" + hex.EncodeToString(tok), s: newStore(strconv.Itoa)}
	srv := httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(srv.Close)
	f.URL = srv.URL
	f.CredentialsFile = f.WriteCredentials(t, key)
	return f
}

// WriteCredentials writes a service account key file for this server's
// account signed with key (another key than the server's is refused).
func (f *GCP) WriteCredentials(t testing.TB, key *rsa.PrivateKey) string {
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(map[string]string{
		"type": "service_account", "project_id": "floe-test", "private_key_id": "floe-test-key",
		"private_key":  string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})),
		"client_email": f.Email, "client_id": "100000000000000000001",
		"auth_uri": f.URL + "/auth", "token_uri": f.URL + "/token", "universe_domain": "googleapis.com",
	})
	path := filepath.Join(t.TempDir(), "sa.json")
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// Put adds a version of the secret projects/P/secrets/S and returns its
// number.
func (f *GCP) Put(name, value string) string { return f.s.put(name, value) }

// Reads counts the values served.
func (f *GCP) Reads() int { return f.s.count() }

func gcpError(w http.ResponseWriter, code int, status, msg string) {
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(map[string]any{"error": map[string]any{"code": code, "message": msg, "status": status}})
}

// signedByKey reports whether jwt is an RS256 token of the account
// signed with the server's key.
func (f *GCP) signedByKey(jwt string) bool {
	parts := strings.Split(jwt, ".")
	if len(parts) != 3 {
		return false
	}
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil {
		return false
	}
	sum := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	if rsa.VerifyPKCS1v15(&f.key.PublicKey, crypto.SHA256, sum[:], sig) != nil {
		return false
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return false
	}
	var claims struct {
		Iss string `json:"iss"`
	}
	return json.Unmarshal(payload, &claims) == nil && claims.Iss == f.Email
}

func (f *GCP) serve(w http.ResponseWriter, r *http.Request) {
	switch {
	case r.Method == http.MethodPost && r.URL.Path == "/token":
		_ = r.ParseForm()
		if r.PostForm.Get("grant_type") != "urn:ietf:params:oauth:grant-type:jwt-bearer" || !f.signedByKey(r.PostForm.Get("assertion")) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusBadRequest)
			_ = json.NewEncoder(w).Encode(map[string]string{"error": "invalid_grant", "error_description": "Invalid JWT Signature."})
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"access_token": f.token, "token_type": "Bearer", "expires_in": 3599})
	case r.Method == http.MethodGet && strings.HasPrefix(r.URL.Path, "/v1/projects/") && strings.HasSuffix(r.URL.Path, ":access"):
		bearer := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
		if bearer != f.token && !f.signedByKey(bearer) {
			gcpError(w, http.StatusUnauthorized, "UNAUTHENTICATED", "Request had invalid authentication credentials.")
			return
		}
		full := strings.TrimSuffix(strings.TrimPrefix(r.URL.Path, "/v1/"), ":access")
		name, ver, ok := strings.Cut(full, "/versions/")
		if !ok {
			gcpError(w, http.StatusBadRequest, "INVALID_ARGUMENT", "bad version name")
			return
		}
		if ver == "latest" {
			ver = ""
		}
		v, found := f.s.get(name, ver)
		if !found {
			gcpError(w, http.StatusNotFound, "NOT_FOUND", fmt.Sprintf("Secret [%s] not found or has no versions.", name))
			return
		}
		w.Header().Set("Content-Type", "application/json; charset=UTF-8")
		_ = json.NewEncoder(w).Encode(map[string]any{
			"name": name + "/versions/" + v.id,
			"payload": map[string]any{
				"data":       base64.StdEncoding.EncodeToString([]byte(v.value)),
				"dataCrc32c": strconv.FormatUint(uint64(crc32.Checksum([]byte(v.value), crc32.MakeTable(crc32.Castagnoli))), 10),
			},
		})
	default:
		gcpError(w, http.StatusNotFound, "NOT_FOUND", "no route")
	}
}
