package insight

import (
	"context"
	"math"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/floe-db/floe/internal/analysis"
	"github.com/floe-db/floe/internal/policy"
	"github.com/floe-db/floe/internal/stmt"
)

// The stage records what passes the threshold, through a real pipeline,
// with the text masked and the split adding up to the duration.
func TestStageRecords(t *testing.T) {
	b := NewBook()
	defer b.Close()
	counter := prometheus.NewCounter(prometheus.CounterOpts{Name: "slow_test"})
	cases := []struct {
		name    string
		dialect analysis.Dialect
		text    string
		sleep   time.Duration
		plans   bool
		args    *stmt.Args
		want    bool
		masked  string
		status  string
	}{
		{name: "fast", dialect: analysis.Postgres, text: "SELECT 1", sleep: 0, plans: true},
		{name: "slow select", dialect: analysis.Postgres, text: "SELECT * FROM t WHERE email = 'a@b.c' AND id = 7", sleep: 30 * time.Millisecond, plans: true,
			want: true, masked: "SELECT * FROM t WHERE email = ? AND id = ?", status: PlanUnavailable},
		{name: "plans off", dialect: analysis.MySQL, text: "UPDATE t SET a = \"x\" WHERE id = ?", sleep: 30 * time.Millisecond, args: &stmt.Args{Any: []any{int64(3)}},
			want: true, masked: "UPDATE t SET a = ? WHERE id = ?", status: PlanOff},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			log := b.Log(tc.name, 10)
			st := NewStage(Settings{Database: tc.name, Dialect: tc.dialect, Threshold: 20 * time.Millisecond, Plans: tc.plans, PlanInterval: time.Minute}, log, nil, counter)
			p := stmt.New(stmt.Options{Database: tc.name, Dialect: tc.dialect, Stages: []stmt.Stage{st}})
			s := p.Open(policy.Request{User: "alice", Roles: []string{"r"}, Client: "10.0.0.9"})
			before := testutil.ToFloat64(counter)
			x, den := s.Start(context.Background(), "query", tc.text, nil)
			if den != nil {
				t.Fatal(den)
			}
			x.SetArgs(tc.args)
			time.Sleep(tc.sleep)
			x.AddRows(2)
			x.Finish(nil)
			recs := b.List(tc.name, 10)
			if !tc.want {
				if len(recs) != 0 || testutil.ToFloat64(counter) != before {
					t.Fatalf("recorded a fast statement: %+v", recs)
				}
				return
			}
			if len(recs) != 1 || testutil.ToFloat64(counter) != before+1 {
				t.Fatalf("records %+v", recs)
			}
			r := recs[0]
			if r.Text != tc.masked || r.User != "alice" || r.Client != "10.0.0.9" || r.Rows != 2 || r.Status != "ok" || r.PlanStatus != tc.status || r.Shape == "" {
				t.Fatalf("record %+v", r)
			}
			ph := r.Phases
			if sum := ph.PolicyMS + ph.WaitMS + ph.BackendMS + ph.StreamMS; math.Abs(sum-r.DurationMS) > 0.01 || r.DurationMS < 30 {
				t.Fatalf("duration %.3f, phases %+v", r.DurationMS, ph)
			}
		})
	}
}
