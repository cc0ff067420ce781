package config

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestLimitJSONDurations(t *testing.T) {
	cases := []struct {
		name, in string
		want     time.Duration
		out, err string
	}{
		{"string", `{"per":"user","statement_timeout":"250ms"}`, 250 * time.Millisecond, `{"per":"user","statement_timeout":"250ms"}`, ""},
		{"minutes", `{"per":"user","statement_timeout":"1m30s"}`, 90 * time.Second, `{"per":"user","statement_timeout":"1m30s"}`, ""},
		{"nanoseconds of older documents", `{"per":"user","statement_timeout":5000000000}`, 5 * time.Second, `{"per":"user","statement_timeout":"5s"}`, ""},
		{"absent", `{"per":"user","rate":2}`, 0, `{"per":"user","rate":2}`, ""},
		{"not a duration", `{"per":"user","statement_timeout":"soon"}`, 0, "", `"soon" is not a duration`},
		{"unknown key", `{"per":"user","statement_timeot":"5s"}`, 0, "", "unknown field"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var l Limit
			err := json.Unmarshal([]byte(c.in), &l)
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("err %v, want %q", err, c.err)
				}
				return
			}
			if err != nil || l.StatementTimeout != c.want || l.Per != "user" {
				t.Fatalf("%+v %v", l, err)
			}
			b, err := json.Marshal(l)
			if err != nil || string(b) != c.out {
				t.Fatalf("marshal: %s %v, want %s", b, err, c.out)
			}
		})
	}
	// Inside a list, as the admin API and the store hold them.
	b, _ := json.Marshal(Overlay{Limits: []Limit{{Per: "database", StatementTimeout: 2 * time.Second}}})
	if !strings.Contains(string(b), `"statement_timeout":"2s"`) {
		t.Fatalf("overlay: %s", b)
	}
}

// TestYAMLDurations: every duration key of the file takes strings such
// as "250ms" and "5s"; a bare number is refused with a clear error.
func TestYAMLDurations(t *testing.T) {
	src := `shutdown: {timeout: 5s}
secrets: {refresh: 1m}
slow: {threshold: 250ms, plan_interval: 30s, plan_timeout: 2s}
policy: {login: {max_failures: 3, window: 30s, lockout: 2m}}
databases:
  - name: a
    kind: postgres
    primary: postgres://u@h/a
    pool: {idle_timeout: 250ms, max_lifetime: 1h, acquire_timeout: 2s, health_check_after: 10s, connect_timeout: 3s,
      query_timeout: 1500ms, idle_in_transaction_timeout: 1m, retry: {backoff: 50ms, max_backoff: 2s},
      breaker: {window: 20s, open_for: 7s}}
    routing: {max_lag: 2s, read_your_writes: 500ms, failover_wait: 3s}
    health: {interval: 1s, timeout: 300ms}
    cache: {ttl: 90s, max_staleness: 4s, read_your_writes: 2500ms, metadata_ttl: 45s, rules: [{tables: [t], ttl: 20s}]}
    cdc: {heartbeat: 2500ms}
users: [{name: u, password: p}]
limits: [{per: user, statement_timeout: 750ms}]
audit: {stdout: true, checkpoint_interval: 15s}
roles: [{name: r}]
oidc: {issuer: https://id.example, audience: floe, roles: {g: [r]}, wire: {enabled: false, expiry_grace: 45s}}
advice: {interval: 90s}
`
	c, err := Parse("f.yaml", []byte(src), env(nil))
	if err != nil {
		t.Fatal(err)
	}
	d := c.Databases[0]
	checked := []struct {
		key       string
		got, want time.Duration
	}{
		{"shutdown.timeout", c.Shutdown.Timeout, 5 * time.Second},
		{"secrets.refresh", c.Secrets.Refresh, time.Minute},
		{"policy.login.window", c.Policy.Login.Window, 30 * time.Second},
		{"policy.login.lockout", c.Policy.Login.Lockout, 2 * time.Minute},
		{"pool.idle_timeout", d.Pool.IdleTimeout, 250 * time.Millisecond},
		{"pool.max_lifetime", d.Pool.MaxLifetime, time.Hour},
		{"pool.acquire_timeout", d.Pool.AcquireTimeout, 2 * time.Second},
		{"pool.health_check_after", d.Pool.HealthCheckAfter, 10 * time.Second},
		{"pool.connect_timeout", d.Pool.ConnectTimeout, 3 * time.Second},
		{"pool.query_timeout", d.Pool.QueryTimeout, 1500 * time.Millisecond},
		{"pool.idle_in_transaction_timeout", d.Pool.IdleInTransactionTimeout, time.Minute},
		{"pool.retry.backoff", d.Pool.Retry.Backoff, 50 * time.Millisecond},
		{"pool.retry.max_backoff", d.Pool.Retry.MaxBackoff, 2 * time.Second},
		{"pool.breaker.window", d.Pool.Breaker.Window, 20 * time.Second},
		{"pool.breaker.open_for", d.Pool.Breaker.OpenFor, 7 * time.Second},
		{"routing.max_lag", d.Routing.MaxLag, 2 * time.Second},
		{"routing.read_your_writes", d.Routing.ReadYourWrites, 500 * time.Millisecond},
		{"routing.failover_wait", d.Routing.FailoverWait, 3 * time.Second},
		{"health.interval", d.Health.Interval, time.Second},
		{"health.timeout", d.Health.Timeout, 300 * time.Millisecond},
		{"cache.ttl", d.Cache.TTL, 90 * time.Second},
		{"cache.max_staleness", d.Cache.MaxStaleness, 4 * time.Second},
		{"cache.read_your_writes", d.Cache.ReadYourWrites, 2500 * time.Millisecond},
		{"cache.metadata_ttl", d.Cache.MetadataTTL, 45 * time.Second},
		{"cache.rules[0].ttl", d.Cache.Rules[0].TTL, 20 * time.Second},
		{"cdc.heartbeat", d.CDC.Heartbeat, 2500 * time.Millisecond},
		{"limits[0].statement_timeout", c.Limits[0].StatementTimeout, 750 * time.Millisecond},
		{"audit.checkpoint_interval", c.Audit.CheckpointInterval, 15 * time.Second},
		{"oidc.wire.expiry_grace", c.OIDC.Wire.ExpiryGrace, 45 * time.Second},
		{"slow.threshold", c.Slow.Threshold, 250 * time.Millisecond},
		{"slow.plan_interval", c.Slow.PlanInterval, 30 * time.Second},
		{"slow.plan_timeout", c.Slow.PlanTimeout, 2 * time.Second},
		{"advice.interval", c.Advice.Interval, 90 * time.Second},
	}
	// Every duration key of the file is in the table above.
	if n := countDurations(reflect.TypeFor[Config](), map[reflect.Type]bool{}); n != len(checked) {
		t.Errorf("the configuration has %d duration keys, the test checks %d", n, len(checked))
	}
	for _, g := range checked {
		if g.got != g.want {
			t.Errorf("%s: %s, want %s", g.key, g.got, g.want)
		}
	}
	_, err = Parse("f.yaml", []byte("shutdown: {timeout: 5}\n"+src[len("shutdown: {timeout: 5s}\n"):]), env(nil))
	if err == nil || !strings.Contains(err.Error(), "f.yaml:1: shutdown.timeout: wrong type: want time.Duration") {
		t.Fatalf("a bare number: %v", err)
	}
}

// countDurations counts the time.Duration fields with a yaml key under t.
func countDurations(t reflect.Type, seen map[reflect.Type]bool) int {
	for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct || seen[t] {
		return 0
	}
	seen[t] = true
	n := 0
	for i := range t.NumField() {
		f := t.Field(i)
		if tag, _, _ := strings.Cut(f.Tag.Get("yaml"), ","); tag == "" || tag == "-" {
			continue
		}
		if f.Type == reflect.TypeFor[time.Duration]() {
			n++
			continue
		}
		n += countDurations(f.Type, seen)
	}
	return n
}
