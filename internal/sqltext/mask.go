package sqltext

import "github.com/DataDog/go-sqllexer"

// Mask returns sql with every literal (strings, numbers, booleans, dollar
// quoted bodies) replaced by '?', for logs and the admin API. It never
// fails: text the lexer cannot make sense of comes back fully masked.
func Mask(sql string) string { return mask(sql, sqllexer.DBMSPostgres) }

// MaskMySQL is Mask for the MySQL dialect, where double-quoted text is a
// string literal too.
func MaskMySQL(sql string) string { return mask(sql, sqllexer.DBMSMySQL) }

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
