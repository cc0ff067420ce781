package advise

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/floe-db/floe/internal/analysis"
)

// Shape is one statement shape of a database with its figures: the
// masked text and how often and how long it ran.
type Shape struct {
	Query   string
	Count   uint64
	TotalMS float64
}

// Settings tune one database's advice.
type Settings struct {
	// MinGain is the share of a shape's estimated cost an index must cut
	// (over the shapes it serves, weighted by how often each ran) to be
	// recommended.
	MinGain float64
	// TopShapes is how many of the heaviest shapes (by total time) are
	// read.
	TopShapes int
}

// Report is the advice for one database.
type Report struct {
	Database    string    `json:"database"`
	Kind        string    `json:"kind"`
	GeneratedAt time.Time `json:"generated_at"`
	// Verified is set when the candidates were checked by the planner
	// (PostgreSQL with hypopg); Note says why not otherwise.
	Verified bool   `json:"verified"`
	Note     string `json:"note,omitempty"`
	// Shapes is how many shapes were read.
	Shapes  int      `json:"shapes"`
	MinGain float64  `json:"min_gain"`
	Advice  []Advice `json:"advice"`
	// Skipped are the shapes that could not be planned, with the reason.
	Skipped []Skipped `json:"skipped,omitempty"`
}

// Advice is one recommended index.
type Advice struct {
	Table     string   `json:"table"`
	Columns   []string `json:"columns"`
	Statement string   `json:"statement"`
	// Verified: the planner chose the index (hypothetically) and its
	// estimated cost fell by Gain; otherwise the advice rests on the
	// statements' reading and the Evidence of their plans.
	Verified bool `json:"verified"`
	// Gain is the share of the estimated cost of the shapes it helps that
	// the index saves, weighted by their counts (verified advice only).
	Gain float64 `json:"gain,omitempty"`
	// CostBefore and CostAfter are the summed estimated costs, each
	// shape's times its count.
	CostBefore float64       `json:"cost_before,omitempty"`
	CostAfter  float64       `json:"cost_after,omitempty"`
	Shapes     []ShapeEffect `json:"shapes"`
}

// ShapeEffect is what an index does for one shape.
type ShapeEffect struct {
	Query      string   `json:"query"`
	Count      uint64   `json:"count"`
	CostBefore float64  `json:"cost_before,omitempty"`
	CostAfter  float64  `json:"cost_after,omitempty"`
	Evidence   []string `json:"evidence,omitempty"`
}

// Skipped is a shape left out, and why.
type Skipped struct {
	Query  string `json:"query"`
	Reason string `json:"reason"`
}

// Planner is one database session the advice is computed on: a backend
// login of its own, never a client's connection.
type Planner interface {
	// Indexes lists the columns (in order) of each plain index of t.
	Indexes(ctx context.Context, t TableRef) ([][]string, error)
	// Explain plans the shape (its literals masked) without running it:
	// the estimated total cost (0 when the server gives none) and the
	// plan's evidence (full scans, sorts) by table name ("" for the
	// statement as a whole).
	Explain(ctx context.Context, shape string) (Plan, error)
	// Hypothetical makes x exist for the planner of this session only
	// (false: the server cannot); Reset drops every hypothetical index.
	Hypothetical(ctx context.Context, x Index) error
	Reset(ctx context.Context) error
	// CanVerify says whether Hypothetical works, and if not, why.
	CanVerify() (bool, string)
	Close()
}

// Plan is what the advice reads from a plan.
type Plan struct {
	Cost float64
	// Scans are the tables read in full (by name), Sorted whether a sort
	// (filesort) runs.
	Scans  []string
	Sorted bool
	// Uses are the index names the plan reads.
	Uses []string
	// Evidence says it in words.
	Evidence []string
}

// ErrNotPlannable marks a shape the advice does not plan (not a SELECT,
// UPDATE or DELETE; several statements; no table).
var ErrNotPlannable = errors.New("advise: shape not planned")

type shapeWork struct {
	Shape
	uses  []TableUse
	plan  Plan
	cands []Index
}

// Compute makes the report of one database from its shapes (heaviest
// first is not required: they are sorted here) on the planner p.
func Compute(ctx context.Context, db, kind string, d analysis.Dialect, defSchema string, shapes []Shape, s Settings, p Planner) Report {
	r := Report{Database: db, Kind: kind, GeneratedAt: time.Now().UTC(), MinGain: s.MinGain, Advice: []Advice{}}
	shapes = slices.Clone(shapes)
	slices.SortStableFunc(shapes, func(a, b Shape) int {
		switch {
		case a.TotalMS > b.TotalMS:
			return -1
		case a.TotalMS < b.TotalMS:
			return 1
		}
		return strings.Compare(a.Query, b.Query)
	})
	var work []*shapeWork
	existing := map[TableRef][][]string{}
	for _, sh := range shapes {
		if len(work) >= s.TopShapes && s.TopShapes > 0 {
			break
		}
		if sh.Query == "(other)" || sh.Count == 0 {
			continue
		}
		uses, err := Extract(d, sh.Query, defSchema)
		if err != nil || len(uses) == 0 {
			continue // not a statement an index serves
		}
		plan, err := p.Explain(ctx, sh.Query)
		if err != nil {
			if ctx.Err() != nil {
				r.Note = "stopped: " + ctx.Err().Error()
				break
			}
			r.Skipped = append(r.Skipped, Skipped{Query: sh.Query, Reason: err.Error()})
			continue
		}
		w := &shapeWork{Shape: sh, uses: uses, plan: plan}
		for _, x := range Candidates(uses) {
			ex, ok := existing[x.Table]
			if !ok {
				ex, err = p.Indexes(ctx, x.Table)
				if err != nil {
					r.Skipped = append(r.Skipped, Skipped{Query: sh.Query, Reason: "reading the indexes of " + x.Table.String() + ": " + err.Error()})
					ex = nil
				}
				existing[x.Table] = ex
			}
			if !Covered(x, ex) {
				w.cands = append(w.cands, x)
			}
		}
		work = append(work, w)
	}
	r.Shapes = len(work)
	verify, why := p.CanVerify()
	if verify {
		r.Verified = true
		r.Advice = verified(ctx, d, work, s, p, &r)
	} else {
		r.Note = strings.TrimSpace(why + " " + r.Note)
		r.Advice = unverified(d, work)
	}
	return r
}

// verified checks each candidate with a hypothetical index: the shapes
// on its table are planned again, and the index is recommended when it
// cuts their frequency-weighted cost by MinGain or more. Of candidates
// that help the same shapes, the best one is kept.
func verified(ctx context.Context, d analysis.Dialect, work []*shapeWork, s Settings, p Planner, r *Report) []Advice {
	type scored struct {
		x       Index
		adv     Advice
		helped  []string
		nCols   int
		weighed float64
	}
	var all []scored
	seen := map[string]bool{}
	for _, w := range work {
		for _, x := range w.cands {
			if seen[x.Key()] {
				continue
			}
			seen[x.Key()] = true
			if ctx.Err() != nil {
				return nil
			}
			if err := p.Hypothetical(ctx, x); err != nil {
				r.Skipped = append(r.Skipped, Skipped{Query: w.Query, Reason: "hypothetical index " + x.Key() + ": " + err.Error()})
				_ = p.Reset(ctx)
				continue
			}
			a := Advice{Table: x.Table.String(), Columns: x.Columns, Statement: x.CreateStatement(d), Verified: true}
			var helped []string
			for _, o := range work {
				if !touches(o.uses, x.Table) || o.plan.Cost <= 0 {
					continue
				}
				after, err := p.Explain(ctx, o.Query)
				if err != nil {
					continue
				}
				n := float64(o.Count)
				a.CostBefore += n * o.plan.Cost
				a.CostAfter += n * min(after.Cost, o.plan.Cost)
				if after.Cost < o.plan.Cost*(1-s.MinGain) {
					helped = append(helped, o.Query)
					a.Shapes = append(a.Shapes, ShapeEffect{Query: o.Query, Count: o.Count, CostBefore: o.plan.Cost, CostAfter: after.Cost, Evidence: o.plan.Evidence})
				}
			}
			_ = p.Reset(ctx)
			if a.CostBefore > 0 {
				a.Gain = 1 - a.CostAfter/a.CostBefore
			}
			if a.Gain >= s.MinGain && len(helped) > 0 {
				all = append(all, scored{x: x, adv: a, helped: helped, nCols: len(x.Columns), weighed: a.CostBefore - a.CostAfter})
			}
		}
	}
	slices.SortStableFunc(all, func(a, b scored) int {
		switch {
		case a.weighed > b.weighed*1.0001:
			return -1
		case b.weighed > a.weighed*1.0001:
			return 1
		}
		return a.nCols - b.nCols
	})
	out := []Advice{}
	done := map[string]bool{} // shapes a chosen index helps, by table
	for _, c := range all {
		fresh := false
		for _, q := range c.helped {
			if !done[c.x.Table.String()+"\x00"+q] {
				fresh = true
			}
		}
		if !fresh {
			continue
		}
		for _, q := range c.helped {
			done[c.x.Table.String()+"\x00"+q] = true
		}
		out = append(out, round(c.adv))
	}
	return out
}

func round(a Advice) Advice {
	r := func(f float64) float64 { return float64(int64(f*100+0.5)) / 100 }
	a.Gain = float64(int64(a.Gain*1000+0.5)) / 1000
	a.CostBefore, a.CostAfter = r(a.CostBefore), r(a.CostAfter)
	for i := range a.Shapes {
		a.Shapes[i].CostBefore, a.Shapes[i].CostAfter = r(a.Shapes[i].CostBefore), r(a.Shapes[i].CostAfter)
	}
	return a
}

func touches(uses []TableUse, t TableRef) bool {
	for _, u := range uses {
		if u.Table == t {
			return true
		}
	}
	return false
}

// unverified advises, for each shape whose plan reads a table in full
// (or sorts) where the statement filters, joins or sorts on columns no
// index serves, the most specific candidate on that table: marked
// unverified, with the plan's evidence.
func unverified(d analysis.Dialect, work []*shapeWork) []Advice {
	out := []Advice{}
	byKey := map[string]int{}
	for _, w := range work {
		for _, u := range w.uses {
			scanned := slices.Contains(w.plan.Scans, u.Table.Name)
			sorted := w.plan.Sorted && len(u.Order) > 0
			if !scanned && !sorted {
				continue
			}
			var best *Index
			for i, x := range w.cands {
				if x.Table != u.Table {
					continue
				}
				if !scanned && !slices.Equal(x.Columns[x.Equal:], u.Order) {
					continue // only a sort to serve: an index in ORDER BY order
				}
				if best == nil || len(x.Columns) > len(best.Columns) {
					best = &w.cands[i]
				}
			}
			if best == nil {
				continue
			}
			eff := ShapeEffect{Query: w.Query, Count: w.Count, Evidence: w.plan.Evidence}
			if i, ok := byKey[best.Key()]; ok {
				out[i].Shapes = append(out[i].Shapes, eff)
				continue
			}
			byKey[best.Key()] = len(out)
			out = append(out, Advice{Table: best.Table.String(), Columns: best.Columns, Statement: best.CreateStatement(d), Shapes: []ShapeEffect{eff}})
		}
	}
	return out
}

// Filter returns the report cut to the shapes may allows: advice with no
// shape left is dropped, and the gain of verified advice is computed
// again over the shapes that remain.
func (r Report) Filter(may func(query string) bool) Report {
	out := r
	out.Advice = []Advice{}
	for _, a := range r.Advice {
		var keep []ShapeEffect
		for _, s := range a.Shapes {
			if may(s.Query) {
				keep = append(keep, s)
			}
		}
		if len(keep) == 0 {
			continue
		}
		if len(keep) < len(a.Shapes) {
			a.Shapes = keep
			if a.Verified {
				a.CostBefore, a.CostAfter = 0, 0
				for _, s := range keep {
					a.CostBefore += float64(s.Count) * s.CostBefore
					a.CostAfter += float64(s.Count) * s.CostAfter
				}
				if a.CostBefore > 0 {
					a.Gain = 1 - a.CostAfter/a.CostBefore
				}
				a = round(a)
			}
		}
		out.Advice = append(out.Advice, a)
	}
	out.Skipped = nil
	for _, s := range r.Skipped {
		if may(s.Query) {
			out.Skipped = append(out.Skipped, s)
		}
	}
	return out
}

// String is a one-line summary of the advice.
func (a Advice) String() string {
	if a.Verified {
		return fmt.Sprintf("%s  -- verified, gain %.0f%%, %d shape(s)", a.Statement, a.Gain*100, len(a.Shapes))
	}
	return fmt.Sprintf("%s  -- unverified, %d shape(s)", a.Statement, len(a.Shapes))
}
