package sqlparse

import (
	"strconv"
	"strings"

	"github.com/DataDog/go-sqllexer"
)

// Shape holds structural facts about a statement that say nothing of its
// purpose but much about whether its text was assembled from untrusted
// input: the firewall reads them, this package only records them.
type Shape struct {
	// Strings are the values of the statement's string literals.
	Strings []string
	// Tautology is set when an OR has an operand that is true whatever
	// the row (1=1, 'a'='a', true, x=x, 2>1, 'a' IS NOT NULL…).
	Tautology bool
	// ConstConditions counts comparisons between two constants other than
	// a first conjunct of a WHERE (the `WHERE 1=1 AND …` idiom of query
	// builders).
	ConstConditions int
	// ConstUnion is set when a set operation combines an arm that reads
	// a table with an arm that reads none (UNION SELECT NULL, version()…).
	ConstUnion bool
	// SystemVars are the @@variables read (MySQL), lower case.
	SystemVars []string
	// Subqueries counts SELECTs nested inside another statement's
	// expressions (not derived tables of FROM).
	Subqueries int
	// LiteralOps counts operators applied to a bare string literal and
	// another bare literal, a subquery or a condition ('a' AND 'b',
	// '' - '', 'x' || (SELECT …), name = 'a' LIKE 'b'): text that closes
	// a quote and goes on computing.
	LiteralOps int
	// UnionArity is set when the arms of a set operation select different
	// numbers of columns (an appended UNION that has not found the count).
	UnionArity bool
	// HeavyJoin is set when one FROM list names the same table three or
	// more times without join conditions (a cartesian product used as a
	// delay).
	HeavyJoin bool
	// Extraction counts comparisons and conditions that test a hidden
	// value a piece at a time: a character or length function (ASCII,
	// SUBSTRING, LENGTH, HEX…) over a scalar subquery, a server or
	// session function (version(), current_user…) or a system variable;
	// a scalar subquery that selects such a function of its columns; or
	// a server or session function compared with a constant
	// (boolean-blind extraction).
	Extraction int
	// ErrorProbe is set when a hidden value is handed to something that
	// fails with the value in its error message: a cast of a scalar
	// subquery or server function to a number (PostgreSQL), XML, geometry
	// and GTID functions (EXTRACTVALUE, UPDATEXML…).
	ErrorProbe bool
	// CharBuild is set when a string is assembled from character codes:
	// a concatenation of two or more CHR(n)/CHAR(n)/hex literals, or
	// CHAR(n, n, n) (text written so that it needs no quotes).
	CharBuild bool
	// UnionForeign is set when a later arm of a set operation selects, at
	// some position, what the first arm does not: another column, a
	// subquery, or a constant or NULL where the first selects a column
	// (NULL padding that finds a column count).
	UnionForeign bool
	// InfoValues are the SQL value keywords that reveal the session
	// (current_user, session_user, current_catalog…), lower case.
	InfoValues []string
	// ValueSensitive is set when a fact above depends on literal values,
	// not only on where literals stand (an OR over constants: 1=1 is a
	// tautology, 1=2 is not). Results for such texts cannot be shared
	// with texts that differ only in their literals.
	ValueSensitive bool
}

// arithmetic reports operators that compute (not compare) values.
func arithmetic(op string) bool {
	switch op {
	case "+", "-", "*", "/", "%", "^", "&", "|", "#", "<<", ">>", "div", "mod", "xor":
		return true
	}
	return false
}

// constant is a literal's value reduced to what comparisons need.
type constant struct {
	kind byte // 'n' number, 's' string, 'b' bool, 0 null
	num  float64
	str  string
}

func (c constant) truth() (bool, bool) {
	switch c.kind {
	case 'n', 'b':
		return c.num != 0, true
	case 's':
		// MySQL reads a string's leading number; PostgreSQL casts 't'/'f'.
		if f, ok := leadingNumber(c.str); ok {
			return f != 0, true
		}
	}
	return false, false
}

// leadingNumber parses the number a string starts with, as MySQL does
// when it compares a string with a number.
func leadingNumber(s string) (float64, bool) {
	s = strings.TrimSpace(s)
	end := 0
	for end < len(s) && (s[end] >= '0' && s[end] <= '9' || s[end] == '.' || (end == 0 && (s[end] == '-' || s[end] == '+'))) {
		end++
	}
	f, err := strconv.ParseFloat(s[:end], 64)
	return f, err == nil
}

// compareConst evaluates a comparison of two constants; known is false
// when the outcome depends on rules (collations, casts) not modelled.
func compareConst(op string, a, b constant) (result, known bool) {
	if a.kind == 0 || b.kind == 0 {
		return false, op == "<=>" // NULL compares unknown, except MySQL's <=>
	}
	var c int
	switch {
	case a.kind == 's' && b.kind == 's':
		c = strings.Compare(a.str, b.str)
	default:
		x, y := a.num, b.num
		if a.kind == 's' {
			f, ok := leadingNumber(a.str)
			if !ok {
				f = 0
			}
			x = f
		}
		if b.kind == 's' {
			f, ok := leadingNumber(b.str)
			if !ok {
				f = 0
			}
			y = f
		}
		switch {
		case x < y:
			c = -1
		case x > y:
			c = 1
		}
	}
	switch op {
	case "=", "==", "<=>":
		return c == 0, true
	case "<>", "!=":
		return c != 0, true
	case "<":
		return c < 0, true
	case "<=":
		return c <= 0, true
	case ">":
		return c > 0, true
	case ">=":
		return c >= 0, true
	}
	return false, false
}

func isComparison(op string) bool {
	switch op {
	case "=", "<>", "!=", "<", "<=", ">", ">=":
		return true
	}
	return false
}

// likeConst evaluates 'a' LIKE 'b' for patterns without escapes.
func likeConst(s, pattern string) bool {
	if pattern == "%" {
		return true
	}
	if !strings.ContainsAny(pattern, "%_") {
		return strings.EqualFold(s, pattern)
	}
	return false
}

// TrailingComment returns the body of a line comment that ends the text
// (after `--`, or also `#` when mysql is set: MySQL's lexing), and
// whether there is one. Block comments are not reported: drivers and
// tracing libraries append them on purpose.
func TrailingComment(text string, mysql bool) (string, bool) {
	lx := sqllexer.New(text)
	if mysql {
		lx = sqllexer.New(text, sqllexer.WithDBMS(sqllexer.DBMSMySQL))
	}
	var last *sqllexer.Token
	for {
		tok := lx.Scan()
		if tok.Type == sqllexer.EOF || tok.Type == sqllexer.ERROR {
			break
		}
		if tok.Type == sqllexer.SPACE {
			continue
		}
		t := *tok
		last = &t
	}
	if last == nil || last.Type != sqllexer.COMMENT {
		return "", false
	}
	v := last.Value
	switch {
	case strings.HasPrefix(v, "--"):
		return strings.TrimSpace(v[2:]), true
	case mysql && strings.HasPrefix(v, "#"):
		return strings.TrimSpace(v[1:]), true
	}
	return "", false
}
