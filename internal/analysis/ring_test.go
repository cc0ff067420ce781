package analysis

import (
	"strconv"
	"testing"
)

// The ring holds at most max entries, drops the oldest first, keeps the
// first entry of a key, and allocates nothing before its first entry.
func TestRing(t *testing.T) {
	for _, tc := range []struct {
		max, adds int
		wantLen   int
		gone      []string // evicted keys
		kept      []string
	}{
		{max: 3, adds: 0, wantLen: 0},
		{max: 3, adds: 2, wantLen: 2, kept: []string{"0", "1"}},
		{max: 3, adds: 3, wantLen: 3, kept: []string{"0", "2"}},
		{max: 3, adds: 5, wantLen: 3, gone: []string{"0", "1"}, kept: []string{"2", "3", "4"}},
		{max: 1, adds: 4, wantLen: 1, gone: []string{"0", "2"}, kept: []string{"3"}},
	} {
		r := newRing(tc.max)
		if r.entries != nil || r.order != nil {
			t.Errorf("max %d: allocated before use", tc.max)
		}
		for i := range tc.adds {
			k := strconv.Itoa(i)
			a := &Analysis{}
			if got := r.add(k, a); got != a {
				t.Errorf("max %d: add %s returned another entry", tc.max, k)
			}
		}
		if r.len() != tc.wantLen {
			t.Errorf("max %d after %d adds: %d entries, want %d", tc.max, tc.adds, r.len(), tc.wantLen)
		}
		for _, k := range tc.gone {
			if r.get(k) != nil {
				t.Errorf("max %d after %d adds: %s still kept", tc.max, tc.adds, k)
			}
		}
		for _, k := range tc.kept {
			if r.get(k) == nil {
				t.Errorf("max %d after %d adds: %s evicted", tc.max, tc.adds, k)
			}
		}
	}
	r := newRing(2)
	first := r.add("q", &Analysis{})
	if r.add("q", &Analysis{}) != first {
		t.Error("a second add of a key replaced the first")
	}
}
