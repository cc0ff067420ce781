package analysis

import "sync"

// ring is a bounded map of analyses: the oldest entry goes first.
type ring struct {
	mu      sync.Mutex
	entries map[string]*Analysis
	order   []string
	next    int
}

func newRing(n int) ring {
	return ring{entries: make(map[string]*Analysis, n), order: make([]string, n)}
}

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
	if old := r.order[r.next]; old != "" || len(r.entries) >= len(r.order) {
		delete(r.entries, old)
	}
	r.order[r.next] = k
	r.next = (r.next + 1) % len(r.order)
	r.entries[k] = a
	return a
}

func (r *ring) len() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.entries)
}
