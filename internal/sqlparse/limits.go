package sqlparse

import (
	"errors"
	"fmt"
)

// ErrTooComplex is what a text over the parser limits gets instead of
// being parsed (errors.Is matches every *LimitError).
var ErrTooComplex = errors.New("statement too complex")

// LimitError says which parser limit a text exceeds.
type LimitError struct {
	What  string // "length in bytes", "number of tokens", "nesting depth", "chain of AND/OR/XOR"
	Value int    // the value found (for depths: the first value over the limit)
	Max   int
}

func (e *LimitError) Error() string {
	return fmt.Sprintf("statement too complex: its %s (%d) exceeds the limit of %d", e.What, e.Value, e.Max)
}

// Is makes errors.Is(err, ErrTooComplex) true.
func (e *LimitError) Is(target error) bool { return target == ErrTooComplex }

// Default parser limits. PostgreSQL's parser (C, through cgo, on the
// thread's stack) overflows its stack and kills the process on a
// left-deep chain of about 23,500 operators (+, ||, ::, JOIN) with an
// 8 MiB stack, about 47,000 UNIONs; parentheses, function calls, CASE,
// NOT and subqueries stop earlier with a syntax error ("memory
// exhausted", bison's own limit). The MySQL parser (pure Go) does not
// crash but costs about 2 KB of memory per level. DefaultMaxDepth keeps
// a wide margin (more than 20 times with an 8 MiB stack, 5 times with
// 2 MiB) while no hand-written or generated statement comes near it.
// Bulk statements are flat — INSERT … VALUES lists, IN lists, AND/OR in
// PostgreSQL (flattened into one node) — and count against the token
// limit only: 2,000,000 tokens is an INSERT of 100,000 rows of 8 columns
// or more, parsed in about a second and some hundred megabytes.
const (
	DefaultMaxBytes   = 64 << 20
	DefaultMaxTokens  = 2_000_000
	DefaultMaxDepth   = 1000
	DefaultMaxLogical = 20_000
)

// Limits bound what a text may ask of a parser. They are checked by a
// linear lexical pre-scan (CheckPostgres, CheckMySQL) before any parse;
// every parse in this package applies DefaultLimits first.
type Limits struct {
	// MaxBytes bounds the text's length.
	MaxBytes int
	// MaxTokens bounds the number of lexical tokens.
	MaxTokens int
	// MaxDepth bounds the estimated depth of the parse tree: nesting of
	// parentheses, brackets and CASE, plus chains of operators, keyword
	// operators (IS, LIKE, COLLATE, …), casts, set operations and joins
	// that the parsers build left-deep.
	MaxDepth int
	// MaxLogical bounds MySQL chains of AND, OR and XOR, which the MySQL
	// parser builds left-deep (PostgreSQL flattens them).
	MaxLogical int
}

// DefaultLimits returns the limits every parse in this package applies.
func DefaultLimits() Limits {
	return Limits{MaxBytes: DefaultMaxBytes, MaxTokens: DefaultMaxTokens, MaxDepth: DefaultMaxDepth, MaxLogical: DefaultMaxLogical}
}

// CheckPostgres reports (a *LimitError) whether PostgreSQL text is over
// the default limits.
func CheckPostgres(sql string) error { return DefaultLimits().Check(sql, false) }

// CheckMySQL reports whether MySQL text is over the default limits.
func CheckMySQL(sql string) error { return DefaultLimits().Check(sql, true) }

// Check scans sql once, lexing it as the dialect's parser does (strings,
// quoted identifiers, comments, dollar quotes, MySQL executable comments)
// and estimating the parse tree's depth from the token stream: every
// parenthesis, bracket or CASE opens a level; within a level, operators,
// casts and keyword connectors (a word right after an operand) chain
// until a comma or a clause keyword (SELECT, FROM, WHERE, ON, WHEN, …)
// starts a sibling; set operations and joins chain for the whole level.
// The estimate is never below the real depth of the trees the parsers
// build, and at most a few times above it. Zero limits are not checked.
// It allocates nothing per token.
func (l Limits) Check(sql string, mysql bool) error {
	if err := l.CheckLength(len(sql)); err != nil {
		return err
	}
	var buf [32]frame
	s := scanner{l: l, mysql: mysql, stack: buf[:1]}
	s.run(sql)
	return s.err
}

// CheckLength reports a text of n bytes over MaxBytes.
func (l Limits) CheckLength(n int) error {
	if l.MaxBytes > 0 && n > l.MaxBytes {
		return &LimitError{What: "length in bytes", Value: n, Max: l.MaxBytes}
	}
	return nil
}

// frame is one nesting level of the scan.
type frame struct {
	ops, maxOps     int // operators chained since the last separator; the most
	logic, maxLogic int // MySQL AND/OR/XOR chained since the last separator; the most
	sets            int // UNION, INTERSECT, EXCEPT, JOIN in this level
	child           int // the deepest closed level inside
	childLogic      int
	isCase          bool
}

type scanner struct {
	l        Limits
	mysql    bool
	stack    []frame // stack[0] is the statement level
	tokens   int
	operand  bool // the previous token ends an operand
	afterEnd bool // the previous word was END (MySQL END CASE)
	err      error
}

func (s *scanner) top() *frame { return &s.stack[len(s.stack)-1] }

func (s *scanner) fail(what string, v, max int) {
	if s.err == nil {
		s.err = &LimitError{What: what, Value: v, Max: max}
	}
}

// token counts one token.
func (s *scanner) token() {
	s.tokens++
	if s.l.MaxTokens > 0 && s.tokens > s.l.MaxTokens {
		s.fail("number of tokens", s.tokens, s.l.MaxTokens)
	}
}

// op chains n operators in the current level.
func (s *scanner) op(n int) {
	f := s.top()
	f.ops += n
	if f.ops > f.maxOps {
		f.maxOps = f.ops
	}
	if s.l.MaxDepth > 0 && f.maxOps+f.sets > s.l.MaxDepth {
		s.fail("nesting depth", f.maxOps+f.sets, s.l.MaxDepth)
	}
	s.operand = false
}

// logical chains a MySQL AND, OR or XOR: the operators before it belong
// to its left operand.
func (s *scanner) logical() {
	f := s.top()
	f.ops = 0
	f.logic++
	if f.logic > f.maxLogic {
		f.maxLogic = f.logic
	}
	if s.l.MaxLogical > 0 && f.maxLogic > s.l.MaxLogical {
		s.fail("chain of AND/OR/XOR", f.maxLogic, s.l.MaxLogical)
	}
	s.operand = false
}

// separate starts a sibling: after a comma or a clause keyword.
func (s *scanner) separate() {
	f := s.top()
	f.ops, f.logic = 0, 0
	s.operand = false
}

func (s *scanner) set() {
	f := s.top()
	f.sets++
	if s.l.MaxDepth > 0 && f.maxOps+f.sets > s.l.MaxDepth {
		s.fail("nesting depth", f.maxOps+f.sets, s.l.MaxDepth)
	}
	s.operand = false
}

func (s *scanner) open(isCase bool) {
	if s.l.MaxDepth > 0 && len(s.stack) > s.l.MaxDepth {
		s.fail("nesting depth", len(s.stack), s.l.MaxDepth)
		return
	}
	s.stack = append(s.stack, frame{isCase: isCase})
	s.operand = false
}

// totals are a level's estimated depth and MySQL logical chain.
func (s *scanner) totals(f *frame) (depth, logic int) {
	return f.maxOps + f.sets + f.child, f.maxLogic + f.childLogic
}

func (s *scanner) check(depth, logic int) {
	if s.l.MaxDepth > 0 && depth > s.l.MaxDepth {
		s.fail("nesting depth", depth, s.l.MaxDepth)
	}
	if s.mysql && s.l.MaxLogical > 0 && logic > s.l.MaxLogical {
		s.fail("chain of AND/OR/XOR", logic, s.l.MaxLogical)
	}
}

// close ends the innermost level; a close with none open is ignored
// (the parser refuses it).
func (s *scanner) close() {
	if len(s.stack) == 1 {
		s.operand = true
		return
	}
	f := s.top()
	depth, logic := s.totals(f)
	depth++
	s.check(depth, logic)
	s.stack = s.stack[:len(s.stack)-1]
	p := s.top()
	p.child = max(p.child, depth)
	p.childLogic = max(p.childLogic, logic)
	s.operand = true
}

// end finishes a statement (at ";" outside any level, and at the end).
func (s *scanner) end() {
	for len(s.stack) > 1 {
		s.close()
	}
	s.check(s.totals(&s.stack[0]))
	s.stack[0] = frame{}
	s.operand = false
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'
}

func isWordStart(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' || c >= 0x80
}

func isWordChar(c byte) bool {
	return isWordStart(c) || c >= '0' && c <= '9' || c == '$'
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// isOpChar is PostgreSQL's operator character set (MySQL's operators are
// drawn from it too).
func isOpChar(c byte) bool {
	switch c {
	case '+', '-', '*', '/', '<', '>', '=', '~', '!', '@', '#', '%', '^', '&', '|', '`', '?':
		return true
	}
	return false
}

func (s *scanner) run(sql string) {
	n := len(sql)
	i := 0
	inExec := false // MySQL: in a /*! … */ comment, whose text is SQL
	for i < n && s.err == nil {
		c := sql[i]
		var next byte
		if i+1 < n {
			next = sql[i+1]
		}
		switch {
		case isSpace(c):
			i++
		case c == '-' && next == '-' && (!s.mysql || myDashComment(sql, i)):
			i = skipLine(sql, i, !s.mysql)
		case c == '#' && s.mysql:
			i = skipLine(sql, i, false)
		case c == '/' && next == '*':
			if s.mysql && i+2 < n && (sql[i+2] == '!' || sql[i+2] == '+' || sql[i+2] == 'T' && i+3 < n && sql[i+3] == '!') {
				// MySQL-specific (/*!), TiDB-specific (/*T!) comments and
				// hints (/*+): the parser reads what they hold.
				i += 3
				for i < n && (isDigit(sql[i]) || sql[i] == '!') {
					i++
				}
				inExec = true
				continue
			}
			i = skipComment(sql, i, !s.mysql)
		case c == '*' && next == '/' && inExec:
			inExec = false
			i += 2
		case c == '\'':
			s.token()
			i = skipQuoted(sql, i, '\'', s.mysql)
			s.operand = true
		case c == '"':
			s.token()
			i = skipQuoted(sql, i, '"', s.mysql)
			s.operand = true
		case c == '`' && s.mysql:
			s.token()
			i = skipQuoted(sql, i, '`', false)
			s.operand = true
		case c == '$' && !s.mysql:
			s.token()
			i = s.dollar(sql, i)
			s.operand = true
		case isDigit(c) || c == '.' && isDigit(next):
			s.token()
			i = skipNumber(sql, i)
			s.operand = true
		case isWordStart(c) || s.mysql && c == '$':
			s.token()
			i = s.word(sql, i)
		case c == '@' && s.mysql: // @var, @@var
			s.token()
			for i < n && sql[i] == '@' {
				i++
			}
			for i < n && isWordChar(sql[i]) || i < n && sql[i] == '.' {
				i++
			}
			s.operand = true
		case c == '?' && s.mysql: // a parameter
			s.token()
			i++
			s.operand = true
		case c == '(' || c == '[' || c == '{':
			s.token()
			s.afterEnd = false
			s.open(false)
			i++
		case c == ')' || c == ']' || c == '}':
			s.token()
			s.close()
			i++
		case c == ',':
			s.token()
			s.separate()
			i++
		case c == ';':
			s.token()
			if len(s.stack) == 1 {
				s.end()
			} else {
				s.separate()
			}
			i++
		case c == ':':
			s.token()
			if next == ':' || next == '=' {
				s.op(1) // PostgreSQL cast, MySQL assignment
				i += 2
			} else {
				i++
				s.operand = false
			}
		case c == '.':
			s.token()
			i++
			s.operand = false
		case isOpChar(c):
			s.token()
			i = s.operator(sql, i)
		default:
			s.token()
			i++
			s.operand = false
		}
	}
	if s.err == nil {
		s.end()
	}
}

// skipLine skips a -- or # comment: to a newline, or for PostgreSQL
// also to a carriage return.
func skipLine(sql string, i int, cr bool) int {
	for i < len(sql) && sql[i] != '\n' && !(cr && sql[i] == '\r') {
		i++
	}
	return i
}

// myDashComment reports whether the -- at i starts a MySQL comment: at
// the end, or before a space (as the parser's unicode.IsSpace of the byte
// sees it).
func myDashComment(sql string, i int) bool {
	if i+2 >= len(sql) {
		return true
	}
	switch sql[i+2] {
	case ' ', '\t', '\n', '\v', '\f', '\r', 0x85, 0xA0:
		return true
	}
	return false
}

// skipComment skips a /* */ comment at i; PostgreSQL's nest.
func skipComment(sql string, i int, nested bool) int {
	depth := 0
	for i < len(sql) {
		switch {
		case sql[i] == '/' && i+1 < len(sql) && sql[i+1] == '*':
			if depth == 0 || nested {
				depth++
			}
			i += 2
		case sql[i] == '*' && i+1 < len(sql) && sql[i+1] == '/':
			depth--
			i += 2
			if depth == 0 {
				return i
			}
		default:
			i++
		}
	}
	return i
}

// skipQuoted skips a string or quoted identifier opened at i by q: a
// doubled q stands for itself; with backslash, \ escapes the next byte.
func skipQuoted(sql string, i int, q byte, backslash bool) int {
	i++
	for i < len(sql) {
		switch sql[i] {
		case '\\':
			if backslash {
				i += 2
				continue
			}
		case q:
			if i+1 < len(sql) && sql[i+1] == q {
				i += 2
				continue
			}
			return i + 1
		}
		i++
	}
	return len(sql)
}

func skipNumber(sql string, i int) int {
	for i < len(sql) {
		c := sql[i]
		switch {
		case isDigit(c) || c == '.' || c == '_' || isWordStart(c) && c < 0x80:
			i++
			if (c == 'e' || c == 'E') && i+1 < len(sql) && (sql[i] == '+' || sql[i] == '-') && isDigit(sql[i+1]) {
				i++
			}
		default:
			return i
		}
	}
	return i
}

// dollar scans a PostgreSQL $n parameter or $tag$ … $tag$ string at i.
func (s *scanner) dollar(sql string, i int) int {
	j := i + 1
	if j < len(sql) && isDigit(sql[j]) {
		for j < len(sql) && isDigit(sql[j]) {
			j++
		}
		return j
	}
	for j < len(sql) && isWordChar(sql[j]) && sql[j] != '$' {
		j++
	}
	if j >= len(sql) || sql[j] != '$' {
		return i + 1 // a lone $: the parser refuses it
	}
	tag := sql[i : j+1]
	body := j + 1
	for k := body; k+len(tag) <= len(sql); k++ {
		if sql[k] == '$' && sql[k:k+len(tag)] == tag {
			return k + len(tag)
		}
	}
	return len(sql)
}

// word scans an identifier or keyword at i and acts on the keywords
// that shape the tree.
func (s *scanner) word(sql string, i int) int {
	start := i
	for i < len(sql) && isWordChar(sql[i]) {
		i++
	}
	w := sql[start:i]
	// String prefixes: E'…' (backslash escapes), B'…', X'…', N'…', U&'…'.
	if i < len(sql) && sql[i] == '\'' && len(w) == 1 {
		backslash := s.mysql || w[0] == 'e' || w[0] == 'E'
		s.operand = true
		return skipQuoted(sql, i, '\'', backslash)
	}
	var lower [12]byte
	kw := ""
	if len(w) <= len(lower) {
		for k := 0; k < len(w); k++ {
			c := w[k]
			if c >= 'A' && c <= 'Z' {
				c += 'a' - 'A'
			}
			lower[k] = c
		}
		kw = string(lower[:len(w)]) // no allocation: compared only
	}
	afterEnd := s.afterEnd
	s.afterEnd = false
	switch kw {
	case "and", "or":
		if s.mysql {
			s.logical()
		} else {
			s.separate() // PostgreSQL flattens AND and OR lists
		}
		return i
	case "xor":
		if s.mysql {
			s.logical()
			return i
		}
	case "select", "from", "where", "having", "limit", "offset", "set", "values",
		"on", "using", "when", "then", "else", "returning", "by", "into":
		s.separate()
		return i
	case "union", "intersect", "except", "join":
		s.set()
		return i
	case "minus":
		if s.mysql {
			s.set()
			return i
		}
	case "case":
		if afterEnd { // END CASE closes a MySQL CASE statement
			return i
		}
		s.open(true)
		return i
	case "end":
		if len(s.stack) > 1 && s.top().isCase {
			s.close()
			s.afterEnd = true
			return i
		}
		s.afterEnd = true
	}
	// A word right after an operand connects it to what follows (IS,
	// LIKE, COLLATE, AT TIME ZONE, BETWEEN, IN, DIV, …): it chains.
	if s.operand {
		s.op(1)
	}
	s.operand = true
	return i
}

// operator scans a run of operator characters at i. PostgreSQL makes one
// operator of a run that holds any of ~!@#%^&|`? and otherwise splits it
// into single characters at worst; MySQL's operators are at most three
// characters, and || and && are its OR and AND.
func (s *scanner) operator(sql string, i int) int {
	start := i
	special := false
	count := 0
	for i < len(sql) && isOpChar(sql[i]) {
		c := sql[i]
		if i > start && (c == '-' && i+1 < len(sql) && sql[i+1] == '-' && (!s.mysql || myDashComment(sql, i)) ||
			c == '/' && i+1 < len(sql) && sql[i+1] == '*') {
			break // a comment starts
		}
		if s.mysql {
			if c == '#' || c == '?' || c == '@' || c == '`' || c == '*' && i+1 < len(sql) && sql[i+1] == '/' {
				break
			}
			if (c == '|' || c == '&') && i+1 < len(sql) && sql[i+1] == c {
				if count > 0 {
					s.op(count)
					count = 0
				}
				s.logical()
				i += 2
				continue
			}
		}
		switch c {
		case '~', '!', '@', '#', '%', '^', '&', '|', '`', '?':
			special = true
		}
		count++
		i++
	}
	if i == start { // a MySQL character that is not an operator here
		return i + 1
	}
	if !s.mysql && special {
		count = 1
	}
	if count > 0 {
		s.op(count)
	}
	return i
}
