package cli

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/floe-db/floe/internal/cdc"
	"github.com/floe-db/floe/internal/config"
)

// cdcCmd is `floe cdc`: the state of change-data capture and the removal
// of what it created.
func cdcCmd(stdout io.Writer) *cobra.Command {
	cmd := &cobra.Command{Use: "cdc", Short: "Change-data capture: status, and drop what Floe created"}
	var cfgPath, dataDir, database string
	flags := func(c *cobra.Command) {
		c.Flags().StringVar(&cfgPath, "config", "", "config file (default $FLOE_CONFIG or ./floe.yaml)")
		c.Flags().StringVar(&dataDir, "data-dir", "data", "the gateway's data directory (state files where cdc.state_dir is unset)")
		c.Flags().StringVar(&database, "database", "", "only this database")
	}
	// selected are the databases with a cdc section, or the one named.
	selected := func() ([]config.Database, error) {
		c, _, err := loadConfig(cfgPath)
		if err != nil {
			return nil, err
		}
		var out []config.Database
		for _, d := range c.Databases {
			if d.CDC != nil && (database == "" || d.Name == database) {
				out = append(out, d)
			}
		}
		if database != "" && len(out) == 0 {
			return nil, fmt.Errorf("database %q has no cdc section", database)
		}
		return out, nil
	}
	stateDir := func(d config.Database) string {
		if d.CDC.StateDir != "" {
			return d.CDC.StateDir
		}
		return dataDir
	}
	drop := &cobra.Command{
		Use:   "drop",
		Short: "Drop the replication slot and the publication Floe created (PostgreSQL) and the saved position (both kinds)",
		Long: "Drop the replication slot and, if Floe created it, the publication (PostgreSQL), and remove the state file " +
			"with the saved position (both kinds). Stop the gateway's stream first: a slot in use is not dropped. " +
			"The next start follows changes from that moment on.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			dbs, err := selected()
			if err != nil {
				return err
			}
			for _, d := range dbs {
				if d.Kind == config.KindPostgres {
					slot, pub, err := cdc.DropPostgres(cmd.Context(), d.Primary, d.CDC.Slot, d.CDC.Publication)
					if err != nil {
						return fmt.Errorf("%s: %w", d.Name, err)
					}
					fmt.Fprintf(stdout, "%s: slot %s %s, publication %s %s\n", d.Name, d.CDC.Slot, done(slot, "dropped", "not there"),
						d.CDC.Publication, done(pub, "dropped", "kept (absent or not created by Floe)"))
				}
				if err := cdc.RemoveState(stateDir(d), d.Name); err != nil {
					return fmt.Errorf("%s: %w", d.Name, err)
				}
				fmt.Fprintf(stdout, "%s: state file %s removed\n", d.Name, cdc.StatePath(stateDir(d), d.Name))
			}
			return nil
		},
	}
	status := &cobra.Command{
		Use:   "status",
		Short: "Show each stream's saved position and, on PostgreSQL, its slot on the server",
		Long:  "Show each stream's saved position and, on PostgreSQL, its slot on the server. The running gateway's live view (connected, watermark, lag) is GET /api/v1/cdc on the admin API.",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			dbs, err := selected()
			if err != nil {
				return err
			}
			var rows []map[string]any
			for _, d := range dbs {
				row := map[string]any{"database": d.Name, "kind": d.Kind, "enabled": d.CDC.Enabled}
				st, err := cdc.ReadState(stateDir(d), d.Name)
				switch {
				case err != nil:
					row["position"] = "error: " + err.Error()
				case st != nil:
					row["position"], row["gtid"], row["saved"] = st.Position, st.GTID, st.Updated.Format("2006-01-02T15:04:05Z")
				}
				if d.Kind == config.KindPostgres {
					s, err := cdc.PostgresSlot(cmd.Context(), d.Primary, d.CDC.Slot)
					switch {
					case err != nil:
						row["slot"] = d.CDC.Slot + " (error: " + err.Error() + ")"
					case !s.Exists:
						row["slot"] = d.CDC.Slot + " (absent)"
					default:
						row["slot"] = fmt.Sprintf("%s (%s, confirmed %s, retains %d bytes of WAL)", d.CDC.Slot,
							done(s.Active, "active", "inactive"), s.ConfirmedFlush, s.RetainedBytes)
					}
				}
				rows = append(rows, row)
			}
			return printTable(stdout, []string{"database", "kind", "enabled", "position", "gtid", "saved", "slot"}, rows)
		},
	}
	flags(drop)
	flags(status)
	cmd.AddCommand(drop, status)
	return cmd
}

func done(ok bool, yes, no string) string {
	if ok {
		return yes
	}
	return no
}
