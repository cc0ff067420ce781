package provision

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/floe-db/floe/arrowsql"
	"github.com/floe-db/floe/internal/config"
)

// Check connects to every PostgreSQL and MySQL database of cfg and
// returns warnings: sessions that would run as a superuser (a database
// without identities whose DSN login is one, or an identity login that
// is one), and identity logins that hold table privileges their roles'
// grants do not give, or whose plan they lack (run `floe provision`).
func Check(ctx context.Context, cfg *config.Config) ([]string, error) {
	var warns []string
	for _, db := range cfg.Databases {
		var w []string
		var err error
		switch db.Kind {
		case config.KindPostgres:
			w, err = checkPostgres(ctx, cfg, db)
		case config.KindMySQL:
			w, err = checkMySQL(ctx, cfg, db)
		default:
			continue
		}
		if err != nil {
			return warns, fmt.Errorf("database %s: %w", db.Name, err)
		}
		for _, s := range w {
			warns = append(warns, "database "+db.Name+": "+s)
		}
	}
	return warns, nil
}

func dsnUser(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil || u.User == nil {
		return ""
	}
	return u.User.Username()
}

func checkPostgres(ctx context.Context, cfg *config.Config, db config.Database) ([]string, error) {
	c, err := pgx.Connect(ctx, db.Primary)
	if err != nil {
		return nil, fmt.Errorf("connect: %s", describe(err, db.Primary))
	}
	defer c.Close(context.Background())
	var warns []string
	super := func(role string) (bool, error) {
		var s bool
		err := c.QueryRow(ctx, "SELECT rolsuper OR rolbypassrls FROM pg_roles WHERE rolname = $1", role).Scan(&s)
		if err == pgx.ErrNoRows {
			return false, nil
		}
		return s, err
	}
	var dsnLogin string
	if err := c.QueryRow(ctx, "SELECT current_user").Scan(&dsnLogin); err != nil {
		return nil, err
	}
	if len(db.Identities) == 0 {
		if s, err := super(dsnLogin); err != nil {
			return nil, err
		} else if s {
			warns = append(warns, fmt.Sprintf("sessions run as %q, a superuser: grants are enforced by Floe's reading of SQL alone; map roles to logins with identities (see docs/SECURITY.md)", dsnLogin))
		}
		return warns, nil
	}
	tables, err := pgTables(ctx, c)
	if err != nil {
		return nil, err
	}
	logins, err := Plan(cfg, db, "public", tables, false)
	if err != nil {
		return nil, err
	}
	for _, id := range db.Identities {
		if id.User == "" && id.Vault == nil {
			if s, err := super(dsnLogin); err != nil {
				return nil, err
			} else if s {
				warns = append(warns, fmt.Sprintf("role %s runs as the DSN's login %q, a superuser", id.Role, dsnLogin))
			}
		}
	}
	for _, l := range logins {
		var exists bool
		if err := c.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = $1)", l.User).Scan(&exists); err != nil {
			return nil, err
		}
		if !exists {
			warns = append(warns, fmt.Sprintf("login %q does not exist (run floe provision)", l.User))
			continue
		}
		if s, err := super(l.User); err != nil {
			return nil, err
		} else if s {
			warns = append(warns, fmt.Sprintf("login %q is a superuser or bypasses row-level security", l.User))
		}
		var members []string
		if err := c.QueryRow(ctx, `SELECT coalesce(array_agg(r.rolname ORDER BY r.rolname), '{}') FROM pg_auth_members m JOIN pg_roles r ON r.oid = m.roleid JOIN pg_roles u ON u.oid = m.member WHERE u.rolname = $1`, l.User).Scan(&members); err != nil {
			return nil, err
		}
		if len(members) > 0 {
			warns = append(warns, fmt.Sprintf("login %q is a member of %s, whose rights it may use", l.User, strings.Join(members, ", ")))
		}
		for _, t := range tables {
			var want map[string][]string
			for _, g := range l.Grants {
				if g.Table.Schema == t.Schema && g.Table.Name == t.Name {
					want = g.Privs
				}
			}
			for _, p := range []string{"SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE"} {
				var has bool
				if err := c.QueryRow(ctx, "SELECT has_table_privilege($1, format('%I.%I', $2::text, $3::text), $4)", l.User, t.Schema, t.Name, p).Scan(&has); err != nil {
					return nil, err
				}
				cols, wanted := want[p]
				switch {
				case has && (!wanted || cols != nil):
					warns = append(warns, fmt.Sprintf("login %q holds %s on %s.%s, which its roles' grants do not give", l.User, p, t.Schema, t.Name))
				case !has && wanted && cols == nil:
					warns = append(warns, fmt.Sprintf("login %q lacks %s on %s.%s, which its roles' grants give (run floe provision)", l.User, p, t.Schema, t.Name))
				}
			}
		}
	}
	return warns, nil
}

func checkMySQL(ctx context.Context, cfg *config.Config, db config.Database) ([]string, error) {
	c, err := arrowsql.ConnectMySQL(ctx, db.Primary)
	if err != nil {
		return nil, fmt.Errorf("connect: %s", describe(err, db.Primary))
	}
	defer c.Close()
	var warns []string
	// Global privileges beyond USAGE reach every database and the server.
	global := func(user string) ([]string, error) {
		res, err := c.Execute(`SELECT privilege_type FROM information_schema.user_privileges WHERE grantee LIKE CONCAT('''', ?, '''@%') ORDER BY 1`, user)
		if err != nil {
			return nil, err
		}
		defer res.Close()
		var out []string
		for i := range res.RowNumber() {
			p, _ := res.GetString(i, 0)
			if p != "USAGE" {
				out = append(out, p)
			}
		}
		return out, nil
	}
	if len(db.Identities) == 0 {
		u := dsnUser(db.Primary)
		g, err := global(u)
		if err != nil {
			return nil, err
		}
		if slices.Contains(g, "SUPER") || len(g) > 10 {
			warns = append(warns, fmt.Sprintf("sessions run as %q, which holds global privileges (%s): grants are enforced by Floe's reading of SQL alone; map roles to logins with identities", u, strings.Join(g, ", ")))
		}
		return warns, nil
	}
	schema := mysqlSchema(db.Primary)
	tables, err := myTables(c, schema)
	if err != nil {
		return nil, err
	}
	logins, err := Plan(cfg, db, schema, tables, true)
	if err != nil {
		return nil, err
	}
	for _, l := range logins {
		g, err := global(l.User)
		if err != nil {
			return nil, err
		}
		if len(g) > 0 {
			warns = append(warns, fmt.Sprintf("login %q holds global privileges (%s)", l.User, strings.Join(g, ", ")))
		}
		res, err := c.Execute(`SELECT table_name, privilege_type FROM information_schema.table_privileges WHERE grantee LIKE CONCAT('''', ?, '''@%') AND table_schema = ? ORDER BY 1, 2`, l.User, schema)
		if err != nil {
			return nil, err
		}
		for i := range res.RowNumber() {
			t, _ := res.GetString(i, 0)
			p, _ := res.GetString(i, 1)
			ok := false
			for _, gr := range l.Grants {
				if gr.Table.Name == t {
					cols, wanted := gr.Privs[p]
					ok = wanted && cols == nil
				}
			}
			if !ok {
				warns = append(warns, fmt.Sprintf("login %q holds %s on %s.%s, which its roles' grants do not give", l.User, p, schema, t))
			}
		}
		res.Close()
	}
	return warns, nil
}
