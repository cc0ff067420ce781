package authn

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"

	"github.com/floe-db/floe/internal/config"
)

// ErrOIDCUnavailable is returned while the issuer's discovery document
// cannot be read; the caller is refused (and may retry), never let in.
var ErrOIDCUnavailable = errors.New("the OpenID Connect issuer is unreachable")

// Identity is the caller a verified OIDC token names.
type Identity struct {
	Subject  string
	Username string
	Groups   []string
	// Expiry is the token's exp.
	Expiry time.Time
}

// OIDC verifies bearer JWTs of one issuer: signature against the
// issuer's JWKS (fetched and refreshed by go-oidc), issuer, audience and
// expiry. Discovery happens on first use and is retried at most every
// few seconds while the issuer is unreachable, so a gateway starts while
// its identity provider is down. Safe for concurrent use.
type OIDC struct {
	cfg    config.OIDC
	client *http.Client
	now    func() time.Time

	mu       sync.Mutex
	verifier *oidc.IDTokenVerifier
	lastTry  time.Time
	lastErr  error
}

// NewOIDC makes the verifier of cfg; client fetches the discovery
// document and keys (nil: a client with a 10 s timeout).
func NewOIDC(cfg config.OIDC, client *http.Client) *OIDC {
	if client == nil {
		client = &http.Client{Timeout: 10 * time.Second}
	}
	return &OIDC{cfg: cfg, client: client, now: time.Now}
}

// Config is the configuration the verifier was made from.
func (o *OIDC) Config() config.OIDC { return o.cfg }

// LooksLikeJWT reports whether tok has the shape of a signed JWT (three
// dot-separated parts), so that other bearer tokens are not sent to the
// issuer's verifier.
func LooksLikeJWT(tok string) bool {
	return strings.Count(tok, ".") == 2 && strings.HasPrefix(tok, "eyJ")
}

func (o *OIDC) verifierFor(ctx context.Context) (*oidc.IDTokenVerifier, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.verifier != nil {
		return o.verifier, nil
	}
	if o.lastErr != nil && o.now().Sub(o.lastTry) < 5*time.Second {
		return nil, fmt.Errorf("%w: %v", ErrOIDCUnavailable, o.lastErr)
	}
	o.lastTry = o.now()
	// The provider's key set outlives this request: its context carries
	// only the HTTP client.
	pctx := oidc.ClientContext(context.WithoutCancel(ctx), o.client)
	dctx, cancel := context.WithTimeout(pctx, 10*time.Second)
	defer cancel()
	p, err := oidc.NewProvider(dctx, o.cfg.Issuer)
	if err != nil {
		o.lastErr = err
		return nil, fmt.Errorf("%w: %v", ErrOIDCUnavailable, err)
	}
	o.lastErr = nil
	o.verifier = p.VerifierContext(pctx, &oidc.Config{ClientID: o.cfg.Audience, Now: o.now})
	return o.verifier, nil
}

// Verify checks raw and returns who it names.
func (o *OIDC) Verify(ctx context.Context, raw string) (*Identity, error) {
	v, err := o.verifierFor(ctx)
	if err != nil {
		return nil, err
	}
	tok, err := v.Verify(ctx, raw)
	if err != nil {
		return nil, err
	}
	var claims map[string]any
	if err := tok.Claims(&claims); err != nil {
		return nil, err
	}
	id := &Identity{Subject: tok.Subject, Expiry: tok.Expiry}
	for _, c := range []string{o.cfg.UsernameClaim, "preferred_username", "sub"} {
		if s, ok := claims[c].(string); ok && c != "" && s != "" {
			id.Username = s
			break
		}
	}
	gc := o.cfg.GroupsClaim
	if gc == "" {
		gc = "groups"
	}
	switch g := claims[gc].(type) {
	case []any:
		for _, x := range g {
			if s, ok := x.(string); ok {
				id.Groups = append(id.Groups, s)
			}
		}
	case string:
		id.Groups = strings.Fields(g)
	}
	return id, nil
}

// Roles are the gateway roles id's groups map to, sorted, without
// repeats.
func (o *OIDC) Roles(id *Identity) []string {
	var out []string
	for _, g := range id.Groups {
		out = append(out, o.cfg.Roles[g]...)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// AdminScopes are the admin API scopes id's groups map to.
func (o *OIDC) AdminScopes(id *Identity) []string {
	var out []string
	for _, g := range id.Groups {
		if s := o.cfg.AdminScopes[g]; s != "" {
			out = append(out, s)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}
