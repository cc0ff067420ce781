package wirefmt

import (
	"bytes"
	"testing"

	"github.com/jackc/pgx/v5/pgproto3"
)

// encodePG is a stored result as the recorder writes it.
func encodePG(t testing.TB, msgs ...pgproto3.BackendMessage) []byte {
	b := []byte{PGMagic, PGVersion}
	for _, m := range msgs {
		var err error
		if b, err = m.Encode(b); err != nil {
			t.Fatal(err)
		}
	}
	return b
}

var (
	testDesc = &pgproto3.RowDescription{Fields: []pgproto3.FieldDescription{
		{Name: []byte("id"), DataTypeOID: 23, DataTypeSize: 4, TypeModifier: -1},
		{Name: []byte("name"), DataTypeOID: 25, DataTypeSize: -1, TypeModifier: -1},
	}}
	testRow1 = &pgproto3.DataRow{Values: [][]byte{[]byte("1"), []byte("a")}}
	testRow2 = &pgproto3.DataRow{Values: [][]byte{[]byte("2"), nil}}
	testTag  = &pgproto3.CommandComplete{CommandTag: []byte("SELECT 2")}
)

func TestDecodePG(t *testing.T) {
	for _, tc := range []struct {
		name    string
		payload []byte
		ok      bool
		desc    bool
		rows    int64
		tag     string
	}{
		{"description, rows and tag", encodePG(t, testDesc, testRow1, testRow2, testTag), true, true, 2, "SELECT 2"},
		{"rows and tag (an Execute)", encodePG(t, testRow1, testTag), true, false, 1, "SELECT 2"},
		{"no rows", encodePG(t, testDesc, &pgproto3.CommandComplete{CommandTag: []byte("SELECT 0")}), true, true, 0, "SELECT 0"},
		{"no tag", encodePG(t, testDesc, testRow1), false, false, 0, ""},
		{"empty", nil, false, false, 0, ""},
		{"bad header", append([]byte{'X', 1}, encodePG(t, testTag)[2:]...), false, false, 0, ""},
		{"other version", append([]byte{PGMagic, 9}, encodePG(t, testTag)[2:]...), false, false, 0, ""},
		{"description after rows", encodePG(t, testRow1, testDesc, testTag), false, false, 0, ""},
		{"two descriptions", encodePG(t, testDesc, testDesc, testTag), false, false, 0, ""},
		{"something after the tag", encodePG(t, testTag, testRow1), false, false, 0, ""},
		{"another message", encodePG(t, &pgproto3.NoticeResponse{Message: "x"}, testTag), false, false, 0, ""},
		{"truncated", encodePG(t, testDesc, testRow1, testTag)[:30], false, false, 0, ""},
		{"bad row body", append(encodePG(t, testDesc)[:], 'D', 0, 0, 0, 6, 0, 5, 'C', 0, 0, 0, 5, 0), false, false, 0, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := DecodePG(tc.payload)
			if (err == nil) != tc.ok {
				t.Fatalf("err %v, want ok=%v", err, tc.ok)
			}
			if !tc.ok {
				return
			}
			if (r.Desc != nil) != tc.desc || r.N != tc.rows || string(r.Tag) != tc.tag {
				t.Fatalf("desc %v rows %d tag %q", r.Desc != nil, r.N, r.Tag)
			}
		})
	}
}

// The rows of a decoded result are the DataRow messages as recorded,
// back to back, and their size is what the result bounds count.
func TestDecodePGRows(t *testing.T) {
	r, err := DecodePG(encodePG(t, testDesc, testRow1, testRow2, testTag))
	if err != nil {
		t.Fatal(err)
	}
	var want []byte
	want, _ = testRow1.Encode(want)
	want, _ = testRow2.Encode(want)
	if !bytes.Equal(r.Rows, want) {
		t.Fatalf("rows %x, want %x", r.Rows, want)
	}
	if r.Size != int64(len(want)) {
		t.Fatalf("size %d, want %d", r.Size, len(want))
	}
}

func TestFormatCodes(t *testing.T) {
	for _, tc := range []struct {
		codes []int16
		want  string
	}{
		{nil, "t"}, {[]int16{0}, "t"}, {[]int16{1}, "b"}, {[]int16{1, 0}, "1,0"}, {[]int16{0, 0}, "0,0"},
	} {
		if got := FormatCodes(tc.codes); got != tc.want {
			t.Errorf("FormatCodes(%v) = %q, want %q", tc.codes, got, tc.want)
		}
	}
}

// Parameter values, their formats and the types the statement was
// parsed with each change the key; a NULL is not an empty string.
func TestBindKey(t *testing.T) {
	keys := map[string]string{}
	one := &pgproto3.Bind{Parameters: [][]byte{[]byte("1")}}
	for name, tc := range map[string]struct {
		b    *pgproto3.Bind
		oids []uint32
	}{
		"one":            {b: one},
		"two":            {b: &pgproto3.Bind{Parameters: [][]byte{[]byte("2")}}},
		"binary one":     {b: &pgproto3.Bind{ParameterFormatCodes: []int16{1}, Parameters: [][]byte{[]byte("1")}}},
		"null":           {b: &pgproto3.Bind{Parameters: [][]byte{nil}}},
		"empty":          {b: &pgproto3.Bind{Parameters: [][]byte{{}}}},
		"split":          {b: &pgproto3.Bind{Parameters: [][]byte{[]byte("1"), []byte("2")}}},
		"joined":         {b: &pgproto3.Bind{Parameters: [][]byte{[]byte("12")}}},
		"binary result":  {b: &pgproto3.Bind{Parameters: [][]byte{[]byte("1")}, ResultFormatCodes: []int16{1}}},
		"one as float8":  {b: one, oids: []uint32{701}},
		"one as numeric": {b: one, oids: []uint32{1700}},
		"one as unknown": {b: one, oids: []uint32{0}},
	} {
		f, p := BindKey(tc.b, tc.oids)
		k := f + "|" + string(p)
		if other, dup := keys[k]; dup {
			t.Errorf("%s and %s share the key %q", name, other, k)
		}
		keys[k] = name
	}
}

func FuzzDecodePG(f *testing.F) {
	f.Add(encodePG(f, testDesc, testRow1, testRow2, testTag))
	f.Add(encodePG(f, testRow1, testTag))
	f.Add([]byte{PGMagic, PGVersion})
	f.Fuzz(func(t *testing.T, p []byte) {
		r, err := DecodePG(p)
		if err != nil {
			return
		}
		// A result that decodes replays as whole messages.
		var n int64
		for off := 0; off < len(r.Rows); n++ {
			if r.Rows[off] != 'D' {
				t.Fatalf("row at %d is a %q", off, r.Rows[off])
			}
			l := int(uint32(r.Rows[off+1])<<24|uint32(r.Rows[off+2])<<16|uint32(r.Rows[off+3])<<8|uint32(r.Rows[off+4])) + 1
			off += l
			if off > len(r.Rows) {
				t.Fatal("a row runs past the rows")
			}
		}
		if n != r.N || r.Done[0] != 'C' {
			t.Fatalf("%d rows counted, %d decoded", n, r.N)
		}
	})
}
