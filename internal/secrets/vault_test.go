package secrets_test

import (
	"strings"
	"testing"

	"github.com/floe-db/floe/internal/config"
	"github.com/floe-db/floe/internal/secrets"
	"github.com/floe-db/floe/internal/vaulttest"
)

func TestVaultKV2(t *testing.T) {
	v := vaulttest.New(t, "root-token")
	v.Put("db/app", map[string]string{"password": "first"})
	read, err := secrets.OpenVault(config.Vault{Address: v.URL, Token: "root-token"})
	if err != nil {
		t.Fatal(err)
	}
	if got, err := read("db/app", "password"); err != nil || got != "first" {
		t.Fatalf("read = %q, %v", got, err)
	}
	if _, err := read("db/app", "user"); err == nil || !strings.Contains(err.Error(), `no key "user"`) {
		t.Errorf("missing key: %v", err)
	}
	if _, err := read("db/none", "password"); err == nil {
		t.Error("missing path read")
	}
	// A new version is seen by the next load (a reader remembers its own reads).
	v.Put("db/app", map[string]string{"password": "second"})
	if got, _ := read("db/app", "password"); got != "first" {
		t.Errorf("the same load saw %q", got)
	}
	read2, _ := secrets.OpenVault(config.Vault{Address: v.URL, Token: "root-token"})
	if got, err := read2("db/app", "password"); err != nil || got != "second" {
		t.Errorf("after rotation: %q, %v", got, err)
	}

	bad, err := secrets.OpenVault(config.Vault{Address: v.URL, Token: "wrong"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := bad("db/app", "password"); err == nil || !strings.Contains(err.Error(), "permission denied") || strings.Contains(err.Error(), "second") {
		t.Errorf("bad token: %v", err)
	}

	v.AddAppRole("role-1", "secret-1")
	ar, err := secrets.OpenVault(config.Vault{Address: v.URL, RoleID: "role-1", SecretID: "secret-1"})
	if err != nil {
		t.Fatal(err)
	}
	if got, err := ar("db/app", "password"); err != nil || got != "second" {
		t.Errorf("AppRole read: %q, %v", got, err)
	}
	if _, err := secrets.OpenVault(config.Vault{Address: v.URL, RoleID: "role-1", SecretID: "nope"}); err == nil {
		t.Error("AppRole login with a wrong secret id")
	}
}

func TestVaultReferencesInConfig(t *testing.T) {
	v := vaulttest.New(t, "root-token")
	v.Put("db/app", map[string]string{"password": "s3cret"})
	src := `secrets:
  vault: {address: "` + v.URL + `", token: "${env:VAULT_TOKEN}"}
databases:
  - {name: app, kind: postgres, primary: "postgres://app:${vault:db/app#password}@127.0.0.1:5432/app"}
users: [{name: u, password: p}]
`
	env := func(k string) string { return map[string]string{"VAULT_TOKEN": "root-token"}[k] }
	c, err := config.ParseWith("f.yaml", []byte(src), config.LoadOptions{Getenv: env, Vault: secrets.OpenVault})
	if err != nil {
		t.Fatal(err)
	}
	if c.Databases[0].Primary != "postgres://app:s3cret@127.0.0.1:5432/app" {
		t.Errorf("primary %q", c.Databases[0].Primary)
	}
	if _, err := config.Parse("f.yaml", []byte(src), env); err == nil || !strings.Contains(err.Error(), "needs secrets.vault") {
		t.Errorf("without a Vault reader: %v", err)
	}
	bad := strings.Replace(src, "${vault:db/app#password}", "${vault:db/app#nokey}", 1)
	if _, err := config.ParseWith("f.yaml", []byte(bad), config.LoadOptions{Getenv: env, Vault: secrets.OpenVault}); err == nil || !strings.Contains(err.Error(), "f.yaml:4: databases[0].primary") {
		t.Errorf("missing key: %v", err)
	}
}
