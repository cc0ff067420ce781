package policy

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/DataDog/go-sqllexer"

	"github.com/floe-db/floe/internal/analysis"
)

// sharedFuzzConfig is testConfig with a masked column in each dialect.
const sharedFuzzConfig = testConfig + `
masking:
  - {database: app, table: customers, column: email, method: full}
  - {database: shop, table: customers, column: email, method: full}
`

// variantOf returns text with each simple literal replaced by one of a
// few values (names of tables, columns, functions and settings the test
// policy governs, positions, constants), chosen by pick; ok is false
// when the text has no literal or the lexer's tokens do not spell it.
func variantOf(d analysis.Dialect, text string, pick []byte) (string, bool) {
	strs := []string{"", "x", "id", "email", "card", "salaries", "orders", "pg_read_file", "data_directory", "search_path", "!", "#", "public", "2", "a b"}
	nums := []string{"0", "1", "2", "3", "1.5", "99999999999", "10"}
	opt := sqllexer.WithDBMS(sqllexer.DBMSPostgres)
	if d == analysis.MySQL {
		opt = sqllexer.WithDBMS(sqllexer.DBMSMySQL)
	}
	lx := sqllexer.New(text, opt)
	var b, orig strings.Builder
	n := 0
	next := func() int {
		i := 0
		if len(pick) > 0 {
			i = int(pick[n%len(pick)])
		}
		n++
		return i
	}
	literals := 0
	for {
		tok := lx.Scan()
		if tok.Type == sqllexer.EOF {
			break
		}
		orig.WriteString(tok.Value)
		switch tok.Type {
		case sqllexer.STRING:
			if len(tok.Value) >= 2 && (tok.Value[0] == '\'' || tok.Value[0] == '"') {
				q := tok.Value[:1]
				b.WriteString(q + strs[next()%len(strs)] + q)
				literals++
				continue
			}
		case sqllexer.NUMBER:
			b.WriteString(nums[next()%len(nums)])
			literals++
			continue
		}
		b.WriteString(tok.Value)
	}
	return b.String(), literals > 0 && orig.String() == text
}

func ruleOf(dec Decision) string {
	if dec.Denial == nil {
		return ""
	}
	return dec.Denial.Rule
}

// FuzzSharedParseVerdict: a text that shares another text's parse gets
// the verdict a policy that never saw the other text gives it — the
// grant check, the firewall, masking and the side-channel review alike.
// The first text is the input; the second replaces its literals with
// values that name things the policy governs.
func FuzzSharedParseVerdict(f *testing.F) {
	for _, s := range []string{
		"SELECT id, email FROM customers ORDER BY 1",
		"SELECT id, email FROM customers GROUP BY 1, 2",
		"SELECT id AS 'x' FROM customers ORDER BY x",
		"SELECT * FROM customers WHERE name = 'x' AND id = 1",
		"SELECT current_setting('application_name')",
		"SELECT count(*) FROM orders WHERE total > 10 LIMIT 5",
		"SELECT name FROM customers WHERE id IN (SELECT id FROM orders WHERE total = 3) ORDER BY 1 DESC",
		"SELECT DISTINCT ON (1) id, email FROM customers",
		"SELECT x FROM (SELECT id AS 'x', name AS 'y' FROM customers) d ORDER BY 1",
		"SET search_path = 'public'",
		"SHOW VARIABLES LIKE 'version'",
		"SELECT id FROM customers WHERE name = 'a' OR name = 'b'",
		// Pairs that once shared a parse they must not have.
		"SELECT id, email FROM customers ORDER BY 1.5",
		"SELECT count(*), email FROM customers GROUP BY 1.5",
		"SELECT id AS 'email' FROM customers ORDER BY email",
		`SELECT * FROM U&"s!0061laries" UESCAPE '#'`,
		`SELECT U&"pg_read_fil!0065" UESCAPE '#' ('x')`,
		"SELECT email AS '' FROM customers ORDER BY id",
	} {
		for _, pick := range [][]byte{{0, 1, 2, 3}, {5, 4, 3, 13}, {2}, {1}, {10}} {
			f.Add(s, pick, false)
			f.Add(s, pick, true)
		}
	}
	f.Fuzz(func(t *testing.T, text string, pick []byte, mysql bool) {
		d, db, schema := analysis.Postgres, "app", "public"
		if mysql {
			d, db, schema = analysis.MySQL, "shop", "shop"
		}
		if len(text) > 2000 {
			return
		}
		variant, ok := variantOf(d, text, pick)
		if !ok || variant == text {
			return
		}
		k1, _, ok1 := analysis.ShapeKey(d, text)
		k2, _, ok2 := analysis.ShapeKey(d, variant)
		if !ok1 || !ok2 || k1 != k2 {
			return
		}
		// Each order: the first text warms one policy, the second is
		// checked by it and by a policy that never saw the first.
		for _, pair := range [][2]string{{text, variant}, {variant, text}} {
			cold, warm := policyFrom(t, sharedFuzzConfig, Options{}), policyFrom(t, sharedFuzzConfig, Options{})
			for _, user := range []string{"alice", "sue", "nobody"} {
				req := func(sql string) Request {
					return Request{User: user, Roles: roles[user], Database: db, Dialect: d, DefaultSchema: schema, SQL: sql}
				}
				warm.Check(context.Background(), req(pair[0]))
				c := cold.Check(context.Background(), req(pair[1]))
				w := warm.Check(context.Background(), req(pair[1]))
				if ruleOf(c) == RuleParse {
					// The parser cannot take the value (LIMIT 1.5, a
					// number of 90 digits) where it took the other
					// text's: the statement is the same but for that
					// value, which no decision reads unless its parse is
					// value-sensitive.
					continue
				}
				if ruleOf(c) != ruleOf(w) || c.SQL != w.SQL || !slices.Equal(c.Masked, w.Masked) || !slices.Equal(findingRules(c.Findings), findingRules(w.Findings)) {
					t.Fatalf("%s: %q after %q: warm %q %q %v %v, fresh %q %q %v %v", user, pair[1], pair[0],
						ruleOf(w), w.SQL, w.Masked, findingRules(w.Findings), ruleOf(c), c.SQL, c.Masked, findingRules(c.Findings))
				}
			}
		}
	})
}
