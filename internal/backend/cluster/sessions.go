package cluster

import "sync/atomic"

// Sessions counts the client sessions a relay serves, so that a relay a
// reload replaced (Retire) closes when its last session ends instead of
// failing the sessions that began on it.
type Sessions struct {
	active   atomic.Int64
	retiring atomic.Bool
}

// Enter counts a session in.
func (s *Sessions) Enter() { s.active.Add(1) }

// Leave counts a session out; the last one to leave a retiring relay
// calls closeFn.
func (s *Sessions) Leave(closeFn func()) {
	if s.active.Add(-1) == 0 && s.retiring.Load() {
		closeFn()
	}
}

// Retire marks the relay replaced: closeFn runs now if no session is
// left, else when the last one leaves. closeFn must be safe to call twice.
func (s *Sessions) Retire(closeFn func()) {
	s.retiring.Store(true)
	if s.active.Load() == 0 {
		closeFn()
	}
}
