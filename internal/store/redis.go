package store

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/floe-db/floe/internal/config"
)

type redisStore struct {
	rdb          *redis.Client
	prefix       string
	key, channel string
	log          *slog.Logger
}

func openRedis(cfg config.Store, log *slog.Logger) *redisStore {
	prefix := cfg.Prefix
	if prefix == "" {
		prefix = "floe"
	}
	// go-redis logs through one process-wide logger of its own; route it
	// to ours rather than let it print to stderr.
	redis.SetLogger(redisLog{log})
	rdb := redis.NewClient(&redis.Options{Addr: cfg.Address, Password: cfg.Password, DB: cfg.DB,
		DialTimeout: 3 * time.Second, ReadTimeout: 3 * time.Second, WriteTimeout: 3 * time.Second})
	return &redisStore{rdb: rdb, prefix: prefix, key: prefix + ":state", channel: prefix + ":changes", log: log}
}

func (s *redisStore) Load(ctx context.Context) (Document, error) {
	raw, err := s.rdb.Get(ctx, s.key).Bytes()
	if errors.Is(err, redis.Nil) {
		return Document{}, nil
	}
	if err != nil {
		return Document{}, err
	}
	var d Document
	err = json.Unmarshal(raw, &d)
	return d, err
}

func (s *redisStore) Update(ctx context.Context, change func(*Document) error) (Document, error) {
	var out Document
	for range 20 {
		err := s.rdb.Watch(ctx, func(tx *redis.Tx) error {
			out = Document{}
			raw, err := tx.Get(ctx, s.key).Bytes()
			if err != nil && !errors.Is(err, redis.Nil) {
				return err
			}
			if len(raw) > 0 {
				if err := json.Unmarshal(raw, &out); err != nil {
					return err
				}
			}
			if err := apply(&out, change); err != nil {
				return err
			}
			out.Version++
			nb, err := json.Marshal(out)
			if err != nil {
				return err
			}
			_, err = tx.TxPipelined(ctx, func(p redis.Pipeliner) error {
				p.Set(ctx, s.key, nb, 0)
				p.Set(ctx, s.key+":version", out.Version, 0)
				p.Publish(ctx, s.channel, strconv.FormatUint(out.Version, 10))
				return nil
			})
			return err
		}, s.key)
		if !errors.Is(err, redis.TxFailedErr) {
			return out, err
		}
		// Another instance changed the document in between: try again.
	}
	return Document{}, errors.New("store: too many concurrent changes")
}

func (s *redisStore) Watch(ctx context.Context, onChange func(), onState func(bool, error)) {
	// Pub/sub announces changes at once. go-redis resubscribes after a
	// broken connection, but what was published meanwhile is lost, so
	// the version key is also read four times a second: it tells whether
	// the server answers and catches any change the channel missed.
	sub := s.rdb.Subscribe(ctx, s.channel)
	defer sub.Close()
	msgs := sub.Channel()
	tick := time.NewTicker(250 * time.Millisecond)
	defer tick.Stop()
	up, seen := false, ""
	check := func() {
		v, err := s.rdb.Get(ctx, s.key+":version").Result()
		if errors.Is(err, redis.Nil) {
			v, err = "0", nil
		}
		switch {
		case ctx.Err() != nil:
		case err != nil:
			if up {
				onState(false, err)
			}
			up = false
		case !up:
			up, seen = true, v
			onState(true, nil)
			onChange()
		case v != seen:
			seen = v
			onChange()
		}
	}
	check()
	if !up {
		onState(false, errors.New("redis unreachable"))
	}
	for {
		select {
		case <-ctx.Done():
			return
		case _, ok := <-msgs:
			if !ok {
				return
			}
			onChange()
		case <-tick.C:
			check()
		}
	}
}

func (s *redisStore) Close() { _ = s.rdb.Close() }

// redisLog hands go-redis's messages (dial failures, reconnects) to slog.
type redisLog struct{ log *slog.Logger }

func (l redisLog) Printf(ctx context.Context, format string, v ...any) {
	l.log.Debug("redis: " + fmt.Sprintf(format, v...))
}

// gcra is the generic cell rate algorithm over the server's clock:
// KEYS[1] holds the theoretical arrival time (TAT) in microseconds;
// ARGV[1] is the emission interval and ARGV[2] the burst tolerance, both
// in microseconds. It answers 1 and moves the TAT on when the cell
// conforms, 0 otherwise.
var gcra = redis.NewScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local interval = tonumber(ARGV[1])
local tolerance = tonumber(ARGV[2])
local tat = tonumber(redis.call('GET', KEYS[1]) or now)
if tat < now then tat = now end
if tat - now > tolerance then return 0 end
local new_tat = tat + interval
redis.call('SET', KEYS[1], new_tat, 'PX', math.ceil((new_tat - now) / 1000) + 1000)
return 1
`)

// Allow implements policy.SharedLimiter: one statement of key's budget
// of rate per second with burst, for every instance together.
func (s *redisStore) Allow(ctx context.Context, key string, rate float64, burst int) (bool, error) {
	if rate <= 0 {
		return true, nil
	}
	interval := int64(1e6 / rate)
	tolerance := interval * int64(max(burst, 1)-1)
	sum := sha256.Sum256([]byte(key))
	ctx, cancel := context.WithTimeout(ctx, 500*time.Millisecond)
	defer cancel()
	n, err := gcra.Run(ctx, s.rdb, []string{s.prefix + ":rl:" + hex.EncodeToString(sum[:16])}, interval, tolerance).Int()
	if err != nil {
		return false, err
	}
	return n == 1, nil
}
