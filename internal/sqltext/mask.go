package sqltext

import (
	"strings"

	"github.com/DataDog/go-sqllexer"
)

// Mask returns sql with every literal (strings, numbers, booleans, dollar
// quoted bodies) replaced by '?', for logs and the admin API. It never
// fails: text the lexer cannot make sense of comes back fully masked.
func Mask(sql string) string { return mask(sql, sqllexer.DBMSPostgres) }

// MaskMySQL is Mask for the MySQL dialect, where double-quoted text is a
// string literal too. Executable comments (/*!…*/, /*M!…*/) are code to
// the server, so their literals are masked like any other: the opening
// marker is blanked before lexing (the closing one lexes as operators).
func MaskMySQL(sql string) string { return mask(openExecutableComments(sql), sqllexer.DBMSMySQL) }

// openExecutableComments blanks the opening markers of MySQL and MariaDB
// executable comments, with their version digits.
func openExecutableComments(sql string) string {
	if !strings.Contains(sql, "/*") {
		return sql
	}
	b := []byte(sql)
	for i := 0; i+2 < len(b); i++ {
		if b[i] != '/' || b[i+1] != '*' {
			continue
		}
		j := i + 2
		if b[j] == 'M' || b[j] == 'm' {
			j++
		}
		if j >= len(b) || b[j] != '!' {
			continue
		}
		j++
		for j < len(b) && b[j] >= '0' && b[j] <= '9' {
			j++
		}
		for k := i; k < j; k++ {
			b[k] = ' '
		}
		i = j - 1
	}
	return string(b)
}

func mask(sql string, dbms sqllexer.DBMSType) string {
	o := sqllexer.NewObfuscator(
		sqllexer.WithReplaceDigits(true),
		sqllexer.WithReplaceBoolean(true),
		sqllexer.WithDollarQuotedFunc(false),
	)
	out := o.Obfuscate(sql, sqllexer.WithDBMS(dbms))
	if out == "" && sql != "" {
		return "?"
	}
	return out
}
