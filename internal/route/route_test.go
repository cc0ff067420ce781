package route

import (
	"flag"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/floe-db/floe/internal/sqlparse"
)

var update = flag.Bool("update", false, "rewrite testdata/decisions.golden")

var t0 = time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)

// topologies: a primary (0) and replicas in two regions.
var topologies = map[string][]Backend{
	"healthy": {
		{Name: "pg1", Role: RolePrimary, Healthy: true, Weight: 1, Lag: 0},
		{Name: "pg2", Role: RoleReplica, Healthy: true, Weight: 3, Tags: map[string]string{"region": "eu"}, Lag: time.Second, ReplayLSN: 100, Outstanding: 4},
		{Name: "pg3", Role: RoleReplica, Healthy: true, Weight: 1, Tags: map[string]string{"region": "us"}, Lag: 20 * time.Second, ReplayLSN: 50, Outstanding: 1},
	},
	"replica-down": {
		{Name: "pg1", Role: RolePrimary, Healthy: true, Weight: 1},
		{Name: "pg2", Role: RoleReplica, Healthy: false, Weight: 3, Tags: map[string]string{"region": "eu"}, Lag: time.Second},
		{Name: "pg3", Role: RoleReplica, Healthy: true, Weight: 1, Tags: map[string]string{"region": "us"}, Lag: time.Second, ReplayLSN: 80},
	},
	"primary-down": {
		{Name: "pg1", Role: RolePrimary, Healthy: false, Weight: 1},
		{Name: "pg2", Role: RoleReplica, Healthy: true, Weight: 1, Lag: time.Second, ReplayLSN: 100},
	},
	"promoted": { // pg2 took over: it now reports itself primary
		{Name: "pg1", Role: RoleUnknown, Healthy: false},
		{Name: "pg2", Role: RolePrimary, Healthy: true, Weight: 1},
	},
	"lag-unknown": {
		{Name: "pg1", Role: RolePrimary, Healthy: true},
		{Name: "pg2", Role: RoleReplica, Healthy: true, Lag: -1},
	},
}

var policies = map[string]Policy{
	"off":       {},
	"split":     {Split: true},
	"weighted":  {Split: true, Balance: Weighted},
	"least":     {Split: true, Balance: LeastOutstanding},
	"maxlag5s":  {Split: true, MaxLag: 5 * time.Second},
	"prefer-us": {Split: true, Prefer: map[string]string{"region": "us"}},
	"prefer-ap": {Split: true, Prefer: map[string]string{"region": "ap"}},
	"ryw":       {Split: true, ReadYourWrites: 5 * time.Second},
}

var sessions = map[string]Session{
	"fresh":        {},
	"in-tx":        {InTransaction: true},
	"pinned":       {Pinned: true},
	"wrote-1s-ago": {LastWrite: t0.Add(-time.Second)},
	"wrote-1s-lsn": {LastWrite: t0.Add(-time.Second), WriteLSN: 90},
	"wrote-1m-ago": {LastWrite: t0.Add(-time.Minute)},
}

var cases = []struct {
	sql, dialect, session, topology, policy string
	pick                                    uint64
}{
	{"SELECT * FROM t", "pg", "fresh", "healthy", "off", 0},
	{"SELECT * FROM t", "pg", "fresh", "healthy", "split", 0},
	{"SELECT * FROM t", "pg", "fresh", "healthy", "split", 1},
	{"SELECT count(*), max(x) FROM t JOIN u USING (id) WHERE lower(name) = 'a'", "pg", "fresh", "healthy", "split", 0},
	{"INSERT INTO t VALUES (1)", "pg", "fresh", "healthy", "split", 0},
	{"UPDATE t SET x = 1", "my", "fresh", "healthy", "split", 0},
	{"SELECT * FROM t FOR UPDATE", "pg", "fresh", "healthy", "split", 0},
	{"SELECT * FROM t LOCK IN SHARE MODE", "my", "fresh", "healthy", "split", 0},
	{"SELECT nextval('s')", "pg", "fresh", "healthy", "split", 0},
	{"SELECT my_func(x) FROM t", "pg", "fresh", "healthy", "split", 0},
	{"WITH d AS (DELETE FROM t RETURNING *) SELECT * FROM d", "pg", "fresh", "healthy", "split", 0},
	{"SELECT * INTO t2 FROM t", "pg", "fresh", "healthy", "split", 0},
	{"/* floe:primary */ SELECT * FROM t", "pg", "fresh", "healthy", "split", 0},
	{"SELECT * FROM t; SELECT * FROM u", "pg", "fresh", "healthy", "split", 0},
	{"SELECT * FROM t", "pg", "in-tx", "healthy", "split", 0},
	{"SELECT * FROM t", "pg", "pinned", "healthy", "split", 0},
	{"SELECT * FROM t", "pg", "fresh", "healthy", "weighted", 0},
	{"SELECT * FROM t", "pg", "fresh", "healthy", "weighted", 2},
	{"SELECT * FROM t", "pg", "fresh", "healthy", "weighted", 3},
	{"SELECT * FROM t", "pg", "fresh", "healthy", "least", 0},
	{"SELECT * FROM t", "pg", "fresh", "healthy", "maxlag5s", 1},
	{"SELECT * FROM t", "pg", "fresh", "healthy", "prefer-us", 0},
	{"SELECT * FROM t", "pg", "fresh", "healthy", "prefer-ap", 1},
	{"SELECT * FROM t", "pg", "wrote-1s-ago", "healthy", "ryw", 0},
	{"SELECT * FROM t", "pg", "wrote-1s-lsn", "healthy", "ryw", 1},
	{"SELECT * FROM t", "pg", "wrote-1m-ago", "healthy", "ryw", 1},
	{"SELECT * FROM t", "pg", "fresh", "replica-down", "split", 0},
	{"SELECT * FROM t", "pg", "fresh", "replica-down", "split", 1},
	{"SELECT * FROM t", "pg", "fresh", "primary-down", "off", 0},
	{"INSERT INTO t VALUES (1)", "pg", "fresh", "primary-down", "split", 0},
	{"SELECT * FROM t", "pg", "in-tx", "primary-down", "split", 0},
	{"INSERT INTO t VALUES (1)", "pg", "fresh", "promoted", "split", 0},
	{"SELECT * FROM t", "pg", "fresh", "promoted", "split", 0},
	{"SELECT * FROM t", "pg", "fresh", "lag-unknown", "split", 0},
	{"SELECT * FROM t", "pg", "fresh", "lag-unknown", "maxlag5s", 0},
	{"SELEC oops", "pg", "fresh", "healthy", "split", 0},
}

// TestDecisions compares every case's decision with the golden file
// (go test ./internal/route -update rewrites it).
func TestDecisions(t *testing.T) {
	var b strings.Builder
	for _, tc := range cases {
		parse := sqlparse.Postgres
		if tc.dialect == "my" {
			parse = sqlparse.MySQL
		}
		stmts, _ := parse(tc.sql)
		backends := topologies[tc.topology]
		d := Decide(Classify(tc.sql, stmts), sessions[tc.session], backends, policies[tc.policy], t0, tc.pick)
		target := "ERROR " + fmt.Sprint(d.Err)
		if d.Err == nil {
			target = backends[d.Backend].Name
		}
		fmt.Fprintf(&b, "%s | %s | %s | %s | pick %d\n  -> %s (%s)\n", tc.sql, tc.session, tc.topology, tc.policy, tc.pick, target, d.Why)
	}
	const path = "testdata/decisions.golden"
	if *update {
		if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (go test -update writes it)", err)
	}
	if string(want) != b.String() {
		t.Errorf("decisions differ from %s:\n%s", path, b.String())
	}
}

// Balancing spreads reads by the method's rule over many picks.
func TestBalanceShares(t *testing.T) {
	backends := topologies["healthy"]
	for _, tc := range []struct {
		p    Policy
		want map[string]int
	}{
		{Policy{Split: true}, map[string]int{"pg2": 500, "pg3": 500}},
		{Policy{Split: true, Balance: Weighted}, map[string]int{"pg2": 750, "pg3": 250}},
		{Policy{Split: true, Balance: LeastOutstanding}, map[string]int{"pg3": 1000}},
	} {
		got := map[string]int{}
		for pick := uint64(0); pick < 1000; pick++ {
			d := Decide(Class{Read: true}, Session{}, backends, tc.p, t0, pick)
			got[backends[d.Backend].Name]++
		}
		if fmt.Sprint(got) != fmt.Sprint(tc.want) {
			t.Errorf("%+v: %v, want %v", tc.p, got, tc.want)
		}
	}
}
