package analysis

import (
	"strings"

	"github.com/DataDog/go-sqllexer"
)

// ShapeKey returns text with each literal replaced by a marker, and the
// values of its string literals, so that texts differing only in their
// literals can share one analysis (a parse costs tens of microseconds; a
// lexer pass a few). ok is false unless every literal is simple: a number
// of digits, or a quoted string with no quote, backslash, dollar sign,
// line break or comment delimiter inside. Then the dialect parser reads
// each literal exactly as the lexer does, whatever state the text before
// it left the parser in (code, comment, quoted identifier), so two texts
// with equal keys parse to the same tree up to literal values. Anything
// else — escapes, dollar quoting, unterminated strings — is parsed on its
// own.
func ShapeKey(d Dialect, text string) (key string, strs []string, ok bool) {
	dbms := sqllexer.DBMSPostgres
	if d == MySQL {
		dbms = sqllexer.DBMSMySQL
	}
	lx := sqllexer.New(text, sqllexer.WithDBMS(dbms))
	var b strings.Builder
	b.Grow(len(text))
	for {
		tok := lx.Scan()
		switch tok.Type {
		case sqllexer.EOF:
			return b.String(), strs, true
		case sqllexer.ERROR, sqllexer.UNKNOWN, sqllexer.INCOMPLETE_STRING, sqllexer.DOLLAR_QUOTED_STRING, sqllexer.DOLLAR_QUOTED_FUNCTION:
			return "", nil, false
		case sqllexer.STRING:
			inner, simple := simpleString(tok.Value)
			if !simple {
				return "", nil, false
			}
			strs = append(strs, inner)
			b.WriteString("\x01s")
		case sqllexer.NUMBER:
			if !simpleNumber(tok.Value) {
				return "", nil, false
			}
			b.WriteString("\x01n")
		default:
			b.WriteString(tok.Value)
		}
	}
}

func simpleString(v string) (string, bool) {
	if len(v) < 2 {
		return "", false
	}
	q := v[0]
	if (q != '\'' && q != '"') || v[len(v)-1] != q {
		return "", false
	}
	inner := v[1 : len(v)-1]
	if strings.ContainsAny(inner, "'\"`\\$\n\r") || strings.Contains(inner, "*/") || strings.Contains(inner, "/*") {
		return "", false
	}
	return inner, true
}

func simpleNumber(v string) bool {
	dots := 0
	for i := 0; i < len(v); i++ {
		switch c := v[i]; {
		case c >= '0' && c <= '9':
		case c == '.' && dots == 0:
			dots++
		default:
			return false
		}
	}
	return v != "" && v != "."
}
