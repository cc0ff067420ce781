package hangup

import (
	"sync"
	"time"
)

// sweepEvery is how often a Sweeper looks for statements that outlived
// their watch delay.
const sweepEvery = 25 * time.Millisecond

// Sweeper arms watches without a timer per statement: Watch only records
// the start, and one goroutine (running while there are watches) starts
// the read-ahead for those older than their delay. Arming a runtime timer
// for every statement wakes the network poller each time; this does not.
// A front-end server owns one Sweeper for all its connections.
type Sweeper struct {
	mu struct {
		sync.Mutex
		// watches is a list (through watch.prev/next) rather than a set:
		// adding and removing one at every statement hashes nothing.
		watches *watch
		running bool
	}
}

// watch is a Reader's watch, made at its first and armed again at each
// later one (a Reader has one at a time), so that arming allocates
// nothing.
type watch struct {
	s       *Sweeper
	r       *Reader
	onClose func()
	due     time.Time
	started bool          // guarded by Sweeper.mu
	listed  bool          // guarded by Sweeper.mu: in Sweeper.mu.watches
	prev    *watch        // guarded by Sweeper.mu
	next    *watch        // guarded by Sweeper.mu
	done    chan struct{} // closed when the read-ahead returns
	stopped bool          // the owner's: stop ran
	stop    func()        // w.end, made once
}

// NewSweeper returns an idle Sweeper; it starts its goroutine on demand
// and lets it end when no watch is left.
func NewSweeper() *Sweeper { return &Sweeper{} }

// addLocked lists w.
func (s *Sweeper) addLocked(w *watch) {
	w.prev, w.next, w.listed = nil, s.mu.watches, true
	if w.next != nil {
		w.next.prev = w
	}
	s.mu.watches = w
}

// removeLocked unlists w, if listed.
func (s *Sweeper) removeLocked(w *watch) {
	if !w.listed {
		return
	}
	if w.prev != nil {
		w.prev.next = w.next
	} else {
		s.mu.watches = w.next
	}
	if w.next != nil {
		w.next.prev = w.prev
	}
	w.prev, w.next, w.listed = nil, nil, false
}

// Watch is Reader.Watch through the Sweeper. A Reader keeps its last
// watch and arms it again once stopped (a watch armed while another of
// the same Reader runs is a new one); stop is called by the goroutine
// that owns r, once or more.
func (s *Sweeper) Watch(r *Reader, delay time.Duration, onClose func()) (stop func()) {
	w := r.sw
	if w == nil || w.s != s || !w.stopped {
		w = &watch{s: s, r: r}
		w.stop = w.end
		if r.sw == nil || r.sw.s != s {
			r.sw = w
		}
	}
	w.onClose, w.due, w.started, w.stopped, w.done = onClose, time.Now().Add(delay), false, false, nil
	s.mu.Lock()
	s.addLocked(w)
	if !s.mu.running {
		s.mu.running = true
		go s.loop()
	}
	s.mu.Unlock()
	return w.stop
}

// end stops the watch (the first call): a read-ahead under way is
// interrupted and waited for.
func (w *watch) end() {
	if w.stopped {
		return
	}
	w.stopped = true
	s := w.s
	s.mu.Lock()
	s.removeLocked(w)
	started := w.started
	s.mu.Unlock()
	if started {
		_ = w.r.conn.SetReadDeadline(time.Now())
		<-w.done
		_ = w.r.conn.SetReadDeadline(time.Time{})
	}
}

func (s *Sweeper) loop() {
	for {
		time.Sleep(sweepEvery)
		now := time.Now()
		s.mu.Lock()
		if s.mu.watches == nil {
			s.mu.running = false
			s.mu.Unlock()
			return
		}
		for w := s.mu.watches; w != nil; w = w.next {
			if !w.started && !now.Before(w.due) {
				w.started = true
				w.done = make(chan struct{})
				go w.readAhead()
			}
		}
		s.mu.Unlock()
	}
}

func (w *watch) readAhead() {
	defer close(w.done)
	var b [1]byte
	n, err := w.r.conn.Read(b[:])
	if n > 0 {
		w.r.pending = append(w.r.pending, b[:n]...)
		return
	}
	if err != nil && !IsTimeout(err) {
		w.r.err = err
		w.onClose()
	}
}
