package config

import (
	"errors"
	"strings"
	"testing"
)

func TestParseSecretRef(t *testing.T) {
	for _, tc := range []struct {
		kind, arg string
		want      SecretRef
		err       string
	}{
		{KindAWS, "db/prod", SecretRef{Kind: KindAWS, Name: "db/prod"}, ""},
		{KindAWS, "db/prod@eu#password", SecretRef{Kind: KindAWS, Name: "db/prod@eu", Key: "password"}, ""},
		{KindAWS, "db/prod?version=0a1b2c3d-4e5f-4000-8000-000000000001#password", SecretRef{Kind: KindAWS, Name: "db/prod", Version: "0a1b2c3d-4e5f-4000-8000-000000000001", Key: "password"}, ""},
		{KindAWS, "db/prod?stage=AWSPREVIOUS", SecretRef{Kind: KindAWS, Name: "db/prod", Stage: "AWSPREVIOUS"}, ""},
		{KindAWS, "arn:aws:secretsmanager:eu-west-1:123456789012:secret:db/prod-AbCdEf", SecretRef{Kind: KindAWS, Name: "arn:aws:secretsmanager:eu-west-1:123456789012:secret:db/prod-AbCdEf"}, ""},
		{KindAWS, "db prod", SecretRef{}, "not a valid secret name"},
		{KindAWS, "db/prod?ver=1", SecretRef{}, `unknown "ver"`},
		{KindAWS, "db/prod?version=", SecretRef{}, "want ?version=V"},
		{KindAWS, "db/prod#", SecretRef{}, "empty key"},
		{KindGCP, "projects/p-1/secrets/db?version=3#pw", SecretRef{Kind: KindGCP, Name: "projects/p-1/secrets/db", Version: "3", Key: "pw"}, ""},
		{KindGCP, "db", SecretRef{Kind: KindGCP, Name: "db"}, ""},
		{KindGCP, "db?version=latest", SecretRef{}, "not a valid version"},
		{KindGCP, "db?stage=AWSCURRENT", SecretRef{}, "aws-sm only"},
		{KindGCP, "projects/P/secrets/db", SecretRef{}, "not a valid secret name"},
		{KindAzure, "db-prod?version=4f1c0e2a9b7d4e55a1c3b2d4e6f8a0b1", SecretRef{Kind: KindAzure, Name: "db-prod", Version: "4f1c0e2a9b7d4e55a1c3b2d4e6f8a0b1"}, ""},
		{KindAzure, "db_prod", SecretRef{}, "not a valid secret name"},
		{KindInfisical, "/db/PASSWORD", SecretRef{Kind: KindInfisical, Name: "/db/PASSWORD"}, ""},
		{KindInfisical, "PASSWORD?version=2", SecretRef{Kind: KindInfisical, Name: "PASSWORD", Version: "2"}, ""},
		{KindInfisical, "/db//PASSWORD", SecretRef{}, "not a valid secret name"},
		{"vault", "x", SecretRef{}, "not a cloud secret reference"},
	} {
		got, err := ParseSecretRef(tc.kind, tc.arg)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%s:%s: %+v, %v; want an error with %q", tc.kind, tc.arg, got, err, tc.err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("%s:%s: %+v, %v; want %+v", tc.kind, tc.arg, got, err, tc.want)
			continue
		}
		// String writes the reference back as parsed.
		if back, err := ParseSecretRef(tc.kind, strings.TrimSuffix(strings.TrimPrefix(got.String(), "${"+tc.kind+":"), "}")); err != nil || back != got {
			t.Errorf("%s round trip: %+v, %v", got, back, err)
		}
	}
}

// FuzzParseSecretRef: any argument parses or is refused; what parses is
// written back (String) to a reference that parses to the same.
func FuzzParseSecretRef(f *testing.F) {
	for _, s := range []string{"db/prod#password", "db/prod?version=abc-1#k", "db?stage=AWSPREVIOUS", "projects/p/secrets/s?version=2", "/a/b/NAME?version=1#x", "a#b#c", "a?version=1?x#k", ""} {
		f.Add(KindAWS, s)
	}
	f.Add(KindGCP, "projects/p/secrets/s#k")
	f.Add(KindAzure, "name?version=0a#k")
	f.Add(KindInfisical, "/x/NAME")
	f.Fuzz(func(t *testing.T, kind, arg string) {
		r, err := ParseSecretRef(kind, arg)
		if err != nil {
			return
		}
		s := r.String()
		inner := strings.TrimSuffix(strings.TrimPrefix(s, "${"+kind+":"), "}")
		back, err := ParseSecretRef(kind, inner)
		if err != nil || back != r {
			t.Fatalf("%q: parsed %+v, written %q, parsed again %+v, %v", arg, r, s, back, err)
		}
	})
}

// The cloud references go through LoadOptions.Cloud with the settings of
// secrets: (their own env references resolved first); errors name the
// reference and the key, never a value; without a reader they are
// refused.
func TestCloudReferencesInLoad(t *testing.T) {
	src := `
databases:
  - name: app
    kind: postgres
    primary: "postgres://app:${aws-sm:db/prod?version=v1#password}@db:5432/app"
users:
  - {name: alice, password: "${infisical:/app/ALICE}"}
secrets:
  aws: {region: "${env:REGION}"}
  infisical: {address: "http://127.0.0.1:1", client_id: id, client_secret: "${env:INF_SECRET}", project_id: p, environment: prod}
`
	getenv := env(map[string]string{"REGION": "eu-west-1", "INF_SECRET": "inf-client-secret"})
	var seen Secrets
	var refs []string
	opener := func(s Secrets) (CloudReader, error) {
		seen = s
		return func(r SecretRef) (string, error) {
			refs = append(refs, r.String())
			switch r.Kind {
			case KindAWS:
				return "aws-value", nil
			}
			return "alice-value", nil
		}, nil
	}
	c, err := ParseWith("f.yaml", []byte(src), LoadOptions{Getenv: getenv, Cloud: opener})
	if err != nil {
		t.Fatal(err)
	}
	if d, _ := c.Database("app"); d.Primary != "postgres://app:aws-value@db:5432/app" || c.Users[0].Password != "alice-value" {
		t.Fatalf("values: %q %q", d.Primary, c.Users[0].Password)
	}
	if seen.AWS == nil || seen.AWS.Region != "eu-west-1" || seen.Infisical == nil || seen.Infisical.ClientSecret != "inf-client-secret" {
		t.Fatalf("settings the reader got: %+v", seen)
	}
	if strings.Join(refs, " ") != "${aws-sm:db/prod?version=v1#password} ${infisical:/app/ALICE}" {
		t.Fatalf("references read: %v", refs)
	}

	// A failing read: the reference and the key, no value.
	failing := func(Secrets) (CloudReader, error) {
		return func(SecretRef) (string, error) { return "", errors.New("access denied (HTTP 403)") }, nil
	}
	_, err = ParseWith("f.yaml", []byte(src), LoadOptions{Getenv: getenv, Cloud: failing})
	if err == nil || !strings.Contains(err.Error(), "databases[0].primary: ${aws-sm:db/prod?version=v1#password}: access denied") {
		t.Fatalf("failing read: %v", err)
	}
	if strings.Contains(err.Error(), "inf-client-secret") {
		t.Fatalf("the error shows a secret: %v", err)
	}
	// No reader: refused, naming the reference.
	_, err = ParseWith("f.yaml", []byte(src), LoadOptions{Getenv: getenv})
	if err == nil || !strings.Contains(err.Error(), "${aws-sm:db/prod?version=v1#password}: aws-sm references are not read here") {
		t.Fatalf("no reader: %v", err)
	}
}

func TestValidateCloudSecrets(t *testing.T) {
	for _, tc := range []struct{ secrets, want string }{
		{"azure: {vault_url: 'http://kv', tenant_id: t, client_id: c, client_secret: s}", "secrets.azure.vault_url"},
		{"azure: {vault_url: 'https://kv.vault.azure.net/', client_id: c, client_secret: s}", "secrets.azure.tenant_id: is required"},
		{"infisical: {client_id: c, client_secret: s, project_id: p}", "secrets.infisical.environment: is required"},
		{"gcp: {project: 'My Project'}", "secrets.gcp.project"},
		{"aws: {endpoint: 'ftp://x'}", "secrets.aws.endpoint"},
	} {
		src := "databases: [{name: a, kind: sqlite, path: x}]\nusers: [{name: u, password: p}]\nsecrets:\n  " + tc.secrets + "\n"
		_, err := Parse("f.yaml", []byte(src), env(nil))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v; want %q", tc.secrets, err, tc.want)
		}
	}
	src := "databases: [{name: a, kind: sqlite, path: x}]\nusers: [{name: u, password: p}]\nsecrets:\n  azure: {vault_url: 'https://kv.vault.azure.net/', tenant_id: t, client_id: c, client_secret: s}\n  aws: {region: eu-west-1}\n"
	if _, err := Parse("f.yaml", []byte(src), env(nil)); err != nil {
		t.Errorf("valid settings: %v", err)
	}
}
