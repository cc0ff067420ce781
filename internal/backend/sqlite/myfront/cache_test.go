package myfront

import (
	"testing"

	"github.com/floe-db/floe/internal/wire/mysqlwire"
)

// The settings part of the key: the database and the system variables,
// but autocommit (its status flag is the session's at replay).
func TestSettings(t *testing.T) {
	key := func(db string, set map[string]any) string {
		s := &mySession{c: &mysqlwire.Conn{Database: db}, vars: map[string]any{
			"autocommit": int64(1), "sql_mode": "STRICT_TRANS_TABLES", "time_zone": "SYSTEM", "character_set_results": "utf8mb4",
		}}
		for k, v := range set {
			s.vars[k] = v
		}
		return s.settings()
	}
	base := key("lite", nil)
	for _, tc := range []struct {
		name string
		db   string
		set  map[string]any
		same bool
	}{
		{"as is", "lite", nil, true},
		{"autocommit off", "lite", map[string]any{"autocommit": int64(0)}, true},
		{"another database", "other", nil, false},
		{"sql_mode", "lite", map[string]any{"sql_mode": "ANSI_QUOTES"}, false},
		{"time zone", "lite", map[string]any{"time_zone": "+02:00"}, false},
	} {
		if got := key(tc.db, tc.set); (got == base) != tc.same {
			t.Errorf("%s: key %q, base %q", tc.name, got, base)
		}
	}
}
