package sqlite

import (
	"encoding/hex"
	"math"
	"strconv"
	"strings"

	"github.com/DataDog/go-sqllexer"

	"github.com/floe-db/floe/internal/analysis"
	"github.com/floe-db/floe/internal/sqlerr"
)

// Statement is one SQL statement prepared for SQLite.
type Statement struct {
	SQL     string // with $n rewritten to ?n
	NParams int
	Verb    string // first keyword, upper case (SELECT, INSERT, BEGIN…)
	Rows    bool   // returns rows
	Tx      byte   // 'B' begins, 'E' ends a transaction, 0 neither
	Empty   bool
	// Tables the statement names and, per parameter, the column it is
	// compared with or assigned to ("" when unknown): enough to give
	// parameters the column's type.
	Tables    []string
	ParamCols []string
	// ColTypes, per result column: the type the translation knows,
	// TypeUnknown if none (a cursor uses it for a column without a
	// declared type).
	ColTypes []Type
	// Name is the statement name of SQL PREPARE, EXECUTE and DEALLOCATE
	// ("" for DEALLOCATE ALL); Prepared is PREPARE's statement,
	// translated, and an EXECUTE's SQL selects its arguments.
	Name     string
	Prepared *Statement
	// DescribeSQL, for INSERT, UPDATE and DELETE … RETURNING, is a query
	// with the statement's result columns that changes nothing (a
	// describe runs it instead of the statement).
	DescribeSQL string
	// My is what the MySQL translation adds (translate_my.go); nil for a
	// PostgreSQL-dialect text and for a MySQL text the parser cannot read.
	My *MyStatement
}

// PGStatements are the SQLite statements of a PostgreSQL-dialect text:
// translated once per text from its parse (translate_pg.go) and kept
// with its analysis, so a text seen before is not parsed again. The
// slice is shared: its statements are read only. A text the parser does
// not read is split by the lexer and runs as written, unless SQLite
// would read it otherwise (CheckPGText); err is that refusal, or a
// statement that cannot be translated.
func PGStatements(a *analysis.Analysis) ([]Statement, error) {
	r := a.Derived(analysis.SlotEngine, splitPG).(pgSplit)
	return r.stmts, r.err
}

type pgSplit struct {
	stmts []Statement
	err   error
}

// MyStatements are PGStatements for a MySQL-dialect text: each statement
// parsed and printed as SQLite SQL (translateMySQL).
func MyStatements(a *analysis.Analysis) []Statement {
	return a.Derived(analysis.SlotEngine, splitMySQL).([]Statement)
}

// The two analyzers (one per pipeline) each fill their slot with one of
// these, as Derived requires.
func splitPG(a *analysis.Analysis) any {
	// The policy's parse decides whether the text is read as parsed: the
	// statement printed is the one the policy read.
	if _, err := a.Statements(); err == nil {
		if stmts, ok, err := translatePG(a.Text); ok {
			return pgSplit{stmts: stmts, err: err}
		}
	}
	if err := CheckPGText(a.Text); err != nil {
		return pgSplit{err: err}
	}
	return pgSplit{stmts: split(a.Text)}
}
func splitMySQL(a *analysis.Analysis) any { return translateMySQL(a.Text) }

// CheckPGText refuses a PostgreSQL-dialect text that SQLite would read
// otherwise than the policy's (PostgreSQL) parser did, so that the
// policy's reading is SQLite's: PostgreSQL nests block comments where
// SQLite ends one at the first "*/" (SQL inside a nested comment would
// run unread), and only PostgreSQL reads backslash escapes in E'…' strings
// (SQLite would end the string elsewhere). Neither form runs on SQLite
// otherwise.
func CheckPGText(text string) error {
	if !strings.Contains(text, "/*") && !strings.Contains(text, `\`) {
		return nil
	}
	lx := sqllexer.New(text, sqllexer.WithDBMS(sqllexer.DBMSPostgres))
	prevE := false // the previous token is the identifier E, touching this one
	for {
		tok := lx.Scan()
		switch tok.Type {
		case sqllexer.EOF, sqllexer.ERROR:
			return nil
		case sqllexer.COMMENT, sqllexer.MULTILINE_COMMENT:
			if strings.HasPrefix(tok.Value, "/*") && strings.Contains(tok.Value[2:], "/*") {
				return sqlerr.New(sqlerr.SyntaxError, "nested block comments are not supported by SQLite databases")
			}
		case sqllexer.STRING, sqllexer.INCOMPLETE_STRING:
			v := tok.Value
			if strings.Contains(v, `\`) && (prevE || strings.HasPrefix(v, "E'") || strings.HasPrefix(v, "e'")) {
				return sqlerr.New(sqlerr.SyntaxError, "E'' strings with backslash escapes are not supported by SQLite databases")
			}
		}
		prevE = tok.Type == sqllexer.IDENT && strings.EqualFold(tok.Value, "e")
	}
}

// mysqlLiterals rewrites a MySQL-dialect text's string literals into the
// form SQLite reads the same values from: MySQL reads backslash escapes
// in strings and double quotes as string quotes, SQLite neither (it
// would end 'a\' …' at the second quote and run what follows, which the
// policy read as part of the string). Each string is written again
// single-quoted, its escapes decoded; _binary strings become blob
// literals. Texts the lexer cannot read are left as they are (the policy
// refused them).
func mysqlLiterals(q string) string {
	if !strings.ContainsAny(q, `\"`) && !strings.Contains(strings.ToLower(q), "_binary") {
		return q
	}
	var b strings.Builder
	lx := sqllexer.New(q, sqllexer.WithDBMS(sqllexer.DBMSMySQL))
	pendingIntro := false
	for {
		tok := lx.Scan()
		switch tok.Type {
		case sqllexer.EOF:
			return b.String()
		case sqllexer.ERROR, sqllexer.UNKNOWN, sqllexer.INCOMPLETE_STRING:
			return q
		}
		switch {
		case tok.Type == sqllexer.IDENT && strings.EqualFold(tok.Value, "_binary"):
			pendingIntro = true
			continue
		case pendingIntro && tok.Type == sqllexer.SPACE:
			continue
		case tok.Type == sqllexer.STRING && len(tok.Value) >= 2 && (tok.Value[0] == '\'' || tok.Value[0] == '"'):
			v := mysqlUnquote(tok.Value)
			if pendingIntro {
				b.WriteString("X'" + hex.EncodeToString([]byte(v)) + "'")
			} else if strings.IndexByte(v, 0) >= 0 {
				b.WriteString("CAST(X'" + hex.EncodeToString([]byte(v)) + "' AS TEXT)")
			} else {
				b.WriteString("'" + strings.ReplaceAll(v, "'", "''") + "'")
			}
			pendingIntro = false
			continue
		case pendingIntro:
			b.WriteString("_binary ")
		}
		pendingIntro = false
		b.WriteString(tok.Value)
	}
}

// mysqlUnquote is the value of a MySQL string literal ('…' or "…"):
// doubled quotes and backslash escapes decoded as the server does
// (\% and \_ keep their backslash, for LIKE).
func mysqlUnquote(lit string) string {
	q := lit[0]
	in := lit[1 : len(lit)-1]
	var b strings.Builder
	for i := 0; i < len(in); i++ {
		c := in[i]
		switch {
		case c == q && i+1 < len(in) && in[i+1] == q:
			b.WriteByte(q)
			i++
		case c == '\\' && i+1 < len(in):
			i++
			switch e := in[i]; e {
			case '0':
				b.WriteByte(0)
			case 'b':
				b.WriteByte('\b')
			case 'n':
				b.WriteByte('\n')
			case 'r':
				b.WriteByte('\r')
			case 't':
				b.WriteByte('\t')
			case 'Z':
				b.WriteByte(0x1a)
			case '%', '_':
				b.WriteByte('\\')
				b.WriteByte(e)
			default:
				b.WriteByte(e)
			}
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// split cuts a query string into statements and prepares each.
func split(query string) []Statement {
	var out []Statement
	var cur strings.Builder
	var words []string
	var toks []*sqllexer.Token
	returning := false
	maxParam, bare := 0, 0
	emit := func() {
		st := Statement{SQL: strings.TrimSpace(cur.String()), NParams: max(maxParam, min(bare, 65535))}
		st.Empty = len(words) == 0
		if !st.Empty {
			st.Verb = strings.ToUpper(words[0])
			switch st.Verb {
			case "SELECT", "WITH", "VALUES", "PRAGMA", "EXPLAIN", "TABLE":
				st.Rows = true
			}
			if returning {
				st.Rows = true
			}
			switch st.Verb {
			case "BEGIN":
				st.Tx = 'B'
			case "START":
				st.Tx = 'B'
				st.Verb = "START TRANSACTION"
				st.SQL = "BEGIN"
			case "COMMIT", "END":
				st.Tx = 'E'
				st.Verb = "COMMIT"
			case "ROLLBACK", "ABORT":
				if len(words) < 2 || !strings.EqualFold(words[1], "to") && !(len(words) > 2 && strings.EqualFold(words[2], "to")) {
					st.Tx = 'E'
				}
				st.Verb = "ROLLBACK"
			case "CREATE", "DROP", "ALTER":
				if len(words) > 1 {
					w := strings.ToUpper(words[1])
					if (w == "TEMP" || w == "TEMPORARY" || w == "UNIQUE" || w == "VIRTUAL") && len(words) > 2 {
						w = strings.ToUpper(words[2])
					}
					st.Verb += " " + w
				}
			}
		}
		st.Tables, st.ParamCols = paramContext(toks, st.NParams)
		out = append(out, st)
		cur.Reset()
		words = words[:0]
		toks = toks[:0]
		returning = false
		maxParam, bare = 0, 0
	}
	lx := sqllexer.New(query, sqllexer.WithDBMS(sqllexer.DBMSPostgres))
	for {
		tok := lx.Scan()
		if tok.Type != sqllexer.SPACE && tok.Type != sqllexer.COMMENT && tok.Type != sqllexer.MULTILINE_COMMENT && tok.Type != sqllexer.EOF {
			cp := *tok
			toks = append(toks, &cp)
		}
		switch tok.Type {
		case sqllexer.EOF:
			if cur.Len() > 0 || len(words) > 0 || len(out) == 0 {
				emit()
			}
			// Drop a trailing empty statement after the last ';'.
			if len(out) > 1 && out[len(out)-1].Empty {
				out = out[:len(out)-1]
			}
			return out
		case sqllexer.PUNCTUATION:
			if tok.Value == ";" {
				emit()
				continue
			}
		case sqllexer.POSITIONAL_PARAMETER:
			// PostgreSQL allows at most 65535 parameters; a larger number is
			// left for SQLite to reject.
			if n, err := strconv.Atoi(tok.Value[1:]); err == nil && n >= 1 && n <= 65535 {
				maxParam = max(maxParam, n)
				cur.WriteString("?" + tok.Value[1:])
				continue
			}
		case sqllexer.OPERATOR:
			if tok.Value == "?" {
				bare++
			}
		case sqllexer.COMMENT, sqllexer.MULTILINE_COMMENT:
			cur.WriteString(tok.Value)
			continue
		case sqllexer.SPACE:
		default:
			if tok.Type != sqllexer.STRING && tok.Type != sqllexer.NUMBER && tok.Type != sqllexer.QUOTED_IDENT {
				if strings.EqualFold(tok.Value, "returning") {
					returning = true
				}
				if len(words) < 3 {
					words = append(words, tok.Value)
				}
			} else if len(words) == 0 {
				words = append(words, "?")
			}
		}
		cur.WriteString(tok.Value)
	}
}

// paramContext finds the tables a statement names and, for each $n, the
// column it meets: "col = $n", "$n = col", "SET col = $n", and the
// column lists of INSERT … (cols) VALUES (…).
func paramContext(toks []*sqllexer.Token, n int) (tables, cols []string) {
	if n == 0 {
		return nil, nil
	}
	cols = make([]string, n)
	ident := func(t *sqllexer.Token) (string, bool) {
		switch t.Type {
		case sqllexer.IDENT, sqllexer.QUOTED_IDENT:
			v := strings.Trim(t.Value, `"`)
			if i := strings.LastIndexByte(v, '.'); i >= 0 {
				v = v[i+1:]
			}
			return strings.Trim(v, `"`), true
		}
		return "", false
	}
	param := func(t *sqllexer.Token) int {
		if t.Type != sqllexer.POSITIONAL_PARAMETER {
			return 0
		}
		k, err := strconv.Atoi(t.Value[1:])
		if err != nil || k < 1 || k > n {
			return 0
		}
		return k
	}
	isCmp := func(t *sqllexer.Token) bool {
		switch strings.ToLower(t.Value) {
		case "=", "<", ">", "<=", ">=", "<>", "!=", "like", "glob", "is":
			return true
		}
		return false
	}
	for i, t := range toks {
		switch strings.ToLower(t.Value) {
		case "from", "join", "into", "update", "table":
			if i+1 < len(toks) {
				if name, ok := ident(toks[i+1]); ok {
					tables = append(tables, name)
				}
			}
		}
		if k := param(t); k > 0 && cols[k-1] == "" {
			if i >= 2 && isCmp(toks[i-1]) {
				if c, ok := ident(toks[i-2]); ok {
					cols[k-1] = c
				}
			}
			if cols[k-1] == "" && i+2 < len(toks) && isCmp(toks[i+1]) {
				if c, ok := ident(toks[i+2]); ok {
					cols[k-1] = c
				}
			}
		}
	}
	// INSERT INTO t (a, b, …) VALUES ($1, $2, …)
	for i := 0; i+1 < len(toks); i++ {
		if !strings.EqualFold(toks[i].Value, "into") {
			continue
		}
		j := i + 2
		if j >= len(toks) || toks[j].Value != "(" {
			break
		}
		var names []string
		for j++; j < len(toks) && toks[j].Value != ")"; j++ {
			if c, ok := ident(toks[j]); ok {
				names = append(names, c)
			}
		}
		for ; j < len(toks); j++ {
			if !strings.EqualFold(toks[j].Value, "values") {
				continue
			}
			// Each parenthesised row: position counts top-level commas.
			depth, pos := 0, 0
			for j++; j < len(toks); j++ {
				switch toks[j].Value {
				case "(":
					depth++
					if depth == 1 {
						pos = 0
					}
					continue
				case ")":
					depth--
					continue
				case ",":
					if depth == 1 {
						pos++
					}
					continue
				}
				if k := param(toks[j]); k > 0 && depth == 1 && pos < len(names) && cols[k-1] == "" {
					// Only a bare parameter takes the column's type.
					if toks[j-1].Value == "(" || toks[j-1].Value == "," {
						cols[k-1] = names[pos]
					}
				}
			}
		}
		break
	}
	return tables, cols
}

// SelectList returns the top-level expressions of the first SELECT list in
// sql, each without its alias, or nil when there is none.
func SelectList(sql string) []string {
	lx := sqllexer.New(sql, sqllexer.WithDBMS(sqllexer.DBMSPostgres))
	var items []string
	var cur strings.Builder
	depth, in := 0, false
	for {
		tok := lx.Scan()
		if tok.Type == sqllexer.EOF {
			break
		}
		if !in {
			if strings.EqualFold(tok.Value, "select") {
				in = true
			}
			continue
		}
		v := tok.Value
		if depth == 0 && (strings.EqualFold(v, "from") || v == ";" || strings.EqualFold(v, "where") ||
			strings.EqualFold(v, "union") || strings.EqualFold(v, "order") || strings.EqualFold(v, "group") || strings.EqualFold(v, "limit")) {
			break
		}
		switch v {
		case "(":
			depth++
		case ")":
			depth--
		case ",":
			if depth == 0 {
				items = append(items, cur.String())
				cur.Reset()
				continue
			}
		}
		cur.WriteString(v)
	}
	if cur.Len() > 0 {
		items = append(items, cur.String())
	}
	for i, it := range items {
		it = strings.TrimSpace(it)
		// Drop "AS alias" / a trailing bare alias after a closing parenthesis or name.
		low := strings.ToLower(it)
		if j := strings.LastIndex(low, " as "); j >= 0 && !strings.Contains(low[j:], ")") {
			it = strings.TrimSpace(it[:j])
		}
		items[i] = it
	}
	return items
}

// ExprType guesses the type of a SELECT expression that SQLite cannot
// type without rows, from its shape and the types of the columns it uses
// (TypeUnknown when it cannot tell).
func ExprType(expr string, colTypes map[string]Type) Type {
	e := strings.ToLower(strings.TrimSpace(expr))
	fn, arg, isCall := strings.Cut(e, "(")
	fn = strings.TrimSpace(fn)
	arg = strings.TrimSuffix(strings.TrimSpace(arg), ")")
	inner := func() Type {
		a := arg
		if k := strings.LastIndexByte(a, '.'); k >= 0 {
			a = a[k+1:]
		}
		if t, ok := colTypes[strings.Trim(a, "\"` ")]; ok {
			return t
		}
		return TypeUnknown
	}
	if isCall {
		switch fn {
		case "length", "instr", "unicode":
			return TypeInt4
		case "count", "changes", "total_changes", "last_insert_rowid", "random":
			return TypeInt
		case "avg", "total":
			return TypeFloat
		case "sum", "floe_numeric_sum", "min", "max", "abs":
			t := inner()
			if t.IsInt() && (fn == "sum" || fn == "floe_numeric_sum") {
				// PostgreSQL's sum of integers is a bigint.
				return TypeInt
			}
			if t.IsInt() || t == TypeFloat || t == TypeNumeric {
				return t
			}
			switch fn {
			case "sum":
				return TypeFloat
			case "floe_numeric_sum":
				// The exact sum of the translation (a NUMERIC column's).
				return TypeNumeric
			}
		case "round":
			return TypeFloat
		case "lower", "upper", "trim", "ltrim", "rtrim", "substr", "replace", "printf", "format", "group_concat", "typeof", "hex", "quote", "date", "time", "datetime", "strftime":
			return TypeText
		}
		return TypeUnknown
	}
	if n, err := strconv.ParseInt(e, 10, 64); err == nil {
		if n >= math.MinInt32 && n <= math.MaxInt32 {
			return TypeInt4
		}
		return TypeInt
	}
	if _, err := strconv.ParseFloat(e, 64); err == nil {
		return TypeFloat
	}
	if strings.HasPrefix(e, "'") {
		return TypeText
	}
	return TypeUnknown
}
