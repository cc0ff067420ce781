package analysis

import "sync"

// ring is a bounded map of analyses: the oldest entry goes first. It
// grows as entries come (an unused one costs nothing) up to max.
type ring struct {
	mu      sync.Mutex
	entries map[string]*Analysis
	order   []string // keys in the order added; a circle once max long
	next    int      // of order, the oldest once full
	max     int
}

func newRing(n int) ring { return ring{max: max(n, 1)} }

func (r *ring) get(k string) *Analysis {
	r.mu.Lock()
	a := r.entries[k]
	r.mu.Unlock()
	return a
}

// add keeps a under k unless k is there already; it returns the entry
// in force (a, or the one another caller added first).
func (r *ring) add(k string, a *Analysis) *Analysis {
	r.mu.Lock()
	defer r.mu.Unlock()
	if old, ok := r.entries[k]; ok {
		return old
	}
	if r.entries == nil {
		r.entries = map[string]*Analysis{}
	}
	if len(r.order) < r.max {
		r.order = append(r.order, k)
	} else {
		delete(r.entries, r.order[r.next])
		r.order[r.next] = k
		r.next = (r.next + 1) % r.max
	}
	r.entries[k] = a
	return a
}

func (r *ring) len() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.entries)
}
