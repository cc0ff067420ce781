package sqlite

import (
	"crypto/md5"
	"crypto/rand"
	"database/sql/driver"
	"encoding/hex"
	"fmt"
	"math"
	mrand "math/rand/v2"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	sqlite3 "modernc.org/sqlite"

	"github.com/floe-db/floe/internal/sqlerr"
)

// The PostgreSQL functions (funcs_pg*.go) are Go functions registered
// with the modernc.org/sqlite driver under the PostgreSQL function's own
// lower-case name, so that a translated PostgreSQL statement calls them
// as written. The driver keeps its registry of functions process-wide and
// gives it to every connection it opens from then on: registration
// happens once (pgFuncsOnce), before Open opens the engine's first
// connection. The functions hold no state of their own (random() and
// gen_random_uuid() read the process's random source, now() the clock),
// so sharing them between engines is harmless.

// pgFuncsOnce guards the driver-wide registration.
var pgFuncsOnce sync.Once

// pgScalar is one scalar function: its name, its number of arguments
// (-1: any, checked by the function) and whether it is deterministic.
type pgScalar struct {
	name          string
	nargs         int32
	deterministic bool
	fn            func(args []driver.Value) (driver.Value, error)
}

// registerPGFunctions registers the PostgreSQL functions with the driver
// (once per process). A failure is a programming error (a name registered
// twice) and panics.
func registerPGFunctions() {
	pgFuncsOnce.Do(func() {
		for _, f := range pgScalars() {
			fn, name := f.fn, f.name
			err := sqlite3.RegisterFunction(f.name, &sqlite3.FunctionImpl{
				NArgs:         f.nargs,
				Deterministic: f.deterministic,
				Scalar: func(_ *sqlite3.FunctionContext, args []driver.Value) (v driver.Value, err error) {
					// A fault in a function fails its statement, never the
					// process (the driver would not recover it).
					defer func() {
						if r := recover(); r != nil {
							v, err = nil, funcError(sqlerr.InternalError, "%s failed: %v", name, r)
						}
					}()
					return fn(args)
				},
			})
			if err != nil {
				panic(fmt.Sprintf("registering %s: %v", f.name, err))
			}
		}
		for name, mk := range pgAggregates() {
			if err := sqlite3.RegisterFunction(name, &sqlite3.FunctionImpl{NArgs: mk.nargs, MakeAggregate: mk.make}); err != nil {
				panic(fmt.Sprintf("registering %s: %v", name, err))
			}
		}
		registerSeries()
	})
}

// pgScalars lists the scalar functions (the time functions are in
// funcs_pg_time.go, the numeric ones in funcs_pg_numeric.go).
func pgScalars() []pgScalar {
	fs := []pgScalar{
		{"floe_regexp", 3, true, fnRegexp},
		{"regexp_replace", -1, true, fnRegexpReplace},
		{"regexp_match", -1, true, fnRegexpMatch},
		{"regexp_matches", -1, true, fnRegexpMatches},
		{"greatest", -1, true, func(a []driver.Value) (driver.Value, error) { return extreme(a, 1) }},
		{"least", -1, true, func(a []driver.Value) (driver.Value, error) { return extreme(a, -1) }},
		{"left", 2, true, fnLeft},
		{"right", 2, true, fnRight},
		{"lpad", -1, true, func(a []driver.Value) (driver.Value, error) { return pad(a, true) }},
		{"rpad", -1, true, func(a []driver.Value) (driver.Value, error) { return pad(a, false) }},
		{"repeat", 2, true, fnRepeat},
		{"reverse", 1, true, fnReverse},
		{"split_part", 3, true, fnSplitPart},
		{"strpos", 2, true, fnStrpos},
		{"initcap", 1, true, fnInitcap},
		{"md5", 1, true, fnMD5},
		{"btrim", -1, true, fnBtrim},
		{"translate", 3, true, fnTranslate},
		{"starts_with", 2, true, fnStartsWith},
		{"gen_random_uuid", 0, false, fnUUID},
		{"random", 0, false, func([]driver.Value) (driver.Value, error) { return mrand.Float64(), nil }},
	}
	fs = append(fs, pgJSONScalars()...)
	fs = append(fs, pgNumericScalars()...)
	fs = append(fs, pgArrayScalars()...)
	return append(fs, pgTimeScalars()...)
}

// funcError is an error of a function with the SQLSTATE PostgreSQL
// reports for it; SQLError gives the client that SQLSTATE (the code
// travels through SQLite in the message, as "[SQLSTATE] message").
func funcError(code, format string, args ...any) error {
	return fmt.Errorf("[%s] %s", code, fmt.Sprintf(format, args...))
}

// funcErrorCode splits a message funcError made into its SQLSTATE and
// text; ok is false for other messages.
func funcErrorCode(msg string) (code, text string, ok bool) {
	if len(msg) < 8 || msg[0] != '[' || msg[6] != ']' || msg[7] != ' ' {
		return "", "", false
	}
	for _, c := range msg[1:6] {
		if (c < '0' || c > '9') && (c < 'A' || c > 'Z') {
			return "", "", false
		}
	}
	return msg[1:6], msg[8:], true
}

// errArgs reports a wrong number of arguments the way PostgreSQL reports
// a function it does not know with these arguments.
func errArgs(name string, n int) error {
	return funcError(sqlerr.UndefinedFunction, "function %s with %d arguments does not exist", name, n)
}

// textOf is a value's text as PostgreSQL would cast it to text (ok is
// false for NULL).
func textOf(v driver.Value) (string, bool) {
	switch x := v.(type) {
	case nil:
		return "", false
	case string:
		return x, true
	case []byte:
		return string(x), true
	case int64:
		return strconv.FormatInt(x, 10), true
	case float64:
		return floatText(x), true
	}
	return fmt.Sprint(v), true
}

// floatText is a REAL's text: its shortest decimal of 15 significant
// digits, without exponent (as a NUMERIC shows it).
func floatText(x float64) string {
	switch {
	case math.IsInf(x, 1):
		return "Infinity"
	case math.IsInf(x, -1):
		return "-Infinity"
	case math.IsNaN(x):
		return "NaN"
	}
	return strconv.FormatFloat(round15(x), 'f', -1, 64)
}

// round15 rounds x to 15 significant decimal digits (what a REAL holds
// exactly of a decimal).
func round15(x float64) float64 {
	r, err := strconv.ParseFloat(strconv.FormatFloat(x, 'e', 14, 64), 64)
	if err != nil {
		return x
	}
	return r
}

// intOf reads an integer argument (a text must spell one).
func intOf(name string, v driver.Value) (int64, error) {
	switch x := v.(type) {
	case int64:
		return x, nil
	case float64:
		if x == math.Trunc(x) && math.Abs(x) < 1<<62 {
			return int64(x), nil
		}
		return int64(math.Round(x)), nil
	case string, []byte:
		s, _ := textOf(x)
		n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
		if err != nil {
			return 0, funcError(sqlerr.InvalidTextRepresentation, "invalid input syntax for type integer: %q (argument of %s)", s, name)
		}
		return n, nil
	}
	return 0, funcError(sqlerr.DatatypeMismatch, "%s: an integer is expected", name)
}

// floatOf reads a numeric argument (a text must spell a number).
func floatOf(name string, v driver.Value) (float64, error) {
	switch x := v.(type) {
	case int64:
		return float64(x), nil
	case float64:
		return x, nil
	case string, []byte:
		s, _ := textOf(x)
		f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
		if err != nil {
			return 0, funcError(sqlerr.InvalidTextRepresentation, "invalid input syntax for type numeric: %q (argument of %s)", s, name)
		}
		return f, nil
	}
	return 0, funcError(sqlerr.DatatypeMismatch, "%s: a number is expected", name)
}

// texts reads all arguments as texts; null reports a NULL among them.
func texts(args []driver.Value) (out []string, null bool) {
	out = make([]string, len(args))
	for i, a := range args {
		s, ok := textOf(a)
		if !ok {
			return nil, true
		}
		out[i] = s
	}
	return out, false
}

// ---- regular expressions ----

// compilePG compiles a POSIX (ARE) pattern with PostgreSQL's flags
// ('i' case-insensitive, 'c' case-sensitive, 'n'/'m' newline-sensitive,
// 's', 'x' expanded; 'g' is read by the caller) as a Go regexp.
func compilePG(pattern, flags string) (*regexp.Regexp, error) {
	prefix := ""
	for _, f := range flags {
		switch f {
		case 'i':
			prefix += "i"
		case 'c', 'g':
		case 'n', 'm':
			prefix += "m"
		case 's':
			prefix += "s"
		case 'x':
			pattern = stripExpanded(pattern)
		default:
			return nil, funcError(sqlerr.InvalidParameterValue, "invalid regular expression option: %q", string(f))
		}
	}
	if prefix != "" {
		pattern = "(?" + prefix + ")" + pattern
	}
	re, err := regexp.Compile(pattern)
	if err != nil {
		return nil, funcError(sqlerr.InvalidRegularExpression, "invalid regular expression: %v", err)
	}
	return re, nil
}

// stripExpanded removes the white space and #-comments of an expanded
// ('x') pattern outside bracket expressions and escapes.
func stripExpanded(p string) string {
	var b strings.Builder
	inClass, esc, comment := false, false, false
	for _, r := range p {
		switch {
		case comment:
			comment = r != '\n'
			continue
		case esc:
			esc = false
		case r == '\\':
			esc = true
		case inClass:
			inClass = r != ']'
		case r == '[':
			inClass = true
		case r == '#':
			comment = true
			continue
		case unicode.IsSpace(r):
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// fnRegexp is floe_regexp(pattern, subject, flags): what the operators
// ~ (flags ”) and ~* (flags 'i') answer; NULL when an argument is NULL.
func fnRegexp(args []driver.Value) (driver.Value, error) {
	pat, ok1 := textOf(args[0])
	sub, ok2 := textOf(args[1])
	if !ok1 || !ok2 {
		return nil, nil
	}
	flags, _ := textOf(args[2])
	re, err := compilePG(pat, flags)
	if err != nil {
		return nil, err
	}
	return boolInt(re.MatchString(sub)), nil
}

func boolInt(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

// pgReplacement turns PostgreSQL's replacement text (\1..\9, \& for the
// whole match, \\ for a backslash) into Go's Expand template.
func pgReplacement(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '$':
			b.WriteString("$$")
		case c == '\\' && i+1 < len(s) && s[i+1] >= '0' && s[i+1] <= '9':
			b.WriteString("${" + string(s[i+1]) + "}")
			i++
		case c == '\\' && i+1 < len(s) && s[i+1] == '&':
			b.WriteString("${0}")
			i++
		case c == '\\' && i+1 < len(s) && s[i+1] == '\\':
			b.WriteByte('\\')
			i++
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// fnRegexpReplace is regexp_replace(source, pattern, replacement
// [, flags]): the first match, or every one with the 'g' flag.
func fnRegexpReplace(args []driver.Value) (driver.Value, error) {
	if len(args) < 3 || len(args) > 4 {
		return nil, errArgs("regexp_replace", len(args))
	}
	a, null := texts(args)
	if null {
		return nil, nil
	}
	flags := ""
	if len(a) == 4 {
		flags = a[3]
	}
	re, err := compilePG(a[1], flags)
	if err != nil {
		return nil, err
	}
	tmpl := pgReplacement(a[2])
	if strings.Contains(flags, "g") {
		return re.ReplaceAllString(a[0], tmpl), nil
	}
	loc := re.FindStringSubmatchIndex(a[0])
	if loc == nil {
		return a[0], nil
	}
	out := re.ExpandString(nil, tmpl, a[0], loc)
	return a[0][:loc[0]] + string(out) + a[0][loc[1]:], nil
}

// matchArray is a match as regexp_match shows it: the captured groups (or
// the whole match without groups) as a JSON array (arrays are JSON here).
func matchArray(s string, loc []int) string {
	var parts []any
	if len(loc) == 2 {
		parts = append(parts, s[loc[0]:loc[1]])
	}
	for i := 2; i < len(loc); i += 2 {
		if loc[i] < 0 {
			parts = append(parts, nil)
		} else {
			parts = append(parts, s[loc[i]:loc[i+1]])
		}
	}
	return jsonText(parts)
}

// fnRegexpMatch is regexp_match(string, pattern[, flags]): the first
// match's groups as a JSON array, NULL without a match.
func fnRegexpMatch(args []driver.Value) (driver.Value, error) {
	if len(args) < 2 || len(args) > 3 {
		return nil, errArgs("regexp_match", len(args))
	}
	a, null := texts(args)
	if null {
		return nil, nil
	}
	flags := ""
	if len(a) == 3 {
		flags = a[2]
	}
	if strings.Contains(flags, "g") {
		return nil, funcError(sqlerr.InvalidParameterValue, "regexp_match() does not support the \"global\" option")
	}
	re, err := compilePG(a[1], flags)
	if err != nil {
		return nil, err
	}
	loc := re.FindStringSubmatchIndex(a[0])
	if loc == nil {
		return nil, nil
	}
	return matchArray(a[0], loc), nil
}

// fnRegexpMatches is regexp_matches(string, pattern[, flags]) as a
// scalar: PostgreSQL's set of arrays (one per match with 'g') becomes one
// JSON array of those arrays; NULL without a match.
func fnRegexpMatches(args []driver.Value) (driver.Value, error) {
	if len(args) < 2 || len(args) > 3 {
		return nil, errArgs("regexp_matches", len(args))
	}
	a, null := texts(args)
	if null {
		return nil, nil
	}
	flags := ""
	if len(a) == 3 {
		flags = a[2]
	}
	re, err := compilePG(a[1], flags)
	if err != nil {
		return nil, err
	}
	n := 1
	if strings.Contains(flags, "g") {
		n = -1
	}
	all := re.FindAllStringSubmatchIndex(a[0], n)
	if len(all) == 0 {
		return nil, nil
	}
	parts := make([]string, len(all))
	for i, loc := range all {
		parts[i] = matchArray(a[0], loc)
	}
	return "[" + strings.Join(parts, ", ") + "]", nil
}

// ---- comparison ----

// extreme is greatest (sign 1) or least (sign -1): NULLs are ignored,
// NULL only when all are; numbers compare as numbers, else as texts.
func extreme(args []driver.Value, sign int) (driver.Value, error) {
	var best driver.Value
	for _, a := range args {
		if a == nil {
			continue
		}
		if best == nil || compareValues(a, best)*sign > 0 {
			best = a
		}
	}
	return best, nil
}

// compareValues orders two non-NULL values: numbers numerically (a text
// that spells a number compares as one with a number), else as texts.
func compareValues(a, b driver.Value) int {
	fa, aNum := numberOf(a)
	fb, bNum := numberOf(b)
	if aNum && bNum {
		if ia, ok := a.(int64); ok {
			if ib, ok := b.(int64); ok {
				return cmpInt(ia, ib)
			}
		}
		switch {
		case fa < fb:
			return -1
		case fa > fb:
			return 1
		}
		return 0
	}
	sa, _ := textOf(a)
	sb, _ := textOf(b)
	return strings.Compare(sa, sb)
}

func cmpInt(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func numberOf(v driver.Value) (float64, bool) {
	switch x := v.(type) {
	case int64:
		return float64(x), true
	case float64:
		return x, true
	}
	return 0, false
}

// ---- strings ----

func fnLeft(args []driver.Value) (driver.Value, error) {
	s, ok := textOf(args[0])
	if !ok || args[1] == nil {
		return nil, nil
	}
	n, err := intOf("left", args[1])
	if err != nil {
		return nil, err
	}
	r := []rune(s)
	if n < 0 {
		n = max(int64(len(r))+n, 0)
	}
	return string(r[:min(n, int64(len(r)))]), nil
}

func fnRight(args []driver.Value) (driver.Value, error) {
	s, ok := textOf(args[0])
	if !ok || args[1] == nil {
		return nil, nil
	}
	n, err := intOf("right", args[1])
	if err != nil {
		return nil, err
	}
	r := []rune(s)
	if n < 0 {
		n = max(int64(len(r))+n, 0)
	}
	return string(r[int64(len(r))-min(n, int64(len(r))):]), nil
}

// maxTextLen bounds the texts lpad, rpad and repeat build (PostgreSQL's
// own limit for a value is 1 GB; a gateway keeps far below).
const maxTextLen = 64 << 20

// pad is lpad/rpad(string, length[, fill]): fill (default a space)
// repeated to length characters, the string truncated if longer.
func pad(args []driver.Value, left bool) (driver.Value, error) {
	name := "rpad"
	if left {
		name = "lpad"
	}
	if len(args) < 2 || len(args) > 3 {
		return nil, errArgs(name, len(args))
	}
	s, ok := textOf(args[0])
	fill := " "
	if len(args) == 3 {
		f, fok := textOf(args[2])
		if !fok {
			return nil, nil
		}
		fill = f
	}
	if !ok || args[1] == nil {
		return nil, nil
	}
	n, err := intOf(name, args[1])
	if err != nil {
		return nil, err
	}
	if n > maxTextLen {
		return nil, funcError(sqlerr.ProgramLimitExceeded, "requested length too large")
	}
	r := []rune(s)
	if n <= 0 {
		return "", nil
	}
	if int64(len(r)) >= n {
		return string(r[:n]), nil
	}
	f := []rune(fill)
	if len(f) == 0 {
		return s, nil
	}
	padding := make([]rune, 0, n-int64(len(r)))
	for i := 0; int64(len(padding)) < n-int64(len(r)); i++ {
		padding = append(padding, f[i%len(f)])
	}
	if left {
		return string(padding) + s, nil
	}
	return s + string(padding), nil
}

func fnRepeat(args []driver.Value) (driver.Value, error) {
	s, ok := textOf(args[0])
	if !ok || args[1] == nil {
		return nil, nil
	}
	n, err := intOf("repeat", args[1])
	if err != nil {
		return nil, err
	}
	if n <= 0 {
		return "", nil
	}
	if len(s) > 0 && n > maxTextLen/int64(len(s)) {
		return nil, funcError(sqlerr.ProgramLimitExceeded, "requested length too large")
	}
	return strings.Repeat(s, int(n)), nil
}

func fnReverse(args []driver.Value) (driver.Value, error) {
	s, ok := textOf(args[0])
	if !ok {
		return nil, nil
	}
	r := []rune(s)
	for i, j := 0, len(r)-1; i < j; i, j = i+1, j-1 {
		r[i], r[j] = r[j], r[i]
	}
	return string(r), nil
}

// fnSplitPart is split_part(string, delimiter, n): the n-th field (from
// the end for a negative n), ” past the last.
func fnSplitPart(args []driver.Value) (driver.Value, error) {
	s, ok1 := textOf(args[0])
	d, ok2 := textOf(args[1])
	if !ok1 || !ok2 || args[2] == nil {
		return nil, nil
	}
	n, err := intOf("split_part", args[2])
	if err != nil {
		return nil, err
	}
	if n == 0 {
		return nil, funcError(sqlerr.InvalidParameterValue, "field position must not be zero")
	}
	var parts []string
	if d == "" {
		parts = []string{s}
		if s == "" {
			parts = nil
		}
	} else {
		parts = strings.Split(s, d)
	}
	if n < 0 {
		n = int64(len(parts)) + n + 1
	}
	if n < 1 || n > int64(len(parts)) {
		return "", nil
	}
	return parts[n-1], nil
}

// fnStrpos is strpos(string, substring): the 1-based character position,
// 0 when absent (position(sub IN s) is strpos(s, sub)).
func fnStrpos(args []driver.Value) (driver.Value, error) {
	s, ok1 := textOf(args[0])
	sub, ok2 := textOf(args[1])
	if !ok1 || !ok2 {
		return nil, nil
	}
	i := strings.Index(s, sub)
	if i < 0 {
		return int64(0), nil
	}
	return int64(utf8.RuneCountInString(s[:i]) + 1), nil
}

// fnInitcap upper-cases the first letter of each run of letters and
// digits and lower-cases the rest.
func fnInitcap(args []driver.Value) (driver.Value, error) {
	s, ok := textOf(args[0])
	if !ok {
		return nil, nil
	}
	var b strings.Builder
	inWord := false
	for _, r := range s {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			if inWord {
				b.WriteRune(unicode.ToLower(r))
			} else {
				b.WriteRune(unicode.ToUpper(r))
			}
			inWord = true
			continue
		}
		inWord = false
		b.WriteRune(r)
	}
	return b.String(), nil
}

func fnMD5(args []driver.Value) (driver.Value, error) {
	var b []byte
	switch x := args[0].(type) {
	case nil:
		return nil, nil
	case []byte:
		b = x
	default:
		s, _ := textOf(x)
		b = []byte(s)
	}
	sum := md5.Sum(b)
	return hex.EncodeToString(sum[:]), nil
}

// fnBtrim is btrim(string[, characters]): the characters (default a
// space) removed from both ends.
func fnBtrim(args []driver.Value) (driver.Value, error) {
	if len(args) < 1 || len(args) > 2 {
		return nil, errArgs("btrim", len(args))
	}
	a, null := texts(args)
	if null {
		return nil, nil
	}
	cut := " "
	if len(a) == 2 {
		cut = a[1]
	}
	return strings.Trim(a[0], cut), nil
}

// fnTranslate replaces each character of from by the character at the
// same position of to, removing those past to's end.
func fnTranslate(args []driver.Value) (driver.Value, error) {
	a, null := texts(args)
	if null {
		return nil, nil
	}
	to := []rune(a[2])
	var b strings.Builder
	for _, r := range a[0] {
		i := strings.IndexRune(a[1], r)
		if i < 0 {
			b.WriteRune(r)
			continue
		}
		pos := utf8.RuneCountInString(a[1][:i])
		if pos < len(to) {
			b.WriteRune(to[pos])
		}
	}
	return b.String(), nil
}

func fnStartsWith(args []driver.Value) (driver.Value, error) {
	a, null := texts(args)
	if null {
		return nil, nil
	}
	return boolInt(strings.HasPrefix(a[0], a[1])), nil
}

// fnUUID is gen_random_uuid(): a version 4 UUID from crypto/rand.
func fnUUID([]driver.Value) (driver.Value, error) {
	var u [16]byte
	if _, err := rand.Read(u[:]); err != nil {
		return nil, err
	}
	u[6] = u[6]&0x0f | 0x40
	u[8] = u[8]&0x3f | 0x80
	h := hex.EncodeToString(u[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:], nil
}
