package provision

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/jackc/pgx/v5"
)

// pgTables lists the tables, views and foreign tables of the database
// (system schemas left out) with their columns.
func pgTables(ctx context.Context, c *pgx.Conn) ([]Table, error) {
	rows, err := c.Query(ctx, `
SELECT n.nspname, c.relname, coalesce(array_agg(a.attname ORDER BY a.attnum) FILTER (WHERE a.attnum > 0 AND NOT a.attisdropped), '{}')
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_attribute a ON a.attrelid = c.oid
WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f')
  AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\_toast%' AND n.nspname NOT LIKE 'pg\_temp\_%'
GROUP BY n.nspname, c.relname
ORDER BY 1, 2`)
	if err != nil {
		return nil, err
	}
	var out []Table
	for rows.Next() {
		var t Table
		if err := rows.Scan(&t.Schema, &t.Name, &t.Columns); err != nil {
			rows.Close()
			return nil, err
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// pgStatements are the statements that bring l about, in order; the
// server quotes every name and literal (format's %I and %L) so they are
// built by queries on c. secret reports statements that carry the
// password (not to be shown).
type stmtList struct {
	sql    []string
	secret []bool
}

func (s *stmtList) add(q string, secret bool) {
	s.sql = append(s.sql, q)
	s.secret = append(s.secret, secret)
}

// pgFormat asks the server to build a statement with format().
func pgFormat(ctx context.Context, c pgx.Tx, f string, args ...any) (string, error) {
	ph := make([]string, len(args))
	for i := range args {
		ph[i] = fmt.Sprintf("$%d::text", i+1)
	}
	var q string
	err := c.QueryRow(ctx, "SELECT format('"+strings.ReplaceAll(f, "'", "''")+"', "+strings.Join(ph, ", ")+")", args...).Scan(&q)
	return q, err
}

// applyPostgres provisions logins on the database c is connected to
// (as the DSN's login), in one transaction. others are every login of
// the database, so that row-level security, once on for a table, lets
// each of them see what its plan says. With dryRun the statements are
// returned and nothing is changed.
func applyPostgres(ctx context.Context, c *pgx.Conn, logins []Login, dryRun bool) ([]string, error) {
	tx, err := c.Begin(ctx)
	if err != nil {
		return nil, err
	}
	defer func() { _ = tx.Rollback(ctx) }()
	var list stmtList
	f := func(format string, args ...any) error {
		q, err := pgFormat(ctx, tx, format, args...)
		if err != nil {
			return err
		}
		list.add(q, strings.Contains(format, "PASSWORD"))
		return nil
	}
	// Instances sharing a store provision together: one at a time.
	if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock(hashtext('floe provision'))"); err != nil {
		return nil, err
	}
	var dbName string
	if err := tx.QueryRow(ctx, "SELECT current_database()").Scan(&dbName); err != nil {
		return nil, err
	}
	schemas, err := pgStrings(ctx, tx, `SELECT nspname FROM pg_namespace WHERE nspname NOT IN ('pg_catalog', 'information_schema') AND nspname NOT LIKE 'pg\_toast%' AND nspname NOT LIKE 'pg\_temp\_%' ORDER BY 1`)
	if err != nil {
		return nil, err
	}
	// filtered: tables with a row filter for some login; RLS goes on for
	// them, and every login with rights there gets a policy.
	filtered := map[string]bool{}
	for _, l := range logins {
		for t := range l.Filters {
			filtered[t] = true
		}
	}
	for _, l := range logins {
		var exists bool
		if err := tx.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = $1)", l.User).Scan(&exists); err != nil {
			return nil, err
		}
		verb := "CREATE"
		if exists {
			verb = "ALTER"
		}
		attrs := " LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS NOINHERIT"
		if l.Password != "" {
			err = f(verb+" ROLE %I WITH"+attrs+" PASSWORD %L", l.User, l.Password)
		} else {
			err = f(verb+" ROLE %I WITH"+attrs+" PASSWORD NULL", l.User)
		}
		if err != nil {
			return nil, err
		}
		if err := f("COMMENT ON ROLE %I IS %L", l.User, marker(dbName)); err != nil {
			return nil, err
		}
		if exists {
			// Memberships would hand it other roles' rights.
			member, err := pgStrings(ctx, tx, `SELECT r.rolname FROM pg_auth_members m JOIN pg_roles r ON r.oid = m.roleid JOIN pg_roles u ON u.oid = m.member WHERE u.rolname = $1 ORDER BY 1`, l.User)
			if err != nil {
				return nil, err
			}
			for _, r := range member {
				if err := f("REVOKE %I FROM %I", r, l.User); err != nil {
					return nil, err
				}
			}
			for _, s := range schemas {
				for _, q := range []string{"REVOKE ALL ON ALL TABLES IN SCHEMA %I FROM %I", "REVOKE ALL ON ALL SEQUENCES IN SCHEMA %I FROM %I",
					"REVOKE ALL ON ALL FUNCTIONS IN SCHEMA %I FROM %I", "REVOKE ALL ON SCHEMA %I FROM %I"} {
					if err := f(q, s, l.User); err != nil {
						return nil, err
					}
				}
			}
			pols, err := pgNames(ctx, tx, `SELECT schemaname, tablename FROM pg_policies WHERE policyname = 'floe_' || $1 ORDER BY 1, 2`, l.User)
			if err != nil {
				return nil, err
			}
			for _, p := range pols {
				if err := f("DROP POLICY %I ON %I.%I", "floe_"+l.User, p.Schema, p.Name); err != nil {
					return nil, err
				}
			}
		}
		if err := f("REVOKE ALL ON DATABASE %I FROM %I", dbName, l.User); err != nil {
			return nil, err
		}
		if err := f("GRANT CONNECT ON DATABASE %I TO %I", dbName, l.User); err != nil {
			return nil, err
		}
		for _, s := range l.Schemas {
			if err := f("GRANT USAGE ON SCHEMA %I TO %I", s, l.User); err != nil {
				return nil, err
			}
		}
		for _, s := range l.CreateIn {
			if err := f("GRANT CREATE ON SCHEMA %I TO %I", s, l.User); err != nil {
				return nil, err
			}
		}
		for _, g := range l.Grants {
			privs := make([]string, 0, len(g.Privs))
			for p := range g.Privs {
				privs = append(privs, p)
			}
			sort.Strings(privs)
			for _, p := range privs {
				cols := g.Privs[p]
				if cols == nil {
					err = f("GRANT "+p+" ON TABLE %I.%I TO %I", g.Table.Schema, g.Table.Name, l.User)
				} else {
					quoted := make([]string, len(cols))
					for i, col := range cols {
						if quoted[i], err = pgFormat(ctx, tx, "%I", col); err != nil {
							return nil, err
						}
					}
					err = f("GRANT "+p+" ("+strings.Join(quoted, ", ")+") ON TABLE %I.%I TO %I", g.Table.Schema, g.Table.Name, l.User)
				}
				if err != nil {
					return nil, err
				}
			}
			if _, ok := g.Privs["INSERT"]; ok {
				// Sequences behind serial and identity columns.
				seqs, err := pgNames(ctx, tx, `SELECT sn.nspname, s.relname FROM pg_class s
JOIN pg_namespace sn ON sn.oid = s.relnamespace
JOIN pg_depend d ON d.objid = s.oid AND d.classid = 'pg_class'::regclass AND d.refclassid = 'pg_class'::regclass
JOIN pg_class t ON t.oid = d.refobjid JOIN pg_namespace tn ON tn.oid = t.relnamespace
WHERE s.relkind = 'S' AND tn.nspname = $1 AND t.relname = $2 ORDER BY 1, 2`, g.Table.Schema, g.Table.Name)
				if err != nil {
					return nil, err
				}
				for _, s := range seqs {
					if err := f("GRANT USAGE ON SEQUENCE %I.%I TO %I", s.Schema, s.Name, l.User); err != nil {
						return nil, err
					}
				}
			}
		}
	}
	// Logins provisioned for this database earlier and no longer in the
	// plan lose their rights here and the right to log in (a role may
	// serve other databases of the server: it is not dropped).
	marked, err := pgStrings(ctx, tx, `SELECT rolname FROM pg_roles WHERE shobj_description(oid, 'pg_authid') = $1 ORDER BY 1`, marker(dbName))
	if err != nil {
		return nil, err
	}
	retired := slices.DeleteFunc(marked, func(r string) bool {
		return slices.ContainsFunc(logins, func(l Login) bool { return l.User == r })
	})
	for _, r := range retired {
		for _, s := range schemas {
			for _, q := range []string{"REVOKE ALL ON ALL TABLES IN SCHEMA %I FROM %I", "REVOKE ALL ON ALL SEQUENCES IN SCHEMA %I FROM %I", "REVOKE ALL ON SCHEMA %I FROM %I"} {
				if err := f(q, s, r); err != nil {
					return nil, err
				}
			}
		}
		if err := f("REVOKE ALL ON DATABASE %I FROM %I", dbName, r); err != nil {
			return nil, err
		}
		if err := f("ALTER ROLE %I NOLOGIN", r); err != nil {
			return nil, err
		}
		if err := f("COMMENT ON ROLE %I IS NULL", r); err != nil {
			return nil, err
		}
	}
	// Row-level security for filtered tables.
	tables := slices.Sorted(func(yield func(string) bool) {
		for t := range filtered {
			if !yield(t) {
				return
			}
		}
	})
	for _, key := range tables {
		schema, name, _ := strings.Cut(key, ".")
		var ok bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE lower(n.nspname) = $1 AND lower(c.relname) = $2 AND c.relkind IN ('r', 'p'))`, schema, name).Scan(&ok); err != nil {
			return nil, err
		}
		if !ok {
			continue // a view or a table not there: nothing to attach a policy to
		}
		if err := tx.QueryRow(ctx, `SELECT n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE lower(n.nspname) = $1 AND lower(c.relname) = $2 AND c.relkind IN ('r', 'p')`, schema, name).Scan(&schema, &name); err != nil {
			return nil, err
		}
		if err := f("ALTER TABLE %I.%I ENABLE ROW LEVEL SECURITY", schema, name); err != nil {
			return nil, err
		}
		for _, l := range logins {
			if !l.holds(schema, name) {
				continue
			}
			where := "(true)"
			if w, ok := l.Filters[key]; ok {
				where = "(" + w + ")"
			}
			q, err := pgFormat(ctx, tx, "CREATE POLICY %I ON %I.%I FOR ALL TO %I", "floe_"+l.User, schema, name, l.User)
			if err != nil {
				return nil, err
			}
			list.add(q+" USING "+where+" WITH CHECK "+where, false)
		}
	}
	if dryRun {
		return list.shown(), nil
	}
	for _, q := range list.sql {
		if _, err := tx.Exec(ctx, q); err != nil {
			return nil, fmt.Errorf("%s: %w", shown(q, strings.Contains(q, " PASSWORD ")), err)
		}
	}
	if err := tx.Commit(ctx); err != nil {
		return nil, err
	}
	return list.shown(), nil
}

// holds reports whether the login has any privilege on the table.
func (l *Login) holds(schema, name string) bool {
	for _, g := range l.Grants {
		if g.Table.Schema == schema && g.Table.Name == name {
			return true
		}
	}
	return false
}

func (s *stmtList) shown() []string {
	out := make([]string, len(s.sql))
	for i, q := range s.sql {
		out[i] = shown(q, s.secret[i])
	}
	return out
}

// shown is a statement fit for output: a password is replaced.
func shown(q string, secret bool) string {
	if !secret {
		return q
	}
	if i := strings.Index(q, " PASSWORD "); i >= 0 {
		return q[:i] + " PASSWORD '…'"
	}
	if i := strings.Index(q, " IDENTIFIED BY "); i >= 0 {
		return q[:i] + " IDENTIFIED BY '…'"
	}
	return q
}

// marker is the comment provisioning puts on the logins it manages, so
// that a later run finds the ones the configuration no longer names.
func marker(db string) string { return "provisioned by floe for database " + db }

// pgStrings runs a query of one text column.
func pgStrings(ctx context.Context, tx pgx.Tx, q string, args ...any) ([]string, error) {
	rows, err := tx.Query(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowTo[string])
}

// qualified is a schema-qualified object name.
type qualified struct{ Schema, Name string }

// pgNames runs a query of two text columns, schema and name.
func pgNames(ctx context.Context, tx pgx.Tx, q string, args ...any) ([]qualified, error) {
	rows, err := tx.Query(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowToStructByPos[qualified])
}
