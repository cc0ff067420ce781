package config

import (
	"strings"
	"testing"
	"time"
)

func TestSlowParse(t *testing.T) {
	base := "databases:\n  - name: app\n    kind: sqlite\n    path: x\n"
	cases := []struct {
		name, src, want string
		eff             SlowSettings
	}{
		{name: "none", src: base, eff: SlowSettings{Plans: true, PlanInterval: 10 * time.Second, PlanTimeout: 5 * time.Second, Keep: 1000}},
		{name: "per database", src: base + "    slow: {threshold: 200ms, plans: false, plan_rate: 2/min, keep: 50}\n",
			eff: SlowSettings{Threshold: 200 * time.Millisecond, PlanInterval: 30 * time.Second, PlanTimeout: 5 * time.Second, Keep: 50}},
		{name: "global default", src: "slow: {threshold: 1s, plan_interval: 1m, plan_timeout: 2s}\n" + base,
			eff: SlowSettings{Threshold: time.Second, Plans: true, PlanInterval: time.Minute, PlanTimeout: 2 * time.Second, Keep: 1000}},
		{name: "database overrides global", src: "slow: {threshold: 1s, keep: 10}\n" + base + "    slow: {threshold: 50ms}\n",
			eff: SlowSettings{Threshold: 50 * time.Millisecond, Plans: true, PlanInterval: 10 * time.Second, PlanTimeout: 5 * time.Second, Keep: 10}},
		{name: "rate and interval", src: base + "    slow: {threshold: 1s, plan_rate: 1/s, plan_interval: 1s}\n", want: "databases[0].slow.plan_rate: give plan_rate or plan_interval, not both"},
		{name: "bad rate", src: base + "    slow: {plan_rate: often}\n", want: "databases[0].slow.plan_rate: \"often\": want N/s"},
		{name: "bad unit", src: "slow: {plan_rate: 3/week}\n" + base, want: "slow.plan_rate: \"3/week\": unit \"week\""},
		{name: "negative threshold", src: base + "    slow: {threshold: -1s}\n", want: "databases[0].slow.threshold: must not be negative"},
		{name: "keep too large", src: base + "    slow: {keep: 1000000}\n", want: "databases[0].slow.keep: 1000000: want 1 to 100000"},
		{name: "unknown key", src: base + "    slow: {treshold: 1s}\n", want: "treshold"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Parse("f.yaml", []byte(tc.src+"users: [{name: alice, password: p}]\n"), env(nil))
			if tc.want != "" {
				if err == nil || !strings.Contains(err.Error(), tc.want) {
					t.Fatalf("error %v, want %q", err, tc.want)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := c.SlowFor(c.Databases[0]); got != tc.eff {
				t.Fatalf("effective %+v, want %+v", got, tc.eff)
			}
		})
	}
}

func TestParseRate(t *testing.T) {
	cases := []struct {
		in   string
		want time.Duration
		bad  bool
	}{
		{in: "6/min", want: 10 * time.Second},
		{in: "1/s", want: time.Second},
		{in: " 4 / hour ", want: 15 * time.Minute},
		{in: "0.5/m", want: 2 * time.Minute},
		{in: "0/min", bad: true},
		{in: "-1/s", bad: true},
		{in: "6", bad: true},
		{in: "x/s", bad: true},
		{in: "6/day", bad: true},
	}
	for _, tc := range cases {
		got, err := ParseRate(tc.in)
		if (err != nil) != tc.bad || (!tc.bad && got != tc.want) {
			t.Errorf("ParseRate(%q) = %v, %v; want %v (bad %v)", tc.in, got, err, tc.want, tc.bad)
		}
	}
}
