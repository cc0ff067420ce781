package pgrelay

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgproto3"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/floe-db/floe/internal/policy"
	"github.com/floe-db/floe/internal/wire/pgwire"
)

// relationTTL is how long the catalog's answer about a relation is
// trusted: a column renamed on the server is matched by its new name
// after at most this long. A schema change made through the gateway, or
// seen by the database's change stream, drops the relation at once
// (InvalidateMetadata); the TTL bounds the others.
const relationTTL = time.Minute

// relation is what the catalog says of a table (or view) by OID.
type relation struct {
	schema, name string
	columns      map[int16]string // attnum → name
	at           time.Time
}

// catalog resolves the table OIDs and column numbers of result columns
// to names, for masking. It has its own backend connection, so a lookup
// can run while a session's connection is streaming a result.
type catalog struct {
	relay *Relay
	mu    sync.Mutex
	conn  *pgconn.PgConn
	rels  map[uint32]*relation
}

// relations returns the relations of oids, asking the server about those
// not known or too old.
func (c *catalog) relations(ctx context.Context, oids []uint32) (map[uint32]*relation, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := time.Now()
	out := make(map[uint32]*relation, len(oids))
	var ask []string
	for _, o := range oids {
		if r, ok := c.rels[o]; ok && now.Sub(r.at) < relationTTL {
			out[o] = r
			continue
		}
		ask = append(ask, strconv.FormatUint(uint64(o), 10))
	}
	if len(ask) == 0 {
		return out, nil
	}
	if c.conn == nil || c.conn.IsClosed() {
		conn, err := pgconn.ConnectConfig(ctx, c.relay.writerConfig())
		if err != nil {
			c.relay.log.Warn("catalog connection failed", "error", describeConnectErr(err))
			return nil, err
		}
		c.conn = conn
	}
	res := c.conn.Exec(ctx, `SELECT c.oid, n.nspname, c.relname, a.attnum, a.attname
		FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
		JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid
		WHERE c.oid IN (`+strings.Join(ask, ",")+`) AND a.attnum > 0 AND NOT a.attisdropped`)
	rs, err := res.ReadAll()
	if err != nil {
		_ = c.conn.Close(ctx)
		c.conn = nil
		return nil, err
	}
	if c.rels == nil {
		c.rels = map[uint32]*relation{}
	}
	for _, r := range rs {
		for _, row := range r.Rows {
			oid, _ := strconv.ParseUint(string(row[0]), 10, 32)
			num, _ := strconv.ParseInt(string(row[3]), 10, 16)
			rel := out[uint32(oid)]
			if rel == nil || rel.at != now {
				rel = &relation{schema: string(row[1]), name: string(row[2]), columns: map[int16]string{}, at: now}
				out[uint32(oid)] = rel
				c.rels[uint32(oid)] = rel
			}
			rel.columns[int16(num)] = string(row[4])
		}
	}
	return out, nil
}

// invalidate drops the relations named by tables (name or schema.name,
// any case), or every relation when tables is empty. It waits for a
// lookup under way, so a lookup that read the old definition is dropped
// too.
func (c *catalog) invalidate(tables []string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(tables) == 0 {
		n := len(c.rels)
		c.rels = nil
		return n
	}
	n := 0
	for oid, rel := range c.rels {
		for _, t := range tables {
			if relationNamed(rel, t) {
				delete(c.rels, oid)
				n++
				break
			}
		}
	}
	return n
}

// relationNamed reports whether t (name or schema.name, possibly quoted)
// names rel, ignoring case.
func relationNamed(rel *relation, t string) bool {
	t = strings.TrimSpace(t)
	schema, name := "", t
	if i := strings.LastIndexByte(t, '.'); i >= 0 {
		schema, name = t[:i], t[i+1:]
	}
	unq := func(s string) string { return strings.Trim(s, `"`) }
	if !strings.EqualFold(unq(name), rel.name) {
		return false
	}
	return schema == "" || strings.EqualFold(unq(schema), rel.schema)
}

// InvalidateMetadata drops what the masking catalog knows of tables
// (every table when none is named): the next result that reads them
// resolves its columns again. The gateway calls it on schema changes
// made through it and on the DDL events of the database's change stream.
func (r *Relay) InvalidateMetadata(tables []string) { r.catalog.invalidate(tables) }

func (c *catalog) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.conn != nil {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		_ = c.conn.Close(ctx)
		c.conn = nil
	}
}

// rowPlan is how the columns of a result are masked (nil: none is).
type rowPlan struct {
	masks []*policy.Mask // per column; nil: shown as it is
	types []uint32       // the server's type of each column
}

// rowMasker masks the rows of the result under way: a simple Query's by
// the plan its RowDescription gave; an Execute's by its portal's plan
// (clientStmt, portal). A result it stopped (muted) shows nothing more.
type rowMasker struct {
	// plan masks the rows of the simple-protocol result under way, in
	// the formats formats.
	plan    *rowPlan
	formats []int16
	tm      *pgtype.Map // binary values of masked columns to text
	// muted: the result under way was stopped with an error; the rest of
	// the backend's answer is dropped until ReadyForQuery.
	muted bool
}

// query takes the plan of a simple Query's result described by rd.
func (k *rowMasker) query(pl *rowPlan, rd *pgproto3.RowDescription) {
	k.plan = pl
	k.formats = k.formats[:0]
	for _, f := range rd.Fields {
		k.formats = append(k.formats, f.Format)
	}
}

// apply masks row by pl, in formats.
func (k *rowMasker) apply(pl *rowPlan, row *pgproto3.DataRow, formats []int16) {
	if k.tm == nil {
		k.tm = pgtype.NewMap()
	}
	pl.apply(k.tm, row, formats)
}

// planRows decides the masks ms give a result from its description and
// rewrites the description of masked columns: a NULL mask keeps the
// type; the others make the column text, whose binary form is its text.
// Columns the server does not trace to a table are computed; the policy
// refuses computing on masked columns.
func (c *catalog) planRows(ctx context.Context, ms *policy.Masks, rd *pgproto3.RowDescription) (*rowPlan, error) {
	if ms == nil {
		return nil, nil
	}
	var oids []uint32
	for _, f := range rd.Fields {
		if f.TableOID != 0 {
			oids = append(oids, f.TableOID)
		}
	}
	if len(oids) == 0 {
		return nil, nil
	}
	rels, err := c.relations(ctx, oids)
	if err != nil {
		return nil, err
	}
	var pl *rowPlan
	for i := range rd.Fields {
		f := &rd.Fields[i]
		rel := rels[f.TableOID]
		if rel == nil {
			if f.TableOID != 0 {
				return nil, fmt.Errorf("relation %d is not in the catalog", f.TableOID)
			}
			continue
		}
		m := ms.Column(rel.schema, rel.name, rel.columns[int16(f.TableAttributeNumber)])
		if m == nil {
			continue
		}
		if pl == nil {
			pl = &rowPlan{masks: make([]*policy.Mask, len(rd.Fields)), types: make([]uint32, len(rd.Fields))}
		}
		pl.masks[i], pl.types[i] = m, f.DataTypeOID
		if !m.Null() {
			f.DataTypeOID, f.DataTypeSize, f.TypeModifier = pgtype.TextOID, -1, -1
		}
	}
	return pl, nil
}

// apply masks one row; formats are the result's format codes as Bind
// gives them (none: all text; one: for all columns).
func (pl *rowPlan) apply(tm *pgtype.Map, row *pgproto3.DataRow, formats []int16) {
	for i, m := range pl.masks {
		if m == nil || i >= len(row.Values) || row.Values[i] == nil {
			continue
		}
		if m.Null() {
			row.Values[i] = nil
			continue
		}
		v := row.Values[i]
		if pgwire.ResultFormat(formats, i) == pgtype.BinaryFormatCode {
			text, ok := binaryText(tm, pl.types[i], v)
			if !ok {
				row.Values[i] = (&policy.Mask{Method: "full"}).Apply(nil, nil)
				continue
			}
			v = text
		}
		row.Values[i] = m.Apply(nil, v)
	}
}

// binaryText converts a value in binary format to its text form.
func binaryText(tm *pgtype.Map, oid uint32, v []byte) ([]byte, bool) {
	t, ok := tm.TypeForOID(oid)
	if !ok {
		return nil, false
	}
	val, err := t.Codec.DecodeValue(tm, oid, pgtype.BinaryFormatCode, v)
	if err != nil {
		return nil, false
	}
	out, err := tm.Encode(oid, pgtype.TextFormatCode, val, nil)
	if err != nil || out == nil {
		return nil, false
	}
	return out, true
}

// stop ends the result under way with err: the client gets the error and
// nothing more of the backend's answer until ReadyForQuery; the backend
// statement is cancelled and, since the cancel may land late, the
// connection is not reused by anyone else.
func (s *session) stop(err error) {
	if s.mask.muted {
		return
	}
	resp := pgwire.ErrorResponse(err)
	s.toClient(resp)
	s.mask.muted = true
	s.st.Fail(resp.Code)
	if len(s.q.ops) > 0 && s.q.ops[0].kind != opQuery && !s.q.syncQueued() {
		// The client's Sync is still to come: as the server, drop its
		// messages until then.
		s.q.skipping = true
	}
	s.att.discard = true
	go s.cancel()
}

// maskFailed stops a result whose masks could not be decided: nothing
// is shown unmasked.
func (s *session) maskFailed(err error) {
	s.log.Warn("could not resolve the columns of a result for masking", "error", err.Error())
	s.stop(pgwire.Errorf(pgwire.CodeInsufficientPrivilege, "the result has masked columns and the gateway could not resolve them; try again"))
}

// describeRows plans the masks of a result from its description.
func (s *session) describeRows(ctx context.Context, head *op, rd *pgproto3.RowDescription) error {
	pl, err := s.r.catalog.planRows(ctx, s.gate.Masks(), rd)
	if err != nil {
		return err
	}
	switch head.kind {
	case opQuery:
		s.mask.query(pl, rd)
	case opDescribeStmt:
		if head.st != nil {
			head.st.plan, head.st.planMasks, head.st.described = pl, s.gate.Masks(), true
		}
	case opDescribePortal:
		if head.portal != nil {
			head.portal.plan, head.portal.described = pl, true
		}
	}
	return nil
}

// maskRow masks a row of the result under way.
func (s *session) maskRow(head *op, row *pgproto3.DataRow) {
	var pl *rowPlan
	var formats []int16
	switch {
	case head.kind == opQuery:
		pl, formats = s.mask.plan, s.mask.formats
	case head.portal != nil:
		pl, formats = head.portal.rowPlan(), head.portal.formats
	case s.gate.Masks() != nil:
		// An Execute of a portal the gateway did not see bound: the
		// server is about to say it does not exist; show nothing.
		s.maskFailed(fmt.Errorf("rows of an unknown portal"))
		return
	}
	if pl == nil {
		return
	}
	s.mask.apply(pl, row, formats)
}
