package pgrelay

import (
	"bytes"
	"testing"

	"github.com/jackc/pgx/v5/pgproto3"
)

// encodeResult is a stored result as the recorder writes it.
func encodeResult(t testing.TB, msgs ...pgproto3.BackendMessage) []byte {
	b := []byte{resultMagic, resultVersion}
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

func TestDecodeResult(t *testing.T) {
	for _, tc := range []struct {
		name    string
		payload []byte
		ok      bool
		desc    bool
		rows    int64
		tag     string
	}{
		{"description, rows and tag", encodeResult(t, testDesc, testRow1, testRow2, testTag), true, true, 2, "SELECT 2"},
		{"rows and tag (an Execute)", encodeResult(t, testRow1, testTag), true, false, 1, "SELECT 2"},
		{"no rows", encodeResult(t, testDesc, &pgproto3.CommandComplete{CommandTag: []byte("SELECT 0")}), true, true, 0, "SELECT 0"},
		{"no tag", encodeResult(t, testDesc, testRow1), false, false, 0, ""},
		{"empty", nil, false, false, 0, ""},
		{"bad header", append([]byte{'X', 1}, encodeResult(t, testTag)[2:]...), false, false, 0, ""},
		{"other version", append([]byte{resultMagic, 9}, encodeResult(t, testTag)[2:]...), false, false, 0, ""},
		{"description after rows", encodeResult(t, testRow1, testDesc, testTag), false, false, 0, ""},
		{"two descriptions", encodeResult(t, testDesc, testDesc, testTag), false, false, 0, ""},
		{"something after the tag", encodeResult(t, testTag, testRow1), false, false, 0, ""},
		{"another message", encodeResult(t, &pgproto3.NoticeResponse{Message: "x"}, testTag), false, false, 0, ""},
		{"truncated", encodeResult(t, testDesc, testRow1, testTag)[:30], false, false, 0, ""},
		{"bad row body", append(encodeResult(t, testDesc)[:], 'D', 0, 0, 0, 6, 0, 5, 'C', 0, 0, 0, 5, 0), false, false, 0, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := decodeResult(tc.payload)
			if (err == nil) != tc.ok {
				t.Fatalf("err %v, want ok=%v", err, tc.ok)
			}
			if !tc.ok {
				return
			}
			if (r.desc != nil) != tc.desc || r.n != tc.rows || string(r.tag) != tc.tag {
				t.Fatalf("desc %v rows %d tag %q", r.desc != nil, r.n, r.tag)
			}
		})
	}
}

// The rows of a decoded result are the DataRow messages as recorded,
// back to back, and their size is what the result bounds count.
func TestDecodeResultRows(t *testing.T) {
	r, err := decodeResult(encodeResult(t, testDesc, testRow1, testRow2, testTag))
	if err != nil {
		t.Fatal(err)
	}
	var want []byte
	want, _ = testRow1.Encode(want)
	want, _ = testRow2.Encode(want)
	if !bytes.Equal(r.rows, want) {
		t.Fatalf("rows %x, want %x", r.rows, want)
	}
	if r.size != int64(rowSize(testRow1)+rowSize(testRow2)) {
		t.Fatalf("size %d, want %d", r.size, rowSize(testRow1)+rowSize(testRow2))
	}
}

func TestFormatCodes(t *testing.T) {
	for _, tc := range []struct {
		codes []int16
		want  string
	}{
		{nil, "t"}, {[]int16{0}, "t"}, {[]int16{1}, "b"}, {[]int16{1, 0}, "1,0"}, {[]int16{0, 0}, "0,0"},
	} {
		if got := formatCodes(tc.codes); got != tc.want {
			t.Errorf("formatCodes(%v) = %q, want %q", tc.codes, got, tc.want)
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
		f, p := bindKey(tc.b, tc.oids)
		k := f + "|" + string(p)
		if other, dup := keys[k]; dup {
			t.Errorf("%s and %s share the key %q", name, other, k)
		}
		keys[k] = name
	}
}

func FuzzDecodeResult(f *testing.F) {
	f.Add(encodeResult(f, testDesc, testRow1, testRow2, testTag))
	f.Add(encodeResult(f, testRow1, testTag))
	f.Add([]byte{resultMagic, resultVersion})
	f.Fuzz(func(t *testing.T, p []byte) {
		r, err := decodeResult(p)
		if err != nil {
			return
		}
		// A result that decodes replays as whole messages.
		var n int64
		for off := 0; off < len(r.rows); n++ {
			if r.rows[off] != 'D' {
				t.Fatalf("row at %d is a %q", off, r.rows[off])
			}
			l := int(uint32(r.rows[off+1])<<24|uint32(r.rows[off+2])<<16|uint32(r.rows[off+3])<<8|uint32(r.rows[off+4])) + 1
			off += l
			if off > len(r.rows) {
				t.Fatal("a row runs past the rows")
			}
		}
		if n != r.n || r.done[0] != 'C' {
			t.Fatalf("%d rows counted, %d decoded", n, r.n)
		}
	})
}
