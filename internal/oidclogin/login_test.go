package oidclogin_test

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/floe-db/floe/internal/authn"
	"github.com/floe-db/floe/internal/config"
	"github.com/floe-db/floe/internal/oidclogin"
	"github.com/floe-db/floe/internal/oidctest"
)

func TestLogin(t *testing.T) {
	iss := oidctest.NewIssuer(t)
	iss.AddClient("floe-cli", "", nil)
	iss.AddClient("reporting", "s3cret", oidctest.Claims{"aud": "floe", "sub": "svc", "preferred_username": "reporting", "groups": []string{"readers"}})
	iss.DeviceUser(oidctest.Claims{"aud": "floe", "sub": "u-1", "preferred_username": "dana", "groups": []string{"readers"}})
	verifier := authn.NewOIDC(config.OIDC{Issuer: iss.URL, Audience: "floe", Roles: map[string][]string{"readers": {"reader"}}}, nil)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	t.Run("device", func(t *testing.T) {
		prompted := false
		tok, err := oidclogin.Login(ctx, oidclogin.Options{Issuer: iss.URL, ClientID: "floe-cli", Flow: oidclogin.FlowDevice,
			Prompt: func(uri, code, complete string) {
				prompted = uri != "" && code != ""
				// The user opens the page and approves.
				resp, err := http.Get(complete)
				if err != nil || resp.StatusCode != 200 {
					t.Errorf("approve: %v %v", resp, err)
				}
				if resp != nil {
					resp.Body.Close()
				}
			}})
		if err != nil || !prompted {
			t.Fatalf("device flow: %v (prompted %v)", err, prompted)
		}
		u, _, err := verifier.WireLogin(ctx, "dana", tok.AccessToken)
		if err != nil || u.Name != "dana" {
			t.Fatalf("the device token does not log dana in: %v", err)
		}
	})
	t.Run("client credentials", func(t *testing.T) {
		tok, err := oidclogin.Login(ctx, oidclogin.Options{Issuer: iss.URL, ClientID: "reporting", ClientSecret: "s3cret", Flow: oidclogin.FlowClientCredentials})
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := verifier.WireLogin(ctx, "reporting", tok.AccessToken); err != nil {
			t.Fatalf("the client token does not log in: %v", err)
		}
	})
	for _, tc := range []struct {
		name string
		o    oidclogin.Options
	}{
		{"wrong secret", oidclogin.Options{Issuer: iss.URL, ClientID: "reporting", ClientSecret: "nope", Flow: oidclogin.FlowClientCredentials}},
		{"public client, client credentials", oidclogin.Options{Issuer: iss.URL, ClientID: "floe-cli", ClientSecret: "x", Flow: oidclogin.FlowClientCredentials}},
		{"unknown client", oidclogin.Options{Issuer: iss.URL, ClientID: "who", Flow: oidclogin.FlowDevice}},
		{"no secret", oidclogin.Options{Issuer: iss.URL, ClientID: "reporting", Flow: oidclogin.FlowClientCredentials}},
		{"no issuer", oidclogin.Options{Issuer: "http://127.0.0.1:1", ClientID: "reporting", Flow: oidclogin.FlowDevice}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tok, err := oidclogin.Login(ctx, tc.o); err == nil {
				t.Fatalf("got a token: %v", tok != nil)
			}
		})
	}
}

func TestWritePgpass(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "pgpass")
	e := oidclogin.PgpassEntry{Host: "db.example", Port: "6432", Database: "app", User: "dana"}
	for _, tc := range []struct {
		name, before, want string
	}{
		{"new file", "", "db.example:6432:app:dana:T\n"},
		{"appended", "other:5432:x:y:pw\n", "other:5432:x:y:pw\ndb.example:6432:app:dana:T\n"},
		{"replaced, others kept", "# c\ndb.example:6432:app:dana:old\nother:5432:x:y:pw\n", "# c\ndb.example:6432:app:dana:T\nother:5432:x:y:pw\n"},
		{"other user kept", "db.example:6432:app:eve:pw\n", "db.example:6432:app:eve:pw\ndb.example:6432:app:dana:T\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_ = os.Remove(path)
			if tc.before != "" {
				if err := os.WriteFile(path, []byte(tc.before), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			if err := oidclogin.WritePgpass(path, e, "T"); err != nil {
				t.Fatal(err)
			}
			got, _ := os.ReadFile(path)
			if string(got) != tc.want {
				t.Fatalf("file %q, want %q", got, tc.want)
			}
			if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
				t.Fatalf("mode %v", fi.Mode())
			}
		})
	}
	if err := oidclogin.WritePgpass(path, e, "a\nb"); err == nil {
		t.Fatal("a token with a line break was written")
	}
	for in, ok := range map[string]bool{"h:1:db:u": true, `h\:x:1:db:u`: true, "h:1:db": false, "h::db:u": false, "h:1:db:u:p": false} {
		got, err := oidclogin.ParsePgpassEntry(in)
		if (err == nil) != ok {
			t.Errorf("%q: %+v %v", in, got, err)
		}
		if in == `h\:x:1:db:u` && got.Host != "h:x" {
			t.Errorf("escaped host %q", got.Host)
		}
	}
}
