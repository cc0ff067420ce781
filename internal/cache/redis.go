package cache

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"log/slog"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/floe-db/floe/internal/config"
)

// tier is the Redis tier of one database's cache, shared by every
// instance: entries (with their expiry), a set of entry keys per table,
// a version per table (and one for every table) checked atomically when
// an entry is filled, and a channel on which every invalidation is
// published so the other instances drop their memory entries too.
//
// While Redis does not answer, or the subscription is broken, the tier
// is down: the cache serves and fills memory only, and memory entries
// live at most min(ttl, max_staleness) (what this instance cannot hear
// of, it bounds as it bounds writes made outside Floe). Going down and
// coming back both purge the memory tier: invalidations published
// meanwhile were missed.
type tier struct {
	rdb     *redis.Client
	base    string // prefix:database:
	channel string
	self    string // this instance's id in published messages
	log     *slog.Logger
	up      atomic.Bool
	onLost  func()               // purge memory (missed invalidations)
	onInval func(names []string) // another instance's invalidation
	sub     *redis.PubSub
	stop    context.CancelFunc
	done    chan struct{}
	mu      sync.Mutex // one purge at a time on state changes
}

// redisTimeout bounds each call, so that a dead server degrades the
// cache quickly instead of slowing every statement.
const redisTimeout = 500 * time.Millisecond

func newTier(cfg *config.CacheRedis, db string, log *slog.Logger, onLost func(), onInval func([]string)) *tier {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	base := cfg.PrefixOrDefault() + ":" + db + ":"
	t := &tier{
		rdb: redis.NewClient(&redis.Options{Addr: cfg.Addr, Password: cfg.Password, DB: cfg.DB,
			DialTimeout: time.Second, ReadTimeout: redisTimeout, WriteTimeout: redisTimeout, MaxRetries: -1}),
		base: base, channel: base + "invalidations", self: hex.EncodeToString(b), log: log,
		onLost: onLost, onInval: onInval, done: make(chan struct{}),
	}
	ctx, cancel := context.WithCancel(context.Background())
	t.stop = cancel
	t.sub = t.rdb.Subscribe(ctx, t.channel)
	go t.listen(ctx)
	return t
}

func (t *tier) close() {
	t.stop()
	_ = t.sub.Close() // ends a receive under way
	<-t.done
	_ = t.rdb.Close()
}

func (t *tier) setUp(up bool, why error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.up.Load() == up {
		return
	}
	// Memory entries may have missed invalidations while the channel
	// was not heard (or from now on will): drop them either way.
	t.onLost()
	t.up.Store(up)
	if up {
		t.log.Info("result cache: shared tier up")
	} else {
		msg := ""
		if why != nil {
			msg = why.Error()
		}
		t.log.Warn("result cache: shared tier down, serving from memory only", "error", msg)
	}
}

// listen follows the invalidation channel until ctx ends.
func (t *tier) listen(ctx context.Context) {
	defer close(t.done)
	sub := t.sub
	for ctx.Err() == nil {
		msg, err := sub.ReceiveTimeout(ctx, time.Second)
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				// Quiet: check the connection is alive.
				pctx, cancel := context.WithTimeout(ctx, redisTimeout)
				err = sub.Ping(pctx)
				cancel()
				if err == nil {
					continue
				}
			}
			if ctx.Err() != nil {
				return
			}
			t.setUp(false, err)
			select {
			case <-ctx.Done():
				return
			case <-time.After(200 * time.Millisecond):
			}
			continue
		}
		switch m := msg.(type) {
		case *redis.Subscription:
			if m.Kind == "subscribe" {
				t.setUp(true, nil)
			}
		case *redis.Message:
			from, body, _ := strings.Cut(m.Payload, "|")
			if from == t.self {
				continue
			}
			if body == "*" {
				t.onInval(nil)
			} else {
				t.onInval(strings.Split(body, ","))
			}
		}
	}
}

func (t *tier) fail(err error) {
	if err != nil && !errors.Is(err, redis.Nil) && !errors.Is(err, context.Canceled) {
		t.setUp(false, err)
	}
}

func (t *tier) entryKey(key string) string { return t.base + "e:" + key }
func (t *tier) versionKey(table string) string {
	return t.base + "v:" + table
}
func (t *tier) tableKey(table string) string { return t.base + "t:" + table }

// allTables names the version every fill also checks (bumped by an
// invalidation of every table).
const allTables = "*"

// get returns the shared entry under key.
func (t *tier) get(ctx context.Context, key string) (payload []byte, rows int64, expires time.Time, ok bool) {
	if !t.up.Load() {
		return nil, 0, time.Time{}, false
	}
	ctx, cancel := context.WithTimeout(ctx, redisTimeout)
	defer cancel()
	b, err := t.rdb.Get(ctx, t.entryKey(key)).Bytes()
	if err != nil {
		t.fail(err)
		return nil, 0, time.Time{}, false
	}
	return decodeShared(b)
}

// The shared form of an entry: rows and expiry (8 bytes each, big
// endian), the SHA-256 of what follows, then the protocol's payload.
// A value that does not check is ignored (a miss): the protocol code
// is never given bytes that are not the ones an instance stored.
const sharedHeader = 16 + sha256.Size

func encodeShared(payload []byte, rows int64, expires time.Time) []byte {
	b := make([]byte, sharedHeader, sharedHeader+len(payload))
	binary.BigEndian.PutUint64(b, uint64(rows))
	binary.BigEndian.PutUint64(b[8:], uint64(expires.UnixNano()))
	sum := sha256.Sum256(payload)
	copy(b[16:], sum[:])
	return append(b, payload...)
}

func decodeShared(b []byte) (payload []byte, rows int64, expires time.Time, ok bool) {
	if len(b) < sharedHeader {
		return nil, 0, time.Time{}, false
	}
	payload = b[sharedHeader:]
	if sum := sha256.Sum256(payload); !bytes.Equal(sum[:], b[16:sharedHeader]) {
		return nil, 0, time.Time{}, false
	}
	r := binary.BigEndian.Uint64(b)
	if r > 1<<62 {
		return nil, 0, time.Time{}, false
	}
	return payload, int64(r), time.Unix(0, int64(binary.BigEndian.Uint64(b[8:]))), true
}

// snapshot reads the shared versions of tables (and of every table);
// false when the tier cannot take a fill.
func (t *tier) snapshot(ctx context.Context, tables []string) ([]string, bool) {
	if !t.up.Load() {
		return nil, false
	}
	ctx, cancel := context.WithTimeout(ctx, redisTimeout)
	defer cancel()
	keys := []string{t.versionKey(allTables)}
	for _, tb := range tables {
		keys = append(keys, t.versionKey(tb))
	}
	vs, err := t.rdb.MGet(ctx, keys...).Result()
	if err != nil {
		t.fail(err)
		return nil, false
	}
	out := make([]string, len(vs))
	for i, v := range vs {
		s, _ := v.(string)
		if s == "" {
			s = "0"
		}
		out[i] = s
	}
	return out, true
}

var fillScript = redis.NewScript(`
local n = tonumber(ARGV[3])
for i = 1, n do
  if (redis.call('GET', KEYS[1 + i]) or '0') ~= ARGV[3 + i] then return 0 end
end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
for i = n + 1, #KEYS - 1 do
  redis.call('SADD', KEYS[1 + i], KEYS[1])
  redis.call('PEXPIRE', KEYS[1 + i], 86400000)
end
return 1`)

// put stores an entry unless a table's shared version moved since vers
// was read (another instance's write).
func (t *tier) put(ctx context.Context, key string, tables []string, vers []string, payload []byte, rows int64, expires, now time.Time) bool {
	ttl := expires.Sub(now)
	if !t.up.Load() || ttl <= 0 {
		return false
	}
	ctx, cancel := context.WithTimeout(ctx, redisTimeout)
	defer cancel()
	keys := []string{t.entryKey(key), t.versionKey(allTables)}
	for _, tb := range tables {
		keys = append(keys, t.versionKey(tb))
	}
	for _, tb := range tables {
		keys = append(keys, t.tableKey(tb))
	}
	args := []any{encodeShared(payload, rows, expires), ttl.Milliseconds() + 1, len(vers)}
	for _, v := range vers {
		args = append(args, v)
	}
	n, err := fillScript.Run(ctx, t.rdb, keys, args...).Int()
	if err != nil {
		t.fail(err)
		return false
	}
	return n == 1
}

var invalidateScript = redis.NewScript(`
local n = #KEYS / 2
for i = 1, n do
  redis.call('INCR', KEYS[i])
  local members = redis.call('SMEMBERS', KEYS[n + i])
  for j = 1, #members, 500 do
    redis.call('DEL', unpack(members, j, math.min(j + 499, #members)))
  end
  redis.call('DEL', KEYS[n + i])
end
redis.call('PUBLISH', ARGV[1], ARGV[2])
return 1`)

// invalidate bumps the shared versions of tables (nil: every table),
// drops their shared entries and tells the other instances.
func (t *tier) invalidate(ctx context.Context, tables []string) {
	if !t.up.Load() {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), redisTimeout)
	defer cancel()
	var keys []string
	msg := "*"
	if len(tables) == 0 {
		keys = []string{t.versionKey(allTables), t.tableKey(allTables)}
		// Every entry: found by their names (rare: a purge of everything).
		iter := t.rdb.Scan(ctx, 0, t.base+"e:*", 1000).Iterator()
		var del []string
		for iter.Next(ctx) {
			del = append(del, iter.Val())
		}
		if len(del) > 0 {
			t.rdb.Del(ctx, del...)
		}
	} else {
		for _, tb := range tables {
			keys = append(keys, t.versionKey(tb))
		}
		for _, tb := range tables {
			keys = append(keys, t.tableKey(tb))
		}
		msg = strings.Join(tables, ",")
	}
	t.fail(invalidateScript.Run(ctx, t.rdb, keys, t.channel, t.self+"|"+msg).Err())
}
