package admin

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/floe-db/floe/internal/advise"
)

// The advice schemas of the OpenAPI document have the keys and JSON
// types advise.Report is written with.
func TestOpenAPIAdviceSchema(t *testing.T) {
	var doc struct {
		Components struct {
			Schemas map[string]struct {
				Properties map[string]struct {
					Type string `json:"type"`
				} `json:"properties"`
			} `json:"schemas"`
		} `json:"components"`
	}
	if err := json.Unmarshal(openAPI, &doc); err != nil {
		t.Fatal(err)
	}
	shape := advise.ShapeEffect{Query: "SELECT ?", Count: 1, CostBefore: 2, CostAfter: 1, Evidence: []string{"x"}}
	adv := advise.Advice{Table: "public.t", Columns: []string{"a"}, Statement: "CREATE INDEX", Verified: true, Gain: 0.5,
		CostBefore: 2, CostAfter: 1, Shapes: []advise.ShapeEffect{shape}}
	rep := advise.Report{Database: "d", Kind: "postgres", GeneratedAt: time.Now(), Verified: true, Note: "n", Shapes: 1,
		MinGain: 0.3, Advice: []advise.Advice{adv}, Skipped: []advise.Skipped{{Query: "q", Reason: "r"}}}
	for name, v := range map[string]any{"AdviceReport": rep, "Advice": adv, "ShapeEffect": shape} {
		props := doc.Components.Schemas[name].Properties
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		var got map[string]any
		if err := json.Unmarshal(b, &got); err != nil {
			t.Fatal(err)
		}
		if len(got) != len(props) {
			t.Errorf("%s: JSON has %d keys, the schema %d", name, len(got), len(props))
		}
		for k, v := range got {
			want := map[string]string{"string": "string", "bool": "boolean", "float64": "number", "[]interface {}": "array"}[fmt.Sprintf("%T", v)]
			typ := props[k].Type
			if typ == "integer" {
				typ = "number"
			}
			if typ != want {
				t.Errorf("%s.%s: schema says %q, JSON holds %T", name, k, props[k].Type, v)
			}
		}
	}
}
