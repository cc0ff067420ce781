package cache

import (
	"context"
	"reflect"
	"sort"
	"sync"
)

// Caches are the caches of every database of a gateway, by name; they
// outlive configuration reloads (a database whose cache settings did not
// change keeps its cache). Safe for concurrent use.
type Caches struct {
	mu struct {
		sync.Mutex
		m     map[string]*Cache
		feeds map[string]Feed
	}
}

// NewCaches makes an empty set.
func NewCaches() *Caches {
	cs := &Caches{}
	cs.mu.m = map[string]*Cache{}
	cs.mu.feeds = map[string]Feed{}
	return cs
}

// Prepare returns database o.Database's cache for o: the one in force
// when its dialect and settings are the same, else a new one (taking the
// database's feed) that is not in force until Commit; a new one a
// configuration that is refused never commits must be closed.
func (cs *Caches) Prepare(o Options) (c *Cache, fresh bool) {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	if c := cs.mu.m[o.Database]; c != nil && c.dialect == o.Dialect && c.complete == o.Complete && reflect.DeepEqual(c.cfg, o.Config) {
		return c, false
	}
	c = New(o)
	if f := cs.mu.feeds[o.Database]; f != nil {
		c.SetFeed(f)
	}
	return c, true
}

// Commit puts in force the caches of a configuration (by database),
// closing those it replaces or drops.
func (cs *Caches) Commit(m map[string]*Cache) {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	for n, c := range cs.mu.m {
		if m[n] != c {
			c.Close()
		}
	}
	cs.mu.m = make(map[string]*Cache, len(m))
	for n, c := range m {
		cs.mu.m[n] = c
	}
}

// Put puts in force the caches of some databases (a configuration
// refused after those databases' pipelines took them), closing those it
// replaces; the other databases keep theirs.
func (cs *Caches) Put(m map[string]*Cache) {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	for n, c := range m {
		if old := cs.mu.m[n]; old != nil && old != c {
			old.Close()
		}
		cs.mu.m[n] = c
	}
}

// Close closes every cache (the gateway stops).
func (cs *Caches) Close() { cs.Commit(nil) }

// Get returns database db's cache (nil: none).
func (cs *Caches) Get(db string) *Cache {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	return cs.mu.m[db]
}

// All returns the caches by database name.
func (cs *Caches) All() []*Cache {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	out := make([]*Cache, 0, len(cs.mu.m))
	for _, c := range cs.mu.m {
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].db < out[j].db })
	return out
}

// Invalidate drops database db's entries that read any of tables (change
// events call it); false when db has no cache.
func (cs *Caches) Invalidate(ctx context.Context, db string, tables []string) bool {
	c := cs.Get(db)
	if c == nil {
		return false
	}
	c.Invalidate(ctx, tables)
	return true
}

// SetFeed sets database db's change feed (kept for a cache made later).
func (cs *Caches) SetFeed(db string, f Feed) {
	cs.mu.Lock()
	if f == nil {
		delete(cs.mu.feeds, db)
	} else {
		cs.mu.feeds[db] = f
	}
	c := cs.mu.m[db]
	cs.mu.Unlock()
	if c != nil {
		c.SetFeed(f)
	}
}
