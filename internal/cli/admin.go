package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/floe-db/floe/internal/admin"
)

// adminClient calls a gateway's admin API.
type adminClient struct {
	server, token string
	http          *http.Client
}

// call sends method path and decodes the JSON answer into out; an error
// answer becomes an error with its message.
func (c *adminClient) call(ctx context.Context, method, path string, out any) error {
	return c.send(ctx, method, path, nil, out)
}

// send is call with a JSON body (nil: none).
func (c *adminClient) send(ctx context.Context, method, path string, body, out any) error {
	if c.token == "" {
		return errNoToken
	}
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, strings.TrimSuffix(c.server, "/")+path, rd)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	answer, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return err
	}
	if resp.StatusCode >= 400 {
		var e struct{ Error admin.Error }
		if json.Unmarshal(answer, &e) == nil && e.Error.Message != "" {
			return fmt.Errorf("%s (HTTP %d %s)", e.Error.Message, resp.StatusCode, e.Error.Code)
		}
		return fmt.Errorf("HTTP %d", resp.StatusCode)
	}
	if out == nil {
		return nil
	}
	return json.Unmarshal(answer, out)
}

func adminCmd(stdout io.Writer) *cobra.Command {
	c := &adminClient{http: &http.Client{Timeout: 30 * time.Second}}
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "admin",
		Short: "Manage a running gateway through its admin API",
		Long: "Manage a running gateway through its admin API. The server is --server, $FLOE_ADMIN_URL or\n" +
			"http://127.0.0.1:8081; the token is --token or $FLOE_ADMIN_TOKEN.",
	}
	cmd.PersistentFlags().StringVar(&c.server, "server", envOr("FLOE_ADMIN_URL", "http://127.0.0.1:8081"), "admin listener URL")
	cmd.PersistentFlags().StringVar(&c.token, "token", os.Getenv("FLOE_ADMIN_TOKEN"), "admin token")
	cmd.PersistentFlags().BoolVar(&asJSON, "json", false, "print JSON on stdout (the API's answer; new-token: {token, hash}); errors go to stderr with exit status 1")

	// show prints v as JSON, or as a table of the given columns.
	show := func(raw json.RawMessage, key string, cols []string) error {
		if asJSON {
			_, err := fmt.Fprintln(stdout, string(raw))
			return err
		}
		var rows []map[string]any
		if key == "" {
			var one map[string]any
			if err := json.Unmarshal(raw, &one); err != nil {
				return err
			}
			rows = []map[string]any{one}
		} else {
			var wrap map[string]json.RawMessage
			if err := json.Unmarshal(raw, &wrap); err != nil {
				return err
			}
			if err := json.Unmarshal(wrap[key], &rows); err != nil {
				return err
			}
		}
		return printTable(stdout, cols, rows)
	}
	get := func(path, key string, cols []string) func(*cobra.Command, []string) error {
		return func(cmd *cobra.Command, _ []string) error {
			var raw json.RawMessage
			if err := c.call(cmd.Context(), "GET", path, &raw); err != nil {
				return err
			}
			return show(raw, key, cols)
		}
	}
	post := func(path func(args []string) string) func(*cobra.Command, []string) error {
		return func(cmd *cobra.Command, args []string) error {
			var out map[string]string
			if err := c.call(cmd.Context(), "POST", path(args), &out); err != nil {
				return err
			}
			if asJSON {
				b, _ := json.Marshal(out)
				_, err := fmt.Fprintln(stdout, string(b))
				return err
			}
			_, err := fmt.Fprintln(stdout, out["status"])
			return err
		}
	}
	// edit sends a change and prints the answer: its JSON, or its status.
	edit := func(ctx context.Context, method, path string, body any) error {
		var raw json.RawMessage
		if err := c.send(ctx, method, path, body, &raw); err != nil {
			return err
		}
		if asJSON {
			_, err := fmt.Fprintln(stdout, string(raw))
			return err
		}
		var out map[string]string
		if json.Unmarshal(raw, &out) != nil {
			return nil
		}
		_, err := fmt.Fprintln(stdout, strings.TrimSpace(out["status"]+" "+out["name"]))
		return err
	}
	fixed := func(p string) func([]string) string { return func([]string) string { return p } }
	session := func(action string) func([]string) string {
		return func(args []string) string { return "/api/v1/sessions/" + args[0] + "/" + action }
	}
	var limit int
	denials := &cobra.Command{Use: "denials", Short: "Recent denials, newest first", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return get("/api/v1/denials?limit="+strconv.Itoa(limit), "denials", []string{"time", "user", "database", "rule", "sqlstate", "errno", "message", "sql"})(cmd, args)
		}}
	denials.Flags().IntVar(&limit, "limit", 20, "how many")
	cmd.AddCommand(
		&cobra.Command{Use: "whoami", Short: "The token's name and scopes", Args: cobra.NoArgs,
			RunE: get("/api/v1/whoami", "", []string{"name", "scopes", "break_glass"})},
		&cobra.Command{Use: "sessions", Short: "Live client sessions", Args: cobra.NoArgs,
			RunE: get("/api/v1/sessions", "sessions", []string{"id", "user", "database", "client", "state", "since", "statement"})},
		&cobra.Command{Use: "cancel SESSION", Short: "Cancel the statement a session runs", Args: cobra.ExactArgs(1),
			RunE: post(session("cancel"))},
		&cobra.Command{Use: "kill SESSION", Short: "End a session", Args: cobra.ExactArgs(1),
			RunE: post(session("kill"))},
		&cobra.Command{Use: "backends", Short: "Database servers as the health checks see them", Args: cobra.NoArgs,
			RunE: get("/api/v1/backends", "backends", []string{"database", "name", "address", "role", "healthy", "lag_seconds", "breaker", "last_error"})},
		&cobra.Command{Use: "pools", Short: "Backend connection pools", Args: cobra.NoArgs,
			RunE: get("/api/v1/pools", "pools", []string{"database", "server", "mode", "size", "total", "idle", "in_use", "waiting"})},
		denials, topCmd(get), slowCmd(get), adviseCmd(c, stdout, &asJSON), cacheCmd(stdout, c, &asJSON, get),
		usersCmd(edit, get), rolesCmd(edit, get),
		&cobra.Command{Use: "reload", Short: "Re-read the configuration file (an invalid one is refused)", Args: cobra.NoArgs,
			RunE: post(fixed("/api/v1/reload"))},
		&cobra.Command{Use: "drain", Short: "Take the instance out of service (/readyz 503, new sessions refused)", Args: cobra.NoArgs,
			RunE: post(fixed("/api/v1/drain"))},
		&cobra.Command{Use: "undrain", Short: "Put the instance back into service", Args: cobra.NoArgs,
			RunE: post(fixed("/api/v1/undrain"))},
		&cobra.Command{Use: "new-token", Short: "Make an admin token and the hash to put in admin.tokens (works offline)", Args: cobra.NoArgs,
			RunE: func(*cobra.Command, []string) error {
				tok, err := admin.NewToken()
				if err != nil {
					return err
				}
				if asJSON {
					b, _ := json.Marshal(map[string]string{"token": tok, "hash": admin.HashToken(tok)})
					_, err = fmt.Fprintln(stdout, string(b))
					return err
				}
				_, err = fmt.Fprintf(stdout, "token: %s\nhash:  %s\n", tok, admin.HashToken(tok))
				return err
			}},
	)
	return cmd
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

// printTable writes rows as aligned columns.
func printTable(w io.Writer, cols []string, rows []map[string]any) error {
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, strings.ToUpper(strings.Join(cols, "\t")))
	for _, r := range rows {
		cells := make([]string, len(cols))
		for i, c := range cols {
			cells[i] = cell(r[c])
		}
		fmt.Fprintln(tw, strings.Join(cells, "\t"))
	}
	return tw.Flush()
}

func cell(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		x = strings.ReplaceAll(x, "\t", " ")
		x = strings.ReplaceAll(x, "\n", " ")
		if len(x) > 80 {
			x = x[:77] + "..."
		}
		return x
	case []any:
		parts := make([]string, len(x))
		for i, e := range x {
			parts[i] = cell(e)
		}
		return strings.Join(parts, ",")
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	}
	return fmt.Sprint(v)
}

var errNoToken = errors.New("no admin token: pass --token or set FLOE_ADMIN_TOKEN")

func topCmd(get func(path, key string, cols []string) func(*cobra.Command, []string) error) *cobra.Command {
	var limit int
	var sort string
	cmd := &cobra.Command{Use: "top", Short: "Top statement shapes (literals masked) by time, count, errors, mean or p99", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return get("/api/v1/queries?limit="+strconv.Itoa(limit)+"&sort="+sort, "queries",
				[]string{"database", "count", "errors", "rows", "total_ms", "p50_ms", "p95_ms", "p99_ms", "query"})(cmd, args)
		}}
	cmd.Flags().IntVar(&limit, "limit", 20, "how many")
	cmd.Flags().StringVar(&sort, "sort", "total", "total, count, errors, mean or p99")
	return cmd
}

func slowCmd(get getter) *cobra.Command {
	var limit int
	var database string
	cmd := &cobra.Command{Use: "slow", Short: "Slow statements (literals masked), newest first; --json has their plans", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			q := url.Values{"limit": {strconv.Itoa(limit)}}
			if database != "" {
				q.Set("database", database)
			}
			return get("/api/v1/slow?"+q.Encode(), "slow",
				[]string{"time", "database", "user", "client", "duration_ms", "rows", "status", "code", "plan_status", "text"})(cmd, args)
		}}
	cmd.Flags().IntVar(&limit, "limit", 20, "how many")
	cmd.Flags().StringVar(&database, "database", "", "only this database")
	return cmd
}

type getter = func(path, key string, cols []string) func(*cobra.Command, []string) error

// editor sends a change (PUT, DELETE) and prints the answer.
type editor = func(ctx context.Context, method, path string, body any) error

func usersCmd(edit editor, get getter) *cobra.Command {
	cmd := &cobra.Command{Use: "users", Short: "List gateway users; set and delete users of the shared store",
		Args: cobra.NoArgs, RunE: get("/api/v1/users", "users", []string{"name", "roles", "databases", "source"})}
	var roles, databases []string
	var passwordStdin bool
	set := &cobra.Command{Use: "set NAME", Short: "Create or change a store user (the password is read from stdin with --password-stdin)", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			spec := map[string]any{"roles": roles, "databases": databases}
			if passwordStdin {
				pw, err := readLine(cmd.InOrStdin())
				if err != nil {
					return err
				}
				spec["password"] = pw
			}
			return edit(cmd.Context(), "PUT", "/api/v1/users/"+args[0], spec)
		}}
	set.Flags().StringSliceVar(&roles, "roles", nil, "roles (comma-separated)")
	set.Flags().StringSliceVar(&databases, "databases", nil, "databases the user may open (default all)")
	set.Flags().BoolVar(&passwordStdin, "password-stdin", false, "read the password from stdin")
	del := &cobra.Command{Use: "delete NAME", Short: "Delete a store user", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return edit(cmd.Context(), "DELETE", "/api/v1/users/"+args[0], nil)
		}}
	cmd.AddCommand(set, del)
	return cmd
}

func rolesCmd(edit editor, get getter) *cobra.Command {
	cmd := &cobra.Command{Use: "roles", Short: "List roles; set and delete roles of the shared store",
		Args: cobra.NoArgs, RunE: get("/api/v1/roles", "roles", []string{"name", "source", "grants"})}
	var grants string
	set := &cobra.Command{Use: "set NAME", Short: "Create or replace a store role from --grants, a JSON list of grants", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var gs []map[string]any
			if err := json.Unmarshal([]byte(grants), &gs); err != nil {
				return fmt.Errorf("--grants: %v (want e.g. '[{\"database\":\"app\",\"tables\":[\"public.*\"],\"actions\":[\"select\"]}]')", err)
			}
			return edit(cmd.Context(), "PUT", "/api/v1/roles/"+args[0], map[string]any{"grants": gs})
		}}
	set.Flags().StringVar(&grants, "grants", "[]", "grants as JSON")
	del := &cobra.Command{Use: "delete NAME", Short: "Delete a store role", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return edit(cmd.Context(), "DELETE", "/api/v1/roles/"+args[0], nil)
		}}
	cmd.AddCommand(set, del)
	return cmd
}

func readLine(r io.Reader) (string, error) {
	b, err := io.ReadAll(io.LimitReader(r, 4096))
	if err != nil {
		return "", err
	}
	s := strings.TrimRight(string(b), "\r\n")
	if s == "" {
		return "", errors.New("no password on stdin")
	}
	return s, nil
}

// cacheCmd is `floe admin cache`: explain a statement's verdict, report
// the result caches, purge them.
func cacheCmd(stdout io.Writer, c *adminClient, asJSON *bool, get getter) *cobra.Command {
	cmd := &cobra.Command{Use: "cache", Short: "Result caches: explain a statement, stats, purge"}
	explain := &cobra.Command{Use: "explain DATABASE SQL", Short: "Whether a statement would be served from the cache, or exactly why not", Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			var raw json.RawMessage
			if err := c.send(cmd.Context(), "POST", "/api/v1/cache/explain", map[string]string{"database": args[0], "sql": args[1]}, &raw); err != nil {
				return err
			}
			if *asJSON {
				_, err := fmt.Fprintln(stdout, string(raw))
				return err
			}
			var x struct {
				Cacheable bool     `json:"cacheable"`
				Reason    string   `json:"reason"`
				Tables    []string `json:"tables"`
				TTL       string   `json:"ttl"`
			}
			if err := json.Unmarshal(raw, &x); err != nil {
				return err
			}
			if !x.Cacheable {
				_, err := fmt.Fprintf(stdout, "not cacheable: %s\n", x.Reason)
				return err
			}
			_, err := fmt.Fprintf(stdout, "cacheable (ttl %s, tables %s)\n", x.TTL, strings.Join(x.Tables, ", "))
			return err
		}}
	var top int
	stats := &cobra.Command{Use: "stats", Short: "Each database's cache: entries, bytes, hit ratio", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return get("/api/v1/cache?top="+strconv.Itoa(top), "caches",
				[]string{"database", "entries", "bytes", "memory", "hits", "misses", "bypasses", "hit_ratio", "feed"})(cmd, args)
		}}
	stats.Flags().IntVar(&top, "top", 10, "entries listed per database (with --json)")
	var db, table string
	purge := &cobra.Command{Use: "purge", Short: "Drop cached results: of --table, of --database, or all", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			q := url.Values{}
			if db != "" {
				q.Set("database", db)
			}
			if table != "" {
				q.Set("table", table)
			}
			path := "/api/v1/cache"
			if len(q) > 0 {
				path += "?" + q.Encode()
			}
			var raw json.RawMessage
			if err := c.send(cmd.Context(), "DELETE", path, nil, &raw); err != nil {
				return err
			}
			if *asJSON {
				_, err := fmt.Fprintln(stdout, string(raw))
				return err
			}
			var out struct {
				Entries int `json:"entries"`
			}
			_ = json.Unmarshal(raw, &out)
			_, err := fmt.Fprintf(stdout, "purged %d entries\n", out.Entries)
			return err
		}}
	purge.Flags().StringVar(&db, "database", "", "one database (default every one)")
	purge.Flags().StringVar(&table, "table", "", "one table (default every entry)")
	cmd.AddCommand(explain, stats, purge)
	return cmd
}
