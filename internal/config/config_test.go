package config

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestParseValid(t *testing.T) {
	dir := t.TempDir()
	secret := filepath.Join(dir, "pw")
	if err := os.WriteFile(secret, []byte("from-file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	src := `
listen:
  postgres: 127.0.0.1:7000
databases:
  - name: app
    kind: postgres
    primary: postgres://owner:${env:APP_PW}@db:5432/app
    pool: {mode: session, size: 5, idle_timeout: 30s}
  - name: local
    kind: sqlite
    path: ./x.db
users:
  - name: alice
    password: ${file:` + secret + `}
    databases: [app]
`
	c, err := Parse("f.yaml", []byte(src), env(map[string]string{"APP_PW": "s3cret"}))
	if err != nil {
		t.Fatal(err)
	}
	if c.Listen.Postgres != "127.0.0.1:7000" || c.Listen.Admin != DefaultAdminAddr {
		t.Fatalf("listen: %+v", c.Listen)
	}
	d, _ := c.Database("app")
	if d.Primary != "postgres://owner:s3cret@db:5432/app" || d.Pool.Size != 5 || d.Pool.IdleTimeout != 30*time.Second || d.Pool.AcquireTimeout != DefaultAcquireTimeout {
		t.Fatalf("database: %+v", d)
	}
	if c.Users[0].Password != "from-file" {
		t.Fatalf("file secret: %q", c.Users[0].Password)
	}
	if l, _ := c.Database("local"); l.Pool.Mode != PoolTransaction {
		t.Fatalf("default mode: %q", l.Pool.Mode)
	}
}

func TestParseErrorsNameKeyAndLine(t *testing.T) {
	cases := []struct {
		name, src, want string
	}{
		{"unknown key", "databases:\n  - name: a\n    kind: sqlite\n    path: x\n    colour: red\nusers: [{name: u, password: p}]\n", "f.yaml:5: databases[0].colour: unknown key"},
		{"bad kind", "databases:\n  - name: a\n    kind: oracle\nusers: [{name: u, password: p}]\n", "f.yaml:3: databases[0].kind"},
		{"bad mode", "databases:\n  - name: a\n    kind: sqlite\n    path: x\n    pool:\n      mode: sometimes\nusers: [{name: u, password: p}]\n", "f.yaml:6: databases[0].pool.mode"},
		{"no users", "databases: [{name: a, kind: sqlite, path: x}]\n", "users: at least one user is required"},
		{"unset env", "databases: [{name: a, kind: sqlite, path: x}]\nusers:\n  - name: u\n    password: ${env:NOPE}\n", "f.yaml:4: users[0].password: environment variable NOPE"},
		{"wrong type", "databases: [{name: a, kind: sqlite, path: x}]\nusers: [{name: u, password: p}]\npostgres:\n  max_connections: lots\n", "f.yaml:4"},
		{"bad dsn scheme", "databases:\n  - name: a\n    kind: postgres\n    primary: mysql://u:hunter2@h/db\nusers: [{name: u, password: p}]\n", "f.yaml:4: databases[0].primary"},
		{"dup database", "databases:\n  - {name: a, kind: sqlite, path: x}\n  - {name: a, kind: sqlite, path: y}\nusers: [{name: u, password: p}]\n", "duplicate database"},
		{"unknown role", "databases: [{name: a, kind: sqlite, path: x}]\nusers: [{name: u, password: p, roles: [ghost]}]\n", `unknown role "ghost"`},
		{"bad verifier", "databases: [{name: a, kind: sqlite, path: x}]\nusers: [{name: u, scram: plain}]\n", "not a SCRAM-SHA-256 verifier"},
		{"yaml syntax", "databases: [\n", "f.yaml:1: (file)"},
		{"yaml indentation", "databases:\n  - name: a\n   kind: sqlite\nusers: [{name: u, password: p}]\n", "f.yaml:3: (file): did not find expected '-' indicator"},
		{"yaml key indentation", "databases: [{name: a, kind: sqlite, path: x}]\nusers:\n  - name: u\n    password: p\n   roles: [r]\n", "f.yaml:5: (file)"},
		{"empty file", "", "f.yaml: (file): the file is empty"},
		{"only comments", "# nothing yet\n", "f.yaml: (file): the file is empty"},
		{"replica key", "databases:\n  - name: a\n    kind: postgres\n    primary: postgres://h/db\n    replicas:\n      - {dsn: postgres://r/db, colour: red}\nusers: [{name: u, password: p}]\n", "f.yaml:6: databases[0].replicas[0].colour: unknown key"},
		{"replica dsn", "databases:\n  - name: a\n    kind: postgres\n    primary: postgres://h/db\n    replicas:\n      - {weight: 2}\nusers: [{name: u, password: p}]\n", "databases[0].replicas[0]: a replica is a DSN"},
		{"retry attempts", "databases:\n  - name: a\n    kind: postgres\n    primary: postgres://h/db\n    pool:\n      retry: {attempts: 50}\nusers: [{name: u, password: p}]\n", "f.yaml:6: databases[0].pool.retry.attempts"},
		{"breaker rate", "databases:\n  - name: a\n    kind: postgres\n    primary: postgres://h/db\n    pool:\n      breaker:\n        error_rate: 2\nusers: [{name: u, password: p}]\n", "f.yaml:7: databases[0].pool.breaker.error_rate"},
		{"negative query timeout", "databases:\n  - name: a\n    kind: postgres\n    primary: postgres://h/db\n    pool: {query_timeout: -1s}\nusers: [{name: u, password: p}]\n", "databases[0].pool.query_timeout: must not be negative"},
		{"health timeout", "databases:\n  - name: a\n    kind: postgres\n    primary: postgres://h/db\n    health: {interval: 1s, timeout: 2s}\nusers: [{name: u, password: p}]\n", "f.yaml:5: databases[0].health.timeout"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse("f.yaml", []byte(tc.src), env(nil))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("want %q in error, got %v", tc.want, err)
			}
			if strings.Contains(err.Error(), "hunter2") {
				t.Fatalf("error echoes a secret: %v", err)
			}
		})
	}
}

func TestExpandRefs(t *testing.T) {
	got, err := ExpandRefs("a${env:X}b${env:Y}", env(map[string]string{"X": "1", "Y": "2"}))
	if err != nil || got != "a1b2" {
		t.Fatal(got, err)
	}
	for _, bad := range []string{"${env:}", "${vault:x}", "${env:X", "${nope}"} {
		if _, err := ExpandRefs(bad, env(nil)); err == nil {
			t.Errorf("%q: want an error", bad)
		}
	}
	var ce *Error
	_, err = Parse("f.yaml", []byte("databases: [{name: a, kind: sqlite, path: ${file:/nonexistent/x}}]\nusers: [{name: u, password: p}]\n"), env(nil))
	if !errors.As(err, &ce) && !strings.Contains(err.Error(), "no such file") {
		t.Fatal(err)
	}
}

func TestRedactDSN(t *testing.T) {
	for in, want := range map[string]string{
		"postgres://u:pw@h:5432/db":          "postgres://u:xxxxx@h:5432/db",
		"postgres://u@h/db?password=pw":      "postgres://u@h/db?password=xxxxx",
		"mysql://root@127.0.0.1:3306/shop":   "mysql://root@127.0.0.1:3306/shop",
		"not a url with a password: pw ::: ": "(unparseable dsn)",
	} {
		if got := RedactDSN(in); got != want {
			t.Errorf("RedactDSN(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestMaskingAndGrantsParse(t *testing.T) {
	c, err := Parse("f.yaml", []byte("databases: [{name: a, kind: sqlite, path: x}]\nroles: [{name: r, grants: [{database: a, tables: ['*'], actions: [select]}]}]\nusers: [{name: u, password: p, roles: [r]}]\nfirewall: {mode: protect}\nmasking: [{database: a, table: t, column: c, method: full}]\n"), env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Masking) != 1 || c.Masking[0].Method != "full" {
		t.Fatalf("masking: %+v", c.Masking)
	}
	if !c.GrantsConfigured() {
		t.Fatal("grants not seen")
	}
}

func TestPolicyValidation(t *testing.T) {
	base := "databases: [{name: a, kind: sqlite, path: x}]\nusers: [{name: u, password: p, roles: [r]}]\n"
	for _, tt := range []struct{ yaml, want string }{
		{"roles: [{name: r, grants: [{database: a, tables: ['*'], actions: [read]}]}]", `actions[0]: "read": want one of`},
		{"roles: [{name: r, grants: [{database: a, tables: ['*']}]}]", "actions: is required"},
		{"roles: [{name: r, grants: [{database: a, functions: [pg_sleep], actions: [select]}]}]", "functions take the execute action"},
		{"roles: [{name: r, grants: [{database: a, tables: ['a.b.c'], actions: [select]}]}]", "want name, schema.name"},
		{"roles: [{name: r}]\nfirewall: {mode: learn}", "firewall.allowlist: learn and enforce modes need"},
		{"roles: [{name: r}]\nfirewall: {mode: protect, overrides: [{user: nobody, mode: off}]}", `unknown user "nobody"`},
		{"roles: [{name: r}]\nfirewall: {overrides: [{mode: off}]}", "names a database, a user or both"},
		{"roles: [{name: r}]\npolicy: {unparseable: maybe}", `policy.unparseable: "maybe": want deny or allow`},
		{"roles: [{name: r}]\naudit: {on_full: wait, file: x}", `audit.on_full: "wait"`},
		{"roles: [{name: r}]\nmasking: [{database: a, column: c, method: blur}]", `masking[0].method: "blur": want full, partial`},
		{"roles: [{name: r}]\nmasking: [{database: b, column: c, method: full}]", `masking[0].database: unknown database "b"`},
		{"roles: [{name: r}]\nmasking: [{database: a, table: t, method: full}]", "masking[0].column: is required"},
		{"roles: [{name: r}]\nmasking: [{database: a, column: c, method: full, keep: 2}]", "masking[0].keep: is a positive count for method partial"},
		{"roles: [{name: r}]\nmasking: [{database: a, column: c, method: full, key: k}]", "masking[0].key: is for method hash"},
		{"roles: [{name: r}]\nmasking: [{database: a, column: c, method: full, except_roles: [x]}]", `masking[0].except_roles[0]: unknown role "x"`},
		{"roles: [{name: r}]\nmasking: [{database: a, column: '[', method: full}]", `"[": bad pattern`},
		{"roles: [{name: r}]\nlimits: [{per: user, max_result_rows: -1}]", "limits must not be negative"},
	} {
		_, err := Parse("f.yaml", []byte(base+tt.yaml+"\n"), env(nil))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s:\n got %v\nwant %q", tt.yaml, err, tt.want)
		}
	}
}

func TestReplicasAndHealth(t *testing.T) {
	src := `databases:
  - name: a
    kind: postgres
    primary: postgres://h/db
    replicas:
      - postgres://r1/db
      - {dsn: postgres://r2/db, weight: 3, tags: {region: eu}}
    health: {interval: 500ms}
users: [{name: u, password: p}]
`
	c, err := Parse("f.yaml", []byte(src), env(nil))
	if err != nil {
		t.Fatal(err)
	}
	d := c.Databases[0]
	if len(d.Replicas) != 2 || d.Replicas[0].DSN != "postgres://r1/db" || d.Replicas[0].Weight != 1 ||
		d.Replicas[1].Weight != 3 || d.Replicas[1].Tags["region"] != "eu" {
		t.Fatalf("replicas %+v", d.Replicas)
	}
	if p := d.Pool; p.ConnectTimeout != DefaultConnectTimeout || p.Retry != (Retry{Attempts: 3, Backoff: 100 * time.Millisecond, MaxBackoff: time.Second}) ||
		p.Breaker != (Breaker{Failures: 5, MinRequests: 10, Window: 10 * time.Second, OpenFor: 5 * time.Second}) {
		t.Fatalf("pool defaults %+v", p)
	}
	if h := d.Health; h.Interval != 500*time.Millisecond || h.Timeout != 500*time.Millisecond || h.FailAfter != 3 || h.RiseAfter != 2 {
		t.Fatalf("health %+v", h)
	}
}

func TestSameButPasswords(t *testing.T) {
	a := []string{"postgres://u:one@h:5432/db?sslmode=disable", "mysql://root:x@r:3306/shop"}
	for _, tc := range []struct {
		b    []string
		want bool
	}{
		{[]string{"postgres://u:two@h:5432/db?sslmode=disable", "mysql://root:y@r:3306/shop"}, true},
		{[]string{"postgres://v:one@h:5432/db?sslmode=disable", "mysql://root:x@r:3306/shop"}, false},
		{[]string{"postgres://u:one@h:5433/db?sslmode=disable", "mysql://root:x@r:3306/shop"}, false},
		{[]string{"postgres://u:one@h:5432/db?sslmode=disable"}, false},
	} {
		if got := SameButPasswords(a, tc.b); got != tc.want {
			t.Errorf("SameButPasswords(%v) = %v", tc.b, got)
		}
	}
}
