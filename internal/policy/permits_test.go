package policy

import (
	"testing"

	"github.com/floe-db/floe/internal/observe"
)

// Permits agrees with the decision on grants, columns and databases, and
// records nothing: no denial is kept.
func TestPermits(t *testing.T) {
	denials := observe.NewDenials(10)
	p := newTestPolicy(t, "", Options{Denials: denials})
	for _, tt := range []struct {
		user, db string
		d        Dialect
		sql      string
		want     bool
	}{
		{"alice", "app", Postgres, "SELECT * FROM orders WHERE customer_id = $1", true},
		{"alice", "app", Postgres, "SELECT amount FROM salaries WHERE id = $1", false},
		{"bob", "app", Postgres, "SELECT * FROM orders o JOIN items i ON i.order_id = o.id WHERE o.id = $1", true},
		{"bob", "app", Postgres, "SELECT * FROM customers WHERE id = $1", false},
		{"sue", "app", Postgres, "SELECT id, name FROM customers WHERE id = $1", true},
		{"sue", "app", Postgres, "SELECT card FROM orders WHERE id = $1", false},
		{"nobody", "app", Postgres, "SELECT * FROM orders WHERE id = $1", false},
		{"bob", "shop", MySQL, "SELECT * FROM orders WHERE id = ?", true},
		{"bob", "shop", MySQL, "SELECT * FROM customers WHERE id = ?", false},
		{"root", "app", Postgres, "SELECT * FROM anything WHERE x = $1", true},
		{"alice", "app", Postgres, "SELECT * FROM orders WHERE", false},
	} {
		req := Request{User: tt.user, Roles: roles[tt.user], Database: tt.db, Dialect: tt.d, SQL: tt.sql, DefaultSchema: "public"}
		if tt.d == MySQL {
			req.DefaultSchema = "shop"
		}
		if got := p.Permits(req); got != tt.want {
			t.Errorf("%s on %s: Permits(%q) = %v, want %v", tt.user, tt.db, tt.sql, got, tt.want)
		}
	}
	if got, n := denials.Recent(10); n != 0 {
		t.Errorf("Permits kept denials: %+v", got)
	}
	var nilPolicy *Policy
	if !nilPolicy.Permits(Request{SQL: "SELECT 1"}) {
		t.Error("no policy: want everything permitted")
	}
}
