package pool

import "sync/atomic"

// Tally keeps the last Stats each of a fixed set of pools reported
// (their Observer.Changed) and sums them, for gauges over several pools.
// Set allocates nothing: Changed runs at every acquire and release.
type Tally struct {
	slots []tallySlot
}

type tallySlot struct {
	total, idle, inUse, waiting atomic.Int64
}

// NewTally keeps the figures of n pools.
func NewTally(n int) *Tally { return &Tally{slots: make([]tallySlot, n)} }

// Set records pool i's figures.
func (t *Tally) Set(i int, s Stats) {
	x := &t.slots[i]
	x.total.Store(int64(s.Total))
	x.idle.Store(int64(s.Idle))
	x.inUse.Store(int64(s.InUse))
	x.waiting.Store(int64(s.Waiting))
}

// Sum adds up the figures last recorded (each one read atomically; the
// sum is not one instant's).
func (t *Tally) Sum() Stats {
	var s Stats
	for i := range t.slots {
		x := &t.slots[i]
		s.Total += int(x.total.Load())
		s.Idle += int(x.idle.Load())
		s.InUse += int(x.inUse.Load())
		s.Waiting += int(x.waiting.Load())
	}
	return s
}
