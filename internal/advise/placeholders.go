package advise

import (
	"strconv"
	"strings"
)

// PostgresPlaceholders turns the '?' marks of a masked PostgreSQL shape
// into parameters $n (numbered after any $n the text already has), so
// that the shape parses and can be prepared, and returns how many
// parameters the text has. A '?' that is part of an operator (the jsonb
// ?, ?| and ?& operators are written between operands, never after one
// of = < > ( , or a keyword) is hard to tell from a mask by words alone:
// a '?' next to another operator character, inside a quoted identifier
// or a comment is left as it is.
func PostgresPlaceholders(sql string) (string, int) {
	maxN := 0
	scan(sql, func(i int, b byte) int {
		if b == '$' && i+1 < len(sql) && sql[i+1] >= '1' && sql[i+1] <= '9' && (i == 0 || !identByte(sql[i-1])) {
			j := i + 1
			for j < len(sql) && sql[j] >= '0' && sql[j] <= '9' {
				j++
			}
			if n, err := strconv.Atoi(sql[i+1 : j]); err == nil && n > maxN && n < 65536 {
				maxN = n
			}
			return j - i
		}
		return 1
	})
	var out strings.Builder
	n := maxN
	last := 0
	scan(sql, func(i int, b byte) int {
		if b != '?' || !loneMark(sql, i) {
			return 1
		}
		n++
		out.WriteString(sql[last:i])
		out.WriteString("$" + strconv.Itoa(n))
		last = i + 1
		return 1
	})
	out.WriteString(sql[last:])
	return out.String(), n
}

// MySQLLiterals turns the '?' marks of a masked MySQL shape into
// literals the server can plan with: '1' (a string, which MySQL converts
// to the compared column's type, so that an index on a numeric column is
// still usable) and 1 after LIMIT and OFFSET.
func MySQLLiterals(sql string) string {
	var out strings.Builder
	last := 0
	inLimit := false
	word := ""
	scan(sql, func(i int, b byte) int {
		switch {
		case identByte(b):
			j := i
			for j < len(sql) && identByte(sql[j]) {
				j++
			}
			word = strings.ToUpper(sql[i:j])
			inLimit = word == "LIMIT" || word == "OFFSET"
			return j - i
		case b == '?' && loneMark(sql, i):
			out.WriteString(sql[last:i])
			if inLimit {
				out.WriteString("1")
			} else {
				out.WriteString("'1'")
			}
			last = i + 1
		case b == ',' || b == ' ' || b == '\t' || b == '\n' || b == '\r':
		default:
			inLimit = false
		}
		return 1
	})
	out.WriteString(sql[last:])
	return out.String()
}

func identByte(b byte) bool {
	return b == '_' || b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9' || b >= 0x80
}

// loneMark reports whether the '?' at i stands alone (not part of an
// operator such as ?| or ?&).
func loneMark(sql string, i int) bool {
	op := func(b byte) bool { return strings.IndexByte("?|&@", b) >= 0 }
	if i > 0 && op(sql[i-1]) {
		return false
	}
	return i+1 >= len(sql) || !op(sql[i+1])
}

// scan calls fn for each byte of sql outside quoted identifiers, string
// literals and comments; fn returns how many bytes to advance (at least
// one).
func scan(sql string, fn func(i int, b byte) int) {
	for i := 0; i < len(sql); {
		b := sql[i]
		switch {
		case b == '"' || b == '\'' || b == '`':
			j := i + 1
			for j < len(sql) {
				if sql[j] == b {
					if j+1 < len(sql) && sql[j+1] == b {
						j += 2
						continue
					}
					break
				}
				if sql[j] == '\\' && b != '"' && j+1 < len(sql) {
					j++
				}
				j++
			}
			i = j + 1
		case b == '-' && i+1 < len(sql) && sql[i+1] == '-':
			j := strings.IndexByte(sql[i:], '\n')
			if j < 0 {
				return
			}
			i += j + 1
		case b == '/' && i+1 < len(sql) && sql[i+1] == '*':
			j := strings.Index(sql[i+2:], "*/")
			if j < 0 {
				return
			}
			i += j + 4
		default:
			i += max(fn(i, b), 1)
		}
	}
}
