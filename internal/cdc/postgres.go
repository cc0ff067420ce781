package cdc

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pglogrepl"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgproto3"
)

// publicationComment marks a publication Floe created, so that
// DropPostgres never drops one an operator made.
const publicationComment = "created by floe for change-data capture"

// validName is what slot and publication names may be (PostgreSQL's
// rule for slot names, applied to both so they need no quoting).
var validName = regexp.MustCompile(`^[a-z0-9_]{1,63}$`)

// ValidName reports whether s can name a slot or publication.
func ValidName(s string) bool { return validName.MatchString(s) }

// pgSource streams pgoutput from a logical slot.
type pgSource struct {
	s *Stream
	// rels are the relations seen, by id; kept across reconnects so that
	// a shape changed while disconnected is still reported.
	rels map[uint32]*pglogrepl.RelationMessage
	// delivered is the end LSN of the last commit delivered: a commit
	// the server sends again after a reconnect is not delivered twice.
	delivered pglogrepl.LSN
	// saved is the position last written to the state file.
	saved string
}

func newPG(s *Stream) *pgSource {
	return &pgSource{s: s, rels: map[uint32]*pglogrepl.RelationMessage{}}
}

// replicationDSN adds replication=database to a DSN.
func replicationDSN(dsn string) (string, error) {
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		u, err := url.Parse(dsn)
		if err != nil {
			return "", fmt.Errorf("%w: primary DSN: %v", ErrConfig, err)
		}
		q := u.Query()
		q.Set("replication", "database")
		u.RawQuery = q.Encode()
		return u.String(), nil
	}
	return dsn + " replication=database", nil
}

// setupPG checks wal_level and makes the publication and slot if they
// are missing.
func setupPG(ctx context.Context, c *pgx.Conn, slot, pub string, tables []string) error {
	var level string
	if err := c.QueryRow(ctx, "SHOW wal_level").Scan(&level); err != nil {
		return err
	}
	if level != "logical" {
		return fmt.Errorf("%w: wal_level is %s; set wal_level = logical and restart the server", ErrSource, level)
	}
	var exists bool
	if err := c.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_publication WHERE pubname = $1)", pub).Scan(&exists); err != nil {
		return err
	}
	if !exists {
		target := "ALL TABLES"
		if len(tables) > 0 {
			names := make([]string, len(tables))
			for i, t := range tables {
				names[i] = pgx.Identifier(strings.SplitN(t, ".", 2)).Sanitize()
			}
			target = "TABLE " + strings.Join(names, ", ")
		}
		b := &pgx.Batch{}
		b.Queue("CREATE PUBLICATION " + pub + " FOR " + target)
		b.Queue("COMMENT ON PUBLICATION " + pub + " IS '" + publicationComment + "'")
		tx, err := c.Begin(ctx)
		if err != nil {
			return err
		}
		err = tx.SendBatch(ctx, b).Close()
		if err == nil {
			err = tx.Commit(ctx)
		}
		if err != nil {
			_ = tx.Rollback(ctx)
			var pe *pgconn.PgError
			if !errors.As(err, &pe) || pe.Code != "42710" { // duplicate_object: made meanwhile
				return fmt.Errorf("create publication %s: %w", pub, err)
			}
		}
	}
	var plugin, db, current string
	err := c.QueryRow(ctx, "SELECT coalesce(plugin, ''), coalesce(database::text, ''), current_database() FROM pg_replication_slots WHERE slot_name = $1", slot).Scan(&plugin, &db, &current)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		_, err = c.Exec(ctx, "SELECT pg_create_logical_replication_slot($1, 'pgoutput')", slot)
		var pe *pgconn.PgError
		if err != nil && (!errors.As(err, &pe) || pe.Code != "42710") {
			return fmt.Errorf("create replication slot %s: %w", slot, err)
		}
	case err != nil:
		return err
	case plugin != "pgoutput" || db != current:
		return fmt.Errorf("%w: replication slot %s exists for plugin %q on database %q", ErrSource, slot, plugin, db)
	}
	return nil
}

// pageBoundary lowers an insert position that sits just after a WAL page
// header to the page start: no record ends inside a page header, and the
// walsender's sent position stops at the page start when idle there.
func pageBoundary(l pglogrepl.LSN) pglogrepl.LSN {
	const page, longHeader = 8192, 40
	if off := uint64(l) % page; off > 0 && off <= longHeader {
		return l - pglogrepl.LSN(off)
	}
	return l
}

// maxProbes bounds the watermark probes waiting for the stream.
const maxProbes = 16

func (p *pgSource) run(ctx context.Context) error {
	o := p.s.opts
	c, err := pgx.Connect(ctx, o.DSN)
	if err != nil {
		return err
	}
	defer closePG(ctx, c.Close)
	if err := setupPG(ctx, c, o.Slot, o.Publication, o.Tables); err != nil {
		return err
	}
	args := []string{"proto_version '1'", "publication_names '" + o.Publication + "'"}
	if o.DDLTrigger {
		if err := setupDDLTrigger(ctx, c); err != nil {
			return err
		}
		args = append(args, "messages 'true'")
	}
	rdsn, err := replicationDSN(o.DSN)
	if err != nil {
		return err
	}
	rc, err := pgconn.Connect(ctx, rdsn)
	if err != nil {
		return err
	}
	defer closePG(ctx, rc.Close)
	err = pglogrepl.StartReplication(ctx, rc, o.Slot, 0, pglogrepl.StartReplicationOptions{PluginArgs: args})
	if err != nil {
		return fmt.Errorf("start replication on slot %s: %w", o.Slot, err)
	}
	p.s.setConnected(true)
	defer p.saveState()

	var (
		tx     txn
		inTx   bool
		ack    = p.delivered // what the server may forget
		probes []probe[pglogrepl.LSN]
		next   time.Time
	)
	status := func(reply bool) error {
		return pglogrepl.SendStandbyStatusUpdate(ctx, rc, pglogrepl.StandbyStatusUpdate{
			WALWritePosition: ack, WALFlushPosition: ack, WALApplyPosition: ack,
			ClientTime: time.Now(), ReplyRequested: reply,
		})
	}
	// On the way out, acknowledge what was delivered, so that a restart
	// does not receive it again.
	defer func() { _ = status(false) }()
	// reached resolves the probes the stream has now passed.
	reached := func(sent pglogrepl.LSN) {
		n := 0
		for _, pr := range probes {
			if pr.target <= sent {
				p.s.advance(pr.at)
				n++
				continue
			}
			break
		}
		probes = probes[n:]
	}
	for {
		if now := time.Now(); !now.Before(next) {
			next = now.Add(o.Heartbeat)
			if len(probes) < maxProbes {
				pctx, cancel := context.WithTimeout(ctx, o.Heartbeat)
				var ls string
				if err := c.QueryRow(pctx, "SELECT pg_current_wal_insert_lsn()::text").Scan(&ls); err != nil {
					cancel()
					return fmt.Errorf("watermark probe: %w", err)
				}
				cancel()
				l, err := pglogrepl.ParseLSN(ls)
				if err != nil {
					return fmt.Errorf("watermark probe: %w", err)
				}
				probes = append(probes, probe[pglogrepl.LSN]{at: now, target: pageBoundary(l)})
			}
			if err := status(len(probes) > 0); err != nil {
				return err
			}
			p.s.tick()
			p.saveState()
		}
		rctx, cancel := context.WithDeadline(ctx, next)
		raw, err := rc.ReceiveMessage(rctx)
		cancel()
		if err != nil {
			if pgconn.Timeout(err) && ctx.Err() == nil {
				continue
			}
			return err
		}
		var cd *pgproto3.CopyData
		switch m := raw.(type) {
		case *pgproto3.ErrorResponse:
			return pgconn.ErrorResponseToPgError(m)
		case *pgproto3.CopyData:
			cd = m
		default:
			continue
		}
		if len(cd.Data) == 0 {
			continue
		}
		switch cd.Data[0] {
		case pglogrepl.PrimaryKeepaliveMessageByteID:
			k, err := pglogrepl.ParsePrimaryKeepaliveMessage(cd.Data[1:])
			if err != nil {
				return err
			}
			if !inTx {
				ack = max(ack, k.ServerWALEnd)
				reached(k.ServerWALEnd)
			}
			if k.ReplyRequested {
				if err := status(false); err != nil {
					return err
				}
			}
		case pglogrepl.XLogDataByteID:
			x, err := pglogrepl.ParseXLogData(cd.Data[1:])
			if err != nil {
				return err
			}
			msg, err := pglogrepl.Parse(x.WALData)
			if err != nil {
				return fmt.Errorf("pgoutput: %w", err)
			}
			switch m := msg.(type) {
			case *pglogrepl.BeginMessage:
				inTx = true
			case *pglogrepl.RelationMessage:
				if old, ok := p.rels[m.RelationID]; ok && !sameRelation(old, m) {
					tx.add(Event{Database: o.Database, Schema: m.Namespace, Table: m.RelationName, Op: OpDDL})
					if old.Namespace != m.Namespace || old.RelationName != m.RelationName {
						tx.add(Event{Database: o.Database, Schema: old.Namespace, Table: old.RelationName, Op: OpDDL})
					}
				}
				p.rels[m.RelationID] = m
			case *pglogrepl.InsertMessage:
				tx.add(p.event(m.RelationID, OpInsert))
			case *pglogrepl.UpdateMessage:
				tx.add(p.event(m.RelationID, OpUpdate))
			case *pglogrepl.DeleteMessage:
				tx.add(p.event(m.RelationID, OpDelete))
			case *pglogrepl.TruncateMessage:
				for _, id := range m.RelationIDs {
					tx.add(p.event(id, OpTruncate))
				}
			case *pglogrepl.LogicalDecodingMessage:
				if m.Prefix != ddlPrefix || !m.Transactional {
					continue
				}
				evs, err := decodeDDLMessage(m.Content)
				if err != nil {
					return err
				}
				for _, ev := range evs {
					if p.wanted(ev) {
						ev.Database = o.Database
						tx.add(ev)
					}
				}
			case *pglogrepl.CommitMessage:
				inTx = false
				end := m.TransactionEndLSN
				evs := tx.finish(end.String(), m.CommitTime)
				if end > p.delivered {
					p.s.deliver(evs, end.String(), "")
					p.delivered = end
				}
				ack = max(ack, end)
				reached(end)
			}
		}
	}
}

// closePG closes a connection with a few seconds' grace, even when ctx
// has ended.
func closePG(ctx context.Context, closeFn func(context.Context) error) {
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	_ = closeFn(cctx)
}

// wanted: with cdc tables, only DDL of those tables is reported (the
// trigger sees every table of the database).
func (p *pgSource) wanted(ev Event) bool {
	if len(p.s.opts.Tables) == 0 {
		return true
	}
	for _, t := range p.s.opts.Tables {
		if t == ev.Schema+"."+ev.Table {
			return true
		}
	}
	return false
}

// event names the table of a relation id.
func (p *pgSource) event(id uint32, op Op) Event {
	ev := Event{Database: p.s.opts.Database, Op: op}
	if r, ok := p.rels[id]; ok {
		ev.Schema, ev.Table = r.Namespace, r.RelationName
	}
	return ev
}

func (p *pgSource) saveState() {
	pos := p.delivered.String()
	if p.delivered == 0 || pos == p.saved {
		return
	}
	if err := p.s.saveState(State{Slot: p.s.opts.Slot}); err != nil {
		p.s.log.Warn("cdc state not saved", "database", p.s.opts.Database, "err", err)
		return
	}
	p.saved = pos
}

// sameRelation reports whether two Relation messages describe the same
// shape: name, replica identity, and every column's name, type, modifier
// and key flag.
func sameRelation(a, b *pglogrepl.RelationMessage) bool {
	if a.Namespace != b.Namespace || a.RelationName != b.RelationName || a.ReplicaIdentity != b.ReplicaIdentity {
		return false
	}
	return slices.EqualFunc(a.Columns, b.Columns, func(x, y *pglogrepl.RelationMessageColumn) bool {
		return x.Name == y.Name && x.DataType == y.DataType && x.TypeModifier == y.TypeModifier && x.Flags == y.Flags
	})
}

// DropPostgres drops the slot, the publication if Floe created it, and
// the DDL event trigger if there is one. A slot in use by a running
// stream is not dropped (the error says so).
func DropPostgres(ctx context.Context, dsn, slot, pub string) (slotDropped, pubDropped bool, err error) {
	if !ValidName(slot) || !ValidName(pub) {
		return false, false, fmt.Errorf("%w: invalid slot or publication name", ErrConfig)
	}
	c, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return false, false, err
	}
	defer c.Close(context.WithoutCancel(ctx))
	var active bool
	var pid *int32
	err = c.QueryRow(ctx, "SELECT active, active_pid FROM pg_replication_slots WHERE slot_name = $1", slot).Scan(&active, &pid)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
	case err != nil:
		return false, false, err
	case active:
		return false, false, fmt.Errorf("replication slot %s is in use by process %d: stop the gateway's change stream first", slot, deref(pid))
	default:
		if _, err := c.Exec(ctx, "SELECT pg_drop_replication_slot($1)", slot); err != nil {
			return false, false, fmt.Errorf("drop slot %s: %w", slot, err)
		}
		slotDropped = true
	}
	var comment *string
	err = c.QueryRow(ctx, "SELECT obj_description(oid, 'pg_publication') FROM pg_publication WHERE pubname = $1", pub).Scan(&comment)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
	case err != nil:
		return slotDropped, false, err
	case comment != nil && *comment == publicationComment:
		if _, err := c.Exec(ctx, "DROP PUBLICATION IF EXISTS "+pub); err != nil {
			return slotDropped, false, fmt.Errorf("drop publication %s: %w", pub, err)
		}
		pubDropped = true
	}
	if _, err := dropDDLTrigger(ctx, c); err != nil {
		return slotDropped, pubDropped, fmt.Errorf("drop the ddl event trigger: %w", err)
	}
	return slotDropped, pubDropped, nil
}

func deref(p *int32) int32 {
	if p == nil {
		return 0
	}
	return *p
}

// SlotStatus is the server's view of a replication slot.
type SlotStatus struct {
	Exists bool `json:"exists"`
	Active bool `json:"active"`
	// ConfirmedFlush is where a restart resumes.
	ConfirmedFlush string `json:"confirmed_flush,omitempty"`
	// RetainedBytes is the WAL the slot keeps on the server.
	RetainedBytes int64 `json:"retained_bytes"`
}

// PostgresSlot reports a slot's state.
func PostgresSlot(ctx context.Context, dsn, slot string) (SlotStatus, error) {
	c, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return SlotStatus{}, err
	}
	defer closePG(ctx, c.Close)
	var st SlotStatus
	var flush *string
	err = c.QueryRow(ctx, `SELECT active, confirmed_flush_lsn::text,
		coalesce(pg_wal_lsn_diff(pg_current_wal_lsn(), restart_lsn), 0)::bigint
		FROM pg_replication_slots WHERE slot_name = $1`, slot).Scan(&st.Active, &flush, &st.RetainedBytes)
	if errors.Is(err, pgx.ErrNoRows) {
		return st, nil
	}
	if err != nil {
		return st, err
	}
	st.Exists = true
	if flush != nil {
		st.ConfirmedFlush = *flush
	}
	return st, nil
}
