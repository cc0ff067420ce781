package analysis

import (
	"strings"
	"testing"

	"github.com/floe-db/floe/internal/sqlparse"
)

// Limits scans a shape's first text for every text of the shape: a
// second text whose literals differ must get the verdict its own scan
// gives, over the limits or not, in both dialects.
func TestLimitsSameShape(t *testing.T) {
	deep := func(lit string) string {
		return "select " + strings.Repeat("(", sqlparse.DefaultMaxDepth+1) + lit + strings.Repeat(")", sqlparse.DefaultMaxDepth+1)
	}
	chain := func(lit string) string {
		return "select " + lit + strings.Repeat(" + "+lit, sqlparse.DefaultMaxDepth+1)
	}
	cases := [][2]string{
		{"select 1", "select 22222"},
		{"select 'a' from t where x = 'b'", "select 'longer value' from t where x = 'c'"},
		{deep("1"), deep("123456")},
		{deep("'a'"), deep("'a much longer string'")},
		{chain("1"), chain("99")},
		{"select (1) + (((2)))", "select (7) + (((8)))"},
		{"select case when 1 = 2 then 'x' else 'y' end", "select case when 3 = 4 then 'z' else 'w' end"},
	}
	for _, d := range []Dialect{Postgres, MySQL} {
		for _, c := range cases {
			z := New(d, 16)
			first, second := z.Of(c[0]), z.Of(c[1])
			if second.Shape() != first {
				t.Fatalf("%v %.40q: not one shape", d, c[1])
			}
			_ = first.Limits()
			want := sqlparse.DefaultLimits().Check(c[1], d == MySQL)
			got := second.Limits()
			if over := strings.Count(c[1], "(") > sqlparse.DefaultMaxDepth || strings.Count(c[1], "+") > sqlparse.DefaultMaxDepth; over != (want != nil) {
				t.Fatalf("%v %.40q: its own scan says %v", d, c[1], want)
			}
			if (got == nil) != (want == nil) || got != nil && got.Error() != want.Error() {
				t.Errorf("%v %.40q: Limits %v, its own scan %v", d, c[1], got, want)
			}
		}
	}
	// Texts over the length limit are never shared; the length is each
	// text's own.
	l := sqlparse.DefaultLimits()
	if err := l.CheckLength(l.MaxBytes + 1); err == nil {
		t.Error("CheckLength passes a text over MaxBytes")
	}
}

// FuzzLimitsShape: a text and the text with every simple literal given
// another value — what Limits assumes of two texts with one shape key —
// scan alike under the parser limits (the length aside), whatever the
// literals held.
func FuzzLimitsShape(f *testing.F) {
	f.Add("select (1) + (((2)))", "7", "zz")
	f.Add("select 'a((((' from t where x = '))))'", "0", "")
	f.Add(`select "a((" , 1 or 2 or 3`, "123", "q")
	f.Add("select case when 1 = 2 then 'x' else 'y' end /* c */", "5", "((")
	f.Fuzz(func(t *testing.T, text, num, str string) {
		if len(text) > 4096 {
			return
		}
		variant := relit(text, num, str)
		l := sqlparse.DefaultLimits()
		l.MaxBytes = 0
		for _, d := range []Dialect{Postgres, MySQL} {
			k1, _, ok1 := ShapeKey(d, text)
			k2, _, ok2 := ShapeKey(d, variant)
			if !ok1 || !ok2 || k1 != k2 {
				continue
			}
			e1, e2 := l.Check(text, d == MySQL), l.Check(variant, d == MySQL)
			if (e1 == nil) != (e2 == nil) || e1 != nil && e1.Error() != e2.Error() {
				t.Fatalf("%v: one shape, %q scans %v, %q scans %v", d, text, e1, variant, e2)
			}
		}
	})
}

// relit replaces each run of digits with num (when it is digits) and the
// inside of each '…' string with str: the same text with other literal
// values, when ShapeKey agrees.
func relit(text, num, str string) string {
	if num == "" || strings.Trim(num, "0123456789") != "" {
		num = "1"
	}
	var b strings.Builder
	for i := 0; i < len(text); i++ {
		switch c := text[i]; {
		case c >= '0' && c <= '9':
			for i+1 < len(text) && text[i+1] >= '0' && text[i+1] <= '9' {
				i++
			}
			b.WriteString(num)
		case c == '\'':
			j := strings.IndexByte(text[i+1:], '\'')
			if j < 0 {
				b.WriteString(text[i:])
				return b.String()
			}
			b.WriteString("'" + str + "'")
			i += j + 1
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}
