package provision

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/floe-db/floe/arrowsql"
)

// myQuoteIdent quotes a MySQL identifier.
func myQuoteIdent(s string) string { return "`" + strings.ReplaceAll(s, "`", "``") + "`" }

// myQuoteString quotes a MySQL string literal for a session whose
// sql_mode has backslash escapes on (applyMySQL makes sure of it).
func myQuoteString(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `'`, `\'`, "\x00", `\0`, "\n", `\n`, "\r", `\r`, "\x1a", `\Z`)
	return "'" + r.Replace(s) + "'"
}

// myTables lists the tables and views of schema with their columns.
func myTables(c *arrowsql.MySQLConn, schema string) ([]Table, error) {
	res, err := c.Execute(`SELECT t.table_name, c.column_name FROM information_schema.tables t
JOIN information_schema.columns c ON c.table_schema = t.table_schema AND c.table_name = t.table_name
WHERE t.table_schema = ? ORDER BY t.table_name, c.ordinal_position`, schema)
	if err != nil {
		return nil, err
	}
	defer res.Close()
	var out []Table
	for i := range res.RowNumber() {
		name, _ := res.GetString(i, 0)
		col, _ := res.GetString(i, 1)
		if len(out) == 0 || out[len(out)-1].Name != name {
			out = append(out, Table{Schema: schema, Name: name})
		}
		out[len(out)-1].Columns = append(out[len(out)-1].Columns, col)
	}
	return out, nil
}

// applyMySQL provisions logins on the MySQL/MariaDB server c is
// connected to (as the DSN's login) for schema. MySQL has no row-level
// security: row filters stay Floe's alone, and are reported. MySQL DDL
// commits as it goes, so a failure part way leaves the login with less
// than its plan, never more (its privileges are revoked first).
//
// MySQL users carry no comments, so the logins provisioned for schema
// are marked by an empty role (floe_provisioned_<schema>) granted to
// them; a later run retires the marked logins its plan no longer names:
// their privileges revoked and their account locked.
func applyMySQL(ctx context.Context, c *arrowsql.MySQLConn, schema string, logins []Login, dryRun bool) ([]string, []string, error) {
	if _, err := c.Execute("SET SESSION sql_mode = REPLACE(@@sql_mode, 'NO_BACKSLASH_ESCAPES', '')"); err != nil {
		return nil, nil, err
	}
	var list stmtList
	var notes []string
	mark := myQuoteIdent(myMarker(schema))
	list.add("CREATE ROLE IF NOT EXISTS "+mark, false)
	for _, l := range logins {
		acct := myQuoteString(l.User) + "@'%'"
		list.add("CREATE USER IF NOT EXISTS "+acct+" IDENTIFIED BY "+myQuoteString(l.Password), true)
		list.add("ALTER USER "+acct+" IDENTIFIED BY "+myQuoteString(l.Password)+" ACCOUNT UNLOCK", true)
		list.add("REVOKE ALL PRIVILEGES, GRANT OPTION FROM "+acct, false)
		list.add("GRANT "+mark+" TO "+acct, false)
		for _, s := range l.CreateIn {
			// Stored programs are DDL of the schema too; their bodies run
			// as this login (SQL SECURITY DEFINER) or as their caller,
			// within the privileges granted here.
			list.add("GRANT CREATE, CREATE ROUTINE, ALTER ROUTINE, TRIGGER, EVENT ON "+myQuoteIdent(s)+".* TO "+acct, false)
		}
		for _, g := range l.Grants {
			privs := make([]string, 0, len(g.Privs))
			for p := range g.Privs {
				privs = append(privs, p)
			}
			sort.Strings(privs)
			on := myQuoteIdent(g.Table.Schema) + "." + myQuoteIdent(g.Table.Name)
			for _, p := range privs {
				cols := g.Privs[p]
				if cols == nil {
					list.add("GRANT "+p+" ON "+on+" TO "+acct, false)
					continue
				}
				quoted := make([]string, len(cols))
				for i, col := range cols {
					quoted[i] = myQuoteIdent(col)
				}
				list.add("GRANT "+p+" ("+strings.Join(quoted, ", ")+") ON "+on+" TO "+acct, false)
			}
		}
		for t := range l.Filters {
			notes = append(notes, fmt.Sprintf("login %s: the row filter on %s is enforced by Floe only (MySQL has no row-level security)", l.User, t))
		}
	}
	retired, err := myMarked(c, schema)
	if err != nil {
		notes = append(notes, "logins no longer configured cannot be found on this server (no mysql.roles_mapping): retire them by hand")
	}
	for _, u := range retired {
		if slices.ContainsFunc(logins, func(l Login) bool { return l.User == u }) {
			continue
		}
		acct := myQuoteString(u) + "@'%'"
		list.add("REVOKE ALL PRIVILEGES, GRANT OPTION FROM "+acct, false)
		list.add("ALTER USER "+acct+" ACCOUNT LOCK", false)
	}
	sort.Strings(notes)
	if dryRun {
		return list.shown(), notes, nil
	}
	for i, q := range list.sql {
		if err := ctx.Err(); err != nil {
			return nil, nil, err
		}
		if _, err := c.Execute(q); err != nil {
			return nil, nil, fmt.Errorf("%s: %w", shown(q, list.secret[i]), err)
		}
	}
	return list.shown(), notes, nil
}

// myMarker is the role that marks the logins provisioned for schema.
func myMarker(schema string) string { return "floe_provisioned_" + schema }

// myMarked lists the users (of host %) the marker role of schema is
// granted to, its creator left out (MariaDB's mysql.roles_mapping).
func myMarked(c *arrowsql.MySQLConn, schema string) ([]string, error) {
	res, err := c.Execute("SELECT User FROM mysql.roles_mapping WHERE Role = ? AND Host = '%' AND Admin_option = 'N' ORDER BY 1", myMarker(schema))
	if err != nil {
		return nil, err
	}
	defer res.Close()
	var out []string
	for i := range res.RowNumber() {
		u, _ := res.GetString(i, 0)
		out = append(out, u)
	}
	return out, nil
}
