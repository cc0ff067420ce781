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

// Configure returns database o.Database's cache for o: the one in force
// when its dialect and settings are the same, else a new one (taking the
// database's feed). Databases not named in keep lose theirs: call Retain
// after configuring every database.
func (cs *Caches) Configure(o Options) *Cache {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	if c := cs.mu.m[o.Database]; c != nil && c.dialect == o.Dialect && reflect.DeepEqual(c.cfg, o.Config) {
		return c
	}
	if old := cs.mu.m[o.Database]; old != nil {
		old.Close()
	}
	c := New(o)
	if f := cs.mu.feeds[o.Database]; f != nil {
		c.SetFeed(f)
	}
	cs.mu.m[o.Database] = c
	return c
}

// Retain drops the caches of databases not in names.
func (cs *Caches) Retain(names map[string]bool) {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	for n, c := range cs.mu.m {
		if !names[n] {
			c.Close()
			delete(cs.mu.m, n)
		}
	}
}

// Close closes every cache (the gateway stops).
func (cs *Caches) Close() { cs.Retain(nil) }

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
