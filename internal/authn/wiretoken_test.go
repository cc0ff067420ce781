package authn_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/floe-db/floe/internal/authn"
	"github.com/floe-db/floe/internal/config"
	"github.com/floe-db/floe/internal/oidctest"
)

func TestWireLogin(t *testing.T) {
	iss := oidctest.NewIssuer(t)
	o := authn.NewOIDC(config.OIDC{Issuer: iss.URL, Audience: "floe",
		Roles: map[string][]string{"readers": {"reader"}, "writers": {"writer", "reader"}}}, nil)
	ctx := context.Background()
	exp := time.Now().Add(10 * time.Minute).Truncate(time.Second)
	claims := func(extra oidctest.Claims) oidctest.Claims {
		c := oidctest.Claims{"aud": "floe", "sub": "u-1", "preferred_username": "ann", "groups": []string{"readers"}, "exp": exp.Unix()}
		for k, v := range extra {
			c[k] = v
		}
		return c
	}
	u, got, err := o.WireLogin(ctx, "ann", iss.Token(t, claims(nil)))
	if err != nil || u.Name != "ann" || !slices.Equal(u.Roles, []string{"reader"}) || !got.Equal(exp) {
		t.Fatalf("good token: user %+v expiry %v err %v", u, got, err)
	}
	for _, tc := range []struct {
		name, user, token string
		is                error
	}{
		{"other user", "bob", iss.Token(t, claims(nil)), authn.ErrTokenUser},
		{"no mapped group", "ann", iss.Token(t, claims(oidctest.Claims{"groups": []string{"ops"}})), authn.ErrTokenNoRoles},
		{"expired", "ann", iss.Token(t, claims(oidctest.Claims{"exp": time.Now().Add(-time.Minute).Unix()})), nil},
		{"wrong audience", "ann", iss.Token(t, claims(oidctest.Claims{"aud": "other"})), nil},
		{"forged", "ann", iss.Forged(t, claims(nil)), nil},
		{"too long", "ann", strings.Repeat("x", authn.MaxWireToken+1), authn.ErrTokenTooLong},
		{"not a token", "ann", "hunter2", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			u, _, err := o.WireLogin(ctx, tc.user, tc.token)
			if err == nil || u != nil {
				t.Fatalf("accepted: %+v", u)
			}
			if tc.is != nil && !errors.Is(err, tc.is) {
				t.Fatalf("error %v, want %v", err, tc.is)
			}
			if strings.Contains(err.Error(), tc.token) {
				t.Fatal("the error carries the token")
			}
		})
	}
}
