package e2e

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/floe-db/floe/internal/secrets/secrettest"
)

// cloudFake is one cloud secret manager's fake, as the e2e tests use it.
type cloudFake struct {
	kind string
	// ref is the reference's name; stored the fake's.
	ref, stored string
	// settings is the secrets: entry for the fake.
	settings string
	put      func(name, value string) string
}

func cloudFakes(t *testing.T) []cloudFake {
	aws := secrettest.NewAWS(t)
	aws.Env(t)
	gcp := secrettest.NewGCP(t)
	az := secrettest.NewAzure(t)
	inf := secrettest.NewInfisical(t)
	return []cloudFake{
		{"aws-sm", "shop/db", "shop/db", fmt.Sprintf("aws: {region: eu-west-1, endpoint: %q}", aws.URL), aws.Put},
		{"gcp-sm", "shop-db", "projects/floe-test/secrets/shop-db",
			fmt.Sprintf("gcp: {project: floe-test, endpoint: %q, credentials_file: %q}", gcp.URL, gcp.CredentialsFile), gcp.Put},
		{"azure-kv", "shop-db", "shop-db",
			fmt.Sprintf("azure: {vault_url: %q, authority_host: %q, ca_file: %q, tenant_id: %q, client_id: %q, client_secret: %q}",
				az.URL, az.URL, az.CAFile, az.TenantID, az.ClientID, az.ClientSecret), az.Put},
		{"infisical", "/shop/DB", "/shop/DB",
			fmt.Sprintf("infisical: {address: %q, client_id: %q, client_secret: %q, project_id: %q, environment: %q}",
				inf.URL, inf.ClientID, inf.ClientSecret, inf.ProjectID, inf.Environment), inf.Put},
	}
}

// A MariaDB password from each cloud secret manager (through its real
// client library, against a fake of its wire protocol) opens the real
// server; after a rotation in the secret manager and a refresh, new
// backend connections log in with the new password, while a reference
// pinned to the first version keeps it. MariaDB checks the passwords, so
// a login with any other password fails. The admin API lists the
// references with their versions; no password reaches the log, the
// admin API or the audit log.
func TestCloudSecretRotation(t *testing.T) {
	if testing.Short() {
		t.Skip("e2e")
	}
	for _, f := range cloudFakes(t) {
		t.Run(f.kind, func(t *testing.T) {
			dsn, _ := myTestDB(t)
			dbName := dsn[strings.LastIndexByte(dsn, '/')+1:]
			host := strings.SplitN(strings.SplitN(dsn, "@", 2)[1], "/", 2)[0]
			admin, err := sql.Open("mysql", myAdminConfig(t).FormatDSN())
			if err != nil {
				t.Fatal(err)
			}
			// Closed after the users are dropped (cleanups run last
			// registered first).
			t.Cleanup(func() { admin.Close() })
			b := make([]byte, 4)
			_, _ = rand.Read(b)
			suffix := hex.EncodeToString(b)
			// latest follows the secret; pinned reads version 1 for good.
			latest, pinned := "floe_t_"+suffix+"_l", "floe_t_"+suffix+"_p"
			one := map[string]string{latest: "pw-latest-one-" + suffix, pinned: "pw-pinned-one-" + suffix}
			two := map[string]string{latest: "pw-latest-two-" + suffix, pinned: "pw-pinned-two-" + suffix}
			for _, u := range []string{latest, pinned} {
				for _, q := range []string{
					fmt.Sprintf("CREATE USER '%s'@'%%' IDENTIFIED BY '%s'", u, one[u]),
					fmt.Sprintf("GRANT ALL ON %s.* TO '%s'@'%%'", dbName, u),
				} {
					if _, err := admin.Exec(q); err != nil {
						t.Fatal(err)
					}
				}
				t.Cleanup(func() {
					if _, err := admin.Exec(fmt.Sprintf("DROP USER '%s'@'%%'", u)); err != nil {
						t.Errorf("drop user %s: %v", u, err)
					}
				})
			}
			secret := func(m map[string]string) string {
				j, _ := json.Marshal(map[string]string{"latest": m[latest], "pinned": m[pinned]})
				return string(j)
			}
			v1 := f.put(f.stored, secret(one))
			auditPath := filepath.Join(t.TempDir(), "audit.log")
			g := start(t, fmt.Sprintf(`databases:
  - name: latest
    kind: mysql
    primary: "mysql://%s:${%s:%s#latest}@%s/%s"
    pool: {mode: transaction, size: 2}
  - name: pinned
    kind: mysql
    primary: "mysql://%s:${%s:%s?version=%s#pinned}@%s/%s"
    pool: {mode: transaction, size: 2}
users:
  - {name: alice, password: alice-secret}
audit:
  file: %s
secrets:
  refresh: 200ms
  %s
`, latest, f.kind, f.ref, host, dbName, pinned, f.kind, f.ref, v1, host, dbName, auditPath, f.settings))

			whoami := func(db string) (string, error) {
				c := g.mydb(t, "alice", "alice-secret", db, nil)
				defer c.Close()
				var who string
				var err error
				for try := 0; try < 4; try++ {
					if err = c.QueryRowContext(context.Background(), "SELECT CURRENT_USER()").Scan(&who); err == nil || myErrno(err) != 1927 {
						break
					}
				}
				return who, err
			}
			for db, u := range map[string]string{"latest": latest, "pinned": pinned} {
				if who, err := whoami(db); err != nil || !strings.HasPrefix(who, u+"@") {
					t.Fatalf("%s before the rotation: %q %v", db, who, err)
				}
			}

			// Rotate: the server takes latest's new password, the secret
			// gets a new version with both changed (pinned's new one is not
			// the server's: a login with it fails).
			if _, err := admin.Exec(fmt.Sprintf("ALTER USER '%s'@'%%' IDENTIFIED BY '%s'", latest, two[latest])); err != nil {
				t.Fatal(err)
			}
			v2 := f.put(f.stored, secret(two))
			eventually(t, 15*time.Second, func() error {
				if !strings.Contains(g.log.String(), "backend credentials changed") {
					return errors.New("the rotated secret was not applied")
				}
				return nil
			})
			// End every server session of both users: the next statements
			// need new backend logins.
			for _, u := range []string{latest, pinned} {
				rows, err := admin.Query(fmt.Sprintf("SELECT id FROM information_schema.processlist WHERE user = '%s'", u))
				if err != nil {
					t.Fatal(err)
				}
				var ids []int64
				for rows.Next() {
					var id int64
					_ = rows.Scan(&id)
					ids = append(ids, id)
				}
				rows.Close()
				for _, id := range ids {
					_, _ = admin.Exec(fmt.Sprintf("KILL %d", id))
				}
			}
			for db, u := range map[string]string{"latest": latest, "pinned": pinned} {
				if who, err := whoami(db); err != nil || !strings.HasPrefix(who, u+"@") {
					t.Errorf("%s after the rotation: %q %v", db, who, err)
				}
			}

			var list struct {
				Secrets []struct {
					Reference string `json:"reference"`
					Version   string `json:"version"`
					Pinned    bool   `json:"pinned"`
				} `json:"secrets"`
			}
			var raw json.RawMessage
			if code := g.adminCall(t, "GET", "/api/v1/secrets", testReadToken, &raw); code != 200 {
				t.Fatalf("GET /api/v1/secrets: %d", code)
			}
			if err := json.Unmarshal(raw, &list); err != nil {
				t.Fatal(err)
			}
			var sawLatest, sawPinned bool
			for _, s := range list.Secrets {
				switch s.Reference {
				case "${" + f.kind + ":" + f.ref + "#latest}":
					sawLatest = s.Version == v2 && !s.Pinned
				case "${" + f.kind + ":" + f.ref + "?version=" + v1 + "#pinned}":
					sawPinned = s.Version == v1 && s.Pinned
				}
			}
			if !sawLatest || !sawPinned {
				t.Errorf("GET /api/v1/secrets: %s; want latest at %s and pinned at %s", raw, v2, v1)
			}

			g.stop(t) // flushes the audit log
			auditLog, err := os.ReadFile(auditPath)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(string(auditLog), `"type":"secret"`) || !strings.Contains(string(auditLog), `"action":"refresh"`) {
				t.Error("no secret read in the audit log")
			}
			for _, pw := range []string{one[latest], one[pinned], two[latest], two[pinned]} {
				for where, text := range map[string]string{"log": g.log.String(), "admin API": string(raw), "audit log": string(auditLog)} {
					if strings.Contains(text, pw) {
						t.Errorf("a password reached the %s", where)
					}
				}
			}
		})
	}
}
