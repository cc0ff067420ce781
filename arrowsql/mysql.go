package arrowsql

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/go-mysql-org/go-mysql/client"
	"github.com/go-mysql-org/go-mysql/mysql"
)

// MySQLConn is a MySQL/MariaDB connection for exports. It keeps what it
// needs to open a second connection for KILL QUERY when a query is
// cancelled.
type MySQLConn struct {
	*client.Conn
	addr, user, password string
	timeout              time.Duration
	tls                  *tls.Config // nil: no TLS
}

// ConnectMySQL opens a connection from a URL
// mysql://user:password@host:port/database[?tls=…]. tls=true (or
// verify-full) uses TLS and verifies the server's certificate,
// tls=skip-verify (or preferred) uses TLS without verifying it, and
// tls=false (or none) uses none. The session time zone is set to UTC, so
// TIMESTAMP columns are delivered as UTC instants.
func ConnectMySQL(ctx context.Context, dsn string) (*MySQLConn, error) {
	return ConnectMySQLGroups(ctx, dsn, nil)
}

// ConnectMySQLGroups is ConnectMySQL whose TLS, when the URL asks for
// it, offers the key-exchange groups given (nil: crypto/tls's default,
// post-quantum first).
func ConnectMySQLGroups(ctx context.Context, dsn string, groups []tls.CurveID) (*MySQLConn, error) {
	u, err := url.Parse(dsn)
	if err != nil || u.Scheme != "mysql" {
		return nil, fmt.Errorf("a MySQL address is mysql://user:password@host:port/database")
	}
	host := u.Host
	if u.Port() == "" {
		host += ":3306"
	}
	pw, _ := u.User.Password()
	c := &MySQLConn{addr: host, user: u.User.Username(), password: pw, timeout: 10 * time.Second}
	switch v := u.Query().Get("tls"); v {
	case "", "false", "disable":
	case "true", "verify-full":
		c.tls = &tls.Config{ServerName: u.Hostname(), MinVersion: tls.VersionTLS12}
	case "skip-verify", "preferred":
		c.tls = &tls.Config{InsecureSkipVerify: true} //nolint:gosec // chosen in the URL
	default:
		return nil, fmt.Errorf("tls=%q: want true, skip-verify or false", v)
	}
	if c.tls != nil && groups != nil {
		c.tls.CurvePreferences = slices.Clone(groups)
	}
	c.Conn, err = c.connect(ctx, strings.TrimPrefix(u.Path, "/"))
	if err != nil {
		return nil, err
	}
	if _, err := c.Execute("SET time_zone = '+00:00'"); err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

// connect opens a connection to c's server with c's login and TLS.
func (c *MySQLConn) connect(ctx context.Context, db string) (*client.Conn, error) {
	return client.ConnectWithContext(ctx, c.addr, c.user, c.password, db, c.timeout, func(cl *client.Conn) error {
		if c.tls != nil {
			cl.SetTLSConfig(c.tls)
		}
		return nil
	})
}

// kill stops the statement running on c from a connection of its own.
func (c *MySQLConn) kill(ctx context.Context) error {
	k, err := c.connect(ctx, "")
	if err != nil {
		return err
	}
	defer k.Close()
	_, err = k.Execute(fmt.Sprintf("KILL QUERY %d", c.GetConnectionID()))
	return err
}

// myBatch is the outcome of filling one batch.
type myBatch struct {
	n    int
	more bool
	err  error
}

// myHeader is the start of a result: its columns, or its end when the
// statement returned none.
type myHeader struct {
	fields []*mysql.Field
	err    error
	none   bool
}

// myProducer reads a MySQL result on a goroutine of its own (the client
// library pushes rows to a callback); the reader asks it for one batch at
// a time, so only one batch is ever in memory.
type myProducer struct {
	conn     *MySQLConn
	opts     Options
	hdr      chan myHeader
	want     chan struct{}
	got      chan myBatch
	quit     chan struct{}
	finished chan struct{}
	stopOnce sync.Once
	unwatch  func() bool
	ctxErr   func() error
	done     func(broken bool)
	broken   bool
	ended    bool // the goroutine sent its last message

	// Set before the first batch is asked for; used by the goroutine.
	names    []string
	builders []array.Builder
	add      []func(*mysql.FieldValue) error
}

var errStopped = errors.New("query stopped")

// QueryMySQL runs sql with args on conn and streams its result. With
// arguments the statement is prepared and executed with the binary
// protocol; without, it is sent as text. done, if not nil, is called once
// when the reader no longer needs conn (broken: do not reuse it).
func QueryMySQL(ctx context.Context, conn *MySQLConn, sql string, args []any, opts Options, done func(broken bool)) (*Reader, error) {
	opts = opts.withDefaults()
	if done == nil {
		done = func(bool) {}
	}
	p := &myProducer{
		conn: conn, opts: opts, done: done, ctxErr: ctx.Err,
		hdr: make(chan myHeader, 1), want: make(chan struct{}), got: make(chan myBatch),
		quit: make(chan struct{}), finished: make(chan struct{}),
	}
	p.unwatch = context.AfterFunc(ctx, p.stop)
	go p.run(sql, myArgs(args))
	h := <-p.hdr
	if h.err != nil || h.none {
		p.ended = true
		p.close()
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if h.err != nil {
			return nil, h.err
		}
		return newReader(arrow.NewSchema(nil, nil), opts.Allocator, doneProducer{}), nil
	}
	cols := make([]myColumn, len(h.fields))
	afields := make([]arrow.Field, len(h.fields))
	p.names = make([]string, len(h.fields))
	for i, f := range h.fields {
		cols[i] = myColumnFor(f, opts.Numeric)
		p.names[i] = string(f.Name)
		if opts.Mask != nil {
			m := opts.Mask(Origin{Name: p.names[i], Schema: string(f.Schema), Table: string(f.OrgTable), Column: string(f.OrgName)})
			if m != nil {
				cols[i] = myMasked(m, cols[i])
			}
		}
		afields[i] = arrow.Field{Name: p.names[i], Type: cols[i].typ, Nullable: true}
	}
	r := newReader(arrow.NewSchema(afields, nil), opts.Allocator, p)
	p.builders = r.rb.Fields()
	p.add = make([]func(*mysql.FieldValue) error, len(cols))
	for i, c := range cols {
		p.add[i] = c.bind(p.builders[i])
	}
	return r, nil
}

// myArgs converts arguments to types the client library binds.
func myArgs(args []any) []any {
	out := make([]any, len(args))
	for i, a := range args {
		switch v := a.(type) {
		case time.Time:
			out[i] = v.UTC().Format("2006-01-02 15:04:05.999999")
		case fmt.Stringer:
			out[i] = v.String()
		default:
			out[i] = a
		}
	}
	return out
}

// run executes the statement, feeding batches as they are asked for.
func (p *myProducer) run(sql string, args []any) {
	defer close(p.finished)
	started := false
	n, size := 0, 0
	onResult := func(res *mysql.Result) error {
		if started {
			return errors.New("the statement returned more than one result")
		}
		started = true
		p.hdr <- myHeader{fields: res.Fields}
		select {
		case <-p.want:
			return nil
		case <-p.quit:
			return errStopped
		}
	}
	onRow := func(row []mysql.FieldValue) error {
		rowSize := 0
		for i := range row {
			if row[i].Type == mysql.FieldValueTypeString {
				rowSize += len(row[i].AsString())
			} else {
				rowSize += 8
			}
		}
		if p.opts.OnRow != nil {
			if err := p.opts.OnRow(rowSize); err != nil {
				return err
			}
		}
		for i := range row {
			if row[i].Type == mysql.FieldValueTypeNull {
				p.builders[i].AppendNull()
				continue
			}
			if err := p.add[i](&row[i]); err != nil {
				return &ColumnError{Column: p.names[i], Err: err}
			}
		}
		n++
		size += rowSize
		if n >= p.opts.BatchRows || size >= p.opts.BatchBytes {
			select {
			case p.got <- myBatch{n: n, more: true}:
			case <-p.quit:
				return errStopped
			}
			n, size = 0, 0
			select {
			case <-p.want:
			case <-p.quit:
				return errStopped
			}
		}
		return nil
	}
	var res mysql.Result
	var err error
	if len(args) == 0 {
		err = p.conn.ExecuteSelectStreaming(sql, &res, onRow, onResult)
	} else {
		var st *client.Stmt
		st, err = p.conn.Prepare(sql)
		if err == nil {
			err = st.ExecuteSelectStreaming(&res, onRow, onResult, args...)
			if cerr := st.Close(); err == nil && cerr != nil {
				err = cerr
			}
		}
	}
	err = unwrapMySQL(err)
	if !started {
		p.hdr <- myHeader{err: err, none: err == nil}
		return
	}
	select {
	case p.got <- myBatch{n: n, err: err}:
	case <-p.quit:
	}
}

// unwrapMySQL returns the server's error inside the client library's
// traced wrapping, so callers can errors.As it to *mysql.MyError.
func unwrapMySQL(err error) error {
	if err == nil {
		return nil
	}
	var me *mysql.MyError
	if errors.As(err, &me) {
		return me
	}
	var ce *ColumnError
	if errors.As(err, &ce) {
		return ce
	}
	return err
}

func (p *myProducer) fill(*array.RecordBuilder) (int, bool, error) {
	select {
	case p.want <- struct{}{}:
	case <-p.finished:
		p.ended = true
		return 0, false, p.stopErr(errStopped)
	}
	var b myBatch
	select {
	case b = <-p.got:
	case <-p.finished:
		// The goroutine stopped (a cancel) without a last message.
		p.ended = true
		return 0, false, p.stopErr(errStopped)
	}
	p.ended = !b.more
	if b.err != nil {
		return b.n, false, p.stopErr(b.err)
	}
	return b.n, b.more, nil
}

// stopErr prefers the context's error when the context stopped the query.
func (p *myProducer) stopErr(err error) error {
	if cerr := p.ctxErr(); cerr != nil {
		return cerr
	}
	return err
}

func (p *myProducer) stop() {
	p.stopOnce.Do(func() {
		p.broken = true
		close(p.quit)
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = p.conn.kill(ctx)
		// Unblock the reading goroutine: close the socket itself (the
		// client library's Close is not safe during a read); the library
		// connection is closed when it is given back broken.
		_ = p.conn.Conn.Conn.Conn.Close()
	})
}

func (p *myProducer) close() {
	p.unwatch()
	if !p.ended {
		p.stop()
	}
	<-p.finished
	// Wait for a stop the context may have begun.
	p.stopOnce.Do(func() {})
	p.done(p.broken)
}

// doneProducer is the producer of a statement without a result set.
type doneProducer struct{}

func (doneProducer) fill(*array.RecordBuilder) (int, bool, error) { return 0, false, nil }
func (doneProducer) stop()                                        {}
func (doneProducer) close()                                       {}
