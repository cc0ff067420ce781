package catalog

import (
	"strings"
)

// SQLite keeps each object's CREATE statement as written; what its
// pragmas do not tell (CHECK constraints, an index's expressions and
// WHERE, a view's query) is read from that text with the small scanner
// below: quotes and parentheses only, the rest is copied as written.

// token is a word, a quoted string or name, or one punctuation character
// of a CREATE statement, with its place in the text.
type token struct {
	text       string
	start, end int
	depth      int // parentheses around it (a '(' counts itself out)
}

func scan(s string) []token {
	var out []token
	depth := 0
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case c == '-' && i+1 < len(s) && s[i+1] == '-':
			for i < len(s) && s[i] != '\n' {
				i++
			}
		case c == '/' && i+1 < len(s) && s[i+1] == '*':
			j := strings.Index(s[i+2:], "*/")
			if j < 0 {
				return out
			}
			i += j + 4
		case c == '\'' || c == '"' || c == '`' || c == '[':
			end := c
			if c == '[' {
				end = ']'
			}
			j := i + 1
			for j < len(s) {
				if s[j] == end {
					if end != ']' && j+1 < len(s) && s[j+1] == end {
						j += 2
						continue
					}
					break
				}
				j++
			}
			j = min(j+1, len(s))
			out = append(out, token{s[i:j], i, j, depth})
			i = j
		case c == '(':
			out = append(out, token{"(", i, i + 1, depth})
			depth++
			i++
		case c == ')':
			depth--
			out = append(out, token{")", i, i + 1, depth})
			i++
		case isWordByte(c):
			j := i
			for j < len(s) && isWordByte(s[j]) {
				j++
			}
			out = append(out, token{s[i:j], i, j, depth})
			i = j
		default:
			out = append(out, token{s[i : i+1], i, i + 1, depth})
			i++
		}
	}
	return out
}

func isWordByte(c byte) bool {
	return c == '_' || c == '$' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= 0x80
}

// unquoteName is a name as written, without its quotes.
func unquoteName(s string) string {
	if len(s) >= 2 {
		switch s[0] {
		case '"', '`':
			return strings.ReplaceAll(s[1:len(s)-1], s[:1]+s[:1], s[:1])
		case '[':
			return s[1 : len(s)-1]
		}
	}
	return s
}

// closing is the index of the ')' that closes the '(' at toks[i].
func closing(toks []token, i int) int {
	for j := i + 1; j < len(toks); j++ {
		if toks[j].text == ")" && toks[j].depth == toks[i].depth {
			return j
		}
	}
	return -1
}

// checks are the CHECK constraints of a CREATE TABLE statement, named as
// PostgreSQL names them when the statement does not (table_column_check
// for a column's, table_check for the table's).
func checks(sql, table string) []*constraint {
	toks := scan(sql)
	open := -1
	for i, t := range toks {
		if t.text == "(" && t.depth == 0 {
			open = i
			break
		}
	}
	if open < 0 {
		return nil
	}
	end := closing(toks, open)
	if end < 0 {
		return nil
	}
	var out []*constraint
	seen := map[string]int{}
	// Each top-level definition between commas.
	for i := open + 1; i < end; {
		j := i
		for j < end && !(toks[j].text == "," && toks[j].depth == 1) {
			j++
		}
		def := toks[i:j]
		column := ""
		if len(def) > 0 {
			switch strings.ToUpper(def[0].text) {
			case "CONSTRAINT", "CHECK", "PRIMARY", "UNIQUE", "FOREIGN":
			default:
				column = unquoteName(def[0].text)
			}
		}
		name := ""
		for k := 0; k < len(def); k++ {
			w := strings.ToUpper(def[k].text)
			if w == "CONSTRAINT" && k+1 < len(def) {
				name = unquoteName(def[k+1].text)
				k++
				continue
			}
			if w != "CHECK" || k+1 >= len(def) || def[k+1].text != "(" {
				if w != "CONSTRAINT" && (w == "NOT" || w == "NULL" || w == "DEFAULT" || w == "UNIQUE" || w == "PRIMARY" || w == "REFERENCES" || w == "COLLATE") {
					name = ""
				}
				continue
			}
			close := -1
			for m := k + 2; m < len(def); m++ {
				if def[m].text == ")" && def[m].depth == def[k+1].depth {
					close = m
					break
				}
			}
			if close < 0 {
				break
			}
			expr := pgText(strings.TrimSpace(sql[def[k+1].end:def[close].start]))
			cname := name
			if cname == "" {
				base := table + "_check"
				if column != "" {
					base = table + "_" + column + "_check"
				}
				cname = base
				if n := seen[base]; n > 0 {
					cname = base + itoa(n)
				}
				seen[base]++
			}
			c := &constraint{name: cname, typ: 'c', expr: expr, def: "CHECK (" + expr + ")"}
			if column != "" {
				c.colNames = []string{column}
			}
			out = append(out, c)
			name = ""
			k = close
		}
		i = j + 1
	}
	return out
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b []byte
	for ; n > 0; n /= 10 {
		b = append([]byte{byte('0' + n%10)}, b...)
	}
	return string(b)
}

// indexColumns is the column list of a CREATE INDEX statement as written
// and its WHERE clause ("" when none).
func indexColumns(sql string) (list, where string) {
	toks := scan(sql)
	for i, t := range toks {
		if t.depth == 0 && strings.EqualFold(t.text, "ON") {
			for j := i + 1; j < len(toks); j++ {
				if toks[j].text == "(" && toks[j].depth == 0 {
					end := closing(toks, j)
					if end < 0 {
						return "", ""
					}
					list = pgText(strings.TrimSpace(sql[toks[j].end:toks[end].start]))
					for k := end + 1; k < len(toks); k++ {
						if strings.EqualFold(toks[k].text, "WHERE") && toks[k].depth == 0 {
							where = pgText(strings.TrimSpace(sql[toks[k].end:]))
						}
					}
					return list, where
				}
			}
		}
	}
	return "", ""
}

// viewQuery is the query of a CREATE VIEW statement (pg_get_viewdef).
func viewQuery(sql string) string {
	for _, t := range scan(sql) {
		if t.depth == 0 && strings.EqualFold(t.text, "AS") {
			return pgText(strings.TrimSpace(sql[t.end:]))
		}
	}
	return ""
}

// pgText is a piece of SQLite's CREATE text as PostgreSQL would show it:
// names quoted in SQLite's ways (`name`, [name], "name") are quoted only
// where PostgreSQL needs it; the rest is kept as written.
func pgText(s string) string {
	if !strings.ContainsAny(s, "`[\"") {
		return s
	}
	var b strings.Builder
	last := 0
	for _, t := range scan(s) {
		switch t.text[0] {
		case '`', '[', '"':
			b.WriteString(s[last:t.start])
			b.WriteString(quoteIdent(unquoteName(t.text)))
			last = t.end
		}
	}
	b.WriteString(s[last:])
	return b.String()
}
