package sqlparse

import (
	"errors"
	"fmt"
	"strings"
)

// ErrAmbiguous marks text the server could read in more than one way, or
// SQL the server would run that the gateway cannot see (a version-gated
// executable comment inside a statement, SET STATEMENT … FOR, EXECUTE
// IMMEDIATE, PREPARE … FROM @var). It is not a syntax error: such text is
// refused even where unparseable text is let through.
var ErrAmbiguous = errors.New("ambiguous SQL text")

// mariaCodeBelow is the lowest version of a /*!NNNNN … */ comment that a
// server may skip: MariaDB skips 50700-99999 (MySQL 5.7 syntax), MySQL
// skips versions above its own. Below it, every supported server runs the
// comment's content as code.
const mariaCodeBelow = 50700

// mysqlServerText returns sql as a MySQL/MariaDB server reads it, for the
// TiDB parser, whose comment rules differ (it runs every /*!…*/ whatever
// the version and /*T!…*/ TiDB feature comments, reads /*+…*/ hints, and
// ignores MariaDB's /*M!…*/): the markers of executable comments that
// every server runs (/*! … */ without a version or with one below 50700)
// become empty comments, so their content is parsed as code, and TiDB
// feature comments and hints become empty comments. Nothing becomes a
// space: "--" before a space would start a comment where the server reads
// two minus signs.
//
// An executable comment the server may run or skip (/*M!…*/, /*!NNNNN…*/
// from 50700 up, six-digit versions) is read as code only when it is a
// whole statement, so that skipping it runs nothing; elsewhere, or when
// its content could end it at another place depending on the reading, the
// text is refused with ErrAmbiguous. So are comments nested in executable
// comments, line comments and statement separators inside them, "--"
// followed by a byte the two lexers class differently, and the MariaDB forms SET STATEMENT … FOR and
// EXECUTE IMMEDIATE, which run SQL the gateway would not see as such.
//
// The session settings this reading assumes (no NO_BACKSLASH_ESCAPES or
// ANSI_QUOTES in sql_mode, a client character set in which no multibyte
// character holds a quote or backslash byte) are pinned by the policy.
func mysqlServerText(sql string) (string, error) {
	if !strings.ContainsAny(sql, "/#-;") && !hasWordPrefix(sql) {
		return sql, nil
	}
	// The output is sql with some spans replaced, in order. Spans become
	// empty comments, never spaces: "--" before a space would start a
	// comment where the server reads two minus signs.
	var out strings.Builder
	out.Grow(len(sql) + 16)
	last := 0
	replace := func(from, to int, with string) {
		out.WriteString(sql[last:from])
		out.WriteString(with)
		last = to
	}
	var (
		inExec    bool // inside an executable comment's content
		uncertain bool // … one the server may skip
		execFrom  int
		// Of the statement under way: whether it holds code outside an
		// uncertain executable comment, and whether it holds such a comment.
		code, hasUncertain bool
		stmtFrom           int
	)
	endStatement := func(at int) error {
		if hasUncertain && code {
			return fmt.Errorf("%w: a version-gated executable comment (/*!NNNNN or /*M!) inside a statement is run by some servers and skipped by others; put it in a statement of its own", ErrAmbiguous)
		}
		replace(at, at, "")
		text := out.String()
		if err := checkStatementWords(text[stmtFrom:]); err != nil {
			return err
		}
		code, hasUncertain, stmtFrom = false, false, len(text)+1 // after the ;
		return nil
	}
	n := len(sql)
	for i := 0; i < n; {
		c := sql[i]
		switch {
		case c == '\'' || c == '"' || c == '`':
			end := quotedEnd(sql, i)
			if inExec && uncertain && strings.Contains(sql[i:end], "*/") {
				return "", fmt.Errorf("%w: a quoted string inside a version-gated executable comment holds */", ErrAmbiguous)
			}
			if !inExec || !uncertain {
				code = true
			}
			i = end
		case c == '#' || c == '-' && strings.HasPrefix(sql[i:], "--"):
			if c == '-' {
				if i+2 < n {
					next := sql[i+2]
					tidbSpace := next == ' ' || next >= '\t' && next <= '\r' || next == 0x85 || next == 0xa0
					serverSpace := next <= ' ' || next == 0x7f
					if tidbSpace != serverSpace {
						return "", fmt.Errorf("%w: \"--\" followed by byte 0x%02x", ErrAmbiguous, next)
					}
					if !tidbSpace {
						code = code || !inExec || !uncertain
						i += 2
						continue
					}
				}
			}
			if inExec {
				return "", fmt.Errorf("%w: a line comment inside an executable comment", ErrAmbiguous)
			}
			end := strings.IndexByte(sql[i:], '\n')
			if end < 0 {
				end = n
			} else {
				end += i
			}
			i = end // the parser reads line comments alike
		case c == '/' && strings.HasPrefix(sql[i:], "/*"):
			if inExec {
				return "", fmt.Errorf("%w: a comment nested in an executable comment", ErrAmbiguous)
			}
			rest := sql[i+2:]
			switch {
			case strings.HasPrefix(rest, "!") || strings.HasPrefix(rest, "M!") || strings.HasPrefix(rest, "m!"):
				maria := rest[0] != '!'
				j := i + 3
				if maria {
					j++
				}
				digits := 0
				for j+digits < n && digits < 7 && sql[j+digits] >= '0' && sql[j+digits] <= '9' {
					digits++
				}
				version := 0
				if digits >= 5 {
					for _, d := range sql[j : j+min(digits, 6)] {
						version = version*10 + int(d-'0')
					}
				}
				if digits < 5 {
					digits = 0 // not a version: the digits are code
				}
				uncertain = maria || digits > 5 || digits == 5 && version >= mariaCodeBelow
				if uncertain {
					// A skipping server ends the comment at the first */.
					closeAt := strings.Index(sql[i+2:], "*/")
					if closeAt < 0 {
						return "", fmt.Errorf("%w: an unterminated executable comment", ErrAmbiguous)
					}
					if strings.Contains(sql[j:i+2+closeAt], "/*") {
						// A skipping server counts it as a nested comment.
						return "", fmt.Errorf("%w: a version-gated executable comment holds /*", ErrAmbiguous)
					}
					hasUncertain = true
				}
				inExec, execFrom = true, i
				replace(i, j+digits, "/**/")
				i = j + digits
			default:
				end := strings.Index(rest, "*/")
				if end < 0 {
					// Unterminated: the parser reports it.
					out.WriteString(sql[last:])
					return out.String(), nil
				}
				end += i + 4
				if strings.HasPrefix(rest, "+") || strings.HasPrefix(rest, "T!") || strings.HasPrefix(rest, "t!") {
					// A hint or a TiDB feature comment: the parser would read
					// the content; the server does not.
					replace(i, end, "/**/")
				}
				i = end
			}
		case c == '*' && inExec && strings.HasPrefix(sql[i:], "*/"):
			if uncertain && strings.Index(sql[execFrom+2:], "*/")+execFrom+2 != i {
				return "", fmt.Errorf("%w: a version-gated executable comment ends at different places when run and when skipped", ErrAmbiguous)
			}
			replace(i, i+2, "/**/")
			inExec, uncertain = false, false
			i += 2
		case c == ';':
			if inExec {
				// MariaDB does not split statements there as the parser does.
				return "", fmt.Errorf("%w: a statement separator inside an executable comment", ErrAmbiguous)
			}
			if err := endStatement(i); err != nil {
				return "", err
			}
			i++
		default:
			if c != ' ' && c != '\t' && c != '\n' && c != '\r' && c != '\f' && (!inExec || !uncertain) {
				code = true
			}
			i++
		}
	}
	if inExec {
		return "", fmt.Errorf("%w: an unterminated executable comment", ErrAmbiguous)
	}
	if err := endStatement(n); err != nil {
		return "", err
	}
	out.WriteString(sql[last:])
	return out.String(), nil
}

// quotedEnd returns the offset after the string or quoted identifier that
// starts at i (the end of sql when unterminated). Strings take backslash
// escapes and doubled quotes; backtick identifiers only doubled ones.
func quotedEnd(sql string, i int) int {
	q := sql[i]
	for j := i + 1; j < len(sql); j++ {
		switch sql[j] {
		case '\\':
			if q != '`' {
				j++
			}
		case q:
			if j+1 < len(sql) && sql[j+1] == q {
				j++
				continue
			}
			return j + 1
		}
	}
	return len(sql)
}

// hasWordPrefix reports whether sql may start with a word that
// checkStatementWords looks at.
func hasWordPrefix(sql string) bool {
	w := strings.ToLower(strings.TrimSpace(sql))
	return strings.HasPrefix(w, "set") || strings.HasPrefix(w, "execute")
}

// checkStatementWords refuses the MariaDB statement forms that run text
// the parser does not read as a statement of its own.
func checkStatementWords(stmt string) error {
	first, rest := leadingWord(stmt)
	second, _ := leadingWord(rest)
	switch {
	case first == "set" && second == "statement":
		return fmt.Errorf("%w: SET STATEMENT … FOR is not supported by the gateway; set the variable in its own statement", ErrAmbiguous)
	case first == "execute" && second == "immediate":
		return fmt.Errorf("%w: EXECUTE IMMEDIATE runs SQL text the gateway cannot check; send the statement itself", ErrAmbiguous)
	}
	return nil
}

// leadingWord returns the first word of s (after white space and
// comments), lower case, and what follows it.
func leadingWord(s string) (string, string) {
	for {
		s = strings.TrimLeft(s, " \t\n\r\f")
		switch {
		case strings.HasPrefix(s, "/*"):
			end := strings.Index(s[2:], "*/")
			if end < 0 {
				return "", ""
			}
			s = s[end+4:]
			continue
		case strings.HasPrefix(s, "#") || strings.HasPrefix(s, "-- ") || strings.HasPrefix(s, "--\t") || strings.HasPrefix(s, "--\n"):
			end := strings.IndexByte(s, '\n')
			if end < 0 {
				return "", ""
			}
			s = s[end+1:]
			continue
		}
		break
	}
	end := 0
	for end < len(s) {
		c := s[end]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '$') {
			break
		}
		end++
	}
	return strings.ToLower(s[:end]), s[end:]
}

// MySQLServerText returns sql as a MySQL/MariaDB server reads its
// comments: the content of executable comments every server runs is code,
// other comments stay comments (see mysqlServerText). Classifiers that
// lex the text themselves (session effects, routing) use it so that
// /*!40101 USE other */ is not taken for a comment. ErrAmbiguous: the
// server may read the text in more than one way.
func MySQLServerText(sql string) (string, error) { return mysqlServerText(sql) }
