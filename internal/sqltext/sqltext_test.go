package sqltext

import (
	"strings"
	"testing"
)

func TestSessionEffects(t *testing.T) {
	cases := []struct {
		sql, pin   string
		discard    bool
		dealloc    []string
		deallocAll bool
		listen     bool
	}{
		{sql: "select * from t where a = 1"},
		{sql: "select * from t offset 5"},
		{sql: "SET search_path = x", pin: "SET search_path"},
		{sql: "set local statement_timeout = 5"},
		{sql: "SET application_name TO 'x'"},
		{sql: "set time zone 'UTC'"},
		{sql: "SET SESSION AUTHORIZATION bob", pin: "SET SESSION AUTHORIZATION"},
		{sql: "set role admin", pin: "SET ROLE"},
		{sql: "begin; set transaction isolation level serializable; commit"},
		{sql: "reset all", pin: "RESET all"},
		{sql: "LISTEN jobs", pin: "LISTEN", listen: true},
		{sql: "create temp table x(a int)", pin: "temporary object"},
		{sql: "CREATE TEMPORARY VIEW v AS SELECT 1", pin: "temporary object"},
		{sql: "create table temp_things(a int)"},
		{sql: "select pg_advisory_lock(1)", pin: "advisory lock"},
		{sql: "select pg_advisory_xact_lock(1)"},
		{sql: "select set_config('a.b', 'c', false)", pin: "set_config()"},
		{sql: "prepare q as select 1", pin: "PREPARE"},
		{sql: "declare c cursor with hold for select 1", pin: "cursor WITH HOLD"},
		{sql: "declare c cursor for select 1"},
		{sql: "DISCARD ALL", discard: true},
		{sql: "discard temp"},
		{sql: "deallocate s1", dealloc: []string{"s1"}},
		{sql: "DEALLOCATE PREPARE \"S2\"", dealloc: []string{"S2"}},
		{sql: "deallocate all", deallocAll: true},
		{sql: "select 'set search_path = x' /* listen */ -- prepare"},
		{sql: "select 1; set search_path = y", pin: "SET search_path"},
	}
	for _, tc := range cases {
		e := SessionEffects(tc.sql)
		if e.Pin != tc.pin || e.DiscardAll != tc.discard || e.DeallocateAll != tc.deallocAll || e.Listen != tc.listen ||
			strings.Join(e.Deallocate, ",") != strings.Join(tc.dealloc, ",") {
			t.Errorf("%q: got %+v", tc.sql, e)
		}
	}
}

func TestMask(t *testing.T) {
	for in, want := range map[string]string{
		"select * from users where password = 'hunter2'": "select * from users where password = ?",
		"insert into t values (1, 2.5, true, $1)":        "insert into t values (?, ?, ?, $1)",
		"select $tag$secret$tag$":                        "select ?",
	} {
		if got := Mask(in); got != want {
			t.Errorf("Mask(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestMaskMySQLExecutableComments: literals inside executable comments,
// which the server runs, are masked; ordinary comments are kept.
func TestMaskMySQLExecutableComments(t *testing.T) {
	for _, in := range []string{
		"/*!40101 SET sql_mode = 'ANSI' */",
		"select 1 /*M! union select 'hunter2' */",
		"select 1 /*m!100000 union select \"hunter2\" */",
		"select 1 /*! union select 0x68756e74657232 */",
		"SELECT /*!50700 'hunter2' */ FROM dual",
	} {
		got := MaskMySQL(in)
		for _, secret := range []string{"hunter2", "ANSI", "68756e74657232"} {
			if strings.Contains(got, secret) {
				t.Errorf("MaskMySQL(%q) = %q: the literal shows", in, got)
			}
		}
	}
	if got := MaskMySQL("select a /* a note */ from t where b = 'x'"); got != "select a /* a note */ from t where b = ?" {
		t.Errorf("ordinary comment: %q", got)
	}
}

func FuzzSessionEffects(f *testing.F) {
	for _, s := range []string{"set search_path = x", "select 'a''b' -- c\n; listen x", "$$", "/*", "deallocate", "DISCARD ALL; prepare"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		e := SessionEffects(s)
		if e.Statements < 0 {
			t.Fatal("negative statement count")
		}
		_ = Mask(s)
	})
}
