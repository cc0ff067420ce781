package cdc

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// PostgreSQL DDL through an event trigger. pgoutput carries no DDL; with
// Options.DDLTrigger the stream installs, in the database, a function and
// two event triggers (ddl_command_end, sql_drop) that emit a
// transactional logical decoding message naming the tables a DDL
// statement touched. The stream asks pgoutput for messages (PostgreSQL 14
// and later) and reports each named table as a ddl event of the DDL's
// transaction, at its commit. Creating event triggers needs superuser.

// ddlPrefix is the logical message prefix of the trigger's messages.
const ddlPrefix = "floe_cdc_ddl"

// ddlObjects names the function and triggers (shared by every stream on
// the database).
const (
	ddlFunction    = "floe_cdc_ddl"
	ddlTriggerEnd  = "floe_cdc_ddl_end"
	ddlTriggerDrop = "floe_cdc_ddl_drop"
)

// ddlFunctionSQL emits [{"schema":…,"table":…}, …] for the relations a
// DDL statement created, altered or dropped (an index counts as its
// table).
const ddlFunctionSQL = `CREATE OR REPLACE FUNCTION ` + ddlFunction + `() RETURNS event_trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog AS $fn$
DECLARE
	msg json;
BEGIN
	IF TG_EVENT = 'sql_drop' THEN
		SELECT json_agg(json_build_object('schema', d.schema_name, 'table', d.object_name)) INTO msg
		FROM pg_event_trigger_dropped_objects() d
		WHERE d.object_type IN ('table', 'view', 'materialized view', 'foreign table', 'partitioned table');
	ELSE
		SELECT json_agg(json_build_object('schema', n.nspname, 'table', c.relname)) INTO msg
		FROM pg_event_trigger_ddl_commands() e
		JOIN pg_class r ON e.classid = 'pg_class'::regclass AND r.oid = e.objid
		LEFT JOIN pg_index i ON r.relkind IN ('i', 'I') AND i.indexrelid = r.oid
		JOIN pg_class c ON c.oid = coalesce(i.indrelid, r.oid)
		JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f');
	END IF;
	IF msg IS NOT NULL THEN
		PERFORM pg_logical_emit_message(true, '` + ddlPrefix + `', msg::text);
	END IF;
END
$fn$`

// setupDDLTrigger installs (or replaces) the function and its triggers.
func setupDDLTrigger(ctx context.Context, c *pgx.Conn) error {
	var version int
	if err := c.QueryRow(ctx, "SELECT current_setting('server_version_num')::int").Scan(&version); err != nil {
		return err
	}
	if version < 140000 {
		return fmt.Errorf("%w: cdc.ddl_trigger needs PostgreSQL 14 or later (pgoutput messages)", ErrSource)
	}
	tx, err := c.Begin(ctx)
	if err != nil {
		return err
	}
	defer func() { _ = tx.Rollback(ctx) }()
	for _, q := range []string{
		ddlFunctionSQL,
		"DROP EVENT TRIGGER IF EXISTS " + ddlTriggerEnd,
		"DROP EVENT TRIGGER IF EXISTS " + ddlTriggerDrop,
		"CREATE EVENT TRIGGER " + ddlTriggerEnd + " ON ddl_command_end EXECUTE FUNCTION " + ddlFunction + "()",
		"CREATE EVENT TRIGGER " + ddlTriggerDrop + " ON sql_drop EXECUTE FUNCTION " + ddlFunction + "()",
	} {
		if _, err := tx.Exec(ctx, q); err != nil {
			return fmt.Errorf("cdc.ddl_trigger (needs superuser): %w", err)
		}
	}
	return tx.Commit(ctx)
}

// dropDDLTrigger removes the triggers and the function; it reports
// whether they were there.
func dropDDLTrigger(ctx context.Context, c *pgx.Conn) (bool, error) {
	var n int
	if err := c.QueryRow(ctx, "SELECT count(*) FROM pg_event_trigger WHERE evtname IN ($1, $2)", ddlTriggerEnd, ddlTriggerDrop).Scan(&n); err != nil {
		return false, err
	}
	for _, q := range []string{
		"DROP EVENT TRIGGER IF EXISTS " + ddlTriggerEnd,
		"DROP EVENT TRIGGER IF EXISTS " + ddlTriggerDrop,
		"DROP FUNCTION IF EXISTS " + ddlFunction + "()",
	} {
		if _, err := c.Exec(ctx, q); err != nil {
			return false, err
		}
	}
	return n > 0, nil
}

// maxDDLMessage bounds the content of one trigger message read.
const maxDDLMessage = 1 << 20

// decodeDDLMessage reads a trigger message: the tables a DDL statement
// touched, as ddl events (Database, position and time left empty).
func decodeDDLMessage(content []byte) ([]Event, error) {
	if len(content) > maxDDLMessage {
		return nil, fmt.Errorf("%w: ddl message of %d bytes", ErrSource, len(content))
	}
	var objs []struct {
		Schema *string `json:"schema"`
		Table  *string `json:"table"`
	}
	if err := json.Unmarshal(content, &objs); err != nil {
		return nil, fmt.Errorf("%w: ddl message: %v", ErrSource, err)
	}
	evs := make([]Event, 0, len(objs))
	for _, o := range objs {
		if o.Table == nil || *o.Table == "" {
			return nil, fmt.Errorf("%w: ddl message names no table", ErrSource)
		}
		ev := Event{Table: *o.Table, Op: OpDDL}
		if o.Schema != nil {
			ev.Schema = *o.Schema
		}
		evs = append(evs, ev)
	}
	return evs, nil
}
