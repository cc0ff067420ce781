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
// esc before a character takes it literally. It backtracks only to the
// last %, so it takes at most len(s)·len(p) steps whatever the pattern
// (patterns such as '%a%a%a%b' cannot make it exponential).
func likeMatch(s, p []rune, esc rune) (bool, error) {
	const (
		lit = iota
		one
		many
	)
	type tok struct {
		kind int
		r    rune
	}
	toks := make([]tok, 0, len(p))
	for k := 0; k < len(p); k++ {
		switch c := p[k]; {
		case c == esc:
			if k+1 >= len(p) {
				return false, fmt.Errorf("LIKE pattern must not end with escape character")
			}
			k++
			toks = append(toks, tok{lit, p[k]})
		case c == '%':
			if len(toks) == 0 || toks[len(toks)-1].kind != many {
				toks = append(toks, tok{kind: many})
			}
		case c == '_':
			toks = append(toks, tok{kind: one})
		default:
			toks = append(toks, tok{lit, c})
		}
	}
	i, j := 0, 0
	star, starI := -1, 0
	for i < len(s) {
		switch {
		case j < len(toks) && (toks[j].kind == one || toks[j].kind == lit && toks[j].r == s[i]):
			i++
			j++
		case j < len(toks) && toks[j].kind == many:
			star, starI = j, i
			j++
		case star >= 0:
			starI++
			i, j = starI, star+1
		default:
			return false, nil
		}
	}
	for j < len(toks) && toks[j].kind == many {
		j++
	}
	return j == len(toks), nil
}
