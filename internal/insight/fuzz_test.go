package insight

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/floe-db/floe/internal/sqltext"
)

// FuzzParsePlan: any input either fails with ErrPlan or gives a bounded
// tree and valid JSON, without panicking.
func FuzzParsePlan(f *testing.F) {
	f.Add(FormatPostgres, []byte(pgPlan))
	f.Add(FormatMySQL, []byte(myPlan))
	f.Add(FormatMySQL, []byte(mariaPlan))
	f.Add(FormatPostgres, []byte(`[{"Plan": {"Plans": [{"Plans": [{}]}]}}]`))
	f.Add(FormatMySQL, []byte(`{"query_block": {"nested_loop": [{"table": {}}, 1, "x", {"a": {}, "b": {}}]}}`))
	f.Fuzz(func(t *testing.T, format string, raw []byte) {
		p, err := ParsePlan(format, raw, sqltext.Mask)
		if err != nil {
			return
		}
		if !json.Valid(p.Raw) {
			t.Fatalf("raw not JSON")
		}
		n, d := count(p.Tree, 0)
		if n > maxPlanNodes+maxPlanDepth || d > maxPlanDepth+1 {
			t.Fatalf("tree of %d nodes, %d deep", n, d)
		}
		_ = strings.TrimSpace(p.Tree.Type)
	})
}

func count(n *Node, depth int) (nodes, deepest int) {
	nodes, deepest = 1, depth+1
	for _, c := range n.Children {
		cn, cd := count(c, depth+1)
		nodes += cn
		deepest = max(deepest, cd)
	}
	return nodes, deepest
}
