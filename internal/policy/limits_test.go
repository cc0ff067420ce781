package policy

import (
	"testing"
	"time"

	"github.com/floe-db/floe/internal/config"
)

func limitPolicy(t *testing.T, yaml string, now func() time.Time) *Policy {
	t.Helper()
	cfg, err := config.Parse("l.yaml", []byte(`
databases: [{name: app, kind: sqlite, path: x}, {name: other, kind: sqlite, path: y}]
users: [{name: alice, password: a}, {name: bob, password: b}]
`+yaml), func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	p, err := New(cfg, Options{Counters: NewCounters(now)})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestLimitsTable(t *testing.T) {
	clock := time.Unix(1000, 0)
	now := func() time.Time { return clock }
	p := limitPolicy(t, `
limits:
  - {per: user, rate: 2, burst: 2}
  - {per: client, client: 10.0.0.0/8, concurrent_queries: 1}
  - {per: database, database: app, connections: 1}
  - {per: user, user: bob, statement_timeout: 2s}
  - {per: user, statement_timeout: 5s}
policy:
  login: {max_failures: 2, window: 10s, lockout: 30s}
`, now)
	// Rate: 2 per second, burst 2, per user.
	for i, want := range []bool{true, true, false} {
		end, _, den := p.BeginStatement("alice", "other", "127.0.0.1")
		if (den == nil) != want {
			t.Fatalf("statement %d: %v", i, den)
		}
		end()
	}
	if _, _, den := p.BeginStatement("bob", "other", "127.0.0.1"); den != nil {
		t.Fatalf("bob shares alice's bucket: %v", den)
	}
	clock = clock.Add(time.Second)
	if end, _, den := p.BeginStatement("alice", "other", "127.0.0.1"); den != nil {
		t.Fatalf("after refill: %v", den)
	} else {
		end()
	}
	// Concurrency per client address, only for 10/8.
	clock = clock.Add(10 * time.Second)
	end, _, den := p.BeginStatement("alice", "other", "10.1.2.3")
	if den != nil {
		t.Fatal(den)
	}
	if _, _, den := p.BeginStatement("bob", "other", "10.1.2.3"); den == nil || den.Code != "53400" || den.Errno != 1226 {
		t.Fatalf("second statement from 10.1.2.3: %+v", den)
	}
	if e, _, den := p.BeginStatement("bob", "other", "192.168.0.1"); den != nil {
		t.Fatalf("other client limited: %v", den)
	} else {
		e()
	}
	end()
	end() // idempotent
	if e, _, den := p.BeginStatement("bob", "other", "10.1.2.3"); den != nil {
		t.Fatalf("after end: %v", den)
	} else {
		e()
	}
	// Timeouts: the shortest that applies.
	clock = clock.Add(10 * time.Second)
	if e, b, _ := p.BeginStatement("bob", "other", "127.0.0.1"); b.Timeout != 2*time.Second {
		t.Fatalf("bob's timeout %v", b.Timeout)
	} else {
		e()
	}
	// Connections per database.
	rel, den := p.OpenConnection("alice", "app", "127.0.0.1")
	if den != nil {
		t.Fatal(den)
	}
	if _, den := p.OpenConnection("bob", "app", "127.0.0.2"); den == nil {
		t.Fatal("second connection to app allowed")
	}
	if r, den := p.OpenConnection("bob", "other", "127.0.0.2"); den != nil {
		t.Fatal(den)
	} else {
		r()
	}
	rel()
	rel()
	if r, den := p.OpenConnection("bob", "app", "127.0.0.2"); den != nil {
		t.Fatalf("after release: %v", den)
	} else {
		r()
	}
	// Login throttling per user and address.
	p.LoginResult("alice", "1.2.3.4", false)
	clock = clock.Add(11 * time.Second) // the first failure leaves the window
	p.LoginResult("alice", "1.2.3.4", false)
	if den := p.LoginAllowed("alice", "1.2.3.4"); den != nil {
		t.Fatalf("locked after failures outside the window: %v", den)
	}
	p.LoginResult("alice", "1.2.3.4", false)
	if den := p.LoginAllowed("alice", "1.2.3.4"); den == nil {
		t.Fatal("not locked out")
	}
	if den := p.LoginAllowed("alice", "1.2.3.5"); den != nil {
		t.Fatalf("other address locked: %v", den)
	}
	clock = clock.Add(31 * time.Second)
	if den := p.LoginAllowed("alice", "1.2.3.4"); den != nil {
		t.Fatalf("still locked after the lockout: %v", den)
	}
}

// A rate limit takes a token for each statement that runs: every
// statement of a multi-statement text, and each further statement of a
// statement under way (TakeRate).
func TestRatePerStatement(t *testing.T) {
	clock := time.Unix(1000, 0)
	p := limitPolicy(t, `
limits:
  - {per: user, user: alice, rate: 1, burst: 3}
  - {per: user, user: bob, concurrent_queries: 5}
`, func() time.Time { return clock })
	three := func() int { return 3 }
	if _, _, den := p.BeginStatements("alice", "app", "127.0.0.1", func() int { return 4 }); den == nil || den.Rule != "limit.rate" {
		t.Fatalf("four statements under a burst of 3: %v", den)
	}
	end, _, den := p.BeginStatements("alice", "app", "127.0.0.1", three)
	if den != nil {
		t.Fatalf("three statements under a burst of 3: %v", den)
	}
	end()
	if den := p.TakeRate("alice", "app", "127.0.0.1"); den == nil || den.Rule != "limit.rate" {
		t.Fatalf("a fourth statement: %v", den)
	}
	clock = clock.Add(time.Second)
	if den := p.TakeRate("alice", "app", "127.0.0.1"); den != nil {
		t.Fatalf("after a second's refill: %v", den)
	}
	// The statements are counted only where a rate applies.
	counted := false
	end, _, den = p.BeginStatements("bob", "app", "127.0.0.1", func() int { counted = true; return 9 })
	if den != nil || counted {
		t.Fatalf("no rate limit for bob: %v, counted %v", den, counted)
	}
	end()
}
