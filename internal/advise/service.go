package advise

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/floe-db/floe/internal/analysis"
)

// NoteUnreachable begins the note of a report whose database could not
// be reached; what follows it names the server and login, for operators
// only.
const NoteUnreachable = "cannot reach the database for advice"

// Target is one database the advice reads.
type Target struct {
	Database string
	// Kind is postgres or mysql.
	Kind string
	// DSN is the backend login the planner session uses.
	DSN      string
	Settings Settings
	// Interval is how long a report is served before it is computed
	// again.
	Interval time.Duration
}

// Dialect is the target's SQL dialect.
func (t Target) Dialect() analysis.Dialect {
	if t.Kind == "mysql" {
		return analysis.MySQL
	}
	return analysis.Postgres
}

// DefaultSchema resolves the target's unqualified table names.
func (t Target) DefaultSchema() string {
	if t.Kind == "mysql" {
		return MySQLSchema(t.DSN)
	}
	return "public"
}

// Advisor computes and keeps the latest report of each database. Its
// methods are safe for concurrent use: one computation runs at a time,
// and callers asking meanwhile wait for it.
type Advisor struct {
	// open opens a planner session for a target (nil: OpenPostgres or
	// OpenMySQL by kind).
	open func(ctx context.Context, t Target) (Planner, error)

	mu      sync.Mutex
	reports map[string]Report
	keys    map[string]string
}

// NewAdvisor makes an Advisor.
func NewAdvisor() *Advisor {
	return &Advisor{reports: map[string]Report{}, keys: map[string]string{}}
}

func openPlanner(ctx context.Context, t Target) (Planner, error) {
	switch t.Kind {
	case "postgres":
		return OpenPostgres(ctx, t.DSN)
	case "mysql":
		return OpenMySQL(ctx, t.DSN)
	}
	return nil, fmt.Errorf("advise: no advice for databases of kind %q", t.Kind)
}

// Reports returns the report of each target, in order: the one kept
// when it is younger than the target's Interval (and refresh is not
// set) and was made with the same settings, else one computed now from
// the shapes shapesOf gives. A database that cannot be reached gets a
// report that says so.
func (a *Advisor) Reports(ctx context.Context, targets []Target, shapesOf func(db string) []Shape, refresh bool) []Report {
	a.mu.Lock()
	defer a.mu.Unlock()
	out := make([]Report, 0, len(targets))
	for _, t := range targets {
		key := fmt.Sprintf("%s|%s|%v", t.Kind, t.DSN, t.Settings)
		if r, ok := a.reports[t.Database]; ok && !refresh && a.keys[t.Database] == key && time.Since(r.GeneratedAt) < t.Interval {
			out = append(out, r)
			continue
		}
		r := a.compute(ctx, t, shapesOf(t.Database))
		if ctx.Err() == nil {
			a.reports[t.Database], a.keys[t.Database] = r, key
		}
		out = append(out, r)
	}
	return out
}

func (a *Advisor) compute(ctx context.Context, t Target, shapes []Shape) Report {
	open := a.open
	if open == nil {
		open = openPlanner
	}
	p, err := open(ctx, t)
	if err != nil {
		return Report{Database: t.Database, Kind: t.Kind, GeneratedAt: time.Now().UTC(), MinGain: t.Settings.MinGain,
			Advice: []Advice{}, Note: NoteUnreachable + ": " + err.Error()}
	}
	defer p.Close()
	return Compute(ctx, t.Database, t.Kind, t.Dialect(), t.DefaultSchema(), shapes, t.Settings, p)
}
