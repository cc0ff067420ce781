package myfront

import "testing"

// SQLite declared types as DESCRIBE shows them (MariaDB's spelling).
func TestMyColumnType(t *testing.T) {
	for decl, want := range map[string]string{
		"INTEGER": "int(11)", "INT": "int(11)", "INT(5)": "int(5)", "INTEGER UNSIGNED": "int(10) unsigned",
		"BIGINT": "bigint(20)", "TINYINT(1)": "tinyint(1)", "SMALLINT": "smallint(6)", "BOOLEAN": "tinyint(1)",
		"VARCHAR(20)": "varchar(20)", "CHAR": "char(1)", "DECIMAL(10,2)": "decimal(10,2)", "NUMERIC": "decimal(10,0)",
		"DECIMAL(8)": "decimal(8,0)", "REAL": "double", "DOUBLE": "double", "TEXT": "text", "DATETIME": "datetime",
		"": "text", "BLOB": "blob",
	} {
		if got := myColumnType(decl); got != want {
			t.Errorf("%q: %q want %q", decl, got, want)
		}
	}
}

// Column defaults as DESCRIBE shows them and SHOW CREATE TABLE writes them.
func TestMyDefault(t *testing.T) {
	for sql, want := range map[string]struct {
		shown any
		text  string
	}{
		"'x'":               {"x", "'x'"},
		"'it''s'":           {"it's", "'it''s'"},
		"1.50":              {"1.50", "1.50"},
		"NULL":              {nil, "NULL"},
		"CURRENT_TIMESTAMP": {"current_timestamp()", "current_timestamp()"},
		"(datetime('now'))": {"current_timestamp()", "current_timestamp()"},
	} {
		shown, text := myDefault(sql, true)
		if shown != want.shown || text != want.text {
			t.Errorf("%s: %v %q", sql, shown, text)
		}
	}
}

// DECIMAL(p,s) values are written with the column's scale.
func TestDecimalText(t *testing.T) {
	for _, c := range []struct {
		v     any
		scale int
		want  string
	}{
		{1.5, 2, "1.50"}, {int64(3), 2, "3.00"}, {"9.5", 2, "9.50"}, {"2.125", 2, "2.13"}, {"7", 0, "7"}, {"9.995", 2, "10.00"}, {"-1.005", 2, "-1.01"}, {"0.4", 0, "0"}, {-0.5, 1, "-0.5"}, {[]byte("1.2"), 3, "1.200"},
	} {
		if got, ok := decimalText(c.v, c.scale); !ok || got != c.want {
			t.Errorf("%v scale %d: %q", c.v, c.scale, got)
		}
	}
	if _, ok := decimalText("abc", 2); ok {
		t.Error("a non-number was written as a decimal")
	}
}
