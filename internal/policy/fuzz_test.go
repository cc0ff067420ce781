package policy

import (
	"context"
	"testing"
)

// FuzzCheck feeds arbitrary text through the whole decision in both
// dialects: input hygiene, both parsers, grants, every firewall rule. It
// must never panic, and a text that is not valid UTF-8 is never allowed.
func FuzzCheck(f *testing.F) {
	for _, s := range []string{
		"SELECT * FROM customers WHERE id = 1",
		"SELECT name FROM customers WHERE name = '' OR 1=1 -- '",
		"SELECT a FROM t UNION SELECT NULL, version()",
		"SELECT 1; DROP TABLE t",
		"COPY t TO PROGRAM 'id'",
		"SELECT * FROM t INTO OUTFILE '/tmp/x'",
		"SELECT id FROM a, a x, a y WHERE 'a' LIKE 'b' AND '' - '' = 0",
		"INSERT INTO t VALUES (_binary'\xff\x00')",
		"WITH d AS (DELETE FROM t RETURNING *) SELECT * FROM d",
		"SELECT '\xff'",
	} {
		f.Add(s, false)
		f.Add(s, true)
	}
	p := newTestPolicy(f, "", Options{})
	f.Fuzz(func(t *testing.T, sql string, mysql bool) {
		d := Postgres
		if mysql {
			d = MySQL
		}
		for _, user := range []string{"alice", "root"} {
			dec := p.Check(context.Background(), Request{User: user, Roles: roles[user], Database: "app", Dialect: d, SQL: sql, DefaultSchema: "public"})
			if dec.Denial == nil && checkInput(d, sql) != nil {
				t.Fatalf("text with bad input allowed: %q", sql)
			}
			if dec.Denial != nil && (dec.Denial.Rule == "" || dec.Denial.Code == "" || dec.Denial.Errno == 0) {
				t.Fatalf("denial without codes: %+v", dec.Denial)
			}
		}
	})
}
