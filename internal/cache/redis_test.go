package cache

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/floe-db/floe/internal/analysis"
	"github.com/floe-db/floe/internal/config"
	"github.com/floe-db/floe/internal/policy"
	"github.com/floe-db/floe/internal/stmt"
)

const redisAddr = "127.0.0.1:6379"

// sharedRig is two instances' caches of one database sharing Redis under
// a prefix of the test's own (its keys are deleted at the end).
func sharedRig(t *testing.T, addr string) (a, b *rig) {
	t.Helper()
	if testing.Short() {
		t.Skip("needs Redis")
	}
	rdb := redis.NewClient(&redis.Options{Addr: redisAddr})
	t.Cleanup(func() { rdb.Close() })
	if err := rdb.Ping(context.Background()).Err(); err != nil {
		t.Fatalf("Redis at %s: %v — run scripts/services.sh", redisAddr, err)
	}
	buf := make([]byte, 6)
	_, _ = rand.Read(buf)
	prefix := "floe_t_cache_" + hex.EncodeToString(buf)
	t.Cleanup(func() {
		ctx := context.Background()
		iter := rdb.Scan(ctx, 0, prefix+":*", 1000).Iterator()
		for iter.Next(ctx) {
			rdb.Del(ctx, iter.Val())
		}
	})
	cfg := config.Cache{Enabled: true, TTL: time.Minute, MaxStaleness: time.Minute, ReadYourWrites: time.Millisecond,
		Redis: &config.CacheRedis{Addr: addr, Prefix: prefix}}
	mk := func() *rig {
		c := New(Options{Database: "db", Dialect: analysis.Postgres, Config: cfg})
		t.Cleanup(c.Close)
		p := stmt.New(stmt.Options{Database: "db", Dialect: analysis.Postgres, Stages: []stmt.Stage{c}})
		return &rig{c: c, p: p}
	}
	return mk(), mk()
}

func waitUp(t *testing.T, cs ...*Cache) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for _, c := range cs {
		for !c.shared() {
			if time.Now().After(deadline) {
				t.Fatal("the shared tier did not come up")
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
}

// TestSharedTier: an entry one instance fills is served by the other;
// a write through one instance invalidates the other's memory and the
// shared entry.
func TestSharedTier(t *testing.T) {
	a, b := sharedRig(t, redisAddr)
	waitUp(t, a.c, b.c)
	sa, sb := a.p.Open(policy.Request{User: "u"}), b.p.Open(policy.Request{User: "u"})
	const q = "SELECT * FROM t"
	if got, status, _ := run(t, sa, q, "v1"); got != "v1" || status != StatusMiss {
		t.Fatalf("a: %q %s", got, status)
	}
	if got, status, _ := run(t, sb, q, "other"); got != "v1" || status != StatusHit {
		t.Fatalf("b did not hit a's entry: %q %s", got, status)
	}
	// Both hold it in memory now; a write through b reaches a.
	run(t, sb, "UPDATE t SET a = 1", "")
	deadline := time.Now().Add(2 * time.Second)
	for {
		if e, _ := a.c.store.usage(); e == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("a kept its entry after b's write")
		}
		time.Sleep(5 * time.Millisecond)
	}
	if got, status, _ := run(t, sa, q, "v2"); got != "v2" || status != StatusMiss {
		t.Fatalf("a after the write: %q %s", got, status)
	}
	// b serves a's refill (another session of b: the writer reads its
	// own writes from the database). The invalidation b's write
	// published at its end may arrive after a's refill and drop it once
	// — a miss, never a stale hit — so a refills again until b hits.
	deadline = time.Now().Add(2 * time.Second)
	for {
		got, status, reason := run(t, b.p.Open(policy.Request{User: "u"}), q, "v2")
		if got != "v2" {
			t.Fatalf("b after a's refill: %q %s %s", got, status, reason)
		}
		if status == StatusHit {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("b never served a's refill: %s %s", status, reason)
		}
		time.Sleep(5 * time.Millisecond)
		if got, _, _ := run(t, sa, q, "v2"); got != "v2" {
			t.Fatalf("a refilled %q", got)
		}
	}
}

// TestSharedTierVersionRace: a fill that began before another instance's
// write to its table does not reach the shared tier.
func TestSharedTierVersionRace(t *testing.T) {
	a, b := sharedRig(t, redisAddr)
	waitUp(t, a.c, b.c)
	sa := a.p.Open(policy.Request{User: "u"})
	st, _ := sa.Start(context.Background(), "query", "SELECT * FROM t", nil)
	if _, ok := st.Cache().Hit(context.Background(), variant); ok {
		t.Fatal("hit")
	}
	rec := st.Cache().Record(variant)
	rec.Write([]byte("old"))
	// b's write lands in Redis while a's read runs; a's memory may not
	// have heard of it yet.
	b.c.tier.invalidate(context.Background(), []string{"t"})
	rec.Complete(1)
	st.Finish(nil)
	time.Sleep(100 * time.Millisecond)
	sb := b.p.Open(policy.Request{User: "u"})
	if got, status, _ := run(t, sb, "SELECT * FROM t", "new"); got != "new" || status != StatusMiss {
		t.Fatalf("the stale fill reached the shared tier: %q %s", got, status)
	}
}

// TestSharedTierDown: with Redis unreachable the cache serves from
// memory, entries bounded by max_staleness.
func TestSharedTierDown(t *testing.T) {
	a, _ := sharedRig(t, "127.0.0.1:1")
	clk := newClock()
	a.c.now = clk.now
	a.c.stale = 2 * time.Second
	s := a.p.Open(policy.Request{User: "u"})
	run(t, s, "SELECT * FROM t", "v1")
	if got, status, _ := run(t, s, "SELECT * FROM t", "x"); got != "v1" || status != StatusHit {
		t.Fatalf("memory tier: %q %s", got, status)
	}
	clk.add(2 * time.Second)
	if got, status, _ := run(t, s, "SELECT * FROM t", "v2"); got != "v2" || status != StatusMiss {
		t.Fatalf("an entry outlived max_staleness while the shared tier is down: %q %s", got, status)
	}
}
