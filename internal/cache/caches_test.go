package cache

import (
	"context"
	"testing"
	"time"

	"github.com/floe-db/floe/internal/analysis"
	"github.com/floe-db/floe/internal/config"
)

// TestCachesReload: a reload keeps a database's cache (and its entries)
// while its settings stay the same, and puts a new one in force when
// they change; a feed set before reaches caches made later.
func TestCachesReload(t *testing.T) {
	cs := NewCaches()
	o := Options{Database: "app", Dialect: analysis.Postgres, Config: config.Cache{Enabled: true, TTL: time.Minute}}
	c1, fresh := cs.Prepare(o)
	if !fresh {
		t.Fatal("first prepare not fresh")
	}
	if cs.Get("app") != nil {
		t.Fatal("in force before Commit")
	}
	cs.Commit(map[string]*Cache{"app": c1})
	if c, fresh := cs.Prepare(o); c != c1 || fresh {
		t.Fatal("the same settings made a new cache")
	}
	f := &fakeFeed{connected: true}
	cs.SetFeed("app", f)
	o.Config.TTL = 2 * time.Minute
	c2, fresh := cs.Prepare(o)
	if !fresh || c2 == c1 || c2.feed.Load() == nil {
		t.Fatal("changed settings: want a new cache with the feed")
	}
	cs.Put(map[string]*Cache{"app": c2})
	if cs.Get("app") != c2 || !cs.Invalidate(context.Background(), "app", []string{"t"}) || cs.Invalidate(context.Background(), "other", nil) {
		t.Fatal("Put did not put the cache in force")
	}
	cs.Commit(nil)
	if cs.Get("app") != nil || len(cs.All()) != 0 {
		t.Fatal("Commit(nil) kept a cache")
	}
}
