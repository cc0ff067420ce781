package policy

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/floe-db/floe/internal/audit"
	"github.com/floe-db/floe/internal/config"
)

const testConfig = `
databases:
  - {name: app, kind: postgres, primary: "postgres://u@127.0.0.1:5432/app"}
  - {name: shop, kind: mysql, primary: "mysql://u@127.0.0.1:3306/shop"}
users:
  - {name: alice, password: a, roles: [analyst]}
  - {name: bob, password: b, roles: [writer]}
  - {name: root, password: r, roles: [dba]}
  - {name: nobody, password: n}
  - {name: etl, password: e, roles: [writer, sleeper]}
  - {name: sue, password: s, roles: [support]}
roles:
  - name: analyst
    grants:
      - {database: app, tables: ["public.*", "reports.daily"], actions: [select]}
      - {database: app, tables: ["public.salaries"], actions: [all], deny: true}
      - {database: shop, tables: ["*"], actions: [select]}
  - name: writer
    grants:
      - {database: app, tables: ["orders", "items"], actions: [select, insert, update, delete]}
      - {database: app, tables: ["orders"], actions: [copy]}
      - {database: shop, tables: ["orders"], actions: [select, insert]}
  - name: dba
    grants:
      - {database: "*", actions: [all]}
  - name: support
    grants:
      - {database: app, tables: [customers], columns: [id, name], actions: [select]}
      - {database: app, tables: [orders], actions: [select]}
      - {database: app, tables: [orders], columns: [card], actions: [select], deny: true}
  - name: sleeper
    grants:
      - {database: app, functions: [pg_sleep], actions: [execute]}
      - {database: app, functions: ["lower"], actions: [execute], deny: true}
firewall:
  mode: protect
  overrides:
    - {user: root, mode: detect}
    - {user: etl, database: app, mode: "off"}
`

func newTestPolicy(t testing.TB, extra string, opts Options) *Policy {
	t.Helper()
	return policyFrom(t, testConfig+extra, opts)
}

// policyFrom builds a policy from a whole config text.
func policyFrom(t testing.TB, yaml string, opts Options) *Policy {
	t.Helper()
	cfg, err := config.Parse("t.yaml", []byte(yaml), func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	p, err := New(cfg, opts)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

var roles = map[string][]string{"sue": {"support"}, "alice": {"analyst"}, "bob": {"writer"}, "root": {"dba"}, "nobody": nil, "etl": {"writer", "sleeper"}}

func TestDecisions(t *testing.T) {
	p := newTestPolicy(t, "", Options{})
	for _, tt := range []struct {
		user, db, sql string
		want          string // "" allowed, else the deciding rule
		msg           string // part of the message
	}{
		// grants on tables, schemas, wildcards
		{"alice", "app", "SELECT * FROM customers", "", ""},
		{"alice", "app", "SELECT * FROM public.customers c JOIN reports.daily d ON d.id = c.id", "", ""},
		{"alice", "app", "SELECT * FROM reports.weekly", RuleGrant, `no select grant on table reports.weekly`},
		{"alice", "app", "SELECT * FROM salaries", RuleGrantDenied, `select on table salaries is denied to user "alice" by role "analyst"`},
		{"alice", "app", "SELECT * FROM customers WHERE id IN (SELECT id FROM public.salaries)", RuleGrantDenied, "salaries"},
		{"alice", "app", "WITH s AS (SELECT * FROM salaries) SELECT * FROM s", RuleGrantDenied, "salaries"},
		{"alice", "app", "INSERT INTO customers VALUES (1)", RuleGrant, "no insert grant on table customers"},
		{"alice", "app", "WITH d AS (DELETE FROM customers RETURNING *) SELECT * FROM d", RuleGrant, "no delete grant"},
		{"alice", "app", "SELECT * INTO newtab FROM customers", RuleGrant, "no ddl grant on table newtab"},
		{"alice", "app", "COPY customers TO STDOUT", RuleGrant, "no copy grant on table customers"},
		{"alice", "app", "BEGIN", "", ""},
		{"alice", "app", "SELECT relname FROM pg_class", "", ""},
		{"alice", "shop", "SELECT * FROM orders", "", ""},
		{"bob", "app", "COPY orders FROM STDIN", "", ""},
		{"bob", "app", "COPY orders TO '/tmp/x'", RuleGrant, "access to server files"},
		{"bob", "app", "COPY (SELECT 1) TO PROGRAM 'id'", RuleGrant, "access to server files"},
		{"bob", "app", "UPDATE orders SET total = 1 WHERE id = 2", "", ""},
		{"bob", "app", "UPDATE public.orders SET total = 1 WHERE id = 2", "", ""},
		{"bob", "app", "UPDATE other.orders SET total = 1 WHERE id = 2", RuleGrant, "other.orders"},
		{"bob", "app", "DROP TABLE orders", RuleGrant, "no ddl grant on table orders"},
		{"bob", "app", "CREATE SCHEMA x", RuleGrant, "no ddl grant on database app (DDL)"},
		{"bob", "app", "GRANT SELECT ON orders TO public", RuleGrant, "no admin grant on database app (DCL)"},
		{"bob", "app", "SET ROLE postgres", RuleGrant, "SET ROLE"},
		{"bob", "app", "ALTER SYSTEM SET work_mem = '1GB'", RuleGrant, "ALTER SYSTEM"},
		{"bob", "app", "DO $$BEGIN END$$", RuleGrant, "(DO)"},
		{"bob", "app", "CALL do_things()", RuleGrant, "no execute grant on function do_things"},
		{"bob", "app", "SELECT pg_read_file('/etc/passwd')", RuleGrant, "function pg_read_file"},
		{"bob", "app", "SELECT lower(name) FROM orders", "", ""},
		{"bob", "shop", "SELECT * FROM orders", "", ""},
		{"bob", "shop", "SELECT * FROM shop.orders", "", ""},
		{"bob", "shop", "SELECT * FROM mysql.user", RuleGrant, "mysql.user"},
		{"bob", "shop", "SELECT * FROM orders INTO OUTFILE '/tmp/o'", RuleGrant, "access to server files"},
		{"bob", "shop", "SELECT LOAD_FILE('/etc/passwd')", RuleGrant, "function load_file"},
		{"bob", "shop", "SET GLOBAL max_connections = 1", RuleGrant, "SET GLOBAL"},
		{"nobody", "app", "SELECT 1", "", ""},
		{"nobody", "app", "SELECT * FROM orders", RuleGrant, "orders"},
		{"root", "app", "DROP TABLE orders", "", ""},
		{"root", "app", "SELECT pg_read_file('x')", "", ""}, // detect mode: logged
		{"etl", "app", "SELECT pg_sleep(1)", "", ""},
		{"etl", "app", "SELECT lower(name) FROM orders", RuleGrantDenied, "function lower"},
		// column grants
		{"sue", "app", "SELECT id, name FROM customers WHERE id = 1", "", ""},
		{"sue", "app", "SELECT c.name, o.total FROM customers c JOIN orders o ON o.cid = c.id", "", ""},
		{"sue", "app", "SELECT email FROM customers", RuleGrant, "no select grant on column email of table customers"},
		{"sue", "app", "SELECT name FROM customers WHERE email = 'x'", RuleGrant, "column email"},
		{"sue", "app", "SELECT * FROM customers", RuleGrant, "name them instead of *"},
		{"sue", "app", "SELECT count(*) FROM customers", "", ""},
		{"sue", "app", "SELECT total FROM orders", "", ""},
		{"sue", "app", "SELECT card FROM orders", RuleGrantDenied, "column card of table orders is denied"},
		{"sue", "app", "SELECT * FROM orders", RuleGrantDenied, "column * of table orders"},
		{"sue", "app", "SELECT x FROM (SELECT card AS x FROM orders) d", RuleGrantDenied, "card"},
		// parsing
		{"alice", "app", "SELEC 1", RuleParse, "could not be parsed"},
		// firewall (protect)
		{"alice", "app", "SELECT * FROM customers WHERE name = '' OR 1=1", RuleTautology, "always true"},
		{"alice", "app", "SELECT * FROM customers WHERE name = 'x' -- '", RuleComment, ""},
		{"alice", "app", "SELECT * FROM customers WHERE id = 1; DROP TABLE customers", RuleGrant, "ddl"},
		{"alice", "app", "SELECT name FROM customers WHERE id = 1 UNION SELECT version()", RuleUnion, ""},
		{"alice", "app", "SELECT name FROM customers WHERE id = 1 UNION SELECT usename FROM pg_user", RuleCatalog, "pg_user"},
		{"alice", "app", "SELECT name FROM customers WHERE name = '1'' or ''1''=''1'", "", ""}, // literals: log
		{"alice", "app", "SELECT name FROM customers WHERE name = 'O''Brien -- the elder'", "", ""},
		{"root", "app", "SELECT * FROM customers WHERE id = 1; DROP TABLE customers", "", ""}, // detect
		{"etl", "app", "SELECT * FROM orders WHERE id = 1 OR 1=1", "", ""},                    // firewall off
		// input hygiene
		{"alice", "app", "SELECT '\x01'", RuleInput, "control character 0x01"},
		{"alice", "app", "SELECT '\xff'", RuleInput, "not valid UTF-8"},
		{"bob", "shop", "INSERT INTO orders VALUES (_binary'\xff\x00')", "", ""},
	} {
		d := MySQL
		if tt.db == "app" {
			d = Postgres
		}
		dec := p.Check(context.Background(), Request{User: tt.user, Roles: roles[tt.user], Database: tt.db, Dialect: d, SQL: tt.sql, DefaultSchema: map[string]string{"app": "public", "shop": "shop"}[tt.db]})
		got := ""
		if dec.Denial != nil {
			got = dec.Denial.Rule
		}
		if got != tt.want {
			msg := ""
			if dec.Denial != nil {
				msg = dec.Denial.Message
			}
			t.Errorf("%s@%s %q: got %q (%s), want %q", tt.user, tt.db, tt.sql, got, msg, tt.want)
			continue
		}
		if dec.Denial != nil && !strings.Contains(dec.Denial.Message, tt.msg) {
			t.Errorf("%s@%s %q: message %q lacks %q", tt.user, tt.db, tt.sql, dec.Denial.Message, tt.msg)
		}
	}
}

func TestErrorCodes(t *testing.T) {
	p := newTestPolicy(t, "", Options{})
	check := func(user, db string, d Dialect, sql string) *Denial {
		return p.Check(context.Background(), Request{User: user, Roles: roles[user], Database: db, Dialect: d, SQL: sql, DefaultSchema: "public"}).Denial
	}
	for _, tt := range []struct {
		den   *Denial
		state string
		errno uint16
	}{
		{check("alice", "shop", MySQL, "DELETE FROM orders"), "42501", 1142},
		{check("bob", "shop", MySQL, "SELECT LOAD_FILE('/etc/passwd')"), "42501", 1370},
		{check("bob", "shop", MySQL, "FLUSH PRIVILEGES"), "42501", 1227},
		{check("alice", "shop", MySQL, "SELECT * FROM orders WHERE id = 1 OR 1=1"), "42501", 1148},
		{check("alice", "shop", MySQL, "SELEC 1"), "42601", 1064},
	} {
		if tt.den == nil || tt.den.Code != tt.state || tt.den.Errno != tt.errno {
			t.Errorf("denial %+v: want %s/%d", tt.den, tt.state, tt.errno)
		}
	}
	if den := p.Connect("nobody", nil, "app"); den == nil || den.Errno != 1044 {
		t.Errorf("nobody may connect: %+v", den)
	}
	if den := p.Connect("alice", roles["alice"], "app"); den != nil {
		t.Errorf("alice refused: %v", den)
	}
}

func TestLearnThenEnforce(t *testing.T) {
	path := filepath.Join(t.TempDir(), "allow.json")
	list, err := OpenAllowlist(path, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	extra := "  allowlist: " + path + "\n"
	cfgLearn := strings.Replace(testConfig, "mode: protect", "mode: learn", 1) + extra
	lp := policyFrom(t, cfgLearn, Options{Allowlist: list})
	req := Request{User: "alice", Roles: roles["alice"], Database: "app", Dialect: Postgres, DefaultSchema: "public"}
	for _, q := range []string{"SELECT * FROM customers WHERE id = 1", "SELECT name FROM customers WHERE name = 'x'"} {
		req.SQL = q
		if d := lp.Check(context.Background(), req); d.Denial != nil {
			t.Fatalf("learn mode denied %q: %v", q, d.Denial)
		}
	}
	if err := list.Flush(); err != nil {
		t.Fatal(err)
	}
	// The file holds what was learned; a fresh list reads it back.
	list2, err := OpenAllowlist(path, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer list2.Close()
	if n := len(list2.Entries()); n != 2 {
		t.Fatalf("allow-list has %d entries", n)
	}
	cfgEnforce := strings.Replace(testConfig, "mode: protect", "mode: enforce", 1) + extra
	ep := policyFrom(t, cfgEnforce, Options{Allowlist: list2})
	for _, tt := range []struct{ sql, want string }{
		{"SELECT * FROM customers WHERE id = 42", ""},                  // same shape, other literal
		{"select *  from customers where id=7", ""},                    // same shape, other spelling
		{"SELECT * FROM customers WHERE id = 1 OR 1=1", RuleTautology}, // protect rules still apply
		{"SELECT * FROM customers", RuleUnknown},
		{"SELECT name FROM customers WHERE name = 'x' UNION SELECT name FROM customers", RuleUnknown},
	} {
		req.SQL = tt.sql
		got := ""
		if d := ep.Check(context.Background(), req); d.Denial != nil {
			got = d.Denial.Rule
		}
		if got != tt.want {
			t.Errorf("enforce %q: got %q want %q", tt.sql, got, tt.want)
		}
	}
	_ = list.Close()
}

func TestLiteralsBlock(t *testing.T) {
	sql := "SELECT name FROM customers WHERE name = '1'' or ''1''=''1'"
	req := Request{User: "alice", Roles: roles["alice"], Database: "app", Dialect: Postgres, DefaultSchema: "public", SQL: sql}
	dec := newTestPolicy(t, "", Options{}).Check(context.Background(), req)
	if dec.Denial != nil || len(dec.Findings) != 1 || dec.Findings[0].Rule != RuleLiteral || dec.Findings[0].Block {
		t.Errorf("literals: log: %+v", dec)
	}
	cfg := strings.Replace(testConfig, "mode: protect", "mode: protect\n  literals: block", 1)
	p := policyFrom(t, cfg, Options{})
	if d := p.Check(context.Background(), req); d.Denial == nil || d.Denial.Rule != RuleLiteral {
		t.Errorf("literals: block: %+v", d)
	}
}

type memAudit struct{ events []audit.Event }

func (m *memAudit) Log(e audit.Event) { m.events = append(m.events, e) }

func TestAuditRecords(t *testing.T) {
	m := &memAudit{}
	p := newTestPolicy(t, "", Options{Audit: m})
	req := Request{User: "alice", Roles: roles["alice"], Database: "app", Dialect: Postgres, DefaultSchema: "public", Via: "query"}
	req.SQL = "SELECT * FROM customers WHERE name = 'secret-name'"
	p.Check(context.Background(), req)
	req.SQL = "SELECT * FROM salaries WHERE name = 'secret-name'"
	p.Check(context.Background(), req)
	if len(m.events) != 2 {
		t.Fatalf("%d events", len(m.events))
	}
	for i, want := range []string{"allowed", "denied"} {
		e := m.events[i]
		if e.Get("decision") != want {
			t.Errorf("event %d: decision %v", i, e.Get("decision"))
		}
		if s, _ := e.Get("sql").(string); strings.Contains(s, "secret-name") {
			t.Errorf("event %d: literal not masked: %s", i, s)
		}
	}
	if m.events[1].Get("rule") != RuleGrantDenied {
		t.Errorf("denied event rule %v", m.events[1].Get("rule"))
	}
}

// BenchmarkCheck measures one decision: a text seen before (cache hit),
// and texts never seen (a parse each time), in both dialects.
func BenchmarkCheck(b *testing.B) {
	p := newTestPolicy(b, "", Options{})
	ctx := context.Background()
	for _, d := range []Dialect{Postgres, MySQL} {
		req := Request{User: "alice", Roles: roles["alice"], Database: "app", Dialect: d, DefaultSchema: "public"}
		if d == MySQL {
			req.Database = "shop"
		}
		b.Run(d.String()+"/cached", func(b *testing.B) {
			req.SQL = "SELECT c.id, c.name FROM customers c JOIN orders o ON o.customer_id = c.id WHERE c.id = $1"
			for b.Loop() {
				p.Check(ctx, req)
			}
		})
		b.Run(d.String()+"/unique", func(b *testing.B) {
			for i := 0; b.Loop(); i++ {
				req.SQL = fmt.Sprintf("SELECT c.id, c.name FROM customers c JOIN orders o ON o.customer_id = c.id WHERE c.id = %d", i)
				p.Check(ctx, req)
			}
		})
	}
}
