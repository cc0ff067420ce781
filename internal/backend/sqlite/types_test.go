package sqlite

import "testing"

func TestTypeOfIntegerWidths(t *testing.T) {
	tests := []struct {
		decl string
		want Type
	}{
		{"INTEGER", TypeInt4}, {"INT", TypeInt4}, {"INT4", TypeInt4}, {"MEDIUMINT", TypeInt4},
		{"BIGINT", TypeInt}, {"INT8", TypeInt}, {"UNSIGNED BIG INT", TypeInt}, {"INTEGER UNSIGNED", TypeInt}, {"BIGINT UNSIGNED", TypeInt},
		{"SMALLINT", TypeInt2}, {"INT2", TypeInt2}, {"TINYINT", TypeInt2}, {"TINYINT(1)", TypeInt2},
		{"BOOLEAN", TypeBool}, {"VARCHAR(40)", TypeText}, {"NUMERIC(10,2)", TypeNumeric}, {"REAL", TypeFloat},
	}
	for _, tc := range tests {
		if got, ok := TypeOf(tc.decl); !ok || got != tc.want {
			t.Errorf("TypeOf(%q) = %v, %v; want %v", tc.decl, got, ok, tc.want)
		}
	}
}

func TestConvertIntegerRange(t *testing.T) {
	tests := []struct {
		t    Type
		v    any
		want any // nil: out of range
	}{
		{TypeInt4, int64(2147483647), int64(2147483647)},
		{TypeInt4, int64(-2147483648), int64(-2147483648)},
		{TypeInt4, int64(2147483648), nil},
		{TypeInt4, "12", int64(12)},
		{TypeInt2, int64(32767), int64(32767)},
		{TypeInt2, int64(-32769), nil},
		{TypeInt, int64(1) << 40, int64(1) << 40},
	}
	for _, tc := range tests {
		got, err := Convert(tc.t, tc.v)
		if tc.want == nil {
			if err == nil {
				t.Errorf("Convert(%v, %v) = %v, want an out of range error", tc.t, tc.v, got)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("Convert(%v, %v) = %v, %v; want %v", tc.t, tc.v, got, err, tc.want)
		}
	}
}
