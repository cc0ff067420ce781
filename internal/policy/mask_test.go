package policy

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"testing"
)

func TestMaskApply(t *testing.T) {
	for _, tt := range []struct {
		m        Mask
		in, want string
	}{
		{Mask{Method: "full"}, "secret value", "****"},
		{Mask{Method: "full"}, "", "****"},
		{Mask{Method: "partial", keep: 4}, "4111111111111111", "************1111"},
		{Mask{Method: "partial", keep: 4}, "1234", "****"},
		{Mask{Method: "partial", keep: 2}, "ñandú", "***dú"},
		{Mask{Method: "email"}, "jane.doe@example.com", "j***@example.com"},
		{Mask{Method: "email"}, "élise@exemple.fr", "é***@exemple.fr"},
		{Mask{Method: "email"}, "not-an-address", "****"},
		{Mask{Method: "email"}, "@example.com", "****"},
		{Mask{Method: "hash"}, "abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
		{Mask{Method: "hash", key: []byte("k")}, "abc", hmacHex("k", "abc")},
		{Mask{Method: "null"}, "x", ""},
	} {
		if got := string(tt.m.Apply(nil, []byte(tt.in))); got != tt.want {
			t.Errorf("%s(%q) = %q, want %q", tt.m.Method, tt.in, got, tt.want)
		}
	}
}

func hmacHex(key, v string) string {
	h := hmac.New(sha256.New, []byte(key))
	h.Write([]byte(v))
	return hex.EncodeToString(h.Sum(nil))
}

func rolesOf(user string) []string {
	return map[string][]string{"alice": {"analyst"}, "root": {"dba"}}[user]
}

const maskConfig = `
masking:
  - {database: app, table: customers, column: email, method: email, except_roles: [dba]}
  - {database: app, table: "public.cards", column: number, method: partial}
  - {database: "*", column: "*ssn*", method: hash}
  - {database: shop, table: "shop.customers", column: phone, method: "null"}
`

func TestMasksSelect(t *testing.T) {
	p := newTestPolicy(t, maskConfig, Options{})
	ms := p.Masks([]string{"analyst"}, "app", "public")
	for _, tt := range []struct {
		schema, table, column, want string
	}{
		{"", "customers", "email", "email"},
		{"public", "customers", "EMAIL", "email"},
		{"other", "customers", "email", ""},
		{"", "customers", "name", ""},
		{"public", "cards", "number", "partial"},
		{"x", "people", "person_ssn", "hash"},
	} {
		got := ""
		if m := ms.Column(tt.schema, tt.table, tt.column); m != nil {
			got = m.Method
		}
		if got != tt.want {
			t.Errorf("%s.%s.%s: %q, want %q", tt.schema, tt.table, tt.column, got, tt.want)
		}
	}
	if m := p.Masks([]string{"dba"}, "app", "public").Column("", "customers", "email"); m != nil {
		t.Error("an exempt role sees a masked column")
	}
	if p.Masks([]string{"dba"}, "app", "public").Column("", "people", "ssn") == nil {
		t.Error("exemption from one rule lifted another")
	}
	if m := p.Masks(nil, "shop", "shop").Column("", "customers", "phone"); m == nil || !m.Null() {
		t.Error("shop.customers.phone not masked with null")
	}
	if p.Masks(nil, "other", "public").Column("", "customers", "email") != nil {
		t.Error("a rule for app masked another database")
	}
}

// TestMaskedStatements: values of masked columns may be returned as they
// are (the gateway masks them on the wire); anything that filters on them,
// computes on them or moves them where the result cannot be masked is
// refused.
func TestMaskedStatements(t *testing.T) {
	p := newTestPolicy(t, maskConfig, Options{})
	ctx := context.Background()
	for _, tt := range []struct {
		user    string
		dialect Dialect
		sql     string
		denied  bool
	}{
		{"alice", Postgres, "SELECT id, email FROM customers WHERE email LIKE '%@x.com'", true},
		{"alice", Postgres, "SELECT id, email FROM customers WHERE id = 1", false},
		{"alice", Postgres, "SELECT * FROM customers", false},
		{"alice", Postgres, "SELECT e FROM (SELECT email AS e FROM customers) d", false},
		{"alice", Postgres, "WITH c AS (SELECT email FROM customers) SELECT email FROM c", false},
		{"alice", Postgres, "SELECT upper(email) FROM customers", true},
		{"alice", Postgres, "SELECT email || '' FROM customers", true},
		{"alice", Postgres, "SELECT email::bytea FROM customers", true},
		{"alice", Postgres, "SELECT email FROM customers UNION SELECT 'x'", true},
		{"alice", Postgres, "SELECT row_to_json(c) FROM customers c", true},
		{"alice", Postgres, "SELECT upper(e) FROM (SELECT email AS e FROM customers) d", true},
		{"alice", Postgres, "SELECT (SELECT email FROM customers LIMIT 1)", true},
		{"alice", Postgres, "SELECT string_agg(email, ',') FROM customers", true},
		{"alice", Postgres, "SELECT md5(ssn) FROM people", true},
		{"root", Postgres, "COPY people TO STDOUT", true},
		{"root", Postgres, "COPY (SELECT ssn FROM people) TO STDOUT", true},
		{"root", Postgres, "COPY customers TO STDOUT", true}, // the *ssn* rule may match any table's columns
		{"root", Postgres, "COPY customers FROM STDIN", false},
		{"alice", Postgres, "SELECT upper(name) FROM customers", false},
		{"root", Postgres, "SELECT upper(email) FROM customers", false},
		{"root", Postgres, "SELECT upper(ssn) FROM people", true},
		{"alice", MySQL, "SELECT email FROM customers", false},
		{"alice", MySQL, "SELECT e FROM (SELECT email AS e FROM customers) d", true}, // MySQL reports the derived table, not the base column
		{"alice", MySQL, "SELECT concat(email, '') FROM customers", true},
		{"alice", MySQL, "SELECT 1 FROM customers WHERE email = 'a@b.c'", true},
		{"alice", MySQL, "SELECT email FROM customers WHERE id = 1 ORDER BY id", false},
	} {
		db, schema := "app", "public"
		d := p.Check(ctx, Request{User: tt.user, Roles: rolesOf(tt.user), Database: db, DefaultSchema: schema, Dialect: tt.dialect, SQL: tt.sql})
		if got := d.Denial != nil; got != tt.denied {
			t.Errorf("%s %s %q: denied=%v (%v), want %v", tt.user, tt.dialect, tt.sql, got, d.Denial, tt.denied)
			continue
		}
		if d.Denial != nil && (d.Denial.Rule != RuleMaskDerived || d.Denial.Code != "42501" || !strings.Contains(d.Denial.Message, "masked")) {
			t.Errorf("%q: denial %+v", tt.sql, d.Denial)
		}
	}
}

func TestMaskedColumnsAreReported(t *testing.T) {
	p := newTestPolicy(t, maskConfig, Options{})
	d := p.Check(context.Background(), Request{User: "alice", Roles: []string{"analyst"}, Database: "app", DefaultSchema: "public",
		SQL: "SELECT c.id, c.email, c.name FROM customers c WHERE c.card = '1'"})
	if d.Denial != nil || strings.Join(d.Masked, ",") != "customers.email" {
		t.Fatalf("masked = %v, denial %v", d.Masked, d.Denial)
	}
}

func TestMaskingAloneDeniesUnparseable(t *testing.T) {
	p := policyFrom(t, `
databases: [{name: app, kind: postgres, primary: "postgres://u@127.0.0.1:5432/app"}]
users: [{name: u, password: p}]
masking: [{database: app, table: customers, column: email, method: full}]
`, Options{})
	d := p.Check(context.Background(), Request{User: "u", Database: "app", DefaultSchema: "public", SQL: "SELEC email FROM customers"})
	if d.Denial == nil || d.Denial.Rule != RuleParse {
		t.Fatalf("unparseable text with masking on: %+v", d.Denial)
	}
}
