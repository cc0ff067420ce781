package sqlparse

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

// TestMySQLServerReading: executable and other comments are read as the
// server reads them, and the forms a server may read two ways are refused.
func TestMySQLServerReading(t *testing.T) {
	cases := []struct {
		sql       string
		ambiguous bool
		tables    []string // tables the parsed statements name
		stmts     int
	}{
		// MariaDB runs /*M! … */; TiDB alone would skip it.
		{sql: "select 1 /*M! union select secret from secrets */", ambiguous: true},
		{sql: "select 1 /*M!100000 union select secret from secrets */", ambiguous: true},
		// MariaDB skips /*!50700 … */ to /*!99999 … */; TiDB alone would run it.
		{sql: "select * from /*!99999 t, (select 1) as */ secrets", ambiguous: true},
		{sql: "select * from /*!50700 t, (select 1) as */ secrets", ambiguous: true},
		{sql: "select 1 /*!401011 , 2 */", ambiguous: true},
		// Every server runs these; the content is code.
		{sql: "select 1 /*! , (select secret from secrets) */", tables: []string{"secrets"}, stmts: 1},
		{sql: "select 1 /*!40101 , (select secret from secrets) */", tables: []string{"secrets"}, stmts: 1},
		{sql: "select /*!4010 + 1, (select secret from secrets) */", tables: []string{"secrets"}, stmts: 1},
		{sql: "/*!40101 SET NAMES utf8mb4 */", stmts: 1},
		{sql: "/*!40101 SET @OLD_CHARACTER_SET_CLIENT=@@CHARACTER_SET_CLIENT */;\n/*!40103 SET TIME_ZONE='+00:00' */;", stmts: 2},
		// A version-gated comment that is a statement of its own: skipped,
		// nothing runs; run, it is what was checked.
		{sql: "/*M!100616 SET NOTE_VERBOSITY=@@NOTE_VERBOSITY, NOTE_VERBOSITY=0 */", stmts: 1},
		{sql: "select 1; /*M! select secret from secrets */; select 2", tables: []string{"secrets"}, stmts: 3},
		{sql: "/*!80000 select '*/' */", ambiguous: true},
		{sql: "/*!80000 select 1 /* x */ */", ambiguous: true},
		{sql: "/*M! select 1; select 2 */", ambiguous: true},
		{sql: "select 1; /*!;*/ select 2", ambiguous: true},
		{sql: "select 1 /*! # */ , 2\n */", ambiguous: true},
		// TiDB feature comments and hints are plain comments to MariaDB.
		{sql: "select 1 /*T![clustered_index] , (select secret from secrets) */", stmts: 1},
		{sql: "select /*+ , (select secret from secrets) */ 1", stmts: 1},
		// Plain comments and quotes.
		{sql: "select '/*!', \"*/\", `/*M!` from t -- , (select secret from secrets)\n", tables: []string{"t"}, stmts: 1},
		{sql: "select 'a\\' , (select secret from secrets) , '' # '", stmts: 1},
		{sql: "select 1 --\x85, 2", ambiguous: true},
		{sql: "select 1--1", stmts: 1},
		// MariaDB forms that run SQL the parser does not read as such.
		{sql: "SET STATEMENT sql_mode='NO_BACKSLASH_ESCAPES' FOR select 1", ambiguous: true},
		{sql: "set statement`sql_mode`='ANSI' for select 1", ambiguous: true},
		{sql: "select 1; EXECUTE IMMEDIATE 'select secret from secrets'", ambiguous: true},
		{sql: "execute/**/immediate'select 1'", ambiguous: true},
	}
	for _, c := range cases {
		stmts, err := MySQL(c.sql)
		if c.ambiguous {
			if !errors.Is(err, ErrAmbiguous) {
				t.Errorf("%q: got %v, want ErrAmbiguous", c.sql, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%q: %v", c.sql, err)
			continue
		}
		if len(stmts) != c.stmts {
			t.Errorf("%q: %d statements, want %d", c.sql, len(stmts), c.stmts)
		}
		var tables []string
		for _, st := range stmts {
			for _, tb := range st.Tables {
				tables = append(tables, tb.Name)
			}
		}
		if !slices.Equal(tables, c.tables) {
			t.Errorf("%q: tables %v, want %v", c.sql, tables, c.tables)
		}
	}
}

func TestSettingsExtracted(t *testing.T) {
	type want struct {
		name     string
		values   string
		def      bool
		computed bool
	}
	cases := []struct {
		mysql bool
		sql   string
		want  []want
	}{
		{sql: "SET standard_conforming_strings = off", want: []want{{name: "standard_conforming_strings", values: "off"}}},
		{sql: "SET LOCAL standard_conforming_strings TO 'off'", want: []want{{name: "standard_conforming_strings", values: "off"}}},
		{sql: "SET SESSION client_encoding = 'SJIS'", want: []want{{name: "client_encoding", values: "SJIS"}}},
		{sql: "SET NAMES 'GBK'", want: []want{{name: "client_encoding", values: "GBK"}}},
		{sql: "SET search_path = private, public", want: []want{{name: "search_path", values: "private,public"}}},
		{sql: "SET SCHEMA 'private'", want: []want{{name: "search_path", values: "private"}}},
		{sql: "RESET search_path", want: []want{{name: "search_path", def: true}}},
		{sql: "RESET ALL", want: []want{{name: "all", def: true}}},
		{sql: "select set_config('standard_conforming_strings', 'off', false)", want: []want{{name: "standard_conforming_strings", values: "off"}}},
		{sql: "select pg_catalog.set_config(lower('X'), 'off', false)", want: []want{{name: "", values: "off"}}},
		{sql: "ALTER ROLE r SET standard_conforming_strings = off", want: []want{{name: "standard_conforming_strings", values: "off"}}},
		{sql: "ALTER DATABASE d SET search_path = private", want: []want{{name: "search_path", values: "private"}}},
		{sql: "PREPARE p AS select set_config('search_path', 'private', false)", want: []want{{name: "search_path", values: "private"}}},
		{mysql: true, sql: "SET sql_mode = 'NO_BACKSLASH_ESCAPES'", want: []want{{name: "sql_mode", values: "NO_BACKSLASH_ESCAPES"}}},
		{mysql: true, sql: "SET @@session.sql_mode = concat(@@sql_mode, ',ANSI')", want: []want{{name: "sql_mode", values: ",ANSI"}}},
		{mysql: true, sql: "set autocommit=1, sql_mode = concat(@@sql_mode,',STRICT_TRANS_TABLES')", want: []want{{name: "autocommit", values: "1"}, {name: "sql_mode", values: ",STRICT_TRANS_TABLES"}}},
		{mysql: true, sql: "SET sql_mode = (SELECT REPLACE(@@sql_mode, 'ONLY_FULL_GROUP_BY', ''))", want: []want{{name: "sql_mode", values: ""}}},
		{mysql: true, sql: "SET sql_mode = @m", want: []want{{name: "sql_mode", computed: true}}},
		{mysql: true, sql: "SET sql_mode = (select m from modes)", want: []want{{name: "sql_mode", computed: true}}},
		{mysql: true, sql: "SET NAMES gbk", want: []want{{name: "character_set_client", values: "gbk"}}},
		{mysql: true, sql: "SET CHARACTER SET 'gbk'", want: []want{{name: "character_set_client", values: "gbk"}}},
		{mysql: true, sql: "SET @@character_set_client = sjis", want: []want{{name: "character_set_client", values: "sjis"}}},
		{mysql: true, sql: "SET NAMES DEFAULT", want: []want{{name: "character_set_client", def: true}}},
		{mysql: true, sql: "SET @sql_mode = 'ANSI'"},
		{mysql: true, sql: "PREPARE s FROM 'SET sql_mode = ''ANSI'''", want: []want{{name: "sql_mode", values: "ANSI"}}},
	}
	for _, c := range cases {
		parse := Postgres
		if c.mysql {
			parse = MySQL
		}
		stmts, err := parse(c.sql)
		if err != nil {
			t.Errorf("%q: %v", c.sql, err)
			continue
		}
		var got []want
		for _, st := range stmts {
			for _, s := range st.Settings {
				got = append(got, want{name: s.Name, values: strings.Join(s.Values, ","), def: s.Default, computed: s.Computed})
			}
		}
		if !slices.Equal(got, c.want) {
			t.Errorf("%q: settings %+v, want %+v", c.sql, got, c.want)
		}
	}
}

// TestMySQLPrepareIsParsed: the text of PREPARE … FROM '…' is the
// statement checked; FROM @variable is marked unchecked.
func TestMySQLPrepareIsParsed(t *testing.T) {
	stmts, err := MySQL("PREPARE s FROM 'select secret from secrets where id = ''1'''")
	if err != nil {
		t.Fatal(err)
	}
	if st := stmts[0]; !st.Prepared || st.Kind != KindSelect || len(st.Tables) != 1 || st.Tables[0].Name != "secrets" {
		t.Errorf("PREPARE FROM literal: %+v", st)
	}
	stmts, err = MySQL("PREPARE s FROM @q")
	if err != nil {
		t.Fatal(err)
	}
	if stmts[0].Unchecked == "" {
		t.Errorf("PREPARE FROM @q not marked unchecked")
	}
	if _, err := MySQL("PREPARE s FROM 'select 1 /*M! union select secret from secrets */'"); !errors.Is(err, ErrAmbiguous) {
		t.Errorf("PREPARE of an ambiguous text: %v", err)
	}
}

// TestMySQLMinusBeforeComment: "--" right before a comment is two minus
// signs to the server; the reading must not turn it into a line comment.
func TestMySQLMinusBeforeComment(t *testing.T) {
	for _, sql := range []string{
		"select 1 --/**/1, (select secret from secrets)",
		"select 1 --/*!*/1, (select secret from secrets)",
		"select 1 /*!--*/1, (select secret from secrets)",
		"select 1 --/*+ x */1, (select secret from secrets)",
		"select 1 --/*T![clustered_index] x */1, (select secret from secrets)",
	} {
		stmts, err := MySQL(sql)
		if err != nil {
			t.Errorf("%q: %v", sql, err)
			continue
		}
		if len(stmts) != 1 || len(stmts[0].Tables) != 1 || stmts[0].Tables[0].Name != "secrets" {
			t.Errorf("%q: the subquery on secrets was not seen: %+v", sql, stmts)
		}
	}
}

// TestMySQLUnterminatedKeepsReading: an unterminated comment at the end
// does not undo the reading of what came before it.
func TestMySQLUnterminatedKeepsReading(t *testing.T) {
	got, err := mysqlServerText("select 1 /*T![clustered_index] , (select secret from secrets) */ /* open")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(got, "secrets") {
		t.Errorf("the TiDB feature comment reaches the parser: %q", got)
	}
}
