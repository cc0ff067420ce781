package oidctest

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/url"
)

// DeviceGrant is the grant type of the device authorization flow (RFC 8628).
const DeviceGrant = "urn:ietf:params:oauth:grant-type:device_code"

type client struct {
	secret string // "" : a public client (device flow only)
	claims Claims // of the tokens of the client_credentials grant
}

type device struct {
	clientID string
	userCode string
	claims   Claims // set when a user approves; nil while pending
	used     bool
}

// AddClient registers a client. With a secret it may use the
// client_credentials grant, and its tokens carry claims; any client may
// start the device flow.
func (i *Issuer) AddClient(id, secret string, claims Claims) {
	i.mu.Lock()
	defer i.mu.Unlock()
	i.clients[id] = client{secret: secret, claims: claims}
}

// DeviceUser sets the claims of the user who approves device codes by
// opening the verification URL (GET /device/verify?user_code=…).
func (i *Issuer) DeviceUser(claims Claims) {
	i.mu.Lock()
	defer i.mu.Unlock()
	i.clients[""] = client{claims: claims}
}

func randHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func oauthError(w http.ResponseWriter, status int, code string) {
	writeJSON(w, status, map[string]string{"error": code})
}

// deviceAuthorization is RFC 8628 §3.1–3.2.
func (i *Issuer) deviceAuthorization(w http.ResponseWriter, r *http.Request) {
	id := r.PostFormValue("client_id")
	i.mu.Lock()
	_, known := i.clients[id]
	d := &device{clientID: id, userCode: randHex(4)}
	code := randHex(16)
	if known {
		i.devices[code] = d
	}
	i.mu.Unlock()
	if !known {
		oauthError(w, http.StatusUnauthorized, "invalid_client")
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"device_code": code, "user_code": d.userCode,
		"verification_uri":          i.URL + "/device/verify",
		"verification_uri_complete": i.URL + "/device/verify?user_code=" + url.QueryEscape(d.userCode),
		"expires_in":                600, "interval": 1,
	})
}

// verify is the user's approval of a user code (the page a browser
// would show, approved at once).
func (i *Issuer) verify(w http.ResponseWriter, r *http.Request) {
	uc := r.URL.Query().Get("user_code")
	i.mu.Lock()
	defer i.mu.Unlock()
	user, ok := i.clients[""]
	if !ok {
		http.Error(w, "no device user configured", http.StatusInternalServerError)
		return
	}
	for _, d := range i.devices {
		if d.userCode == uc && d.claims == nil {
			d.claims = user.claims
			_, _ = w.Write([]byte("approved\n"))
			return
		}
	}
	http.Error(w, "unknown user code", http.StatusNotFound)
}

// tokenEndpoint serves the client_credentials and device_code grants.
func (i *Issuer) tokenEndpoint(w http.ResponseWriter, r *http.Request) {
	id, secret, basic := r.BasicAuth()
	if !basic {
		id, secret = r.PostFormValue("client_id"), r.PostFormValue("client_secret")
	}
	i.mu.Lock()
	c, known := i.clients[id]
	i.mu.Unlock()
	if !known || id == "" {
		oauthError(w, http.StatusUnauthorized, "invalid_client")
		return
	}
	var claims Claims
	switch r.PostFormValue("grant_type") {
	case "client_credentials":
		if c.secret == "" || secret != c.secret {
			oauthError(w, http.StatusUnauthorized, "invalid_client")
			return
		}
		claims = c.claims
	case DeviceGrant:
		i.mu.Lock()
		d := i.devices[r.PostFormValue("device_code")]
		switch {
		case d == nil || d.clientID != id || d.used:
			i.mu.Unlock()
			oauthError(w, http.StatusBadRequest, "invalid_grant")
			return
		case d.claims == nil:
			i.mu.Unlock()
			oauthError(w, http.StatusBadRequest, "authorization_pending")
			return
		}
		d.used = true
		claims = d.claims
		i.mu.Unlock()
	default:
		oauthError(w, http.StatusBadRequest, "unsupported_grant_type")
		return
	}
	tok := i.sign(i.t, i.key, claims)
	writeJSON(w, http.StatusOK, map[string]any{"access_token": tok, "token_type": "Bearer", "expires_in": 3600})
}
