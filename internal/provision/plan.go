package provision

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/floe-db/floe/internal/config"
	"github.com/floe-db/floe/internal/policy"
)

// Table is a table or view of the database as its catalogue lists it.
type Table struct {
	Schema, Name string
	Columns      []string // in order
}

// Login is the plan of one backend login.
type Login struct {
	User     string
	Password string   `json:"-"`
	Roles    []string // the gateway roles that run as it
	// Grants are the privileges to hold, one per table: privilege name
	// (SELECT, INSERT, UPDATE, DELETE, TRUNCATE, ALTER, DROP, INDEX,
	// CREATE) → nil for the whole table, or columns.
	Grants []TableGrant
	// Schemas need USAGE (PostgreSQL); CreateIn are the schemas (or, on
	// MySQL, the database) where it may create tables.
	Schemas  []string
	CreateIn []string
	// Filters are the row filters by table ("schema.name"), OR-ed across
	// roles.
	Filters map[string]string
}

// TableGrant is what a login holds on one table.
type TableGrant struct {
	Table Table
	Privs map[string][]string
}

// newTableSentinel stands for a table that does not exist yet: a grant
// that covers it lets the login create tables.
const newTableSentinel = "\x00new"

// Plan works out the logins of db from cfg's roles and the catalogue's
// tables. defSchema resolves unqualified grant patterns (public, or the
// MySQL database).
func Plan(cfg *config.Config, db config.Database, defSchema string, tables []Table, mysql bool) ([]Login, error) {
	var out []Login
	byUser := map[string]int{}
	own := map[string]bool{}
	for _, id := range db.Identities {
		if id.Role != "*" {
			own[id.Role] = true
		}
	}
	for _, id := range db.Identities {
		if id.User == "" {
			continue
		}
		i, ok := byUser[id.User]
		if !ok {
			i = len(out)
			byUser[id.User] = i
			out = append(out, Login{User: id.User, Password: id.Password, Filters: map[string]string{}})
		} else if out[i].Password != id.Password {
			return nil, fmt.Errorf("database %s: login %q is given two different passwords", db.Name, id.User)
		}
		if id.Role == "*" {
			for _, r := range cfg.Roles {
				if !own[r.Name] {
					out[i].Roles = append(out[i].Roles, r.Name)
				}
			}
		} else {
			out[i].Roles = append(out[i].Roles, id.Role)
		}
	}
	for i := range out {
		l := &out[i]
		slices.Sort(l.Roles)
		l.Roles = slices.Compact(l.Roles)
		schemas := map[string]bool{}
		for _, t := range tables {
			privs := grantsOn(cfg, l.Roles, db.Name, defSchema, t, mysql)
			if len(privs) == 0 {
				continue
			}
			l.Grants = append(l.Grants, TableGrant{Table: t, Privs: privs})
			schemas[t.Schema] = true
		}
		// Schemas where a grant covers a table not made yet.
		cands := map[string]bool{defSchema: true}
		for _, t := range tables {
			cands[t.Schema] = true
		}
		for s := range cands {
			p := policy.TablePrivileges(cfg.Roles, l.Roles, db.Name, defSchema, s, newTableSentinel)
			if _, ok := p["ddl"]; ok {
				l.CreateIn = append(l.CreateIn, s)
				schemas[s] = true
			}
		}
		sort.Strings(l.CreateIn)
		for s := range schemas {
			l.Schemas = append(l.Schemas, s)
		}
		sort.Strings(l.Schemas)
		for _, rn := range l.Roles {
			for _, r := range cfg.Roles {
				if r.Name != rn {
					continue
				}
				for _, f := range r.RowFilters {
					if f.Database != db.Name {
						continue
					}
					key := f.Table
					if !strings.Contains(key, ".") {
						key = defSchema + "." + key
					}
					key = strings.ToLower(key)
					if prev, ok := l.Filters[key]; ok {
						l.Filters[key] = "(" + prev + ") OR (" + f.Where + ")"
					} else {
						l.Filters[key] = f.Where
					}
				}
			}
		}
	}
	return out, nil
}

// grantsOn maps the roles' grants on t to the server's privileges.
func grantsOn(cfg *config.Config, roles []string, db, defSchema string, t Table, mysql bool) map[string][]string {
	p := policy.TablePrivileges(cfg.Roles, roles, db, defSchema, t.Schema, t.Name)
	out := map[string][]string{}
	for act, cols := range p {
		switch act {
		case "select":
			if cols == nil {
				if denied := policy.DeniedColumns(cfg.Roles, roles, db, defSchema, t.Schema, t.Name); len(denied) > 0 {
					cols = slices.DeleteFunc(slices.Clone(t.Columns), func(c string) bool { return slices.Contains(denied, strings.ToLower(c)) })
					if len(cols) == 0 {
						continue
					}
				}
			} else {
				// Grants name columns in lower case; use the catalogue's spelling.
				var real []string
				for _, c := range t.Columns {
					if slices.Contains(cols, strings.ToLower(c)) {
						real = append(real, c)
					}
				}
				if len(real) == 0 {
					continue
				}
				cols = real
			}
			out["SELECT"] = cols
		case "insert":
			out["INSERT"] = nil
		case "update":
			out["UPDATE"] = nil
		case "delete":
			out["DELETE"] = nil
		case "ddl":
			if mysql {
				out["ALTER"], out["DROP"], out["INDEX"] = nil, nil, nil
			} else {
				out["TRUNCATE"] = nil
			}
		}
	}
	return out
}
