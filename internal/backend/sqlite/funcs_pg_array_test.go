package sqlite

import (
	"testing"

	"github.com/floe-db/floe/internal/sqlerr"
)

func TestPGArrayJSON(t *testing.T) {
	for _, c := range []struct{ in, kind, want, code string }{
		{"{1,2,3}", "int", "[1,2,3]", ""},
		{"{}", "int", "[]", ""},
		{" { 1 , NULL } ", "int", "[1,null]", ""},
		{`{"a b","x\"y",NULL,"NULL",c\,d}`, "text", `["a b","x\"y",null,"NULL","c,d"]`, ""},
		{"{{1,2},{3,4}}", "int", "[[1,2],[3,4]]", ""},
		{"[0:1]={5,6}", "int", "[5,6]", ""},
		{"{t,false,yes}", "bool", "[true,false,true]", ""},
		{"{1.5,-2}", "float", "[1.5,-2]", ""},
		{`["already","json"]`, "text", `["already","json"]`, ""},
		{"{1,x}", "int", "", sqlerr.InvalidTextRepresentation},
		{"{1,2", "int", "", sqlerr.InvalidTextRepresentation},
		{"1,2", "text", "", sqlerr.InvalidTextRepresentation},
		{"{1}x", "text", "", sqlerr.InvalidTextRepresentation},
		{`{"a}`, "text", "", sqlerr.InvalidTextRepresentation},
	} {
		got, err := PGArrayJSON(c.in, c.kind)
		if c.code != "" {
			if sqlerr.Code(err) != c.code {
				t.Errorf("%q: %v, want SQLSTATE %s", c.in, err, c.code)
			}
			continue
		}
		if err != nil || got != c.want {
			t.Errorf("%q as %s: %q %v, want %q", c.in, c.kind, got, err, c.want)
		}
	}
}

// A TypeArray value (a JSON array) shows as PostgreSQL's array text.
func TestAppendTextArray(t *testing.T) {
	for _, c := range []struct {
		v    any
		want string
	}{
		{"[]", "{}"},
		{`["alice","floe"]`, "{alice,floe}"},
		{`[1,2.5,null,true]`, "{1,2.5,NULL,t}"},
		{`["a b","",null,"NULL","q\"x","back\\slash","{x}"]`, `{"a b","",NULL,"NULL","q\"x","back\\slash","{x}"}`},
		{`[[1,2],[3,4]]`, "{{1,2},{3,4}}"},
		{[]byte(`["d"]`), "{d}"},
		{"not json", "not json"},
		{int64(3), "3"},
	} {
		if got := string(AppendText(nil, TypeArray, c.v)); got != c.want {
			t.Errorf("%v: %s, want %s", c.v, got, c.want)
		}
	}
	if typ, ok := TypeOf("TEXT ARRAY"); !ok || typ != TypeArray {
		t.Errorf("TEXT ARRAY: %v", typ)
	}
	v, err := Convert(TypeArray, `["a",null,3]`)
	ss, ok := v.([]*string)
	if err != nil || !ok || len(ss) != 3 || *ss[0] != "a" || ss[1] != nil || *ss[2] != "3" {
		t.Errorf("Convert: %#v %v", v, err)
	}
}
