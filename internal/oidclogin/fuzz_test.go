package oidclogin

import (
	"strings"
	"testing"
)

// FuzzPgpassLine: a line written for any entry and password splits back
// into exactly those five fields, and splitting never panics.
func FuzzPgpassLine(f *testing.F) {
	f.Add("db.example", "6432", "app", "dana", "eyJhbGciOi.x.y")
	f.Add(`h\:x`, "5432", `d\b`, "u:ser", `pa:ss\`)
	f.Add("", "", "", "", "")
	f.Fuzz(func(t *testing.T, host, port, db, user, password string) {
		if strings.ContainsAny(host+port+db+user+password, "\r\n") {
			return
		}
		e := PgpassEntry{Host: host, Port: port, Database: db, User: user}
		got := splitPgpass(e.line(password))
		want := []string{host, port, db, user, password}
		if len(got) != len(want) {
			t.Fatalf("split %q into %d fields", e.line(password), len(got))
		}
		for i := range want {
			if got[i] != want[i] {
				t.Fatalf("field %d: %q, want %q", i, got[i], want[i])
			}
		}
		_, _ = ParsePgpassEntry(host)
	})
}
