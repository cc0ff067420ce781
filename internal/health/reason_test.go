package health

import (
	"context"
	"strings"
	"testing"
	"time"
)

// TestReasonOfFailedChecks probes real servers with logins, passwords,
// databases and ports that do not work: each check fails with a reason
// that says what is wrong and names no login, password or database.
func TestReasonOfFailedChecks(t *testing.T) {
	if testing.Short() {
		t.Skip("needs PostgreSQL on 5432 and MariaDB on 3306")
	}
	cases := []struct {
		name, kind, dsn, want string
	}{
		{"pg wrong port", "postgres", "postgres://postgres@127.0.0.1:1/test?sslmode=disable", "connection refused"},
		{"pg no such login", "postgres", "postgres://floe_no_such_login_x:pw-secret-9@127.0.0.1:5432/test?sslmode=disable", "refused the login"},
		{"pg no such database", "postgres", "postgres://postgres@127.0.0.1:5432/floe_no_such_db_x?sslmode=disable", "database does not exist"},
		{"mysql wrong password", "mysql", "mysql://root:pw-secret-9@127.0.0.1:3306/test", "access denied"},
		{"mysql no such login", "mysql", "mysql://floe_no_such_login_x:pw-secret-9@127.0.0.1:3306/test", "access denied"},
		{"mysql wrong port", "mysql", "mysql://root@127.0.0.1:1/test", "connection refused"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var p Prober
			if c.kind == "mysql" {
				p = NewMySQL(c.dsn)
			} else {
				var err error
				if p, err = NewPostgres(c.dsn); err != nil {
					t.Fatal(err)
				}
			}
			defer p.Close()
			ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
			defer cancel()
			_, err := p.Probe(ctx)
			if err == nil {
				t.Fatal("the check passed")
			}
			got := Reason(err)
			if !strings.Contains(got, c.want) {
				t.Errorf("reason %q (from %v), want %q", got, err, c.want)
			}
			for _, secret := range []string{"floe_no_such", "pw-secret", "root", "postgres", "test"} {
				if strings.Contains(got, secret) {
					t.Errorf("reason %q names %q", got, secret)
				}
			}
		})
	}
}
