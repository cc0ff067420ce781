package config

import (
	"strconv"
	"strings"
	"testing"
)

func TestScan(t *testing.T) {
	src := `databases:
  - name: a
    kind: postgres
    primary: postgres://app:hunter2@db:5432/app
    replicas:
      - postgres://app:${env:APP_PW}@r1/app
      - {dsn: "postgres://app@r2/app?password=s3cret"}
  - name: b
    kind: mysql
    primary: mysql://root@db:3306/shop
users:
  - {name: alice, password: swordfish}
  - {name: bob, password: "${env:BOB_PW}"}
  - {name: carol, scram: "SCRAM-SHA-256$4096:c2FsdA==$a:b"}
masking:
  - {database: a, table: t, column: c, method: hash, key: pepper}
tls: {cert: /etc/floe/cert.pem, key: /etc/floe/key.pem}
admin:
  tokens:
    - {name: ops, hash: "sha256:00", scopes: [admin]}
    - {name: ci, token: "${file:/run/secrets/ci}", scopes: [read]}
    - {name: raw, token: plain-token-value, scopes: [read]}
`
	fs, err := Scan("f.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range fs {
		if s := f.String(); strings.Contains(s, "hunter2") || strings.Contains(s, "swordfish") || strings.Contains(s, "s3cret") || strings.Contains(s, "pepper") || strings.Contains(s, "plain-token") {
			t.Errorf("a finding quotes the secret: %s", s)
		}
		got = append(got, f.Key+"@"+strconv.Itoa(f.Line))
	}
	want := "databases[0].primary@4,databases[0].replicas[1].dsn@7,users[0].password@12,masking[0].key@16,admin.tokens[2].token@22"
	if strings.Join(got, ",") != want {
		t.Errorf("findings %v\nwant %s", got, want)
	}
	if _, err := Scan("bad.yaml", []byte("a: [")); err == nil {
		t.Error("broken YAML scanned")
	}
}
