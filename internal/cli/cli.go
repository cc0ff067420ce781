package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/floe-db/floe/internal/app"
	"github.com/floe-db/floe/internal/authn"
	"github.com/floe-db/floe/internal/config"
	"github.com/floe-db/floe/internal/provision"
)

// Main runs the command line and returns the exit code.
func Main(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	root := newRoot(stdin, stdout, stderr)
	root.SetArgs(args)
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	if err := root.ExecuteContext(ctx); err != nil {
		fmt.Fprintln(stderr, "floe:", err)
		return 1
	}
	return 0
}

func newRoot(stdin io.Reader, stdout, stderr io.Writer) *cobra.Command {
	root := &cobra.Command{
		Use:           "floe",
		Short:         "Floe is a secure, fast gateway in front of PostgreSQL, MySQL and SQLite",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.AddCommand(serveCmd(stdout, stderr), configCmd(stdout), passwdCmd(stdin, stdout, stderr), auditCmd(stdin, stdout),
		queryCmd(stdin, stdout, stderr), adminCmd(stdout), provisionCmd(stdout), loginCmd(stdout, stderr), cdcCmd(stdout))
	return root
}

// findConfig resolves --config, then $FLOE_CONFIG, then ./floe.yaml.
// "" means demo mode.
func findConfig(flag string) string {
	if flag != "" {
		return flag
	}
	if env := os.Getenv("FLOE_CONFIG"); env != "" {
		return env
	}
	if _, err := os.Stat("floe.yaml"); err == nil {
		return "floe.yaml"
	}
	return ""
}

// loadConfig loads the file --config names (or $FLOE_CONFIG, or
// ./floe.yaml), references resolved.
func loadConfig(flag string) (*config.Config, string, error) {
	path := findConfig(flag)
	if path == "" {
		return nil, "", errors.New("no config file: pass --config FILE")
	}
	c, err := config.LoadWith(path, app.LoadOptions())
	return c, path, err
}

func serveCmd(stdout, stderr io.Writer) *cobra.Command {
	var cfgPath, dataDir string
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the gateway (demo mode without a config file)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return app.Run(cmd.Context(), app.Options{
				ConfigPath: findConfig(cfgPath), DataDir: dataDir, Stdout: stdout, Stderr: stderr,
			})
		},
	}
	cmd.Flags().StringVar(&cfgPath, "config", "", "config file (default $FLOE_CONFIG or ./floe.yaml; none: demo mode)")
	cmd.Flags().StringVar(&dataDir, "data-dir", "data", "where demo mode keeps its SQLite database and change streams their state files (cdc.state_dir unset)")
	return cmd
}

func configCmd(stdout io.Writer) *cobra.Command {
	cmd := &cobra.Command{Use: "config", Short: "Work with the configuration file"}
	var cfgPath string
	var backends bool
	check := &cobra.Command{
		Use:   "check",
		Short: "Validate a configuration file; errors name the key and line",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, path, err := loadConfig(cfgPath)
			if err != nil {
				return err
			}
			fmt.Fprintf(stdout, "%s: ok (%d databases, %d users)\n", path, len(c.Databases), len(c.Users))
			for _, d := range c.Databases {
				if (d.Kind == config.KindPostgres || d.Kind == config.KindMySQL) && len(d.Identities) == 0 {
					fmt.Fprintf(stdout, "note: database %s has no identities: every session runs as its DSN's login, so only Floe's reading of SQL enforces the grants (--backends checks that login)\n", d.Name)
				}
			}
			if !backends {
				return nil
			}
			warns, err := provision.Check(cmd.Context(), c)
			for _, w := range warns {
				fmt.Fprintln(stdout, "warning:", w)
			}
			if err != nil {
				return err
			}
			if len(warns) > 0 {
				return fmt.Errorf("%d warning(s) about backend logins", len(warns))
			}
			fmt.Fprintln(stdout, "backend logins: no superuser sessions, no privileges beyond the grants")
			return nil
		},
	}
	check.Flags().StringVar(&cfgPath, "config", "", "config file (default $FLOE_CONFIG or ./floe.yaml)")
	check.Flags().BoolVar(&backends, "backends", false, "also connect to each database and warn about superuser logins and privileges beyond the grants")
	scan := &cobra.Command{
		Use:   "scan [FILE...]",
		Short: "Flag secrets written in plain text (use ${env:} or ${file:} references instead)",
		RunE: func(_ *cobra.Command, files []string) error {
			if len(files) == 0 {
				path := findConfig("")
				if path == "" {
					return errors.New("no config file: name one")
				}
				files = []string{path}
			}
			n := 0
			for _, f := range files {
				data, err := os.ReadFile(f)
				if err != nil {
					return err
				}
				found, err := config.Scan(f, data)
				if err != nil {
					return err
				}
				for _, fd := range found {
					fmt.Fprintln(stdout, fd.String())
				}
				n += len(found)
			}
			if n > 0 {
				return fmt.Errorf("%d plaintext secret(s) found", n)
			}
			fmt.Fprintf(stdout, "no plaintext secrets in %s\n", strings.Join(files, ", "))
			return nil
		},
	}
	cmd.AddCommand(check, scan)
	return cmd
}

func auditCmd(stdin io.Reader, stdout io.Writer) *cobra.Command {
	cmd := &cobra.Command{Use: "audit", Short: "Work with the audit log"}
	cmd.AddCommand(auditVerifyCmd(stdin, stdout))
	return cmd
}

func passwdCmd(stdin io.Reader, stdout, stderr io.Writer) *cobra.Command {
	var iterations int
	cmd := &cobra.Command{
		Use:   "passwd",
		Short: "Print a SCRAM-SHA-256 verifier for a password read from stdin",
		Long: "Reads a password from standard input (prompting without echo on a terminal) and prints a\n" +
			"SCRAM-SHA-256 verifier to use as `scram:` for a user in the config file.",
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			pw, err := readPassword(stdin, stderr)
			if err != nil {
				return err
			}
			if pw == "" {
				return errors.New("empty password")
			}
			v, err := authn.NewVerifier(pw, iterations)
			if err != nil {
				return err
			}
			fmt.Fprintln(stdout, v)
			return nil
		},
	}
	cmd.Flags().IntVar(&iterations, "iterations", authn.DefaultIterations, "PBKDF2 iterations")
	return cmd
}

func readPassword(stdin io.Reader, stderr io.Writer) (string, error) {
	if f, ok := stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		fmt.Fprint(stderr, "Password: ")
		b, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(stderr)
		return string(b), err
	}
	line, err := bufio.NewReader(stdin).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", err
	}
	return strings.TrimRight(line, "\r\n"), nil
}

func provisionCmd(stdout io.Writer) *cobra.Command {
	var cfgPath, database string
	var dryRun bool
	cmd := &cobra.Command{
		Use:   "provision",
		Short: "Make the backend logins of databases[].identities hold exactly what their roles' grants give",
		Long: `For every database with identities, connect with its primary DSN and create or
alter each identity's login (no superuser, no role creation, no memberships),
revoke what it held in the database, and grant the tables and columns its roles'
grants give; on PostgreSQL, row filters become row-level security policies.
Passwords are never printed.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, _, err := loadConfig(cfgPath)
			if err != nil {
				return err
			}
			results, err := provision.Run(cmd.Context(), c, database, dryRun)
			for _, r := range results {
				verb := "provisioned"
				if dryRun {
					verb = "would run"
				}
				fmt.Fprintf(stdout, "-- database %s: %s %d statements\n", r.Database, verb, len(r.Statements))
				for _, q := range r.Statements {
					fmt.Fprintln(stdout, q+";")
				}
				for _, n := range r.Notes {
					fmt.Fprintln(stdout, "-- note:", n)
				}
			}
			if err == nil && len(results) == 0 {
				fmt.Fprintln(stdout, "no database has identities: nothing to provision")
			}
			return err
		},
	}
	cmd.Flags().StringVar(&cfgPath, "config", "", "config file (default $FLOE_CONFIG or ./floe.yaml)")
	cmd.Flags().StringVar(&database, "database", "", "only this database")
	cmd.Flags().BoolVar(&dryRun, "dry-run", false, "print the statements without running them")
	return cmd
}
