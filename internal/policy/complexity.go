package policy

import (
	"errors"

	"github.com/floe-db/floe/internal/sqlerr"
	"github.com/floe-db/floe/internal/sqlparse"
)

// RuleComplex refuses a text over the parser limits (sqlparse.Limits):
// too long, too many tokens, or nested or chained too deep. Such a text
// is never parsed, whatever policy.unparseable says, and the check is on
// even when no policy is configured: the parsers that would read it run
// in the gateway's process.
const RuleComplex = "parse.too-complex"

// complexityDenial is the refusal for err, a *sqlparse.LimitError:
// SQLSTATE 54001 (statement_too_complex) and MySQL's 1436 (thread stack
// overrun), as the servers answer such texts themselves.
func complexityDenial(err error) *Denial {
	return &Denial{Rule: RuleComplex, Code: sqlerr.StatementTooComplex, Errno: sqlerr.ErStackOverrunNeedMore, Message: err.Error()}
}

// checkComplexity runs the parser limits' pre-scan on sql (linear, no
// parse) for a policy that does not otherwise read the text.
func checkComplexity(d Dialect, sql string) *Denial {
	check := sqlparse.CheckPostgres
	if d == MySQL {
		check = sqlparse.CheckMySQL
	}
	if err := check(sql); err != nil {
		return complexityDenial(err)
	}
	return nil
}

// tooComplex reports the refusal for a parse error that is a parser
// limit (nil for any other error).
func tooComplex(err error) *Denial {
	if errors.Is(err, sqlparse.ErrTooComplex) {
		return complexityDenial(err)
	}
	return nil
}
