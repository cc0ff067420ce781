package analysis

import (
	"testing"

	"github.com/floe-db/floe/internal/sqltext"
)

// Masked takes the masked text of a shape's first text for every text of
// the shape, in statistics, logs and audit records of every user. That is
// right only if texts with one shape key mask alike: a literal the shape
// key folds but the mask kept would show the first user's value in a
// second user's audit record. Every literal form of both dialects.
func TestMaskedSameShape(t *testing.T) {
	pairs := [][2]string{{"select $$aaa$$", "select $$bbb$$"}, {"select $x$aaa$x$", "select $x$bbb$x$"}, {"select E'aa\\'x'", "select E'bb'"}, {"select B'1010'", "select B'0101'"}, {"select X'AA'", "select X'BB'"}, {"select 1e5", "select 2e7"}, {"select U&'a'", "select U&'b'"}, {"select -1", "select -2"}, {"select interval '1 day'", "select interval '2 day'"}, {"select 'a' 'b'", "select 'c' 'd'"}, {"select 0x1F", "select 0x2F"}, {"select true", "select false"}, {"select null", "select 1"}}
	for _, d := range []Dialect{Postgres, MySQL} {
		for _, p := range pairs {
			k1, _, ok1 := ShapeKey(d, p[0])
			k2, _, ok2 := ShapeKey(d, p[1])
			m := sqltext.Mask
			if d == MySQL {
				m = sqltext.MaskMySQL
			}
			if ok1 && ok2 && k1 == k2 && m(p[0]) != m(p[1]) {
				t.Errorf("%v %q/%q: same shape, masks %q vs %q", d, p[0], p[1], m(p[0]), m(p[1]))
			}
		}
	}
	for _, d := range []Dialect{MySQL} {
		for _, p := range [][2]string{{`select "aa"`, `select "bb"`}, {"select _utf8'a'", "select _utf8'b'"}, {"select N'a'", "select N'b'"}, {"select b'1'", "select b'0'"}, {"select x'AA'", "select x'BB'"}} {
			k1, _, ok1 := ShapeKey(d, p[0])
			k2, _, ok2 := ShapeKey(d, p[1])
			if ok1 && ok2 && k1 == k2 && sqltext.MaskMySQL(p[0]) != sqltext.MaskMySQL(p[1]) {
				t.Errorf("my %q/%q: same shape, masks %q vs %q", p[0], p[1], sqltext.MaskMySQL(p[0]), sqltext.MaskMySQL(p[1]))
			}
		}
	}
}
