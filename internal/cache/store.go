package cache

import (
	"container/list"
	"slices"
	"sort"
	"sync"
	"time"
)

// store is one database's memory tier: entries in LRU order bounded by
// bytes, each with its expiry; the version of every table (bumped by an
// invalidation, so a fill that began before it is refused); the fills
// under way (single-flight).
type store struct {
	max int64

	mu struct {
		sync.Mutex
		bytes    int64
		lru      *list.List // front: most recently used; values *entry
		entries  map[string]*entry
		byTable  map[string]map[*entry]struct{}
		versions map[string]uint64
		// global is bumped by an invalidation of every table.
		global  uint64
		flights map[string]*flight
	}
}

// entry is one stored result.
type entry struct {
	key     string
	text    string // the statement's masked text (stats)
	payload []byte
	rows    int64
	tables  []string
	stored  time.Time
	expires time.Time
	hits    int64
	elem    *list.Element
}

// entryOverhead approximates what an entry costs beyond its bytes.
const entryOverhead = 256

func (e *entry) size() int64 {
	return int64(len(e.payload)+len(e.key)+len(e.text)) + entryOverhead
}

// flight is a fill under way; done is closed when it ends.
type flight struct{ done chan struct{} }

// versions are the versions of a statement's tables when it began.
type versions struct {
	global uint64
	tables []uint64
}

func newStore(max int64) *store {
	s := &store{max: max}
	s.mu.lru = list.New()
	s.mu.entries = map[string]*entry{}
	s.mu.byTable = map[string]map[*entry]struct{}{}
	s.mu.versions = map[string]uint64{}
	s.mu.flights = map[string]*flight{}
	return s
}

// snapshot returns the versions of tables now.
func (s *store) snapshot(tables []string) versions {
	s.mu.Lock()
	defer s.mu.Unlock()
	v := versions{global: s.mu.global, tables: make([]uint64, len(tables))}
	for i, t := range tables {
		v.tables[i] = s.mu.versions[t]
	}
	return v
}

func (s *store) unchangedLocked(tables []string, v versions) bool {
	if v.global != s.mu.global || len(v.tables) != len(tables) {
		return false
	}
	for i, t := range tables {
		if s.mu.versions[t] != v.tables[i] {
			return false
		}
	}
	return true
}

// get returns the live entry under key (a copy of what is served).
func (s *store) get(key string, now time.Time) (payload []byte, rows int64, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e := s.mu.entries[key]
	if e == nil {
		return nil, 0, false
	}
	if !now.Before(e.expires) {
		s.removeLocked(e)
		return nil, 0, false
	}
	e.hits++
	s.mu.lru.MoveToFront(e.elem)
	return e.payload, e.rows, true
}

// put stores e unless one of its tables was invalidated since v was
// taken (false: dropped) or it is larger than the store.
func (s *store) put(e *entry, v versions) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.unchangedLocked(e.tables, v) || e.size() > s.max {
		return false
	}
	if old := s.mu.entries[e.key]; old != nil {
		s.removeLocked(old)
	}
	e.elem = s.mu.lru.PushFront(e)
	s.mu.entries[e.key] = e
	s.mu.bytes += e.size()
	for _, t := range e.tables {
		m := s.mu.byTable[t]
		if m == nil {
			m = map[*entry]struct{}{}
			s.mu.byTable[t] = m
		}
		m[e] = struct{}{}
	}
	for s.mu.bytes > s.max {
		s.removeLocked(s.mu.lru.Back().Value.(*entry))
	}
	return true
}

func (s *store) removeLocked(e *entry) {
	if s.mu.entries[e.key] != e {
		return
	}
	delete(s.mu.entries, e.key)
	s.mu.lru.Remove(e.elem)
	s.mu.bytes -= e.size()
	for _, t := range e.tables {
		if m := s.mu.byTable[t]; m != nil {
			delete(m, e)
			if len(m) == 0 {
				delete(s.mu.byTable, t)
			}
		}
	}
}

// invalidate drops the entries of tables and bumps their versions; no
// tables: every table. It returns the entries dropped.
func (s *store) invalidate(tables []string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	if len(tables) == 0 {
		s.mu.global++
		n = len(s.mu.entries)
		for _, e := range s.mu.entries {
			s.removeLocked(e)
		}
		return n
	}
	for _, t := range tables {
		s.mu.versions[t]++
		for e := range s.mu.byTable[t] {
			s.removeLocked(e)
			n++
		}
	}
	return n
}

// join makes the caller the filler of key (leader: true) or returns the
// fill under way to wait for.
func (s *store) join(key string) (f *flight, leader bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if f := s.mu.flights[key]; f != nil {
		return f, false
	}
	f = &flight{done: make(chan struct{})}
	s.mu.flights[key] = f
	return f, true
}

// land ends the fill f of key.
func (s *store) land(key string, f *flight) {
	s.mu.Lock()
	if s.mu.flights[key] == f {
		delete(s.mu.flights, key)
	}
	s.mu.Unlock()
	close(f.done)
}

// usage is the entries and bytes held.
func (s *store) usage() (entries int, bytes int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.mu.entries), s.mu.bytes
}

// EntryInfo describes a stored entry (admin API).
type EntryInfo struct {
	Text    string    `json:"text"`
	Tables  []string  `json:"tables"`
	Bytes   int64     `json:"bytes"`
	Rows    int64     `json:"rows"`
	Hits    int64     `json:"hits"`
	Stored  time.Time `json:"stored"`
	Expires time.Time `json:"expires"`
}

// top lists the n entries with the most hits.
func (s *store) top(n int, now time.Time) []EntryInfo {
	s.mu.Lock()
	out := make([]EntryInfo, 0, len(s.mu.entries))
	for _, e := range s.mu.entries {
		if !now.Before(e.expires) {
			continue
		}
		out = append(out, EntryInfo{Text: e.text, Tables: slices.Clone(e.tables), Bytes: e.size(), Rows: e.rows, Hits: e.hits, Stored: e.stored, Expires: e.expires})
	}
	s.mu.Unlock()
	sort.Slice(out, func(i, j int) bool {
		if out[i].Hits != out[j].Hits {
			return out[i].Hits > out[j].Hits
		}
		return out[i].Bytes > out[j].Bytes
	})
	if len(out) > n {
		out = out[:n]
	}
	return out
}
