package pgrelay

import (
	"slices"
	"testing"
)

// TestCatalogInvalidate: a schema change drops the relations it names
// (name or schema.name, any case, quoted or not), or all of them.
func TestCatalogInvalidate(t *testing.T) {
	fill := func() *catalog {
		return &catalog{rels: map[uint32]*relation{
			1: {schema: "public", name: "people"},
			2: {schema: "hr", name: "people"},
			3: {schema: "public", name: "orders"},
			4: {schema: "public", name: "Mixed"},
		}}
	}
	for _, tc := range []struct {
		name   string
		tables []string
		left   []uint32
	}{
		{"bare name drops every schema's", []string{"people"}, []uint32{3, 4}},
		{"qualified name", []string{"hr.people"}, []uint32{1, 3, 4}},
		{"any case", []string{"PUBLIC.PEOPLE"}, []uint32{2, 3, 4}},
		{"quoted", []string{`"public"."Mixed"`}, []uint32{1, 2, 3}},
		{"several", []string{"orders", "hr.people"}, []uint32{1, 4}},
		{"unknown", []string{"nothing"}, []uint32{1, 2, 3, 4}},
		{"other schema", []string{"sales.orders"}, []uint32{1, 2, 3, 4}},
		{"none named: all", nil, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := fill()
			n := c.invalidate(tc.tables)
			var left []uint32
			for oid := range c.rels {
				left = append(left, oid)
			}
			slices.Sort(left)
			if !slices.Equal(left, tc.left) {
				t.Fatalf("left %v, want %v", left, tc.left)
			}
			if n != 4-len(tc.left) {
				t.Fatalf("dropped %d", n)
			}
		})
	}
}
