package config

import (
	"strings"
	"testing"
	"time"
)

func TestCacheParse(t *testing.T) {
	const head = "databases:\n  - name: app\n    kind: postgres\n    primary: postgres://u@127.0.0.1/app\n    cache:\n"
	cases := []struct {
		name, src, want string
		check           func(t *testing.T, c *Cache)
	}{
		{name: "defaults", src: "      enabled: true\n", check: func(t *testing.T, c *Cache) {
			if !c.Enabled || c.MemoryBytes() != DefaultCacheMemory || c.TTLOrDefault() != DefaultCacheTTL ||
				c.MaxStalenessOrDefault() != DefaultCacheMaxStaleness || c.MaxResultBytes() != DefaultCacheMaxResult ||
				c.ReadYourWritesOrDefault() != DefaultCacheReadYourWrites || c.MetadataTTLOrDefault() != DefaultCacheMetadataTTL {
				t.Fatalf("%+v", c)
			}
		}},
		{name: "full", src: "      enabled: true\n      memory: 128MB\n      ttl: 30s\n      max_staleness: 2s\n      max_result: 512KB\n      read_your_writes: 1s\n" +
			"      rules:\n        - {tables: [\"audit.*\", secrets], never: true}\n        - {shape: \"SELECT * FROM prices WHERE id = 1\", ttl: 5m}\n" +
			"      redis: {addr: \"127.0.0.1:6379\", password: \"${env:REDIS_PW}\", db: 2, prefix: floe:c}\n", check: func(t *testing.T, c *Cache) {
			if c.MemoryBytes() != 128<<20 || c.MaxResultBytes() != 512<<10 || c.TTL != 30*time.Second || c.MaxStaleness != 2*time.Second ||
				c.ReadYourWrites != time.Second || len(c.Rules) != 2 || !c.Rules[0].Never || c.Rules[1].TTL != 5*time.Minute {
				t.Fatalf("%+v", c)
			}
			if c.Redis == nil || c.Redis.Password != "pw" || c.Redis.DB != 2 || c.Redis.PrefixOrDefault() != "floe:c" {
				t.Fatalf("redis %+v", c.Redis)
			}
		}},
		{name: "metadata_ttl", src: "      enabled: true\n      metadata_ttl: 5s\n", check: func(t *testing.T, c *Cache) {
			if c.MetadataTTL != 5*time.Second || c.MetadataTTLOrDefault() != 5*time.Second {
				t.Fatalf("%+v", c)
			}
		}},
		{name: "negative metadata_ttl", src: "      metadata_ttl: -1s\n", want: "databases[0].cache.metadata_ttl: must not be negative"},
		{name: "bad memory", src: "      memory: lots\n", want: "databases[0].cache.memory: \"lots\" is not a size"},
		{name: "zero memory", src: "      memory: 0\n", want: "databases[0].cache.memory: must be more than 0"},
		{name: "max_result over memory", src: "      memory: 1MB\n      max_result: 2MB\n", want: "databases[0].cache.max_result: is larger than memory"},
		{name: "negative ttl", src: "      ttl: -1s\n", want: "databases[0].cache.ttl: must not be negative"},
		{name: "rule without target", src: "      rules: [{ttl: 1s}]\n", want: "databases[0].cache.rules[0]: give tables or shape"},
		{name: "rule with both", src: "      rules: [{tables: [a], shape: \"SELECT 1\"}]\n", want: "not both"},
		{name: "rule bad glob", src: "      rules: [{tables: [\"a[\"], never: true}]\n", want: "databases[0].cache.rules[0].tables[0]"},
		{name: "never with ttl", src: "      rules: [{tables: [a], never: true, ttl: 1s}]\n", want: "never and ttl exclude each other"},
		{name: "redis addr", src: "      redis: {addr: localhost}\n", want: "databases[0].cache.redis.addr: want host:port"},
		{name: "unknown key", src: "      size: 1\n", want: "cache.size: unknown key"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Parse("f.yaml", []byte("users: [{name: alice, password: p}]\n"+head+tc.src), env(map[string]string{"REDIS_PW": "pw"}))
			if tc.want != "" {
				if err == nil || !strings.Contains(err.Error(), tc.want) {
					t.Fatalf("error %v, want %q", err, tc.want)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tc.check(t, c.Databases[0].Cache)
		})
	}
}

// An embedded SQLite database takes the cache (every write passes
// through Floe) but no shared tier: each instance's file is its own.
func TestCacheSQLite(t *testing.T) {
	const head = "users: [{name: alice, password: p}]\ndatabases:\n  - {name: lite, kind: sqlite, path: /tmp/lite.db, cache: "
	for _, tc := range []struct{ name, src, want string }{
		{"enabled", "{enabled: true, ttl: 5m}}\n", ""},
		{"shared tier", "{enabled: true, redis: {addr: \"127.0.0.1:6379\"}}}\n", "databases[0].cache.redis: an embedded SQLite database is each instance's own"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Parse("f.yaml", []byte(head+tc.src), env(nil))
			if tc.want != "" {
				if err == nil || !strings.Contains(err.Error(), tc.want) {
					t.Fatalf("error %v, want %q", err, tc.want)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if cc := c.Databases[0].Cache; cc == nil || !cc.Enabled || cc.TTL != 5*time.Minute {
				t.Fatalf("%+v", cc)
			}
		})
	}
}

func TestParseSize(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int64
		bad  bool
	}{{"10", 10, false}, {"10B", 10, false}, {"2kb", 2048, false}, {"64MB", 64 << 20, false}, {"1GiB", 1 << 30, false}, {"1.5MB", 0, true}, {"-1", 0, true}, {"MB", 0, true}} {
		got, err := ParseSize(tc.in)
		if (err != nil) != tc.bad || got != tc.want {
			t.Errorf("%q: %d %v", tc.in, got, err)
		}
	}
}
