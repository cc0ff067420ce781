package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"strings"

	"github.com/spf13/cobra"

	"github.com/floe-db/floe/internal/advise"
)

// adviseCmd is floe admin advise: GET /api/v1/advice, printed as one
// block per database (or the API's JSON with --json).
func adviseCmd(c *adminClient, stdout io.Writer, asJSON *bool) *cobra.Command {
	var database, user string
	var refresh bool
	cmd := &cobra.Command{Use: "advise", Short: "Index advice for the heaviest statement shapes, verified by the planner where it can be",
		Long: "Index advice: candidate indexes read from the heaviest statement shapes of each PostgreSQL and\n" +
			"MySQL database, verified with hypothetical indexes (hypopg) on PostgreSQL; unverified advice\n" +
			"is marked so, with what the plan shows (full scans, sorts).",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			q := url.Values{}
			if database != "" {
				q.Set("database", database)
			}
			if user != "" {
				q.Set("user", user)
			}
			if refresh {
				q.Set("refresh", "true")
			}
			path := "/api/v1/advice"
			if len(q) > 0 {
				path += "?" + q.Encode()
			}
			var raw json.RawMessage
			if err := c.call(cmd.Context(), "GET", path, &raw); err != nil {
				return err
			}
			if *asJSON {
				_, err := fmt.Fprintln(stdout, string(raw))
				return err
			}
			var out struct{ Reports []advise.Report }
			if err := json.Unmarshal(raw, &out); err != nil {
				return err
			}
			return printAdvice(stdout, out.Reports)
		}}
	cmd.Flags().StringVar(&database, "database", "", "one database (default: all)")
	cmd.Flags().StringVar(&user, "user", "", "only the advice for shapes this gateway user may run")
	cmd.Flags().BoolVar(&refresh, "refresh", false, "compute the advice now instead of the report kept")
	return cmd
}

func printAdvice(w io.Writer, reports []advise.Report) error {
	if len(reports) == 0 {
		_, err := fmt.Fprintln(w, "no PostgreSQL or MySQL database with advice on")
		return err
	}
	for i, r := range reports {
		if i > 0 {
			fmt.Fprintln(w)
		}
		how := "verified by the planner (hypothetical indexes)"
		if !r.Verified {
			how = "NOT verified"
		}
		fmt.Fprintf(w, "%s (%s): %d shape(s) read, %s\n", r.Database, r.Kind, r.Shapes, how)
		if r.Note != "" {
			fmt.Fprintf(w, "  note: %s\n", r.Note)
		}
		if len(r.Advice) == 0 {
			fmt.Fprintln(w, "  no index advised")
		}
		for _, a := range r.Advice {
			fmt.Fprintf(w, "  %s;\n", a.Statement)
			if a.Verified {
				fmt.Fprintf(w, "    verified: estimated cost -%.0f%% (%.0f -> %.0f, weighted by count)\n", a.Gain*100, a.CostBefore, a.CostAfter)
			} else {
				fmt.Fprintln(w, "    unverified")
			}
			for _, s := range a.Shapes {
				fmt.Fprintf(w, "    helps (x%d): %s\n", s.Count, cell(s.Query))
				if len(s.Evidence) > 0 {
					fmt.Fprintf(w, "      plan: %s\n", strings.Join(s.Evidence, "; "))
				}
			}
		}
		for _, s := range r.Skipped {
			fmt.Fprintf(w, "  skipped: %s (%s)\n", cell(s.Query), s.Reason)
		}
	}
	return nil
}
