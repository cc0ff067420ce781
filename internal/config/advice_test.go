package config

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

func TestAdvice(t *testing.T) {
	const base = "roles: [{name: analyst}]\nusers: [{name: alice, password: p, roles: [analyst]}]\n"
	const dbs = "databases:\n  - {name: app, kind: postgres, primary: 'postgres://u@127.0.0.1/app'}\n  - {name: lite, kind: sqlite, path: x}\n"
	cases := []struct {
		name, src, want string
		gain            float64
		top             int
		interval        time.Duration
		off             bool
	}{
		{name: "defaults", src: dbs, gain: 0.3, top: 20, interval: 10 * time.Minute},
		{name: "global", src: dbs + "advice: {min_gain: 0.5, top_shapes: 5, interval: 1m}\n", gain: 0.5, top: 5, interval: time.Minute},
		{name: "per database wins key by key",
			src:  "advice: {min_gain: 0.5, interval: 1m}\ndatabases:\n  - {name: app, kind: postgres, primary: 'postgres://u@127.0.0.1/app', advice: {min_gain: 0.2, off: false}}\n",
			gain: 0.2, top: 20, interval: time.Minute},
		{name: "off", src: "advice: {off: true}\n" + dbs, gain: 0.3, top: 20, interval: 10 * time.Minute, off: true},
		{name: "gain too high", src: dbs + "advice: {min_gain: 1.5}\n", want: "advice.min_gain: 1.5: want a share"},
		{name: "negative top", src: dbs + "advice: {top_shapes: -1}\n", want: "advice.top_shapes"},
		{name: "negative interval", src: dbs + "advice: {interval: -1s}\n", want: "advice.interval"},
		{name: "sqlite", src: "databases:\n  - {name: app, kind: postgres, primary: 'postgres://u@127.0.0.1/app'}\n  - {name: lite, kind: sqlite, path: x, advice: {min_gain: 0.2}}\n", want: "databases[1].advice: database lite is SQLite"},
		{name: "unknown key", src: dbs + "advice: {gain: 0.2}\n", want: "advice.gain: unknown key"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Parse("f.yaml", []byte(base+tc.src), env(nil))
			if tc.want != "" {
				if err == nil || !strings.Contains(err.Error(), tc.want) {
					t.Fatalf("error %v, want %q", err, tc.want)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			a := c.AdviceFor(c.Databases[0])
			if a.MinGain != tc.gain || a.TopShapes != tc.top || a.Interval != tc.interval || *a.Off != tc.off {
				t.Errorf("AdviceFor = %+v (off %v), want gain %v top %d interval %s off %v", a, *a.Off, tc.gain, tc.top, tc.interval, tc.off)
			}
		})
	}
}

func TestAdviceJSON(t *testing.T) {
	off := true
	b, err := json.Marshal(Advice{MinGain: 0.4, Interval: 90 * time.Second, Off: &off})
	if err != nil || string(b) != `{"min_gain":0.4,"off":true,"interval":"1m30s"}` {
		t.Fatalf("marshal: %s %v", b, err)
	}
	var a Advice
	if err := json.Unmarshal(b, &a); err != nil || a.Interval != 90*time.Second || a.MinGain != 0.4 || a.Off == nil || !*a.Off {
		t.Fatalf("unmarshal: %+v %v", a, err)
	}
	if err := json.Unmarshal([]byte(`{"interval":"soon"}`), &a); err == nil || !strings.Contains(err.Error(), "interval") {
		t.Fatalf("bad interval: %v", err)
	}
	if err := json.Unmarshal([]byte(`{"gain":1}`), &a); err == nil {
		t.Fatal("unknown key: no error")
	}
}
