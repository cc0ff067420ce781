package secrettest

import (
	"sync"
)

// store holds the versions of each secret, oldest first.
type store struct {
	mu       sync.Mutex
	versions map[string][]version
	reads    int
	// next makes a version id from the version's number (from 1).
	next func(n int) string
}

type version struct{ id, value string }

func newStore(next func(int) string) *store {
	return &store{versions: map[string][]version{}, next: next}
}

// put adds a version of name and returns its id.
func (s *store) put(name, value string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	id := s.next(len(s.versions[name]) + 1)
	s.versions[name] = append(s.versions[name], version{id: id, value: value})
	return id
}

// get returns the version id of name ("" the latest), counting the read.
func (s *store) get(name, id string) (version, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	vs := s.versions[name]
	if len(vs) == 0 {
		return version{}, false
	}
	if id == "" {
		s.reads++
		return vs[len(vs)-1], true
	}
	for _, v := range vs {
		if v.id == id {
			s.reads++
			return v, true
		}
	}
	return version{}, false
}

// previous returns the version before the latest.
func (s *store) previous(name string) (version, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	vs := s.versions[name]
	if len(vs) < 2 {
		return version{}, false
	}
	s.reads++
	return vs[len(vs)-2], true
}

func (s *store) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.reads
}
