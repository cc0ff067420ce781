package config

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Defaults of the slow-statement log.
const (
	DefaultSlowKeep        = 1000
	DefaultSlowPlanTimeout = 5 * time.Second
	// DefaultSlowPlanInterval is the least time between two plans of one
	// statement shape (plan_rate 6/min).
	DefaultSlowPlanInterval = 10 * time.Second
	// MaxSlowKeep bounds slow.keep: the records are kept in memory.
	MaxSlowKeep = 100000
)

// Slow is slow (the default of every database) or databases[].slow: each
// execution of a statement that takes Threshold or longer is recorded
// (masked text, the split of its time, rows, user, client, server), and
// with Plans the plan of its shape is captured now and then on a
// connection of its own.
type Slow struct {
	// Threshold is the duration from which a statement is slow; 0 (or
	// unset in both places) records none.
	Threshold time.Duration `yaml:"threshold" json:"threshold,omitempty"`
	// Plans captures plans (EXPLAIN, never ANALYZE) of slow read-only
	// statements; unset: true.
	Plans *bool `yaml:"plans" json:"plans,omitempty"`
	// PlanRate is how many plans of one shape may be captured per unit
	// ("6/min", "1/s", "10/h"); PlanInterval says the same as the least
	// time between two (give one of them).
	PlanRate     string        `yaml:"plan_rate" json:"plan_rate,omitempty"`
	PlanInterval time.Duration `yaml:"plan_interval" json:"plan_interval,omitempty"`
	// PlanTimeout bounds one EXPLAIN on the server (statement_timeout,
	// max_execution_time) and the connection made for it.
	PlanTimeout time.Duration `yaml:"plan_timeout" json:"plan_timeout,omitempty"`
	// Keep is how many records the database keeps (the oldest go first).
	Keep int `yaml:"keep" json:"keep,omitempty"`
}

// SlowSettings are a database's effective slow-statement settings.
type SlowSettings struct {
	Threshold    time.Duration
	Plans        bool
	PlanInterval time.Duration
	PlanTimeout  time.Duration
	Keep         int
}

// Enabled reports whether slow statements are recorded.
func (s SlowSettings) Enabled() bool { return s.Threshold > 0 }

// SlowFor returns db's effective settings: each field its own
// databases[].slow gives, else the top-level slow's, else the default.
func (c *Config) SlowFor(db Database) SlowSettings {
	out := SlowSettings{Plans: true, PlanInterval: DefaultSlowPlanInterval, PlanTimeout: DefaultSlowPlanTimeout, Keep: DefaultSlowKeep}
	for _, s := range []*Slow{c.Slow, db.Slow} {
		if s == nil {
			continue
		}
		if s.Threshold > 0 {
			out.Threshold = s.Threshold
		}
		if s.Plans != nil {
			out.Plans = *s.Plans
		}
		if iv, err := s.interval(); err == nil && iv > 0 {
			out.PlanInterval = iv
		}
		if s.PlanTimeout > 0 {
			out.PlanTimeout = s.PlanTimeout
		}
		if s.Keep > 0 {
			out.Keep = s.Keep
		}
	}
	return out
}

// interval is the least time between two plans of a shape that
// PlanRate or PlanInterval give (0: neither).
func (s *Slow) interval() (time.Duration, error) {
	if s.PlanRate == "" {
		return s.PlanInterval, nil
	}
	return ParseRate(s.PlanRate)
}

// ParseRate reads a rate "N/unit" (unit s, sec, second, m, min, minute,
// h, hour) and returns the interval it leaves between two events.
func ParseRate(r string) (time.Duration, error) {
	n, unit, ok := strings.Cut(strings.TrimSpace(r), "/")
	if !ok {
		return 0, fmt.Errorf("%q: want N/s, N/min or N/h", r)
	}
	count, err := strconv.ParseFloat(strings.TrimSpace(n), 64)
	if err != nil || count <= 0 || count > 1e6 {
		return 0, fmt.Errorf("%q: want a positive count per unit (6/min)", r)
	}
	var per time.Duration
	switch strings.ToLower(strings.TrimSpace(unit)) {
	case "s", "sec", "second":
		per = time.Second
	case "m", "min", "minute":
		per = time.Minute
	case "h", "hour":
		per = time.Hour
	default:
		return 0, fmt.Errorf("%q: unit %q: want s, min or h", r, unit)
	}
	return time.Duration(float64(per) / count), nil
}

// validateSlow checks slow and every databases[].slow.
func (c *Config) validateSlow(v *checker) {
	validateSlowBlock(v, "slow", c.Slow)
	for i := range c.Databases {
		validateSlowBlock(v, fmt.Sprintf("databases[%d].slow", i), c.Databases[i].Slow)
	}
}

func validateSlowBlock(v *checker, key string, s *Slow) {
	if s == nil {
		return
	}
	if s.Threshold < 0 {
		v.bad(key+".threshold", "must not be negative")
	}
	if s.PlanRate != "" && s.PlanInterval != 0 {
		v.bad(key+".plan_rate", "give plan_rate or plan_interval, not both")
	}
	if s.PlanRate != "" {
		if _, err := ParseRate(s.PlanRate); err != nil {
			v.bad(key+".plan_rate", "%s", err.Error())
		}
	}
	if s.PlanInterval < 0 {
		v.bad(key+".plan_interval", "must not be negative")
	}
	if s.PlanTimeout < 0 {
		v.bad(key+".plan_timeout", "must not be negative")
	}
	if s.Keep < 0 || s.Keep > MaxSlowKeep {
		v.bad(key+".keep", "%d: want 1 to %d", s.Keep, MaxSlowKeep)
	}
}
