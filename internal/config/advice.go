package config

import (
	"bytes"
	"encoding/json"
	"fmt"
	"time"
)

// Advice defaults.
const (
	DefaultAdviceMinGain   = 0.3
	DefaultAdviceTopShapes = 20
	DefaultAdviceInterval  = 10 * time.Minute
)

// Advice is advice: how index advice reads a database's statement shapes
// (GET /api/v1/advice, floe admin advise). Given at the top level it
// applies to every PostgreSQL and MySQL database; databases[].advice
// overrides it key by key.
type Advice struct {
	// MinGain is the share (0 to 1) of the estimated cost of the shapes
	// an index serves that it must save to be recommended (verified
	// advice, PostgreSQL with hypopg). Default 0.3.
	MinGain float64 `yaml:"min_gain" json:"min_gain,omitempty"`
	// TopShapes is how many of the heaviest shapes (by total time) are
	// read. Default 20.
	TopShapes int `yaml:"top_shapes" json:"top_shapes,omitempty"`
	// Interval is how long a computed report is served before a request
	// computes it again (?refresh=true computes it at once). Default 10m.
	Interval time.Duration `yaml:"interval" json:"interval,omitempty"`
	// Off: no advice for the database (or, at the top level, for any
	// database that does not turn it on again).
	Off *bool `yaml:"off" json:"off,omitempty"`
}

// AdviceFor is db's advice settings: the defaults, then the top-level
// advice keys that are set, then db's own.
func (c *Config) AdviceFor(db Database) Advice {
	a := Advice{MinGain: DefaultAdviceMinGain, TopShapes: DefaultAdviceTopShapes, Interval: DefaultAdviceInterval}
	off := false
	for _, o := range []*Advice{c.Advice, db.Advice} {
		if o == nil {
			continue
		}
		if o.MinGain != 0 {
			a.MinGain = o.MinGain
		}
		if o.TopShapes != 0 {
			a.TopShapes = o.TopShapes
		}
		if o.Interval != 0 {
			a.Interval = o.Interval
		}
		if o.Off != nil {
			off = *o.Off
		}
	}
	a.Off = &off
	return a
}

// validateAdvice checks advice: and databases[].advice.
func (c *Config) validateAdvice(v *checker) {
	check := func(key string, a *Advice) {
		if a == nil {
			return
		}
		if a.MinGain < 0 || a.MinGain >= 1 {
			v.bad(key+".min_gain", "%v: want a share from 0 to below 1 (0.3 is 30%%)", a.MinGain)
		}
		if a.TopShapes < 0 || a.TopShapes > 1000 {
			v.bad(key+".top_shapes", "%d: want 1 to 1000", a.TopShapes)
		}
		if a.Interval < 0 {
			v.bad(key+".interval", "%s: want a positive duration", a.Interval)
		}
	}
	check("advice", c.Advice)
	for i, db := range c.Databases {
		key := fmt.Sprintf("databases[%d].advice", i)
		if db.Advice != nil && db.Kind == KindSQLite {
			v.bad(key, "database %s is SQLite: index advice serves PostgreSQL and MySQL databases", db.Name)
			continue
		}
		check(key, db.Advice)
	}
}

// MarshalJSON writes interval as a duration string.
func (a Advice) MarshalJSON() ([]byte, error) {
	type plain Advice
	return json.Marshal(struct {
		plain
		Interval string `json:"interval,omitempty"`
	}{plain(a), durationJSON(a.Interval)})
}

// UnmarshalJSON reads interval as a duration string ("5m") or a number
// of nanoseconds; an unknown key is an error.
func (a *Advice) UnmarshalJSON(b []byte) error {
	type plain Advice
	x := struct {
		*plain
		Interval json.RawMessage `json:"interval,omitempty"`
	}{plain: (*plain)(a)}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&x); err != nil {
		return err
	}
	d, err := parseDurationJSON(x.Interval)
	if err != nil {
		return fmt.Errorf("interval: %w", err)
	}
	a.Interval = d
	return nil
}
