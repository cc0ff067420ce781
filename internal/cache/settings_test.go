package cache

import (
	"fmt"
	"strings"
	"testing"
)

// Settings are written in name order with values quoted, so that two
// sessions with the same settings get the same key whatever the map's
// order, and a value cannot pass for a separator.
func TestWriteSettings(t *testing.T) {
	var b strings.Builder
	WriteSettings(&b, map[string]any{"time_zone": "UTC", "autocommit": true, "sql_mode": `a;b="c"`, "n": 3}, "autocommit",
		func(v any) string { return fmt.Sprint(v) })
	if want := `;n="3";sql_mode="a;b=\"c\"";time_zone="UTC"`; b.String() != want {
		t.Errorf("%s, want %s", b.String(), want)
	}
}
