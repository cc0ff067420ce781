package sqltext

import "testing"

func TestMySQLSessionEffects(t *testing.T) {
	tests := []struct {
		sql        string
		pin        string
		names      bool
		autocommit bool
		loadLocal  bool
		use        bool
		n          int
	}{
		{sql: "SELECT 1", n: 1},
		{sql: "select * from t where settled = 1", n: 1},
		{sql: "SET @a = 1", pin: "user variable", n: 1},
		{sql: "SET @a := 1, @b = 2", pin: "user variable", n: 1},
		{sql: "SELECT @x := id FROM t", pin: "user variable", n: 1},
		{sql: "SELECT id INTO @x FROM t LIMIT 1", pin: "user variable", n: 1},
		{sql: "SELECT @x", n: 1},
		{sql: "SET NAMES utf8mb4", names: true, n: 1},
		{sql: "SET NAMES utf8mb4 COLLATE utf8mb4_bin", names: true, n: 1},
		{sql: "set character set utf8", names: true, n: 1},
		{sql: "SET autocommit = 0", autocommit: true, n: 1},
		{sql: "SET @@session.autocommit=1", autocommit: true, n: 1},
		{sql: "SET autocommit = 0, sql_mode = ''", pin: "SET autocommit", n: 1},
		{sql: "SET sql_mode = 'ANSI'", pin: "SET sql_mode", n: 1},
		{sql: "SET SESSION wait_timeout = 10", pin: "SET wait_timeout", n: 1},
		{sql: "SET @@session.time_zone = '+00:00'", pin: "SET time_zone", n: 1},
		{sql: "SET GLOBAL max_connections = 10", n: 1},
		{sql: "SET TRANSACTION ISOLATION LEVEL SERIALIZABLE", pin: "SET TRANSACTION", n: 1},
		{sql: "SET STATEMENT max_statement_time=1 FOR SELECT 1", n: 1},
		{sql: "CREATE TEMPORARY TABLE t (a int)", pin: "temporary table", n: 1},
		{sql: "CREATE TABLE temporary_things (a int)", n: 1},
		{sql: "SELECT GET_LOCK('a', 1)", pin: "GET_LOCK", n: 1},
		{sql: "LOCK TABLES t READ", pin: "LOCK TABLES", n: 1},
		{sql: "FLUSH TABLES WITH READ LOCK", pin: "FLUSH TABLES WITH READ LOCK", n: 1},
		{sql: "PREPARE s FROM 'SELECT 1'", pin: "PREPARE", n: 1},
		{sql: "HANDLER t OPEN", pin: "HANDLER", n: 1},
		{sql: "XA START 'x'", pin: "XA transaction", n: 1},
		{sql: "LOAD DATA LOCAL INFILE '/etc/passwd' INTO TABLE t", loadLocal: true, n: 1},
		{sql: "load data low_priority local infile 'f' into table t", loadLocal: true, n: 1},
		{sql: "LOAD DATA INFILE 'f' INTO TABLE t", n: 1},
		{sql: "SELECT 1; SET @a = 2; SELECT 3", pin: "user variable", n: 3},
		{sql: "SELECT '@x := 1', 'SET sql_mode=1'", n: 1},
		{sql: "/* SET @a=1 */ SELECT 1", n: 1},
		{sql: "SELECT 1; USE other; SELECT 2", use: true, n: 3},
		{sql: "SELECT user FROM users", n: 1},
	}
	for _, tt := range tests {
		e := MySQLSessionEffects(tt.sql)
		if e.Pin != tt.pin || e.Names != tt.names || e.Autocommit != tt.autocommit || e.LoadLocal != tt.loadLocal || e.Use != tt.use || e.Statements != tt.n {
			t.Errorf("%q: got %+v", tt.sql, e)
		}
	}
}

func FuzzMySQLSessionEffects(f *testing.F) {
	for _, s := range []string{"SET @a=1", "SET NAMES utf8", "LOAD DATA LOCAL INFILE 'x' INTO TABLE t", "select 1; set autocommit=0", "SET @@session.x = 1, @y := 2"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		e := MySQLSessionEffects(s)
		if e.Statements < 0 {
			t.Fatal("negative statement count")
		}
	})
}

func TestMaskMySQL(t *testing.T) {
	for in, want := range map[string]string{
		`SELECT * FROM t WHERE a = 'x' AND b = "secret" AND c = 42`: "SELECT * FROM t WHERE a = ? AND b = ? AND c = ?",
		"INSERT INTO `t` (`a`) VALUES (0x1F, X'00')":                "INSERT INTO `t` (`a`) VALUES (?, X?)",
	} {
		if got := MaskMySQL(in); got != want {
			t.Errorf("MaskMySQL(%q) = %q, want %q", in, got, want)
		}
	}
}
