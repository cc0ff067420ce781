package advise

import (
	"slices"
	"strings"

	"github.com/floe-db/floe/internal/analysis"
)

// Index is a candidate index: a table's columns in index order. Equal
// is how many leading columns are compared for equality (their order
// among themselves does not matter to the statements that use them).
type Index struct {
	Table   TableRef `json:"table"`
	Columns []string `json:"columns"`
	Equal   int      `json:"-"`
}

// Key identifies the index by table and columns.
func (x Index) Key() string { return x.Table.String() + "(" + strings.Join(x.Columns, ",") + ")" }

// maxEqual bounds the equality columns of a composite candidate.
const maxEqual = 3

// Candidates generates the indexes that could serve the uses: each
// equality, join, range or first ORDER BY column alone, and composites
// of the equality (and join) columns first, then one range or ORDER BY
// column. Duplicates are dropped.
func Candidates(uses []TableUse) []Index {
	var out []Index
	seen := map[string]bool{}
	add := func(x Index) {
		if len(x.Columns) == 0 {
			return
		}
		k := x.Key()
		if x.Equal > 1 {
			// Equality columns in any order are the same candidate.
			eq := slices.Clone(x.Columns[:x.Equal])
			slices.Sort(eq)
			k = x.Table.String() + "(" + strings.Join(eq, ",") + "|" + strings.Join(x.Columns[x.Equal:], ",") + ")"
		}
		if !seen[k] {
			seen[k] = true
			out = append(out, x)
		}
	}
	for _, u := range uses {
		eq := append(slices.Clone(u.Equal), u.Join...)
		eq = dedupe(eq)
		for _, c := range eq {
			add(Index{Table: u.Table, Columns: []string{c}, Equal: 1})
		}
		for _, c := range u.Range {
			add(Index{Table: u.Table, Columns: []string{c}})
		}
		if len(u.Order) > 0 {
			add(Index{Table: u.Table, Columns: slices.Clone(u.Order)})
		}
		if len(eq) == 0 {
			continue
		}
		// Equality columns of the statement itself before join columns.
		lead := dedupe(append(slices.Clone(u.Equal), u.Join...))
		if len(lead) > maxEqual {
			lead = lead[:maxEqual]
		}
		if len(lead) > 1 {
			add(Index{Table: u.Table, Columns: slices.Clone(lead), Equal: len(lead)})
		}
		for _, r := range u.Range {
			if !slices.Contains(lead, r) {
				add(Index{Table: u.Table, Columns: append(slices.Clone(lead), r), Equal: len(lead)})
			}
		}
		if len(u.Order) > 0 {
			var tail []string
			for _, o := range u.Order {
				if !slices.Contains(lead, o) {
					tail = append(tail, o)
				}
			}
			if len(tail) > 0 {
				add(Index{Table: u.Table, Columns: append(slices.Clone(lead), tail...), Equal: len(lead)})
			}
		}
	}
	return out
}

func dedupe(xs []string) []string {
	var out []string
	for _, x := range xs {
		if !slices.Contains(out, x) {
			out = append(out, x)
		}
	}
	return out
}

// Covered reports whether an existing index (its columns in order)
// already serves x: x's equality columns, in any order, lead the
// existing index, followed by x's other columns in x's order.
func Covered(x Index, existing [][]string) bool {
	for _, e := range existing {
		if len(e) < len(x.Columns) {
			continue
		}
		head := slices.Clone(e[:x.Equal])
		want := slices.Clone(x.Columns[:x.Equal])
		slices.Sort(head)
		slices.Sort(want)
		if slices.Equal(head, want) && slices.Equal(e[x.Equal:len(x.Columns)], x.Columns[x.Equal:]) {
			return true
		}
	}
	return false
}

// CreateStatement is the CREATE INDEX statement of x in the dialect,
// with a name made from the table and columns.
func (x Index) CreateStatement(d analysis.Dialect) string {
	name := "floe_idx_" + x.Table.Name + "_" + strings.Join(x.Columns, "_")
	if len(name) > 63 {
		name = name[:63]
	}
	q := quotePG
	if d == analysis.MySQL {
		q = quoteMy
	}
	cols := make([]string, len(x.Columns))
	for i, c := range x.Columns {
		cols[i] = q(c)
	}
	if d == analysis.MySQL {
		return "CREATE INDEX " + q(name) + " ON " + q(x.Table.Schema) + "." + q(x.Table.Name) + " (" + strings.Join(cols, ", ") + ")"
	}
	return "CREATE INDEX CONCURRENTLY " + q(name) + " ON " + q(x.Table.Schema) + "." + q(x.Table.Name) + " (" + strings.Join(cols, ", ") + ")"
}

// quotePG quotes an identifier for PostgreSQL when it needs it.
func quotePG(s string) string {
	plain := s != ""
	for i := 0; i < len(s); i++ {
		b := s[i]
		if !(b == '_' || b >= 'a' && b <= 'z' || i > 0 && b >= '0' && b <= '9') {
			plain = false
		}
	}
	if plain && !pgReserved(s) {
		return s
	}
	return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
}

// pgReserved reports the reserved words a column name may be.
func pgReserved(s string) bool {
	switch s {
	case "user", "order", "group", "select", "table", "from", "where", "limit", "offset", "check",
		"default", "primary", "references", "column", "constraint", "desc", "asc", "end", "all",
		"and", "or", "not", "to", "on", "in", "is", "as", "case", "when", "then", "else":
		return true
	}
	return false
}

func quoteMy(s string) string { return "`" + strings.ReplaceAll(s, "`", "``") + "`" }
