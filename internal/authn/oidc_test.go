package authn_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/floe-db/floe/internal/authn"
	"github.com/floe-db/floe/internal/config"
	"github.com/floe-db/floe/internal/oidctest"
)

func TestOIDCVerify(t *testing.T) {
	iss := oidctest.NewIssuer(t)
	o := authn.NewOIDC(config.OIDC{Issuer: iss.URL, Audience: "floe",
		Roles:       map[string][]string{"analysts": {"analyst"}, "dbas": {"dba", "analyst"}},
		AdminScopes: map[string]string{"ops": "admin"}}, nil)
	ctx := context.Background()
	good := iss.Token(t, oidctest.Claims{"aud": "floe", "sub": "u-1", "preferred_username": "ann", "groups": []string{"dbas", "analysts", "ops"}})
	id, err := o.Verify(ctx, good)
	if err != nil {
		t.Fatal(err)
	}
	if id.Username != "ann" || id.Subject != "u-1" || !slices.Equal(o.Roles(id), []string{"analyst", "dba"}) || !slices.Equal(o.AdminScopes(id), []string{"admin"}) {
		t.Fatalf("identity %+v roles %v scopes %v", id, o.Roles(id), o.AdminScopes(id))
	}
	if !authn.LooksLikeJWT(good) || authn.LooksLikeJWT("floe_abc") {
		t.Error("LooksLikeJWT")
	}
	for name, tok := range map[string]string{
		"wrong audience": iss.Token(t, oidctest.Claims{"aud": "other", "sub": "u"}),
		"expired":        iss.Token(t, oidctest.Claims{"aud": "floe", "sub": "u", "exp": time.Now().Add(-time.Minute).Unix()}),
		"forged":         iss.Forged(t, oidctest.Claims{"aud": "floe", "sub": "u"}),
		"other issuer":   iss.Token(t, oidctest.Claims{"aud": "floe", "sub": "u", "iss": "https://evil.example"}),
		"garbage":        "eyJhbGciOiJub25lIn0.e30.",
	} {
		if _, err := o.Verify(ctx, tok); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	// An unreachable issuer refuses, and says so.
	down := authn.NewOIDC(config.OIDC{Issuer: "http://127.0.0.1:1", Audience: "floe"}, nil)
	if _, err := down.Verify(ctx, good); !errors.Is(err, authn.ErrOIDCUnavailable) {
		t.Fatalf("issuer down: %v", err)
	}
}
