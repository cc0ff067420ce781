package sqlparse

import (
	"fmt"
	"strings"
	"testing"
)

func shapeString(sh Shape) string {
	return fmt.Sprintf("taut=%v const=%d union=%v sub=%d vars=%v", sh.Tautology, sh.ConstConditions, sh.ConstUnion, sh.Subqueries, sh.SystemVars)
}

func TestShape(t *testing.T) {
	both := []struct{ sql, want string }{
		{"SELECT id FROM users WHERE name = 'x'", "taut=false const=0 union=false sub=0 vars=[]"},
		{"SELECT id FROM users WHERE name = '' OR 1=1", "taut=true const=1 union=false sub=0 vars=[]"},
		{"SELECT id FROM users WHERE name = '' OR 'a'='a'", "taut=true const=1 union=false sub=0 vars=[]"},
		{"SELECT id FROM users WHERE id = 1 OR true", "taut=true const=0 union=false sub=0 vars=[]"},
		{"SELECT id FROM users WHERE id = 1 OR 2>1", "taut=true const=1 union=false sub=0 vars=[]"},
		{"SELECT id FROM users WHERE id = 1 OR id = id", "taut=true const=0 union=false sub=0 vars=[]"},
		{"SELECT id FROM users WHERE id = 1 OR 'x' IS NOT NULL", "taut=true const=0 union=false sub=0 vars=[]"},
		{"SELECT id FROM users WHERE id = 1 OR 1=2", "taut=false const=1 union=false sub=0 vars=[]"},
		{"SELECT id FROM users WHERE id = 1 AND 1=2", "taut=false const=1 union=false sub=0 vars=[]"},
		// The query-builder idiom is not counted.
		{"SELECT id FROM users WHERE 1=1 AND id = 1", "taut=false const=0 union=false sub=0 vars=[]"},
		{"SELECT id FROM users WHERE id = 1 OR status = 2", "taut=false const=0 union=false sub=0 vars=[]"},
		{"SELECT id, name FROM users WHERE id = 1 UNION SELECT NULL, NULL", "taut=false const=0 union=true sub=0 vars=[]"},
		{"SELECT id FROM a UNION SELECT id FROM b", "taut=false const=0 union=false sub=0 vars=[]"},
		{"SELECT id FROM users WHERE id = (SELECT max(id) FROM users)", "taut=false const=0 union=false sub=1 vars=[]"},
		// Chains of OR: an always-true operand anywhere in the chain.
		{"SELECT id FROM users WHERE id = 1 OR status = 2 OR name = 'x' OR 1=1", "taut=true const=1 union=false sub=0 vars=[]"},
		{"SELECT id FROM users WHERE 1=1 OR id = 1 OR status = 2 OR name = 'x'", "taut=true const=1 union=false sub=0 vars=[]"},
		{"SELECT id FROM users WHERE id = 1 OR status = 2 OR (name = 'x' OR 2>1)", "taut=true const=1 union=false sub=0 vars=[]"},
		{"SELECT id FROM users WHERE id = 1 OR status = 2 OR name = 'x' OR 1=2", "taut=false const=1 union=false sub=0 vars=[]"},
	}
	for _, tt := range both {
		for name, parse := range map[string]func(string) ([]Statement, error){"pg": Postgres, "mysql": MySQL} {
			sts, err := parse(tt.sql)
			if err != nil {
				t.Errorf("%s %q: %v", name, tt.sql, err)
				continue
			}
			if got := shapeString(sts[0].Shape); got != tt.want {
				t.Errorf("%s %q:\n got %s\nwant %s", name, tt.sql, got, tt.want)
			}
		}
	}
	sts, err := MySQL("SELECT @@version, name FROM users WHERE name = 'bob' AND note = \"it's\"")
	if err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(sts[0].SystemVars, sts[0].Strings); got != "[version] [bob it's]" {
		t.Errorf("mysql vars/strings: %s", got)
	}
	sts, err = Postgres("SELECT name FROM users WHERE name = 'bob' AND note = E'it\\'s'")
	if err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(sts[0].Strings); got != "[bob it's]" {
		t.Errorf("pg strings: %s", got)
	}
}

func TestTrailingComment(t *testing.T) {
	for _, tt := range []struct {
		sql  string
		hash bool
		body string
		ok   bool
	}{
		{"SELECT 1", false, "", false},
		{"SELECT 1 -- '", false, "'", true},
		{"SELECT 1 --", false, "", true},
		{"SELECT '--' AS x", false, "", false},
		{"SELECT 1 /* traceparent='00-ab' */", false, "", false},
		{"SELECT 1 # x", true, "x", true},
		{"SELECT 1 -- get users\n", false, "get users", true},
	} {
		body, ok := TrailingComment(tt.sql, tt.hash)
		if body != tt.body || ok != tt.ok {
			t.Errorf("%q: got %q %v", tt.sql, body, ok)
		}
	}
}

// A MySQL OR/XOR chain (nested by the parser, one level per operator) is
// read once from its top: a long one is still read right, and its
// operands are looked at once each (a 10,000-operator chain took seconds
// when each level looked at everything below it).
func TestMySQLOrChain(t *testing.T) {
	long := "SELECT id FROM users WHERE id = 1" + strings.Repeat(" OR status = 2 XOR name = 'x'", 5000)
	for _, tt := range []struct {
		sql        string
		taut, vals bool
	}{
		{long, false, true},
		{long + " OR 1=1", true, true},
		{"SELECT id FROM users WHERE 'a'='a' XOR" + long[len("SELECT id FROM users WHERE"):], true, true},
		{"SELECT id FROM users WHERE a OR b XOR c OR d", false, false},
	} {
		sts, err := MySQL(tt.sql)
		if err != nil {
			t.Fatalf("%.60s: %v", tt.sql, err)
		}
		if sh := sts[0].Shape; sh.Tautology != tt.taut || sts[0].ValueSensitive != tt.vals {
			t.Errorf("%.60s…: tautology %v value-sensitive %v, want %v %v", tt.sql, sh.Tautology, sts[0].ValueSensitive, tt.taut, tt.vals)
		}
	}
}
