package cdc

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/go-mysql-org/go-mysql/client"
	"github.com/go-mysql-org/go-mysql/mysql"
	"github.com/go-mysql-org/go-mysql/replication"
	"github.com/google/uuid"
)

// myDSN is a parsed mysql:// DSN.
type myDSN struct {
	host           string
	port           uint16
	user, password string
	tls            *tls.Config
}

func parseMyDSN(s string) (myDSN, error) {
	u, err := url.Parse(s)
	if err != nil || u.Scheme != "mysql" || u.Host == "" {
		return myDSN{}, fmt.Errorf("%w: want mysql://user:password@host:port/database", ErrConfig)
	}
	d := myDSN{host: u.Hostname(), port: 3306}
	if p := u.Port(); p != "" {
		n, err := strconv.ParseUint(p, 10, 16)
		if err != nil {
			return myDSN{}, fmt.Errorf("%w: port %q", ErrConfig, p)
		}
		d.port = uint16(n)
	}
	if u.User != nil {
		d.user = u.User.Username()
		d.password, _ = u.User.Password()
	}
	switch v := u.Query().Get("tls"); v {
	case "", "false", "disable":
	case "true", "verify-full":
		d.tls = &tls.Config{ServerName: d.host, MinVersion: tls.VersionTLS12}
	case "skip-verify", "preferred":
		d.tls = &tls.Config{InsecureSkipVerify: true} //nolint:gosec // chosen in the DSN
	default:
		return myDSN{}, fmt.Errorf("%w: tls=%q", ErrConfig, v)
	}
	return d, nil
}

func (d myDSN) addr() string { return net.JoinHostPort(d.host, strconv.Itoa(int(d.port))) }

func (d myDSN) connect(ctx context.Context) (*client.Conn, error) {
	var opts []client.Option
	if d.tls != nil {
		opts = append(opts, func(c *client.Conn) error { c.SetTLSConfig(d.tls); return nil })
	}
	return client.ConnectWithContext(ctx, d.addr(), d.user, d.password, "", 10*time.Second, opts...)
}

// mySource follows the binary log as a replica.
type mySource struct {
	s   *Stream
	dsn myDSN
	// The position after the last delivered commit: file:pos, and the
	// GTID set (nil until known).
	file   string
	pos    uint32
	gset   mysql.GTIDSet
	flavor string
	saved  string
	tables map[string]bool
}

func newMy(s *Stream) (*mySource, error) {
	d, err := parseMyDSN(s.opts.DSN)
	if err != nil {
		return nil, err
	}
	m := &mySource{s: s, dsn: d}
	if len(s.opts.Tables) > 0 {
		m.tables = map[string]bool{}
		for _, t := range s.opts.Tables {
			m.tables[t] = true
		}
	}
	return m, nil
}

// parseFilePos splits a file:pos position.
func parseFilePos(s string) (string, uint32, error) {
	i := strings.LastIndexByte(s, ':')
	if i <= 0 {
		return "", 0, fmt.Errorf("%w: position %q: want file:pos", ErrConfig, s)
	}
	n, err := strconv.ParseUint(s[i+1:], 10, 32)
	if err != nil {
		return "", 0, fmt.Errorf("%w: position %q: want file:pos", ErrConfig, s)
	}
	return s[:i], uint32(n), nil
}

// cmpFilePos orders binary log positions: by the file's numeric suffix,
// then the offset.
func cmpFilePos(f1 string, p1 uint32, f2 string, p2 uint32) int {
	n1, n2 := binlogIndex(f1), binlogIndex(f2)
	switch {
	case n1 < n2:
		return -1
	case n1 > n2:
		return 1
	case p1 < p2:
		return -1
	case p1 > p2:
		return 1
	}
	return 0
}

func binlogIndex(f string) uint64 {
	n, _ := strconv.ParseUint(f[strings.LastIndexByte(f, '.')+1:], 10, 64)
	return n
}

// masterStatus is the server's current binary log position.
func masterStatus(c *client.Conn) (string, uint32, error) {
	f, p, _, err := masterStatusGTID(c)
	return f, p, err
}

// masterStatusGTID is masterStatus with, on MySQL, the executed GTID set
// at that position (the same row; empty with gtid_mode OFF and on
// MariaDB).
func masterStatusGTID(c *client.Conn) (string, uint32, string, error) {
	r, err := c.Execute("SHOW MASTER STATUS")
	var me *mysql.MyError
	if errors.As(err, &me) && me.Code == mysql.ER_PARSE_ERROR {
		r, err = c.Execute("SHOW BINARY LOG STATUS") // MySQL 8.4 and later
	}
	if err != nil {
		return "", 0, "", err
	}
	if r.RowNumber() == 0 {
		return "", 0, "", fmt.Errorf("%w: the binary log is off (start the server with log_bin)", ErrSource)
	}
	f, _ := r.GetString(0, 0)
	p, _ := r.GetUint(0, 1)
	var gtid string
	if r.ColumnNumber() >= 5 {
		gtid, _ = r.GetString(0, 4)
	}
	return f, uint32(p), strings.ReplaceAll(gtid, "\n", ""), nil
}

// start chooses where to stream from: the GTID set or file:pos delivered
// last (this process or the state file), else the server's current
// position.
func (m *mySource) start(c *client.Conn) error {
	r, err := c.Execute("SELECT VERSION(), @@binlog_format")
	if err != nil {
		return err
	}
	ver, _ := r.GetString(0, 0)
	format, _ := r.GetString(0, 1)
	if !strings.EqualFold(format, "ROW") {
		return fmt.Errorf("%w: binlog_format is %s; set binlog_format = ROW", ErrSource, format)
	}
	m.flavor = mysql.MySQLFlavor
	if strings.Contains(strings.ToLower(ver), "mariadb") {
		m.flavor = mysql.MariaDBFlavor
	}
	if m.file != "" {
		return nil
	}
	st := m.s.Status()
	if st.Position != "" {
		if m.file, m.pos, err = parseFilePos(st.Position); err != nil {
			return err
		}
		if st.GTID != "" {
			if m.gset, err = mysql.ParseGTIDSet(m.flavor, st.GTID); err != nil {
				return fmt.Errorf("%w: saved GTID set: %v", ErrConfig, err)
			}
		}
		return nil
	}
	var gtid string
	if m.file, m.pos, gtid, err = masterStatusGTID(c); err != nil {
		return err
	}
	if m.flavor == mysql.MariaDBFlavor {
		r, err := c.Execute(fmt.Sprintf("SELECT BINLOG_GTID_POS('%s', %d)", strings.ReplaceAll(m.file, "'", ""), m.pos))
		if err != nil {
			return err
		}
		gtid, _ = r.GetString(0, 0)
	}
	if m.gset, err = mysql.ParseGTIDSet(m.flavor, gtid); err != nil {
		m.gset = nil
	}
	m.s.deliver(nil, m.position(), m.gtidString())
	return nil
}

func (m *mySource) position() string { return m.file + ":" + strconv.FormatUint(uint64(m.pos), 10) }

func (m *mySource) gtidString() string {
	if m.gset == nil {
		return ""
	}
	return m.gset.String()
}

func (m *mySource) run(ctx context.Context) error {
	o := m.s.opts
	c, err := m.dsn.connect(ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	if err := m.start(c); err != nil {
		return err
	}
	syncer := replication.NewBinlogSyncer(replication.BinlogSyncerConfig{
		ServerID: o.ServerID, Flavor: m.flavor, Host: m.dsn.host, Port: m.dsn.port,
		User: m.dsn.user, Password: m.dsn.password, TLSConfig: m.dsn.tls,
		HeartbeatPeriod: o.Heartbeat, ReadTimeout: 3*o.Heartbeat + 5*time.Second,
		DisableRetrySync: true, Logger: slog.New(warnOnly{m.s.log.Handler()}),
	})
	defer syncer.Close()
	var streamer *replication.BinlogStreamer
	if m.gset != nil && m.gset.String() != "" {
		streamer, err = syncer.StartSyncGTID(m.gset.Clone())
	} else {
		streamer, err = syncer.StartSync(mysql.Position{Name: m.file, Pos: m.pos})
	}
	if err != nil {
		return err
	}
	m.s.setConnected(true)
	defer m.saveState()

	var (
		tx      txn
		recvF   = m.file
		recvP   = m.pos
		pending string // GTID of the transaction under way
		probes  []probe[mysql.Position]
		next    time.Time
	)
	reached := func() {
		n := 0
		for _, pr := range probes {
			if cmpFilePos(recvF, recvP, pr.target.Name, pr.target.Pos) >= 0 {
				m.s.advance(pr.at)
				n++
				continue
			}
			break
		}
		probes = probes[n:]
	}
	commit := func(h *replication.EventHeader) {
		m.file, m.pos = recvF, recvP
		if pending != "" && m.gset != nil {
			if err := m.gset.Update(pending); err != nil {
				m.s.log.Warn("cdc: GTID not recorded", "gtid", pending, "err", err)
			}
		}
		pending = ""
		evs := tx.finish(m.position(), time.Unix(int64(h.Timestamp), 0))
		m.s.deliver(evs, m.position(), m.gtidString())
	}
	for {
		if now := time.Now(); !now.Before(next) {
			next = now.Add(o.Heartbeat)
			if len(probes) < maxProbes {
				f, p, err := masterStatus(c)
				if err != nil {
					return fmt.Errorf("watermark probe: %w", err)
				}
				probes = append(probes, probe[mysql.Position]{at: now, target: mysql.Position{Name: f, Pos: p}})
			}
			m.s.tick()
			m.saveState()
		}
		rctx, cancel := context.WithDeadline(ctx, next)
		ev, err := streamer.GetEvent(rctx)
		cancel()
		if err != nil {
			if errors.Is(err, context.DeadlineExceeded) && ctx.Err() == nil {
				continue
			}
			return err
		}
		if r, ok := ev.Event.(*replication.RotateEvent); ok {
			recvF, recvP = string(r.NextLogName), uint32(r.Position)
		} else if ev.Header.LogPos > 0 {
			recvP = ev.Header.LogPos
		}
		switch e := ev.Event.(type) {
		case *replication.MariadbGTIDEvent:
			pending = e.GTID.String()
		case *replication.GTIDEvent:
			// Anonymous GTID events (gtid_mode OFF) carry no GTID.
			if u, err := uuid.FromBytes(e.SID); err == nil && ev.Header.EventType == replication.GTID_EVENT && e.GNO > 0 {
				pending = fmt.Sprintf("%s:%d", u, e.GNO)
			}
		case *replication.RowsEvent:
			if op, ok := rowsOp(ev.Header.EventType); ok && e.Table != nil {
				m.add(&tx, Event{Database: o.Database, Schema: string(e.Table.Schema), Table: string(e.Table.Table), Op: op})
			}
		case *replication.XIDEvent:
			commit(ev.Header)
		case *replication.GenericEvent:
			if ev.Header.EventType == replication.XA_PREPARE_LOG_EVENT {
				// An XA transaction is reported when it is prepared:
				// its XA COMMIT names no tables.
				commit(ev.Header)
			}
		case *replication.QueryEvent:
			evs, ctl := queryEvents(string(e.Schema), string(e.Query))
			switch ctl {
			case ctlBegin, ctlNone:
				continue
			case ctlCommit:
				commit(ev.Header)
			default:
				for _, x := range evs {
					x.Database = o.Database
					m.add(&tx, x)
				}
				commit(ev.Header)
			}
		}
		reached()
	}
}

// add records an event unless tables limit the stream and this one is
// not among them (schema-wide events always pass).
func (m *mySource) add(tx *txn, ev Event) {
	if m.tables != nil && ev.Table != "" && !m.tables[ev.Schema+"."+ev.Table] {
		return
	}
	tx.add(ev)
}

func (m *mySource) saveState() {
	pos := m.position() + "|" + m.gtidString()
	if m.file == "" || pos == m.saved {
		return
	}
	if err := m.s.saveState(State{}); err != nil {
		m.s.log.Warn("cdc state not saved", "database", m.s.opts.Database, "err", err)
		return
	}
	m.saved = pos
}

// warnOnly passes on the replication library's warnings and errors, not
// its chatter (it logs every rotation at info).
type warnOnly struct{ slog.Handler }

func (w warnOnly) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= slog.LevelWarn && w.Handler.Enabled(ctx, l)
}

func (w warnOnly) WithAttrs(a []slog.Attr) slog.Handler { return warnOnly{w.Handler.WithAttrs(a)} }

func (w warnOnly) WithGroup(n string) slog.Handler { return warnOnly{w.Handler.WithGroup(n)} }

// rowsOp maps a rows event type to its operation.
func rowsOp(t replication.EventType) (Op, bool) {
	switch t {
	case replication.WRITE_ROWS_EVENTv0, replication.WRITE_ROWS_EVENTv1, replication.WRITE_ROWS_EVENTv2,
		replication.MARIADB_WRITE_ROWS_COMPRESSED_EVENT_V1:
		return OpInsert, true
	case replication.UPDATE_ROWS_EVENTv0, replication.UPDATE_ROWS_EVENTv1, replication.UPDATE_ROWS_EVENTv2,
		replication.MARIADB_UPDATE_ROWS_COMPRESSED_EVENT_V1, replication.PARTIAL_UPDATE_ROWS_EVENT:
		return OpUpdate, true
	case replication.DELETE_ROWS_EVENTv0, replication.DELETE_ROWS_EVENTv1, replication.DELETE_ROWS_EVENTv2,
		replication.MARIADB_DELETE_ROWS_COMPRESSED_EVENT_V1:
		return OpDelete, true
	}
	return "", false
}

// DropMySQL removes a database's state file: the next start follows the
// binary log from the server's position at that time.
func DropMySQL(dir, database string) error { return RemoveState(dir, database) }
