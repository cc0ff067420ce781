package sqlite

import (
	"database/sql/driver"
	"fmt"
	"sync"
	"unicode/utf8"

	sqlite3 "modernc.org/sqlite"
)

// translateFuncsOnce registers, once per process, the functions the
// PostgreSQL translation prints that no other part provides. The driver
// keeps the registry for every connection it opens; the functions hold
// no state.
var translateFuncsOnce sync.Once

func registerTranslateFunctions() {
	translateFuncsOnce.Do(func() {
		sqlite3.MustRegisterDeterministicScalarFunction("floe_like", 3, floeLike)
	})
}

// floeLike is PostgreSQL's LIKE (case-sensitive): floe_like(subject,
// pattern, escape), NULL when an argument is NULL; an empty escape turns
// escaping off.
func floeLike(_ *sqlite3.FunctionContext, args []driver.Value) (driver.Value, error) {
	var s [3]string
	for i, a := range args {
		switch v := a.(type) {
		case nil:
			return nil, nil
		case string:
			s[i] = v
		case []byte:
			s[i] = string(v)
		default:
			s[i] = fmt.Sprint(v)
		}
	}
	esc := rune(-1)
	if s[2] != "" {
		r, n := utf8.DecodeRuneInString(s[2])
		if n != len(s[2]) {
			return nil, fmt.Errorf("invalid escape string: it must be empty or one character")
		}
		esc = r
	}
	ok, err := likeMatch([]rune(s[0]), []rune(s[1]), esc)
	if err != nil {
		return nil, err
	}
	if ok {
		return int64(1), nil
	}
	return int64(0), nil
}

// likeMatch matches a LIKE pattern: % any run of characters, _ one,
// esc before a character takes it literally.
func likeMatch(s, p []rune, esc rune) (bool, error) {
	for len(p) > 0 {
		c := p[0]
		switch {
		case c == esc:
			if len(p) < 2 {
				return false, fmt.Errorf("LIKE pattern must not end with escape character")
			}
			if len(s) == 0 || s[0] != p[1] {
				return false, nil
			}
			s, p = s[1:], p[2:]
		case c == '%':
			for len(p) > 0 && p[0] == '%' {
				p = p[1:]
			}
			if len(p) == 0 {
				return true, nil
			}
			for i := 0; i <= len(s); i++ {
				if ok, err := likeMatch(s[i:], p, esc); ok || err != nil {
					return ok, err
				}
			}
			return false, nil
		case c == '_':
			if len(s) == 0 {
				return false, nil
			}
			s, p = s[1:], p[1:]
		default:
			if len(s) == 0 || s[0] != c {
				return false, nil
			}
			s, p = s[1:], p[1:]
		}
	}
	return len(s) == 0, nil
}
