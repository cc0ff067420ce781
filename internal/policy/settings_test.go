package policy

import (
	"context"
	"strings"
	"testing"
)

// TestPinnedSettings: every form that would change how the server reads
// text, or where unqualified names resolve, is refused for every user
// (the DBA too); the forms drivers send at connect keep working.
func TestPinnedSettings(t *testing.T) {
	p := policyFrom(t, strings.Replace(testConfig, "roles:\n", `roles:
  - name: filtered
    grants:
      - {database: shop, tables: ["*"], actions: [select]}
    row_filters:
      - {database: shop, table: orders, where: "owner = 1"}
`, 1), Options{})
	roleOf := func(user string) []string {
		if user == "fil" {
			return []string{"filtered"}
		}
		return roles[user]
	}
	for _, tt := range []struct {
		user, db, sql string
		want          string // "" allowed, else the deciding rule
		msg           string
	}{
		// PostgreSQL: standard_conforming_strings, every form
		{"alice", "app", "SET standard_conforming_strings = off", RuleSetting, "standard_conforming_strings"},
		{"root", "app", "SET standard_conforming_strings = off", RuleSetting, "standard_conforming_strings"},
		{"alice", "app", "SET LOCAL standard_conforming_strings TO 'off'", RuleSetting, ""},
		{"alice", "app", "SET SESSION standard_conforming_strings = false", RuleSetting, ""},
		{"alice", "app", "RESET standard_conforming_strings", RuleSetting, ""},
		{"alice", "app", "SET standard_conforming_strings TO DEFAULT", RuleSetting, ""},
		{"alice", "app", "SELECT 1; SET standard_conforming_strings = off", RuleSetting, ""},
		{"root", "app", "SELECT set_config('standard_conforming_strings', 'off', false)", RuleSetting, "set_config"},
		{"root", "app", "SELECT set_config(lower('STANDARD_CONFORMING_STRINGS'), 'off', false)", RuleSetting, "computed"},
		{"root", "app", "ALTER ROLE u SET standard_conforming_strings = off", RuleSetting, ""},
		{"root", "app", "ALTER DATABASE app SET standard_conforming_strings = off", RuleSetting, ""},
		{"root", "app", "ALTER SYSTEM SET standard_conforming_strings = off", RuleSetting, ""},
		{"root", "app", "UPDATE pg_settings SET setting = 'off' WHERE name = 'standard_conforming_strings'", RuleSetting, "pg_settings"},
		{"root", "app", "PREPARE p AS SELECT set_config('standard_conforming_strings', 'off', false)", RuleSetting, ""},
		{"alice", "app", "SET standard_conforming_strings = on", "", ""},
		// client_encoding
		{"alice", "app", "SET client_encoding = 'SJIS'", RuleSetting, "client_encoding"},
		{"alice", "app", "SET NAMES 'GBK'", RuleSetting, "client_encoding"},
		{"alice", "app", "SET client_encoding TO 'BIG5'", RuleSetting, ""},
		{"alice", "app", "SET client_encoding = 'UTF8'", "", ""},
		{"alice", "app", "SET NAMES 'utf-8'", "", ""},
		{"alice", "app", "RESET client_encoding", "", ""},
		// search_path
		{"alice", "app", "SET search_path = private, public", RuleSetting, "search_path"},
		{"root", "app", "SET search_path = private", RuleSetting, "search_path"},
		{"alice", "app", "SET SCHEMA 'private'", RuleSetting, ""},
		{"alice", "app", "SET search_path = \"Public\"", RuleSetting, ""},
		{"root", "app", "SELECT set_config('search_path', 'private, public', false)", RuleSetting, ""},
		{"alice", "app", "SET session_replication_role = replica", RuleSetting, "session_replication_role"},
		{"alice", "app", "SET search_path = public", "", ""},
		{"alice", "app", "SET search_path TO \"$user\", public", "", ""},
		{"root", "app", "SELECT set_config('search_path', '\"$user\", PUBLIC', false)", "", ""},
		{"alice", "app", "RESET search_path", "", ""},
		{"alice", "app", "RESET ALL", "", ""},
		{"alice", "app", "SET application_name = 'x'", "", ""},
		{"alice", "app", "SET TIME ZONE 'UTC'", "", ""},
		// MySQL: sql_mode
		{"alice", "shop", "SET sql_mode = 'NO_BACKSLASH_ESCAPES'", RuleSetting, "NO_BACKSLASH_ESCAPES"},
		{"root", "shop", "SET sql_mode = 'NO_BACKSLASH_ESCAPES'", RuleSetting, ""},
		{"alice", "shop", "SET SESSION sql_mode = 'ANSI_QUOTES'", RuleSetting, "ANSI_QUOTES"},
		{"alice", "shop", "SET @@session.sql_mode = 'ANSI'", RuleSetting, "ANSI"},
		{"alice", "shop", "SET @@sql_mode = 'traditional,ansi'", RuleSetting, "ANSI"},
		{"alice", "shop", "SET LOCAL sql_mode = 'PIPES_AS_CONCAT'", RuleSetting, ""},
		{"alice", "shop", "SET sql_mode = concat(@@sql_mode, ',NO_BACKSLASH_ESCAPES')", RuleSetting, ""},
		{"alice", "shop", "SET sql_mode = (SELECT REPLACE(@@sql_mode, 'STRICT_TRANS_TABLES', 'ANSI_QUOTES'))", RuleSetting, ""},
		{"alice", "shop", "SET sql_mode = @m", RuleSetting, "cannot evaluate"},
		{"alice", "shop", "SET sql_mode = 'ORACLE'", RuleSetting, ""},
		{"alice", "shop", "SET STATEMENT sql_mode = 'NO_BACKSLASH_ESCAPES' FOR SELECT 1", RuleAmbiguous, "SET STATEMENT"},
		{"alice", "shop", "PREPARE s FROM 'SET sql_mode = ''ANSI_QUOTES'''", RuleSetting, ""},
		{"alice", "shop", "set autocommit=1, sql_mode = concat(@@sql_mode,',STRICT_TRANS_TABLES')", "", ""},
		{"alice", "shop", "SET sql_mode = (SELECT REPLACE(@@sql_mode, 'ONLY_FULL_GROUP_BY', ''))", "", ""},
		{"alice", "shop", "SET sql_mode = 'STRICT_TRANS_TABLES,NO_ENGINE_SUBSTITUTION'", "", ""},
		{"alice", "shop", "SET sql_mode = DEFAULT", "", ""},
		{"alice", "shop", "SET @sql_mode = 'ANSI'", "", ""},
		// character sets
		{"alice", "shop", "SET NAMES gbk", RuleSetting, "gbk"},
		{"alice", "shop", "SET NAMES 'sjis'", RuleSetting, "unknown"},
		{"alice", "shop", "SET CHARACTER SET gbk", RuleSetting, ""},
		{"alice", "shop", "SET character_set_client = gbk", RuleSetting, ""},
		{"alice", "shop", "SET @@session.character_set_client = 'gbk'", RuleSetting, ""},
		{"alice", "shop", "SET NAMES utf8mb4", "", ""},
		{"alice", "shop", "SET NAMES 'utf8mb4' COLLATE 'utf8mb4_unicode_ci'", "", ""},
		{"alice", "shop", "SET NAMES latin1", "", ""},
		// executable comments and SQL the parser would not see
		{"alice", "shop", "SELECT 1 /*M! union select secret from secrets */", RuleAmbiguous, "executable comment"},
		{"alice", "shop", "SELECT * FROM /*!99999 orders, (select 1) as */ secrets", RuleAmbiguous, ""},
		{"alice", "shop", "/*!40101 SET NAMES utf8mb4 */", "", ""},
		{"alice", "shop", "/*!40101 SET NAMES gbk */", RuleSetting, ""},
		{"alice", "shop", "/*M!100616 SET NAMES gbk */", RuleSetting, ""},
		{"alice", "shop", "/*M!100616 SET NOTE_VERBOSITY=@@NOTE_VERBOSITY, NOTE_VERBOSITY=0 */", "", ""},
		{"bob", "shop", "SELECT * FROM orders /*! , customers */", RuleGrant, "customers"},
		{"alice", "shop", "EXECUTE IMMEDIATE 'SELECT 1'", RuleAmbiguous, "EXECUTE IMMEDIATE"},
		{"alice", "shop", "PREPARE s FROM @q", RuleAmbiguous, "PREPARE"},
		{"bob", "shop", "PREPARE s FROM 'SELECT * FROM customers'", RuleGrant, "customers"},
		{"bob", "shop", "PREPARE s FROM 'SELECT * FROM orders'", "", ""},
		{"fil", "shop", "PREPARE s FROM 'SELECT * FROM orders'", RuleSetting, "row filter"},
		{"fil", "shop", "PREPARE s FROM 'SELECT * FROM customers'", "", ""},
	} {
		d := MySQL
		if tt.db == "app" {
			d = Postgres
		}
		dec := p.Check(context.Background(), Request{User: tt.user, Roles: roleOf(tt.user), Database: tt.db, Dialect: d, SQL: tt.sql,
			DefaultSchema: map[string]string{"app": "public", "shop": "shop"}[tt.db]})
		got, msg := "", ""
		if dec.Denial != nil {
			got, msg = dec.Denial.Rule, dec.Denial.Message
		}
		if got != tt.want {
			t.Errorf("%s@%s %q: got %q (%s), want %q", tt.user, tt.db, tt.sql, got, msg, tt.want)
			continue
		}
		if dec.Denial != nil && !strings.Contains(msg, tt.msg) {
			t.Errorf("%s@%s %q: message %q lacks %q", tt.user, tt.db, tt.sql, msg, tt.msg)
		}
		if got == RuleSetting && (dec.Denial.Code != "42501" || dec.Denial.Errno != 1227) {
			t.Errorf("%q: codes %s/%d", tt.sql, dec.Denial.Code, dec.Denial.Errno)
		}
	}
}

func TestStartupParams(t *testing.T) {
	for _, tt := range []struct {
		params map[string]string
		refuse string // part of the message, "" allowed
	}{
		{map[string]string{"application_name": "psql", "client_encoding": "UTF8", "datestyle": "ISO", "timezone": "UTC", "extra_float_digits": "3"}, ""},
		{map[string]string{"standard_conforming_strings": "on", "search_path": `"$user", public`}, ""},
		{map[string]string{"standard_conforming_strings": "off"}, "standard_conforming_strings"},
		{map[string]string{"client_encoding": "SJIS"}, "client_encoding"},
		{map[string]string{"client_encoding": "GB18030"}, "client_encoding"},
		{map[string]string{"search_path": "private,public"}, "search_path"},
		{map[string]string{"session_replication_role": "replica"}, "session_replication_role"},
		{map[string]string{"lc_messages": "C"}, "lc_messages"},
		{map[string]string{"backslash_quote": "on"}, "backslash_quote"},
	} {
		d := CheckStartupParams(tt.params)
		switch {
		case tt.refuse == "" && d != nil:
			t.Errorf("%v refused: %s", tt.params, d.Message)
		case tt.refuse != "" && d == nil:
			t.Errorf("%v allowed", tt.params)
		case d != nil && (!strings.Contains(d.Message, tt.refuse) || d.Code != "42501"):
			t.Errorf("%v: %s %s", tt.params, d.Code, d.Message)
		}
	}
	for cs, ok := range map[string]bool{"utf8mb4": true, "utf8": true, "latin1": true, "binary": true, "gbk": false, "sjis": false, "big5": false, "cp932": false, "gb18030": false} {
		if (CheckClientCharset(cs) == nil) != ok {
			t.Errorf("client charset %s: allowed %v", cs, !ok)
		}
	}
}
