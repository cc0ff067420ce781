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
		watches map[*watch]struct{}
		running bool
	}
}

type watch struct {
	r       *Reader
	onClose func()
	due     time.Time
	started bool          // guarded by Sweeper.mu
	done    chan struct{} // closed when the read-ahead returns
}

// NewSweeper returns an idle Sweeper; it starts its goroutine on demand
// and lets it end when no watch is left.
func NewSweeper() *Sweeper {
	s := &Sweeper{}
	s.mu.watches = map[*watch]struct{}{}
	return s
}

// Watch is Reader.Watch through the Sweeper.
func (s *Sweeper) Watch(r *Reader, delay time.Duration, onClose func()) (stop func()) {
	w := &watch{r: r, onClose: onClose, due: time.Now().Add(delay)}
	s.mu.Lock()
	s.mu.watches[w] = struct{}{}
	if !s.mu.running {
		s.mu.running = true
		go s.loop()
	}
	s.mu.Unlock()
	var once sync.Once
	return func() {
		once.Do(func() {
			s.mu.Lock()
			delete(s.mu.watches, w)
			started := w.started
			s.mu.Unlock()
			if started {
				_ = r.conn.SetReadDeadline(time.Now())
				<-w.done
				_ = r.conn.SetReadDeadline(time.Time{})
			}
		})
	}
}

func (s *Sweeper) loop() {
	for {
		time.Sleep(sweepEvery)
		now := time.Now()
		s.mu.Lock()
		if len(s.mu.watches) == 0 {
			s.mu.running = false
			s.mu.Unlock()
			return
		}
		for w := range s.mu.watches {
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
