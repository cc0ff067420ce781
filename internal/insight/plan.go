package insight

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"
)

// Plan formats.
const (
	FormatPostgres = "postgres" // EXPLAIN (FORMAT JSON)
	FormatMySQL    = "mysql"    // EXPLAIN FORMAT=JSON, MySQL or MariaDB
)

// Plan is a captured plan: the server's JSON and its tree.
type Plan struct {
	Format     string          `json:"format"`
	CapturedAt time.Time       `json:"captured_at"`
	Tree       *Node           `json:"tree"`
	Raw        json.RawMessage `json:"raw"`
}

// Node is one step of a plan. Rows are the planner's estimate, Actual
// the rows a run produced where the plan says (EXPLAIN ANALYZE output;
// a capture never runs the statement, so it is unknown there), Cost the
// planner's total cost of the step.
type Node struct {
	Type     string   `json:"type"`
	Relation string   `json:"relation,omitempty"`
	Detail   string   `json:"detail,omitempty"`
	Rows     *float64 `json:"rows,omitempty"`
	Actual   *float64 `json:"actual_rows,omitempty"`
	Cost     *float64 `json:"cost,omitempty"`
	Children []*Node  `json:"children,omitempty"`
}

// Bounds of a plan's tree: deeper or wider input is cut (a plan is for
// reading, and the decoder must stay cheap on any input).
const (
	maxPlanDepth = 64
	maxPlanNodes = 2000
)

// ErrPlan is the error of a plan that does not decode.
var ErrPlan = errors.New("insight: not a plan")

// ParsePlan decodes the JSON of an EXPLAIN in format into a Plan whose
// every string (conditions, keys, outputs: where the statement's values
// show) passed through mask, in the tree and in the JSON kept.
func ParsePlan(format string, raw []byte, mask func(string) string) (*Plan, error) {
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrPlan, err)
	}
	if mask != nil {
		v = maskStrings("", v, mask, 0)
	}
	tree, err := planTree(format, v)
	if err != nil {
		return nil, err
	}
	out, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrPlan, err)
	}
	return &Plan{Format: format, Tree: tree, Raw: out}, nil
}

// maskStrings masks every string value of v (keys are the server's
// own words); past maxPlanDepth levels what is left is dropped.
func maskStrings(key string, v any, mask func(string) string, depth int) any {
	if depth > 2*maxPlanDepth {
		return nil
	}
	switch x := v.(type) {
	case string:
		if numericKey(key) {
			return x
		}
		return mask(x)
	case []any:
		for i := range x {
			x[i] = maskStrings(key, x[i], mask, depth+1)
		}
	case map[string]any:
		for k := range x {
			x[k] = maskStrings(k, x[k], mask, depth+1)
		}
	}
	return v
}

// numericKey reports whether a plan member holds the server's own
// number written as a string (MySQL's costs and row counts), which
// masking would lose.
func numericKey(k string) bool {
	switch k {
	case "filtered", "rows", "rows_examined_per_scan", "rows_produced_per_join", "data_read_per_join", "select_id":
		return true
	}
	return strings.HasSuffix(k, "_cost")
}

func planTree(format string, v any) (*Node, error) {
	n := 0
	switch format {
	case FormatPostgres:
		// [{"Plan": {...}, "Planning Time": ...}]
		arr, ok := v.([]any)
		if !ok || len(arr) == 0 {
			return nil, fmt.Errorf("%w: want a JSON array", ErrPlan)
		}
		top, ok := arr[0].(map[string]any)
		if !ok {
			return nil, fmt.Errorf("%w: want an object", ErrPlan)
		}
		p, ok := top["Plan"].(map[string]any)
		if !ok {
			return nil, fmt.Errorf("%w: no Plan", ErrPlan)
		}
		return pgNode(p, 0, &n), nil
	case FormatMySQL:
		top, ok := v.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("%w: want an object", ErrPlan)
		}
		qb, ok := top["query_block"].(map[string]any)
		if !ok {
			return nil, fmt.Errorf("%w: no query_block", ErrPlan)
		}
		return myNode("query_block", qb, 0, &n), nil
	}
	return nil, fmt.Errorf("%w: format %q", ErrPlan, format)
}

func num(v any) *float64 {
	switch x := v.(type) {
	case float64:
		return &x
	case string: // MySQL writes costs as strings
		var f float64
		if _, err := fmt.Sscanf(x, "%g", &f); err == nil {
			return &f
		}
	}
	return nil
}

func str(v any) string {
	s, _ := v.(string)
	return s
}

// pgNode reads one PostgreSQL plan node.
func pgNode(p map[string]any, depth int, n *int) *Node {
	*n++
	nd := &Node{Type: str(p["Node Type"]), Rows: num(p["Plan Rows"]), Actual: num(p["Actual Rows"]), Cost: num(p["Total Cost"])}
	if nd.Type == "" {
		nd.Type = "?"
	}
	if rel := str(p["Relation Name"]); rel != "" {
		nd.Relation = rel
		if s := str(p["Schema"]); s != "" {
			nd.Relation = s + "." + rel
		}
	}
	for _, k := range []string{"Index Name", "Join Type", "Strategy", "Function Name", "Filter", "Index Cond", "Hash Cond", "Sort Key", "Group Key"} {
		if v, ok := p[k]; ok {
			if nd.Detail != "" {
				nd.Detail += "; "
			}
			nd.Detail += k + ": " + detail(v)
		}
	}
	kids, _ := p["Plans"].([]any)
	for _, k := range kids {
		m, ok := k.(map[string]any)
		if !ok || depth+1 >= maxPlanDepth || *n >= maxPlanNodes {
			continue
		}
		nd.Children = append(nd.Children, pgNode(m, depth+1, n))
	}
	return nd
}

func detail(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case []any:
		var s string
		for i, e := range x {
			if i > 0 {
				s += ", "
			}
			s += detail(e)
		}
		return s
	case float64:
		return fmt.Sprint(x)
	}
	return ""
}

// myNode reads one MySQL/MariaDB JSON plan object named name: a table
// access is a node of its own; every member that is an object (an
// operation: ordering_operation, grouping_operation, a subquery…) or an
// array of objects (nested_loop) becomes a child.
func myNode(name string, o map[string]any, depth int, n *int) *Node {
	*n++
	nd := &Node{Type: name}
	if name == "table" {
		nd.Type = "table"
		if at := str(o["access_type"]); at != "" {
			nd.Type = "table (" + at + ")"
		}
		nd.Relation = str(o["table_name"])
		nd.Rows = num(o["rows_examined_per_scan"])
		if nd.Rows == nil {
			nd.Rows = num(o["rows"]) // MariaDB
		}
		if k := str(o["key"]); k != "" {
			nd.Detail = "key: " + k
		}
		if c := str(o["attached_condition"]); c != "" {
			if nd.Detail != "" {
				nd.Detail += "; "
			}
			nd.Detail += "condition: " + c
		}
		nd.Actual = num(o["r_rows"]) // MariaDB ANALYZE
	}
	if ci, ok := o["cost_info"].(map[string]any); ok {
		nd.Cost = num(ci["query_cost"])
		if nd.Cost == nil {
			nd.Cost = num(ci["prefix_cost"])
		}
	}
	if nd.Cost == nil {
		nd.Cost = num(o["cost"]) // MariaDB 11
	}
	if v, ok := o["using_filesort"].(bool); ok && v {
		nd.Detail = join(nd.Detail, "filesort")
	}
	if v, ok := o["using_temporary_table"].(bool); ok && v {
		nd.Detail = join(nd.Detail, "temporary table")
	}
	keys := make([]string, 0, len(o))
	for k := range o {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	add := func(k string, v map[string]any) {
		if depth+1 < maxPlanDepth && *n < maxPlanNodes {
			nd.Children = append(nd.Children, myNode(k, v, depth+1, n))
		}
	}
	for _, k := range keys {
		if k == "cost_info" || k == "used_columns" || k == "possible_keys" || k == "used_key_parts" || k == "ref" {
			continue
		}
		switch v := o[k].(type) {
		case map[string]any:
			add(k, v)
		case []any:
			for _, e := range v {
				m, ok := e.(map[string]any)
				if !ok {
					continue
				}
				// nested_loop: [{"table": {...}}, …] — unwrap one level.
				if len(m) == 1 {
					for kk, vv := range m {
						if mm, ok := vv.(map[string]any); ok {
							add(kk, mm)
							m = nil
						}
					}
				}
				if m != nil {
					add(k, m)
				}
			}
		}
	}
	// An operation with one child and nothing of its own collapses into
	// the child's name (query_block → table).
	if name != "table" && nd.Rows == nil && nd.Detail == "" && len(nd.Children) == 1 && nd.Cost == nil {
		c := nd.Children[0]
		if !slices.Contains([]string{"query_block"}, name) {
			c.Type = name + " › " + c.Type
		}
		return c
	}
	return nd
}

func join(a, b string) string {
	if a == "" {
		return b
	}
	return a + "; " + b
}
