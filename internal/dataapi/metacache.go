package dataapi

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Metadata cache results (the result label of floe_metadata_cache_total).
const (
	MetaHit  = "hit"
	MetaMiss = "miss"
)

// metaKey names one catalogue listing: the database, the source that
// runs it (on a database with backend identities, each login lists what
// its privileges show) and the query with its arguments. The caller is
// not part of it: what a caller may see is filtered after the cache.
type metaKey struct {
	db   string
	src  Source
	text string
}

type metaEntry struct {
	rows    [][]string
	expires time.Time
}

// metaCache keeps the data APIs' catalogue listings per database for the
// database's cache.metadata_ttl. A schema change through the gateway or
// from the change stream drops a database's listings (invalidate); each
// invalidation starts a new generation, and a listing read while one ran
// is not kept.
type metaCache struct {
	mu      sync.Mutex
	entries map[metaKey]metaEntry
	gen     map[string]uint64
	counter *prometheus.CounterVec // nil: not counted
}

func newMetaCache(reg *prometheus.Registry) *metaCache {
	c := &metaCache{entries: map[metaKey]metaEntry{}, gen: map[string]uint64{}}
	if reg == nil {
		return c
	}
	cv := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "floe_metadata_cache_total",
		Help: "Catalogue listings of the data APIs by database and result (hit: served from the metadata cache; miss: asked of the database).",
	}, []string{"database", "result"})
	if err := reg.Register(cv); err != nil {
		var are prometheus.AlreadyRegisteredError
		if !errors.As(err, &are) {
			return c
		}
		cv, _ = are.ExistingCollector.(*prometheus.CounterVec)
	}
	c.counter = cv
	return c
}

func (c *metaCache) count(db, result string) {
	if c.counter != nil {
		c.counter.WithLabelValues(db, result).Inc()
	}
}

// rows returns the listing under k: a stored one younger than ttl, else
// what list reads (kept unless an invalidation of the database ran
// meanwhile). ttl 0: nothing is kept or served.
func (c *metaCache) rows(ctx context.Context, k metaKey, ttl time.Duration, list func(context.Context) ([][]string, error)) ([][]string, error) {
	if ttl <= 0 {
		return list(ctx)
	}
	now := time.Now()
	c.mu.Lock()
	e, ok := c.entries[k]
	gen := c.gen[k.db]
	c.mu.Unlock()
	if ok && now.Before(e.expires) {
		c.count(k.db, MetaHit)
		return e.rows, nil
	}
	c.count(k.db, MetaMiss)
	rows, err := list(ctx)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	if c.gen[k.db] == gen {
		// Expired listings go as new ones come (a source a reload
		// replaced is asked no more).
		for ek, e := range c.entries {
			if !now.Before(e.expires) {
				delete(c.entries, ek)
			}
		}
		c.entries[k] = metaEntry{rows: rows, expires: now.Add(ttl)}
	}
	c.mu.Unlock()
	return rows, nil
}

// invalidate drops every listing of database db: a listing spans the
// whole database, so any of its tables changing drops them all.
func (c *metaCache) invalidate(db string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen[db]++
	n := 0
	for k := range c.entries {
		if k.db == db {
			delete(c.entries, k)
			n++
		}
	}
	return n
}

// InvalidateMetadata drops the catalogue listings kept of database db
// (tables names the tables changed; a listing covers the whole database,
// so every listing of db goes whatever they are).
func (s *Service) InvalidateMetadata(db string, tables []string) {
	_ = tables
	s.meta.invalidate(db)
}

// Rows runs one of the gateway's catalogue listing queries and returns
// its rows as text (NULL as ""), from the metadata cache while the
// database keeps one (Service.MetadataTTL). The listing is the source's,
// not the caller's: callers filter it by their policy afterwards.
func (k *Catalog) Rows(ctx context.Context, sql string, args ...any) ([][]string, error) {
	var ttl time.Duration
	if k.svc.MetadataTTL != nil {
		ttl = k.svc.MetadataTTL(k.Name)
	}
	key := metaKey{db: k.Name, src: k.src, text: sql}
	if len(args) > 0 {
		key.text += "\x00" + fmt.Sprintf("%#v", args)
	}
	return k.svc.meta.rows(ctx, key, ttl, func(ctx context.Context) ([][]string, error) {
		r, err := k.Query(ctx, sql, args...)
		if err != nil {
			return nil, err
		}
		defer r.Release()
		var out [][]string
		for r.Next() {
			b := r.RecordBatch()
			for i := 0; i < int(b.NumRows()); i++ {
				row := make([]string, b.NumCols())
				for j, col := range b.Columns() {
					if !col.IsNull(i) {
						row[j] = string(AppendText(nil, col, i))
					}
				}
				out = append(out, row)
			}
		}
		return out, r.Err()
	})
}
