package analysis

import (
	"strings"

	"github.com/DataDog/go-sqllexer"
)

// The lexer's dialect options, made once (each WithDBMS call allocates);
// never changed.
var (
	lexPostgres = sqllexer.WithDBMS(sqllexer.DBMSPostgres)
	lexMySQL    = sqllexer.WithDBMS(sqllexer.DBMSMySQL)
)

// ShapeKey returns text with each literal replaced by a marker, and the
// values of its string literals, so that texts differing only in their
// literals can share one analysis (a parse costs tens of microseconds; a
// lexer pass a few). ok is false unless every literal is simple: a number
// of digits not run together with a word, or a quoted string with no
// quote, backslash, dollar sign, line break or comment delimiter inside;
// and unless every comment is simple (simpleComment): one that every
// server ends where the lexer does, or that hides no quote. Then the
// server and the dialect parser are in code where the lexer is and read
// each literal exactly as the lexer does, so two texts with equal keys
// parse to the same tree up to literal values. Anything else — escapes,
// dollar quoting, unterminated strings, nested or executable comments
// with quotes, a UESCAPE clause (its string decides which identifier a
// U&"…" names) — is parsed on its own.
func ShapeKey(d Dialect, text string) (key string, strs []string, ok bool) {
	opt := lexPostgres
	if d == MySQL {
		opt = lexMySQL
	}
	lx := sqllexer.New(text, opt)
	var b strings.Builder
	b.Grow(len(text))
	var prev byte        // the last byte of the previous token
	afterNumber := false // the previous token is a number
	for {
		tok := lx.Scan()
		if afterNumber && tok.Type != sqllexer.EOF && tok.Value != "" && wordByte(tok.Value[0]) {
			// 1abc is an identifier to MySQL, 1 abc to the lexer.
			return "", nil, false
		}
		afterNumber = false
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
			if inner == "" {
				// MySQL's parser reads AS '' as no alias at all, the
				// server as an alias: '' never shares with 'x'.
				b.WriteString("\x01e")
			} else {
				b.WriteString("\x01s")
			}
		case sqllexer.NUMBER:
			if !simpleNumber(tok.Value) || wordByte(prev) {
				return "", nil, false
			}
			afterNumber = true
			b.WriteString("\x01n")
		case sqllexer.COMMENT, sqllexer.MULTILINE_COMMENT:
			if !simpleComment(d, tok.Value) {
				return "", nil, false
			}
			b.WriteString(tok.Value)
		default:
			if strings.EqualFold(tok.Value, "uescape") {
				// U&"…" UESCAPE '<c>': the string names the escape
				// character, so it decides which identifier U&"…" is.
				return "", nil, false
			}
			b.WriteString(tok.Value)
		}
		if tok.Value != "" {
			prev = tok.Value[len(tok.Value)-1]
		}
	}
}

// wordByte reports a byte that continues an identifier or a number
// (letters, digits, _, $, '.', and the bytes of multibyte characters):
// a number next to one is not read as the lexer reads it by every
// server.
func wordByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
		c == '_' || c == '$' || c == '.' || c >= 0x80
}

// simpleComment reports a comment that every reader ends where the
// lexer does and that hides no quote. The lexer and the servers disagree
// on where some comments end — PostgreSQL nests block comments, MySQL
// reads "--" as a comment only before a space or a control character and
// runs the body of /*! … */ as code — and a quote inside a comment the
// server does not see moves every later literal to the other side of a
// quote: what the lexer calls a string literal (and lets vary within one
// shape) would be SQL to the server.
func simpleComment(d Dialect, v string) bool {
	// A line break other than \n may end a line comment for the server
	// (PostgreSQL) but not for the lexer; a comment opener inside a
	// comment nests (PostgreSQL) or opens one after a line comment the
	// server does not see.
	if strings.ContainsAny(v, "'\"`\\$\r") || len(v) > 1 && strings.Contains(v[1:], "/*") {
		return false
	}
	if strings.HasPrefix(v, "/*") {
		body := v[2:]
		if d == MySQL && (strings.HasPrefix(body, "!") || strings.HasPrefix(body, "M!") || strings.HasPrefix(body, "m!")) &&
			(strings.Contains(body, "#") || strings.Contains(body, "--")) {
			return false
		}
		return true
	}
	if d == MySQL && strings.HasPrefix(v, "--") && (len(v) < 3 || v[2] > ' ') {
		return false
	}
	return true
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
