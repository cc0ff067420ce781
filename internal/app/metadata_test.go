package app

import "testing"

func TestMayChangeSchema(t *testing.T) {
	for _, tc := range []struct {
		text string
		want bool
	}{
		{"SELECT * FROM t", false},
		{"ALTER TABLE t RENAME COLUMN a TO b", true},
		{"create table t (id int)", true},
		{"SELECT 1; DROP TABLE t", true},
		{"TRUNCATE t", true},
		{"GRANT SELECT ON t TO r", true},
		{"SELECT created, dropped FROM t", false},
		{"INSERT INTO t VALUES ('x')", false},
		{"update t set altered = 1", false},
		{"", false},
		{"drop", true},
	} {
		if got := mayChangeSchema(tc.text); got != tc.want {
			t.Errorf("%q: %v, want %v", tc.text, got, tc.want)
		}
	}
}
