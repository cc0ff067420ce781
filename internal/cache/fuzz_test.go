package cache

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/floe-db/floe/internal/analysis"
)

// FuzzExplain: any text, in either dialect, gets a verdict without a
// panic; the lexical scan ends, and a text the scan finds a variable or
// a volatile word in is never cacheable.
func FuzzExplain(f *testing.F) {
	for _, s := range []string{"SELECT now()", "SELECT @x", "SELECT '@x' FROM t", "SELECT $$now()$$", "SELECT $a$ x $a$",
		"SELECT /* now() */ 1", "SELECT 1 -- now()", "SELECT E'\\'now()'", "SELECT /*!50000 @x */ 1", "SELECT `a``b` FROM t", "SELECT \"x\"\"y\""} {
		f.Add(s, false)
		f.Add(s, true)
	}
	pg, my := analysis.New(analysis.Postgres, 64), analysis.New(analysis.MySQL, 64)
	f.Fuzz(func(t *testing.T, sql string, mysql bool) {
		if len(sql) > 4096 {
			return
		}
		z := pg
		if mysql {
			z = my
		}
		r := Explain(z.Of(sql))
		lx := lexical(sql, mysql)
		if !lx.OK() && r.OK() {
			t.Fatalf("%q: the scan found %s but the verdict is cacheable", sql, lx)
		}
		if r.OK() && strings.TrimSpace(sql) == "" {
			t.Fatalf("empty text cacheable")
		}
	})
}

// FuzzSharedEntry: a value read from the shared tier is decoded, or
// refused, without a panic; what decodes is what was encoded.
func FuzzSharedEntry(f *testing.F) {
	f.Add(encodeShared([]byte("payload"), 3, time.Unix(1700000000, 0)))
	f.Add(encodeShared(nil, 0, time.Time{}))
	f.Add([]byte("short"))
	f.Fuzz(func(t *testing.T, b []byte) {
		p, rows, exp, ok := decodeShared(b)
		if !ok {
			return
		}
		if again := encodeShared(p, rows, exp); !bytes.Equal(again, b) {
			t.Fatalf("%x decodes to a value that encodes as %x", b, again)
		}
	})
}
