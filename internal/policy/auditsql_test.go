package policy

import (
	"context"
	"testing"

	"github.com/floe-db/floe/internal/sqltext"
)

// The "sql" of an audit record is the text as received, its literals
// masked by the tokenizer: never the text of another statement that
// shares its shape (analysis cache), and never a parse's view of it —
// denied and unparsable statements included.
func TestAuditSQLIsTheTextReceived(t *testing.T) {
	m := &memAudit{}
	p := newTestPolicy(t, "", Options{Audit: m})
	base := Request{User: "alice", Roles: roles["alice"], Database: "app", DefaultSchema: "public", Via: "query"}
	for _, tc := range []struct {
		d    Dialect
		text string
	}{
		{Postgres, "SELECT * FROM customers WHERE id = 1 /* benign */"},
		{Postgres, "SELECT * FROM customers WHERE id = 2 /* union select * from salaries */"},
		{Postgres, "SELECT * FROM customers WHERE id = 3"},
		{Postgres, "select  *  from customers where id = 4"},
		{Postgres, "SELECT * FROM salaries WHERE name = 'x'"},
		{Postgres, "SELEC * FROM customers WHERE name = 'not parsed'"},
		{Postgres, "SELECT 'a\\' , (SELECT secret FROM salaries) , ''"},
		{MySQL, "SELECT * FROM customers WHERE id = 1"},
		{MySQL, "SELECT * FROM customers WHERE id = 2 /*!50000 UNION SELECT 1 */"},
		{MySQL, "SELECT * FROM customers WHERE id = 3 /*M! UNION SELECT 2 */"},
	} {
		req := base
		req.Dialect, req.SQL = tc.d, tc.text
		n := len(m.events)
		p.Check(context.Background(), req)
		if len(m.events) != n+1 {
			t.Fatalf("%q: %d events", tc.text, len(m.events)-n)
		}
		want := sqltext.Mask(tc.text)
		if tc.d == MySQL {
			want = sqltext.MaskMySQL(tc.text)
		}
		if got := m.events[n].Get("sql"); got != want {
			t.Errorf("%q: audited as %q, want %q", tc.text, got, want)
		}
	}
}
