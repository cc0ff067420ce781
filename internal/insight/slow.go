package insight

import (
	"context"
	"slices"
	"sync"
	"time"
)

// Plan statuses of a Record.
const (
	PlanOff         = "off"          // plans are off for the database
	PlanPending     = "pending"      // the capture is under way
	PlanCaptured    = "captured"     // Plan holds it
	PlanFailed      = "failed"       // PlanNote says why
	PlanSkipped     = "skipped"      // not explainable (PlanNote: why)
	PlanRateLimited = "rate-limited" // the shape's plan was captured recently
	PlanBusy        = "busy"         // too many captures under way
	PlanUnavailable = "unavailable"  // the database's kind captures none
)

// Record is one slow execution.
type Record struct {
	ID       uint64    `json:"id"`
	Time     time.Time `json:"time"`
	Database string    `json:"database"`
	User     string    `json:"user"`
	Client   string    `json:"client,omitempty"`
	Server   string    `json:"server,omitempty"`
	// Text is the statement with its literals masked; Shape names the
	// shape (the masked text's hash).
	Text  string `json:"text"`
	Shape string `json:"shape"`
	// DurationMS runs from the statement's receipt to its end: the sum
	// of Phases.
	DurationMS float64 `json:"duration_ms"`
	Phases     Phases  `json:"phases"`
	Rows       int64   `json:"rows"`
	Status     string  `json:"status"`
	Code       string  `json:"code,omitempty"`
	PlanStatus string  `json:"plan_status"`
	PlanNote   string  `json:"plan_note,omitempty"`
	Plan       *Plan   `json:"plan,omitempty"`
}

// Phases are a statement's time split, in milliseconds.
type Phases struct {
	PolicyMS  float64 `json:"policy_ms"`
	WaitMS    float64 `json:"wait_ms"`
	BackendMS float64 `json:"backend_ms"`
	StreamMS  float64 `json:"stream_ms"`
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// Log is one database's slow records: a ring of the newest, and the
// per-shape plan limiter.
type Log struct {
	ctx context.Context // cancelled by Book.Close
	sem chan struct{}   // captures under way
	mu  struct {
		sync.Mutex
		ring  []*Record // ring[next-1] is the newest once full
		next  int
		full  bool
		id    uint64
		plans map[string]time.Time // shape → last capture
	}
}

// maxCaptures bounds a Log's captures under way.
const maxCaptures = 2

func newLog(ctx context.Context, keep int) *Log {
	l := &Log{ctx: ctx, sem: make(chan struct{}, maxCaptures)}
	l.mu.ring = make([]*Record, 0, min(keep, 64))
	l.resizeLocked(keep)
	l.mu.plans = map[string]time.Time{}
	return l
}

// resizeLocked sets the ring's capacity to keep, keeping the newest.
func (l *Log) resizeLocked(keep int) {
	if keep < 1 {
		keep = 1
	}
	all := l.orderedLocked()
	if len(all) > keep {
		all = all[len(all)-keep:]
	}
	ring := make([]*Record, len(all), keep)
	copy(ring, all)
	l.mu.ring, l.mu.next, l.mu.full = ring, len(all)%keep, len(all) == keep
}

// orderedLocked returns the records oldest first.
func (l *Log) orderedLocked() []*Record {
	if !l.mu.full {
		return slices.Clone(l.mu.ring)
	}
	return append(slices.Clone(l.mu.ring[l.mu.next:]), l.mu.ring[:l.mu.next]...)
}

// add keeps r (its ID set), dropping the oldest when full.
func (l *Log) add(r *Record) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.mu.id++
	r.ID = l.mu.id
	c := cap(l.mu.ring)
	switch {
	case !l.mu.full && len(l.mu.ring) < c:
		l.mu.ring = append(l.mu.ring, r)
		l.mu.next = len(l.mu.ring) % c
		l.mu.full = len(l.mu.ring) == c
	default:
		l.mu.ring[l.mu.next] = r
		l.mu.next = (l.mu.next + 1) % c
	}
}

// update changes a kept record under the lock (a capture's result); a
// record already dropped is left alone.
func (l *Log) update(r *Record, f func(*Record)) {
	l.mu.Lock()
	defer l.mu.Unlock()
	f(r)
}

// allowPlan reports whether shape may have a plan captured at now (none
// within every), and takes the slot when it may. The limiter keeps at
// most maxShapes shapes: past it, entries older than every go first,
// then it starts over.
func (l *Log) allowPlan(shape string, now time.Time, every time.Duration) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if last, ok := l.mu.plans[shape]; ok && now.Sub(last) < every {
		return false
	}
	if len(l.mu.plans) >= maxShapes {
		for k, t := range l.mu.plans {
			if now.Sub(t) >= every {
				delete(l.mu.plans, k)
			}
		}
		if len(l.mu.plans) >= maxShapes {
			clear(l.mu.plans)
		}
	}
	l.mu.plans[shape] = now
	return true
}

// maxShapes bounds the plan limiter's shapes per Log.
const maxShapes = 4096

// list returns copies of the newest records, newest first, at most limit.
func (l *Log) list(limit int) []Record {
	l.mu.Lock()
	defer l.mu.Unlock()
	all := l.orderedLocked()
	out := make([]Record, 0, min(len(all), limit))
	for i := len(all) - 1; i >= 0 && len(out) < limit; i-- {
		out = append(out, *all[i])
	}
	return out
}

// Book holds every database's Log for the gateway's life.
type Book struct {
	ctx    context.Context
	cancel context.CancelFunc
	mu     struct {
		sync.Mutex
		logs map[string]*Log
	}
}

// NewBook makes an empty Book.
func NewBook() *Book {
	b := &Book{}
	b.ctx, b.cancel = context.WithCancel(context.Background())
	b.mu.logs = map[string]*Log{}
	return b
}

// Log returns database db's Log, made or resized to keep records.
func (b *Book) Log(db string, keep int) *Log {
	b.mu.Lock()
	defer b.mu.Unlock()
	l := b.mu.logs[db]
	if l == nil {
		l = newLog(b.ctx, keep)
		b.mu.logs[db] = l
		return l
	}
	l.mu.Lock()
	if cap(l.mu.ring) != keep {
		l.resizeLocked(keep)
	}
	l.mu.Unlock()
	return l
}

// Drop forgets the Logs of databases not in keep (a reload removed
// them or turned their slow log off).
func (b *Book) Drop(keep func(db string) bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for db := range b.mu.logs {
		if !keep(db) {
			delete(b.mu.logs, db)
		}
	}
}

// List returns the newest records of database db ("" every database),
// newest first, at most limit (≤ 0: 100).
func (b *Book) List(db string, limit int) []Record {
	if limit <= 0 {
		limit = 100
	}
	b.mu.Lock()
	var logs []*Log
	for name, l := range b.mu.logs {
		if db == "" || name == db {
			logs = append(logs, l)
		}
	}
	b.mu.Unlock()
	out := []Record{}
	for _, l := range logs {
		out = append(out, l.list(limit)...)
	}
	slices.SortStableFunc(out, func(a, b Record) int { return b.Time.Compare(a.Time) })
	if len(out) > limit {
		out = out[:limit]
	}
	return out
}

// Close cancels the captures under way.
func (b *Book) Close() { b.cancel() }
