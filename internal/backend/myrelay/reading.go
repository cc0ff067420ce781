package myrelay

import (
	"strings"

	"github.com/floe-db/floe/internal/sqlparse"
)

// effectsText is q for the session-effects classifier, with executable
// comments read as the server reads them: /*!40101 USE other */ and
// /*M! SET @x = 1 */ move or pin the backend connection like the bare
// statements. Text the server could read two ways (which the policy
// refuses when it is on) has every executable comment's markers removed,
// so the classifier sees all that may run.
func effectsText(q string) string {
	if !strings.Contains(q, "/*") {
		return q
	}
	if t, err := sqlparse.MySQLServerText(q); err == nil {
		return t
	}
	return strings.NewReplacer("/*!", "   ", "/*M!", "    ", "/*m!", "    ").Replace(q)
}
