package cli

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/floe-db/floe/internal/audit"
	"github.com/floe-db/floe/internal/config"
	"github.com/floe-db/floe/internal/secrets"
)

// auditVerifyCmd checks an audit log: its chain (keyed or not) and, when
// given, its checkpoints.
func auditVerifyCmd(stdin io.Reader, stdout io.Writer) *cobra.Command {
	var keyRef, checkpoints, cfgPath string
	var allowTail bool
	cmd := &cobra.Command{
		Use:   "verify FILE...",
		Short: "Check the audit chain (and its checkpoints); files of a rotated series oldest first",
		Long: `Check the audit chain through FILE... (a rotated series oldest first, then the live file).

A keyed log (audit.key) needs its key: --key env:NAME, --key file:PATH, or --key - (read from
standard input); or --config FILE to take audit.key and audit.checkpoints from the gateway's
configuration (its ${env:…}, ${file:…} and ${vault:…} references resolved). The key is never
taken from the command line itself.

With --checkpoints FILE (the audit.checkpoints file), records removed from the start or the end
of the log, and a checkpoint file cut short, are detected too. Records written after the last
checkpoint (a live log) fail the check unless --allow-tail is given.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(_ *cobra.Command, files []string) error {
			opts := audit.VerifyOptions{Checkpoints: checkpoints, AllowTail: allowTail}
			if cfgPath != "" {
				c, err := config.LoadWith(cfgPath, config.LoadOptions{Vault: secrets.OpenVault, Cloud: secrets.NewCache(secrets.CacheOptions{}).Opener()})
				if err != nil {
					return err
				}
				if c.Audit == nil {
					return fmt.Errorf("%s has no audit block", cfgPath)
				}
				opts.Key = []byte(c.Audit.Key)
				if opts.Checkpoints == "" {
					opts.Checkpoints = c.Audit.Checkpoints
				}
			}
			if keyRef != "" {
				k, err := readKey(keyRef, stdin)
				if err != nil {
					return err
				}
				opts.Key = k
			}
			rep, err := audit.VerifyWith(opts, files...)
			if err != nil {
				return fmt.Errorf("audit chain broken after %d good records: %w", rep.Records, err)
			}
			kind := "keyed (HMAC-SHA-256)"
			if !rep.Keyed {
				kind = "UNKEYED (SHA-256 only: anyone who can write the file can rewrite it undetected; set audit.key)"
			}
			fmt.Fprintf(stdout, "ok: %d records, chain intact, %s\n", rep.Records, kind)
			if opts.Checkpoints != "" {
				fmt.Fprintf(stdout, "checkpoints: %d, all match the log", rep.Checkpoints)
				if rep.Uncovered > 0 {
					fmt.Fprintf(stdout, "; %d records after the last checkpoint", rep.Uncovered)
				}
				fmt.Fprintln(stdout)
			} else {
				fmt.Fprintln(stdout, "no checkpoints given: records removed from the start or the end would not be detected")
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&keyRef, "key", "", "the audit key: env:NAME, file:PATH or - (standard input)")
	cmd.Flags().StringVar(&checkpoints, "checkpoints", "", "the checkpoint file (audit.checkpoints)")
	cmd.Flags().StringVar(&cfgPath, "config", "", "take audit.key and audit.checkpoints from this configuration")
	cmd.Flags().BoolVar(&allowTail, "allow-tail", false, "accept records after the last checkpoint (a live log)")
	return cmd
}

// readKey reads the key a reference names. A literal key is refused: it
// would sit in the shell history and the process list.
func readKey(ref string, stdin io.Reader) ([]byte, error) {
	var k string
	switch {
	case ref == "-":
		line, err := bufio.NewReader(stdin).ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return nil, err
		}
		k = line
	case strings.HasPrefix(ref, "env:"):
		name := strings.TrimPrefix(ref, "env:")
		v, ok := os.LookupEnv(name)
		if !ok {
			return nil, fmt.Errorf("--key: environment variable %s is not set", name)
		}
		k = v
	case strings.HasPrefix(ref, "file:"):
		b, err := os.ReadFile(strings.TrimPrefix(ref, "file:"))
		if err != nil {
			return nil, fmt.Errorf("--key: %w", err)
		}
		k = string(b)
	default:
		return nil, errors.New("--key takes env:NAME, file:PATH or - (standard input), never the key itself")
	}
	k = strings.TrimRight(k, "\r\n")
	if k == "" {
		return nil, errors.New("--key: the key is empty")
	}
	return []byte(k), nil
}
