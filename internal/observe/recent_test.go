package observe

import (
	"fmt"
	"sync"
	"testing"
)

func TestDenialsRing(t *testing.T) {
	r := NewDenials(3)
	if got, n := r.Recent(10); len(got) != 0 || n != 0 {
		t.Fatalf("empty ring: %v %d", got, n)
	}
	for i := range 5 {
		r.Add(Denial{Rule: fmt.Sprint(i)})
	}
	got, n := r.Recent(10)
	if n != 5 || len(got) != 3 || got[0].Rule != "4" || got[1].Rule != "3" || got[2].Rule != "2" {
		t.Fatalf("after 5 adds to a ring of 3: %v (seen %d)", got, n)
	}
	if got, _ := r.Recent(1); len(got) != 1 || got[0].Rule != "4" {
		t.Fatalf("limit 1: %v", got)
	}
	var nilRing *Denials
	nilRing.Add(Denial{})
	if got, _ := nilRing.Recent(5); got != nil {
		t.Fatal("nil ring kept something")
	}
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 100 {
				r.Add(Denial{})
				r.Recent(2)
			}
		}()
	}
	wg.Wait()
	if _, n := r.Recent(0); n != 805 {
		t.Fatalf("seen %d, want 805", n)
	}
}
