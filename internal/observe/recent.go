package observe

import (
	"sync"
	"time"
)

// Denial is one refused statement, connection or login as the admin API
// shows it (SQL with its literals masked).
type Denial struct {
	Time     time.Time `json:"time"`
	User     string    `json:"user"`
	Database string    `json:"database"`
	Client   string    `json:"client"`
	Protocol string    `json:"protocol"`
	Rule     string    `json:"rule"`
	SQLState string    `json:"sqlstate,omitempty"`
	Errno    uint16    `json:"errno,omitempty"`
	Message  string    `json:"message"`
	SQL      string    `json:"sql,omitempty"`
}

// Denials keeps the most recent denials in a ring of fixed size. It is
// safe for concurrent use; a nil *Denials drops everything.
type Denials struct {
	mu   sync.Mutex
	ring []Denial
	next int
	full bool
	seen uint64
}

// NewDenials keeps up to n denials.
func NewDenials(n int) *Denials { return &Denials{ring: make([]Denial, max(n, 1))} }

// Add records d.
func (r *Denials) Add(d Denial) {
	if r == nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.ring[r.next] = d
	r.next = (r.next + 1) % len(r.ring)
	r.full = r.full || r.next == 0
	r.seen++
}

// Recent returns up to limit denials, newest first, and how many were
// recorded in all.
func (r *Denials) Recent(limit int) ([]Denial, uint64) {
	if r == nil {
		return nil, 0
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	n := r.next
	if r.full {
		n = len(r.ring)
	}
	if limit <= 0 || limit > n {
		limit = n
	}
	out := make([]Denial, 0, limit)
	for i := 1; i <= limit; i++ {
		out = append(out, r.ring[(r.next-i+len(r.ring))%len(r.ring)])
	}
	return out, r.seen
}
