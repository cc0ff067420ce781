package e2e

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/floe-db/floe/internal/vaulttest"
)

// A backend password that rotates — in a ${file:} secret, then in Vault
// (a fake KV v2 server: no Vault package is available here) — is read
// again (secrets.refresh): new backend connections log in with the new
// password, the old ones are drained, and the client session that was
// open all along goes on. MariaDB checks the passwords (the local
// PostgreSQL trusts loopback).
func TestBackendPasswordRotation(t *testing.T) {
	for _, via := range []string{"file", "vault"} {
		t.Run(via, func(t *testing.T) {
			dsn, _ := myTestDB(t)
			dbName := dsn[strings.LastIndexByte(dsn, '/')+1:]
			admin, err := sql.Open("mysql", myAdminConfig(t).FormatDSN())
			if err != nil {
				t.Fatal(err)
			}
			defer admin.Close()
			b := make([]byte, 4)
			_, _ = rand.Read(b)
			user := "rot_" + hex.EncodeToString(b)
			for _, q := range []string{
				fmt.Sprintf("CREATE USER '%s'@'%%' IDENTIFIED BY 'pw-one'", user),
				fmt.Sprintf("GRANT ALL ON %s.* TO '%s'@'%%'", dbName, user),
			} {
				if _, err := admin.Exec(q); err != nil {
					t.Fatal(err)
				}
			}
			t.Cleanup(func() { _, _ = admin.Exec(fmt.Sprintf("DROP USER '%s'@'%%'", user)) })

			dir := t.TempDir()
			pwFile := filepath.Join(dir, "pw")
			var ref, secretsCfg string
			var vault *vaulttest.Server
			switch via {
			case "file":
				if err := os.WriteFile(pwFile, []byte("pw-one\n"), 0o600); err != nil {
					t.Fatal(err)
				}
				ref = "${file:" + pwFile + "}"
				secretsCfg = "secrets: {refresh: 200ms}\n"
			case "vault":
				vault = vaulttest.New(t, "vault-root-token")
				vault.Put("db/shop", map[string]string{"password": "pw-one"})
				ref = "${vault:db/shop#password}"
				secretsCfg = fmt.Sprintf("secrets: {refresh: 200ms, vault: {address: %q, token: vault-root-token}}\n", vault.URL)
			}
			host := strings.SplitN(strings.SplitN(dsn, "@", 2)[1], "/", 2)[0]
			g := start(t, fmt.Sprintf(`databases:
  - name: shop
    kind: mysql
    primary: "mysql://%s:%s@%s/%s"
    pool: {mode: transaction, size: 2}
users:
  - {name: alice, password: alice-secret}
%s`, user, ref, host, dbName, secretsCfg))
			db := g.mydb(t, "alice", "alice-secret", "shop", nil)
			db.SetMaxOpenConns(1)
			conn, err := db.Conn(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			var who string
			if err := conn.QueryRowContext(context.Background(), "SELECT CURRENT_USER()").Scan(&who); err != nil || !strings.HasPrefix(who, user+"@") {
				t.Fatalf("before the rotation: %q %v", who, err)
			}

			// Rotate: the server takes the new password, the secret follows,
			// and the server's sessions of that user are ended, so the
			// gateway must log in again.
			if _, err := admin.Exec(fmt.Sprintf("ALTER USER '%s'@'%%' IDENTIFIED BY 'pw-two'", user)); err != nil {
				t.Fatal(err)
			}
			rotated := time.Now()
			switch via {
			case "file":
				tmp := pwFile + ".new"
				if err := os.WriteFile(tmp, []byte("pw-two\n"), 0o600); err != nil {
					t.Fatal(err)
				}
				if err := os.Rename(tmp, pwFile); err != nil {
					t.Fatal(err)
				}
			case "vault":
				vault.Put("db/shop", map[string]string{"password": "pw-two"})
			}
			eventually(t, 10*time.Second, func() error {
				if !strings.Contains(g.log.String(), "backend credentials changed") {
					return errors.New("the rotated secret was not applied")
				}
				return nil
			})
			rows, err := admin.Query(fmt.Sprintf("SELECT id FROM information_schema.processlist WHERE user = '%s'", user))
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
			// The same client session, on a new backend connection (a
			// statement that meets a connection the KILL has not closed
			// yet gets 1927 and the session goes on).
			for try := 0; ; try++ {
				err := conn.QueryRowContext(context.Background(), "SELECT CURRENT_USER()").Scan(&who)
				if err == nil {
					break
				}
				if myErrno(err) != 1927 || try == 3 {
					t.Fatalf("after the rotation, on the same client session: %v", err)
				}
			}
			t.Logf("rotation via %s applied %v after the secret changed", via, time.Since(rotated).Round(time.Millisecond))
			if strings.Contains(g.log.String(), "pw-one") || strings.Contains(g.log.String(), "pw-two") {
				t.Error("a password reached the log")
			}
		})
	}
}
