package app

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/floe-db/floe/internal/authn"
	"github.com/floe-db/floe/internal/backend/myrelay"
	"github.com/floe-db/floe/internal/backend/pgrelay"
	"github.com/floe-db/floe/internal/config"
	"github.com/floe-db/floe/internal/policy"
	"github.com/floe-db/floe/internal/secrets"
	"github.com/floe-db/floe/internal/sqlparse"
)

// LoadOptions are how the gateway reads its configuration file, at
// start-up, on every reload and in `floe config check`: ${vault:}
// references through secrets.vault, then the start-up checks of what
// the file names beyond itself, so that a file the check passes is one
// the gateway starts with.
func LoadOptions() config.LoadOptions {
	return loadOptions(secrets.NewCache(secrets.CacheOptions{}))
}

// loadOptions is LoadOptions with the cloud secret references read
// through cache (a running gateway keeps one for its life).
func loadOptions(cache *secrets.Cache) config.LoadOptions {
	return config.LoadOptions{Vault: secrets.OpenVault, Cloud: cache.Opener(), Check: StartupChecks}
}

// StartupChecks finds what would stop the gateway from starting with
// cfg once it passed validation: backend DSNs the relays cannot read
// (options such as sslmode or tls), verifiers the authenticator cannot
// read, row filters the SQL parsers refuse, a firewall allow-list that
// is not one, and files that cannot be made where the audit log and
// SQLite databases live. Each error names its key; none echoes a secret.
func StartupChecks(cfg *config.Config) config.Errors {
	var errs config.Errors
	bad := func(key, format string, args ...any) {
		errs = append(errs, &config.Error{Key: key, Msg: fmt.Sprintf(format, args...)})
	}
	for i, u := range cfg.Users {
		if u.SCRAM == "" {
			continue
		}
		if _, err := authn.ParseVerifier(u.SCRAM); err != nil {
			bad(fmt.Sprintf("users[%d].scram", i), "not a SCRAM-SHA-256 verifier (make one with `floe passwd`)")
		}
	}
	for i, r := range cfg.Roles {
		for j, f := range r.RowFilters {
			if err := sqlparse.CheckFilter(f.Where); err != nil {
				bad(fmt.Sprintf("roles[%d].row_filters[%d].where", i, j), "%v", err)
			}
		}
	}
	if fw := cfg.Firewall; fw != nil && fw.Allowlist != "" {
		data, err := os.ReadFile(fw.Allowlist)
		var list []policy.Entry
		switch {
		case errors.Is(err, fs.ErrNotExist):
			if dirProblem(fw.Allowlist) != "" {
				bad("firewall.allowlist", "%s", dirProblem(fw.Allowlist))
			}
		case err != nil:
			bad("firewall.allowlist", "%v", unwrapPath(err))
		case len(data) > 0 && json.Unmarshal(data, &list) != nil:
			bad("firewall.allowlist", "%s is not an allow-list (a JSON array of entries)", fw.Allowlist)
		}
	}
	if a := cfg.Audit; a != nil {
		if a.File != "" {
			if p := fileProblem(a.File); p != "" {
				bad("audit.file", "%s", p)
			}
		}
		if a.Checkpoints != "" {
			if p := fileProblem(a.Checkpoints); p != "" {
				bad("audit.checkpoints", "%s", p)
			}
		}
	}
	for i, d := range cfg.Databases {
		check := map[string]func(string) error{config.KindPostgres: pgrelay.CheckDSN, config.KindMySQL: myrelay.CheckDSN}[d.Kind]
		if check != nil {
			if err := check(d.Primary); err != nil {
				bad(fmt.Sprintf("databases[%d].primary", i), "%v", err)
			}
			for j, r := range d.Replicas {
				if err := check(r.DSN); err != nil {
					bad(fmt.Sprintf("databases[%d].replicas[%d]", i, j), "%v", err)
				}
			}
		}
		if d.Kind == config.KindSQLite && d.Path != "" {
			if p := fileProblem(d.Path); p != "" {
				bad(fmt.Sprintf("databases[%d].path", i), "%s", p)
			}
		}
	}
	return errs
}

// fileProblem says why a file the gateway opens for writing (creating it
// if need be) cannot be: "" when it can.
func fileProblem(path string) string {
	st, err := os.Stat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return dirProblem(path)
	case err != nil:
		return unwrapPath(err).Error()
	case st.IsDir():
		return path + " is a directory"
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		return fmt.Sprintf("%s: %v", path, unwrapPath(err))
	}
	f.Close()
	return ""
}

// dirProblem says why path cannot be created in its directory.
func dirProblem(path string) string {
	dir := filepath.Dir(path)
	st, err := os.Stat(dir)
	switch {
	case err != nil:
		return fmt.Sprintf("directory %s: %v", dir, unwrapPath(err))
	case !st.IsDir():
		return fmt.Sprintf("%s is not a directory", dir)
	}
	return ""
}

func unwrapPath(err error) error {
	if pe, ok := err.(*fs.PathError); ok {
		return pe.Err
	}
	return err
}
