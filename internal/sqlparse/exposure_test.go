package sqlparse

import (
	"slices"
	"strings"
	"testing"
)

// TestExposures lists what statements read of the server's own state.
func TestExposures(t *testing.T) {
	for _, tt := range []struct {
		my   bool
		sql  string
		want string
	}{
		{false, "SHOW data_directory", "show:data_directory"},
		{false, "SHOW ALL", "show:all"},
		{false, "SELECT current_setting('data_directory')", "setting:data_directory"},
		{false, "SELECT pg_catalog.current_setting('server_version_num')", "setting:server_version_num"},
		{false, "SELECT 1 WHERE current_setting(chr(104) || 'ba_file') IS NULL", "setting:?"},
		{false, "SELECT 1", ""},
		{true, "SHOW WARNINGS", "show:warnings"},
		{true, "SHOW ERRORS", "show:errors"},
		{true, "SHOW FULL PROCESSLIST", "show:processlist"},
		{true, "SHOW DATABASES", "show:databases"},
		{true, "SHOW TABLES FROM other", "show:table showdb:other"},
		{true, "SHOW VARIABLES LIKE 'datadir'", "show:variables showlike:datadir"},
		{true, "SHOW GLOBAL VARIABLES WHERE Variable_name = 'datadir'", "show:variables showwhere"},
		{true, "SELECT @@datadir, @@global.secure_file_priv, @@version_comment", "sysvar:datadir sysvar:secure_file_priv sysvar:version_comment"},
		{true, "SELECT @x", ""},
	} {
		parse := Postgres
		if tt.my {
			parse = MySQL
		}
		sts, err := parse(tt.sql)
		if err != nil {
			t.Errorf("%q: %v", tt.sql, err)
			continue
		}
		got := slices.Clone(sts[0].Exposes)
		slices.Sort(got)
		if g := strings.Join(got, " "); g != tt.want {
			t.Errorf("%q: %q, want %q", tt.sql, g, tt.want)
		}
		if (strings.Contains(tt.want, "showlike:") || strings.Contains(tt.want, "setting:") && !strings.Contains(tt.want, "setting:?")) && !sts[0].ValueSensitive {
			t.Errorf("%q: a literal names the exposure but the statement is not value-sensitive", tt.sql)
		}
	}
}
