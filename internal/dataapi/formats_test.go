package dataapi

import (
	"encoding/json"
	"net/http/httptest"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
)

func TestAppendJSONString(t *testing.T) {
	for _, s := range []string{"", "plain", `q"uote\back`, "tab\tnl\ncr\r", "\x00\x1f", "héllo €", "bad \xff utf8", "\u2028"} {
		got := appendJSONString(nil, s)
		var back string
		if err := json.Unmarshal(got, &back); err != nil {
			t.Fatalf("%q -> %s: %v", s, got, err)
		}
		want := s
		if s == "bad \xff utf8" {
			want = "bad \ufffd utf8"
		}
		if back != want {
			t.Errorf("%q -> %s -> %q", s, got, back)
		}
	}
}

func TestAppendInterval(t *testing.T) {
	for _, tc := range []struct {
		v    arrow.MonthDayNanoInterval
		want string
	}{
		{arrow.MonthDayNanoInterval{Months: 14, Days: 3, Nanoseconds: 14706789000000}, "P14M3DT14706.789S"},
		{arrow.MonthDayNanoInterval{Days: -1}, "P-1D"},
		{arrow.MonthDayNanoInterval{}, "PT0S"},
	} {
		if got := string(appendInterval(nil, tc.v)); got != tc.want {
			t.Errorf("%+v: %s, want %s", tc.v, got, tc.want)
		}
	}
}

func TestChooseFormat(t *testing.T) {
	for _, tc := range []struct {
		query, accept string
		want          Format
		ok            bool
	}{
		{"", "", FormatJSON, true},
		{"format=parquet", "text/csv", FormatParquet, true},
		{"format=CSV", "", FormatCSV, true},
		{"format=xml", "", "", false},
		{"", "text/html, application/vnd.apache.arrow.stream;q=0.9", FormatArrow, true},
		{"", "application/x-ndjson", FormatNDJSON, true},
		{"", "*/*", FormatJSON, true},
		{"", "image/png", "", false},
	} {
		r := httptest.NewRequest("POST", "/v1/query?"+tc.query, nil)
		if tc.accept != "" {
			r.Header.Set("Accept", tc.accept)
		}
		f, e := chooseFormat(r)
		if (e == nil) != tc.ok || f != tc.want {
			t.Errorf("%q/%q: %q %v", tc.query, tc.accept, f, e)
		}
	}
}

func TestParams(t *testing.T) {
	got, e := params([]any{nil, "s", true, json.Number("12345678901234567890.5"), map[string]any{"a": 1.0}, []any{1.0}})
	if e != nil {
		t.Fatal(e)
	}
	want := []any{nil, "s", true, "12345678901234567890.5", `{"a":1}`, `[1]`}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("param %d: %#v, want %#v", i, got[i], want[i])
		}
	}
}
