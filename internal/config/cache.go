package config

import (
	"fmt"
	"net"
	"path"
	"strconv"
	"strings"
	"time"
)

// Cache configures the result cache of one database (databases[].cache).
// Zero values take the defaults below when the cache is enabled.
type Cache struct {
	// Enabled turns the cache on for the database.
	Enabled bool `yaml:"enabled"`
	// Memory bounds the bytes of results kept in memory ("64MB").
	Memory string `yaml:"memory"`
	// TTL is how long an entry lives at most.
	TTL time.Duration `yaml:"ttl"`
	// MaxStaleness bounds how old a served result may be relative to the
	// database: with a change feed, entries are bypassed while the feed is
	// further behind than this; without one, no entry lives longer.
	MaxStaleness time.Duration `yaml:"max_staleness"`
	// MaxResult bounds the bytes of one cached result ("1MB"); a larger
	// result is relayed but not kept.
	MaxResult string `yaml:"max_result"`
	// ReadYourWrites: a session that wrote a table reads it from the
	// database for this long after the write.
	ReadYourWrites time.Duration `yaml:"read_your_writes"`
	// Rules override the TTL, or forbid caching, for some tables or
	// statement shapes; the first that matches decides.
	Rules []CacheRule `yaml:"rules"`
	// Redis, when set, is a tier shared by every instance: entries and
	// invalidations.
	Redis *CacheRedis `yaml:"redis"`
	// MetadataTTL is how long the data APIs keep the database's catalogue
	// listings (Flight SQL GetDbSchemas, GetTables, GetPrimaryKeys)
	// while the cache is enabled; a schema change through the gateway or
	// from the change stream drops them sooner.
	MetadataTTL time.Duration `yaml:"metadata_ttl"`
}

// CacheRule is one rule of a database's cache.
type CacheRule struct {
	// Tables are globs over table names (name or schema.name, any case);
	// a statement matches when it reads any of them.
	Tables []string `yaml:"tables"`
	// Shape is a statement text; statements that differ from it only in
	// literals match.
	Shape string `yaml:"shape"`
	// TTL of matching entries (0: the cache's).
	TTL time.Duration `yaml:"ttl"`
	// Never: matching statements are never cached.
	Never bool `yaml:"never"`
}

// CacheRedis is the shared tier of a cache.
type CacheRedis struct {
	Addr string `yaml:"addr"`
	// Password may be a secret reference (${env:…}, ${vault:…}).
	Password string `yaml:"password"`
	DB       int    `yaml:"db"`
	// Prefix names the keys and the invalidation channel (default floe:cache).
	Prefix string `yaml:"prefix"`
}

// Cache defaults.
const (
	DefaultCacheMemory         = 64 << 20
	DefaultCacheTTL            = time.Minute
	DefaultCacheMaxStaleness   = 5 * time.Second
	DefaultCacheMaxResult      = 1 << 20
	DefaultCacheReadYourWrites = 5 * time.Second
	DefaultCacheRedisPrefix    = "floe:cache"
	DefaultCacheMetadataTTL    = 30 * time.Second
)

// MemoryBytes is Memory in bytes (the default when unset).
func (c *Cache) MemoryBytes() int64 { return sizeOr(c.Memory, DefaultCacheMemory) }

// MaxResultBytes is MaxResult in bytes (the default when unset).
func (c *Cache) MaxResultBytes() int64 { return sizeOr(c.MaxResult, DefaultCacheMaxResult) }

// TTLOrDefault is the entries' TTL.
func (c *Cache) TTLOrDefault() time.Duration { return durOr(c.TTL, DefaultCacheTTL) }

// MetadataTTLOrDefault is how long catalogue listings are kept.
func (c *Cache) MetadataTTLOrDefault() time.Duration {
	return durOr(c.MetadataTTL, DefaultCacheMetadataTTL)
}

// MaxStalenessOrDefault is the staleness bound.
func (c *Cache) MaxStalenessOrDefault() time.Duration {
	return durOr(c.MaxStaleness, DefaultCacheMaxStaleness)
}

// ReadYourWritesOrDefault is the read-your-writes window.
func (c *Cache) ReadYourWritesOrDefault() time.Duration {
	return durOr(c.ReadYourWrites, DefaultCacheReadYourWrites)
}

// PrefixOrDefault is the Redis key prefix.
func (r *CacheRedis) PrefixOrDefault() string {
	if r.Prefix == "" {
		return DefaultCacheRedisPrefix
	}
	return r.Prefix
}

func durOr(d, def time.Duration) time.Duration {
	if d == 0 {
		return def
	}
	return d
}

func sizeOr(s string, def int64) int64 {
	if s == "" {
		return def
	}
	n, err := ParseSize(s)
	if err != nil {
		return def
	}
	return n
}

// ParseSize reads a byte size: a number with an optional unit B, KB, MB,
// GB (powers of 1024; KiB, MiB, GiB too), any case.
func ParseSize(s string) (int64, error) {
	t := strings.ToUpper(strings.TrimSpace(s))
	mult := int64(1)
	for _, u := range []struct {
		suffix string
		m      int64
	}{{"KIB", 1 << 10}, {"MIB", 1 << 20}, {"GIB", 1 << 30}, {"KB", 1 << 10}, {"MB", 1 << 20}, {"GB", 1 << 30}, {"K", 1 << 10}, {"M", 1 << 20}, {"G", 1 << 30}, {"B", 1}} {
		if strings.HasSuffix(t, u.suffix) {
			t, mult = strings.TrimSpace(strings.TrimSuffix(t, u.suffix)), u.m
			break
		}
	}
	n, err := strconv.ParseInt(t, 10, 64)
	if err != nil || n < 0 || n > (1<<50)/mult {
		return 0, fmt.Errorf("%q is not a size (e.g. 64MB)", s)
	}
	return n * mult, nil
}

// validateCache checks databases[i].cache.
func validateCache(v *checker, key string, d *Database) {
	c := d.Cache
	if c == nil {
		return
	}
	key += ".cache"
	for _, f := range []struct{ k, s string }{{"memory", c.Memory}, {"max_result", c.MaxResult}} {
		if f.s == "" {
			continue
		}
		if n, err := ParseSize(f.s); err != nil {
			v.bad(key+"."+f.k, "%v", err)
		} else if n == 0 {
			v.bad(key+"."+f.k, "must be more than 0")
		}
	}
	if c.MaxResult != "" && c.Memory != "" && c.MaxResultBytes() > c.MemoryBytes() {
		v.bad(key+".max_result", "is larger than memory (%s)", c.Memory)
	}
	for _, f := range []struct {
		k string
		d time.Duration
	}{{"ttl", c.TTL}, {"max_staleness", c.MaxStaleness}, {"read_your_writes", c.ReadYourWrites}, {"metadata_ttl", c.MetadataTTL}} {
		if f.d < 0 {
			v.bad(key+"."+f.k, "must not be negative")
		}
	}
	for i, r := range c.Rules {
		rk := fmt.Sprintf("%s.rules[%d]", key, i)
		switch {
		case len(r.Tables) == 0 && strings.TrimSpace(r.Shape) == "":
			v.bad(rk, "give tables or shape")
		case len(r.Tables) > 0 && r.Shape != "":
			v.bad(rk, "give tables or shape, not both")
		}
		for j, t := range r.Tables {
			if _, err := path.Match(strings.ToLower(t), ""); err != nil || t == "" {
				v.bad(fmt.Sprintf("%s.tables[%d]", rk, j), "%q is not a table glob", t)
			}
		}
		if r.TTL < 0 {
			v.bad(rk+".ttl", "must not be negative")
		}
		if r.Never && r.TTL != 0 {
			v.bad(rk, "never and ttl exclude each other")
		}
	}
	if r := c.Redis; r != nil {
		if d.Kind == KindSQLite {
			// Each instance's embedded database is its own: a shared tier
			// would serve one instance's results to another.
			v.bad(key+".redis", "an embedded SQLite database is each instance's own: no shared tier")
		}
		if _, _, err := net.SplitHostPort(r.Addr); err != nil {
			v.bad(key+".redis.addr", "want host:port")
		}
		if r.DB < 0 {
			v.bad(key+".redis.db", "must not be negative")
		}
	}
}
