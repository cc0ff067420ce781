package provision

import (
	"context"
	"fmt"
	"net/url"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/floe-db/floe/arrowsql"
	"github.com/floe-db/floe/internal/config"
)

// Result is what provisioning did (or, dry, would do) on one database.
type Result struct {
	Database string
	// Statements ran in order; passwords are left out.
	Statements []string
	// Notes say what the server cannot hold (MySQL row filters).
	Notes []string
}

// Run provisions the logins of every database of cfg that has
// identities (or only the one named by only, when set).
func Run(ctx context.Context, cfg *config.Config, only string, dryRun bool) ([]Result, error) {
	var out []Result
	for _, db := range cfg.Databases {
		if len(db.Identities) == 0 || (only != "" && db.Name != only) {
			continue
		}
		r, err := Database(ctx, cfg, db, dryRun)
		if err != nil {
			return out, fmt.Errorf("database %s: %w", db.Name, err)
		}
		out = append(out, r)
	}
	if only != "" && len(out) == 0 {
		return nil, fmt.Errorf("database %q has no identities to provision", only)
	}
	return out, nil
}

// Database provisions the logins of one database on its primary.
func Database(ctx context.Context, cfg *config.Config, db config.Database, dryRun bool) (Result, error) {
	res := Result{Database: db.Name}
	switch db.Kind {
	case config.KindPostgres:
		c, err := pgx.Connect(ctx, db.Primary)
		if err != nil {
			return res, fmt.Errorf("connect: %s", describe(err, db.Primary))
		}
		defer c.Close(context.Background())
		tables, err := pgTables(ctx, c)
		if err != nil {
			return res, err
		}
		logins, err := Plan(cfg, db, "public", tables, false)
		if err != nil {
			return res, err
		}
		res.Statements, err = applyPostgres(ctx, c, logins, dryRun)
		return res, err
	case config.KindMySQL:
		c, err := arrowsql.ConnectMySQL(ctx, db.Primary)
		if err != nil {
			return res, fmt.Errorf("connect: %s", describe(err, db.Primary))
		}
		defer c.Close()
		schema := mysqlSchema(db.Primary)
		if schema == "" {
			return res, fmt.Errorf("the primary DSN names no database")
		}
		tables, err := myTables(c, schema)
		if err != nil {
			return res, err
		}
		logins, err := Plan(cfg, db, schema, tables, true)
		if err != nil {
			return res, err
		}
		res.Statements, res.Notes, err = applyMySQL(ctx, c, schema, logins, dryRun)
		return res, err
	}
	return res, fmt.Errorf("kind %s has no backend logins", db.Kind)
}

func mysqlSchema(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil {
		return ""
	}
	return strings.TrimPrefix(u.Path, "/")
}

// describe is err without the DSN's password.
func describe(err error, dsn string) string {
	s := err.Error()
	if u, perr := url.Parse(dsn); perr == nil && u.User != nil {
		if pw, ok := u.User.Password(); ok && pw != "" {
			s = strings.ReplaceAll(s, pw, "xxxxx")
		}
	}
	return s
}
