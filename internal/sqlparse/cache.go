package sqlparse

import "sync"

// Cache keeps parse results by query text, up to a bounded number of
// entries (the oldest go first). It is safe for concurrent use. Callers
// must not modify the statements they get.
type Cache struct {
	parse func(string) ([]Statement, error)
	max   int
	mu    struct {
		sync.Mutex
		entries map[string]cached
		order   []string // insertion order, a ring of max entries
		next    int
	}
}

type cached struct {
	stmts []Statement
	err   error
}

// NewCache caches parse (Postgres or a dialect's parser) for up to max
// distinct texts.
func NewCache(parse func(string) ([]Statement, error), max int) *Cache {
	c := &Cache{parse: parse, max: max}
	c.mu.entries = make(map[string]cached, max)
	c.mu.order = make([]string, max)
	return c
}

// Parse returns the cached result for sql, parsing it on a miss.
func (c *Cache) Parse(sql string) ([]Statement, error) {
	c.mu.Lock()
	e, ok := c.mu.entries[sql]
	c.mu.Unlock()
	if ok {
		return e.stmts, e.err
	}
	stmts, err := c.parse(sql)
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.mu.entries[sql]; !ok && c.max > 0 {
		if old := c.mu.order[c.mu.next]; old != "" || len(c.mu.entries) >= c.max {
			delete(c.mu.entries, old)
		}
		c.mu.order[c.mu.next] = sql
		c.mu.next = (c.mu.next + 1) % c.max
		c.mu.entries[sql] = cached{stmts, err}
	}
	return stmts, err
}

// Len returns the number of cached texts.
func (c *Cache) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.mu.entries)
}
