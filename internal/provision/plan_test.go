package provision

import (
	"reflect"
	"strings"
	"testing"

	"github.com/floe-db/floe/internal/config"
)

func TestPlan(t *testing.T) {
	cfg, err := config.Parse("f.yaml", []byte(`databases:
  - name: app
    kind: postgres
    primary: postgres://owner@127.0.0.1/app
    identities:
      - {role: reader, user: r}
      - {role: writer, user: w, password: x}
      - {role: '*', user: rest}
      - {role: ops}
users: [{name: u, password: p, roles: [reader]}]
roles:
  - name: reader
    grants:
      - {database: app, tables: ["public.*"], actions: [select]}
      - {database: app, tables: [secrets], actions: [select], deny: true}
      - {database: app, tables: [customers], columns: [email], actions: [select], deny: true}
    row_filters: [{database: app, table: orders, where: "tenant = 7"}]
  - name: writer
    grants:
      - {database: app, tables: [orders], actions: [insert, update, delete, ddl]}
      - {database: app, tables: [customers], columns: [id, Name], actions: [select]}
  - name: other
    grants: [{database: app, actions: [select, ddl]}]
  - name: ops
    grants: [{database: "*", actions: [all]}]
`), func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	tables := []Table{
		{Schema: "public", Name: "orders", Columns: []string{"id", "tenant"}},
		{Schema: "public", Name: "customers", Columns: []string{"id", "Name", "email"}},
		{Schema: "public", Name: "secrets", Columns: []string{"id", "secret"}},
		{Schema: "audit", Name: "log", Columns: []string{"id"}},
	}
	logins, err := Plan(cfg, cfg.Databases[0], "public", tables, false)
	if err != nil {
		t.Fatal(err)
	}
	type flat struct {
		User     string
		Roles    []string
		Grants   map[string]map[string][]string
		Schemas  []string
		CreateIn []string
		Filters  map[string]string
	}
	var got []flat
	for _, l := range logins {
		f := flat{User: l.User, Roles: l.Roles, Grants: map[string]map[string][]string{}, Schemas: l.Schemas, CreateIn: l.CreateIn, Filters: l.Filters}
		for _, g := range l.Grants {
			f.Grants[g.Table.Schema+"."+g.Table.Name] = g.Privs
		}
		got = append(got, f)
	}
	want := []flat{
		{User: "r", Roles: []string{"reader"}, Grants: map[string]map[string][]string{
			"public.orders":    {"SELECT": nil},
			"public.customers": {"SELECT": {"id", "Name"}}, // email denied
		}, Schemas: []string{"public"}, Filters: map[string]string{"public.orders": "tenant = 7"}},
		{User: "w", Roles: []string{"writer"}, Grants: map[string]map[string][]string{
			"public.orders":    {"INSERT": nil, "UPDATE": nil, "DELETE": nil, "TRUNCATE": nil},
			"public.customers": {"SELECT": {"id", "Name"}},
		}, Schemas: []string{"public"}, Filters: map[string]string{}},
		// "*" covers the roles without an identity of their own: other
		// (ops has one, with the DSN's login, so it is not provisioned).
		{User: "rest", Roles: []string{"other"}, Grants: map[string]map[string][]string{
			"public.orders": {"SELECT": nil, "TRUNCATE": nil}, "public.customers": {"SELECT": nil, "TRUNCATE": nil},
			"public.secrets": {"SELECT": nil, "TRUNCATE": nil}, "audit.log": {"SELECT": nil, "TRUNCATE": nil},
		}, Schemas: []string{"audit", "public"}, CreateIn: []string{"audit", "public"}, Filters: map[string]string{}},
	}
	if !reflect.DeepEqual(want, got) {
		t.Fatalf("plan:\n got %+v\nwant %+v", got, want)
	}

	cfg.Databases[0].Identities = append(cfg.Databases[0].Identities, config.Identity{Role: "other", User: "w", Password: "different"})
	if _, err := Plan(cfg, cfg.Databases[0], "public", tables, false); err == nil || !strings.Contains(err.Error(), "two different passwords") {
		t.Fatalf("two passwords for one login: %v", err)
	}
}

func TestShownHidesPasswords(t *testing.T) {
	for _, q := range []string{
		"CREATE ROLE x WITH LOGIN PASSWORD 'secret'",
		"ALTER USER 'x'@'%' IDENTIFIED BY 'secret'",
	} {
		if s := shown(q, true); strings.Contains(s, "secret") {
			t.Errorf("%q shown as %q", q, s)
		}
	}
	if got := myQuoteString("a'b\\c\x00"); got != `'a\'b\\c\0'` {
		t.Errorf("myQuoteString: %s", got)
	}
	if got := myQuoteIdent("a`b"); got != "`a``b`" {
		t.Errorf("myQuoteIdent: %s", got)
	}
}
