package sqlite

import (
	"strconv"
	"strings"

	"github.com/DataDog/go-sqllexer"
)

// statement is one SQL statement prepared for SQLite.
type statement struct {
	sql     string // with $n rewritten to ?n
	nParams int
	verb    string // first keyword, upper case (SELECT, INSERT, BEGIN…)
	rows    bool   // returns rows
	tx      byte   // 'B' begins, 'E' ends a transaction, 0 neither
	empty   bool
}

// split cuts a query string into statements and prepares each.
func split(query string) []statement {
	var out []statement
	var cur strings.Builder
	var words []string
	returning := false
	maxParam, bare := 0, 0
	emit := func() {
		st := statement{sql: strings.TrimSpace(cur.String()), nParams: max(maxParam, bare)}
		st.empty = len(words) == 0
		if !st.empty {
			st.verb = strings.ToUpper(words[0])
			switch st.verb {
			case "SELECT", "WITH", "VALUES", "PRAGMA", "EXPLAIN", "TABLE":
				st.rows = true
			}
			if returning {
				st.rows = true
			}
			switch st.verb {
			case "BEGIN":
				st.tx = 'B'
			case "START":
				st.tx = 'B'
				st.verb = "START TRANSACTION"
				st.sql = "BEGIN"
			case "COMMIT", "END":
				st.tx = 'E'
				st.verb = "COMMIT"
			case "ROLLBACK", "ABORT":
				if len(words) < 2 || !strings.EqualFold(words[1], "to") && !(len(words) > 2 && strings.EqualFold(words[2], "to")) {
					st.tx = 'E'
				}
				st.verb = "ROLLBACK"
			case "CREATE", "DROP", "ALTER":
				if len(words) > 1 {
					w := strings.ToUpper(words[1])
					if (w == "TEMP" || w == "TEMPORARY" || w == "UNIQUE" || w == "VIRTUAL") && len(words) > 2 {
						w = strings.ToUpper(words[2])
					}
					st.verb += " " + w
				}
			}
		}
		out = append(out, st)
		cur.Reset()
		words = words[:0]
		returning = false
		maxParam, bare = 0, 0
	}
	lx := sqllexer.New(query, sqllexer.WithDBMS(sqllexer.DBMSPostgres))
	for {
		tok := lx.Scan()
		switch tok.Type {
		case sqllexer.EOF:
			if cur.Len() > 0 || len(words) > 0 || len(out) == 0 {
				emit()
			}
			// Drop a trailing empty statement after the last ';'.
			if len(out) > 1 && out[len(out)-1].empty {
				out = out[:len(out)-1]
			}
			return out
		case sqllexer.PUNCTUATION:
			if tok.Value == ";" {
				emit()
				continue
			}
		case sqllexer.POSITIONAL_PARAMETER:
			if n, err := strconv.Atoi(tok.Value[1:]); err == nil {
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

// commandTag builds the CommandComplete tag PostgreSQL would send.
func commandTag(st *statement, n int64) string {
	switch st.verb {
	case "INSERT":
		return "INSERT 0 " + strconv.FormatInt(n, 10)
	case "UPDATE", "DELETE", "SELECT", "WITH", "VALUES", "TABLE", "PRAGMA", "EXPLAIN", "REPLACE":
		v := st.verb
		if v == "WITH" || v == "VALUES" || v == "TABLE" || v == "PRAGMA" || v == "EXPLAIN" {
			v = "SELECT"
		}
		return v + " " + strconv.FormatInt(n, 10)
	}
	return st.verb
}
