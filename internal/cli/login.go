package cli

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/floe-db/floe/internal/oidclogin"
)

// loginCmd is floe login: an access token from an OpenID Connect issuer
// (device or client credentials flow), printed, put in ~/.pgpass, or
// printed as PGPASSWORD=… for a shell.
func loginCmd(stdout, stderr io.Writer) *cobra.Command {
	var o oidclogin.Options
	var secretFile, pgpass string
	var env bool
	cmd := &cobra.Command{
		Use:   "login",
		Short: "Get an OpenID Connect token to log in to the gateway's PostgreSQL and MySQL listeners (oidc.wire)",
		Long: `Get an access token from an OpenID Connect issuer, with the device flow
(open the printed URL, enter the code) or the client credentials flow (a
service with a client secret from --client-secret-file or
$FLOE_OIDC_CLIENT_SECRET). The token is the password of a token login:
printed on standard output, written to the password file (--pgpass
host:port:database:user; $PGPASSFILE or ~/.pgpass, mode 0600), or
printed as PGPASSWORD=<token> (--env) for eval in a shell.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if pgpass != "" && env {
				return errors.New("--pgpass and --env exclude each other")
			}
			var entry oidclogin.PgpassEntry
			if pgpass != "" {
				var err error
				if entry, err = oidclogin.ParsePgpassEntry(pgpass); err != nil {
					return fmt.Errorf("--pgpass: %w", err)
				}
			}
			o.ClientSecret = os.Getenv("FLOE_OIDC_CLIENT_SECRET")
			if secretFile != "" {
				b, err := os.ReadFile(secretFile)
				if err != nil {
					return fmt.Errorf("--client-secret-file: %w", err)
				}
				o.ClientSecret = strings.TrimSpace(string(b))
			}
			o.Prompt = func(uri, code, complete string) {
				fmt.Fprintf(stderr, "To log in, open %s and enter the code %s\n", uri, code)
				if complete != "" {
					fmt.Fprintf(stderr, "(or open %s)\n", complete)
				}
			}
			tok, err := oidclogin.Login(cmd.Context(), o)
			if err != nil {
				return err
			}
			switch {
			case pgpass != "":
				path, err := oidclogin.PgpassPath()
				if err != nil {
					return err
				}
				if err := oidclogin.WritePgpass(path, entry, tok.AccessToken); err != nil {
					return fmt.Errorf("write %s: %w", path, err)
				}
				fmt.Fprintf(stderr, "token for %s written to %s (connect with sslmode=require)\n", entry.User, path)
			case env:
				fmt.Fprintf(stdout, "PGPASSWORD=%s\n", tok.AccessToken)
			default:
				fmt.Fprintln(stdout, tok.AccessToken)
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.Issuer, "issuer", "", "the issuer URL (its discovery document is read)")
	f.StringVar(&o.ClientID, "client-id", "", "the OAuth client id")
	f.StringVar(&secretFile, "client-secret-file", "", "file holding the client secret (default $FLOE_OIDC_CLIENT_SECRET)")
	f.StringVar(&o.Flow, "flow", oidclogin.FlowDevice, "device or client_credentials")
	f.StringSliceVar(&o.Scopes, "scope", nil, "extra scopes to request")
	f.StringVar(&pgpass, "pgpass", "", "write the token to the password file as host:port:database:user")
	f.BoolVar(&env, "env", false, "print PGPASSWORD=<token>")
	_ = cmd.MarkFlagRequired("issuer")
	_ = cmd.MarkFlagRequired("client-id")
	return cmd
}
