package sqlparse

import (
	"fmt"
	"testing"
)

func TestShapeExtraction(t *testing.T) {
	facts := func(sh Shape) string {
		return fmt.Sprintf("extract=%v error=%v chars=%v union=%v", sh.Extraction > 0, sh.ErrorProbe, sh.CharBuild, sh.UnionForeign)
	}
	none := "extract=false error=false chars=false union=false"
	for _, tt := range []struct {
		dialect string // "pg", "my" or "" for both
		sql     string
		want    string
	}{
		{"", "SELECT id FROM users WHERE id = 1 AND ascii(substr((SELECT k FROM secrets LIMIT 1), 1, 1)) > 104", "extract=true error=false chars=false union=false"},
		{"", "SELECT id FROM users WHERE id = 1 AND (SELECT substr(k, 1, 1) FROM secrets LIMIT 1) = 'a'", "extract=true error=false chars=false union=false"},
		{"", "SELECT id FROM users WHERE id = 1 AND length(version()) > 3", "extract=true error=false chars=false union=false"},
		{"my", "SELECT id FROM users WHERE id = 1 AND ORD(MID(@@version, 1, 1))", "extract=true error=false chars=false union=false"},
		{"pg", "SELECT id FROM users WHERE current_user = 'postgres'", "extract=true error=false chars=false union=false"},
		{"", "SELECT id FROM users WHERE substr(name, 1, 1) = 'a'", none},
		{"", "SELECT id FROM users u WHERE (SELECT count(*) FROM orders o WHERE o.uid = u.id) > 5", none},
		{"pg", "SELECT id FROM docs WHERE owner = current_user", none},
		{"pg", "SELECT 1 FROM users WHERE 1 = CAST((SELECT k FROM secrets LIMIT 1) AS int)", "extract=false error=true chars=false union=false"},
		{"pg", "SELECT CAST((SELECT count(*) FROM secrets) AS int)", none},
		{"my", "SELECT 1 FROM users WHERE id = 1 AND updatexml(1, concat(0x7e, version()), 1)", "extract=false error=true chars=false union=false"},
		{"pg", "SELECT id FROM users WHERE name = chr(97) || chr(98)", "extract=false error=false chars=true union=false"},
		{"pg", "SELECT id FROM users WHERE name = 'a' || chr(10) || 'b'", none},
		{"my", "SELECT id FROM users WHERE name = CHAR(97, 98, 99)", "extract=false error=false chars=true union=false"},
		{"my", "SELECT id FROM users WHERE name = CHAR(97)", none},
		{"", "SELECT id, name FROM users WHERE id = 1 UNION SELECT NULL, k FROM secrets", "extract=false error=false chars=false union=true"},
		{"", "SELECT id, name FROM users WHERE id = 1 UNION ALL SELECT id, password FROM users", "extract=false error=false chars=false union=true"},
		{"", "SELECT id, name FROM a UNION ALL SELECT id, name FROM b", none},
		{"", "SELECT 'a' AS kind, id FROM a UNION ALL SELECT 'b', id FROM b", none},
		{"", "SELECT x FROM a EXCEPT SELECT y FROM b", none},
	} {
		for name, parse := range map[string]func(string) ([]Statement, error){"pg": Postgres, "my": MySQL} {
			if tt.dialect != "" && tt.dialect != name {
				continue
			}
			sts, err := parse(tt.sql)
			if err != nil {
				t.Errorf("%s %q: %v", name, tt.sql, err)
				continue
			}
			if got := facts(sts[0].Shape); got != tt.want {
				t.Errorf("%s %q:\n got %s\nwant %s", name, tt.sql, got, tt.want)
			}
		}
	}
}
