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
