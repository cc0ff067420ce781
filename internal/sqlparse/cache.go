package sqlparse

import "sync"

// Cache keeps results computed from query text (parse results, or what
// a caller derives from them), up to a bounded number of entries (the
// oldest go first). It is safe for concurrent use. Callers must not
// modify the values they get.
type Cache[T any] struct {
	parse func(string) (T, error)
	max   int
	mu    struct {
		sync.Mutex
		entries map[string]cached[T]
		order   []string // insertion order, a ring of max entries
		next    int
	}
}

type cached[T any] struct {
	v   T
	err error
}

// NewCache caches parse (Postgres, a dialect's parser, or a function of
// its result) for up to max distinct texts.
func NewCache[T any](parse func(string) (T, error), max int) *Cache[T] {
	c := &Cache[T]{parse: parse, max: max}
	c.mu.entries = make(map[string]cached[T], max)
	c.mu.order = make([]string, max)
	return c
}

// Parse returns the cached result for sql, computing it on a miss.
func (c *Cache[T]) Parse(sql string) (T, error) {
	c.mu.Lock()
	e, ok := c.mu.entries[sql]
	c.mu.Unlock()
	if ok {
		return e.v, e.err
	}
	v, err := c.parse(sql)
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.mu.entries[sql]; !ok && c.max > 0 {
		if old := c.mu.order[c.mu.next]; old != "" || len(c.mu.entries) >= c.max {
			delete(c.mu.entries, old)
		}
		c.mu.order[c.mu.next] = sql
		c.mu.next = (c.mu.next + 1) % c.max
		c.mu.entries[sql] = cached[T]{v, err}
	}
	return v, err
}

// Get returns the value cached under key, without computing.
func (c *Cache[T]) Get(key string) (T, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.mu.entries[key]
	return e.v, ok && e.err == nil
}

// Add caches v under key.
func (c *Cache[T]) Add(key string, v T) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.mu.entries[key]; ok || c.max <= 0 {
		return
	}
	if old := c.mu.order[c.mu.next]; old != "" || len(c.mu.entries) >= c.max {
		delete(c.mu.entries, old)
	}
	c.mu.order[c.mu.next] = key
	c.mu.next = (c.mu.next + 1) % c.max
	c.mu.entries[key] = cached[T]{v: v}
}

// Len returns the number of cached texts.
func (c *Cache[T]) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.mu.entries)
}

// Func returns the function the cache computes with.
func (c *Cache[T]) Func() func(string) (T, error) { return c.parse }
