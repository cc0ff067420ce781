package policy

import (
	"slices"
	"strings"

	"github.com/floe-db/floe/internal/sqlparse"
)

// Rules for injections that extract data rather than widen a condition.
const (
	RuleExtraction   = "sqli.blind-extraction"
	RuleErrorBased   = "sqli.error-based"
	RuleCharBuild    = "sqli.char-encoding"
	RuleUnionForeign = "sqli.union-foreign"
)

// inspectExtraction adds the findings about one statement that reveal
// hidden values: boolean-blind and error-based probes, strings built from
// character codes, set-operation arms that select other columns, session
// value keywords and network paths handed to file functions.
func inspectExtraction(st *sqlparse.Statement, add func(rule, reason string, block bool)) {
	if st.Extraction > 0 {
		add(RuleExtraction, "a condition tests a character or the length of a subquery's or the server's value", true)
	}
	if st.ErrorProbe {
		add(RuleErrorBased, "a subquery's or the server's value is passed to a cast or function whose error message shows it", true)
	}
	if st.CharBuild {
		add(RuleCharBuild, "a string is built from character codes (CHR, CHAR or hex literals)", true)
	}
	if st.UnionForeign {
		add(RuleUnionForeign, "a UNION arm selects other columns, constants or NULLs where the first arm selects columns", true)
	}
	// Session keywords are reported only: `owner = current_user` is how
	// applications scope rows; comparing one with a constant or taking it
	// apart is sqli.blind-extraction.
	for _, v := range st.InfoValues {
		add(RuleServerInfo, "reads "+strings.ToLower(v)+", which reveals the session", false)
	}
	if st.FileAccess || slices.ContainsFunc(st.Functions, func(f string) bool { return functionClass(f) == classFile }) {
		for _, s := range st.Strings {
			if strings.HasPrefix(s, `\\`) {
				add(RuleOOB, "a file on a network path ("+s+") is read or written: an out-of-band channel", true)
				break
			}
		}
	}
}

// stackedAfter reports whether next, following first in one text, is an
// injected statement rather than part of a batch: a batch repeats the
// first statement's kind on the same tables, or ends a transaction.
func stackedAfter(first, next *sqlparse.Statement) bool {
	if next.Privileged != "" {
		return true
	}
	if next.Kind == sqlparse.KindTCL {
		return false
	}
	if next.Kind != first.Kind {
		return true
	}
	names := func(st *sqlparse.Statement) []string {
		var out []string
		for _, t := range st.Tables {
			out = append(out, strings.ToLower(t.String()))
		}
		slices.Sort(out)
		return slices.Compact(out)
	}
	return !slices.Equal(names(first), names(next))
}
