package secrets_test

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/floe-db/floe/internal/config"
	"github.com/floe-db/floe/internal/secrets"
	"github.com/floe-db/floe/internal/secrets/secrettest"
)

// provider is one cloud secret manager behind its fake.
type provider struct {
	kind string
	// name is the secret's name in references; stored is its name in
	// the fake.
	name, stored string
	settings     config.Secrets
	put          func(name, value string) string
	reads        func() int
	// badAuth changes the settings to credentials the fake refuses.
	badAuth func(t *testing.T, s *config.Secrets)
}

func providers(t *testing.T) []provider {
	aws := secrettest.NewAWS(t)
	aws.Env(t)
	gcp := secrettest.NewGCP(t)
	az := secrettest.NewAzure(t)
	inf := secrettest.NewInfisical(t)
	return []provider{
		{
			kind: config.KindAWS, name: "db/prod@eu", stored: "db/prod@eu",
			settings: config.Secrets{AWS: &config.AWSSecrets{Region: "eu-west-1", Endpoint: aws.URL}},
			put:      aws.Put, reads: aws.Reads,
			badAuth: func(t *testing.T, _ *config.Secrets) { t.Setenv("AWS_ACCESS_KEY_ID", "AKIAUNKNOWNKEY000000") },
		},
		{
			kind: config.KindGCP, name: "db-prod", stored: "projects/floe-test/secrets/db-prod",
			settings: config.Secrets{GCP: &config.GCPSecrets{Project: "floe-test", Endpoint: gcp.URL, CredentialsFile: gcp.CredentialsFile}},
			put:      gcp.Put, reads: gcp.Reads,
			badAuth: func(t *testing.T, s *config.Secrets) {
				other, err := rsa.GenerateKey(rand.Reader, 2048)
				if err != nil {
					t.Fatal(err)
				}
				g := *s.GCP
				g.CredentialsFile = gcp.WriteCredentials(t, other)
				s.GCP = &g
			},
		},
		{
			kind: config.KindAzure, name: "db-prod", stored: "db-prod",
			settings: config.Secrets{Azure: &config.AzureSecrets{VaultURL: az.URL, TenantID: az.TenantID, ClientID: az.ClientID,
				ClientSecret: az.ClientSecret, AuthorityHost: az.URL, CAFile: az.CAFile}},
			put: az.Put, reads: az.Reads,
			badAuth: func(_ *testing.T, s *config.Secrets) {
				a := *s.Azure
				a.ClientSecret = "wrong-client-secret"
				s.Azure = &a
			},
		},
		{
			kind: config.KindInfisical, name: "/db/PROD", stored: "/db/PROD",
			settings: config.Secrets{Infisical: &config.InfisicalSecrets{Address: inf.URL, ClientID: inf.ClientID, ClientSecret: inf.ClientSecret,
				ProjectID: inf.ProjectID, Environment: inf.Environment}},
			put: inf.Put, reads: inf.Reads,
			badAuth: func(_ *testing.T, s *config.Secrets) {
				in := *s.Infisical
				in.ClientSecret = "wrong-client-secret"
				s.Infisical = &in
			},
		},
	}
}

func ref(t *testing.T, kind, arg string) config.SecretRef {
	t.Helper()
	r, err := config.ParseSecretRef(kind, arg)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// Each provider, through its real client library against its fake:
// the latest version, a pinned one, a JSON key, the whole value, a
// missing key, a missing secret and refused credentials; a second load
// reads the latest version again and takes the pinned one from the
// cache.
func TestCloudProviders(t *testing.T) {
	for _, p := range providers(t) {
		t.Run(p.kind, func(t *testing.T) {
			v1 := p.put(p.stored, `{"user":"app","password":"pw-one-`+p.kind+`","port":5432}`)
			v2 := p.put(p.stored, `{"user":"app","password":"pw-two-`+p.kind+`"}`)
			cache := secrets.NewCache(secrets.CacheOptions{})
			read, err := cache.Opener()(p.settings)
			if err != nil {
				t.Fatal(err)
			}
			for _, tc := range []struct {
				arg, want, wantErr string
				is                 error
			}{
				{arg: p.name + "#password", want: "pw-two-" + p.kind},
				{arg: p.name, want: `{"user":"app","password":"pw-two-` + p.kind + `"}`},
				{arg: p.name + "?version=" + v1 + "#password", want: "pw-one-" + p.kind},
				{arg: p.name + "?version=" + v1 + "#port", want: "5432"},
				{arg: p.name + "#nokey", wantErr: `no key "nokey"`},
				{arg: p.name + "-missing#password", is: secrets.ErrNotFound},
			} {
				got, err := read(ref(t, p.kind, tc.arg))
				switch {
				case tc.want != "" && (err != nil || got != tc.want):
					t.Errorf("%s: got %q, %v; want %q", tc.arg, got, err, tc.want)
				case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
					t.Errorf("%s: got %q, %v; want an error with %q", tc.arg, got, err, tc.wantErr)
				case tc.is != nil && !errors.Is(err, tc.is):
					t.Errorf("%s: got %q, %v; want %v", tc.arg, got, err, tc.is)
				}
				if err != nil && strings.Contains(err.Error(), "pw-") {
					t.Errorf("%s: the error shows a value: %v", tc.arg, err)
				}
			}

			// What the admin API shows: versions in use, never a value.
			list := cache.List()
			byRef := map[string]secrets.RefInfo{}
			for _, r := range list {
				byRef[r.Reference] = r
			}
			latest := byRef["${"+p.kind+":"+p.name+"#password}"]
			pinned := byRef["${"+p.kind+":"+p.name+"?version="+v1+"#password}"]
			if latest.Version != v2 || latest.Pinned || latest.LastRead == nil || latest.LastError != "" {
				t.Errorf("latest: %+v, want version %s", latest, v2)
			}
			if pinned.Version != v1 || !pinned.Pinned {
				t.Errorf("pinned: %+v, want version %s", pinned, v1)
			}
			if e := byRef["${"+p.kind+":"+p.name+"-missing#password}"]; e.LastError == "" || e.LastRead != nil {
				t.Errorf("missing: %+v, want its error", e)
			}
			out, _ := json.Marshal(list)
			if strings.Contains(string(out), "pw-") {
				t.Errorf("the listing shows a value: %s", out)
			}
			ev, _ := cache.Drain()
			if len(ev) == 0 {
				t.Error("no read was recorded to audit")
			}
			for _, e := range ev {
				if b, _ := json.Marshal(e.Fields()); strings.Contains(string(b), "pw-") {
					t.Errorf("an audit record shows a value: %s", b)
				}
			}

			// Rotation, then the next load: the latest is read again, the
			// pinned version is not.
			v3 := p.put(p.stored, `{"password":"pw-three-`+p.kind+`"}`)
			read, _ = cache.Opener()(p.settings)
			before := p.reads()
			if got, err := read(ref(t, p.kind, p.name+"?version="+v1+"#password")); err != nil || got != "pw-one-"+p.kind {
				t.Errorf("pinned after the rotation: %q, %v", got, err)
			}
			if n := p.reads() - before; n != 0 {
				t.Errorf("the pinned version was read again (%d reads)", n)
			}
			if got, err := read(ref(t, p.kind, p.name+"#password")); err != nil || got != "pw-three-"+p.kind {
				t.Errorf("latest after the rotation: %q, %v", got, err)
			}
			before = p.reads()
			if got, err := read(ref(t, p.kind, p.name+"#user")); err == nil || got != "" {
				t.Errorf("the rotated value has no user: %q, %v", got, err)
			}
			if n := p.reads() - before; n != 0 {
				t.Errorf("one load read the same secret twice (%d more reads)", n)
			}
			cache.Sweep()
			for _, r := range cache.List() {
				if r.Reference == "${"+p.kind+":"+p.name+"-missing#password}" {
					t.Error("a reference the latest load did not use is still listed")
				}
				if r.Reference == "${"+p.kind+":"+p.name+"#password}" && r.Version != v3 {
					t.Errorf("version in use after the rotation: %s, want %s", r.Version, v3)
				}
			}

			// Refused credentials: the reason, no value, nothing read.
			bad := p.settings
			p.badAuth(t, &bad)
			before = p.reads()
			read, _ = secrets.NewCache(secrets.CacheOptions{}).Opener()(bad)
			got, err := read(ref(t, p.kind, p.name+"#password"))
			if err == nil || got != "" || !strings.Contains(err.Error(), "denied") {
				t.Errorf("bad credentials: %q, %v; want access denied", got, err)
			}
			if n := p.reads() - before; n != 0 {
				t.Errorf("bad credentials read %d values", n)
			}
		})
	}
}

// An AWS staging label reads the version it labels.
func TestAWSStage(t *testing.T) {
	aws := secrettest.NewAWS(t)
	aws.Env(t)
	aws.Put("app", "one")
	aws.Put("app", "two")
	s := config.Secrets{AWS: &config.AWSSecrets{Region: "eu-west-1", Endpoint: aws.URL}}
	read, _ := secrets.NewCache(secrets.CacheOptions{}).Opener()(s)
	for arg, want := range map[string]string{"app?stage=AWSPREVIOUS": "one", "app?stage=AWSCURRENT": "two", "app": "two"} {
		if got, err := read(ref(t, config.KindAWS, arg)); err != nil || got != want {
			t.Errorf("%s: %q, %v; want %q", arg, got, err, want)
		}
	}
}
